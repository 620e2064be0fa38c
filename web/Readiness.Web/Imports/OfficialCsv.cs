using System.Globalization;
using System.Text;
using CsvHelper;
using Readiness.Imports;
using Readiness.Web.Api;

namespace Readiness.Web.Imports;

/// <summary>
/// An official table saved by Excel as CSV, read into the same rows as a workbook sheet (CsvHelper). Encodings as Excel
/// writes them: "CSV (コンマ区切り)" is Shift_JIS (code page 932) without BOM, "CSV UTF-8" is UTF-8 with BOM, "Unicode
/// テキスト" is UTF-16 LE with BOM and tabs (UTF-16 BE with its BOM is read too). Without a BOM, text that is valid UTF-8 is read as UTF-8, anything else as
/// Shift_JIS. The sheet's name is the file's name without extension (Excel names the file after the sheet), e.g.
/// 令和8年1月_進捗状況.csv. Refused: NUL bytes or text that decodes in neither.
/// </summary>
public static class OfficialCsv
{
    static OfficialCsv() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    public static bool IsCsvName(string fileName) =>
        Path.GetExtension(fileName).ToLowerInvariant() is ".csv" or ".txt" or ".tsv";

    /// <summary>The text and its encoding: utf-8 (BOM) or utf-8 (valid), utf-16 (LE BOM), utf-16be (BE BOM) or shift_jis; null when none.</summary>
    public static (string Text, string Encoding)? Decode(byte[] bytes)
    {
        if (bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            return (new UTF8Encoding(false, true).GetString(bytes, 3, bytes.Length - 3), "utf-8 (BOM)");
        }

        if (bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]))
        {
            return (Encoding.Unicode.GetString(bytes, 2, bytes.Length - 2), "utf-16");
        }

        // UTF-16 big-endian with its BOM (written by other tools than Excel; its NUL bytes would otherwise read as binary).
        if (bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            return (Encoding.BigEndianUnicode.GetString(bytes, 2, bytes.Length - 2), "utf-16be");
        }

        if (bytes.AsSpan().IndexOf((byte)0) >= 0)
        {
            return null; // binary, not text
        }

        try
        {
            return (new UTF8Encoding(false, true).GetString(bytes), "utf-8");
        }
        catch (DecoderFallbackException)
        {
        }

        try
        {
            var sjis = Encoding.GetEncoding(932, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
            return (sjis.GetString(bytes), "shift_jis");
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>
    /// Tab or comma, from the line of the first 20 that holds the most of either: the table's header row, not the first
    /// line, which in MIC's files may be the title alone (Excel's "Unicode テキスト" saves such a line without tabs).
    /// </summary>
    internal static char Separator(string text)
    {
        var (tabs, commas, lines) = (0, 0, 0);
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            tabs = Math.Max(tabs, line.Count('\t'));
            commas = Math.Max(commas, line.Count(','));
            if (++lines == 20)
            {
                break;
            }
        }

        return tabs > commas ? '\t' : ',';
    }

    /// <summary>The rows of the CSV as a sheet named after the file; a refusal naming the file when it is not text.</summary>
    public static (SheetData? Sheet, string? Encoding, ProblemError? Error) Read(string fileName, byte[] bytes)
    {
        if (Decode(bytes) is not { } decoded)
        {
            return (null, null, new ProblemError("file", "not_a_csv",
                "CSV として読めません（Shift_JIS、UTF-8、BOM 付き UTF-16 のいずれのテキストでもありません）。", "The file cannot be read as CSV (not Shift_JIS, UTF-8 or UTF-16 text with a BOM)."));
        }

        // Quotes come in pairs in well-formed CSV (a quoted field's two, an escaped quote doubled): an odd count is a
        // quote never closed, which the reader would otherwise take as one field running to the end of the file.
        if (decoded.Text.AsSpan().Count('"') % 2 != 0)
        {
            return (null, null, NotWellFormed());
        }

        var delimiter = Separator(decoded.Text);
        var options = CsvReaderOptions.Default with
        {
            HasHeader = false,
            Separator = delimiter,
            TrackLineNumbers = true,
            TrimWhitespace = false,
        };
        var rows = new List<SheetRow>();
        try
        {
            using var reader = CsvReader.FromText(decoded.Text, options);
            while (reader.Read())
            {
                var cells = new object?[reader.FieldCount];
                var any = false;
                for (var c = 0; c < cells.Length; c++)
                {
                    var value = reader.GetString(c);
                    cells[c] = string.IsNullOrWhiteSpace(value) ? null : value;
                    any |= cells[c] is not null;
                }

                if (any)
                {
                    rows.Add(new SheetRow((int)reader.LineNumber, false, cells));
                }
            }
        }
        catch (CsvFormatException)
        {
            return (null, null, NotWellFormed());
        }

        return (new SheetData(Path.GetFileNameWithoutExtension(fileName), rows), decoded.Encoding, null);
    }

    private static ProblemError NotWellFormed() =>
        new("file", "not_a_csv", "CSV の形になっていません（引用符の対応など）。", "The file is not well-formed CSV (unbalanced quotes or the like).");
}
