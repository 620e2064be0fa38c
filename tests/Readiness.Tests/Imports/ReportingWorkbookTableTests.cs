using System.Text;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using DocumentFormat.OpenXml.Validation;
using ExcelDataReader;
using Readiness.Web.Imports;

namespace Readiness.Tests.Imports;

/// <summary>
/// The tables as .xlsx (a prefecture's municipalities, the nation's export) are written streamed, one row at a time
/// (round 44: the document object model took 0.9–1.4 GB for the nation). Read back by another reader (ExcelDataReader),
/// by the Open XML SDK and its schema validator, and by the product's own reader, the workbook is what it was: one sheet
/// of that name, the header row frozen, numbers as numbers, dates as date cells, booleans, text escaped as XML needs.
/// </summary>
public sealed class ReportingWorkbookTableTests
{
    private static readonly string[] Header = ["code", "name", "count", "ratio", "go_live", "designated", "updated_at_utc", "note", "missing"];

    private static readonly object?[][] Rows =
    [
        ["131016", "千代田区", 42, 0.25m, new DateOnly(2026, 11, 30), true, new DateTimeOffset(2026, 11, 25, 0, 30, 0, TimeSpan.Zero), "A&B <株式会社> \"標準\" 'x' ]]>", null],
        ["011002", "札幌市", 7L, 2.5, new DateOnly(2025, 4, 1), false, null, "  前後の空白  ", null],
        ["472018", "那覇市", 0, -1.75, null, false, null, null, null],
    ];

    [Fact]
    public void Another_reader_sees_the_sheet_header_types_and_values()
    {
        var bytes = ReportingWorkbook.Table("13東京都", Header, Rows);

        var (sheets, table) = ReadAll(bytes);
        Assert.Equal(["13東京都"], sheets);
        Assert.Equal(1 + Rows.Length, table.Count);
        Assert.Equal(Header, table[0].Take(Header.Length).Cast<string>());

        Assert.Equal("131016", table[1][0]);
        Assert.Equal("千代田区", table[1][1]);
        Assert.Equal(42d, table[1][2]);
        Assert.Equal(0.25d, table[1][3]);
        Assert.Equal(new DateTime(2026, 11, 30), table[1][4]);
        Assert.Equal(true, table[1][5]);
        Assert.Equal("2026-11-25T00:30:00.000Z", table[1][6]);
        Assert.Equal("A&B <株式会社> \"標準\" 'x' ]]>", table[1][7]);
        Assert.Null(table[1][8]);

        Assert.Equal("011002", table[2][0]);
        Assert.Equal(7d, table[2][2]);
        Assert.Equal(2.5d, table[2][3]);
        Assert.Equal(new DateTime(2025, 4, 1), table[2][4]);
        Assert.Equal(false, table[2][5]);
        Assert.Equal("  前後の空白  ", table[2][7]);

        Assert.Equal("那覇市", table[3][1]);
        Assert.Equal(0d, table[3][2]);
        Assert.Equal(-1.75d, table[3][3]);
        Assert.Null(table[3][4]);
    }

