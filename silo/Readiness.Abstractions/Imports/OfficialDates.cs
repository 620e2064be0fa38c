using System.Globalization;
using System.Text.RegularExpressions;

namespace Readiness.Imports;

/// <summary>
/// Dates as official files write them, read into a calendar day. Pure. Accepted: a DateTime cell; an Excel serial
/// number (1900 date system, 1 = 1900-01-01, with Excel's phantom 1900-02-29: serial 61 = 1900-03-01);
/// 2026/3/31, 2026-03-31, 2026年3月31日; era dates 令和8年3月31日, 令和元年5月1日, R8.3.31, R8/3/31, H31.4.30 (平成,
/// 令和); full-width digits; a month alone (2026年3月, 令和8年3月末) means its last day. Null for anything else.
/// </summary>
public static partial class OfficialDates
{
    [GeneratedRegex(@"^(令和|平成|R|H)(元|\d{1,2})[年./\-](\d{1,2})(?:[月./\-](\d{1,2})日?|月末?)?(?:時点|現在)?$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex EraDate();

    [GeneratedRegex(@"^(\d{4})[年./\-](\d{1,2})(?:[月./\-](\d{1,2})日?|月末?)?(?:時点|現在)?$", RegexOptions.CultureInvariant)]
    private static partial Regex WesternDate();

    [GeneratedRegex(@"(令和|平成|R|H)(元|\d{1,2})年(\d{1,2})月(?:(\d{1,2})日|末)?|(\d{4})年(\d{1,2})月(?:(\d{1,2})日|末)?", RegexOptions.CultureInvariant)]
    private static partial Regex DateInText();

    [GeneratedRegex(@"(?:令和|平成|R|H)(?:元|\d{1,2})[./](?:\d{1,2})[./](?:\d{1,2})|\d{4}[/\-]\d{1,2}[/\-]\d{1,2}", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex ShortDateInText();

    /// <summary>A day from a cell value (DateTime, Excel serial number, or text as above); null when it is not a date.</summary>
    public static DateOnly? Parse(object? value) => value switch
    {
        null => null,
        DateTime d => DateOnly.FromDateTime(d),
        DateTimeOffset d => DateOnly.FromDateTime(d.DateTime),
        DateOnly d => d,
        double serial => FromSerial(serial),
        decimal serial => FromSerial((double)serial),
        int serial => FromSerial(serial),
        _ => ParseText(value.ToString()),
    };

    /// <summary>Excel's serial day (1900 system) as a date; null outside 1..2958465 (9999-12-31).</summary>
    public static DateOnly? FromSerial(double serial)
    {
        if (double.IsNaN(serial) || serial < 1 || serial >= 2958466)
        {
            return null;
        }

        var day = (int)Math.Floor(serial);
        // Excel counts a 1900-02-29 that never was: from serial 61 on, one day less.
        return new DateOnly(1899, 12, 31).AddDays(day >= 61 ? day - 1 : day);
    }

    public static DateOnly? ParseText(string? text)
    {
        var s = JapaneseNames.Normalize(text);
        if (s.Length == 0)
        {
            return null;
        }

        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var serial))
        {
            return s.Contains('.') || s.Length >= 4 ? FromSerial(serial) : null;
        }

        var era = EraDate().Match(s);
        if (era.Success)
        {
            return Build(Year(era.Groups[1].Value, era.Groups[2].Value), era.Groups[3].Value, era.Groups[4].Value);
        }

        var western = WesternDate().Match(s);
        return western.Success ? Build(int.Parse(western.Groups[1].Value, CultureInfo.InvariantCulture), western.Groups[2].Value, western.Groups[3].Value) : null;
    }

    /// <summary>The first date written inside a longer text, e.g. a title 「…（令和7年12月末時点）」; null when none.</summary>
    public static DateOnly? FindInText(string? text)
    {
        var s = JapaneseNames.Normalize(text);
        foreach (Match m in DateInText().Matches(s))
        {
            var day = m.Groups[1].Success
                ? Build(Year(m.Groups[1].Value, m.Groups[2].Value), m.Groups[3].Value, m.Groups[4].Value)
                : Build(int.Parse(m.Groups[5].Value, CultureInfo.InvariantCulture), m.Groups[6].Value, m.Groups[7].Value);
            if (day is not null)
            {
                return day;
            }
        }

        foreach (Match m in ShortDateInText().Matches(s))
        {
            if (ParseText(m.Value) is { } day)
            {
                return day;
            }
        }

        return null;
    }

    private static int Year(string era, string year)
    {
        var n = year == "元" ? 1 : int.Parse(year, CultureInfo.InvariantCulture);
        return era.ToUpperInvariant() is "令和" or "R" ? 2018 + n : 1988 + n;
    }

    private static DateOnly? Build(int year, string month, string day)
    {
        var m = int.Parse(month, CultureInfo.InvariantCulture);
        if (year is < 1900 or > 9999 || m is < 1 or > 12)
        {
            return null;
        }

        if (day.Length == 0)
        {
            return new DateOnly(year, m, DateTime.DaysInMonth(year, m)); // a month alone: its last day
        }

        var d = int.Parse(day, CultureInfo.InvariantCulture);
        return d >= 1 && d <= DateTime.DaysInMonth(year, m) ? new DateOnly(year, m, d) : null;
    }
}
