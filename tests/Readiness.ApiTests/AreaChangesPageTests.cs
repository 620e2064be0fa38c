using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Readiness.Catalog;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// Prefecture staff could read only the newest 20 changes across their municipalities (the 「最近の変更」 panel) and
/// had to go to the JSON API for more. /prefectures/{code}/changes and /changes page through the API feed's trail (the
/// same query and cursor), newest first, 50 a page with 次へ and 最新へ, with the whole area trail as CSV
/// (/api/v1/…/changes.csv and the dashboard's same-bytes download), for the prefecture, national staff and
/// administrators only; a cursor that is not one is said in both languages (400). Real host.
/// </summary>
public sealed partial class AreaChangesPageTests(ApiHost host) : IClassFixture<ApiHost>
{
    private static readonly SemaphoreSlim Once = new(1, 1);
    private static bool written;

    /// <summary>
    /// 62 changes: three whole reports of 20 checklist items in 千代田区 (a page boundary falls between the entries of
    /// one version), one system change in 中央区 (the same prefecture) and one in 大阪市 (another).
    /// </summary>
    private async Task WriteChangesAsync()
    {
        await Once.WaitAsync();
        try
        {
            if (written)
            {
                return;
            }

            using var chiyoda = host.Municipality(ApiHost.Chiyoda, "area@city.chiyoda");
            var items = ReadinessCatalog.Instance.SecurityItems.Take(20).Select(i => i.Id).ToList();
            foreach (var (status, n) in new[] { ("partial", 1), ("implemented", 2), ("not_implemented", 3) })
            {
                var body = JsonSerializer.Serialize(new { security = items.Select(id => new { itemId = id, status }) });
                using var report = await chiyoda.SendAsync(ApiHost.Request(HttpMethod.Post, $"/api/v1/municipalities/{ApiHost.Chiyoda}/reports", body, idempotencyKey: $"area-page-{n}", anyVersion: true));
                Assert.True(report.StatusCode == HttpStatusCode.OK, await report.Content.ReadAsStringAsync());
            }

            using var chuo = host.Municipality(ApiHost.Chuo, "area@city.chuo");
            await host.PutSystem(chuo, ApiHost.Chuo, "koseki", """{"vendor":"中央ベンダ"}""");
            using var osaka = host.Municipality(ApiHost.Osaka, "area@city.osaka");
            await host.PutSystem(osaka, ApiHost.Osaka, "koseki", """{"vendor":"大阪ベンダ"}""");
            written = true;
        }
        finally
        {
            Once.Release();
        }
    }

    /// <summary>The area's whole trail as the API feed pages it, newest first: (municipality, version, target) of each entry.</summary>
    private async Task<List<(string Code, long Version, string Target)>> ApiTrailAsync(string path)
    {
        using var national = host.National();
        var all = new List<(string, long, string)>();
        string? cursor = null;
        do
        {
            var body = JsonDocument.Parse(await national.GetStringAsync($"{path}?limit=200" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)))).RootElement;
            all.AddRange(body.GetProperty("items").EnumerateArray().Select(e => (e.GetProperty("municipalityCode").GetString()!, e.GetProperty("version").GetInt64(), e.GetProperty("target").GetString()!)));
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

    [GeneratedRegex("<tr data-version=\"(\\d+)\" data-target=\"([^\"]+)\">\\s*<td data-code=\"(\\d+)\"")]
    private static partial Regex Row();

    [GeneratedRegex("<a class=\"button-secondary\" rel=\"next\" href=\"([^\"]+)\"")]
    private static partial Regex NextLink();

    /// <summary>Walks the page's 次へ links from <paramref name="path"/>: every row, and how many pages.</summary>
    private static async Task<(List<(string Code, long Version, string Target)> Rows, int Pages)> WalkAsync(HttpClient pages, string path)
    {
        var first = path;
        var seen = new List<(string, long, string)>();
        var count = 0;
        while (true)
        {
            var (status, html) = await GetPageAsync(pages, path);
            Assert.True(status == HttpStatusCode.OK, $"{path}: {(int)status}");
            count++;
            var rows = Row().Matches(html).Select(m => (m.Groups[3].Value, long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), m.Groups[2].Value)).ToList();
            Assert.InRange(rows.Count, 1, 50);
            seen.AddRange(rows);
            if (count > 1)
            {
                Assert.Contains($"href=\"{first}\" data-newest>最新へ", html, StringComparison.Ordinal);
            }

            var next = NextLink().Match(html);
            if (!next.Success)
            {
                break;
            }

            Assert.Contains("次へ", html[next.Index..], StringComparison.Ordinal);
            path = next.Groups[1].Value;
            Assert.True(count < 10, "the pages do not end");
        }

