using System.Net;
using System.Text;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// Where the figures come from, the same everywhere (a breaker's finding, M3): after 千代田区 reported a system the
/// detailed export's row said <c>municipality_report</c>, but the API's municipality, the prefecture's JSON and table CSV
/// and the page's 「データの出所」 still said <c>public_baseline</c>. Every one derives it from the export's rule now.
/// Real host; 中央区 is left unreported and stays <c>public_baseline</c>.
/// </summary>
public sealed class ReportedOriginTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string Reported = ApiHost.Chiyoda;
    private const string Unreported = ApiHost.Chuo;

    [Fact]
    public async Task The_api_says_municipality_report_for_a_municipality_that_reported()
    {
        await ReportAsync();
        var (body, _) = await host.GetMunicipality(Reported);
        Assert.Equal("municipality_report", body.GetProperty("origin").GetString());
        Assert.Equal("public_baseline", (await host.GetMunicipality(Unreported)).Body.GetProperty("origin").GetString());
    }

    [Fact]
    public async Task The_prefecture_table_and_its_json_say_municipality_report_for_a_municipality_that_reported()
    {
        await ReportAsync();

        // The prefecture's figures follow the municipality's summary: read them once the report reached them.
        var table = await SteadyTableAsync();
        var header = table[0];
        var origin = header.IndexOf("origin");
        Assert.Equal("municipality_report", table.Single(r => r[0] == Reported)[origin]);
        Assert.Equal("public_baseline", table.Single(r => r[0] == Unreported)[origin]);

        using (var national = host.National())
        {
            var prefecture = await ApiHost.Json(await national.GetAsync("/api/v1/prefectures/13"));
            var items = prefecture.GetProperty("items").EnumerateArray().ToDictionary(i => i.GetProperty("code").GetString()!, i => i.GetProperty("origin").GetString());
            Assert.Equal("municipality_report", items[Reported]);
            Assert.Equal("public_baseline", items[Unreported]);
        }
    }

    [Fact]
    public async Task The_page_says_where_the_figures_come_from_per_system_by_the_same_rule()
    {
        await ReportAsync();

        // The page says it in words, and how many systems each origin covers (the export's rule per row).
        using var pages = await host.SignedInPagesAsync(host.Token(Role.National));
        foreach (var (language, reported, baseline) in new[] { ("ja", "市区町村の報告", "公開データ（初期値）"), ("en", "Municipality's report", "Public baseline") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/municipalities/{Reported}");
            request.Headers.Add("Cookie", $"readiness-lang={language}");
            using var response = await pages.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
            var start = html.IndexOf("id=\"provenance-heading\"", StringComparison.Ordinal);
            Assert.True(start >= 0, "the page has no provenance heading");
            var section = System.Text.RegularExpressions.Regex.Replace(html[start..html.IndexOf("</section>", start, StringComparison.Ordinal)], @">\s+<", "><");
            Assert.Contains($"data-origin=\"municipality_report\">{reported}</span>", section, StringComparison.Ordinal);
            Assert.Contains($"<li data-origin=\"municipality_report\">{reported}: 1</li>", section, StringComparison.Ordinal);
            Assert.Contains($"<li data-origin=\"public_baseline\">{baseline}: 19</li>", section, StringComparison.Ordinal);
        }
    }

    // The same report in each test (whichever runs first makes it; a repeat changes nothing).
    private async Task ReportAsync()
    {
        using var reporter = host.Municipality(Reported);
        await host.PutSystem(reporter, Reported, "koseki", """{"phase":"testing","plannedGoLive":"2027-03-01","vendor":"株式会社出所試験","hosting":"government_cloud","notApplicable":false,"designated":false}""");
    }

    private async Task<List<List<string>>> SteadyTableAsync()
    {
        using var national = host.National();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            using var response = await national.GetAsync("/api/v1/prefectures/13/municipalities.csv");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            var rows = AuditForgingTests.ParseCsv(Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3));
            var reportedAt = rows[0].IndexOf("last_reported_at_utc");
            if (rows.Single(r => r[0] == Reported)[reportedAt] != string.Empty || DateTime.UtcNow > deadline)
            {
                return rows;
            }

            await Task.Delay(TimeSpan.FromSeconds(2));
        }
    }
}
