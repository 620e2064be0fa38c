using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Readiness.Catalog;

namespace Readiness.Imports;

/// <summary>One row of a worksheet as read: its 1-based row number, whether it is hidden, and its cell values.</summary>
/// <param name="Cells">Cell values by 0-based column: string, double, bool, DateTime or null.</param>
public sealed record SheetRow(int RowNumber, bool Hidden, IReadOnlyList<object?> Cells);

/// <summary>
/// A worksheet as read: its name and rows top to bottom (blank rows may be left out). The rows may be a one-pass stream
/// straight from the reader (the upload reads them so, row by row): every parser enumerates them once, buffering only
/// the first <see cref="MicProgressParser.HeaderSearchRows"/> rows for the header search (<see cref="SheetRows"/>), so
/// the memory a parse needs grows with what it keeps (the matched rows), not with the sheet.
/// </summary>
public sealed record SheetData(string Name, IEnumerable<SheetRow> Rows);

/// <summary>
/// One pass over a sheet's rows: the first rows buffered (<see cref="Head"/>, for finding the header), then, from
/// <see cref="After"/>, the rest as they come. Enumerate <see cref="After"/> once.
/// </summary>
public sealed class SheetRows : IDisposable
{
    private readonly IEnumerator<SheetRow> rest;

    public SheetRows(IEnumerable<SheetRow> rows, int headRows)
    {
        rest = rows.GetEnumerator();
        while (Head.Count < headRows && rest.MoveNext())
        {
            Head.Add(rest.Current);
        }
    }

    /// <summary>The first rows (at most the number asked for).</summary>
    public List<SheetRow> Head { get; } = [];

    /// <summary>The rows after the head row at <paramref name="index"/> (-1: all rows), the unbuffered ones read as they come.</summary>
    public IEnumerable<SheetRow> After(int index)
    {
        for (var i = index + 1; i < Head.Count; i++)
        {
            yield return Head[i];
        }

        while (rest.MoveNext())
        {
            yield return rest.Current;
        }
    }

    public void Dispose() => rest.Dispose();
}

/// <summary>A row that is not applied, with the reason in Japanese and English.</summary>
public sealed record ImportRowIssue(int RowNumber, string? Prefecture, string? Municipality, string Code, string MessageJa, string MessageEn);

/// <summary>One matched municipality: the PMO step completion per business (catalog order), each a multiple of 1/40.</summary>
public sealed record OfficialRow(int RowNumber, string MunicipalityCode, ImmutableArray<decimal> StepCompletion, decimal? Overall, bool Hidden);

/// <summary>A refusal of the whole file (wrong sheet, missing header): nothing is applied.</summary>
public sealed class ImportFormatException(string field, string code, string messageJa, string messageEn) : Exception(messageEn)
{
    public string Field { get; } = field;

    public string Code { get; } = code;

    public string MessageJa { get; } = messageJa;
}

/// <summary>What MIC's per-municipality workbook says, after matching: rows to apply and rows that did not match.</summary>
public sealed record MicProgressImport(
    string SheetName,
    int Year,
    int Month,
    ImmutableArray<OfficialRow> Rows,
    ImmutableArray<ImportRowIssue> Issues,
    int HiddenRows)
{
    /// <summary>The as-of day: the last day of the tally's month.</summary>
    public DateOnly AsOf => new DateOnly(Year, Month, 1).AddMonths(1).AddDays(-1);

    /// <summary>"yyyy-MM".</summary>
    public string AsOfMonth => $"{Year:D4}-{Month:D2}";

    /// <summary>Said about the whole file, nothing refused (as_of_name_differs).</summary>
    public ImmutableArray<ImportRowIssue> Warnings { get; init; } = [];
}

/// <summary>
/// Parses MIC's PMO tally per municipality (domain.md, "The official releases"): the sheet named after the month in the
/// Japanese era (e.g. 令和8年1月_進捗状況), merged title rows, a header row of business names in MIC's wording, then one
/// row per municipality keyed by prefecture and municipality name, an overall rate and 20 rates, each a multiple of
/// 1/40 (0..1, or 0..100 %). Businesses are mapped by name; municipalities by prefecture + name after normalisation;
/// every row that does not match or carries a bad rate is reported, never guessed. Pure.
/// </summary>
public static partial class MicProgressParser
{
    /// <summary>How many rows from the top the header may be searched in (below the title rows).</summary>
    public const int HeaderSearchRows = 30;

