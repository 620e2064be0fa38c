using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Readiness.Catalog;
using Readiness.Testing;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// An official workbook whose cell cannot be read (breaker's finding 9, the official imports' reader): ExcelDataReader
/// reads an error value as blank and a missing shared string as its index; the upload is refused naming the cell, and
/// nothing is stored.
/// </summary>
public sealed class OfficialImportCellTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string Sheet = "令和8年2月_進捗状況";

    [Theory]
    [InlineData("t=\"e\"", "#N/A")]
    [InlineData("t=\"s\"", "99999")]
    [InlineData("t=\"b\"", "2")]
    public async Task An_unreadable_cell_refuses_the_upload_naming_it(string type, string value)
    {
        var catalog = ReadinessCatalog.Instance;
        var labels = catalog.BusinessSystems.Select(b => b.SoumuLabel).ToArray();
        var m = catalog.MunicipalitiesByCode[ApiHost.Osaka];
        var row = new MicRow(catalog.PrefecturesByCode[m.PrefectureCode].Name, m.Name, labels.ToDictionary(l => l, _ => 0.5m));
        var file = WorkbookXml.EditSheet(OfficialWorkbooks.MicProgress(Sheet, labels, [row]), null, xml =>
        {
            // D4: the first business's rate of the first municipality.
            var start = xml.IndexOf("r=\"D4\"", StringComparison.Ordinal);
            start = xml.LastIndexOf('<', start);
            var prefix = xml[(start + 1)..xml.IndexOf('c', start)];
            var end = xml.IndexOf($"</{prefix}c>", start, StringComparison.Ordinal) + prefix.Length + 4;
            return xml[..start] + $"<{prefix}c r=\"D4\" {type}><{prefix}v>{value}</{prefix}v></{prefix}c>" + xml[end..];
        });

        using var national = host.National();
        using var response = await ApiHost.PostImportAsync(national, file, "tally.xlsx");
        var body = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, body);
        var error = JsonDocument.Parse(body).RootElement.GetProperty("errors")[0];
        Assert.Equal($"{Sheet}!D4", error.GetProperty("field").GetString());
        Assert.Equal("unreadable_cell", error.GetProperty("code").GetString());
        using var list = await national.GetAsync(new Uri("/api/v1/imports", UriKind.Relative));
        Assert.DoesNotContain("tally.xlsx", await list.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
