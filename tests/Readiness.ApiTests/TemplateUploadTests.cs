using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Readiness.Imports;
using Readiness.Testing;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// Uploading a reporting template (breaker's findings 2 and 9): a cell that cannot be read is an error naming it and
/// clears nothing; a bomb under the 2 MB upload limit is refused with a 413 naming the file; rows no sheet can hold,
/// and two files in one upload, are refused naming "file".
/// </summary>
public sealed class TemplateUploadTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string M = ApiHost.Chuo;
    private const string Ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";

    [Fact]
    public async Task An_unreadable_cell_is_an_error_naming_it_and_clears_nothing()
    {
        using var client = host.Municipality(M);

        // A row whose system the rules take as it stands (the baseline has designations without their reason).
        var systems = (await host.GetMunicipality(M)).Body.GetProperty("systems").EnumerateArray().ToList();
        var index = systems.FindIndex(s => !s.GetProperty("designated").GetBoolean() && !s.GetProperty("regression").GetBoolean());
        var cell = $"E{ReportingTemplate.FirstRow + index}";
        async Task<string?> Vendor() => (await host.GetMunicipality(M)).Body.GetProperty("systems")[index].GetProperty("vendor").GetString();
        using (var applied = await TemplateRequests.PostAsync(client, M, "apply", WorkbookXml.ReplaceCell(await TemplateRequests.DownloadAsync(client, M), ReportingTemplate.SystemsSheet, cell, $"<x:c r=\"{cell}\" t=\"inlineStr\"><x:is><x:t>+81-3-1234</x:t></x:is></x:c>")))
        {
            Assert.True(applied.StatusCode == HttpStatusCode.OK, await applied.Content.ReadAsStringAsync());
        }

        Assert.Equal("+81-3-1234", await Vendor());

        // The cell refers to a shared string the file does not have (it has no shared strings at all).
        var file = WorkbookXml.ReplaceCell(await TemplateRequests.DownloadAsync(client, M), ReportingTemplate.SystemsSheet, cell, $"<x:c r=\"{cell}\" t=\"s\"><x:v>99999</x:v></x:c>");
        using (var preview = await TemplateRequests.PostAsync(client, M, "preview", file))
        {
            var body = await ApiHost.Json(preview);
            Assert.Equal(HttpStatusCode.OK, preview.StatusCode);
            Assert.False(body.GetProperty("canApply").GetBoolean());
            var error = body.GetProperty("errors").EnumerateArray().Single(e => e.GetProperty("field").GetString() == cell);
            Assert.Equal("unreadable_cell", error.GetProperty("code").GetString());
            Assert.Contains("cannot be read", error.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
            Assert.DoesNotContain(body.GetProperty("changes").EnumerateArray(), c => c.GetProperty("cell").GetString() == cell);
        }

        using (var apply = await TemplateRequests.PostAsync(client, M, "apply", file))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, apply.StatusCode);
            Assert.Equal(cell, (await ApiHost.Json(apply)).GetProperty("errors")[0].GetProperty("field").GetString());
        }

        Assert.Equal("+81-3-1234", await Vendor());
    }

    [Fact]
    public async Task A_bomb_under_the_upload_limit_is_refused_with_413_naming_the_file()
    {
        using var client = host.Municipality(M);
        var template = await TemplateRequests.DownloadAsync(client, M);

        // The breaker's bomb on a smaller scale: rows of long inline strings, ratio about 100, under 2 MB zipped, 30 MB unpacked.
        var rows = new StringBuilder();
        var random = new Random(1);
        for (var n = 100_000; rows.Length < 30 * 1024 * 1024; n++)
        {
            rows.Append($"<x:row r=\"{n}\">");
            foreach (var c in "ABCDEFGHIJ")
            {
                rows.Append($"<x:c r=\"{c}{n}\" t=\"inlineStr\"><x:is><x:t>{new string('a', 700)}{random.Next(10)}</x:t></x:is></x:c>");
            }

            rows.Append("</x:row>");
        }

        var bomb = WorkbookXml.EditSheet(template, ReportingTemplate.SystemsSheet, xml => xml.Replace("</x:sheetData>", rows + "</x:sheetData>", StringComparison.Ordinal));
        Assert.True(bomb.Length < 2 * 1024 * 1024, $"{bomb.Length} bytes");

        foreach (var path in new[] { "preview", "apply" })
        {
            using var response = await TemplateRequests.PostAsync(client, M, path, bomb);
            var body = await ApiHost.Json(response);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Equal("file", body.GetProperty("errors")[0].GetProperty("field").GetString());
            Assert.Equal("zip_bomb", body.GetProperty("errors")[0].GetProperty("code").GetString());
        }
    }

    [Theory]
    [InlineData("-5")]
    [InlineData("2000000000")]
    public async Task A_row_no_sheet_can_hold_is_refused_naming_the_file(string r)
    {
        using var client = host.Municipality(M);
        var file = WorkbookXml.EditSheet(await TemplateRequests.DownloadAsync(client, M), ReportingTemplate.SystemsSheet, xml => xml.Replace("<x:row r=\"7\"", $"<x:row r=\"{r}\"", StringComparison.Ordinal));

        using var response = await TemplateRequests.PostAsync(client, M, "preview", file);
        var body = await ApiHost.Json(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("file", body.GetProperty("errors")[0].GetProperty("field").GetString());
        Assert.Contains(r, body.GetProperty("errors")[0].GetProperty("messageEn").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_files_in_one_upload_are_refused_naming_file()
    {
        using var client = host.Municipality(M);
        var template = await TemplateRequests.DownloadAsync(client, M);
        using var content = new MultipartFormDataContent();
        content.Add(new ByteArrayContent(template), "file", "a.xlsx");
        content.Add(new ByteArrayContent(template), "file", "b.xlsx");

        using var response = await client.PostAsync(new Uri($"/api/v1/municipalities/{M}/template/preview", UriKind.Relative), content);
        var body = await ApiHost.Json(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("file", body.GetProperty("errors")[0].GetProperty("field").GetString());
        Assert.Equal("multiple_files", body.GetProperty("errors")[0].GetProperty("code").GetString());
    }

    /// <summary>A monthly tally saved as CSV (any encoding Excel writes) is not a workbook at all: 400 not_a_workbook saying the template is an .xlsx (breaker's finding: 413 zip_bomb), on preview and apply.</summary>
    [Theory]
    [InlineData("shift_jis", "令和8年9月_進捗状況.csv")]
    [InlineData("utf-8", "令和8年9月_進捗状況.csv")]
    [InlineData("utf-16", "令和8年9月_進捗状況.txt")]
    [InlineData("shift_jis", "template.xlsx")]
    public async Task A_tally_csv_is_not_a_workbook(string encoding, string name)
    {
        using var client = host.Municipality(M);
        var text = new StringBuilder("令和8年9月末時点 市区町村別・業務別 標準化の進捗状況\r\n都道府県,市区町村名,全体,住民基本台帳\r\n");
        for (var i = 0; i < 1741; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"北海道,札幌市{i},0.975,1\r\n");
        }

        System.Text.Encoding.RegisterProvider(System.Text.CodePagesEncodingProvider.Instance);
        var bytes = encoding switch
        {
            "utf-16" => [.. System.Text.Encoding.Unicode.GetPreamble(), .. System.Text.Encoding.Unicode.GetBytes(text.ToString().Replace(',', '\t'))],
            "utf-8" => [.. System.Text.Encoding.UTF8.GetPreamble(), .. System.Text.Encoding.UTF8.GetBytes(text.ToString())],
            _ => System.Text.Encoding.GetEncoding(932).GetBytes(text.ToString()),
        };

        foreach (var path in new[] { $"/api/v1/municipalities/{M}/template/preview", $"/api/v1/municipalities/{M}/template/apply" })
        {
            using var content = new MultipartFormDataContent();
            var part = new ByteArrayContent(bytes);
            part.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/csv");
            content.Add(part, "file", name);
            using var response = await client.PostAsync(new Uri(path, UriKind.Relative), content);
            var raw = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{path}: {(int)response.StatusCode} {raw}");
            var error = JsonDocument.Parse(raw).RootElement.GetProperty("errors")[0];
            Assert.Equal("file", error.GetProperty("field").GetString());
            Assert.Equal("not_a_workbook", error.GetProperty("code").GetString());
            Assert.Contains("ひな形は .xlsx", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
            Assert.Contains("The template is an .xlsx", error.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
        }
    }
}
