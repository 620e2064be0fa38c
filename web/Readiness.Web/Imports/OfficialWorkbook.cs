using System.IO.Compression;
using System.Text;
using ExcelDataReader;
using Readiness.Imports;
using Readiness.Web.Api;

namespace Readiness.Web.Imports;

/// <summary>
/// Opening an official workbook safely, then reading its sheets row by row with ExcelDataReader (streaming).
/// Refused before any reading, with a problem naming the file: over <see cref="MaxFileBytes"/>, not an .xlsx (OOXML zip),
/// encrypted (an OLE compound file holding EncryptedPackage), macro-enabled (.xlsm, xl/vbaProject.bin or a macro
/// content type), external links (xl/externalLinks/), a zip bomb (more than <see cref="MaxUnpackedBytes"/> unpacked or
/// a compression ratio over <see cref="MaxRatio"/>).
/// </summary>
public static class OfficialWorkbook
{
    /// <summary>
    /// The largest official upload taken, in bytes (32 MiB). Sized from the largest release in its largest accepted
    /// encoding: MIC's whole-country step detail (1,741 municipalities × 20 businesses = 34,820 rows of 43 cells) is
    /// 12.9 MB as Shift_JIS, 14.5 MB as UTF-16 and 18.7 MB as UTF-8 with BOM (every cell 完了済み and every field
    /// quoted: about 24 MB); a workbook is far smaller. Over it: <see cref="TooLarge"/>.
    /// </summary>
    public const long MaxFileBytes = 32L * 1024 * 1024;

    /// <summary>
    /// The most an official workbook may unpack to: MIC's step detail (every municipality × business, 43 columns) is
    /// tens of MB of sheet XML. Read with ExcelDataReader row by row; an upload kind with less to hold passes its own
    /// (the reporting template: <see cref="ReportingWorkbook.MaxUnpackedBytes"/>).
    /// </summary>
    public const long MaxUnpackedBytes = 200L * 1024 * 1024;

    /// <summary>[Content_Types].xml is read whole: a real one is a few KB.</summary>
    private const long MaxContentTypesBytes = 1024 * 1024;

    public const int MaxRatio = 200;

    public const int MaxEntries = 2000;

    public const string XlsxContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    static OfficialWorkbook() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <summary>
    /// The 413 refusal of a file over <paramref name="maxFileBytes"/> (field "file", code file_too_large, the limit in
    /// MB); at the official imports' limit it also says how to bring an official release under it, at the reporting
    /// template's how a template stays small (each upload's own advice, as <see cref="Api.BodyLimit"/> for JSON bodies).
    /// A template upload of <paramref name="sentBytes"/> over four times its limit is no template grown large (a
    /// filled-in one stays under 100 KB) but most likely official data sent to the wrong place: it is told where official
    /// data is imported (a breaker's finding: a 34 MB .xlsx was told to enter only values in its template).
    /// </summary>
    /// <param name="maxFileBytes">The upload kind's limit, in bytes.</param>
    /// <param name="sentBytes">The size sent (the file's, else the body's Content-Length), when known.</param>
    /// <param name="fileName">
    /// The file's name, when it could be read: at the official imports' limit an .xlsx is told to split (saving it as
    /// .xlsx again does nothing), a CSV to save as .xlsx or split, a name not known both as conditions (a breaker's
    /// finding: a 40 MB .xlsx was told to save it as .xlsx).
    /// </param>
    /// <param name="atLeast">True when <paramref name="sentBytes"/> is a lower bound (a chunked body refused at Kestrel's cap: "or more").</param>
    public static ProblemError TooLarge(long maxFileBytes, long? sentBytes = null, string? fileName = null, bool atLeast = false) =>
        NotThisKindAboveBytes(maxFileBytes) is { } above && sentBytes > above
        ? new ProblemError("file", "file_too_large",
            $"ファイルが大きすぎます（上限 {maxFileBytes / 1024 / 1024} MB、送られたのは約 {Megabytes(sentBytes.Value)} MB{(atLeast ? " 以上" : string.Empty)}）。報告テンプレートは1団体分で、記入しても 100 KB に届かないため、これは報告テンプレートではないようです。総務省・デジタル庁の公式データなら、システム管理者が「公式データの取り込み」（/imports）で取り込みます。報告するなら、この団体のテンプレート（template.xlsx）をダウンロードし、値を入力して送ってください。",
            $"The file is too large (limit {maxFileBytes / 1024 / 1024} MB; about {Megabytes(sentBytes.Value)} MB{(atLeast ? " or more" : string.Empty)} was sent). A reporting template holds one municipality and stays under 100 KB when filled in, so this does not look like one. Official data (MIC's, the Digital Agency's) is imported by a system administrator at Official data imports (/imports). To report, download this municipality's template (template.xlsx), enter the values and send that.")
        : maxFileBytes == MaxFileBytes
        ? OfficialTooLarge(maxFileBytes, Path.GetExtension(fileName ?? string.Empty).ToLowerInvariant())
        : maxFileBytes == ReportingWorkbook.MaxTemplateBytes
        ? new ProblemError("file", "file_too_large",
            $"ファイルが大きすぎます（上限 {maxFileBytes / 1024 / 1024} MB）。報告テンプレートは1団体分で、記入しても 100 KB に届きません。この団体のテンプレート（template.xlsx）をダウンロードし直し、画像やシートを加えずに値だけ入力して送ってください。",
            $"The file is too large (limit {maxFileBytes / 1024 / 1024} MB). A reporting template holds one municipality and stays under 100 KB when filled in: download this municipality's template (template.xlsx) again and enter only values, without adding pictures or sheets.")
        : new ProblemError("file", "file_too_large",
            $"ファイルが大きすぎます（上限 {maxFileBytes / 1024 / 1024} MB）。", $"The file is too large (limit {maxFileBytes / 1024 / 1024} MB).");

