using System.Globalization;
using System.Net;
using System.Text.Json;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A forecast says how fresh it is, and a municipality's own forecast starts from its current record. Before, the
/// forecast was served for up to MaxAgeMinutes from the figures read then, saying nothing: after a municipality moved
/// koseki back to testing its own forecast still showed it migrated, and the nation's remaining count was behind the
/// figures'.
/// </summary>
public sealed class ForecastFreshnessTests(ApiHost host) : IClassFixture<ApiHost>
{
    [Fact]
    public async Task A_municipalitys_own_forecast_reflects_its_write_at_once_and_the_others_say_they_are_behind()
    {
        using var staff = host.Municipality(ApiHost.Chiyoda, "forecast@city.chiyoda");
        using var national = host.National();
        await host.PutSystem(staff, ApiHost.Chiyoda, "koseki", """{"phase":"in_production","designated":false}""");

        // The forecast is computed now, with koseki migrated, and kept for MaxAgeMinutes (10).
        var before = await Get(national, $"/api/v1/forecast/municipalities/{ApiHost.Chiyoda}");
        Assert.True(System(before, "koseki").GetProperty("band").GetProperty("migrated").GetBoolean());
        var nationBefore = await Get(national, "/api/v1/forecast/nation");
        var computedAt = nationBefore.GetProperty("run").GetProperty("computedAt").GetDateTimeOffset();

        await host.PutSystem(staff, ApiHost.Chiyoda, "koseki", """{"phase":"testing","designated":false,"regressionReason":"再試験"}""");
        var (_, version) = await host.GetMunicipality(ApiHost.Chiyoda);

        // Its own forecast: from its current record, at once.
        var after = await Get(national, $"/api/v1/forecast/municipalities/{ApiHost.Chiyoda}");
        var koseki = System(after, "koseki");
        Assert.Equal("testing", koseki.GetProperty("phase").GetString());
        Assert.False(koseki.GetProperty("band").GetProperty("migrated").GetBoolean());
        Assert.True(after.GetProperty("municipality").GetProperty("remaining").GetInt32() >= 1);
        var own = after.GetProperty("run").GetProperty("freshness");
        Assert.True(own.GetProperty("upToDate").GetBoolean());
        Assert.Equal(version, own.GetProperty("figuresVersion").GetInt64());
        Assert.Equal(version, own.GetProperty("currentFiguresVersion").GetInt64());

        // The nation's and the prefecture's: still the figures read before (computed at the same time), and they say so.
        var figures = await Until(national, "/api/v1/nation", n => n.GetProperty("version").GetInt64() > nationBefore.GetProperty("run").GetProperty("freshness").GetProperty("figuresVersion").GetInt64());
        foreach (var path in new[] { "/api/v1/forecast/nation", "/api/v1/forecast/prefectures/13" })
        {
            var run = (await Get(national, path)).GetProperty("run");
            Assert.Equal(computedAt, run.GetProperty("computedAt").GetDateTimeOffset());
            var freshness = run.GetProperty("freshness");
            Assert.False(freshness.GetProperty("upToDate").GetBoolean(), path);
            Assert.True(freshness.GetProperty("currentFiguresVersion").GetInt64() > freshness.GetProperty("figuresVersion").GetInt64(), path);
            Assert.Equal(computedAt.AddMinutes(10), freshness.GetProperty("nextComputationAt").GetDateTimeOffset());
            Assert.StartsWith("この予測は最新の報告を反映していません（次回計算: ", freshness.GetProperty("noteJa").GetString(), StringComparison.Ordinal);
            Assert.StartsWith("This forecast does not reflect the latest reports (next computation: ", freshness.GetProperty("noteEn").GetString(), StringComparison.Ordinal);
        }

        Assert.True(figures.GetProperty("version").GetInt64() >= version);

        // The pages say the same: the time it was computed, and the note where it is behind.
        using var pages = await host.SignedInPagesAsync(host.Token(Role.National));
        var municipalityPage = await Html(pages, $"/planning/municipalities/{ApiHost.Chiyoda}");
        Assert.Contains("予測の計算時刻", municipalityPage, StringComparison.Ordinal);
        Assert.DoesNotContain("data-forecast-stale", municipalityPage, StringComparison.Ordinal);
        Assert.Contains(computedAt.ToOffset(TimeSpan.FromHours(9)).ToString("HH:mm", CultureInfo.InvariantCulture) + " JST", await Html(pages, "/planning"), StringComparison.Ordinal);
        foreach (var path in new[] { "/planning", "/planning/prefectures/13" })
        {
            var html = await Html(pages, path);
            Assert.Contains("予測の計算時刻", html, StringComparison.Ordinal);
            Assert.Contains("data-forecast-stale", html, StringComparison.Ordinal);
            Assert.Contains("この予測は最新の報告を反映していません", html, StringComparison.Ordinal);
        }
    }

