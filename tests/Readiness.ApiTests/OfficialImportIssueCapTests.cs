using System.Net;
using System.Text.Json;
using Readiness.Catalog;
using Readiness.Imports;
using Readiness.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>
/// A file with thousands of rows that match no municipality (a wrong or damaged sheet) is answered with the first
/// <see cref="OfficialImportRecord.MaxIssuesKept"/> of them and the count of all: before, every such row was kept with
/// its reasons in the dataset (its grain state), the preview and the page, so a 10 MB sheet of unknown names answered a
/// 20 MB preview and a 15 MB page.
/// </summary>
public sealed class OfficialImportIssueCapTests(ApiHost host, ITestOutputHelper output) : IClassFixture<ApiHost>
{
    [Fact]
    public async Task Thousands_of_unmatched_rows_are_counted_the_first_thousand_listed_and_the_page_says_so()
    {
        const int unknown = 2500;
        var catalog = ReadinessCatalog.Instance;
        var labels = catalog.BusinessSystems.Select(b => b.SoumuLabel).ToArray();
        var rates = labels.ToDictionary(l => l, _ => 0.5m);
        var osaka = catalog.MunicipalitiesByCode[ApiHost.Osaka];
        var rows = new List<MicRow> { new(catalog.PrefecturesByCode[osaka.PrefectureCode].Name, osaka.Name, rates) };
        rows.AddRange(Enumerable.Range(1, unknown).Select(i => new MicRow("東京都", $"存在しない町{i}", rates)));
        var file = OfficialWorkbooks.MicProgress("令和8年3月_進捗状況", labels, rows);

        using var national = host.National();
        using var upload = await ApiHost.PostImportAsync(national, file, "wrong-sheet.xlsx");
        var text = await upload.Content.ReadAsStringAsync();
        Assert.True(upload.StatusCode == HttpStatusCode.Created, $"{(int)upload.StatusCode} {text[..Math.Min(800, text.Length)]}");
        output.WriteLine($"preview: {text.Length:N0} characters for {unknown:N0} unmatched rows");

        foreach (var view in new[] { JsonDocument.Parse(text).RootElement, await GetAsync(national, JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!) })
        {
            Assert.Equal(unknown, view.GetProperty("unmatchedCount").GetInt32());
            var listed = view.GetProperty("unmatched").EnumerateArray().ToList();
            Assert.Equal(OfficialImportRecord.MaxIssuesKept, listed.Count);
            // The first ones, in row order: the header is row 1... the first unknown name is on the row after 大阪市.
            Assert.Equal("存在しない町1", listed[0].GetProperty("municipality").GetString());
            Assert.Equal($"存在しない町{OfficialImportRecord.MaxIssuesKept}", listed[^1].GetProperty("municipality").GetString());
            Assert.True(listed.Select(r => r.GetProperty("row").GetInt32()).SequenceEqual(listed.Select(r => r.GetProperty("row").GetInt32()).Order()));
            Assert.Equal(1, view.GetProperty("matchedRows").GetInt32());
        }

        // The page: the count of all, the first thousand rows, and a sentence saying the rest are not listed.
        var id = JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
        using var pages = await host.SignedInPagesAsync(host.Token(Role.National));
        var html = await pages.GetStringAsync($"/imports/{id}");
        output.WriteLine($"page: {html.Length:N0} characters");
        Assert.Contains($"data-count=\"unmatched\">{unknown:N0}<", html, StringComparison.Ordinal);
        Assert.Contains("id=\"unmatched-not-listed\"", html, StringComparison.Ordinal);
        Assert.Contains($"ほか {unknown - OfficialImportRecord.MaxIssuesKept:N0} 行は表示していません", html, StringComparison.Ordinal);
        Assert.Contains("存在しない町1000<", html, StringComparison.Ordinal);
        Assert.DoesNotContain("存在しない町1001<", html, StringComparison.Ordinal);
    }

    private static async Task<JsonElement> GetAsync(HttpClient client, string id)
    {
        using var response = await client.GetAsync($"/api/v1/imports/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }
}
