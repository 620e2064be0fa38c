using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Readiness.Rules;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// GET /api/v1/nation/history's entry for today is the live nation, the figures GET /api/v1/nation answers, not the
/// snapshot taken at start-up (a breaker's finding: it disagreed with the nation all day until 23:50 JST); its ETag
/// moves when today's figures move. Real host.
/// </summary>
public sealed class NationHistoryTodayTests(ApiHost host) : IClassFixture<ApiHost>
{
    [Fact]
    public async Task Todays_entry_is_the_live_nation_and_its_etag_moves_with_a_report()
    {
        using var national = host.National();
        var today = ReadinessRules.TodayInJapan(DateTimeOffset.UtcNow).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var (nation, etag) = await LiveAndToday(national, today);

        // A report moves the nation (the start-up snapshot stays as it was): today's entry follows, with a new ETag.
        using (var staff = host.Municipality(ApiHost.Chuo, "history@city.chuo"))
        {
            await host.PutSystem(staff, ApiHost.Chuo, "koseki", """{"phase":"in_production"}""");
        }

        await ForecastFreshnessTests.Until(national, "/api/v1/nation", n => n.GetProperty("version").GetInt64() > nation.GetProperty("version").GetInt64());
        var (after, etagAfter) = await LiveAndToday(national, today);
        Assert.NotEqual(etag, etagAfter);
        Assert.NotEqual(nation.GetProperty("figures").GetRawText(), after.GetProperty("figures").GetRawText());

        // The old validator no longer matches: the changed history is sent again, not 304.
        using var conditional = new HttpRequestMessage(HttpMethod.Get, "/api/v1/nation/history");
        conditional.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Parse(etag));
        using var response = await national.SendAsync(conditional);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>
    /// GET /api/v1/nation and today's history entry, asserted equal: read between two reads of the nation that agree
    /// (the summaries may refresh between two requests; then it reads again).
    /// </summary>
    private static async Task<(JsonElement Nation, string ETag)> LiveAndToday(HttpClient client, string today)
    {
        for (var attempt = 0; ; attempt++)
        {
            var before = (await ForecastFreshnessTests.Get(client, "/api/v1/nation")).GetRawText();
            var (entry, etag) = await Today(client, today);
            var after = await ForecastFreshnessTests.Get(client, "/api/v1/nation");
            if (before == after.GetRawText() || attempt == 20)
            {
                Assert.Equal(after.GetRawText(), entry.GetRawText());
                return (after, etag);
            }
        }
    }

    private static async Task<(JsonElement Nation, string ETag)> Today(HttpClient client, string today)
    {
        using var response = await client.GetAsync(new Uri("/api/v1/nation/history", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var days = (await ApiHost.Json(response)).GetProperty("days");
        var entry = days.EnumerateArray().Single(d => d.GetProperty("day").GetString() == today);
        Assert.Equal(today, days[days.GetArrayLength() - 1].GetProperty("day").GetString());
        return (entry.GetProperty("nation"), response.Headers.ETag!.Tag);
    }
}