    /// <summary>
    /// The size past which an upload is taken to be no file of its kind, and told so (null: no such size): a reporting
    /// template, four times its limit (a filled-in one stays under 100 KB).
    /// </summary>
    public static long? NotThisKindAboveBytes(long maxFileBytes) =>
        maxFileBytes == ReportingWorkbook.MaxTemplateBytes ? 4 * ReportingWorkbook.MaxTemplateBytes : null;

    /// <summary>The official imports' 413, by the kind of file sent: <paramref name="extension"/> ".xlsx", ".csv", or anything else (not known).</summary>
    private static ProblemError OfficialTooLarge(long maxFileBytes, string extension)
    {
        var limit = maxFileBytes / 1024 / 1024;
        const string SplitJa = "総務省の進捗・ステップ別の表は都道府県ごとのファイルに分けて取り込んでください。";
        const string SplitEn = "split MIC's progress or step-detail table into one file per prefecture and import each.";
        return extension switch
        {
            ".xlsx" => new ProblemError("file", "file_too_large",
                $"ファイルが大きすぎます（上限 {limit} MB）。この .xlsx は上限を超えています。{SplitJa}",
                $"The file is too large (limit {limit} MB): this .xlsx is over it; {SplitEn}"),
            ".csv" => new ProblemError("file", "file_too_large",
                $"ファイルが大きすぎます（上限 {limit} MB）。この CSV を .xlsx で保存して取り込むか（CSV よりずっと小さくなります）、{SplitJa}",
                $"The file is too large (limit {limit} MB). Save this CSV as .xlsx (far smaller than CSV) and import that, or {SplitEn}"),
            _ => new ProblemError("file", "file_too_large",
                $"ファイルが大きすぎます（上限 {limit} MB）。CSV なら .xlsx で保存すると小さくなります。.xlsx でも大きい場合は、{SplitJa}",
                $"The file is too large (limit {limit} MB). A CSV saved as .xlsx is far smaller; if it is already an .xlsx, {SplitEn}"),
        };
    }