    // Anywhere in the name: a copy (コピー令和8年9月…), a prefix (wrongcol_…), a browser's " (1)" or a suffix (…_修正版)
    // still names the month; not after a letter, so "HR8…" is no era.
    [GeneratedRegex(@"(?<![A-Za-z])(令和|平成|R|H)(元|\d{1,2})年?(\d{1,2})月.*進捗", RegexOptions.CultureInvariant)]
    private static partial Regex EraSheetName();

    /// <summary>(year, month) of a sheet named like 令和8年1月_進捗状況 (with anything before or after), or null.</summary>
    public static (int Year, int Month)? SheetMonth(string sheetName)
    {
        var m = EraSheetName().Match(JapaneseNames.Normalize(sheetName));
        if (!m.Success)
        {
            return null;
        }

        var eraYear = m.Groups[2].Value == "元" ? 1 : int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        var year = m.Groups[1].Value is "令和" or "R" ? 2018 + eraYear : 1988 + eraYear;
        var month = int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
        return month is >= 1 and <= 12 && eraYear >= 1 ? (year, month) : null;
    }

    /// <summary>Picks the progress sheet among a workbook's sheet names; null when none is named so.</summary>
    public static string? FindSheet(IEnumerable<string> sheetNames) => sheetNames.FirstOrDefault(n => SheetMonth(n) is not null);

    /// <summary>
    /// True when <paramref name="top"/> (a sheet's first rows) holds the tally's header: 都道府県, 市区町村 and all 20
    /// businesses by name. Recognises a tally whose sheet (a CSV's file) is not named after its month.
    /// </summary>
    public static bool HasHeader(IReadOnlyList<SheetRow> top) => TryFindHeader(top, out _, out _);

    /// <summary>
    /// True when <paramref name="top"/> holds a header that shows the tally even with a column missing or misspelt
    /// (at least half of the 20 businesses by name): parsed as the tally, it is refused naming the missing columns.
    /// </summary>
    public static bool ShowsHeader(IReadOnlyList<SheetRow> top) =>
        TryFindHeader(top, out _, out var best) || best.Found * 2 >= ReadinessCatalog.Instance.BusinessSystems.Count;

    /// <summary>
    /// The warning (code as_of_name_differs, naming the title's row) when the sheet's name (a CSV's file name) says
    /// another month than <paramref name="asOf"/>, the day the title row <paramref name="titleRow"/> says; null when
    /// they agree or the name says no month.
    /// </summary>
    public static ImportRowIssue? NameDisagrees(string sheetName, DateOnly asOf, int titleRow)
    {
        var named = SheetMonth(sheetName) ?? (CellValues.FindDateInText(sheetName) is { } day ? (day.Year, day.Month) : null);
        if (named is not { } n || (n.Year == asOf.Year && n.Month == asOf.Month))
        {
            return null;
        }

        return new ImportRowIssue(titleRow, null, null, "as_of_name_differs",
            $"名前「{sheetName}」は{n.Year}年{n.Month}月ですが、{titleRow}行目のタイトルは{asOf:yyyy-MM-dd}時点です。タイトルの時点（{asOf:yyyy-MM-dd}）で取り込みます。違う場合はタイトルを直してから取り込み直してください。",
            $"The name '{sheetName}' says {n.Year}-{n.Month:D2}, but the title in row {titleRow} says as of {asOf:yyyy-MM-dd}: the title's day ({asOf:yyyy-MM-dd}) is taken. If it is wrong, correct the title and upload the file again.");
    }

    /// <summary>
    /// The month of the tally: a date in the title rows above the header (「令和8年9月末時点」, 「2026年9月30日現在」: its
    /// month; MIC's own word, where a name may be a user's copy of another month's file), with a warning when the sheet's
    /// name (a CSV's file name) says another month; else the sheet's name (令和8年9月_進捗状況); a refusal
    /// (missing_as_of, naming the sheet, i.e. a CSV's file name) when neither says it.
    /// </summary>
    private static (int Year, int Month, ImportRowIssue? Warning) Month(SheetData sheet, List<SheetRow> top, int headerIndex)
    {
        foreach (var row in top.Take(headerIndex))
        {
            foreach (var cell in row.Cells)
            {
                if (CellValues.FindDateInText(Text(cell)) is { } day)
                {
                    return (day.Year, day.Month, NameDisagrees(sheet.Name, new DateOnly(day.Year, day.Month, 1).AddMonths(1).AddDays(-1), row.RowNumber));
                }
            }
        }

        if (SheetMonth(sheet.Name) is { } named)
        {
            return (named.Year, named.Month, null);
        }

        // Whether a workbook's sheet or a CSV (whose sheet is its file's name), the same advice: name it after the month.
        throw new ImportFormatException("sheet", "missing_as_of",
            $"「{sheet.Name}」の名前にもタイトル行にも年月がありません。シート名（CSV はファイル名）を「令和8年9月_進捗状況」（CSV は 令和8年9月_進捗状況.csv）のように集計の年月を付けた名前にしてください。",
            $"Neither the name '{sheet.Name}' nor the title rows say the tally's month: name the sheet (for a CSV, the file) after the month, like 令和8年9月_進捗状況 (a CSV: 令和8年9月_進捗状況.csv).");
    }

