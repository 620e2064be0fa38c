using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Readiness.Testing;
using Readiness.HostTests.Hosting;
using Xunit.Abstractions;

namespace Readiness.HostTests.Planning;

/// <summary>
/// The planning API and pages on the real embedded host with the synthetic demo data: forecasts follow the tenant
/// rules, scenarios are for national staff, bad input is refused naming the field and saves nothing, and a capacity
/// scenario moves the dates of that vendor's customers and not those of others.
/// </summary>
[Collection(EmbeddedHostCollection.Name)]
public sealed class PlanningApiTests(ITestOutputHelper output)
{
    private const string Chiyoda = "131016";
    private const string Osaka = "271004";

    [Fact]
    public async Task Forecasts_follow_the_tenant_rules_and_a_capacity_scenario_moves_only_that_vendors_customers()
    {
        using var folder = new TempFolder();
        await using var host = new ReadinessWebHost(folder.Path, new Dictionary<string, string?>
        {
            ["Readiness:Seed"] = "Demo",
            ["Readiness:Planning:Trials"] = "200",
            ["Readiness:RateLimits:WritesPerMinute"] = "100000",
            ["Readiness:RateLimits:ReadsPerMinute"] = "100000",
        });
        using var national = host.CreateNationalClient();
        // A fresh embedded host loads 1,741 municipalities first; on a busy shared machine that takes minutes.
        national.Timeout = TimeSpan.FromMinutes(10);
        for (var wait = System.Diagnostics.Stopwatch.StartNew(); (await national.GetAsync("/health/ready")).StatusCode != HttpStatusCode.OK; await Task.Delay(1000))
        {
            Assert.True(wait.Elapsed < TimeSpan.FromMinutes(10), "the host did not become ready in 10 minutes");
        }

        var started = System.Diagnostics.Stopwatch.StartNew();
        var nation = await national.GetFromJsonAsync<JsonElement>("/api/v1/forecast/nation");
        output.WriteLine($"first national forecast: {started.ElapsedMilliseconds} ms, took {nation.GetProperty("run").GetProperty("tookMs")} ms in the engine");
        Assert.Equal(47, nation.GetProperty("prefectures").GetArrayLength());
        Assert.True(nation.GetProperty("monthly").GetArrayLength() > 12);
        Assert.Equal("2031-03", nation.GetProperty("monthly")[nation.GetProperty("monthly").GetArrayLength() - 1].GetProperty("month").GetString());
        Assert.True(nation.GetProperty("nation").GetProperty("remaining").GetInt32() > 10_000);

        // Who sees what: summaries for every signed-in role, a municipality for itself, its prefecture and the nation.
        using var anonymous = host.CreateHttpClient();
        anonymous.Timeout = TimeSpan.FromMinutes(5);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/forecast/nation")).StatusCode);
        using var chiyoda = Client(host, Role.Municipality, Chiyoda);
        using var tokyo = Client(host, Role.Prefecture, "13");
        Assert.Equal(HttpStatusCode.OK, (await chiyoda.GetAsync($"/api/v1/forecast/municipalities/{Chiyoda}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await chiyoda.GetAsync($"/api/v1/forecast/municipalities/{Osaka}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await tokyo.GetAsync($"/api/v1/forecast/municipalities/{Chiyoda}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await tokyo.GetAsync($"/api/v1/forecast/municipalities/{Osaka}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await tokyo.GetAsync("/api/v1/forecast/prefectures/27")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await national.GetAsync("/api/v1/forecast/prefectures/48")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await national.GetAsync("/api/v1/forecast/municipalities/131017")).StatusCode);
        var ranked = await tokyo.GetFromJsonAsync<JsonElement>("/api/v1/forecast/prefectures/13");
        var risks = ranked.GetProperty("municipalities").EnumerateArray().Select(m => m.GetProperty("risk").GetDouble()).ToList();
        Assert.Equal(62, risks.Count);
        Assert.Equal(risks.OrderByDescending(r => r), risks);

        // Scenarios are national staff's: others get 403 and nothing is saved.
        var scenario = new { name = "more capacity", vendorCapacity = new[] { new { vendor = "x", perMonth = 5 } } };
        Assert.Equal(HttpStatusCode.Forbidden, (await chiyoda.PostAsJsonAsync("/api/v1/scenarios", scenario)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await tokyo.GetAsync("/api/v1/scenarios")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await tokyo.GetAsync("/api/v1/forecast/nation?scenario=x")).StatusCode);

        // Bad input: every fault named, nothing saved.
        var bad = await national.PostAsJsonAsync("/api/v1/scenarios", new { name = "", unreportedMonthlyCompletionRate = 1.5, vendorCapacity = new[] { new { vendor = "v", perMonth = 0 } }, targetShifts = new[] { new { prefectureCode = "99", months = 1 } } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        var fields = (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()).ToHashSet();
        Assert.Superset(new HashSet<string?> { "name", "unreportedMonthlyCompletionRate", "vendorCapacity[0].perMonth", "targetShifts[0].prefectureCode" }, fields);
        var malformed = await national.PostAsync("/api/v1/scenarios", new StringContent("{\"name\": 5}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        // A misspelt member is refused naming it (it used to be dropped: the scenario saved without its rate).
        var misspelt = await national.PostAsync("/api/v1/scenarios", new StringContent("{\"name\":\"typo\",\"unreportedMonthlyRate\":0.1}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, misspelt.StatusCode);
        Assert.Equal("unreportedMonthlyRate", (await misspelt.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors")[0].GetProperty("field").GetString());
        Assert.Equal(0, (await national.GetFromJsonAsync<JsonElement>("/api/v1/scenarios")).GetProperty("scenarios").GetArrayLength());

        // A capacity scenario: one go-live a month for the vendor of Chiyoda's systems.
        var mine = await national.GetFromJsonAsync<JsonElement>($"/api/v1/forecast/municipalities/{Chiyoda}");
        var vendor = mine.GetProperty("systems").EnumerateArray()
            .Where(s => s.GetProperty("vendor").ValueKind == JsonValueKind.String && !s.GetProperty("band").GetProperty("migrated").GetBoolean())
            .GroupBy(s => s.GetProperty("vendor").GetString()!).OrderByDescending(g => g.Count()).First().Key;
        var other = await national.GetFromJsonAsync<JsonElement>($"/api/v1/forecast/municipalities/{Osaka}");
        Assert.DoesNotContain(other.GetProperty("systems").EnumerateArray(), s => s.GetProperty("vendor").ValueKind == JsonValueKind.String && s.GetProperty("vendor").GetString() == vendor);

        var created = await national.PostAsJsonAsync("/api/v1/scenarios", new { name = "slow vendor", vendorCapacity = new[] { new { vendor, perMonth = 1 } } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var comparison = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("slow vendor", comparison.GetProperty("scenario").GetProperty("name").GetString());
        Assert.Equal(47, comparison.GetProperty("prefectures").GetArrayLength());

        var moved = await national.GetFromJsonAsync<JsonElement>($"/api/v1/forecast/municipalities/{Chiyoda}?scenario=slow%20vendor");
        var before = Bands(mine, vendor);
        var after = Bands(moved, vendor);
        Assert.NotEqual(before, after);
        Assert.True(after.Zip(before).All(p => string.CompareOrdinal(p.First, p.Second) >= 0), "a vendor with less capacity never makes its customers earlier");
        var otherMoved = await national.GetFromJsonAsync<JsonElement>($"/api/v1/forecast/municipalities/{Osaka}?scenario=slow%20vendor");
        Assert.Equal(other.GetProperty("systems").ToString(), otherMoved.GetProperty("systems").ToString());

        // Saved and audited (who, what, when).
        var list = await national.GetFromJsonAsync<JsonElement>("/api/v1/scenarios");
        Assert.Equal("slow vendor", list.GetProperty("scenarios")[0].GetProperty("name").GetString());
        var audit = list.GetProperty("audit")[0];
        Assert.Equal("create", audit.GetProperty("action").GetString());
        Assert.Equal("test-national-all", audit.GetProperty("actor").GetProperty("subject").GetString());

        // The pages render: the fan chart for everyone signed in, the scenario over it for national staff.
        var page = await national.GetStringAsync("/planning?scenario=slow%20vendor");
        Assert.Contains("data-fan-chart", page, StringComparison.Ordinal);
        Assert.Contains("data-band=\"scenario\"", page, StringComparison.Ordinal);
        Assert.Contains("data-fan-chart", await tokyo.GetStringAsync("/planning"), StringComparison.Ordinal);
        Assert.Contains("municipality-risk", await tokyo.GetStringAsync("/planning/prefectures/13"), StringComparison.Ordinal);
        Assert.Contains("system-forecast", await chiyoda.GetStringAsync($"/planning/municipalities/{Chiyoda}"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await chiyoda.GetAsync($"/planning/municipalities/{Osaka}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await tokyo.GetAsync("/planning/scenarios")).StatusCode);
        Assert.Contains("scenario-list", await national.GetStringAsync("/planning/scenarios"), StringComparison.Ordinal);
    }

    private static List<string> Bands(JsonElement municipality, string vendor) => municipality.GetProperty("systems").EnumerateArray()
        .Where(s => s.GetProperty("vendor").ValueKind == JsonValueKind.String && s.GetProperty("vendor").GetString() == vendor)
        .Select(s => s.GetProperty("band").GetProperty("p90").ToString() + "|" + s.GetProperty("band").GetProperty("p50").ToString())
        .ToList();

    private static HttpClient Client(ReadinessWebHost host, Role role, string tenant)
    {
        var client = host.CreateHttpClient();
        client.Timeout = TimeSpan.FromMinutes(5);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", host.Token(role, tenant));
        return client;
    }
}
