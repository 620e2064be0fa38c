using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The systems a prefecture runs itself (都道府県が実施する事務) are in the detailed export as rows of their own, so a
/// planner's sums from the file equal the overview's figures for the same scope (before: the nation's applicable and
/// overdue counts were higher than the export's by the prefecture-run systems reported), and they have an audit trail
/// of their own (before: none; /municipalities/010006/history is 404 since 010006 is no municipality).
/// </summary>
public sealed class PrefectureRunExportTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string Hokkaido = "01";
    private const string HokkaidoCode = "010006";

    [Fact]
    public async Task The_export_lists_the_prefecture_run_systems_so_its_sums_equal_the_overview_and_they_have_a_history()
    {
        using var prefecture = host.Client(host.Token(Role.Prefecture, Hokkaido, "export@pref.hokkaido"));
        await Report(prefecture, "child_rearing_allowance", """{"phase":"in_production","vendor":"道庁ベンダー"}""");
        await Report(prefecture, "public_assistance", """{"phase":"fit_gap"}""");

        using var national = host.National();
        var nation = await Until(national, "/api/v1/nation", n => n.GetProperty("prefectureRun").GetProperty("applicableSystems").GetInt32() == 2);
        var nationFigures = nation.GetProperty("figures");

        // The nation: every row of the file against the overview's figures (which count the prefecture's systems once).
        var (header, rows) = await Export(national, "/api/v1/export/municipalities.csv");
        Assert.Equal(Figure(nationFigures, "applicableSystems"), Count(header, rows, "not_applicable", "false"));
        Assert.Equal(Figure(nationFigures, "migratedSystems"), Count(header, rows, "migrated", "true"));
        Assert.Equal(Figure(nationFigures, "overdueSystems"), Count(header, rows, "overdue", "true"));
        Assert.Equal(Figure(nationFigures, "designatedSystems"), Count(header, rows, "designated", "true"));

        // The prefecture's own rows: keyed by its 団体コード, named, marked, with what it reported.
        var own = rows.Where(r => r[header.IndexOf("prefecture_run")] == "true").ToList();
        Assert.Equal(2, own.Count);
        Assert.All(own, r => Assert.Equal([HokkaidoCode, Hokkaido, "北海道", "北海道"], r.Take(4)));
        var allowance = Assert.Single(own, r => r[header.IndexOf("business_id")] == "child_rearing_allowance");
        Assert.Equal("in_production", allowance[header.IndexOf("phase")]);
        Assert.Equal("true", allowance[header.IndexOf("migrated")]);
        Assert.Equal("道庁ベンダー", allowance[header.IndexOf("vendor")]);
        Assert.All(rows.Where(r => r[0] != HokkaidoCode), r => Assert.NotEqual("true", r[header.IndexOf("prefecture_run")]));

        // The .xlsx export has the same rows.
        using var xlsx = await national.GetAsync("/api/v1/export/municipalities.xlsx");
        Assert.Equal(HttpStatusCode.OK, xlsx.StatusCode);
        var sheet = UnreadableStateTests.ReadSheet(await xlsx.Content.ReadAsByteArrayAsync());
        Assert.Equal(rows.Count, sheet.Count - 1);
        Assert.Equal(2, sheet.Count(r => r[0] == HokkaidoCode));
        Assert.Equal(Figure(nationFigures, "applicableSystems"), sheet.Skip(1).Count(r => r[Array.IndexOf(sheet[0], "not_applicable")] is "false" or "FALSE" or "False"));

        // One prefecture: its municipalities' figures plus its own systems'.
        using var summary = await national.GetAsync("/api/v1/prefectures/" + Hokkaido);
        Assert.Equal(HttpStatusCode.OK, summary.StatusCode);
        var p = (await ApiHost.Json(summary)).GetProperty("prefecture");
        var (prefHeader, prefRows) = await Export(national, "/api/v1/export/municipalities.csv?prefecture=" + Hokkaido);
        foreach (var (figure, column, value) in new[] { ("applicableSystems", "not_applicable", "false"), ("migratedSystems", "migrated", "true"), ("overdueSystems", "overdue", "true") })
        {
            Assert.Equal(Figure(p.GetProperty("figures"), figure) + Figure(p.GetProperty("prefectureRun"), figure), Count(prefHeader, prefRows, column, value));
        }

        Assert.Equal(2, prefRows.Count(r => r[0] == HokkaidoCode));

        // The history: both reports, newest first, paged, as a municipality's.
        using var first = await prefecture.GetAsync($"/api/v1/prefectures/{Hokkaido}/systems/history?limit=1");
        Assert.True(first.StatusCode == HttpStatusCode.OK, $"{first.StatusCode}: {await first.Content.ReadAsStringAsync()}");
        var page = await ApiHost.Json(first);
        Assert.Equal(HokkaidoCode, page.GetProperty("code").GetString());
        Assert.Equal(2, page.GetProperty("total").GetInt32());
        var newest = Assert.Single(page.GetProperty("items").EnumerateArray().ToList());
        Assert.Equal("system:public_assistance", newest.GetProperty("target").GetString());
        Assert.Equal("export@pref.hokkaido", newest.GetProperty("subject").GetString());
        var cursor = page.GetProperty("nextCursor").GetString();
        using var second = await national.GetAsync($"/api/v1/prefectures/{Hokkaido}/systems/history?limit=1&cursor={Uri.EscapeDataString(cursor!)}");
        var older = Assert.Single((await ApiHost.Json(second)).GetProperty("items").EnumerateArray().ToList());
        Assert.Equal("system:child_rearing_allowance", older.GetProperty("target").GetString());
        Assert.Equal(JsonValueKind.Null, older.GetProperty("before").GetProperty("phase").ValueKind);

        // The same trail as CSV, and revalidation by the record's version.
        using var csv = await national.GetAsync($"/api/v1/prefectures/{Hokkaido}/systems/history.csv");
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        var trail = AuditForgingTests.ParseCsv((await csv.Content.ReadAsStringAsync()).TrimStart('\uFEFF'));
        Assert.Equal(3, trail.Count);
        Assert.All(trail.Skip(1), r => Assert.Equal(HokkaidoCode, r[0]));
        using var again = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/prefectures/{Hokkaido}/systems/history");
        again.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        using var notModified = await national.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);

        // The prefecture page shows the recent changes of its own systems as a municipality's page does.
        using var pages = await host.SignedInPagesAsync(host.Token(Role.Prefecture, Hokkaido, "history-page@pref.hokkaido"));
        using var prefecturePage = await pages.GetAsync("/prefectures/" + Hokkaido);
        var html = await prefecturePage.Content.ReadAsStringAsync();
        var heading = html.IndexOf("id=\"prefecture-run-history-heading\"", StringComparison.Ordinal);
        Assert.True(heading >= 0, "the prefecture page shows no recent changes of its own systems");
        var table = html[heading..html.IndexOf("</table>", heading, StringComparison.Ordinal)];
        Assert.Equal(3, table.Split("<tr").Length - 1); // the header and both reports
        Assert.Contains("export@pref.hokkaido", table, StringComparison.Ordinal);
        Assert.Contains("生活保護", table, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/v1/prefectures/01/systems/history?limit=0", HttpStatusCode.BadRequest, "limit")]
    [InlineData("/api/v1/prefectures/01/systems/history?cursor=nope", HttpStatusCode.BadRequest, "cursor")]
    [InlineData("/api/v1/prefectures/48/systems/history", HttpStatusCode.BadRequest, "prefCode")]
    [InlineData("/api/v1/prefectures/48/systems/history.csv", HttpStatusCode.BadRequest, "prefCode")]
    public async Task A_history_request_that_cannot_be_answered_names_what_is_wrong(string path, HttpStatusCode status, string field)
    {
        using var national = host.National();
        await ApiHost.AssertProblem(await national.GetAsync(path), status, field);
    }

    [Theory]
    [InlineData("/api/v1/prefectures/01/systems/history")]
    [InlineData("/api/v1/prefectures/01/systems/history.csv")]
    public async Task Another_prefectures_staff_and_a_municipality_may_not_read_the_history(string path)
    {
        using var tokyo = host.Client(host.Token(Role.Prefecture, "13", "other@pref.tokyo"));
        await ApiHost.AssertProblem(await tokyo.GetAsync(path), HttpStatusCode.Forbidden);
        using var sapporo = host.Municipality("011002", "staff@city.sapporo");
        await ApiHost.AssertProblem(await sapporo.GetAsync(path), HttpStatusCode.Forbidden);
    }

    private static async Task Report(HttpClient client, string businessId, string json)
    {
        using var get = await client.GetAsync($"/api/v1/prefectures/{Hokkaido}/systems/{businessId}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        var version = long.Parse(get.Headers.ETag!.Tag.Trim('"'), CultureInfo.InvariantCulture);
        using var put = ApiHost.Request(HttpMethod.Put, $"/api/v1/prefectures/{Hokkaido}/systems/{businessId}", json, version);
        using var answer = await client.SendAsync(put);
        Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{answer.StatusCode}: {await answer.Content.ReadAsStringAsync()}");
    }

    /// <summary>The figures reach the nation within seconds of a write: reads until <paramref name="done"/> holds (at most 30 s).</summary>
    private static async Task<JsonElement> Until(HttpClient client, string path, Func<JsonElement, bool> done)
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

    private static async Task<(List<string> Header, List<List<string>> Rows)> Export(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {Encoding.UTF8.GetString(bytes)}");
        var rows = AuditForgingTests.ParseCsv(Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3));
        return (rows[0], rows.Skip(1).ToList());
    }

    private static int Figure(JsonElement figures, string name) => figures.GetProperty(name).GetInt32();

    private static int Count(List<string> header, List<List<string>> rows, string column, string value)
    {
        var i = header.IndexOf(column);
        Assert.True(i >= 0, $"the export has no column {column}");
        return rows.Count(r => r[i] == value);
    }
}
