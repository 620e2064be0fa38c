using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Readiness.HostTests.Hosting;
using Readiness.Planning;
using Readiness.Testing;
using Readiness.Web.Planning;
using Xunit.Abstractions;

namespace Readiness.HostTests.Planning;

/// <summary>
/// On the real embedded host with the demo data: the lock-in view (vendors and Government Cloud providers with the HHI,
/// nationally and per prefecture) and the kept forecasts: a forecast is stored, systems then go live, and the coverage
/// of the stored P10–P90 bands is computed from the stored forecast and the audit trail.
/// </summary>
[Collection(EmbeddedHostCollection.Name)]
public sealed class VendorAndCoverageTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Lock_in_view_and_a_kept_forecast_judged_by_the_go_lives_that_followed()
    {
        using var folder = new TempFolder();
        await using var host = new ReadinessWebHost(folder.Path, new Dictionary<string, string?>
        {
            ["Readiness:Seed"] = "Demo",
            ["Readiness:Planning:Trials"] = "200",
            ["Readiness:Planning:KeepForecasts"] = "false", // kept on demand below, not by the schedule
            ["Readiness:RateLimits:WritesPerMinute"] = "100000",
            ["Readiness:RateLimits:ReadsPerMinute"] = "100000",
        });
        using var national = host.CreateNationalClient();
        national.Timeout = TimeSpan.FromMinutes(10);
        for (var wait = System.Diagnostics.Stopwatch.StartNew(); (await national.GetAsync("/health/ready")).StatusCode != HttpStatusCode.OK; await Task.Delay(1000))
        {
            Assert.True(wait.Elapsed < TimeSpan.FromMinutes(10), "the host did not become ready in 10 minutes");
        }

        // The lock-in view: the demo seed reports providers for systems on the Government Cloud.
        var vendors = await national.GetFromJsonAsync<JsonElement>("/api/v1/vendors");
        var nation = vendors.GetProperty("nation");
        var providers = nation.GetProperty("providers");
        Assert.True(providers.GetProperty("known").GetInt32() > 1000, providers.ToString());
        Assert.Equal(5, providers.GetProperty("suppliers").GetInt32());
        // Every provider is listed, so the HHI is the sum of the listed shares squared (shares rounded to 0.01 %).
        var fromShares = providers.GetProperty("shares").EnumerateArray().Sum(s => Math.Pow(s.GetProperty("sharePercent").GetDouble(), 2));
        Assert.InRange(providers.GetProperty("hhi").GetDouble(), fromShares - 5, fromShares + 5);
        Assert.Equal("aws", providers.GetProperty("shares")[0].GetProperty("name").GetString());
        var vendorMarket = nation.GetProperty("vendors");
        Assert.InRange(vendorMarket.GetProperty("hhi").GetDouble(), 0, 10_000);
        Assert.True(vendorMarket.GetProperty("suppliers").GetInt32() > vendorMarket.GetProperty("shares").GetArrayLength());
        var prefectures = vendors.GetProperty("prefectures").EnumerateArray().ToList();
        Assert.Equal(47, prefectures.Count);
        Assert.Equal(vendorMarket.GetProperty("systems").GetInt32(), prefectures.Sum(p => p.GetProperty("vendors").GetProperty("systems").GetInt32()));
        var tokyo = await national.GetFromJsonAsync<JsonElement>("/api/v1/vendors/prefectures/13");
        Assert.Equal(prefectures.Single(p => p.GetProperty("code").GetString() == "13").GetProperty("vendors").GetProperty("hhi").GetDouble(), tokyo.GetProperty("vendors").GetProperty("hhi").GetDouble());
        Assert.Equal(HttpStatusCode.BadRequest, (await national.GetAsync("/api/v1/vendors/prefectures/48")).StatusCode);
        using var chiyoda = Client(host, Role.Municipality, "131016");
        Assert.Equal(HttpStatusCode.OK, (await chiyoda.GetAsync("/api/v1/vendors")).StatusCode); // a summary, like the forecast
        var page = await chiyoda.GetStringAsync("/planning/vendors");
        Assert.Contains("id=\"provider-shares\"", page, StringComparison.Ordinal);
        Assert.Contains("id=\"prefecture-concentration\"", page, StringComparison.Ordinal);
        Assert.Contains("id=\"vendor-shares\"", await chiyoda.GetStringAsync("/planning/vendors/27"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await chiyoda.GetAsync("/planning/vendors/99")).StatusCode);

        // Nothing kept yet.
        var empty = await national.GetFromJsonAsync<JsonElement>("/api/v1/forecast/coverage");
        Assert.Equal(0, empty.GetProperty("kept").GetInt32());

        // Keep today's forecast, then read it back from storage.
        var archive = host.Services.GetRequiredService<ForecastArchive>();
        var info = await archive.KeepNowAsync(CancellationToken.None);
        Assert.True(info.Systems > 10_000, $"{info.Systems} open systems kept");
        var kept = await host.Grains.GetGrain<IKeptForecastGrain>(IKeptForecastGrain.KeyOf(info.AsOf)).GetAsync();
        Assert.NotNull(kept);
        Assert.Equal(info.Systems, kept.Systems);
        var listed = Assert.Single(await host.Grains.GetGrain<IForecastArchiveGrain>(IForecastArchiveGrain.Key).ListAsync());
        Assert.Equal((info.AsOf, info.Systems, info.Trials), (listed.AsOf, listed.Systems, listed.Trials));

        // Five systems whose stored band starts this month (a go-live now is inside it) and five whose band starts later
        // (a go-live now is below it), each in its own municipality; they now go live.
        var bands = KeptForecasts.Systems(kept).ToList();
        var inside = bands.Where(b => b.Band.P10 == KeptForecasts.MonthEnd(kept.AsOf, 0)).DistinctBy(b => b.MunicipalityCode).Take(5).ToList();
        var below = bands.Where(b => b.Band.P10 > KeptForecasts.MonthEnd(kept.AsOf, 0) && inside.All(i => i.MunicipalityCode != b.MunicipalityCode))
            .DistinctBy(b => b.MunicipalityCode).Take(5).ToList();
        Assert.Equal(5, inside.Count);
        Assert.Equal(5, below.Count);
        foreach (var system in inside.Concat(below))
        {
            using var client = Client(host, Role.Municipality, system.MunicipalityCode);
            var municipality = await client.GetAsync($"/api/v1/municipalities/{system.MunicipalityCode}");
            Assert.Equal(HttpStatusCode.OK, municipality.StatusCode);
            using var put = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/municipalities/{system.MunicipalityCode}/systems/{system.BusinessId}")
            {
                Content = new StringContent("""{"phase":"in_production"}""", Encoding.UTF8, "application/json"),
            };
            put.Headers.TryAddWithoutValidation("If-Match", municipality.Headers.ETag!.Tag);
            using var answer = await client.SendAsync(put);
            Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{system.MunicipalityCode}/{system.BusinessId}: {answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
        }

        // The state (and the audit trail) is read again; the coverage comes from the stored forecast.
        await host.Services.GetRequiredService<ForecastService>().RefreshAsync(CancellationToken.None);
        var coverage = await national.GetFromJsonAsync<JsonElement>("/api/v1/forecast/coverage");
        output.WriteLine(coverage.ToString());
        Assert.Equal(1, coverage.GetProperty("kept").GetInt32());
        var judged = coverage.GetProperty("forecasts")[0];
        Assert.Equal(info.AsOf.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), judged.GetProperty("asOf").GetString());
        Assert.Equal(10, judged.GetProperty("assessed").GetInt32());
        Assert.Equal(5, judged.GetProperty("covered").GetInt32());
        Assert.Equal(0.5, judged.GetProperty("coverage").GetDouble(), 6);
        Assert.Equal(info.Systems - 10, judged.GetProperty("pending").GetInt32());

        var overview = await national.GetStringAsync("/planning");
        Assert.Contains("id=\"forecast-coverage\"", overview, StringComparison.Ordinal);
        Assert.Contains("data-assessed=\"10\" data-covered=\"5\"", overview, StringComparison.Ordinal);
        Assert.Contains("href=\"/planning/vendors\"", overview, StringComparison.Ordinal);
    }

    private static HttpClient Client(ReadinessWebHost host, Role role, string tenant)
    {
        var client = host.CreateHttpClient();
        client.Timeout = TimeSpan.FromMinutes(5);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", host.Token(role, tenant));
        return client;
    }
}
