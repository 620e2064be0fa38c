#:project ../../../web/Readiness.Web/Readiness.Web.csproj
#:property TreatWarningsAsErrors=false
#:property Nullable=enable

// Round 44: the nation's .xlsx export (every municipality × business system, 1,741 × 20 = 34,820 rows of the export's
// columns) written by the document object model (round 43's ReportingWorkbook.Table, copied below as OldTable) and by
// the streamed writer (ReportingWorkbook.Table now). Each run is its own process, so that its peak working set is its own.
//   dotnet run -c Release xlsx-table-bench.cs            3 runs of each, old and new alternating, then the figures
//   dotnet run -c Release xlsx-table-bench.cs -- check   the two workbooks' cells compared (every row), nothing timed
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Xml;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using Readiness.Catalog;
using Readiness.Rules;
using Readiness.Web.Api;
using Readiness.Web.Imports;

var mode = args.FirstOrDefault() ?? "all";
var header = ExportApi.ExportColumns.Select(c => (string)c!).ToArray();

if (mode is "old" or "new")
{
    var rows = NationRows();
    GC.Collect();
    GC.WaitForPendingFinalizers();
    GC.Collect();
    var before = Process.GetCurrentProcess();
    var baseline = before.PeakWorkingSet64;
    var allocated = GC.GetTotalAllocatedBytes(precise: true);
    var clock = Stopwatch.StartNew();
    var bytes = mode == "old" ? OldTable.Table("municipalities", header, rows) : ReportingWorkbook.Table("municipalities", header, rows);
    clock.Stop();
    allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
    var process = Process.GetCurrentProcess();
    Console.WriteLine(FormattableString.Invariant(
        $"{mode}\t{clock.Elapsed.TotalSeconds:F2}\t{allocated / 1048576.0:F0}\t{process.PeakWorkingSet64 / 1048576.0:F0}\t{baseline / 1048576.0:F0}\t{bytes.Length / 1048576.0:F2}\t{rows.Count}\t{header.Length}"));
    return;
}

if (mode == "check")
{
    var rows = NationRows();
    var (oldCells, newCells) = (Cells(OldTable.Table("municipalities", header, rows)), Cells(ReportingWorkbook.Table("municipalities", header, rows)));
    var differences = oldCells.Count(c => !newCells.TryGetValue(c.Key, out var n) || n != c.Value) + newCells.Keys.Count(k => !oldCells.ContainsKey(k));
    Console.WriteLine($"{oldCells.Count:N0} cells old, {newCells.Count:N0} new, {differences} differ (reference, t, s, value)");
    return;
}

// Parent: the runs, old and new alternating, each in its own process.
var self = Environment.ProcessPath!;
var selfArgs = Path.GetFileNameWithoutExtension(self) == "dotnet" ? new[] { Environment.GetCommandLineArgs()[0] } : [];
Console.WriteLine("writer\twall_s\talloc_MiB\tpeak_ws_MiB\tpeak_before_MiB\txlsx_MiB\trows\tcolumns");
for (var run = 0; run < 3; run++)
{
    foreach (var which in new[] { "old", "new" })
    {
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true };
        foreach (var a in selfArgs)
        {
            start.ArgumentList.Add(a);
        }

        start.ArgumentList.Add(which);
        using var child = Process.Start(start)!;
        Console.Write(child.StandardOutput.ReadToEnd());
        child.WaitForExit();
    }
}

// The nation's rows as the export makes them: every municipality's baseline with a vendor, a go-live date and a report
// time on each system, so the text, date and instant columns are filled as in a reported nation.
static List<IReadOnlyList<object?>> NationRows()
{
    var catalog = ReadinessCatalog.Instance;
    var today = new DateOnly(2026, 12, 7);
    var at = new DateTimeOffset(2026, 11, 25, 0, 30, 0, TimeSpan.Zero);
    var rows = new List<IReadOnlyList<object?>>();
    foreach (var m in catalog.Municipalities)
    {
        var record = Baseline.Create(m.Code, at);
        var systems = record.Systems.Select((s, i) => s with { Vendor = $"ベンダー{i % 7} & Co <{m.Code}>", PlannedGoLive = today.AddDays(i * 11), ReportedAt = at.AddMinutes(i) }).ToArray();
        record = record with { Systems = [.. systems] };
        rows.AddRange(record.Systems.Select(s => ExportApi.ExportRow(m, record, s, today)));
    }

    return rows;
}

// Every cell of the sheet as (reference → t, s, value or inline text).
static Dictionary<string, (string? T, string? S, string? V)> Cells(byte[] bytes)
{
    using var zip = new ZipArchive(new MemoryStream(bytes));
    var sheet = zip.Entries.Single(e => e.FullName.StartsWith("xl/worksheets/", StringComparison.Ordinal));
    using var reader = XmlReader.Create(sheet.Open());
    var cells = new Dictionary<string, (string?, string?, string?)>();
    string? r = null, t = null, s = null, v = null;
    while (reader.Read())
    {
        if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "c")
        {
            (r, t, s, v) = (reader.GetAttribute("r"), reader.GetAttribute("t"), reader.GetAttribute("s"), null);
            if (reader.IsEmptyElement)
            {
                cells[r!] = (t, s, v);
            }
        }
        else if (reader.NodeType == XmlNodeType.Element && reader.LocalName is "v" or "t")
        {
            v = reader.ReadElementContentAsString();
            cells[r!] = (t, s, v);
        }
    }

    return cells;
}

// Round 43's writer: the sheet as a document object model, saved through SpreadsheetDocument, the zip rewritten for
// fixed entry times.
static class OldTable
{
    private const uint Locked = 0;
    private const uint Header = 3;
    private const uint LockedDate = 4;

