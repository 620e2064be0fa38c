using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;
using Readiness.Web.Auth;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A refused credential is answered with why (401 problem details, field Authorization, a code per kind, Japanese and
/// English), through the real bearer handler: no header, another scheme, an empty token (a shell variable never set),
/// not a JWT, expired, another key's, another issuer's, another audience's. The sign-in that turns a token into a
/// cookie says the same for the same tokens (field token).
/// </summary>
public sealed class CredentialRefusalTests(ApiHost host) : IClassFixture<ApiHost>
{
    public static TheoryData<string, string> Headers() => new()
    {
        // name of the credential, expected code
        { "none", "missing_token" },
        { "basic", "unsupported_scheme" },
        { "bearer without a token", "empty_token" },
        { "bearer and spaces", "empty_token" },
        { "not a jwt", "malformed_token" },
        { "expired", "expired_token" },
        { "another key", "invalid_signature" },
        { "another issuer", "invalid_issuer" },
        { "another audience", "invalid_audience" },
        { "a valid token twice", "multiple_authorization" },
    };

    private string? Header(string name) => name switch
    {
        "none" => null,
        "basic" => "Basic dGFuYWthOnNlY3JldA==",
        "bearer without a token" => "Bearer",
        "bearer and spaces" => "Bearer    ",
        "not a jwt" => "Bearer not-a-token",
        "expired" => "Bearer " + host.Token(Role.Municipality, ApiHost.Chiyoda, lifetime: TimeSpan.FromHours(1), now: DateTimeOffset.UtcNow.AddHours(-3)),
        "another key" => "Bearer " + LocalTokens.Issue(new ReadinessAuthOptions(), new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)), "mallory", Role.Municipality, ApiHost.Chiyoda, TimeSpan.FromHours(1), DateTimeOffset.UtcNow),
        "another issuer" => "Bearer " + host.TokenFor("someone-else", new ReadinessAuthOptions().Audience),
        "another audience" => "Bearer " + host.TokenFor(new ReadinessAuthOptions().LocalIssuer, "another-api"),
        "a valid token twice" => "Bearer " + host.Token(Role.Municipality, ApiHost.Chiyoda),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Theory]
    [MemberData(nameof(Headers))]
    public async Task The_API_says_why_a_credential_is_refused(string name, string code)
    {
        using var http = host.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/municipalities/{ApiHost.Chiyoda}");
        if (Header(name) is { } header)
        {
            request.Headers.TryAddWithoutValidation("Authorization", header);
            if (name == "a valid token twice")
            {
                request.Headers.TryAddWithoutValidation("Authorization", header); // two fields (a breaker's finding: read as "revoked")
            }
        }

        using var response = await http.SendAsync(request);
        var problem = await ApiHost.AssertProblem(response, HttpStatusCode.Unauthorized, "Authorization");
        Assert.Equal(code, problem.GetProperty("errors")[0].GetProperty("code").GetString());
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.First().Scheme);
        if (name == "expired")
        {
            // The moment it expired, so the caller can tell a clock problem from an old token.
            Assert.Contains(DateTime.UtcNow.AddHours(-2).ToString("yyyy-MM-dd'T'HH", System.Globalization.CultureInfo.InvariantCulture),
                problem.GetProperty("errors")[0].GetProperty("messageEn").GetString(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("not a jwt", "malformed_token")]
    [InlineData("expired", "expired_token")]
    [InlineData("another key", "invalid_signature")]
    public async Task The_sign_in_with_a_token_says_why_it_is_refused(string name, string code)
    {
        using var http = host.Client();
        using var response = await http.PostAsync("/auth/local/signin", JsonContent(Header(name)!["Bearer ".Length..]));
        var problem = await ApiHost.AssertProblem(response, HttpStatusCode.Unauthorized, "token");
        Assert.Equal(code, problem.GetProperty("errors")[0].GetProperty("code").GetString());
    }

    private static StringContent JsonContent(string token) =>
        new(System.Text.Json.JsonSerializer.Serialize(new { token }), System.Text.Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
}
