using System.IO.Compression;
using System.Text;
using ExcelDataReader;
using Readiness.Imports;
using Readiness.Web.Api;

namespace Readiness.Web.Imports;

/// <summary>
/// Opening an official workbook safely, then reading its progress sheet into rows with ExcelDataReader (streaming).
/// Refused before any reading, with a problem naming the file: over <see cref="MaxFileBytes"/>, not an .xlsx (OOXML zip),
/// encrypted (an OLE compound file holding EncryptedPackage), macro-enabled (.xlsm, xl/vbaProject.bin or a macro
/// content type), external links (xl/externalLinks/), a zip bomb (more than <see cref="MaxUnpackedBytes"/> unpacked or
/// a compression ratio over <see cref="MaxRatio"/>).
/// </summary>
public static class OfficialWorkbook
{
    /// <summary>The largest upload taken: MIC's 1,741-row workbook is well under 1 MB.</summary>
    public const long MaxFileBytes = 10L * 1024 * 1024;

    public const long MaxUnpackedBytes = 200L * 1024 * 1024;

    public const int MaxRatio = 200;

    public const int MaxEntries = 2000;

    public const string XlsxContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    static OfficialWorkbook() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <summary>Null when the bytes are a plain .xlsx this product may open; otherwise the refusal.</summary>
    public static ProblemError? Check(string fileName, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > MaxFileBytes)
        {
            return new ProblemError("file", "file_too_large",
                $"ファイルが大きすぎます（上限 {MaxFileBytes / 1024 / 1024} MB）。", $"The file is too large (limit {MaxFileBytes / 1024 / 1024} MB).");
        }

        if (bytes.Length >= 8 && bytes[..8].SequenceEqual(new byte[] { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1 }))
        {
            return new ProblemError("file", "encrypted_or_legacy",
                "パスワード付き（暗号化）または旧形式（.xls）のブックは取り込めません。パスワードを外し .xlsx で保存してください。",
                "Encrypted (password-protected) or legacy .xls workbooks are not taken: remove the password and save as .xlsx.");
        }

        var extension = Path.GetExtension(fileName).ToLowerInvariant();
        if (extension is ".xlsm" or ".xlsb" or ".xltm")
        {
            return Macro();
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
                return ZipBomb();
            }

            long unpacked = 0;
            var hasWorkbook = false;
            foreach (var entry in zip.Entries)
            {
                var name = entry.FullName.Replace('\\', '/');
                unpacked += entry.Length;
                if (unpacked > MaxUnpackedBytes || (entry.CompressedLength > 0 && entry.Length / entry.CompressedLength > MaxRatio))
                {
                    return ZipBomb();
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

    /// <summary>The sheet chosen by <paramref name="pickSheet"/> as rows; a refusal when no sheet fits or the file does not open.</summary>
    public static (SheetData? Sheet, ProblemError? Error) Read(byte[] bytes, Func<IReadOnlyList<string>, string?> pickSheet)
    {
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            using var reader = ExcelReaderFactory.CreateOpenXmlReader(stream);
            var names = new List<string>();
            do
            {
                names.Add(reader.Name);
            }
            while (reader.NextResult());

            var chosen = pickSheet(names);
            if (chosen is null)
            {
                return (null, new ProblemError("sheet", "wrong_sheet",
                    $"「令和8年1月_進捗状況」の形の名前のシートがありません（あるシート: {string.Join("、", names)}）。",
                    $"No sheet is named like 令和8年1月_進捗状況 (sheets: {string.Join(", ", names)})."));
            }

            reader.Reset();
            while (reader.Name != chosen && reader.NextResult())
            {
            }

            var rows = new List<SheetRow>();
            var number = 0;
            while (reader.Read())
            {
                number++;
                var cells = new object?[reader.FieldCount];
                var any = false;
                for (var c = 0; c < cells.Length; c++)
                {
                    cells[c] = reader.GetValue(c);
                    any |= cells[c] is not null;
                }

                if (any)
                {
                    // ExcelDataReader reports a hidden row with a height of 0.
                    rows.Add(new SheetRow(number, reader.RowHeight == 0, cells));
                }
            }

            return (new SheetData(chosen, rows), null);
        }
        catch (Exception ex) when (ex is ExcelDataReader.Exceptions.ExcelReaderException or InvalidDataException or System.Xml.XmlException or NotSupportedException)
        {
            return (null, NotAWorkbook());
        }
    }

    /// <summary>
    /// Every visible sheet of the workbook as rows (blank rows left out, hidden rows kept and marked), for choosing the
    /// sheet by its header; a refusal when the file does not open.
    /// </summary>
    public static (IReadOnlyList<SheetData>? Sheets, ProblemError? Error) ReadAll(byte[] bytes)
    {
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            using var reader = ExcelReaderFactory.CreateOpenXmlReader(stream);
            var sheets = new List<SheetData>();
            do
            {
                if (reader.VisibleState is not (null or "visible"))
                {
                    continue;
                }

                var rows = new List<SheetRow>();
                var number = 0;
                while (reader.Read())
                {
                    number++;
                    var cells = new object?[reader.FieldCount];
                    var any = false;
                    for (var c = 0; c < cells.Length; c++)
                    {
                        cells[c] = reader.GetValue(c);
                        any |= cells[c] is not null;
                    }

                    if (any)
                    {
                        rows.Add(new SheetRow(number, reader.RowHeight == 0, cells));
                    }
                }

                sheets.Add(new SheetData(reader.Name, rows));
            }
            while (reader.NextResult());

            return (sheets, null);
        }
        catch (Exception ex) when (ex is ExcelDataReader.Exceptions.ExcelReaderException or InvalidDataException or System.Xml.XmlException or NotSupportedException)
        {
            return (null, NotAWorkbook());
        }
    }

    private static ProblemError Macro() => new("file", "macro_enabled",
        "マクロ有効ブック（.xlsm など）は取り込めません。.xlsx で保存してください。", "Macro-enabled workbooks (.xlsm etc.) are not taken: save as .xlsx.");

    private static ProblemError NotAWorkbook() => new("file", "not_a_workbook",
        "Excel ブック（.xlsx）ではありません。", "The file is not an Excel workbook (.xlsx).");

    private static ProblemError ZipBomb() => new("file", "zip_bomb",
        "展開後の大きさが上限を超えるため取り込めません。", "The workbook unpacks to more than the limit and is not taken.");
}
