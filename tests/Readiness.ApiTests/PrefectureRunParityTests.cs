using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A prefecture's own systems (児童扶養手当・生活保護) on par with a municipality's: its form has every field of the
/// municipality's system form (the CSP, 対象外; the kind found: both were missing, so a prefecture could report neither
/// from the dashboard), the panel shows them, and its recent changes link to the whole trail as the municipality's do:
/// a paged page, history.csv and the API's JSON, each giving the same rows. Real host, plain HTTP.
/// </summary>
public sealed partial class PrefectureRunParityTests(ApiHost host) : IClassFixture<ApiHost>
{
    [Fact]
    public async Task The_prefecture_s_own_system_form_reports_the_csp_and_not_applicable_as_the_municipality_s_form_does()
    {
        const string Pref = "02";
        const string Action = $"/prefectures/{Pref}/systems/child_rearing_allowance";
        const string Api = $"/api/v1/prefectures/{Pref}/systems/child_rearing_allowance";
        using var form = await FormSession.SignInPrefectureAsync(host, Pref);
        var page = WebUtility.HtmlDecode(await form.PageAsync(Pref));
        var start = page.IndexOf($"action=\"{Action}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, "the form is on the page");
        var html = page[start..page.IndexOf("</form>", start, StringComparison.Ordinal)];
        Assert.Contains("name=\"cloudProvider\"", html, StringComparison.Ordinal);
        Assert.Contains("name=\"notApplicable\"", html, StringComparison.Ordinal);
        Assert.Contains("<option value=\"aws\"", html, StringComparison.Ordinal);

        // The CSP: saved, in the JSON, the panel and the trail.
        var (status, location) = await form.PostForLocationAsync(Pref, Action, new Dictionary<string, string>
        {
            ["phase"] = "contract", ["vendor"] = "県のベンダ", ["hosting"] = "government_cloud", ["cloudProvider"] = "aws",
        });
        Assert.True(status == HttpStatusCode.SeeOther, $"save: {(int)status}");
        using var national = host.National();
        var system = JsonDocument.Parse(await national.GetStringAsync(Api)).RootElement;
        Assert.Equal("aws", system.GetProperty("cloudProvider").GetString());
        Assert.False(system.GetProperty("notApplicable").GetBoolean());
        page = WebUtility.HtmlDecode(await form.PageAsync(Pref));
        Assert.Matches("<tr data-business=\"child_rearing_allowance\"[^>]*>[\\s\\S]*?data-cloud-provider=\"aws\"[^>]*>[^<]*<span class=\"cell-note\">CSP: AWS", page);
        var history = JsonDocument.Parse(await national.GetStringAsync($"/api/v1/prefectures/{Pref}/systems/history")).RootElement;
        var newest = history.GetProperty("items")[0];
        Assert.Equal("aws", newest.GetProperty("after").GetProperty("cloudProvider").GetString());

        // 対象外 in a phase other than 未着手 is refused naming the phase, as on a municipality's form; nothing saved.
        var version = JsonDocument.Parse(await national.GetStringAsync($"/api/v1/prefectures/{Pref}/systems")).RootElement.GetProperty("version").GetInt64();
        var (refused, text) = await form.PostAsync(Pref, Action, new Dictionary<string, string> { ["phase"] = "testing", ["notApplicable"] = "true" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused);
        Assert.Contains("pref-child_rearing_allowance-phase-error", text, StringComparison.Ordinal);
        Assert.Equal(version, JsonDocument.Parse(await national.GetStringAsync($"/api/v1/prefectures/{Pref}/systems")).RootElement.GetProperty("version").GetInt64());

        // 対象外 with 未着手: saved, in the JSON, the panel (the badge) and the export.
        (status, _) = await form.PostForLocationAsync(Pref, Action, new Dictionary<string, string>
        {
            // The other fields as the form shows them (a browser sends them all).
            ["phase"] = "not_started", ["notApplicable"] = "true", ["regressionReason"] = "管内の町村が福祉事務所を設置したため",
            ["vendor"] = "県のベンダ", ["hosting"] = "government_cloud", ["cloudProvider"] = "aws",
        });
        Assert.True(status == HttpStatusCode.SeeOther, $"not applicable: {(int)status}");
        system = JsonDocument.Parse(await national.GetStringAsync(Api)).RootElement;
        Assert.True(system.GetProperty("notApplicable").GetBoolean());
        page = WebUtility.HtmlDecode(await form.PageAsync(Pref));
        Assert.Matches("<tr data-business=\"child_rearing_allowance\" data-counted=\"true\" data-not-applicable=\"true\"[^>]*>[\\s\\S]*?<span class=\"badge\">対象外", page);
        var csv = await national.GetStringAsync($"/api/v1/export/municipalities.csv?prefecture={Pref}");
        var rows = AuditForgingTests.ParseCsv(csv.TrimStart('\uFEFF'));
        var header = rows[0];
        var row = rows.Single(r => r[header.IndexOf("prefecture_run")] == "true" && r[header.IndexOf("business_id")] == "child_rearing_allowance");
        Assert.Equal("true", row[header.IndexOf("not_applicable")]);
        Assert.Equal("aws", row[header.IndexOf("cloud_provider")]);
    }

    [Fact]
    public async Task The_prefecture_s_own_history_panel_links_the_whole_trail_as_a_page_csv_and_json_with_the_same_rows()
    {
        const string Pref = "27";
        const string Path = $"/api/v1/prefectures/{Pref}/systems/public_assistance";
        using var reporter = host.Client(host.Token(Readiness.Role.Prefecture, Pref, "history@pref.osaka"));
        for (var n = 0; n < 55; n++)
        {
            using var read = await reporter.GetAsync(Path);
            var tag = read.Headers.ETag!.ToString();
            using var put = new HttpRequestMessage(HttpMethod.Put, Path)
            {
                Content = new StringContent($$"""{"phase":"contract","designated":false,"vendor":"府のベンダ{{n}}"}""", Encoding.UTF8, "application/json"),
            };
            put.Headers.TryAddWithoutValidation("If-Match", tag);
            using var answer = await reporter.SendAsync(put);
            Assert.True(answer.StatusCode == HttpStatusCode.OK, $"write {n}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
        }

        using var pages = await host.SignedInPagesAsync(host.Token(Readiness.Role.Prefecture, Pref, "reader@pref.osaka"));
        var (status, prefecturePage) = await GetPageAsync(pages, $"/prefectures/{Pref}");
        Assert.Equal(HttpStatusCode.OK, status);
        var panel = prefecturePage[prefecturePage.IndexOf("id=\"prefecture-run\"", StringComparison.Ordinal)..];
        var full = Regex.Match(panel, "<a href=\"([^\"]+)\" data-full-history>すべての変更履歴</a>");
        var csvLink = Regex.Match(panel, "data-history-csv href=\"([^\"]+)\" download>CSVをダウンロード");
        var apiLink = Regex.Match(panel, "<a href=\"([^\"]+)\" data-api>");
        Assert.True(full.Success && csvLink.Success && apiLink.Success, "the panel links the whole trail, its CSV and the API");

        // The API's JSON: the newest page, and the whole trail by its cursor.
        var trail = new List<(long, string)>();
        string? cursor = null;
        var first = true;
        List<(long, string)> apiFirstPage = [];
        do
        {
            var body = JsonDocument.Parse(await pages.GetStringAsync(apiLink.Groups[1].Value + (cursor is null ? "" : "?cursor=" + Uri.EscapeDataString(cursor)))).RootElement;
            var items = body.GetProperty("items").EnumerateArray().Select(e => (e.GetProperty("version").GetInt64(), e.GetProperty("target").GetString()!)).ToList();
            if (first)
            {
                apiFirstPage = items;
                first = false;
            }

            trail.AddRange(items);
            cursor = body.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);
        Assert.True(trail.Count >= 55, $"the trail has {trail.Count} entries");

        // The page, followed by its 次へ links: the same rows, in order, no duplicate or gap; each page's JSON link its rows.
        var seen = new List<(long, string)>();
        var path = full.Groups[1].Value;
        for (var n = 0; path.Length > 0; n++)
        {
            Assert.True(n < 10, "the pages end");
            var (pageStatus, html) = await GetPageAsync(pages, path);
            Assert.True(pageStatus == HttpStatusCode.OK, $"{path}: {(int)pageStatus}");
            var rows = Row().Matches(html).Select(m => (long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups[2].Value)).ToList();
            var pageApi = Regex.Match(html, "<a href=\"([^\"]+)\" data-api>");
            Assert.True(pageApi.Success, "the history page links its API page");
            var body = JsonDocument.Parse(await pages.GetStringAsync(pageApi.Groups[1].Value)).RootElement;
            Assert.Equal(rows, body.GetProperty("items").EnumerateArray().Select(e => (e.GetProperty("version").GetInt64(), e.GetProperty("target").GetString()!)).ToList());
            if (n == 0)
            {
                Assert.Equal(apiFirstPage, rows);
                Assert.Contains($"data-history-csv href=\"{csvLink.Groups[1].Value}\" download", html, StringComparison.Ordinal);
            }

            seen.AddRange(rows);
            var next = NextLink().Match(html);
            path = next.Success ? next.Groups[1].Value : string.Empty;
        }

        Assert.Equal(trail, seen);

        // history.csv: every row of the trail, the API's bytes.
        using var download = await pages.GetAsync(csvLink.Groups[1].Value);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("text/csv", download.Content.Headers.ContentType?.MediaType);
        var bytes = await download.Content.ReadAsByteArrayAsync();
        var csv = AuditForgingTests.ParseCsv(Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3));
        Assert.Equal(trail, csv.Skip(1).Select(r => (long.Parse(r[1], System.Globalization.CultureInfo.InvariantCulture), r[6])).ToList());
        using var national = host.National();
        Assert.Equal(await national.GetByteArrayAsync($"/api/v1/prefectures/{Pref}/systems/history.csv"), bytes);

        // Another prefecture's staff: refused the page and the download.
        using var other = await host.SignedInPagesAsync(host.Token(Readiness.Role.Prefecture, "13", "other@pref.tokyo"));
        var (otherStatus, _) = await GetPageAsync(other, full.Groups[1].Value);
        Assert.Equal(HttpStatusCode.Forbidden, otherStatus);
        using var otherCsv = await other.GetAsync(csvLink.Groups[1].Value);
        Assert.Equal(HttpStatusCode.Forbidden, otherCsv.StatusCode);
    }

    private static async Task<(HttpStatusCode Status, string Html)> GetPageAsync(HttpClient client, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        request.Headers.Add("Cookie", "readiness-lang=ja");
        using var response = await client.SendAsync(request);
        return (response.StatusCode, WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()));
    }

    [GeneratedRegex("<tr data-version=\"(\\d+)\" data-target=\"([^\"]+)\"")]
    private static partial Regex Row();

    [GeneratedRegex("<a class=\"button-secondary\" rel=\"next\" href=\"([^\"]+)\"")]
    private static partial Regex NextLink();
}
