using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;
using Readiness.Web.Auth;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// Every endpoint × every kind of caller, own and other tenant, with the status each must get. The target is always
/// 千代田区 (131016, Tokyo 13); "other" callers are 中央区 (same prefecture), 大阪市 and Osaka prefecture (27).
/// </summary>
public sealed class AuthorizationMatrixTests(WarmApiHost host) : IClassFixture<WarmApiHost>
{
    private const string Target = ApiHost.Chiyoda;

    private static readonly string[] Callers =
    [
        "anonymous", "forged_token", "expired_token", "system_role", "municipality_without_tenant",
        "municipality_own", "municipality_other_same_prefecture", "municipality_other_prefecture",
        "prefecture_own", "prefecture_other", "national", "admin",
    ];

    /// <summary>Expected status per endpoint, in <see cref="Callers"/> order.</summary>
    private static readonly (string Endpoint, int[] Expected)[] Matrix =
    [
        //                      anon fake  exp  sys  noT  mOwn mSame mOth pOwn pOth nat  adm
        ("GET catalog",          [401, 401, 401, 403, 403, 200, 200, 200, 200, 200, 200, 200]),
        ("GET nation",           [401, 401, 401, 403, 403, 200, 200, 200, 200, 200, 200, 200]),
        ("GET prefectures",      [401, 401, 401, 403, 403, 200, 200, 200, 200, 200, 200, 200]),
        ("GET prefecture",       [401, 401, 401, 403, 403, 200, 200, 200, 200, 200, 200, 200]),
        ("GET municipality",     [401, 401, 401, 403, 403, 200, 403, 403, 200, 403, 200, 200]),
        ("GET history",          [401, 401, 401, 403, 403, 200, 403, 403, 200, 403, 200, 200]),
        ("GET history.csv",      [401, 401, 401, 403, 403, 200, 403, 403, 200, 403, 200, 200]),
        ("PUT system",           [401, 401, 401, 403, 403, 200, 403, 403, 403, 403, 403, 403]),
        ("PUT security",         [401, 401, 401, 403, 403, 200, 403, 403, 403, 403, 403, 403]),
        ("POST report",          [401, 401, 401, 403, 403, 200, 403, 403, 403, 403, 403, 403]),
        ("GET export own pref",  [401, 401, 401, 403, 403, 403, 403, 403, 200, 403, 200, 200]),
        ("GET export default",   [401, 401, 401, 403, 403, 403, 403, 403, 200, 200, 200, 200]),
    ];

    public static TheoryData<string, string, int> Cases()
    {
        var data = new TheoryData<string, string, int>();
        foreach (var (endpoint, expected) in Matrix)
        {
            for (var i = 0; i < Callers.Length; i++)
            {
                data.Add(endpoint, Callers[i], expected[i]);
            }
        }

        return data;
    }

    [Fact]
    public void Matrix_covers_every_endpoint_and_caller()
    {
        Assert.All(Matrix, row => Assert.Equal(Callers.Length, row.Expected.Length));
        Assert.Equal(12, Matrix.Length);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Endpoint_answers_caller_with_expected_status(string endpoint, string caller, int expected)
    {
        using var client = host.Client();
        if (Token(caller) is { } token)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        var (_, versionBefore) = await host.GetMunicipality(Target);
        var historyBefore = await host.HistoryTotal(Target);
        using var request = Request(endpoint, versionBefore);
        using var response = await client.SendAsync(request);
        if (expected >= 400)
        {
            await ApiHost.AssertProblem(response, (HttpStatusCode)expected, expected == 401 ? "Authorization" : null);
            if (expected == 401)
            {
                Assert.Equal("Bearer", response.Headers.WwwAuthenticate.First().Scheme);
            }
        }
        else
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode == expected, $"{endpoint} as {caller}: expected {expected}, got {(int)response.StatusCode}: {text}");
        }

        var (_, versionAfter) = await host.GetMunicipality(Target);
        var historyAfter = await host.HistoryTotal(Target);
        var writes = endpoint.StartsWith("PUT", StringComparison.Ordinal) || endpoint.StartsWith("POST", StringComparison.Ordinal);
        Assert.Equal(versionBefore + (writes && expected == 200 ? 1 : 0), versionAfter);
        Assert.True(writes && expected == 200 ? historyAfter > historyBefore : historyAfter == historyBefore, "the audit trail grows only with accepted writes");
    }

    private HttpRequestMessage Request(string endpoint, long version) => endpoint switch
    {
        "GET catalog" => new(HttpMethod.Get, "/api/v1/catalog"),
        "GET nation" => new(HttpMethod.Get, "/api/v1/nation"),
        "GET prefectures" => new(HttpMethod.Get, "/api/v1/prefectures"),
        "GET prefecture" => new(HttpMethod.Get, "/api/v1/prefectures/13"),
        "GET municipality" => new(HttpMethod.Get, $"/api/v1/municipalities/{Target}"),
        "GET history" => new(HttpMethod.Get, $"/api/v1/municipalities/{Target}/history"),
        "GET history.csv" => new(HttpMethod.Get, $"/api/v1/municipalities/{Target}/history.csv"),
        "PUT system" => ApiHost.Request(HttpMethod.Put, $"/api/v1/municipalities/{Target}/systems/child_allowance",
            """{"phase":"in_production","hosting":"government_cloud","regressionReason":"authorization matrix"}""", version),
        "PUT security" => ApiHost.Request(HttpMethod.Put, $"/api/v1/municipalities/{Target}/security/SEC-2-01", """{"status":"implemented"}""", version),
        "POST report" => ApiHost.Request(HttpMethod.Post, $"/api/v1/municipalities/{Target}/reports",
            """{"security":[{"itemId":"SEC-2-02","status":"partial"}]}""", idempotencyKey: Guid.NewGuid().ToString()),
        "GET export own pref" => new(HttpMethod.Get, "/api/v1/export/municipalities.csv?prefecture=13"),
        "GET export default" => new(HttpMethod.Get, "/api/v1/export/municipalities.csv"),
        _ => throw new ArgumentOutOfRangeException(nameof(endpoint), endpoint, null),
    };

    private string? Token(string caller) => caller switch
    {
        "anonymous" => null,
        "forged_token" => LocalTokens.Issue(new ReadinessAuthOptions(), new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)), "mallory", Role.Admin, null, TimeSpan.FromHours(1), DateTimeOffset.UtcNow),
        "expired_token" => host.Token(Role.Municipality, Target, lifetime: TimeSpan.FromHours(1), now: DateTimeOffset.UtcNow.AddHours(-3)),
        "system_role" => host.Token(Role.System),
        "municipality_without_tenant" => host.Token(Role.Municipality),
        "municipality_own" => host.Token(Role.Municipality, Target),
        "municipality_other_same_prefecture" => host.Token(Role.Municipality, ApiHost.Chuo),
        "municipality_other_prefecture" => host.Token(Role.Municipality, ApiHost.Osaka),
        "prefecture_own" => host.Token(Role.Prefecture, "13"),
        "prefecture_other" => host.Token(Role.Prefecture, "27"),
        "national" => host.Token(Role.National),
        "admin" => host.Token(Role.Admin),
        _ => throw new ArgumentOutOfRangeException(nameof(caller), caller, null),
    };
}
