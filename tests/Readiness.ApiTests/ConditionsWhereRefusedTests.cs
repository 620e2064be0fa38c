using System.Net;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>
/// RFC 9110 §13.2.1: a server must ignore the conditional headers where its answer without them would be other than 2xx
/// or 412, so a 404, a 403, a 401 and a redirect to sign-in win over 304 and 412 on every kind of resource (a breaker's
/// finding, round 45: GET /nope, a missing static file and /admin/users as a municipality answered If-None-Match: *
/// with 304 and If-Match with 412, the not-found page they were shown being taken for a page that exists). Each
/// address is asked first without conditions, then with each, GET and HEAD: the status must be the same.
/// </summary>
public sealed class ConditionsWhereRefusedTests(ApiHost host, ITestOutputHelper output) : IClassFixture<ApiHost>
{
    private const string BrowserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

    /// <summary>Another ward's municipality code in Tokyo (中央区), whose data 千代田区's staff may not read.</summary>
    private const string OtherMunicipality = "131024";

    private static readonly (string Name, string Value)[] Conditions =
        [("If-None-Match", "*"), ("If-Match", "\"x\""), ("If-Match", "*"), ("If-None-Match", "\"x\"")];

    /// <summary>Who asks: a signed-in browser of the given role, a bearer token, or nobody.</summary>
    public enum Caller
    {
        Anonymous,
        NationalBrowser,
        MunicipalityBrowser,
        NationalBearer,
        MunicipalityBearer,
    }

    public static TheoryData<string, Caller> Refused => new()
    {
        // Pages and static files (the not-found page is shown for each of these).
        { "/nope", Caller.NationalBrowser },
        { "/nope", Caller.Anonymous },
        { "/css/nope.css", Caller.NationalBrowser },
        { "/prefectures/99", Caller.NationalBrowser },
        { "/municipalities/999999", Caller.NationalBrowser },
        { "/admin/users", Caller.MunicipalityBrowser },
        { "/municipalities/" + OtherMunicipality, Caller.MunicipalityBrowser },
        { "/municipalities/" + OtherMunicipality + "/history.csv", Caller.MunicipalityBrowser },
        // Signed out: the sign-in redirect.
        { "/admin/users", Caller.Anonymous },
        { "/prefectures/13", Caller.Anonymous },
        // The API: 404, 403, 401.
        { "/api/v1/municipalities/999999", Caller.NationalBearer },
        { "/api/v1/municipalities/" + OtherMunicipality, Caller.MunicipalityBearer },
        { "/api/v1/municipalities/" + OtherMunicipality + "/history", Caller.MunicipalityBearer },
        { "/api/v1/admin/backups", Caller.MunicipalityBearer },
        { "/api/v1/municipalities/" + ApiHost.Chiyoda, Caller.Anonymous },
    };

    private async Task<HttpClient> ClientFor(Caller caller) => caller switch
    {
        Caller.NationalBrowser => await host.SignedInPagesAsync(host.Token(Readiness.Role.National)),
        Caller.MunicipalityBrowser => await host.SignedInPagesAsync(host.Token(Readiness.Role.Municipality, ApiHost.Chiyoda)),
        Caller.NationalBearer => host.Client(host.Token(Readiness.Role.National)),
        Caller.MunicipalityBearer => host.Client(host.Token(Readiness.Role.Municipality, ApiHost.Chiyoda)),
        _ => new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_refused_or_missing_resource_answers_as_without_the_conditions(string path, Caller caller)
    {
        using var client = await ClientFor(caller);
        var failures = new List<string>();
        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Head })
        {
            using var plain = await SendAsync(client, method, path, null);
            var expected = plain.StatusCode;
            output.WriteLine($"{method} {path} as {caller}: {(int)expected}");
            Assert.True((int)expected is >= 300 and not 304 and not 412, $"{method} {path} as {caller}: {(int)expected}, not a refusal to test");
            foreach (var condition in Conditions)
            {
                using var conditional = await SendAsync(client, method, path, condition);
                output.WriteLine($"  {condition.Name}: {condition.Value}: {(int)conditional.StatusCode}");
                if (conditional.StatusCode != expected)
                {
                    failures.Add($"{method} {path} as {caller} with {condition.Name}: {condition.Value}: {(int)conditional.StatusCode}, without it {(int)expected}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>
    /// The other side of the rule: where the page is there and readable, the conditions still answer (304, 412), and a
    /// 404 page's body is still the not-found page (the buffer sent as rendered).
    /// </summary>
    [Fact]
    public async Task A_readable_page_still_answers_its_conditions_and_a_missing_one_its_not_found_page()
    {
        using var client = await ClientFor(Caller.NationalBrowser);
        using (var star = await SendAsync(client, HttpMethod.Get, "/prefectures/13", ("If-None-Match", "*")))
        {
            Assert.Equal(HttpStatusCode.NotModified, star.StatusCode);
            Assert.Empty(await star.Content.ReadAsByteArrayAsync());
        }

        using (var failed = await SendAsync(client, HttpMethod.Get, "/prefectures/13", ("If-Match", "\"x\"")))
        {
            await ApiHost.AssertProblem(failed, HttpStatusCode.PreconditionFailed, "If-Match");
        }

        using var plain = await SendAsync(client, HttpMethod.Get, "/prefectures/99", null);
        using var missing = await SendAsync(client, HttpMethod.Get, "/prefectures/99", ("If-None-Match", "*"));
        Assert.Equal(plain.StatusCode, missing.StatusCode);
        Assert.Equal(plain.Content.Headers.ContentType?.MediaType, missing.Content.Headers.ContentType?.MediaType);
        var html = await missing.Content.ReadAsStringAsync();
        Assert.Contains("<html", html, StringComparison.Ordinal);
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, (string Name, string Value)? condition)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.TryAddWithoutValidation("Accept", path.StartsWith("/api/", StringComparison.Ordinal) ? "application/json" : BrowserAccept);
        if (condition is { } c)
        {
            Assert.True(request.Headers.TryAddWithoutValidation(c.Name, c.Value), c.Name);
        }

        return client.SendAsync(request);
    }
}