    public static MicProgressImport Parse(SheetData sheet)
    {
        var catalog = ReadinessCatalog.Instance;
        using var sheetRows = new SheetRows(sheet.Rows, HeaderSearchRows);
        var (headerIndex, prefectureCol, municipalityCol, overallCol, businessCols) = FindHeader(sheetRows.Head);
        var month = Month(sheet, sheetRows.Head, headerIndex);

        var rows = ImmutableArray.CreateBuilder<OfficialRow>();
        var issues = ImmutableArray.CreateBuilder<ImportRowIssue>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        string? lastPrefecture = null;
        var hidden = 0;
        foreach (var row in sheetRows.After(headerIndex))
        {
            var prefectureText = Text(Cell(row, prefectureCol));
            var municipality = Text(Cell(row, municipalityCol));
            if (prefectureText is null && municipality is null && businessCols.All(c => Cell(row, c) is null))
            {
                continue; // blank row
            }

            // A prefecture merged down over its municipalities has its value only in the first cell.
            var prefecture = prefectureText ?? lastPrefecture;
            lastPrefecture = prefecture;
            if (row.Hidden)
            {
                hidden++;
            }

            var code = JapaneseNames.FindMunicipality(prefecture, municipality);
            if (code is null)
            {
                issues.Add(new ImportRowIssue(row.RowNumber, prefecture, municipality, "unmatched_municipality",
                    $"{row.RowNumber}行目: 「{prefecture} {municipality}」に一致する市区町村がありません（取り込みません）。",
                    $"Row {row.RowNumber}: no municipality matches '{prefecture} {municipality}' (not imported)."));
                continue;
            }

            if (seen.TryGetValue(code, out var first))
            {
                issues.Add(new ImportRowIssue(row.RowNumber, prefecture, municipality, "duplicate_municipality",
                    $"{row.RowNumber}行目: {first}行目と同じ市区町村です（取り込みません）。",
                    $"Row {row.RowNumber}: the same municipality as row {first} (not imported)."));
                continue;
            }

            // Taken by its first row even when that row is refused: a later copy is a duplicate, never applied instead.
            seen[code] = row.RowNumber;
            var rates = new decimal[catalog.BusinessSystems.Count];
            List<int>? bad = null;
            for (var b = 0; b < rates.Length; b++)
            {
                if (Rate(Cell(row, businessCols[b])) is { } r)
                {
                    rates[b] = r;
                }
                else
                {
                    (bad ??= []).Add(businessCols[b]);
                }
            }

            if (bad is not null)
            {
                // Cells named as Excel shows them, left to right: 「D7, F7: …」.
                var cells = string.Join(", ", bad.Order().Select(c => $"{ColumnName(c)}{row.RowNumber}"));
                issues.Add(new ImportRowIssue(row.RowNumber, prefecture, municipality, "invalid_rate",
                    $"{cells}: 進捗率は0〜1（または0〜100%）で1/40刻みの数値が必要です（この行は取り込みません）。",
                    $"{cells}: a rate must be 0..1 (or 0..100 %) in steps of 1/40 (row not imported)."));
                continue;
            }

            rows.Add(new OfficialRow(row.RowNumber, code, ImmutableCollectionsMarshal.AsImmutableArray(rates), overallCol is { } oc ? Rate(Cell(row, oc)) : null, row.Hidden));
        }

        return new MicProgressImport(sheet.Name, month.Year, month.Month, rows.ToImmutable(), issues.ToImmutable(), hidden)
        {
            Warnings = month.Warning is { } warning ? [warning] : [],
        };
    }

