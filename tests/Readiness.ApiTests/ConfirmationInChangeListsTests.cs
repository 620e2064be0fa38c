using System.Net;
using System.Text.RegularExpressions;
using Readiness.Catalog;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A save that changes nothing is a confirmation (a report the 30-day stale rule counts; the form says
/// 「現状のまま確認済みとして記録しました」), and every list of changes names it so, with one word
/// (<see cref="Vocabulary.Confirmed"/>: 確認済み / Confirmed; <c>confirmed</c> in JSON and CSV), never 「変更なし」/"No change"
/// (a breaker's finding: the history pages said the confirmation was no change). Real host.
/// </summary>
public sealed class ConfirmationInChangeListsTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string M = "131059"; // 文京区

    [Fact]
    public async Task A_confirmation_is_named_one_way_on_every_list_of_changes()
    {
        using (var reporter = host.Municipality(M, "kakunin@city.bunkyo"))
        {
            await host.PutSystem(reporter, M, "koseki", """{"vendor":"株式会社確認試験"}""");
            await host.PutSystem(reporter, M, "koseki", """{"vendor":"株式会社確認試験"}"""); // the same value again: a confirmation
        }

        using var national = host.National();

        // The JSON: the municipality's history, its view's recent changes, the change feed of its prefecture.
        var history = (await ApiHost.Json(await national.GetAsync($"/api/v1/municipalities/{M}/history?limit=2"))).GetProperty("items");
        var confirmation = history[0].GetProperty("version").GetInt64();
        var change = history[1].GetProperty("version").GetInt64();
        Assert.True(history[0].GetProperty("confirmed").GetBoolean());
        Assert.False(history[1].GetProperty("confirmed").GetBoolean());
        var recent = (await host.GetMunicipality(M)).Body.GetProperty("recentChanges")[0];
        Assert.Equal(confirmation, recent.GetProperty("version").GetInt64());
        Assert.True(recent.GetProperty("confirmed").GetBoolean());
        var feed = (await ApiHost.Json(await national.GetAsync("/api/v1/prefectures/13/changes?limit=200"))).GetProperty("items").EnumerateArray()
            .Where(i => i.GetProperty("municipalityCode").GetString() == M).ToList();
        Assert.True(feed.Single(i => i.GetProperty("version").GetInt64() == confirmation).GetProperty("confirmed").GetBoolean());
        Assert.False(feed.Single(i => i.GetProperty("version").GetInt64() == change).GetProperty("confirmed").GetBoolean());

        // The CSVs: history.csv and the changes across the prefecture and the nation, a confirmed column.
        foreach (var path in new[] { $"/api/v1/municipalities/{M}/history.csv", "/api/v1/prefectures/13/changes.csv", "/api/v1/nation/changes.csv" })
        {
            var rows = AuditForgingTests.ParseCsv((await national.GetStringAsync(new Uri(path, UriKind.Relative))).TrimStart('\uFEFF'));
            var (version, confirmed) = (rows[0].IndexOf("version"), rows[0].IndexOf("confirmed"));
            Assert.True(confirmed >= 0, $"{path} has no confirmed column: {string.Join(",", rows[0])}");
            Assert.Equal("true", rows.Single(r => r[0] == M && r[version] == $"{confirmation}")[confirmed]);
            Assert.Equal("false", rows.Single(r => r[0] == M && r[version] == $"{change}")[confirmed]);
        }

        // The pages: the municipality's page and its history, the changes across its prefecture and the nation, in
        // both languages: the confirmation's row says the word, no row says "no change".
        using var pages = await host.SignedInPagesAsync(host.Token(Role.National));
        foreach (var path in new[] { $"/municipalities/{M}", $"/municipalities/{M}/history", "/prefectures/13/changes", "/changes" })
        {
            foreach (var (language, word, noChange) in new[] { ("ja", Vocabulary.Confirmed.Ja, "変更なし"), ("en", Vocabulary.Confirmed.En, "No change") })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, path);
                request.Headers.Add("Cookie", $"readiness-lang={language}");
                using var response = await pages.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
                var start = html.IndexOf("history-table", StringComparison.Ordinal);
                Assert.True(start >= 0, $"{path} ({language}) has no change table");
                var table = Regex.Replace(html[start..html.IndexOf("</table>", start, StringComparison.Ordinal)], @">\s+<", "><");
                // The area pages show a confirming report as one row (ConfirmationsInAreaFeedsTests), with its count.
                var key = path.EndsWith("changes", StringComparison.Ordinal) ? "data-confirmed-count=\"1\"" : "data-target=\"system:koseki\"";
                var rowStart = table.IndexOf($"data-version=\"{confirmation}\" {key}", StringComparison.Ordinal);
                Assert.True(rowStart >= 0, $"{path} ({language}) has no row for version {confirmation}");
                var row = table[rowStart..table.IndexOf("</tr>", rowStart, StringComparison.Ordinal)];
                Assert.Contains($"data-confirmed=\"true\">{word}</td>", row, StringComparison.Ordinal);
                Assert.DoesNotContain(noChange, table, StringComparison.Ordinal);
            }
        }
    }
}
