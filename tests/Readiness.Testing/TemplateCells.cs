using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;

namespace Readiness.Testing;

/// <summary>Changes cells of a downloaded workbook as a person does in Excel: text as string cells, numbers (and date serials) as number cells.</summary>
public static class TemplateCells
{
    public static byte[] Edit(byte[] workbook, params (string Sheet, string Cell, object? Value)[] edits)
    {
        using var stream = new MemoryStream();
        stream.Write(workbook);
        using (var doc = SpreadsheetDocument.Open(stream, true))
        {
            foreach (var (sheetName, reference, value) in edits)
            {
                var sheet = doc.WorkbookPart!.Workbook.Descendants<Sheet>().Single(s => s.Name == sheetName);
                var part = (WorksheetPart)doc.WorkbookPart.GetPartById(sheet.Id!);
                var cell = part.Worksheet.Descendants<Cell>().First(c => c.CellReference == reference);
                cell.RemoveAllChildren();
                cell.DataType = null;
                switch (value)
                {
                    case string text:
                        cell.DataType = CellValues.InlineString;
                        cell.Append(new InlineString(new Text(text)));
                        break;
                    case double number:
                        cell.CellValue = new CellValue(number);
                        break;
                }
            }

            doc.Save();
        }

        return stream.ToArray();
    }
}
