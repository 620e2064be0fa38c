using System.IO.Compression;
using System.Text;
using DocumentFormat.OpenXml.Packaging;
using Readiness.Imports;
using Readiness.Rules;
using Readiness.Testing;
using Readiness.Web.Imports;
using X = DocumentFormat.OpenXml.Spreadsheet;

namespace Readiness.Tests.Imports;

/// <summary>
/// Reading an uploaded reporting template (ReportingWorkbook.Read): a cell that cannot be read is never blank (blank
/// clears the stored value), a row or cell no sheet can hold is refused, and a bomb is refused as it is read, in
/// bounded memory (breaker's findings 2 and 9).
/// </summary>
public sealed class ReportingWorkbookReadingTests
{
    private static readonly string Systems = ReportingTemplate.SystemsSheet;

    private static byte[] Template() => ReportingWorkbook.Template(Baseline.Create("131016", DateTimeOffset.UtcNow) with { Version = 3 });

    [Fact]
    public void TheTemplateReadsBackCellByCell()
    {
        var (sheets, error) = ReportingWorkbook.Read(Template());

        Assert.Null(error);
        var cells = sheets![Systems];
        Assert.Equal("131016", cells["B2"]);
        Assert.Equal("3", cells["B3"]);
        var row = ReportingTemplate.FirstRow;
        Assert.NotNull(cells[$"A{row}"]);
        Assert.NotNull(cells[$"B{row}"]);
        Assert.NotNull(cells[$"C{row}"]);
        Assert.NotNull(cells[$"A{row + 19}"]);
        Assert.NotNull(sheets[ReportingTemplate.SecuritySheet][$"A{row + 46}"]);
    }

    [Theory]
    [InlineData("t=\"s\"", "<x:v>99999</x:v>")]
    [InlineData("t=\"s\"", "<x:v>-1</x:v>")]
    [InlineData("t=\"e\"", "<x:v>#N/A</x:v>")]
    [InlineData("", "<x:v>abc</x:v>")]
    [InlineData("", "<x:v>NaN</x:v>")]
    [InlineData("t=\"n\"", "<x:v>1e999</x:v>")]
    [InlineData("t=\"inlineStr\"", "<x:v>text</x:v>")]
    [InlineData("t=\"b\"", "<x:v>2</x:v>")]
    [InlineData("t=\"d\"", "<x:v>not a date</x:v>")]
    public void ACellThatCannotBeReadIsNotBlank(string type, string content)
    {
        var file = Replace(Template(), Systems, "E7", $"<x:c xmlns:x=\"{Ns}\" r=\"E7\" {type}>{content}</x:c>");

        var (sheets, error) = ReportingWorkbook.Read(file);

        Assert.Null(error);
        Assert.IsType<UnreadableCell>(sheets![Systems]["E7"]);
    }

    [Theory]
    [InlineData("-5")]
    [InlineData("2000000000")]
    [InlineData("0")]
    [InlineData("x")]
    public void ARowNoSheetCanHoldIsRefused(string r)
    {
        var file = WorkbookXml.EditSheet(Template(), Systems, xml => xml.Replace("<x:row r=\"7\"", $"<x:row r=\"{r}\"", StringComparison.Ordinal));

        var (sheets, error) = ReportingWorkbook.Read(file);

        Assert.Null(sheets);
        Assert.Equal("file", error!.Field);
        Assert.Equal("invalid_reference", error.Code);
        Assert.Contains(r, error.MessageEn, StringComparison.Ordinal);
    }

    [Fact]
    public void ABombIsRefusedAsItIsReadInBoundedMemory()
    {
        // 40 MB of extra rows in one sheet (a 2 MB upload may unpack to 200 MB): refused after MaxCells cells, whatever
        // the zip's headers say (the upload's check refuses it before, from the headers).
        var rows = new StringBuilder();
        for (var n = 100_000; rows.Length < 40 * 1024 * 1024; n++)
        {
            rows.Append($"<x:row r=\"{n}\">");
            foreach (var c in "ABCDEFGHIJ")
            {
                rows.Append($"<x:c r=\"{c}{n}\" t=\"inlineStr\"><x:is><x:t>{new string('a', 400)}</x:t></x:is></x:c>");
            }

            rows.Append("</x:row>");
        }

        var file = WorkbookXml.EditSheet(Template(), ReportingTemplate.SecuritySheet, xml => xml.Replace("</x:sheetData>", rows + "</x:sheetData>", StringComparison.Ordinal));
        rows.Clear();
        GC.Collect();

        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var (sheets, error) = ReportingWorkbook.Read(file);
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

        Assert.Null(sheets);
        Assert.Equal("file", error!.Field);
        Assert.True(allocated < 64L * 1024 * 1024, $"{allocated / 1024 / 1024} MB allocated reading the bomb");
    }

    [Fact]
    public void TheTemplateUploadCheckFollowsItsOwnLimit()
    {
        // 30 MB in one part, compressing as the breaker's bomb (ratio about 100, under 2 MB zipped): within the official
        // imports' 200 MB, over what a template holds.
        using var stream = new MemoryStream();
        stream.Write(Template());
        var random = new Random(1);
        var block = new byte[401];
        block.AsSpan().Fill((byte)'a');
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Update, leaveOpen: true))
        using (var entry = zip.CreateEntry("xl/media/padding.bin", CompressionLevel.SmallestSize).Open())
        {
            for (var written = 0; written < 30 * 1024 * 1024; written += block.Length)
            {
                block[^1] = (byte)('0' + random.Next(10));
                entry.Write(block);
            }
        }

        var file = stream.ToArray();
        Assert.True(file.Length < ReportingWorkbook.MaxTemplateBytes, $"{file.Length} bytes");
        Assert.Null(OfficialWorkbook.Check("t.xlsx", file));

        var refused = ReportingWorkbook.Check("t.xlsx", file);

        Assert.Equal("file", refused!.Field);
        Assert.Equal("zip_bomb", refused.Code);
    }

    private const string Ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";

    private static byte[] Replace(byte[] workbook, string sheetName, string reference, string outerXml)
    {
        using var stream = new MemoryStream();
        stream.Write(workbook);
        using (var doc = SpreadsheetDocument.Open(stream, true))
        {
            var cell = SheetPart(doc, sheetName).Worksheet.Descendants<X.Cell>().First(c => c.CellReference == reference);
            cell.InsertAfterSelf(new X.Cell(outerXml));
            cell.Remove();
            doc.Save();
        }

        return stream.ToArray();
    }

    private static WorksheetPart SheetPart(SpreadsheetDocument doc, string name)
    {
        var sheet = doc.WorkbookPart!.Workbook.Descendants<X.Sheet>().Single(s => s.Name == name);
        return (WorksheetPart)doc.WorkbookPart.GetPartById(sheet.Id!);
    }
}
