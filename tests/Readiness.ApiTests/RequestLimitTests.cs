using System.Net;
using Readiness.Web.Api;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A URL or headers past the limits get problem details naming the fault (ja/en), on the API and on the pages, and
/// change nothing: Kestrel answered them itself with an empty 414 or 431 before any of the product's code ran.
/// </summary>
public sealed class RequestLimitTests(ApiHost host) : IClassFixture<ApiHost>
{
    [Theory]
    [InlineData("/api/v1/nation")]
    [InlineData("/api/v1/municipalities/131016")]
    [InlineData("/")]
    public async Task A_URL_past_the_limit_is_414_with_problem_details_naming_it(string path)
    {
        using var national = host.National();
        var query = "?q=" + new string('a', RequestLimits.TargetBytes);
        using var response = await national.GetAsync(path + query);
        var problem = await ApiHost.AssertProblem(response, HttpStatusCode.RequestUriTooLong, "URL");
        Assert.Equal("uri_too_long", problem.GetProperty("errors")[0].GetProperty("code").GetString());

        // Just within the limit, the route answers as it would (whatever it makes of the query), not 414.
        using var within = await national.GetAsync(path + "?q=" + new string('a', RequestLimits.TargetBytes - path.Length - 8));
        Assert.NotEqual(HttpStatusCode.RequestUriTooLong, within.StatusCode);
    }

    [Fact]
    public async Task Headers_past_the_limits_are_431_with_problem_details_naming_the_largest_or_the_count()
    {
        using var national = host.National();
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/nation"))
        {
            request.Headers.Add("X-Note", new string('n', RequestLimits.HeaderBytes));
            using var response = await national.SendAsync(request);
            var problem = await ApiHost.AssertProblem(response, HttpStatusCode.RequestHeaderFieldsTooLarge, "X-Note");
            Assert.Equal("headers_too_large", problem.GetProperty("errors")[0].GetProperty("code").GetString());
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/nation"))
        {
            for (var i = 0; i < RequestLimits.HeaderCount + 5; i++)
            {
                request.Headers.Add($"X-N{i}", "1");
            }

            using var response = await national.SendAsync(request);
            var problem = await ApiHost.AssertProblem(response, HttpStatusCode.RequestHeaderFieldsTooLarge, "headers");
            Assert.Equal("too_many_headers", problem.GetProperty("errors")[0].GetProperty("code").GetString());
        }
    }

    /// <summary>A write past the limits changes nothing: the municipality's version is the same after it.</summary>
    [Fact]
    public async Task A_write_past_the_limits_changes_nothing()
    {
        var (_, version) = await host.GetMunicipality(ApiHost.Chiyoda);
        using var client = host.Client(host.Token(Readiness.Role.Municipality, ApiHost.Chiyoda));
        using var request = ApiHost.Request(HttpMethod.Put, $"/api/v1/municipalities/{ApiHost.Chiyoda}/systems/koseki?x=" + new string('x', RequestLimits.TargetBytes),
            """{"phase":"in_production","designated":false,"regressionReason":"vendor batch"}""", version);
        using var response = await client.SendAsync(request);
        await ApiHost.AssertProblem(response, HttpStatusCode.RequestUriTooLong, "URL");
        Assert.Equal(version, (await host.GetMunicipality(ApiHost.Chiyoda)).Version);
    }
}
