using System.Globalization;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using Readiness.Catalog;
using Readiness.Imports;
using Values = Readiness.Imports.CellValues;
using X = DocumentFormat.OpenXml.Spreadsheet;

namespace Readiness.Web.Imports;

/// <summary>
/// The .xlsx files of the product, written and read with the Open XML SDK: a municipality's reporting template (layout
/// and vocabulary in <see cref="ReportingTemplate"/>: headers in Japanese with the English under them, drop-down lists for phases, hosting, yes/no,
/// reasons and statuses, real date cells, the code and version it was made from; sheets protected so that only the
/// fields to report can be typed in, the workbook's structure locked) and the tables (prefecture, nation) as plain
/// sheets. Reading gives every cell's value as the reader sees it (string, double, bool) by sheet and reference.
/// </summary>
public static class ReportingWorkbook
{
    public const string ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    /// <summary>The largest template taken (a filled-in template is about 20 KB).</summary>
    public const long MaxTemplateBytes = 2L * 1024 * 1024;

    // Cell styles (the order of CellFormats in Styles()).
    private const uint Locked = 0;
    private const uint Open = 1;
    private const uint OpenDate = 2;
    private const uint Header = 3;
    private const uint LockedDate = 4;
    private const uint ColumnHeader = 5;

    private const string WorkbookContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml";

    /// <summary>The zip entries' time: fixed, as the relationship ids are named, so the same content makes the same bytes.</summary>
    private static readonly DateTime EntryTime = new(1980, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);

    /// <summary>
    /// The package's bytes with every zip entry's time set to <see cref="EntryTime"/>: the workbooks are served under strong
    /// ETags (the template's is the version sent back as If-Match), which promise identical bytes (RFC 9110 §8.8.1), and the
    /// packaging stamps each entry with the clock (the compressed data is copied, not compressed again).
    /// </summary>
    private static byte[] Deterministic(MemoryStream stream)
    {
        using (var zip = new System.IO.Compression.ZipArchive(stream, System.IO.Compression.ZipArchiveMode.Update, leaveOpen: true))
        {
            foreach (var entry in zip.Entries)
            {
                entry.LastWriteTime = EntryTime;
            }
        }

        return stream.ToArray();
    }

