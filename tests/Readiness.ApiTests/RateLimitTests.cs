using System.Net;
using Readiness.Web.Auth;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>Each person may read 5 times a minute; a tenant (all national staff together, one municipality) 8 times.</summary>
public sealed class RateLimitHost : ApiHost
{
    public const int PerPerson = 5;
    public const int PerTenant = 8;

    protected override IDictionary<string, string?> Settings()
    {
        var settings = base.Settings();
        settings["Readiness:RateLimits:ReadsPerMinute"] = PerPerson.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Readiness:RateLimits:TenantReadsPerMinute"] = PerTenant.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return settings;
    }
}

/// <summary>
/// Rate limits per person and per API client, with a tenant ceiling on top: before, all callers of a tenant shared
/// one bucket. Each test uses its own tenant, so that the one-minute windows do not mix.
/// </summary>
public sealed class RateLimitTests(RateLimitHost host) : IClassFixture<RateLimitHost>
{
    private const string Path = "/api/v1/catalog";

    [Fact]
    public async Task Two_national_subjects_each_get_their_own_budget_under_the_national_ceiling()
    {
        using var a = host.Client(host.Token(Role.National, subject: "national-a@digital.go.jp"));
        using var b = host.Client(host.Token(Role.National, subject: "national-b@digital.go.jp"));

        await AssertReadsAsync(a, RateLimitHost.PerPerson);       // a's own budget
        await AssertLimitedAsync(a);                              // a is over it; b is not affected...
        await AssertReadsAsync(b, RateLimitHost.PerTenant - RateLimitHost.PerPerson);
        await AssertLimitedAsync(b);                              // ...until the national ceiling (5 + 3 = 8) is reached

        // Other tenants are not affected by the national ceiling.
        using var municipality = host.Client(host.Token(Role.Municipality, "011002", "sapporo-staff"));
        await AssertReadsAsync(municipality, 1);
    }

    [Fact]
    public async Task Staff_of_one_municipality_each_get_their_own_budget_under_its_ceiling()
    {
        using var tanaka = host.Client(host.Token(Role.Municipality, ApiHost.Chiyoda, "tanaka@city.chiyoda"));
        using var suzuki = host.Client(host.Token(Role.Municipality, ApiHost.Chiyoda, "suzuki@city.chiyoda"));
        using var neighbour = host.Client(host.Token(Role.Municipality, ApiHost.Chuo, "sato@city.chuo"));

        await AssertReadsAsync(tanaka, RateLimitHost.PerPerson);
        await AssertLimitedAsync(tanaka);
        await AssertReadsAsync(suzuki, 3);
        await AssertLimitedAsync(suzuki);                         // Chiyoda's ceiling
        await AssertReadsAsync(neighbour, RateLimitHost.PerPerson); // 中央区 has its own ceiling and budgets
        await AssertLimitedAsync(neighbour);
    }

    [Fact]
    public async Task Api_clients_of_one_subject_each_get_their_own_budget()
    {
        using var vendorA = host.Client(host.TokenWithClaims(new Dictionary<string, object>
            { ["sub"] = "batch@pref.osaka", ["role"] = "prefecture", ["tenant"] = "27", ["client_id"] = "vendor-a" }));
        using var vendorB = host.Client(host.TokenWithClaims(new Dictionary<string, object>
            { ["sub"] = "batch@pref.osaka", ["role"] = "prefecture", ["tenant"] = "27", ["client_id"] = "vendor-b" }));

        await AssertReadsAsync(vendorA, RateLimitHost.PerPerson);
        await AssertLimitedAsync(vendorA);
        await AssertReadsAsync(vendorB, 3);
        await AssertLimitedAsync(vendorB);                        // Osaka prefecture's ceiling
    }

    private static async Task AssertReadsAsync(HttpClient client, int count)
    {
        for (var i = 0; i < count; i++)
        {
            using var response = await client.GetAsync(Path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"read {i + 1} of {count}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    private static async Task AssertLimitedAsync(HttpClient client)
    {
        using var response = await client.GetAsync(Path);
        await ApiHost.AssertProblem(response, HttpStatusCode.TooManyRequests, "rate");
        Assert.NotNull(response.Headers.RetryAfter?.Delta);
    }
}