    private static JsonElement System(JsonElement forecast, string businessId) =>
        forecast.GetProperty("systems").EnumerateArray().Single(s => s.GetProperty("businessId").GetString() == businessId);

    internal static async Task<JsonElement> Get(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await ApiHost.Json(response);
    }

    private static async Task<string> Html(HttpClient pages, string path)
    {
        using var response = await pages.GetAsync(path);
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {response.StatusCode}");
        return html;
    }

    /// <summary>The figures reach the nation within seconds of a write: reads until <paramref name="done"/> holds (at most 30 s).</summary>
    internal static async Task<JsonElement> Until(HttpClient client, string path, Func<JsonElement, bool> done)
    {
        JsonElement body = default;
        for (var attempt = 0; attempt < 60; attempt++)
        {
            using var response = await client.GetAsync(path);
            if (response.StatusCode == HttpStatusCode.OK && done(body = await ApiHost.Json(response)))
            {
                return body;
            }

            await Task.Delay(500);
        }

        Assert.Fail($"{path} never reached the expected figures: {body}");
        return body;
    }
}

/// <summary>
/// The systems a prefecture runs itself (都道府県が実施する事務) are forecast with its prefecture and the nation, as
/// the figures count them. Before, /api/v1/forecast/nation had one system fewer than /api/v1/nation's applicable ones
/// per reported prefecture-run system, and an unmigrated one did not hold back the prefecture's completion.
/// </summary>
public sealed class PrefectureRunForecastTests(ApiHost host) : IClassFixture<ApiHost>
{
    [Fact]
    public async Task The_forecast_counts_the_prefectures_own_systems_as_the_figures_do()
    {
        using var prefecture = host.Client(host.Token(Role.Prefecture, "13", "forecast@pref.tokyo"));
        using (var get = await prefecture.GetAsync("/api/v1/prefectures/13/systems/public_assistance"))
        {
            var version = long.Parse(get.Headers.ETag!.Tag.Trim('"'), CultureInfo.InvariantCulture);
            using var put = ApiHost.Request(HttpMethod.Put, "/api/v1/prefectures/13/systems/public_assistance", """{"phase":"fit_gap"}""", version);
            using var answer = await prefecture.SendAsync(put);
            Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{answer.StatusCode}: {await answer.Content.ReadAsStringAsync()}");
        }

        using var national = host.National();
        var nation = await ForecastFreshnessTests.Until(national, "/api/v1/nation", n => n.GetProperty("prefectureRun").GetProperty("applicableSystems").GetInt32() == 1);
        var forecast = await ForecastFreshnessTests.Get(national, "/api/v1/forecast/nation");
        Assert.Equal(nation.GetProperty("figures").GetProperty("applicableSystems").GetInt32(), forecast.GetProperty("nation").GetProperty("systems").GetInt32());
        Assert.Equal(nation.GetProperty("figures").GetProperty("applicableSystems").GetInt32() - nation.GetProperty("figures").GetProperty("migratedSystems").GetInt32(),
            forecast.GetProperty("nation").GetProperty("remaining").GetInt32());

        var figures = (await ForecastFreshnessTests.Get(national, "/api/v1/prefectures/13")).GetProperty("prefecture");
        var tokyo = await ForecastFreshnessTests.Get(national, "/api/v1/forecast/prefectures/13");
        Assert.Equal(figures.GetProperty("figures").GetProperty("applicableSystems").GetInt32() + figures.GetProperty("prefectureRun").GetProperty("applicableSystems").GetInt32(),
            tokyo.GetProperty("prefecture").GetProperty("systems").GetInt32());

        // Its row among the municipalities, named as the prefecture's own, not migrated, so Tokyo is not complete before it.
        var own = tokyo.GetProperty("municipalities").EnumerateArray().Single(m => m.GetProperty("code").GetString() == "130001");
        Assert.True(own.GetProperty("prefectureRun").GetBoolean());
        Assert.Equal("東京都（都道府県が実施する事務）", own.GetProperty("name").GetString());
        Assert.Equal(1, own.GetProperty("remaining").GetInt32());
        Assert.False(tokyo.GetProperty("prefecture").GetProperty("band").GetProperty("migrated").GetBoolean());
    }
}
