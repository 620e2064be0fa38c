using System.Net;
using System.Text;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// Every CSV download comes from one writer: UTF-8 with a BOM, records ending in CRLF, the formula guard; the
/// dashboard's table download and the API's have the same header and rows.
/// </summary>
public sealed class CsvDownloadTests(WarmApiHost host) : IClassFixture<WarmApiHost>
{
    public static TheoryData<string, bool> Downloads() => new()
    {
        { "/prefectures/01/municipalities.csv", true },
        { "/prefectures/12/municipalities.csv?q=%E9%8E%8C&sort=population&dir=desc", true },
        { "/api/v1/prefectures/01/municipalities.csv", false },
        { "/api/v1/export/municipalities.csv?prefecture=01", false },
        { "/api/v1/municipalities/012025/history.csv", false },
    };

    [Theory]
    [MemberData(nameof(Downloads))]
    public async Task Every_download_has_a_bom_and_crlf_records_and_one_field_count(string path, bool dashboard)
    {
        var bytes = await DownloadAsync(path, dashboard);
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        var text = Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3);
        Assert.EndsWith("\r\n", text, StringComparison.Ordinal);
        var rows = AuditForgingTests.ParseCsv(text); // refuses a bare LF or CR outside quotes
        Assert.All(rows, r => Assert.Equal(rows[0].Count, r.Count));
    }

    [Fact]
    public async Task The_dashboard_download_and_the_api_table_have_the_same_header_and_rows()
    {
        var page = await DownloadAsync("/prefectures/13/municipalities.csv", dashboard: true);
        var api = await DownloadAsync("/api/v1/prefectures/13/municipalities.csv", dashboard: false);
        var pageRows = AuditForgingTests.ParseCsv(Encoding.UTF8.GetString(page, 3, page.Length - 3));
        var apiRows = AuditForgingTests.ParseCsv(Encoding.UTF8.GetString(api, 3, api.Length - 3));
        Assert.Equal(pageRows[0], apiRows[0]);
        Assert.Equal("code,prefecture_code,prefecture,municipality,kana,kind,population", string.Join(',', apiRows[0].Take(7)));
        Assert.Equal(63, apiRows.Count); // the header and 東京都's 62 municipalities
        Assert.Equal(pageRows.Select(r => r[0]), apiRows.Select(r => r[0]));

        // The names the tables share with the detailed export mean the same there.
        var export = await DownloadAsync("/api/v1/export/municipalities.csv?prefecture=13", dashboard: false);
        var exportHeader = AuditForgingTests.ParseCsv(Encoding.UTF8.GetString(export, 3, export.Length - 3))[0];
        foreach (var shared in new[] { "code", "prefecture_code", "prefecture", "municipality", "version", "origin" })
        {
            Assert.Contains(shared, exportHeader);
        }
    }

    [Fact]
    public async Task The_dashboard_download_has_the_same_header_in_english_and_japanese()
    {
        using var session = await FormSession.SignInAsync(host, ApiHost.Chiyoda);
        using (await session.GetAsync("/lang/en?returnUrl=/"))
        {
        }

        using var english = await session.GetAsync("/prefectures/13/municipalities.csv");
        var en = await english.Content.ReadAsStringAsync();
        var ja = Encoding.UTF8.GetString(await DownloadAsync("/prefectures/13/municipalities.csv", dashboard: true));
        Assert.Equal(ja.TrimStart('\uFEFF')[..ja.TrimStart('\uFEFF').IndexOf('\r')], en.TrimStart('\uFEFF')[..en.TrimStart('\uFEFF').IndexOf('\r')]);
    }

    /// <summary>
    /// A dated download names its day one way (yyyyMMdd, as the detailed export always did; the prefecture table wrote
    /// 2026-12-05), and two different files of one prefecture never share a name (the table and the detailed export
    /// were both municipalities-13-…, so one download could replace the other).
    /// </summary>
    [Fact]
    public async Task Dated_downloads_name_the_day_one_way_and_different_files_differently()
    {
        using var client = host.National();
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in new[]
        {
            "/api/v1/prefectures/13/municipalities.csv", "/api/v1/prefectures/13/municipalities.xlsx",
            "/api/v1/export/municipalities.csv?prefecture=13", "/api/v1/export/municipalities.xlsx?prefecture=13",
            "/api/v1/export/municipalities.csv",
        })
        {
            using var response = await client.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {response.StatusCode}");
            var name = response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName?.Trim('"');
            Assert.False(string.IsNullOrEmpty(name), $"{path}: no file name");
            Assert.Matches(@"^[a-z]+(-[a-z0-9]+)*-20\d{6}\.(csv|xlsx)$", name);
            names[path] = name!;
        }

        Assert.Equal(names.Count, names.Values.Distinct(StringComparer.Ordinal).Count());
    }

    private async Task<byte[]> DownloadAsync(string path, bool dashboard)
    {
        HttpResponseMessage response;
        if (dashboard)
        {
            using var session = await FormSession.SignInAsync(host, ApiHost.Chiyoda);
            response = await session.GetAsync(path);
        }
        else
        {
            using var client = host.National();
            response = await client.GetAsync(path);
        }

        using (response)
        {
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {response.StatusCode}");
            Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
            return await response.Content.ReadAsByteArrayAsync();
        }
    }
}