    [Fact]
    public void The_package_is_valid_with_the_header_frozen_and_the_columns_sized()
    {
        var bytes = ReportingWorkbook.Table("13東京都", Header, Rows);

        using var doc = SpreadsheetDocument.Open(new MemoryStream(bytes), false);
        Assert.Empty(new OpenXmlValidator().Validate(doc).Select(e => $"{e.Part?.Uri} {e.Path?.XPath}: {e.Description}"));

        var workbook = doc.WorkbookPart!;
        var sheet = Assert.Single(workbook.Workbook.Sheets!.Elements<Sheet>());
        Assert.Equal("13東京都", sheet.Name?.Value);
        var worksheet = ((WorksheetPart)workbook.GetPartById(sheet.Id!.Value!)).Worksheet;
        var pane = worksheet.Descendants<Pane>().Single();
        Assert.Equal(PaneStateValues.Frozen, pane.State?.Value);
        Assert.Equal("A2", pane.TopLeftCell?.Value);
        Assert.Equal(
            Header.Select(h => (double)Math.Clamp(h.Length + 4, 10, 30)),
            worksheet.Descendants<Column>().Select(c => c.Width!.Value));

        // The header is bold on grey (style 3); dates carry the yyyy-mm-dd format (style 4).
        var cells = worksheet.Descendants<Cell>().ToDictionary(c => c.CellReference!.Value!);
        Assert.Equal(3u, cells["A1"].StyleIndex?.Value);
        Assert.Equal(4u, cells["E2"].StyleIndex?.Value);
        Assert.Equal("yyyy-mm-dd", workbook.WorkbookStylesPart!.Stylesheet.NumberingFormats!.Elements<NumberingFormat>().Single().FormatCode?.Value);

        // The product's own reader sees the same cells.
        var (read, error) = ReportingWorkbook.Read(bytes);
        Assert.Null(error);
        Assert.Equal("A&B <株式会社> \"標準\" 'x' ]]>", read!["13東京都"]["H2"]);
        Assert.Equal(true, read["13東京都"]["F2"]);
        Assert.Equal(42d, read["13東京都"]["C2"]);
    }

    [Fact]
    public void An_empty_table_is_its_header_alone()
    {
        var bytes = ReportingWorkbook.Table("municipalities", Header, []);

        var (sheets, table) = ReadAll(bytes);
        Assert.Equal(["municipalities"], sheets);
        var row = Assert.Single(table);
        Assert.Equal(Header, row.Cast<string>());

        using var doc = SpreadsheetDocument.Open(new MemoryStream(bytes), false);
        Assert.Empty(new OpenXmlValidator().Validate(doc).Select(e => $"{e.Path?.XPath}: {e.Description}"));
    }

    /// <summary>
    /// The sheet is streamed, not held: a table's allocations grow by what a row's cells take to write, not by a document
    /// object model of every cell (round 43's writer took ~26 KiB a row of 33 cells, ~900 MiB for the nation, measured in
    /// docs/performance.md; streamed, ~3.5 KiB). 3,000 rows of 33 cells must take less than 10 KiB a row.
    /// </summary>
    [Fact]
    public void A_large_table_is_not_held_in_memory()
    {
        var header = Enumerable.Range(0, 33).Select(i => $"column_{i}").ToArray();
        var rows = Enumerable.Range(0, 3_000).Select(r => (IReadOnlyList<object?>)Enumerable.Range(0, 33).Select<int, object?>(c => (c % 5) switch
        {
            0 => $"ベンダー{r} & Co <{c}>",
            1 => r * c,
            2 => new DateOnly(2026, 1, 1).AddDays(r % 365),
            3 => r % 2 == 0,
            _ => null,
        }).ToArray()).ToList();
        ReportingWorkbook.Table("warm", header, rows.Take(10)); // the first call's JIT and static data are not the table's

        var before = GC.GetAllocatedBytesForCurrentThread();
        var bytes = ReportingWorkbook.Table("municipalities", header, rows);
        var perRow = (GC.GetAllocatedBytesForCurrentThread() - before) / rows.Count;

        Assert.True(perRow < 10 * 1024, $"{perRow:N0} bytes allocated a row");
        Assert.Equal(rows.Count + 1, ReadAll(bytes).Rows.Count);
    }

    private static (List<string> Sheets, List<object?[]> Rows) ReadAll(byte[] bytes)
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        using var reader = ExcelReaderFactory.CreateReader(new MemoryStream(bytes));
        var sheets = new List<string>();
        var rows = new List<object?[]>();
        do
        {
            sheets.Add(reader.Name);
            while (reader.Read())
            {
                var row = new object?[reader.FieldCount];
                for (var i = 0; i < row.Length; i++)
                {
                    row[i] = reader.GetValue(i);
                }

                rows.Add(row);
            }
        }
        while (reader.NextResult());

        return (sheets, rows);
    }
}