    private static (int Index, int Prefecture, int Municipality, int? Overall, int[] Businesses) FindHeader(List<SheetRow> top)
    {
        if (TryFindHeader(top, out var header, out var best))
        {
            return header;
        }

        var catalog = ReadinessCatalog.Instance;
        if (best.Index >= 0)
        {
            var cells = top[best.Index].Cells.Select(c => OfficialBusinessNames.Resolve(Text(c))).ToHashSet();
            var missing = catalog.BusinessSystems.Where(b => !cells.Contains(b.Id)).Select(b => b.SoumuLabel).ToList();
            var columns = new List<string>(missing);
            if (!top[best.Index].Cells.Any(c => JapaneseNames.Normalize(Text(c)).Contains("都道府県", StringComparison.Ordinal)))
            {
                columns.Add("都道府県");
            }

            if (columns.Count > 0)
            {
                throw new ImportFormatException("header", "missing_header",
                    $"{top[best.Index].RowNumber}行目の見出しに次の列がありません: {string.Join("、", columns)}",
                    $"The header in row {top[best.Index].RowNumber} lacks these columns: {string.Join(", ", columns)}");
            }
        }

        throw new ImportFormatException("header", "missing_header",
            "見出し行（都道府県・市区町村と20業務の名前）が見つかりません。",
            "No header row (prefecture, municipality and the 20 business names) was found.");
    }

    // The header row (all 20 businesses, 都道府県 and 市区町村), or false with the row holding the most businesses.
    private static bool TryFindHeader(IReadOnlyList<SheetRow> top, out (int Index, int Prefecture, int Municipality, int? Overall, int[] Businesses) header, out (int Index, int Found) best)
    {
        var catalog = ReadinessCatalog.Instance;
        header = default;
        best = (Index: -1, Found: 0);
        for (var i = 0; i < top.Count; i++)
        {
            var cells = top[i].Cells;
            var businesses = new int[catalog.BusinessSystems.Count];
            Array.Fill(businesses, -1);
            int prefecture = -1, municipality = -1;
            int? overall = null;
            for (var c = 0; c < cells.Count; c++)
            {
                var text = JapaneseNames.Normalize(Text(cells[c]));
                if (text.Length == 0)
                {
                    continue;
                }

                if (OfficialBusinessNames.Resolve(text) is { } id)
                {
                    var b = catalog.BusinessIndex[id];
                    if (businesses[b] < 0)
                    {
                        businesses[b] = c;
                    }
                }
                else if (text.Contains("都道府県", StringComparison.Ordinal))
                {
                    prefecture = c;
                }
                else if (text.Contains("市区町村", StringComparison.Ordinal) || text.Contains("団体名", StringComparison.Ordinal) || text.Contains("自治体名", StringComparison.Ordinal))
                {
                    municipality = c;
                }
                else if (text.Contains("全体", StringComparison.Ordinal) || text.Contains("合計", StringComparison.Ordinal) || text.Contains("総合", StringComparison.Ordinal))
                {
                    overall = c;
                }
            }

            var found = businesses.Count(b => b >= 0);
            if (found == businesses.Length && prefecture >= 0 && municipality >= 0)
            {
                header = (i, prefecture, municipality, overall, businesses);
                return true;
            }

            if (found > best.Found)
            {
                best = (i, found);
            }
        }

        return false;
    }

    private static object? Cell(SheetRow row, int column) => column >= 0 && column < row.Cells.Count ? row.Cells[column] : null;

    /// <summary>A cell as trimmed text after NFKC; null when blank.</summary>
    public static string? Text(object? value)
    {
        var s = value switch
        {
            null => null,
            string t => t,
            double d => d.ToString(CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString(),
        };
        s = s is null ? null : Readiness.Rules.FreeText.Normalized(s, System.Text.NormalizationForm.FormKC).Trim();
        return string.IsNullOrEmpty(s) ? null : s;
    }

    /// <summary>A rate 0..1 in whole steps of 1/40 from a number, "0.975", "97.5%" or full-width digits; null otherwise.</summary>
    public static decimal? Rate(object? value)
    {
        double v;
        if (value is double d)
        {
            v = d;
        }
        else if (Text(value) is { } text)
        {
            var percent = text.EndsWith('%');
            if (!double.TryParse(percent ? text[..^1] : text, NumberStyles.Float, CultureInfo.InvariantCulture, out v))
            {
                return null;
            }

            v = percent ? v / 100 : v;
        }
        else
        {
            return null;
        }

        var steps = v * Rules.Baseline.PmoSteps;
        var whole = Math.Round(steps);
        if (double.IsNaN(v) || v < 0 || v > 1 + 1e-9 || Math.Abs(steps - whole) > 1e-6)
        {
            return null;
        }

        return (decimal)whole / Rules.Baseline.PmoSteps;
    }

    /// <summary>Excel's column letters for a 0-based index (0 → A, 26 → AA).</summary>
    public static string ColumnName(int index)
    {
        var name = string.Empty;
        for (var n = index + 1; n > 0; n = (n - 1) / 26)
        {
            name = (char)('A' + ((n - 1) % 26)) + name;
        }

        return name;
    }
}