    /// <summary>The template of <paramref name="record"/>, made from its current version.</summary>
    public static byte[] Template(MunicipalityRecord record)
    {
        var catalog = ReadinessCatalog.Instance;
        var m = catalog.MunicipalitiesByCode[record.Code];
        var prefecture = catalog.PrefecturesByCode[m.PrefectureCode];
        using var stream = new MemoryStream();
        using (var doc = SpreadsheetDocument.Create(stream, SpreadsheetDocumentType.Workbook))
        {
            var workbook = doc.AddNewPart<WorkbookPart>(WorkbookContentType, "rIdWorkbook");
            workbook.Workbook = new Workbook();
            var styles = workbook.AddNewPart<WorkbookStylesPart>("rIdStyles");
            styles.Stylesheet = Styles();
            var sheets = new Sheets();

            // The lists the drop-downs use, one per column, on a hidden sheet.
            var lists = new (string Column, IReadOnlyList<string> Values)[]
            {
                ("A", ReportingTemplate.PhaseLabels),
                ("B", ReportingTemplate.Hostings.Select(h => h.Ja).ToList()),
                ("C", ReportingTemplate.Flags),
                ("D", ReportingTemplate.Reasons.Select(r => r.Ja).ToList()),
                ("E", ReportingTemplate.Statuses.Select(s => s.Ja).ToList()),
            };
            string ListRef(string column) => $"'{ReportingTemplate.ListsSheet}'!${column}$1:${column}${lists.First(l => l.Column == column).Values.Count}";

            var title = $"{prefecture.Name}{m.Name}（{record.Code}）";
            var systemRows = new List<Row>
            {
                TextRow(1, [(title + " 移行状況の報告 / Migration report", Header)]),
                TextRow(2, [("団体コード / Code", Header), (record.Code, Locked)]),
                TextRow(3, [("版（ETag） / Version", Header), (record.Version.ToString(CultureInfo.InvariantCulture), Locked)]),
                TextRow(4, [("色のない列（C〜L）に記入し、このファイルをアップロードしてください。版は変えないでください。 / Fill in columns C-L and upload this file; leave the version as it is.", Locked)]),
                HeaderRow([.. ReportingTemplate.SystemColumns.Select(c => ReportingTemplate.HeaderText(c.HeaderJa, c.HeaderEn))]),
            };
            var r = (uint)ReportingTemplate.FirstRow;
            foreach (var s in record.Systems)
            {
                var b = catalog.BusinessSystems[catalog.BusinessIndex[s.BusinessId]];
                systemRows.Add(new Row(
                    Text("A", r, s.BusinessId, Locked),
                    Text("B", r, b.NameJa, Locked),
                    Text("C", r, ReportingTemplate.PhaseLabel(s.Phase), Open),
                    Date("D", r, s.PlannedGoLive, OpenDate),
                    Text("E", r, s.Vendor, Open),
                    Text("F", r, ReportingTemplate.HostingLabel(s.Hosting), Open),
                    Text("G", r, ReportingTemplate.FlagLabel(s.NotApplicable), Open),
                    Text("H", r, ReportingTemplate.FlagLabel(s.Designated), Open),
                    Text("I", r, ReportingTemplate.ReasonLabel(s.DesignationReason), Open),
                    Date("J", r, s.DesignationTarget, OpenDate),
                    Text("K", r, null, Open),
                    Text("L", r, s.DesignationReasonNote, Open)) { RowIndex = r });
                r++;
            }

            var last = r - 1;
            AddSheet(workbook, sheets, 1, ReportingTemplate.SystemsSheet, systemRows, [14, 22, 40, 14, 24, 20, 10, 20, 22, 14, 40, 40],
                [
                    DropDown($"C{ReportingTemplate.FirstRow}:C{last}", ListRef("A"), Vocabulary.Phase, "一覧から選んでください。 / Choose from the list."),
                    DropDown($"F{ReportingTemplate.FirstRow}:F{last}", ListRef("B"), Vocabulary.Hosting, "一覧から選ぶか、空欄にしてください。 / Choose from the list or leave it blank."),
                    DropDown($"G{ReportingTemplate.FirstRow}:H{last}", ListRef("C"), new Term("はい／いいえ", "Yes or no"), "「はい」か「いいえ」を選んでください。 / Choose はい (yes) or いいえ (no)."),
                    DropDown($"I{ReportingTemplate.FirstRow}:I{last}", ListRef("D"), Vocabulary.DesignationReason, "特定移行支援システムの場合に選んでください。 / Choose one for a designated system."),
                    Dates($"D{ReportingTemplate.FirstRow}:D{last}"),
                    Dates($"J{ReportingTemplate.FirstRow}:J{last}"),
                ]);

            var securityRows = new List<Row>
            {
                TextRow(1, [(title + " セキュリティチェックリスト / Security checklist", Header)]),
                TextRow(2, [("団体コード / Code", Header), (record.Code, Locked)]),
                TextRow(3, [("版（ETag） / Version", Header), (record.Version.ToString(CultureInfo.InvariantCulture), Locked)]),
                TextRow(4, [("色のない列（D〜F）に記入してください。 / Fill in columns D-F.", Locked)]),
                HeaderRow([.. ReportingTemplate.SecurityColumns.Select(c => ReportingTemplate.HeaderText(c.HeaderJa, c.HeaderEn))]),
            };
            r = ReportingTemplate.FirstRow;
            foreach (var item in record.Security)
            {
                var info = catalog.SecurityItems[catalog.SecurityIndex[item.ItemId]];
                securityRows.Add(new Row(
                    Text("A", r, item.ItemId, Locked),
                    Text("B", r, info.ChapterJa, Locked),
                    Text("C", r, info.TitleJa, Locked),
                    Text("D", r, ReportingTemplate.StatusLabel(item.Status), Open),
                    Text("E", r, item.Evidence, Open),
                    Date("F", r, item.LastReviewed, OpenDate)) { RowIndex = r });
                r++;
            }

            last = r - 1;
            AddSheet(workbook, sheets, 2, ReportingTemplate.SecuritySheet, securityRows, [12, 24, 60, 20, 50, 14],
                [
                    DropDown($"D{ReportingTemplate.FirstRow}:D{last}", ListRef("E"), Vocabulary.SecurityStatus, "一覧から選んでください。 / Choose from the list."),
                    Dates($"F{ReportingTemplate.FirstRow}:F{last}"),
                ]);

            var listRows = new List<Row>();
            for (uint i = 1; i <= lists.Max(l => l.Values.Count); i++)
            {
                var row = new Row { RowIndex = i };
                foreach (var (column, values) in lists)
                {
                    if (i <= values.Count)
                    {
                        row.Append(Text(column, i, values[(int)i - 1], Locked));
                    }
                }

                listRows.Add(row);
            }

            AddSheet(workbook, sheets, 3, ReportingTemplate.ListsSheet, listRows, [40, 20, 10, 20, 30], [], hidden: true);
            workbook.Workbook.Append(new WorkbookProtection { LockStructure = true }, sheets);
            workbook.Workbook.Save();
        }

        return Deterministic(stream);
    }

