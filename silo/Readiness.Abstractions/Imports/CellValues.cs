using System.Globalization;
using System.Text;

namespace Readiness.Imports;

/// <summary>
/// Spreadsheet cell values as people really type them (issue 11, item 7), read into the product's types. Pure.
/// A cell arrives as the reader gives it: a string, a number (double), a bool, a DateTime, or null. Accepted:
/// - text: NFKC (full-width letters and digits, half-width kana), leading and trailing whitespace of any width removed;
///   blank is null.
/// - dates: the one date reader of the product, for the official releases and the reporting template alike
///   (CellValues.Dates.cs).
/// - whole numbers: 12, "１２", "12 ", 12.0, an ETag "\"12\"".
/// - flags: はい/いいえ, ○/●/×, 該当/非該当, true/false, yes/no, 1/0 (blank: no).
/// </summary>
/// <remarks>
/// The official imports (MicProgressParser) have their own rate parsing; the lead may fold the two into this file.
/// </remarks>
public static partial class CellValues
{
    /// <summary>The cell as text: NFKC, trimmed (any width of whitespace); null when blank. Numbers in the invariant culture.</summary>
    public static string? Text(object? cell)
    {
        var text = cell switch
        {
            null => null,
            string s => s,
            double d => d.ToString(CultureInfo.InvariantCulture),
            bool b => b ? "true" : "false",
            DateTime t => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => cell.ToString(),
        };
        if (text is null)
        {
            return null;
        }

        var normalized = Readiness.Rules.FreeText.Normalized(text, NormalizationForm.FormKC).Trim().Trim('\u200B', '\uFEFF').Trim();
        return normalized.Length == 0 ? null : normalized;
    }

    /// <summary>A whole number from a cell: 12, 12.0, "１２", " 12 ", "\"12\"" (an ETag); null when blank or not a whole number.</summary>
    public static long? WholeNumber(object? cell)
    {
        if (cell is double d)
        {
            return Math.Abs(d - Math.Round(d)) < 1e-9 && Math.Abs(d) < 1e15 ? (long)Math.Round(d) : null;
        }

        var text = Text(cell);
        if (text is null)
        {
            return null;
        }

        if (text.StartsWith("W/", StringComparison.Ordinal))
        {
            text = text[2..];
        }

        text = text.Trim('"').Replace(",", string.Empty, StringComparison.Ordinal);
        if (text.EndsWith(".0", StringComparison.Ordinal))
        {
            text = text[..^2];
        }

        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : null;
    }

    /// <summary>
    /// A 6-digit municipality code from a cell: "131016", "１３１０１６", the number 131016, or a 5-digit number whose
    /// leading zero Excel dropped (11002 → "011002"). Null when it is not six digits.
    /// </summary>
    public static string? Code(object? cell)
    {
        var text = cell is double d && WholeNumber(d) is { } n ? n.ToString(CultureInfo.InvariantCulture) : Text(cell);
        if (text is null || !text.All(char.IsAsciiDigit))
        {
            return null;
        }

        return text.Length switch
        {
            6 => text,
            5 when cell is double => "0" + text,
            _ => null,
        };
    }

    /// <summary>A yes/no cell (see the class remarks): (true, value); (true, false) when blank; (false, false) when not a flag.</summary>
    public static (bool Ok, bool Value) Flag(object? cell)
    {
        if (cell is bool b)
        {
            return (true, b);
        }

        if (cell is double d)
        {
            return d switch { 1 => (true, true), 0 => (true, false), _ => (false, false) };
        }

        return Text(cell)?.ToLowerInvariant() switch
        {
            null => (true, false),
            "はい" or "○" or "〇" or "●" or "◯" or "該当" or "true" or "yes" or "y" or "1" => (true, true),
            "いいえ" or "×" or "-" or "非該当" or "false" or "no" or "n" or "0" => (true, false),
            _ => (false, false),
        };
    }
}
