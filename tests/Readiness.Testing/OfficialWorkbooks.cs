using System.Globalization;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using Readiness.Catalog;

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

    /// <summary>
    /// MIC's step detail: two merged title rows (the second says the as-of day, e.g. 「令和8年2月28日時点」), a header
    /// 都道府県 / 市区町村 / 業務 / ステップ1…40 (steps in the order given), then one row per municipality and business
    /// with the prefecture and municipality written once and merged down, each step 完了済み / 作業中 / 未着手 / 対象外
    /// or blank; a blank row between prefectures. Written row by row (OpenXmlWriter) so 34,820 rows stay small in memory.
    /// </summary>
    /// <param name="rows">(prefecture, municipality, business label, 40 step cells, hidden).</param>
    public static byte[] MicStepDetail(string sheetName, string asOfTitle, IReadOnlyList<int> stepOrder,
        IEnumerable<(string Prefecture, string Municipality, string Business, string?[] Steps, bool Hidden)> rows)
    {
        using var stream = new MemoryStream();
        using (var doc = SpreadsheetDocument.Create(stream, SpreadsheetDocumentType.Workbook))
        {
            var workbook = doc.AddWorkbookPart();
            workbook.Workbook = new Workbook();
            var sheetPart = workbook.AddNewPart<WorksheetPart>();
            var merges = new List<string>();
            var lastColumn = Column(2 + stepOrder.Count);
            using (var writer = OpenXmlWriter.Create(sheetPart))
            {
                writer.WriteStartElement(new Worksheet());
                writer.WriteStartElement(new SheetData());
                writer.WriteElement(TextRow(1, ["市区町村別・業務別 ステップ進捗（PMOツール）"]));
                merges.Add($"A1:{lastColumn}1");
                writer.WriteElement(TextRow(2, [asOfTitle]));
                merges.Add($"A2:{lastColumn}2");
                writer.WriteElement(TextRow(3, ["都道府県", "市区町村 ", "業務名", .. stepOrder.Select(n => $"ステップ{n} ")]));
                uint r = 4;
                string? prefecture = null, municipality = null;
                uint municipalityStart = 4;
                foreach (var row in rows)
                {
                    if (row.Prefecture != prefecture && prefecture is not null)
                    {
                        r++; // a blank row between prefectures
                    }

                    var xml = new Row { RowIndex = r };
                    if (row.Hidden)
                    {
                        xml.Hidden = true;
                    }

                    if (row.Prefecture != prefecture)
                    {
                        xml.Append(Text($"A{r}", row.Prefecture));
                    }

                    if (row.Municipality != municipality || row.Prefecture != prefecture)
                    {
                        if (municipality is not null && r - 1 > municipalityStart)
                        {
                            merges.Add($"B{municipalityStart}:B{r - 1}");
                        }

                        municipalityStart = r;
                        xml.Append(Text($"B{r}", row.Municipality + " "));
                    }

                    (prefecture, municipality) = (row.Prefecture, row.Municipality);
                    xml.Append(Text($"C{r}", row.Business));
                    for (var i = 0; i < stepOrder.Count; i++)
                    {
                        if (row.Steps[stepOrder[i] - 1] is { } value)
                        {
                            xml.Append(Text($"{Column(3 + i)}{r}", value));
                        }
                    }

                    writer.WriteElement(xml);
                    r++;
                }

                writer.WriteEndElement();
                writer.WriteStartElement(new MergeCells());
                foreach (var m in merges)
                {
                    writer.WriteElement(new MergeCell { Reference = m });
                }

                writer.WriteEndElement();
                writer.WriteEndElement();
            }

            var sheets = workbook.Workbook.AppendChild(new Sheets());
            sheets.Append(new Sheet { Id = workbook.GetIdOfPart(sheetPart), SheetId = 1, Name = sheetName });
            workbook.Workbook.Save();
        }

        return stream.ToArray();
    }

    /// <summary>The designation list's 自治体区分 of a municipality (a city other than a designated one is written 一般市).</summary>
    public static string KindLabel(MunicipalityKind kind) => kind switch
    {
        MunicipalityKind.DesignatedCity => "指定都市",
        MunicipalityKind.SpecialWard => "特別区",
        MunicipalityKind.Town => "町",
        MunicipalityKind.Village => "村",
        _ => "一般市",
    };

    /// <summary>
    /// The Digital Agency's designation list: a title row with the as-of day, a blank row, the header 団体コード /
    /// 自治体名 / 自治体区分 / the businesses (labels in the order given) / 共通機能, then one row per body with ● marks.
    /// A code may be written as a number (Excel drops its leading zero).
    /// </summary>
    /// <param name="rows">(code as a cell value: string or number, joined name, kind, marked business labels, 共通機能).</param>
    public static byte[] DesignationList(string title, IReadOnlyList<string> businessLabels,
        IEnumerable<(object Code, string Name, string Kind, IReadOnlyCollection<string> Marked, bool Common)> rows)
    {
        using var stream = new MemoryStream();
        using (var doc = SpreadsheetDocument.Create(stream, SpreadsheetDocumentType.Workbook))
        {
            var workbook = doc.AddWorkbookPart();
            workbook.Workbook = new Workbook();
            var sheetPart = workbook.AddNewPart<WorksheetPart>();
            var data = new SheetData();
            data.Append(TextRow(1, [title]));
            data.Append(TextRow(3, ["団体コード", "自治体名", "自治体区分", .. businessLabels, "共通機能"]));
            uint r = 4;
            foreach (var row in rows)
            {
                var xml = new Row { RowIndex = r };
                xml.Append(row.Code is string code ? Text($"A{r}", code) : Number($"A{r}", Convert.ToDecimal(row.Code, CultureInfo.InvariantCulture)));
                xml.Append(Text($"B{r}", row.Name));
                xml.Append(Text($"C{r}", row.Kind));
                for (var i = 0; i < businessLabels.Count; i++)
                {
                    if (row.Marked.Contains(businessLabels[i]))
                    {
                        xml.Append(Text($"{Column(3 + i)}{r}", "●"));
                    }
                }

                if (row.Common)
                {
                    xml.Append(Text($"{Column(3 + businessLabels.Count)}{r}", "●"));
                }

                data.Append(xml);
                r++;
            }

            sheetPart.Worksheet = new Worksheet(data);
            var sheets = workbook.Workbook.AppendChild(new Sheets());
            sheets.Append(new Sheet { Id = workbook.GetIdOfPart(sheetPart), SheetId = 1, Name = "該当見込み一覧" });
            workbook.Workbook.Save();
        }

        return stream.ToArray();
    }

    /// <summary>Rows as CSV the way Excel's 「CSV（コンマ区切り）」 saves them: Shift_JIS (code page 932), CRLF, quotes where needed; optionally UTF-8 with BOM (「CSV UTF-8」).</summary>
    public static byte[] Csv(IEnumerable<IReadOnlyList<string?>> rows, bool utf8Bom = false)
    {
        System.Text.Encoding.RegisterProvider(System.Text.CodePagesEncodingProvider.Instance);
        var text = new System.Text.StringBuilder();
        foreach (var row in rows)
        {
            text.Append(string.Join(',', row.Select(v => v is null ? string.Empty : v.IndexOfAny([',', '"', '\n']) >= 0 ? '"' + v.Replace("\"", "\"\"", StringComparison.Ordinal) + '"' : v)));
            text.Append("\r\n");
        }

        return utf8Bom
            ? [0xEF, 0xBB, 0xBF, .. System.Text.Encoding.UTF8.GetBytes(text.ToString())]
            : System.Text.Encoding.GetEncoding(932).GetBytes(text.ToString());
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
