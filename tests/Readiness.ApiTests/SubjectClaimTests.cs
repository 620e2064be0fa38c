using System.Net;
using System.Text;
using System.Text.Json;
using Readiness.Web.Auth;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The subject a change is attributed to must be one the product can store and show: 1 to 255 characters (OpenID
/// Connect Core 1.0 §2), no control or invisible characters. A token whose subject is not is refused (403 naming "sub"
/// on the API, 401 at the sign-in) and changes nothing; the longest subject taken is recorded whole.
/// </summary>
public sealed class SubjectClaimTests(ApiHost host) : IClassFixture<ApiHost>
{
    public static TheoryData<string, string> Refused() => new()
    {
        { "256 characters", new string('a', ReadinessCaller.MaxSubjectLength + 1) },
        { "a NUL", "tanaka\u0000" },
        { "a line break", "tanaka\nrole=admin" },
        { "blank", "   " },
        { "white space at the ends", " tanaka " },
        { "a Hangul filler (displays as nothing)", "\u3164" },
        { "a combining grapheme joiner", "tanaka\u034F" },
    };

    /// <summary>An API client's claim is an identifier as the subject is: a token whose client_id is not is refused naming it.</summary>
    [Fact]
    public async Task A_token_with_an_unstorable_client_claim_is_refused_naming_the_claim()
    {
        foreach (var clientId in new[] { "vendor\u0000a", new string('c', 4000), " vendor-a" })
        {
            using var client = host.Client(host.TokenWithClaims(new Dictionary<string, object>
            {
                ["sub"] = "batch", ["role"] = "municipality", ["tenant"] = ApiHost.Chiyoda, ["client_id"] = clientId,
            }));
            using var read = await client.GetAsync($"/api/v1/municipalities/{ApiHost.Chiyoda}");
            var problem = await ApiHost.AssertProblem(read, HttpStatusCode.Forbidden, "client_id");
            Assert.Equal("invalid_client", problem.GetProperty("errors")[0].GetProperty("code").GetString());
        }
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_token_with_an_unstorable_subject_is_refused_and_changes_nothing(string name, string subject)
    {
        using var client = host.Client(Token(subject));
        using (var read = await client.GetAsync($"/api/v1/municipalities/{ApiHost.Chiyoda}"))
        {
            var problem = await ApiHost.AssertProblem(read, HttpStatusCode.Forbidden, "sub");
            Assert.True(problem.GetProperty("errors")[0].GetProperty("code").GetString() == "invalid_subject", name);
        }

        var (_, version) = await host.GetMunicipality(ApiHost.Chiyoda);
        var history = await host.HistoryTotal(ApiHost.Chiyoda);
        using (var write = await client.SendAsync(ApiHost.Request(HttpMethod.Put, $"/api/v1/municipalities/{ApiHost.Chiyoda}/security/SEC-2-01", """{"status":"implemented"}""", version)))
        {
            await ApiHost.AssertProblem(write, HttpStatusCode.Forbidden, "sub");
        }

        Assert.Equal(version, (await host.GetMunicipality(ApiHost.Chiyoda)).Version);
        Assert.Equal(history, await host.HistoryTotal(ApiHost.Chiyoda));

        using var anonymous = host.Client();
        using var signIn = await anonymous.PostAsync("/auth/local/signin", new StringContent(JsonSerializer.Serialize(new { token = Token(subject) }), Encoding.UTF8, "application/json"));
        var refusal = await ApiHost.AssertProblem(signIn, HttpStatusCode.Unauthorized, "token");
        Assert.Contains("(sub)", refusal.GetProperty("errors")[0].GetProperty("messageEn").GetString(), StringComparison.Ordinal);
        Assert.False(signIn.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task The_longest_subject_taken_is_recorded_whole()
    {
        var subject = string.Concat(Enumerable.Repeat("市民課", ReadinessCaller.MaxSubjectLength / 3));
        Assert.Equal(ReadinessCaller.MaxSubjectLength, subject.Length);
        using var client = host.Client(Token(subject));
        var (_, version) = await host.GetMunicipality(ApiHost.Chiyoda);
        using (var write = await client.SendAsync(ApiHost.Request(HttpMethod.Put, $"/api/v1/municipalities/{ApiHost.Chiyoda}/security/SEC-2-02", """{"status":"partial"}""", version)))
        {
            Assert.True(write.StatusCode == HttpStatusCode.OK, await write.Content.ReadAsStringAsync());
        }

        using var national = host.National();
        var latest = JsonDocument.Parse(await national.GetStringAsync($"/api/v1/municipalities/{ApiHost.Chiyoda}/history?limit=1")).RootElement.GetProperty("items")[0];
        Assert.Equal(subject, latest.GetProperty("subject").GetString());
    }

    private string Token(string subject) =>
        host.TokenWithClaims(new Dictionary<string, object> { ["sub"] = subject, ["role"] = "municipality", ["tenant"] = ApiHost.Chiyoda });
}