    /// <summary>One table (a header row and rows of values) as a workbook with one sheet: numbers as numbers, dates as date cells, the header frozen.</summary>
    public static byte[] Table(string sheetName, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<object?>> rows)
    {
        using var stream = new MemoryStream();
        using (var doc = SpreadsheetDocument.Create(stream, SpreadsheetDocumentType.Workbook))
        {
            var workbook = doc.AddNewPart<WorkbookPart>(WorkbookContentType, "rIdWorkbook");
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
                        bool b => new Cell { CellReference = column + r, DataType = X.CellValues.Boolean, CellValue = new CellValue(b ? "1" : "0") }, // ECMA-376 §18.18.11: 0 or 1, not "true"
                        int i => Number(column, r, i),
                        long l => Number(column, r, l),
                        decimal d => Number(column, r, (double)d),
                        double d => Number(column, r, d),
                        DateOnly d => Date(column, r, d, LockedDate),
                        DateTimeOffset t => Text(column, r, Readiness.Web.Api.CsvOutput.Instant(t), Locked),
                        var other => Text(column, r, Convert.ToString(other, CultureInfo.InvariantCulture), Locked),
                    });
                }

                data.Add(row);
                r++;
            }

            AddSheet(workbook, sheets, 1, sheetName, data, [.. header.Select(h => Math.Clamp(h.Length + 4, 10, 30))], [], freezeHeader: true);
            workbook.Workbook.Append(sheets);
            workbook.Workbook.Save();
        }

        return Deterministic(stream);
    }

    /// <summary>
    /// Null when <paramref name="bytes"/> may be opened as a template: at most <see cref="MaxTemplateBytes"/>, a plain
    /// .xlsx (<see cref="OfficialWorkbook.Check"/>) unpacking to at most <see cref="MaxUnpackedBytes"/>; otherwise the refusal.
    /// </summary>
    public static Readiness.Web.Api.ProblemError? Check(string fileName, byte[] bytes) =>
        OfficialWorkbook.Check(fileName, bytes, MaxTemplateBytes, MaxUnpackedBytes) switch
        {
            { Code: "not_a_workbook" } notZip => NotATemplate(notZip),
            var other => other,
        };

    // A file that is no zip at all (a CSV or text saved from the official tally, say) is told what the template is.
    private static Readiness.Web.Api.ProblemError NotATemplate(Readiness.Web.Api.ProblemError error) => error with
    {
        MessageJa = "Excel ブック（.xlsx）ではありません。ひな形は .xlsx です。ダウンロードしたひな形に記入し、.xlsx のまま保存して送ってください（CSV やテキストは取り込めません）。",
        MessageEn = "The file is not an Excel workbook (.xlsx). The template is an .xlsx: fill in the downloaded template and send it saved as .xlsx (CSV or text is not taken).",
    };

    /// <summary>
    /// Every cell of every sheet as the reader sees it (shared and inline strings as text, numbers as double, booleans
    /// as bool, ISO dates as DateTime); a cell whose value cannot be read (a shared string that does not exist, an error
    /// value such as #N/A, a number that is not one, an inline string without its text) is an <see cref="UnreadableCell"/>,
    /// never blank: blank would clear what it stands for. Null with the refusal when the workbook does not open, has a
    /// row or cell reference no sheet can hold (r="-5", r="2000000000"), or holds more than <see cref="MaxCells"/> cells
    /// or <see cref="MaxUnpackedBytes"/> characters in a part (a bomb, refused as it is read: sheets are streamed).
    /// </summary>
    public static (IReadOnlyDictionary<string, IReadOnlyDictionary<string, object?>>? Sheets, Readiness.Web.Api.ProblemError? Error) Read(byte[] bytes)
    {
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);

            // The SDK counts the characters of each part as it reads it: a part that unpacks to more than a template can
            // hold fails there, whatever the zip's headers say.
            using var doc = SpreadsheetDocument.Open(stream, false, new OpenSettings { MaxCharactersInPart = MaxUnpackedBytes });
            var workbook = doc.WorkbookPart ?? throw new InvalidDataException("no workbook part");
            var cellCount = 0;
            var shared = SharedStrings(workbook, ref cellCount, MaxCells, keepText: true);
            var result = new Dictionary<string, IReadOnlyDictionary<string, object?>>(StringComparer.Ordinal);
            foreach (var sheet in workbook.Workbook.Sheets?.Elements<Sheet>() ?? [])
            {
                if (sheet.Id?.Value is not { } id || !workbook.TryGetPartById(id, out var found) || found is not WorksheetPart part || sheet.Name?.Value is not { } name)
                {
                    continue;
                }

                var cells = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
                if (ReadCells(part, name, shared, (reference, value) => cells[reference] = value, ref cellCount, MaxCells) is { } refused)
                {
                    return (null, refused);
                }

                result[name] = cells;
            }

            return (result, null);
        }
        catch (Exception ex) when (ex is TooManyCellsException || (ex is System.Xml.XmlException && ex.Message.Contains("MaxCharactersInDocument", StringComparison.Ordinal)))
        {
            return (null, TooMuch());
        }
        catch (Exception ex) when (ex is OpenXmlPackageException or InvalidDataException or System.Xml.XmlException or FormatException or InvalidOperationException or IOException or NotSupportedException or ArgumentException)
        {
            return (null, new Readiness.Web.Api.ProblemError("file", "not_a_workbook", "Excel ブック（.xlsx）として開けません。", "The file does not open as an Excel workbook (.xlsx)."));
        }
    }

    /// <summary>
    /// The most unpacked bytes a template upload may hold: a filled-in template unpacks to about 100 KB; this leaves room
    /// for long free text in every open cell and Excel's own parts (styles, theme), and is four times its 2 MB upload
    /// limit, where the official imports' 10 MB take up to 200 MB (<see cref="OfficialWorkbook.MaxUnpackedBytes"/>).
    /// </summary>
    public const long MaxUnpackedBytes = 8L * 1024 * 1024;

    /// <summary>The most cells (and shared strings) a template may hold: it has about 600 (20 systems × 11, 47 items × 6, headers, lists).</summary>
    public const int MaxCells = 10_000;

    /// <summary>Excel's last row and column (XFD): a reference past them is no cell of a sheet.</summary>
    private const int LastRow = 1_048_576;

    private const int LastColumn = 16_384;

    // Shared strings as text (rich text runs joined, phonetic guides left out), or only as many (keepText false: a
    // check needs only to know which exist); counted against maxCells.
    internal static string[] SharedStrings(WorkbookPart workbook, ref int count, int maxCells, bool keepText)
    {
        if (workbook.SharedStringTablePart is not { } part)
        {
            return [];
        }

        var result = new List<string>();
        using var reader = OpenXmlReader.Create(part);
        while (reader.Read())
        {
            if (reader.IsStartElement && reader.ElementType == typeof(SharedStringItem))
            {
                if (++count > maxCells)
                {
                    throw new TooManyCellsException();
                }

                result.Add(keepText ? Text((SharedStringItem)reader.LoadCurrentElement()!) : string.Empty);
            }
        }

        return [.. result];
    }

    private static string Text(OpenXmlElement item) =>
        string.Concat(item.ChildElements.SelectMany(e => e switch
        {
            X.Text t => [t.Text],
            Run r => r.Elements<X.Text>().Select(t => t.Text),
            _ => [],
        }));

    // One sheet, streamed (OpenXmlReader): only one cell's element is loaded at a time. A row or cell without r is
    // placed after the one before it (as the format says and Excel reads it).
    internal static Readiness.Web.Api.ProblemError? ReadCells(WorksheetPart part, string sheet, string[] shared, Action<string, object?> put, ref int count, int maxCells)
    {
        using var reader = OpenXmlReader.Create(part);
        var row = 0;
        var column = 0;
        while (reader.Read())
        {
            if (!reader.IsStartElement)
            {
                continue;
            }

            if (reader.ElementType == typeof(Row))
            {
                var r = reader.Attributes.FirstOrDefault(a => a.LocalName == "r" && string.IsNullOrEmpty(a.NamespaceUri)).Value;
                if (r is null)
                {
                    row++;
                }
                else if (!int.TryParse(r, NumberStyles.None, CultureInfo.InvariantCulture, out row) || row < 1 || row > LastRow)
                {
                    return BadReference(sheet, $"row r=\"{r}\"");
                }

                column = 0;
            }
            else if (reader.ElementType == typeof(Cell))
            {
                if (++count > maxCells)
                {
                    return TooMuch();
                }

                var cell = (Cell)reader.LoadCurrentElement()!;
                var reference = cell.CellReference?.Value;
                if (reference is null)
                {
                    column++;
                    reference = Column(column) + row.ToString(CultureInfo.InvariantCulture);
                }
                else if (Parse(reference) is { } at && at.Row == row && at.Column <= LastColumn)
                {
                    column = at.Column;
                }
                else
                {
                    return BadReference(sheet, $"r=\"{reference}\"");
                }

                put(reference, Value(cell, shared));
            }
        }

        return null;
    }

    // "E7" → (7, 5); null when not a cell reference.
    private static (int Row, int Column)? Parse(string reference)
    {
        var i = 0;
        var column = 0;
        while (i < reference.Length && i < 3 && char.IsAsciiLetter(reference[i]))
        {
            column = (column * 26) + (char.ToUpperInvariant(reference[i]) - 'A' + 1);
            i++;
        }

        return i > 0 && int.TryParse(reference.AsSpan(i), NumberStyles.None, CultureInfo.InvariantCulture, out var row) && row >= 1 && row <= LastRow
            ? (row, column)
            : null;
    }

    private static object? Value(Cell cell, string[] shared)
    {
        var type = cell.DataType?.InnerText ?? "n";
        if (type == "inlineStr")
        {
            return cell.InlineString is { } inline ? Text(inline)
                : cell.CellValue is null ? null
                : new UnreadableCell("インライン文字列に文字がありません", "an inline string without its text");
        }

        var raw = cell.CellValue?.Text;
        if (raw is null)
        {
            return null;
        }

        return type switch
        {
            "s" => int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < shared.Length
                ? shared[i]
                : new UnreadableCell($"共有文字列 {Truncate(raw)} がブックにありません", $"shared string {Truncate(raw)} is not in the workbook"),
            "b" => raw switch
            {
                "1" or "true" => true,
                "0" or "false" => false,
                _ => new UnreadableCell($"真偽値「{Truncate(raw)}」が読めません", $"'{Truncate(raw)}' is not a boolean"),
            },
            "str" => raw,
            "e" => new UnreadableCell($"エラー値 {Truncate(raw)} です", $"it holds the error {Truncate(raw)}"),
            "d" => DateTime.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.None, out var t)
                ? t
                : new UnreadableCell($"日付「{Truncate(raw)}」が読めません", $"'{Truncate(raw)}' is not a date"),
            "n" => double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
                ? d
                : new UnreadableCell($"数値「{Truncate(raw)}」が読めません", $"'{Truncate(raw)}' is not a number"),
            _ => new UnreadableCell($"セルの型「{Truncate(type)}」が読めません", $"the cell type '{Truncate(type)}' is unknown"),
        };
    }

    private static string Truncate(string text) => Readiness.Web.Api.Problems.Shown(text);

    private static Readiness.Web.Api.ProblemError TooMuch() => new("file", "zip_bomb",
        $"テンプレートとして大きすぎるため取り込めません（セル {MaxCells:N0} 個、展開後 {MaxUnpackedBytes / 1024 / 1024} MB まで）。",
        $"The file holds more than a template can (at most {MaxCells:N0} cells and {MaxUnpackedBytes / 1024 / 1024} MB unpacked) and is not taken.");

    private static Readiness.Web.Api.ProblemError BadReference(string sheet, string what) => new("file", "invalid_reference",
        $"シート「{sheet}」の {Truncate(what)} はシートにない位置です（行 1〜{LastRow:N0}、列 A〜XFD）。",
        $"{Truncate(what)} on the sheet '{sheet}' is no position of a sheet (rows 1-{LastRow:N0}, columns A-XFD).");

    internal sealed class TooManyCellsException() : Exception("too many cells");

    private static void AddSheet(WorkbookPart workbook, Sheets sheets, uint id, string name, List<Row> rows, int[] widths, DataValidation[] validations,
        bool hidden = false, bool freezeHeader = false)
    {
        var part = workbook.AddNewPart<WorksheetPart>("rIdSheet" + id.ToString(CultureInfo.InvariantCulture));
        var worksheet = new Worksheet();
        if (freezeHeader)
        {
            worksheet.Append(new SheetViews(new SheetView(new Pane { VerticalSplit = 1, TopLeftCell = "A2", ActivePane = PaneValues.BottomLeft, State = PaneStateValues.Frozen })
            { WorkbookViewId = 0 }));
        }

        var columns = new Columns();
        for (var i = 0; i < widths.Length; i++)
        {
            columns.Append(new Column { Min = (uint)i + 1, Max = (uint)i + 1, Width = widths[i], CustomWidth = true });
        }

        worksheet.Append(columns);
        var data = new X.SheetData();
        data.Append(rows);
        worksheet.Append(data);
        if (validations.Length > 0)
        {
            // Only the cells to report are open (style Open); the rest of the sheet, and its rows and columns, stay as made.
            worksheet.Append(new SheetProtection { Sheet = true, Objects = true, Scenarios = true, FormatColumns = true, FormatRows = true, InsertRows = true, DeleteRows = true, Sort = true, AutoFilter = true });
            var list = new DataValidations { Count = (uint)validations.Length };
            list.Append(validations);
            worksheet.Append(list);
        }

        part.Worksheet = worksheet;
        var sheet = new Sheet { Id = workbook.GetIdOfPart(part), SheetId = id, Name = name };
        if (hidden)
        {
            sheet.State = SheetStateValues.Hidden;
        }

        sheets.Append(sheet);
    }

    // The title is the column's term in both languages (Excel allows 32 characters), as the header above it.
    private static DataValidation DropDown(string range, string source, Term title, string prompt) => new(new Formula1(source))
    {
        Type = DataValidationValues.List,
        AllowBlank = true,
        ShowDropDown = false, // (sic) false shows the in-cell drop-down arrow
        ShowErrorMessage = true,
        ShowInputMessage = true,
        ErrorTitle = $"{title.Ja} / {title.En}",
        Error = "一覧にない値です。 / Not in the list.",
        PromptTitle = $"{title.Ja} / {title.En}",
        Prompt = prompt,
        SequenceOfReferences = new ListValue<StringValue> { InnerText = range },
    };

    private static DataValidation Dates(string range) => new(
        new Formula1(Values.ToSerial(ReadinessRulesWindow.Earliest).ToString(CultureInfo.InvariantCulture)),
        new Formula2(Values.ToSerial(ReadinessRulesWindow.Latest).ToString(CultureInfo.InvariantCulture)))
    {
        Type = DataValidationValues.Date,
        Operator = DataValidationOperatorValues.Between,
        AllowBlank = true,
        ShowErrorMessage = true,
        ErrorTitle = "日付 / Date",
        Error = "2020/1/1〜2040/12/31 の日付を入力してください。 / A date from 2020-01-01 to 2040-12-31.",
        SequenceOfReferences = new ListValue<StringValue> { InnerText = range },
    };

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

    /// <summary>
    /// The template's column header row (<see cref="ReportingTemplate.HeaderRow"/>): each cell the Japanese with the English
    /// under it, wrapped, the row two lines high (Excel does not grow a row for wrapped text it did not lay out itself).
    /// </summary>
    private static Row HeaderRow(string[] headers)
    {
        var row = TextRow(ReportingTemplate.HeaderRow, [.. headers.Select(h => (h, ColumnHeader))]);
        row.Height = 30;
        row.CustomHeight = true;
        return row;
    }

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
        : new Cell(new InlineString(new X.Text(text) { Space = SpaceProcessingModeValues.Preserve }))
        {
            CellReference = column + row,
            DataType = X.CellValues.InlineString,
            StyleIndex = style,
        };

    // A number cell holds a finite xsd:double: NaN or ∞ (CellValue(double) writes "NaN", "∞") makes Excel repair the
    // file and other spreadsheets read text, so a value that is not a number is left empty, as a missing one is.
    private static Cell Number(string column, uint row, double value) => double.IsFinite(value)
        ? new() { CellReference = column + row, CellValue = new CellValue(value) }
        : new() { CellReference = column + row };

    private static Cell Date(string column, uint row, DateOnly? date, uint style) => date is { } d
        ? new Cell { CellReference = column + row, CellValue = new CellValue(Values.ToSerial(d)), StyleIndex = style }
        : new Cell { CellReference = column + row, StyleIndex = style };

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

    private static class ReadinessRulesWindow
    {
        public static readonly DateOnly Earliest = Readiness.Rules.ChangeRules.EarliestDate;
        public static readonly DateOnly Latest = Readiness.Rules.ChangeRules.LatestDate;
    }
}
