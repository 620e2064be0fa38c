using System.Net;
using System.Text;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A claim the authorization reads (subject, role, tenant, client) with two different values is refused everywhere:
/// the API, the sign-in that turns a token into a cookie, the writes; never read as its first value. The token
/// handler itself already refuses some (two "sub" or "azp" values fail validation: 401); the rest are refused by the
/// caller's claims check (403).
/// </summary>
public sealed class MultiValuedClaimTests(ApiHost host) : IClassFixture<ApiHost>
{
    public static TheoryData<string, string> Tokens() => new()
    {
        // name, JSON of the claims (sub, role, tenant, client_id, azp)
        { "tenant two municipalities", """{"sub":"m","role":"municipality","tenant":["271004","131016"]}""" },
        { "tenant two municipalities reversed", """{"sub":"m","role":"municipality","tenant":["131016","271004"]}""" },
        { "tenant two prefectures", """{"sub":"p","role":"prefecture","tenant":["27","13"]}""" },
        { "tenant on a national token", """{"sub":"n","role":"national","tenant":["13","27"]}""" },
        { "role two values", """{"sub":"m","role":["municipality","national"],"tenant":"131016"}""" },
        { "subject two values", """{"sub":["alice","bob"],"role":"municipality","tenant":"131016"}""" },
        { "client_id two values", """{"sub":"m","role":"municipality","tenant":"131016","client_id":["vendor-a","vendor-b"]}""" },
        { "azp two values", """{"sub":"m","role":"municipality","tenant":"131016","azp":["app-a","app-b"]}""" },
    };

    [Theory]
    [MemberData(nameof(Tokens))]
    public async Task Reads_are_refused(string name, string claims)
    {
        using var client = host.Client(Token(claims));
        foreach (var path in new[] { "/api/v1/nation", $"/api/v1/municipalities/{ApiHost.Chiyoda}", $"/api/v1/municipalities/{ApiHost.Osaka}", "/api/v1/export/municipalities.csv?prefecture=13" })
        {
            using var response = await client.GetAsync(path);
            Assert.True(response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized, $"{name}: {path} answered {(int)response.StatusCode}");
            await ApiHost.AssertProblem(response, response.StatusCode, response.StatusCode == HttpStatusCode.Forbidden ? RefusedClaim(name) : "Authorization");
        }
    }

    /// <summary>The claim a 403 names: the client claim when it is the one with two values, else the role or tenant ("role").</summary>
    private static string RefusedClaim(string name) => name.Split(' ')[0] is "client_id" or "azp" ? name.Split(' ')[0] : "role";

    [Theory]
    [MemberData(nameof(Tokens))]
    public async Task Writes_are_refused_and_change_nothing(string name, string claims)
    {
        using var client = host.Client(Token(claims));
        foreach (var code in new[] { ApiHost.Chiyoda, ApiHost.Osaka })
        {
            var (_, version) = await host.GetMunicipality(code);
            var history = await host.HistoryTotal(code);
            using var response = await client.SendAsync(ApiHost.Request(HttpMethod.Put, $"/api/v1/municipalities/{code}/security/SEC-2-01", """{"status":"implemented"}""", version));
            Assert.True(response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized, $"{name}: PUT {code} answered {(int)response.StatusCode}");
            Assert.Equal(version, (await host.GetMunicipality(code)).Version);
            Assert.Equal(history, await host.HistoryTotal(code));
        }
    }

    [Theory]
    [MemberData(nameof(Tokens))]
    public async Task Sign_in_refuses_the_token(string name, string claims)
    {
        using var client = host.Client();
        using var response = await client.PostAsync("/auth/local/signin",
            new StringContent($$"""{"token":"{{Token(claims)}}"}""", Encoding.UTF8, "application/json"));
        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{name}: sign-in answered {(int)response.StatusCode}");
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    /// <summary>The tenant example of the issue is refused by the claims check itself, not by chance of the token handler.</summary>
    [Fact]
    public async Task The_issue_example_is_refused_as_an_invalid_tenant()
    {
        using var client = host.Client(Token("""{"sub":"m","role":"municipality","tenant":["271004","131016"]}"""));
        using var response = await client.GetAsync($"/api/v1/municipalities/{ApiHost.Osaka}");
        await ApiHost.AssertProblem(response, HttpStatusCode.Forbidden, "role");
    }

    /// <summary>The same value twice is one value (as for roles), and one-element arrays are single values.</summary>
    [Theory]
    [InlineData("""{"sub":"m","role":"municipality","tenant":["131016","131016"]}""")]
    [InlineData("""{"sub":"m","role":["municipality"],"tenant":["131016"],"client_id":["vendor-a"]}""")]
    public async Task Repeated_equal_values_are_one_value(string claims)
    {
        using var client = host.Client(Token(claims));
        using var own = await client.GetAsync($"/api/v1/municipalities/{ApiHost.Chiyoda}");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        using var other = await client.GetAsync($"/api/v1/municipalities/{ApiHost.Osaka}");
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
    }

    private string Token(string claimsJson)
    {
        var claims = new Dictionary<string, object>();
        foreach (var p in System.Text.Json.JsonDocument.Parse(claimsJson).RootElement.EnumerateObject())
        {
            claims[p.Name] = p.Value.ValueKind == System.Text.Json.JsonValueKind.Array
                ? p.Value.EnumerateArray().Select(v => v.GetString()!).ToList()
                : p.Value.GetString()!;
        }

        return host.TokenWithClaims(claims);
    }
}
