using System.Globalization;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;

namespace Readiness.Testing;

/// <summary>One municipality row of a generated MIC progress workbook: names as written, and 20 rates keyed by MIC's label.</summary>
public sealed record MicRow(string Prefecture, string Municipality, IReadOnlyDictionary<string, decimal> Rates, bool Hidden = false, bool FullWidth = false);

/// <summary>
/// Generates official workbooks in the published layouts, with their quirks, for tests (never hand-edited binaries):
/// MIC's per-municipality progress tally: a sheet named after the era month, two merged title rows, a header row of
/// business names in MIC's wording (in the order given, with trailing spaces), the prefecture written once per
/// prefecture and merged down, an overall rate and 20 rates; some rows hidden, some rates as full-width text.
/// </summary>
public static class OfficialWorkbooks
{
    public static byte[] MicProgress(string sheetName, IReadOnlyList<string> businessLabels, IEnumerable<MicRow> rows, bool macroEnabled = false)
    {
        using var stream = new MemoryStream();
        using (var doc = SpreadsheetDocument.Create(stream, macroEnabled ? SpreadsheetDocumentType.MacroEnabledWorkbook : SpreadsheetDocumentType.Workbook))
        {
            var workbook = doc.AddWorkbookPart();
            workbook.Workbook = new Workbook();
            var sheetPart = workbook.AddNewPart<WorksheetPart>();
            var data = new SheetData();
            var merges = new MergeCells();
            var lastColumn = Column(2 + businessLabels.Count);

            data.Append(TextRow(1, ["市区町村別・業務別 標準化の進捗状況（PMOツール集計）"]));
            merges.Append(new MergeCell { Reference = $"A1:{lastColumn}1" });
            data.Append(TextRow(2, ["※進捗率は（完了済みステップ数＋対象外ステップ数）÷40。移行完了率ではありません。"]));
            merges.Append(new MergeCell { Reference = $"A2:{lastColumn}2" });
            data.Append(TextRow(3, ["都道府県 ", "市区町村名", "全体 ", .. businessLabels.Select(l => l + " ")]));

            uint r = 4;
            string? currentPrefecture = null;
            uint prefectureStart = 4;
            foreach (var row in rows)
            {
                if (row.Prefecture != currentPrefecture)
                {
                    if (currentPrefecture is not null && r - 1 > prefectureStart)
                    {
                        merges.Append(new MergeCell { Reference = $"A{prefectureStart}:A{r - 1}" });
                    }

                    currentPrefecture = row.Prefecture;
                    prefectureStart = r;
                }

                var xml = new Row { RowIndex = r };
                if (row.Hidden)
                {
                    xml.Hidden = true;
                }

                if (r == prefectureStart)
                {
                    xml.Append(Text($"A{r}", row.Prefecture));
                }

                xml.Append(Text($"B{r}", row.Municipality + " "));
                var rates = businessLabels.Select(l => row.Rates[l]).ToList();
                xml.Append(Number($"C{r}", rates.Average()));
                for (var i = 0; i < rates.Count; i++)
                {
                    var reference = $"{Column(3 + i)}{r}";
                    xml.Append(row.FullWidth && i % 2 == 0 ? Text(reference, FullWidth(rates[i].ToString(CultureInfo.InvariantCulture))) : Number(reference, rates[i]));
                }

                data.Append(xml);
                r++;
            }

            if (currentPrefecture is not null && r - 1 > prefectureStart)
            {
                merges.Append(new MergeCell { Reference = $"A{prefectureStart}:A{r - 1}" });
            }

            var worksheet = new Worksheet(data);
            worksheet.InsertAfter(merges, data);
            sheetPart.Worksheet = worksheet;
            var sheets = workbook.Workbook.AppendChild(new Sheets());
            sheets.Append(new Sheet { Id = workbook.GetIdOfPart(sheetPart), SheetId = 1, Name = sheetName });
            workbook.Workbook.Save();
        }

        return stream.ToArray();
    }

    /// <summary>Full-width digits and point, as typed with a Japanese IME.</summary>
    public static string FullWidth(string text) => string.Concat(text.Select(c => c switch
    {
        >= '0' and <= '9' => (char)('０' + (c - '0')),
        '.' => '．',
        _ => c,
    }));

    /// <summary>Excel's column letters for a 0-based index.</summary>
    public static string Column(int index)
    {
        var name = string.Empty;
        for (var n = index + 1; n > 0; n = (n - 1) / 26)
        {
            name = (char)('A' + ((n - 1) % 26)) + name;
        }

        return name;
    }

    private static Row TextRow(uint index, IReadOnlyList<string> values)
    {
        var row = new Row { RowIndex = index };
        for (var i = 0; i < values.Count; i++)
        {
            row.Append(Text($"{Column(i)}{index}", values[i]));
        }

        return row;
    }

    private static Cell Text(string reference, string value) =>
        new(new InlineString(new Text(value) { Space = SpaceProcessingModeValues.Preserve })) { CellReference = reference, DataType = CellValues.InlineString };

    private static Cell Number(string reference, decimal value) =>
        new(new CellValue(value.ToString(CultureInfo.InvariantCulture))) { CellReference = reference, DataType = CellValues.Number };
}
