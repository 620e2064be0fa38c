using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Readiness.Imports;

/// <summary>
/// Dates as people and official files write them, read into a calendar day: the product's one date reader (the
/// official releases' as-of days and the reporting template's date cells). Pure. Accepted:
/// - date cells (DateTime, DateTimeOffset, DateOnly);
/// - Excel serial days (1900 date system: 1 = 1900-01-01, Excel's phantom 1900-02-29 is day 60, so 61 = 1900-03-01),
///   whole days 1..2958465 (9999-12-31), as a number or as 4–5 digits typed as text;
/// - 2026/3/31, 2026-03-31, 2026.3.31, 2026年3月31日;
/// - the Japanese era in kanji or as a letter: 令和8年3月31日, 令和元年5月1日, R8.3.31, r8/3/31, H31.4.30,
///   平成31年4月30日, S64.1.7 (令和, 平成, 昭和; a day before the era began is refused: 令和1年4月30日);
/// - full-width digits and letters (NFKC), whitespace of any width anywhere, a trailing 時点 / 現在;
/// - a month alone (2026年2月, 令和8年2月末, R8.2) only where the caller says a month means its last day (the official
///   releases' as-of months); elsewhere (a go-live date) it is refused.
/// </summary>
public static partial class CellValues
{
    /// <summary>Day 0 of the 1900 date system as .NET counts it: serial 1 is 1900-01-01, and serials from 61 on skip Lotus' 1900-02-29.</summary>
    private static readonly DateOnly SerialEpoch = new(1899, 12, 30);

    /// <summary>The Japanese eras with their first days (a date before the first day is refused).</summary>
    private static readonly (string Kanji, char Letter, DateOnly Start)[] Eras =
    [
        ("令和", 'R', new DateOnly(2019, 5, 1)),
        ("平成", 'H', new DateOnly(1989, 1, 8)),
        ("昭和", 'S', new DateOnly(1926, 12, 25)),
    ];

    // Era or 4-digit year, month, then a day or nothing (a month alone), then 時点/現在. Applied after NFKC and with
    // whitespace removed.
    [GeneratedRegex(@"^(?:(令和|平成|昭和|[RHS])(元|\d{1,2})|(\d{4}))[年./\-](\d{1,2})(?:[月./\-](\d{1,2})日?|月末?)?(?:時点|現在)?$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex DatePattern();

    // Dates written inside a longer text (a title): with 年 and 月 (a month alone allowed), or short with . or /.
    [GeneratedRegex(@"(?:令和|平成|昭和|R|H|S)(?:元|\d{1,2})年\d{1,2}月(?:\d{1,2}日|末)?|\d{4}年\d{1,2}月(?:\d{1,2}日|末)?", RegexOptions.CultureInvariant)]
    private static partial Regex DateInText();

    [GeneratedRegex(@"(?:令和|平成|昭和|R|H|S)(?:元|\d{1,2})[./]\d{1,2}[./]\d{1,2}|\d{4}[/\-]\d{1,2}[/\-]\d{1,2}", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex ShortDateInText();

    /// <summary>
    /// A date from a cell (see the class summary) for a field that may be blank. Blank: (true, null). Not a date:
    /// (false, null). A month alone is not a date here.
    /// </summary>
    public static (bool Ok, DateOnly? Value) Date(object? cell)
    {
        if (cell is null || (cell is string s && Text(s) is null))
        {
            return (true, null);
        }

        return ParseDate(cell) is { } day ? (true, day) : (false, null);
    }

    /// <summary>
    /// The day a cell holds (date cell, Excel serial, or text as in the class summary); null when blank or not a date.
    /// <paramref name="monthMeansLastDay"/>: a month alone (2026年2月, 令和8年2月末) is its last day instead of no date.
    /// </summary>
    public static DateOnly? ParseDate(object? cell, bool monthMeansLastDay = false) => cell switch
    {
        null => null,
        DateTime d => DateOnly.FromDateTime(d),
        DateTimeOffset d => DateOnly.FromDateTime(d.DateTime),
        DateOnly d => d,
        double serial => FromSerial(serial),
        decimal serial => FromSerial((double)serial),
        int serial => FromSerial(serial),
        long serial => FromSerial(serial),
        _ => ParseDateText(cell.ToString(), monthMeansLastDay),
    };

    /// <summary>An Excel serial day number (1900 date system) as a date; null when not a whole day in 1..2958465.</summary>
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

    /// <summary>The date a text names (see the class summary), or null.</summary>
    public static DateOnly? ParseDateText(string? text, bool monthMeansLastDay = false)
    {
        var t = Compact(text);
        if (t.Length == 0)
        {
            return null;
        }

        // A serial number typed as text (a cell formatted as text, a CSV).
        if (t.Length is >= 4 and <= 5 && t.All(char.IsAsciiDigit))
        {
            return FromSerial(double.Parse(t, CultureInfo.InvariantCulture));
        }

        var m = DatePattern().Match(t);
        if (!m.Success || (!m.Groups[5].Success && !monthMeansLastDay))
        {
            return null;
        }

        var month = int.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture);
        int? day = m.Groups[5].Success ? int.Parse(m.Groups[5].Value, CultureInfo.InvariantCulture) : null;
        if (m.Groups[3].Success)
        {
            var year = int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
            return year >= 1000 ? Make(year, month, day) : null;
        }

        var era = m.Groups[1].Value;
        var (_, _, start) = Eras.First(e => e.Kanji == era || char.ToUpperInvariant(era[0]) == e.Letter);
        var eraYear = m.Groups[2].Value == "元" ? 1 : int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        return eraYear >= 1 && Make(start.Year + eraYear - 1, month, day) is { } d && d >= start ? d : null;
    }

    /// <summary>
    /// The first date written inside a longer text, e.g. a title 「…（令和7年12月末時点）」 or a sheet name
    /// 「令和8年2月_ステップ別」 (a month alone is its last day); null when none.
    /// </summary>
    public static DateOnly? FindDateInText(string? text)
    {
        var s = Compact(text);
        foreach (Match m in DateInText().Matches(s))
        {
            if (ParseDateText(m.Value, monthMeansLastDay: true) is { } day)
            {
                return day;
            }
        }

        foreach (Match m in ShortDateInText().Matches(s))
        {
            if (ParseDateText(m.Value) is { } day)
            {
                return day;
            }
        }

        return null;
    }

    // NFKC, without whitespace of any width (and zero-width spaces, BOM).
    private static string Compact(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return string.Empty;
        }

        var nfkc = Readiness.Rules.FreeText.Normalized(text, NormalizationForm.FormKC);
        var sb = new StringBuilder(nfkc.Length);
        foreach (var c in nfkc)
        {
            if (!char.IsWhiteSpace(c) && c is not ('\u200B' or '\uFEFF'))
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    private static DateOnly? Make(int year, int month, int? day)
    {
        if (year is < 1 or > 9999 || month is < 1 or > 12)
        {
            return null;
        }

        var last = DateTime.DaysInMonth(year, month);
        return day switch
        {
            null => new DateOnly(year, month, last), // a month alone: its last day
            >= 1 when day <= last => new DateOnly(year, month, day.Value),
            _ => null,
        };
    }
}
