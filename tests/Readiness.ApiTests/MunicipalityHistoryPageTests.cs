using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Readiness.Catalog;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A municipality's whole change history for people (the municipality page showed only the newest 50 changes and
/// offered no download): /municipalities/{code}/history pages through the API's trail, newest first, 50 a page with
/// 次へ and 最新へ; the municipality page links to it and to a CSV that answers the signed-in browser session; another
/// municipality's staff are refused; a cursor that is not one is said in both languages (400), never a 5xx. Real host.
/// </summary>
public sealed partial class MunicipalityHistoryPageTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string M = "131041"; // 新宿区: nothing else in this class writes it

    private static readonly SemaphoreSlim Once = new(1, 1);
    private static bool written;

    /// <summary>
    /// 65 changes: three whole reports of 20 checklist items each (20 entries at one version, so a page boundary falls
    /// between entries of one version) and five single changes.
    /// </summary>
    private async Task WriteSixtyFiveChangesAsync()
    {
        await Once.WaitAsync();
        try
        {
            if (written)
            {
                return;
            }

            using var reporter = host.Municipality(M, "history@city.shinjuku");
            var items = ReadinessCatalog.Instance.SecurityItems.Take(20).Select(i => i.Id).ToList();
            foreach (var (status, n) in new[] { ("partial", 1), ("implemented", 2), ("not_implemented", 3) })
            {
                var body = JsonSerializer.Serialize(new { security = items.Select(id => new { itemId = id, status }) });
                using var report = await reporter.SendAsync(ApiHost.Request(HttpMethod.Post, $"/api/v1/municipalities/{M}/reports", body, idempotencyKey: $"history-page-{n}", anyVersion: true));
                Assert.True(report.StatusCode == HttpStatusCode.OK, await report.Content.ReadAsStringAsync());
            }

            foreach (var phase in new[] { "testing", "in_production", "testing", "in_production", "testing" })
            {
                await host.PutSystem(reporter, M, "koseki", $$"""{"phase":"{{phase}}","designated":false,"regressionReason":"履歴ページ試験"}""");
            }

            written = true;
        }
        finally
        {
            Once.Release();
        }
    }

    /// <summary>The whole trail as the API pages it, newest first: (version, target) of each entry.</summary>
    private async Task<List<(long Version, string Target)>> ApiTrailAsync()
    {
        using var national = host.National();
        var all = new List<(long, string)>();
        string? cursor = null;
        do
        {
            var body = JsonDocument.Parse(await national.GetStringAsync($"/api/v1/municipalities/{M}/history?limit=200" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)))).RootElement;
            all.AddRange(body.GetProperty("items").EnumerateArray().Select(e => (e.GetProperty("version").GetInt64(), e.GetProperty("target").GetString()!)));
            cursor = body.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);
        return all;
    }

    private static async Task<(HttpStatusCode Status, string Html)> GetPageAsync(HttpClient client, string path, string language = "ja")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        request.Headers.Add("Cookie", $"readiness-lang={language}");
        using var response = await client.SendAsync(request);
        return (response.StatusCode, WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()));
    }

    [GeneratedRegex("<tr data-version=\"(\\d+)\" data-target=\"([^\"]+)\"")]
    private static partial Regex Row();

    [GeneratedRegex("<a class=\"button-secondary\" rel=\"next\" href=\"([^\"]+)\"")]
    private static partial Regex NextLink();

    [Fact]
    public async Task More_than_fifty_changes_are_all_reachable_page_by_page_with_no_duplicate_or_gap()
    {
        await WriteSixtyFiveChangesAsync();
        var expected = await ApiTrailAsync();
        Assert.True(expected.Count >= 65, $"the trail has {expected.Count} entries");

        using var pages = await host.SignedInPagesAsync(host.Token(Role.Prefecture, "13"));
        var seen = new List<(long, string)>();
        var path = $"/municipalities/{M}/history";
        var pageCount = 0;
        while (true)
        {
            var (status, html) = await GetPageAsync(pages, path);
            Assert.True(status == HttpStatusCode.OK, $"{path}: {(int)status}");
            pageCount++;
            var rows = Row().Matches(html).Select(m => (long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups[2].Value)).ToList();
            Assert.InRange(rows.Count, 1, 50);
            seen.AddRange(rows);
            Assert.Contains($"全 {expected.Count} 件", html, StringComparison.Ordinal);
            if (pageCount > 1)
            {
                Assert.Contains($"href=\"/municipalities/{M}/history\" data-newest>最新へ", html, StringComparison.Ordinal);
            }

            var next = NextLink().Match(html);
            if (!next.Success)
            {
                break;
            }

            Assert.Contains("次へ", html[next.Index..], StringComparison.Ordinal);
            path = next.Groups[1].Value;
            Assert.True(pageCount < 10, "the pages do not end");
        }

        Assert.True(pageCount >= 2, "more than 50 changes take more than one page");
        Assert.Equal(expected, seen); // the same entries in the same order: none twice, none left out

        // The first page in English says the same in English (the words of the recent-changes table).
        var (_, english) = await GetPageAsync(pages, $"/municipalities/{M}/history", "en");
        Assert.Contains("Change history of", english, StringComparison.Ordinal);
        Assert.Contains("Next (earlier changes)", english, StringComparison.Ordinal);
        Assert.Contains("<dt>Status</dt>", english, StringComparison.Ordinal);
    }

    /// <summary>
    /// Each page of the history links programs to the API's page of the same rows (its cursor), as the changes pages do
    /// (a breaker's finding: the changes page's link gave the newest page). Failed before: the history page had no link.
    /// </summary>
    [Fact]
    public async Task Each_history_page_links_to_the_api_page_of_the_rows_it_shows()
    {
        await WriteSixtyFiveChangesAsync();
        using var pages = await host.SignedInPagesAsync(host.Token(Role.Prefecture, "13"));
        using var national = host.National();
        var path = $"/municipalities/{M}/history";
        for (var n = 1; n <= 2; n++)
        {
            var (status, html) = await GetPageAsync(pages, path);
            Assert.Equal(HttpStatusCode.OK, status);
            var rows = Row().Matches(html).Select(m => (long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups[2].Value)).ToList();
            var link = Regex.Match(html, $"href=\"(/api/v1/municipalities/{M}/history(?:\\?[^\"]*)?)\" data-api>");
            Assert.True(link.Success, $"page {n} links to the API");
            var body = JsonDocument.Parse(await national.GetStringAsync(link.Groups[1].Value)).RootElement;
            Assert.Equal(rows, body.GetProperty("items").EnumerateArray().Select(e => (e.GetProperty("version").GetInt64(), e.GetProperty("target").GetString()!)).ToList());
            path = NextLink().Match(html).Groups[1].Value;
            Assert.True(n == 2 || path.Length > 0, "more than 50 changes take more than one page");
        }
    }

    [Fact]
    public async Task The_municipality_pages_download_link_answers_the_whole_trail_as_csv_to_the_browser_session()
    {
        await WriteSixtyFiveChangesAsync();
        var expected = await ApiTrailAsync();

        using var pages = await host.SignedInPagesAsync(host.Token(Role.Municipality, M));
        var (status, html) = await GetPageAsync(pages, $"/municipalities/{M}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains($"<a href=\"/municipalities/{M}/history\" data-full-history>すべての変更履歴</a>", html, StringComparison.Ordinal);
        var link = Regex.Match(html, "data-history-csv href=\"([^\"]+)\" download>CSVをダウンロード");
        Assert.True(link.Success, "the recent changes offer the CSV");

        using var download = await pages.GetAsync(link.Groups[1].Value);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("text/csv", download.Content.Headers.ContentType?.MediaType);
        var bytes = await download.Content.ReadAsByteArrayAsync();
        var rows = AuditForgingTests.ParseCsv(Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3));
        Assert.Equal("municipality_code", rows[0][0]);
        Assert.Equal(expected, rows.Skip(1).Select(r => (long.Parse(r[1], System.Globalization.CultureInfo.InvariantCulture), r[6])).ToList());

        // The same bytes as the API's history.csv: one writer.
        using var national = host.National();
        Assert.Equal(await national.GetByteArrayAsync($"/api/v1/municipalities/{M}/history.csv"), bytes);

        // The API's address answers the cookie session too (the policy scheme forwards a request without a bearer
        // token to the cookie); the page's address is the one a person gets: sign-in and the 403 page, not JSON.
        using var api = await pages.GetAsync($"/api/v1/municipalities/{M}/history.csv");
        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
        Assert.Equal(bytes, await api.Content.ReadAsByteArrayAsync());

        // The history page offers the same download.
        var (_, history) = await GetPageAsync(pages, $"/municipalities/{M}/history");
        Assert.Contains($"data-history-csv href=\"/municipalities/{M}/history.csv\" download", history, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_municipalitys_staff_are_refused_the_page_and_the_download()
    {
        using var other = await host.SignedInPagesAsync(host.Token(Role.Municipality, ApiHost.Chuo));
        var (status, html) = await GetPageAsync(other, $"/municipalities/{M}/history");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains($"団体コード「{M}」の詳細を閲覧する権限がありません", html, StringComparison.Ordinal);
        Assert.DoesNotContain("data-version=", html, StringComparison.Ordinal);

        using var csv = await other.GetAsync($"/municipalities/{M}/history.csv");
        Assert.Equal(HttpStatusCode.Forbidden, csv.StatusCode);
        Assert.DoesNotContain("municipality_code", await csv.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Not signed in: the sign-in page with the way back.
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = host.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/municipalities/{M}/history");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        using var signIn = await anonymous.SendAsync(request);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Contains("history", signIn.Headers.Location?.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("%25%25%25")]
    [InlineData("eHx5")] // "x|y": a version that is not a number
    [InlineData("MTI")] // "12": no target
    public async Task A_cursor_that_is_not_one_is_said_in_both_languages_with_a_way_to_the_newest(string cursor)
    {
        using var pages = await host.SignedInPagesAsync(host.Token(Role.National));
        foreach (var (language, first, second) in new[] { ("ja", "cursor は", "cursor must be"), ("en", "cursor must be", "cursor は") })
        {
            var (status, html) = await GetPageAsync(pages, $"/municipalities/{M}/history?cursor={cursor}", language);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            var notice = html.IndexOf("data-refused=\"cursor\"", StringComparison.Ordinal);
            Assert.True(notice > 0, "the page says the cursor is refused");
            var text = html[notice..];
            Assert.True(text.IndexOf(first, StringComparison.Ordinal) is >= 0 and var a && a < text.IndexOf(second, StringComparison.Ordinal), $"{language}: {first} before {second}");
            Assert.Contains($"href=\"/municipalities/{M}/history\" data-without>", text, StringComparison.Ordinal);
            Assert.DoesNotContain("<tr data-version=", html, StringComparison.Ordinal);
        }
    }
}