    public static byte[] Table(string sheetName, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<object?>> rows)
    {
        using var stream = new MemoryStream();
        using (var doc = SpreadsheetDocument.Create(stream, SpreadsheetDocumentType.Workbook))
        {
            var workbook = doc.AddNewPart<WorkbookPart>("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", "rIdWorkbook");
            workbook.Workbook = new Workbook();
            var styles = workbook.AddNewPart<WorkbookStylesPart>("rIdStyles");
            styles.Stylesheet = Styles();
            var sheets = new Sheets();
            var data = new List<Row> { TextRow(1, [.. header.Select(h => (h, Header))]) };
            uint r = 2;
            foreach (var values in rows)
            {
                var row = new Row { RowIndex = r };
                for (var c = 0; c < values.Count; c++)
                {
                    var column = Column(c + 1);
                    row.Append(values[c] switch
                    {
                        null => new Cell { CellReference = column + r },
                        string s => Text(column, r, s, Locked),
                        bool b => new Cell { CellReference = column + r, DataType = CellValues.Boolean, CellValue = new CellValue(b ? "1" : "0") },
                        int i => Number(column, r, i),
                        long l => Number(column, r, l),
                        decimal d => Number(column, r, (double)d),
                        double d => Number(column, r, d),
                        DateOnly d => new Cell { CellReference = column + r, CellValue = new CellValue(Readiness.Imports.CellValues.ToSerial(d)), StyleIndex = LockedDate },
                        DateTimeOffset t => Text(column, r, CsvOutput.Instant(t), Locked),
                        var other => Text(column, r, Convert.ToString(other, CultureInfo.InvariantCulture), Locked),
                    });
                }

                data.Add(row);
                r++;
            }

            var part = workbook.AddNewPart<WorksheetPart>("rIdSheet1");
            var worksheet = new Worksheet();
            worksheet.Append(new SheetViews(new SheetView(new Pane { VerticalSplit = 1, TopLeftCell = "A2", ActivePane = PaneValues.BottomLeft, State = PaneStateValues.Frozen }) { WorkbookViewId = 0 }));
            var columns = new Columns();
            for (var i = 0; i < header.Count; i++)
            {
                columns.Append(new Column { Min = (uint)i + 1, Max = (uint)i + 1, Width = Math.Clamp(header[i].Length + 4, 10, 30), CustomWidth = true });
            }

            worksheet.Append(columns);
            var sheetData = new SheetData();
            sheetData.Append(data);
            worksheet.Append(sheetData);
            part.Worksheet = worksheet;
            sheets.Append(new Sheet { Id = workbook.GetIdOfPart(part), SheetId = 1, Name = sheetName });
            workbook.Workbook.Append(sheets);
            workbook.Workbook.Save();
        }

        using (var zip = new ZipArchive(stream, ZipArchiveMode.Update, leaveOpen: true))
        {
            foreach (var entry in zip.Entries)
            {
                entry.LastWriteTime = new DateTime(1980, 1, 1);
            }
        }

        return stream.ToArray();
    }

    private static Stylesheet Styles() => new(
        new NumberingFormats(new NumberingFormat { NumberFormatId = 164, FormatCode = "yyyy-mm-dd" }) { Count = 1 },
        new Fonts(new Font(new FontSize { Val = 11 }), new Font(new Bold(), new FontSize { Val = 11 })) { Count = 2 },
        new Fills(
            new Fill(new PatternFill { PatternType = PatternValues.None }),
            new Fill(new PatternFill { PatternType = PatternValues.Gray125 }),
            new Fill(new PatternFill(new ForegroundColor { Rgb = "FFE7E6E6" }) { PatternType = PatternValues.Solid })) { Count = 3 },
        new Borders(new Border()) { Count = 1 },
        new CellStyleFormats(new CellFormat()) { Count = 1 },
        new CellFormats(
            new CellFormat(),
            new CellFormat(new Protection { Locked = false }) { ApplyProtection = true },
            new CellFormat(new Protection { Locked = false }) { NumberFormatId = 164, ApplyNumberFormat = true, ApplyProtection = true },
            new CellFormat { FontId = 1, FillId = 2, ApplyFont = true, ApplyFill = true },
            new CellFormat { NumberFormatId = 164, ApplyNumberFormat = true },
            new CellFormat(new Alignment { WrapText = true, Vertical = VerticalAlignmentValues.Top }) { FontId = 1, FillId = 2, ApplyFont = true, ApplyFill = true, ApplyAlignment = true }) { Count = 6 });

    private static Row TextRow(uint index, (string Text, uint Style)[] cells)
    {
        var row = new Row { RowIndex = index };
        for (var i = 0; i < cells.Length; i++)
        {
            row.Append(Text(Column(i + 1), index, cells[i].Text, cells[i].Style));
        }

        return row;
    }

    private static Cell Text(string column, uint row, string? text, uint style) => string.IsNullOrEmpty(text)
        ? new Cell { CellReference = column + row, StyleIndex = style }
        : new Cell(new InlineString(new Text(text) { Space = SpaceProcessingModeValues.Preserve })) { CellReference = column + row, DataType = CellValues.InlineString, StyleIndex = style };

    private static Cell Number(string column, uint row, double value) => double.IsFinite(value)
        ? new() { CellReference = column + row, CellValue = new CellValue(value) }
        : new() { CellReference = column + row };

    private static string Column(int number)
    {
        var name = string.Empty;
        while (number > 0)
        {
            var rem = (number - 1) % 26;
            name = (char)('A' + rem) + name;
            number = (number - 1) / 26;
        }

        return name;
    }
}
