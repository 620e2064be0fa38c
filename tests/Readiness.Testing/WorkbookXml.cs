using System.IO.Compression;
using System.Text;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;

namespace Readiness.Testing;

/// <summary>
/// Rewrites a worksheet's XML as text inside an .xlsx, byte for byte what the edit gives: for cells no spreadsheet
/// program writes (a shared string index past the table, a row numbered 0), which the Open XML SDK's object model would
/// not let a test make. The SDK writes its sheets with the "x:" prefix; <see cref="TemplateCells"/> is for cells a person types.
/// </summary>
public static class WorkbookXml
{
    /// <summary>The named sheet's XML changed by <paramref name="edit"/>; without a name, the workbook's only worksheet.</summary>
    public static byte[] EditSheet(byte[] workbook, string? sheetName, Func<string, string> edit)
    {
        using var stream = new MemoryStream();
        stream.Write(workbook);
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Update, leaveOpen: true))
        {
            var entry = sheetName is null
                ? zip.Entries.Single(e => e.FullName.StartsWith("xl/worksheets/", StringComparison.Ordinal))
                : zip.GetEntry(SheetPath(workbook, sheetName))!;
            var path = entry.FullName;
            string xml;
            using (var reader = new StreamReader(entry.Open()))
            {
                xml = reader.ReadToEnd();
            }

            entry.Delete();
            using var writer = new StreamWriter(zip.CreateEntry(path, CompressionLevel.SmallestSize).Open(), new UTF8Encoding(false));
            writer.Write(edit(xml));
        }

        return stream.ToArray();
    }

    /// <summary>The named sheet's cell <paramref name="reference"/> (e.g. "E7") replaced by <paramref name="cellXml"/> as written.</summary>
    public static byte[] ReplaceCell(byte[] workbook, string sheetName, string reference, string cellXml) =>
        EditSheet(workbook, sheetName, xml =>
        {
            var start = xml.IndexOf($"<x:c r=\"{reference}\"", StringComparison.Ordinal);
            var selfClosed = xml.IndexOf("/>", start, StringComparison.Ordinal);
            var nextOpen = xml.IndexOf('>', start);
            var end = selfClosed >= 0 && selfClosed < nextOpen ? selfClosed + 2 : xml.IndexOf("</x:c>", start, StringComparison.Ordinal) + 6;
            return xml[..start] + cellXml + xml[end..];
        });

    private static string SheetPath(byte[] workbook, string sheetName)
    {
        using var doc = SpreadsheetDocument.Open(new MemoryStream(workbook), false);
        var sheet = doc.WorkbookPart!.Workbook.Descendants<Sheet>().Single(s => s.Name == sheetName);
        return doc.WorkbookPart.GetPartById(sheet.Id!).Uri.OriginalString.TrimStart('/');
    }
}