        return (seen, count);
    }

    [Fact]
    public async Task The_prefecture_pages_through_every_change_across_its_municipalities_from_the_panel()
    {
        await WriteChangesAsync();
        var expected = await ApiTrailAsync("/api/v1/prefectures/13/changes");
        Assert.True(expected.Count >= 61, $"the prefecture's trail has {expected.Count} entries");

        using var pages = await host.SignedInPagesAsync(host.Token(Role.Prefecture, "13"));
        var (_, prefecturePage) = await GetPageAsync(pages, "/prefectures/13");
        Assert.Contains("href=\"/prefectures/13/changes\" data-area-changes-more>すべての変更", prefecturePage, StringComparison.Ordinal);

        var (rows, count) = await WalkAsync(pages, "/prefectures/13/changes");
        Assert.True(count >= 2, "more than 50 changes take more than one page");
        Assert.Equal(expected, rows); // the API's entries in the API's order: none twice, none left out
        Assert.DoesNotContain(rows, r => r.Code == ApiHost.Osaka);

        var (_, html) = await GetPageAsync(pages, "/prefectures/13/changes");
        Assert.Contains("東京都と市区町村の変更履歴", html, StringComparison.Ordinal);
        Assert.Contains($"<a href=\"/municipalities/{ApiHost.Chiyoda}\">千代田区</a>", html, StringComparison.Ordinal);
        Assert.Contains("data-area-changes-csv href=\"/prefectures/13/changes.csv\" download", html, StringComparison.Ordinal);

        // The same page in English.
        var (_, english) = await GetPageAsync(pages, "/prefectures/13/changes", "en");
        Assert.Contains("Changes across Tokyo and its municipalities", english, StringComparison.Ordinal);
        Assert.Contains("Next (earlier changes)", english, StringComparison.Ordinal);
    }

    [GeneratedRegex("href=\"(/api/v1/(?:nation|prefectures/\\d\\d)/changes(?:\\?[^\"]*)?)\"")]
    private static partial Regex ApiLink();

    /// <summary>The rows of a page's changes table: (municipality, version, target), in the page's order.</summary>
    private static List<(string Code, long Version, string Target)> Rows(string html) =>
        [.. Row().Matches(html).Select(m => (m.Groups[3].Value, long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), m.Groups[2].Value))];

    /// <summary>
    /// The link for programs on a changes page answers the rows that page shows, page after page, and the 「最近の変更」
    /// panel's answers the panel's rows (a breaker's finding: the changes page's API link gave the newest page whatever
    /// page was shown, and the panel's 50 changes where it showed 20). Failed before: on the second page the link's
    /// items were the first page's; the panel's link answered 50 items.
    /// </summary>
    [Theory]
    [InlineData("/prefectures/13/changes", "/prefectures/13")]
    [InlineData("/changes", "/")]
    public async Task The_api_link_of_a_changes_page_or_panel_answers_the_rows_shown(string path, string panelPage)
    {
        await WriteChangesAsync();
        using var pages = await host.SignedInPagesAsync(host.Token(Role.National));
        using var national = host.National();
        async Task<List<(string, long, string)>> FollowAsync(string html)
        {
            var link = ApiLink().Match(html);
            Assert.True(link.Success, "the page links to the API");
            var body = JsonDocument.Parse(await national.GetStringAsync(link.Groups[1].Value)).RootElement;
            return [.. body.GetProperty("items").EnumerateArray().Select(e => (e.GetProperty("municipalityCode").GetString()!, e.GetProperty("version").GetInt64(), e.GetProperty("target").GetString()!))];
        }

        var shown = path;
        for (var n = 1; n <= 2; n++)
        {
            var (status, html) = await GetPageAsync(pages, shown);
            Assert.Equal(HttpStatusCode.OK, status);
            var rows = Rows(html);
            Assert.NotEmpty(rows);
            Assert.True(rows.SequenceEqual(await FollowAsync(html)), $"page {n} ({shown}): the API link answers other rows than the page shows");
            var next = NextLink().Match(html);
            Assert.True(next.Success || n == 2, "more than 50 changes take more than one page");
            shown = next.Groups[1].Value;
        }

        var (_, panel) = await GetPageAsync(pages, panelPage);
        var panelRows = Rows(panel);
        Assert.Equal(20, panelRows.Count);
        Assert.Equal(panelRows, await FollowAsync(panel));
    }

    [Fact]
    public async Task National_staff_and_administrators_page_through_the_nations_changes()
    {
        await WriteChangesAsync();
        var expected = await ApiTrailAsync("/api/v1/nation/changes");
        foreach (var token in new[] { host.Token(Role.National), host.Token(Role.Admin) })
        {
            using var pages = await host.SignedInPagesAsync(token);
            var (rows, count) = await WalkAsync(pages, "/changes");
            Assert.True(count >= 2);
            Assert.Equal(expected, rows);
            Assert.Contains(rows, r => r.Code == ApiHost.Osaka);
            var (_, overview) = await GetPageAsync(pages, "/");
            Assert.Contains("href=\"/changes\" data-area-changes-more>", overview, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Others_get_the_403_page_or_the_sign_in_page_and_no_changes()
    {
        await WriteChangesAsync();
        using var municipality = await host.SignedInPagesAsync(host.Token(Role.Municipality, ApiHost.Chiyoda));
        using var otherPrefecture = await host.SignedInPagesAsync(host.Token(Role.Prefecture, "27"));
        using var prefecture = await host.SignedInPagesAsync(host.Token(Role.Prefecture, "13"));
        foreach (var (client, path, message) in new[]
        {
            (municipality, "/prefectures/13/changes", "都道府県「13」の市区町村の変更履歴を閲覧する権限がありません"),
            (otherPrefecture, "/prefectures/13/changes", "都道府県「13」の市区町村の変更履歴を閲覧する権限がありません"),
            (prefecture, "/changes", "全国の変更履歴は国の職員（national）と管理者（admin）だけが閲覧できます"),
            (municipality, "/changes", "全国の変更履歴は国の職員（national）と管理者（admin）だけが閲覧できます"),
        })
        {
            var (status, html) = await GetPageAsync(client, path);
            Assert.True(status == HttpStatusCode.Forbidden, $"{path}: {(int)status}");
            Assert.Contains(message, html, StringComparison.Ordinal);
            Assert.DoesNotContain("data-version=", html, StringComparison.Ordinal);

            using var csv = await client.GetAsync(new Uri(path + ".csv", UriKind.Relative));
            Assert.Equal(HttpStatusCode.Forbidden, csv.StatusCode);
            Assert.DoesNotContain("municipality_code", await csv.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // Not signed in: the sign-in page with the way back.
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = host.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/prefectures/13/changes");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        using var signIn = await anonymous.SendAsync(request);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Contains("changes", signIn.Headers.Location?.ToString(), StringComparison.Ordinal);

        // A prefecture that does not exist: the not-found page.
        using var national = await host.SignedInPagesAsync(host.Token(Role.National));
        var (missing, _) = await GetPageAsync(national, "/prefectures/48/changes");
        Assert.Equal(HttpStatusCode.NotFound, missing);
    }

    [Theory]
    [InlineData("/prefectures/13/changes", "abc")]
    [InlineData("/prefectures/13/changes", "MTJ8eA")] // "12|x": a municipality history's cursor, not this feed's
    [InlineData("/changes", "Y2hhbmdlczotMQ")] // "changes:-1"
    [InlineData("/changes", "%25%25%25")]
    public async Task A_cursor_that_is_not_one_is_said_in_both_languages_with_a_way_to_the_newest(string path, string cursor)
    {
        using var pages = await host.SignedInPagesAsync(host.Token(Role.National));
        foreach (var (language, first, second) in new[] { ("ja", "cursor は", "cursor must be"), ("en", "cursor must be", "cursor は") })
        {
            var (status, html) = await GetPageAsync(pages, $"{path}?cursor={cursor}", language);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            var notice = html.IndexOf("data-refused=\"cursor\"", StringComparison.Ordinal);
            Assert.True(notice > 0, "the page says the cursor is refused");
            var text = html[notice..];
            Assert.True(text.IndexOf(first, StringComparison.Ordinal) is >= 0 and var a && a < text.IndexOf(second, StringComparison.Ordinal), $"{language}: {first} before {second}");
            Assert.Contains($"href=\"{path}\" data-without>", text, StringComparison.Ordinal);
            Assert.DoesNotContain("<tr data-version=", html, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_csv_holds_the_whole_area_trail_in_the_feeds_order_with_the_history_columns_and_answers_304()
    {
        await WriteChangesAsync();
        var expected = await ApiTrailAsync("/api/v1/prefectures/13/changes");
        using var prefecture = host.Client(host.Token(Role.Prefecture, "13"));
        using var response = await prefecture.GetAsync(new Uri("/api/v1/prefectures/13/changes.csv", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("changes-13.csv", response.Content.Headers.ContentDisposition?.ToString(), StringComparison.Ordinal);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        var rows = AuditForgingTests.ParseCsv(Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3));

        // history.csv's columns, with the municipality's name after its code and, last, whether the prefecture runs the
        // system and how many entries a confirming report shown as one row stands for (none here: no confirmation).
        using var national = host.National();
        var history = await national.GetByteArrayAsync($"/api/v1/municipalities/{ApiHost.Chiyoda}/history.csv");
        var historyRows = AuditForgingTests.ParseCsv(Encoding.UTF8.GetString(history, 3, history.Length - 3));
        // at_jst (at_utc in Japan time) was added to both since: each file's last column.
        Assert.Equal("at_jst", historyRows[0][^1]);
        Assert.Equal(new[] { "municipality_code", "municipality_name" }.Concat(historyRows[0].Skip(1).SkipLast(1)).Append("prefecture_run").Append("confirmed_count").Append("at_jst").ToList(), rows[0].ToList());
        Assert.Equal(expected, rows.Skip(1).Select(r => (r[0], long.Parse(r[2], CultureInfo.InvariantCulture), r[7])).ToList());
        Assert.Contains(rows, r => r[0] == ApiHost.Chiyoda && r[1] == "千代田区" && r[^3] == "false" && r[^2] == "");
        Assert.Contains(rows, r => r[0] == ApiHost.Chuo && r[1] == "中央区" && r[9].Contains("中央ベンダ", StringComparison.Ordinal));

        // Each of 千代田区's rows is a row of its history.csv with the name, the mark and the empty count added (the order within a version may differ).
        var chiyodaRows = rows.Skip(1).Where(r => r[0] == ApiHost.Chiyoda).Select(r => string.Join("\u001f", r.Where((_, i) => i != 1 && i < r.Count - 3).Append(r[^1]))).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(historyRows.Skip(1).Select(r => string.Join("\u001f", r)).Order(StringComparer.Ordinal).ToList(), chiyodaRows);

        // Conditional: the same tag answers 304 without a body until a change in the prefecture is committed.
        var tag = response.Headers.ETag;
        Assert.NotNull(tag);
        using (var again = new HttpRequestMessage(HttpMethod.Get, "/api/v1/prefectures/13/changes.csv"))
        {
            again.Headers.IfNoneMatch.Add(tag);
            using var notModified = await prefecture.SendAsync(again);
            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
            Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
        }

        // A change in another prefecture leaves the file as it was; one in the prefecture changes it.
        using var osakaStaff = host.Municipality(ApiHost.Osaka, "area@city.osaka");
        await host.PutSystem(osakaStaff, ApiHost.Osaka, "resident_registry", """{"vendor":"大阪ベンダ2"}""");
        Assert.Equal(HttpStatusCode.NotModified, await ConditionalStatusAsync(prefecture, "/api/v1/prefectures/13/changes.csv", tag));
        using var chuo = host.Municipality(ApiHost.Chuo, "area@city.chuo");
        await host.PutSystem(chuo, ApiHost.Chuo, "resident_registry", """{"vendor":"中央ベンダ2"}""");
        Assert.Equal(HttpStatusCode.OK, await ConditionalStatusAsync(prefecture, "/api/v1/prefectures/13/changes.csv", tag));
        bytes = await prefecture.GetByteArrayAsync("/api/v1/prefectures/13/changes.csv");

        // The dashboard's download: the same bytes to the browser session.
        using var pages = await host.SignedInPagesAsync(host.Token(Role.Prefecture, "13"));
        Assert.Equal(bytes, await pages.GetByteArrayAsync("/prefectures/13/changes.csv"));

        // The nation's file: every area, national staff and administrators only.
        var nation = await national.GetByteArrayAsync("/api/v1/nation/changes.csv");
        var nationRows = AuditForgingTests.ParseCsv(Encoding.UTF8.GetString(nation, 3, nation.Length - 3));
        Assert.Equal(rows[0], nationRows[0]);
        Assert.Equal(await ApiTrailAsync("/api/v1/nation/changes"), nationRows.Skip(1).Select(r => (r[0], long.Parse(r[2], CultureInfo.InvariantCulture), r[7])).ToList());
        using var nationPages = await host.SignedInPagesAsync(host.Token(Role.Admin));
        Assert.Equal(nation, await nationPages.GetByteArrayAsync("/changes.csv"));

        using (var refused = await prefecture.GetAsync(new Uri("/api/v1/nation/changes.csv", UriKind.Relative)))
        {
            await ApiHost.AssertProblem(refused, HttpStatusCode.Forbidden, "role");
        }

        using var municipality = host.Municipality(ApiHost.Chiyoda);
        using (var refused = await municipality.GetAsync(new Uri("/api/v1/prefectures/13/changes.csv", UriKind.Relative)))
        {
            await ApiHost.AssertProblem(refused, HttpStatusCode.Forbidden, "prefCode");
        }

        using var osaka = host.Client(host.Token(Role.Prefecture, "27"));
        using (var refused = await osaka.GetAsync(new Uri("/api/v1/prefectures/13/changes.csv", UriKind.Relative)))
        {
            await ApiHost.AssertProblem(refused, HttpStatusCode.Forbidden, "prefCode");
        }
    }

    private static async Task<HttpStatusCode> ConditionalStatusAsync(HttpClient client, string path, EntityTagHeaderValue tag)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.IfNoneMatch.Add(tag);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