    private static string Megabytes(long bytes) => (bytes / (1024.0 * 1024)).ToString("0", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Null when the file name may be a plain workbook; a macro-enabled or binary workbook's name is refused whatever the bytes.</summary>
    public static ProblemError? CheckName(string fileName) =>
        Path.GetExtension(fileName).ToLowerInvariant() is ".xlsm" or ".xlsb" or ".xltm" ? Macro() : null;

    /// <summary>
    /// Null when the bytes are a plain .xlsx this product may open, within the upload kind's limits (the file's size,
    /// what it unpacks to); otherwise the refusal.
    /// </summary>
    public static ProblemError? Check(string fileName, ReadOnlySpan<byte> bytes, long maxFileBytes = MaxFileBytes, long maxUnpackedBytes = MaxUnpackedBytes)
    {
        if (bytes.Length > maxFileBytes)
        {
            return TooLarge(maxFileBytes);
        }

        if (bytes.Length >= 8 && bytes[..8].SequenceEqual(new byte[] { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1 }))
        {
            return new ProblemError("file", "encrypted_or_legacy",
                "パスワード付き（暗号化）または旧形式（.xls）のブックは取り込めません。パスワードを外し .xlsx で保存してください。",
                "Encrypted (password-protected) or legacy .xls workbooks are not taken: remove the password and save as .xlsx.");
        }

        if (CheckName(fileName) is { } badName)
        {
            return badName;
        }

        if (bytes.Length < 4 || bytes[0] != 'P' || bytes[1] != 'K' || bytes[2] != 3 || bytes[3] != 4)
        {
            return NotAWorkbook();
        }

        try
        {
            using var zip = new ZipArchive(new MemoryStream(bytes.ToArray(), writable: false), ZipArchiveMode.Read);
            if (zip.Entries.Count > MaxEntries)
            {
                return ZipBomb(maxUnpackedBytes);
            }

            long unpacked = 0;
            var hasWorkbook = false;
            foreach (var entry in zip.Entries)
            {
                var name = entry.FullName.Replace('\\', '/');
                unpacked += entry.Length;
                if (unpacked > maxUnpackedBytes || (entry.CompressedLength > 0 && entry.Length / entry.CompressedLength > MaxRatio))
                {
                    return ZipBomb(maxUnpackedBytes);
                }

                if (name.EndsWith("vbaProject.bin", StringComparison.OrdinalIgnoreCase))
                {
                    return Macro();
                }

                if (name.StartsWith("xl/externalLinks/", StringComparison.OrdinalIgnoreCase))
                {
                    return new ProblemError("file", "external_links",
                        "外部リンクを含むブックは取り込めません（値だけを貼り付けて保存してください）。",
                        "Workbooks with external links are not taken (paste values only and save).");
                }

                if (name.Equals("[Content_Types].xml", StringComparison.OrdinalIgnoreCase))
                {
                    if (entry.Length > MaxContentTypesBytes)
                    {
                        return ZipBomb(maxUnpackedBytes);
                    }

                    using var reader = new StreamReader(entry.Open());
                    var types = reader.ReadToEnd();
                    if (types.Contains("macroEnabled", StringComparison.OrdinalIgnoreCase))
                    {
                        return Macro();
                    }
                }

                hasWorkbook |= name.Equals("xl/workbook.xml", StringComparison.OrdinalIgnoreCase);
            }

            return hasWorkbook ? null : NotAWorkbook();
        }
        catch (InvalidDataException)
        {
            return NotAWorkbook();
        }
    }

    /// <summary>
    /// Null when every cell of the sheet read (<paramref name="sheetName"/>) can be read; otherwise the refusal naming the first that cannot
    /// ("シート!B7": a shared string that does not exist, an error value such as #N/A, a number, boolean or date that is
    /// not one) or a row or cell reference no sheet holds (r="-5", r="2000000000"). ExcelDataReader reads such a cell
    /// as blank or as another value (a missing shared string as its index, "2" as false), and fills blank rows up to
    /// any row number: checked first with the Open XML SDK's streaming reader, one cell at a time.
    /// </summary>
    public static ProblemError? CheckCells(byte[] bytes, string sheetName)
    {
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            using var doc = DocumentFormat.OpenXml.Packaging.SpreadsheetDocument.Open(stream, false,
                new DocumentFormat.OpenXml.Packaging.OpenSettings { MaxCharactersInPart = MaxUnpackedBytes });
            if (doc.WorkbookPart is not { } workbook)
            {
                return NotAWorkbook();
            }

            var count = 0;
            var shared = ReportingWorkbook.SharedStrings(workbook, ref count, int.MaxValue, keepText: false);
            foreach (var sheet in workbook.Workbook.Sheets?.Elements<DocumentFormat.OpenXml.Spreadsheet.Sheet>() ?? [])
            {
                if (sheet.Name?.Value != sheetName || sheet.Id?.Value is not { } id || !workbook.TryGetPartById(id, out var found)
                    || found is not DocumentFormat.OpenXml.Packaging.WorksheetPart part || sheet.Name?.Value is not { } name)
                {
                    continue;
                }

                ProblemError? unreadable = null;
                var refused = ReportingWorkbook.ReadCells(part, name, shared, (reference, value) =>
                {
                    if (unreadable is null && value is UnreadableCell u)
                    {
                        var at = $"{name}!{reference.ToUpperInvariant()}";
                        unreadable = new ProblemError(at, "unreadable_cell", $"{at}: セルの値を読み取れません（{u.ReasonJa}）。値を入力し直して保存してください。",
                            $"{at}: the cell cannot be read ({u.ReasonEn}); enter its value again and save.");
                    }
                }, ref count, int.MaxValue);
                if ((refused ?? unreadable) is { } problem)
                {
                    return problem;
                }
            }

            return null;
        }
        catch (System.Xml.XmlException ex) when (ex.Message.Contains("MaxCharactersInDocument", StringComparison.Ordinal))
        {
            return ZipBomb(MaxUnpackedBytes);
        }
        catch (Exception ex) when (ex is DocumentFormat.OpenXml.Packaging.OpenXmlPackageException or InvalidDataException or System.Xml.XmlException
            or FormatException or InvalidOperationException or IOException or NotSupportedException or ArgumentException)
        {
            return NotAWorkbook();
        }
    }

