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

    /// <summary>
    /// One table (a header row and rows of values) as a workbook with one sheet named <paramref name="sheetName"/>: the
    /// header bold on grey and frozen, each column as wide as its header (10 to 30 characters), then one row per item of
    /// <paramref name="rows"/> with its values from column A: text (and any other value, invariant) as inline strings,
    /// int/long/decimal/double as numbers (NaN and ∞ left empty), bool as a boolean, <see cref="DateOnly"/> as a date cell
    /// (yyyy-mm-dd), <see cref="DateTimeOffset"/> as ISO 8601 UTC text (<see cref="Readiness.Web.Api.CsvOutput.Instant"/>),
    /// null as an empty cell. The same content makes the same bytes. See <see cref="WriteTable"/>.
    /// </summary>
    public static byte[] Table(string sheetName, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<object?>> rows)
    {
        using var stream = new MemoryStream();
        WriteTable(stream, sheetName, header, rows);
        return stream.ToArray();
    }

    /// <summary>
    /// <see cref="Table"/> written to <paramref name="output"/> (left open) as it is made: the package is zipped as it is
    /// written and the sheet streamed one row at a time (<see cref="OpenXmlWriter"/>), so memory holds one row, not the
    /// sheet's document object model nor its unzipped XML (the nation's 34,820 rows × 36 cells took 0.9–1.4 GB that way).
    /// <paramref name="rows"/> is enumerated once. Synchronous writes: give it a buffer or a file, not a response body.
    /// </summary>
    public static void WriteTable(Stream output, string sheetName, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<object?>> rows)
    {
        // Written as a package directly (the parts, their content types and relationships; the part names and ids those
        // the SDK gave them) rather than through SpreadsheetDocument: its package buffers every part unzipped until it
        // is saved, and stamps each entry with the clock, which a strong ETag forbids (see Deterministic).
        using var zip = new System.IO.Compression.ZipArchive(output, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true);
        Entry(zip, "[Content_Types].xml", xml =>
        {
            const string ns = "http://schemas.openxmlformats.org/package/2006/content-types";
            xml.WriteStartElement("Types", ns);
            (string Extension, string Type)[] defaults =
            [
                ("rels", "application/vnd.openxmlformats-package.relationships+xml"),
                ("xml", "application/xml"),
            ];
            foreach (var (extension, type) in defaults)
            {
                xml.WriteStartElement("Default", ns);
                xml.WriteAttributeString("Extension", extension);
                xml.WriteAttributeString("ContentType", type);
                xml.WriteEndElement();
            }

            (string Part, string Type)[] overrides =
            [
                ("/xl/workbook.xml", WorkbookContentType),
                ("/xl/styles.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"),
                ("/xl/worksheets/sheet1.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"),
            ];
            foreach (var (part, type) in overrides)
            {
                xml.WriteStartElement("Override", ns);
                xml.WriteAttributeString("PartName", part);
                xml.WriteAttributeString("ContentType", type);
                xml.WriteEndElement();
            }

            xml.WriteEndElement();
        });
        Relationships(zip, "_rels/.rels", [("rIdWorkbook", "officeDocument", "xl/workbook.xml")]);
        Relationships(zip, "xl/_rels/workbook.xml.rels", [("rIdStyles", "styles", "styles.xml"), ("rIdSheet1", "worksheet", "worksheets/sheet1.xml")]);
        Part(zip, "xl/workbook.xml", writer => writer.WriteElement(new Workbook(new Sheets(new Sheet { Id = "rIdSheet1", SheetId = 1, Name = sheetName }))));
        Part(zip, "xl/styles.xml", writer => writer.WriteElement(Styles()));
        Part(zip, "xl/worksheets/sheet1.xml", writer => WriteSheet(writer, header, rows));
    }

    private const string RelationshipsNamespace = "http://schemas.openxmlformats.org/package/2006/relationships";

    private static void Relationships(System.IO.Compression.ZipArchive zip, string name, (string Id, string Type, string Target)[] relationships) =>
        Entry(zip, name, xml =>
        {
            xml.WriteStartElement("Relationships", RelationshipsNamespace);
            foreach (var (id, type, target) in relationships)
            {
                xml.WriteStartElement("Relationship", RelationshipsNamespace);
                xml.WriteAttributeString("Type", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/" + type);
                xml.WriteAttributeString("Target", target);
                xml.WriteAttributeString("Id", id);
                xml.WriteEndElement();
            }

            xml.WriteEndElement();
        });

    private static void Entry(System.IO.Compression.ZipArchive zip, string name, Action<System.Xml.XmlWriter> write)
    {
        var entry = zip.CreateEntry(name, System.IO.Compression.CompressionLevel.Optimal);
        entry.LastWriteTime = EntryTime;
        using var stream = entry.Open();
        using var xml = System.Xml.XmlWriter.Create(stream, new System.Xml.XmlWriterSettings { Encoding = new System.Text.UTF8Encoding(false) });
        xml.WriteStartDocument(standalone: true);
        write(xml);
        xml.WriteEndDocument();
    }

    private static void Part(System.IO.Compression.ZipArchive zip, string name, Action<OpenXmlWriter> write)
    {
        var entry = zip.CreateEntry(name, System.IO.Compression.CompressionLevel.Optimal);
        entry.LastWriteTime = EntryTime;
        using var stream = entry.Open();
        using var writer = OpenXmlWriter.Create(stream);
        writer.WriteStartDocument(true);
        write(writer);
        writer.Close();
    }

    // The sheet of Table: the frozen header, the columns' widths, then the rows one at a time; each cell as the
    // document object model wrote it (r, t, s; <v> or <is><t>), so a reader sees what it saw before.
    private static void WriteSheet(OpenXmlWriter writer, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<object?>> rows)
    {
        writer.WriteStartElement(new Worksheet());
        writer.WriteElement(new SheetViews(new SheetView(new Pane { VerticalSplit = 1, TopLeftCell = "A2", ActivePane = PaneValues.BottomLeft, State = PaneStateValues.Frozen })
        { WorkbookViewId = 0 }));
        var columns = new Columns();
        for (var i = 0; i < header.Count; i++)
        {
            columns.Append(new Column { Min = (uint)i + 1, Max = (uint)i + 1, Width = Math.Clamp(header[i].Length + 4, 10, 30), CustomWidth = true });
        }

        writer.WriteElement(columns);
        writer.WriteStartElement(new X.SheetData());
        var cells = new SheetCells(writer);
        cells.StartRow(1);
        for (var c = 0; c < header.Count; c++)
        {
            cells.Text(c, header[c], Header);
        }

        writer.WriteEndElement();
        uint r = 2;
        foreach (var values in rows)
        {
            cells.StartRow(r);
            for (var c = 0; c < values.Count; c++)
            {
                switch (values[c])
                {
                    case null:
                        cells.Empty(c, null);
                        break;
                    case string s:
                        cells.Text(c, s, Locked);
                        break;
                    case bool b:
                        cells.Value(c, "b", b ? "1" : "0", null); // ECMA-376 §18.18.11: 0 or 1, not "true"
                        break;
                    case int i:
                        cells.Number(c, i);
                        break;
                    case long l:
                        cells.Number(c, l);
                        break;
                    case decimal d:
                        cells.Number(c, (double)d);
                        break;
                    case double d:
                        cells.Number(c, d);
                        break;
                    case DateOnly d:
                        cells.Value(c, null, new CellValue(Values.ToSerial(d)).Text, LockedDate);
                        break;
                    case DateTimeOffset t:
                        cells.Text(c, Readiness.Web.Api.CsvOutput.Instant(t), Locked);
                        break;
                    case var other:
                        cells.Text(c, Convert.ToString(other, CultureInfo.InvariantCulture), Locked);
                        break;
                }
            }

            writer.WriteEndElement();
            r++;
        }

        writer.WriteEndElement();
        writer.WriteEndElement();
    }

    /// <summary>Writes the cells of one row at a time, with one set of elements and attributes reused for all of them.</summary>
    private sealed class SheetCells(OpenXmlWriter writer)
    {
        private static readonly Row RowElement = new();
        private static readonly Cell CellElement = new();
        private static readonly CellValue ValueElement = new();
        private static readonly InlineString InlineElement = new();
        private static readonly X.Text TextElement = new();
        private static readonly OpenXmlAttribute[] Preserve = [new("xml", "space", "http://www.w3.org/XML/1998/namespace", "preserve")];

        private readonly List<OpenXmlAttribute> attributes = new(3);
        private readonly List<string> columns = [];
        private string row = string.Empty;

        public void StartRow(uint index)
        {
            row = index.ToString(CultureInfo.InvariantCulture);
            writer.WriteStartElement(RowElement, [new OpenXmlAttribute("r", string.Empty, row)]);
        }

        public void Empty(int column, uint? style)
        {
            writer.WriteStartElement(CellElement, Attributes(column, null, style));
            writer.WriteEndElement();
        }

        public void Text(int column, string? text, uint style)
        {
            if (string.IsNullOrEmpty(text))
            {
                Empty(column, style);
                return;
            }

            writer.WriteStartElement(CellElement, Attributes(column, "inlineStr", style));
            writer.WriteStartElement(InlineElement);
            writer.WriteStartElement(TextElement, Preserve);
            writer.WriteString(XmlText(text));
            writer.WriteEndElement();
            writer.WriteEndElement();
            writer.WriteEndElement();
        }

        // A number cell holds a finite xsd:double: NaN or ∞ (CellValue(double) writes "NaN", "∞") makes Excel repair the
        // file and other spreadsheets read text, so a value that is not a number is left empty, as a missing one is.
        public void Number(int column, double value)
        {
            if (double.IsFinite(value))
            {
                Value(column, null, new CellValue(value).Text, null);
            }
            else
            {
                Empty(column, null);
            }
        }

        public void Value(int column, string? type, string value, uint? style)
        {
            writer.WriteStartElement(CellElement, Attributes(column, type, style));
            writer.WriteStartElement(ValueElement);
            writer.WriteString(value);
            writer.WriteEndElement();
            writer.WriteEndElement();
        }

        private List<OpenXmlAttribute> Attributes(int column, string? type, uint? style)
        {
            while (columns.Count <= column)
            {
                columns.Add(Column(columns.Count + 1));
            }

            attributes.Clear();
            attributes.Add(new OpenXmlAttribute("r", string.Empty, columns[column] + row));
            if (type is not null)
            {
                attributes.Add(new OpenXmlAttribute("t", string.Empty, type));
            }

            if (style is { } s)
            {
                attributes.Add(new OpenXmlAttribute("s", string.Empty, s.ToString(CultureInfo.InvariantCulture)));
            }

            return attributes;
        }
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

    // The text as written, its _xHHHH_ escapes undone (SpreadsheetText): what Excel shows and the template was made from.
    private static string Text(OpenXmlElement item) => SpreadsheetText.Unescaped(
        string.Concat(item.ChildElements.SelectMany(e => e switch
        {
            X.Text t => [t.Text],
            Run r => r.Elements<X.Text>().Select(t => t.Text),
            _ => [],
        })));

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
        bool hidden = false)
    {
        var part = workbook.AddNewPart<WorksheetPart>("rIdSheet" + id.ToString(CultureInfo.InvariantCulture));
        var worksheet = new Worksheet();
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

    /// <summary>
    /// <paramref name="text"/> as a cell can hold it: a character XML 1.0 cannot carry (a control other than tab, LF and
    /// CR; U+FFFE, U+FFFF; half of a surrogate pair) as U+FFFD. The write paths refuse them (FreeText.Check), but a value
    /// stored before they did must not make a whole export fail (the XML writer throws on it: a 500 for the nation's file).
    /// A literal <c>_xHHHH_</c> is escaped (<see cref="SpreadsheetText.Escaped"/>), or readers would show the character it codes.
    /// </summary>
    internal static string XmlText(string text) => SpreadsheetText.Escaped(XmlChars(text));

    private static string XmlChars(string text)
    {
        System.Text.StringBuilder? clean = null;
        for (var k = 0; k < text.Length; k++)
        {
            var pair = k + 1 < text.Length && System.Xml.XmlConvert.IsXmlSurrogatePair(text[k + 1], text[k]);
            var valid = pair || System.Xml.XmlConvert.IsXmlChar(text[k]);
            if (!valid && clean is null)
            {
                clean = new System.Text.StringBuilder(text.Length).Append(text, 0, k); // only text that needs it is copied
            }

            if (clean is not null)
            {
                clean.Append(valid ? text.AsSpan(k, pair ? 2 : 1) : "\uFFFD");
            }

            k += pair ? 1 : 0;
        }

        return clean?.ToString() ?? text;
    }

    private static Cell Text(string column, uint row, string? text, uint style) => string.IsNullOrEmpty(text)
        ? new Cell { CellReference = column + row, StyleIndex = style }
        : new Cell(new InlineString(new X.Text(XmlText(text)) { Space = SpaceProcessingModeValues.Preserve }))
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
