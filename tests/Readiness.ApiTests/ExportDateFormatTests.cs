using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// Every export writes a date one way (docs/api.md "Dates in exports"): days yyyy-MM-dd, instants ISO 8601 with the
/// offset (yyyy-MM-ddTHH:mm:ss.fffZ), in each CSV and in each .xlsx, whose date cells are shown as yyyy-mm-dd
/// (breaker's finding: the CSV and the .xlsx of one table showed 2027-04-01 and 2027/04/01).
/// </summary>
public sealed partial class ExportDateFormatTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string M = ApiHost.Chuo;

    public static TheoryData<string> Csvs() => new()
    {
        "/api/v1/export/municipalities.csv?prefecture=13",
        "/api/v1/prefectures/13/municipalities.csv",
        $"/api/v1/municipalities/{M}/history.csv",
        "/api/v1/reconciliation.csv?business=koseki",
    };

    public static TheoryData<string> Workbooks() => new()
    {
        "/api/v1/export/municipalities.xlsx?prefecture=13",
        "/api/v1/prefectures/13/municipalities.xlsx",
        $"/api/v1/municipalities/{M}/template.xlsx",
    };

    [Theory]
    [MemberData(nameof(Csvs))]
    public async Task Every_date_column_of_a_csv_parses_with_the_one_format(string path)
    {
        await ReportAsync();
        using var client = host.National();
        var text = (await client.GetStringAsync(new Uri(path, UriKind.Relative))).TrimStart('\uFEFF');
        var rows = AuditForgingTests.ParseCsv(text);
        var dated = Enumerable.Range(0, rows[0].Count).Where(i => DateColumn().IsMatch(rows[0][i])).ToList();
        Assert.NotEmpty(dated);
        foreach (var row in rows.Skip(1))
        {
            foreach (var i in dated.Where(i => row[i].Length > 0))
            {
                Assert.True(IsOneFormat(row[i]), $"{rows[0][i]} = '{row[i]}' in {path}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Workbooks))]
    public async Task Every_date_of_a_workbook_is_shown_and_written_with_the_one_format(string path)
    {
        await ReportAsync();
        using var client = path.Contains("/template", StringComparison.Ordinal) ? host.Municipality(M) : host.National();
        var bytes = await client.GetByteArrayAsync(new Uri(path, UriKind.Relative));
        using var document = SpreadsheetDocument.Open(new MemoryStream(bytes), false);
        var workbook = document.WorkbookPart!;

        // A date cell is a number shown by its style's format: every date format of the file is the one format.
        var formats = workbook.WorkbookStylesPart?.Stylesheet.NumberingFormats?.Elements<NumberingFormat>()
            .Where(f => f.FormatCode?.Value?.Contains("yy", StringComparison.OrdinalIgnoreCase) == true).Select(f => f.FormatCode!.Value!).ToList() ?? [];
        Assert.NotEmpty(formats);
        Assert.All(formats, f => Assert.Equal("yyyy-mm-dd", f));

        // An instant is text in the one format.
        var shared = workbook.SharedStringTablePart?.SharedStringTable.Elements<SharedStringItem>().Select(s => s.InnerText).ToList() ?? [];
        foreach (var sheet in workbook.WorksheetParts)
        {
            foreach (var cell in sheet.Worksheet.Descendants<Cell>())
            {
                var value = cell.DataType?.Value == CellValues.InlineString ? cell.InlineString?.InnerText
                    : cell.DataType?.Value == CellValues.SharedString ? shared[int.Parse(cell.CellValue!.Text, CultureInfo.InvariantCulture)]
                    : null;
                if (value is not null && LooksLikeADate().IsMatch(value))
                {
                    Assert.True(IsOneFormat(value), $"{cell.CellReference} = '{value}' in {path}");

                    // A day is a date cell, so that Excel sorts and filters it as a date (an as_of column was text).
                    Assert.False(DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _), $"{cell.CellReference} = '{value}' in {path} is a day written as text, not a date cell");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Workbooks))]
    public async Task Every_true_or_false_cell_is_written_as_1_or_0(string path)
    {
        // ECMA-376 Part 1 §18.18.11: a boolean cell's value is 0 or 1. "true" (as CellValue(bool) writes) is read by Excel,
        // misread by other spreadsheets (breaker's finding).
        await ReportAsync();
        using var client = path.Contains("/template", StringComparison.Ordinal) ? host.Municipality(M) : host.National();
        var bytes = await client.GetByteArrayAsync(new Uri(path, UriKind.Relative));
        using var document = SpreadsheetDocument.Open(new MemoryStream(bytes), false);
        var booleans = document.WorkbookPart!.WorksheetParts.SelectMany(s => s.Worksheet.Descendants<Cell>())
            .Where(c => c.DataType?.Value == CellValues.Boolean).ToList();
        Assert.All(booleans, c => Assert.True(c.CellValue?.Text is "0" or "1", $"{c.CellReference} = '{c.CellValue?.Text}' in {path}"));
        if (!path.Contains("/template", StringComparison.Ordinal))
        {
            Assert.Contains(booleans, c => c.CellValue!.Text == "1"); // the exports' flags (e.g. the reported system's regression false, stale true)
            Assert.Contains(booleans, c => c.CellValue!.Text == "0");
        }
    }

    private static bool IsOneFormat(string value) =>
        DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
        || DateTimeOffset.TryParseExact(value, "yyyy-MM-dd'T'HH:mm:ss.fffK", CultureInfo.InvariantCulture, DateTimeStyles.None, out _);

    private async Task ReportAsync()
    {
        using var client = host.Municipality(M);
        var (body, _) = await host.GetMunicipality(M);
        if (body.GetProperty("systems").EnumerateArray().Any(s => s.GetProperty("plannedGoLive").GetString() == "2027-04-01"))
        {
            return;
        }

        await host.PutSystem(client, M, "koseki", """{"phase":"testing","plannedGoLive":"2027-04-01","vendor":"株式会社サンプル","hosting":"government_cloud","notApplicable":false,"designated":false}""");
    }

    [GeneratedRegex("((^|_)at(_utc)?|as_of|planned_go_live|designation_target|_date)$")]
    private static partial Regex DateColumn();

    [GeneratedRegex(@"^\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}")]
    private static partial Regex LooksLikeADate();
}
