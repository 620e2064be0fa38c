using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A page's download links give what the page shows, over real HTTP: the prefecture table filtered, searched and sorted
/// links its CSV and its Excel with the same filters, search and order, and the CSV's rows are the page's rows in the
/// page's order. (The changes and history pages' API links: <c>AreaChangesPageTests</c>, <c>MunicipalityHistoryPageTests</c>.)
/// </summary>
public sealed partial class SameViewLinkTests(ApiHost host) : IClassFixture<ApiHost>
{
    [GeneratedRegex("<tr data-code=\"(\\d{6})\"")]
    private static partial Regex TableRow();

    [Theory]
    [InlineData("/prefectures/13?flag=designated&sort=population&dir=desc")]
    [InlineData("/prefectures/13?q=%E5%8C%BA&kind=special_ward&sort=name")]
    [InlineData("/prefectures/27?sort=progress")]
    public async Task The_prefecture_tables_downloads_hold_the_rows_shown_in_their_order(string path)
    {
        using var pages = await host.SignedInPagesAsync(host.Token(Role.National));
        using var response = await pages.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        var shown = TableRow().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(shown);

        var query = path[path.IndexOf('?', StringComparison.Ordinal)..];
        var csvLink = Regex.Match(html, "data-csv-link href=\"([^\"]+)\"").Groups[1].Value;
        var xlsxLink = Regex.Match(html, "data-xlsx-link href=\"([^\"]+)\"").Groups[1].Value;
        foreach (var link in new[] { csvLink, xlsxLink })
        {
            Assert.Equal(Parameters(query), Parameters(link[link.IndexOf('?', StringComparison.Ordinal)..]));
        }

        var bytes = await pages.GetByteArrayAsync(csvLink);
        var rows = AuditForgingTests.ParseCsv(Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3));
        Assert.Equal(shown, rows.Skip(1).Select(r => r[0]).ToList());
    }

    private static Dictionary<string, string> Parameters(string query) =>
        query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2))
            .ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1]), StringComparer.Ordinal);
}
