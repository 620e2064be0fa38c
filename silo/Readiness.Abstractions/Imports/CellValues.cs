using System.Globalization;
using System.Text;

namespace Readiness.Imports;

/// <summary>
/// Spreadsheet cell values as people really type them (issue 11, item 7), read into the product's types. Pure.
/// A cell arrives as the reader gives it: a string, a number (double), a bool, a DateTime, or null. Accepted:
/// - text: NFKC (full-width letters and digits, half-width kana), leading and trailing whitespace of any width removed;
///   blank is null.
/// - dates: real date cells; Excel serial numbers (1900 date system, whose day 60 is the non-existent 1900-02-29);
///   2026/3/31, 2026-03-31, 2026.3.31, 2026年3月31日; the Japanese era in kanji or as a letter: 令和8年3月31日,
///   令和元年5月1日, R8.3.31, R8/3/31, H31.4.30, 平成31年4月30日, S64.1.7; all of them with full-width digits.
/// - whole numbers: 12, "１２", "12 ", 12.0, an ETag "\"12\"".
/// - flags: はい/いいえ, ○/●/×, 該当/非該当, true/false, yes/no, 1/0 (blank: no).
/// </summary>
/// <remarks>
/// The official imports (MicProgressParser) have their own rate parsing; the lead may fold the two into this file.
/// </remarks>
public static class CellValues
{
    /// <summary>Day 0 of the 1900 date system as .NET counts it: serial 1 is 1900-01-01, and serials from 61 on skip Lotus' 1900-02-29.</summary>
    private static readonly DateOnly SerialEpoch = new(1899, 12, 30);

    /// <summary>The Japanese eras with their first days (a year-1 date before the first day is refused).</summary>
    private static readonly (string Kanji, char Letter, DateOnly Start)[] Eras =
    [
        ("令和", 'R', new DateOnly(2019, 5, 1)),
        ("平成", 'H', new DateOnly(1989, 1, 8)),
        ("昭和", 'S', new DateOnly(1926, 12, 25)),
    ];

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

        var normalized = text.Normalize(NormalizationForm.FormKC).Trim().Trim('\u200B', '\uFEFF').Trim();
        return normalized.Length == 0 ? null : normalized;
    }

    /// <summary>
    /// A date from a cell (see the class remarks). Blank: (true, null). Not a date: (false, null). An Excel serial must
    /// be a whole day between 1 and 2958465 (9999-12-31).
    /// </summary>
    public static (bool Ok, DateOnly? Value) Date(object? cell)
    {
        switch (cell)
        {
            case null:
                return (true, null);
            case DateTime t:
                return (true, DateOnly.FromDateTime(t));
            case DateOnly d:
                return (true, d);
            case double serial:
                return FromSerial(serial) is { } fromSerial ? (true, fromSerial) : (false, null);
        }

        var text = Text(cell);
        if (text is null)
        {
            return (true, null);
        }

        return ParseDateText(text) is { } parsed ? (true, parsed) : (false, null);
    }

    /// <summary>An Excel serial day number (1900 date system) as a date; null when not a whole day in range.</summary>
    public static DateOnly? FromSerial(double serial)
    {
        if (double.IsNaN(serial) || serial < 1 || serial > 2958465 || Math.Abs(serial - Math.Round(serial)) > 1e-9)
        {
            return null;
        }

        var days = (int)Math.Round(serial);

        // Excel counts a 1900-02-29 (serial 60) that never was: serials below 61 are one day later than their count.
        return days < 61 ? SerialEpoch.AddDays(days + 1) : SerialEpoch.AddDays(days);
    }

    /// <summary>A date as its Excel serial (1900 date system), for writing real date cells.</summary>
    public static double ToSerial(DateOnly date)
    {
        var days = date.DayNumber - SerialEpoch.DayNumber;
        return days < 61 ? days - 1 : days;
    }

    /// <summary>The date a normalised text names, or null.</summary>
    public static DateOnly? ParseDateText(string text)
    {
        var t = text.Normalize(NormalizationForm.FormKC).Trim();
        if (t.Length == 0)
        {
            return null;
        }

        // A serial number typed as text (a cell formatted as text, a CSV).
        if (t.All(char.IsAsciiDigit) && t.Length is >= 4 and <= 5)
        {
            return FromSerial(double.Parse(t, CultureInfo.InvariantCulture));
        }

        foreach (var (kanji, letter, start) in Eras)
        {
            string? rest = null;
            if (t.StartsWith(kanji, StringComparison.Ordinal))
            {
                rest = t[kanji.Length..];
            }
            else if (char.ToUpperInvariant(t[0]) == letter && t.Length > 1 && (char.IsAsciiDigit(t[1]) || t[1] == '元'))
            {
                rest = t[1..];
            }

            if (rest is null)
            {
                continue;
            }

            if (rest.StartsWith('元'))
            {
                rest = "1" + rest[1..];
            }

            if (Parts(rest) is not { } era || era.Year < 1)
            {
                return null;
            }

            var date = Make(start.Year + era.Year - 1, era.Month, era.Day);
            return date is { } d && d >= start ? d : null;
        }

        if (Parts(t) is { } p && p.Year >= 1000)
        {
            return Make(p.Year, p.Month, p.Day);
        }

        return null;
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

    private static (int Year, int Month, int Day)? Parts(string text)
    {
        // 2026/3/31, 2026-3-31, 2026.3.31, 2026年3月31日 (and 8年3月31日 after an era).
        var s = text.Replace('年', '/').Replace('月', '/').Replace("日", string.Empty, StringComparison.Ordinal)
            .Replace('-', '/').Replace('.', '/').Replace('．', '/');
        var parts = s.Split('/', StringSplitOptions.TrimEntries);
        if (parts.Length != 3 || parts.Any(p => p.Length == 0 || p.Length > 4 || !p.All(char.IsAsciiDigit)))
        {
            return null;
        }

        return (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture));
    }

    private static DateOnly? Make(int year, int month, int day) =>
        year is >= 1 and <= 9999 && month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month) ? new DateOnly(year, month, day) : null;
}