    /// <summary>
    /// Reads the workbook's visible sheets one after another with ExcelDataReader, each handed to
    /// <paramref name="visit"/> as a one-pass stream of rows read from the file as they are enumerated (blank rows left
    /// out, hidden rows kept and marked): never the whole workbook, nor a whole sheet, in memory. <paramref name="visit"/>
    /// returns true to stop. A refusal when the file does not open or breaks while read; exceptions of
    /// <paramref name="visit"/> (a parser's refusal) pass through.
    /// </summary>
    public static ProblemError? ReadSheets(byte[] bytes, Func<SheetData, bool> visit)
    {
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            using var reader = ExcelReaderFactory.CreateOpenXmlReader(stream);
            do
            {
                if (reader.VisibleState is (null or "visible") && visit(new SheetData(reader.Name, Rows(reader))))
                {
                    break;
                }
            }
            while (reader.NextResult());

            return null;
        }
        catch (Exception ex) when (ex is ExcelDataReader.Exceptions.ExcelReaderException or InvalidDataException or System.Xml.XmlException or NotSupportedException)
        {
            return NotAWorkbook();
        }
    }

    // The current sheet's rows as the reader reaches them. A row's cells are copied out of the reader only when one is
    // not blank, and only up to its last value (a 43-column step detail row with trailing blanks is shorter).
    private static IEnumerable<SheetRow> Rows(IExcelDataReader reader)
    {
        var number = 0;
        object?[] scratch = [];
        while (reader.Read())
        {
            number++;
            if (scratch.Length < reader.FieldCount)
            {
                scratch = new object?[reader.FieldCount];
            }

            var last = -1;
            for (var c = 0; c < reader.FieldCount; c++)
            {
                scratch[c] = reader.GetValue(c);
                last = scratch[c] is null ? last : c;
            }

            if (last >= 0)
            {
                // ExcelDataReader reports a hidden row with a height of 0.
                yield return new SheetRow(number, reader.RowHeight == 0, scratch.AsSpan(0, last + 1).ToArray());
            }
        }
    }

    private static ProblemError Macro() => new("file", "macro_enabled",
        "マクロ有効ブック（.xlsm など）は取り込めません。.xlsx で保存してください。", "Macro-enabled workbooks (.xlsm etc.) are not taken: save as .xlsx.");

    private static ProblemError NotAWorkbook() => new("file", "not_a_workbook",
        "Excel ブック（.xlsx）ではありません。", "The file is not an Excel workbook (.xlsx).");

    private static ProblemError ZipBomb(long maxUnpackedBytes) => new("file", "zip_bomb",
        $"展開後の大きさが上限（{maxUnpackedBytes / 1024 / 1024} MB）を超えるため取り込めません。",
        $"The workbook unpacks to more than the limit ({maxUnpackedBytes / 1024 / 1024} MB) and is not taken.");

    /// <summary>
    /// The status of a refused file: 413 when it is, or unpacks to, more than its upload kind takes; 400 otherwise.
    /// </summary>
    public static int Status(ProblemError error) =>
        error.Code is "file_too_large" or "zip_bomb" ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest;
}
