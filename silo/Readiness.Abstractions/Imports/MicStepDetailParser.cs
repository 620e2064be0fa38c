using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using Readiness.Catalog;

namespace Readiness.Imports;

/// <summary>
/// Parses MIC's step detail (domain.md, "The official releases"): title rows (the as-of day written in them, e.g.
/// 「令和8年1月31日時点」 or 「R8.1.31現在」, else the era month of the sheet's name), a header row with 都道府県,
/// 市区町村 (or 団体名), 業務 (or 業務名) and the 40 step columns (「ステップ1」, 「STEP01」, 「1」, 「1.計画」 …, in any
/// order), then one row per municipality and business; prefecture and municipality may be merged down. Each step cell
/// holds 完了済み / 作業中 / 未着手 / 対象外 (blank = 未着手). Per business: the 40 states
/// (<see cref="StepStates"/>) and the step completion (完了済み + 対象外) / 40, from which the phase follows
/// (<see cref="Rules.Baseline.PhaseFromSteps"/>). A municipality is applied only with all 20 businesses; every row
/// or municipality not applied is reported, never guessed. Pure.
/// </summary>
public static partial class MicStepDetailParser
{
    [GeneratedRegex(@"^(?:ステップ|STEP|手順|NO\.?)?0*(\d{1,2})(?:$|[.:_\-)）、]|[^\d])", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex StepHeader();

    /// <summary>The step number (1..40) a header cell names, or null.</summary>
    public static int? StepNumber(string? header)
    {
        var text = JapaneseNames.Normalize(header);
        if (text.Length == 0)
        {
            return null;
        }

        var m = StepHeader().Match(text);
        return m.Success && int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) is var n && n is >= 1 and <= Rules.Baseline.PmoSteps ? n : null;
    }

    public static OfficialDataset Parse(SheetData sheet)
    {
        using var sheetRows = new SheetRows(sheet.Rows, MicProgressParser.HeaderSearchRows);
        var header = FindHeader(sheetRows.Head);
        // The title's date first (MIC's own word; a name may be a copy of another month's file), warned when the name says another month.
        var titled = sheetRows.Head.Take(header.Index)
            .SelectMany(r => r.Cells.Select(c => (r.RowNumber, Day: c is DateTime d ? DateOnly.FromDateTime(d) : CellValues.FindDateInText(MicProgressParser.Text(c)))))
            .FirstOrDefault(t => t.Day is not null);
        var warning = titled.Day is { } titleDay ? MicProgressParser.NameDisagrees(sheet.Name, titleDay, titled.RowNumber) : null;
        var asOf = titled.Day
            ?? CellValues.FindDateInText(sheet.Name)
            ?? throw new ImportFormatException("sheet", "missing_as_of",
                "時点（例: 令和8年1月31日時点）がタイトル行にもシート名にもありません。", "No as-of date (e.g. 令和8年1月31日時点) in the title rows or the sheet's name.");

        var catalog = ReadinessCatalog.Instance;
        var businesses = catalog.BusinessSystems.Count;
        var byCode = new Dictionary<string, (int FirstRow, bool Hidden, string?[] Steps)>(StringComparer.Ordinal);
        var order = new List<string>();
        var issues = ImmutableArray.CreateBuilder<ImportRowIssue>();
        var unmatched = new HashSet<(string?, string?)>();
        string? prefecture = null, municipality = null;
        var hidden = 0;

        // 34,820 rows name 1,741 municipalities and 20 businesses: each name is normalised and matched once per
        // distinct cell text (the reader hands the same string instance for a repeated cell), not once per row.
        var texts = new Dictionary<string, string?>(StringComparer.Ordinal);
        var businessIds = new Dictionary<string, string?>(StringComparer.Ordinal);
        (string? Prefecture, string? Municipality, string? Code) lastMatch = default;
        Span<char> states = stackalloc char[Rules.Baseline.PmoSteps];
        foreach (var row in sheetRows.After(header.Index))
        {
            var prefectureText = NameText(Cell(row, header.Prefecture), texts);
            var municipalityText = NameText(Cell(row, header.Municipality), texts);
            var businessText = NameText(Cell(row, header.Business), texts);
            if (prefectureText is null && municipalityText is null && businessText is null)
            {
                continue; // blank row (the step cells of a blank row say nothing either)
            }

            // Merged down: a prefecture over its municipalities, a municipality over its 20 business rows.
            if (prefectureText is not null && prefectureText != prefecture)
            {
                municipality = null;
            }

            prefecture = prefectureText ?? prefecture;
            municipality = municipalityText ?? municipality;
            hidden += row.Hidden ? 1 : 0;
            if (!ReferenceEquals(prefecture, lastMatch.Prefecture) || !ReferenceEquals(municipality, lastMatch.Municipality))
            {
                lastMatch = (prefecture, municipality, JapaneseNames.FindMunicipality(prefecture, municipality));
            }

            var code = lastMatch.Code;
            if (code is null)
            {
                if (unmatched.Add((prefecture, municipality)))
                {
                    issues.Add(new ImportRowIssue(row.RowNumber, prefecture, municipality, "unmatched_municipality",
                        $"{row.RowNumber}行目: 「{prefecture} {municipality}」に一致する市区町村がありません（この団体の行は取り込みません）。",
                        $"Row {row.RowNumber}: no municipality matches '{prefecture} {municipality}' (its rows are not imported)."));
                }

                continue;
            }

            if (businessText is null || !businessIds.TryGetValue(businessText, out var businessId))
            {
                businessId = OfficialBusinessNames.Resolve(businessText);
                if (businessText is not null)
                {
                    businessIds[businessText] = businessId;
                }
            }

            if (businessId is null)
            {
                var cell = $"{MicProgressParser.ColumnName(header.Business)}{row.RowNumber}";
                issues.Add(new ImportRowIssue(row.RowNumber, prefecture, municipality, "unknown_business",
                    $"{cell}: 「{businessText}」は20業務のどれでもありません（この行は取り込みません）。",
                    $"{cell}: '{businessText}' is none of the 20 businesses (row not imported)."));
                continue;
            }

            if (!byCode.TryGetValue(code, out var entry))
            {
                entry = (row.RowNumber, false, new string?[businesses]);
                byCode[code] = entry;
                order.Add(code);
            }

            if (row.Hidden && !entry.Hidden)
            {
                byCode[code] = entry with { Hidden = true };
            }

            var b = catalog.BusinessIndex[businessId];
            if (entry.Steps[b] is not null)
            {
                issues.Add(new ImportRowIssue(row.RowNumber, prefecture, municipality, "duplicate_business",
                    $"{row.RowNumber}行目: 「{businessText}」はこの団体で2度目です（取り込みません）。",
                    $"Row {row.RowNumber}: '{businessText}' appears twice for this municipality (not imported)."));
                continue;
            }

            List<int>? bad = null;
            for (var s = 0; s < states.Length; s++)
            {
                var value = Cell(row, header.Steps[s]);
                if (StepStates.Parse(value as string ?? MicProgressParser.Text(value)) is { } state)
                {
                    states[s] = state;
                }
                else
                {
                    (bad ??= []).Add(header.Steps[s]);
                }
            }

            if (bad is not null)
            {
                var cells = string.Join(", ", bad.Order().Select(c => $"{MicProgressParser.ColumnName(c)}{row.RowNumber}"));
                issues.Add(new ImportRowIssue(row.RowNumber, prefecture, municipality, "invalid_step",
                    $"{cells}: ステップは「完了済み」「作業中」「未着手」「対象外」または空欄で書いてください（この団体は取り込みません）。",
                    $"{cells}: a step must be 完了済み, 作業中, 未着手, 対象外 or blank (this municipality is not imported)."));
                entry.Steps[b] = string.Empty; // marks the municipality as not applicable below, and the business as seen
                continue;
            }

            entry.Steps[b] = new string(states);
        }

        var rows = ImmutableArray.CreateBuilder<OfficialImportRow>();
        foreach (var code in order)
        {
            var (firstRow, _, steps) = byCode[code];
            var m = catalog.MunicipalitiesByCode[code];
            var missing = catalog.BusinessSystems.Where((_, i) => steps[i] is null).Select(x => x.SoumuLabel).ToList();
            if (missing.Count > 0)
            {
                issues.Add(new ImportRowIssue(firstRow, catalog.PrefecturesByCode[m.PrefectureCode].Name, m.Name, "incomplete_municipality",
                    $"{firstRow}行目〜: {m.Name}に次の業務の行がありません: {string.Join("、", missing)}（この団体は取り込みません）。",
                    $"Rows from {firstRow}: {m.Name} lacks rows for: {string.Join(", ", missing)} (not imported)."));
                continue;
            }

            if (steps.Any(s => s!.Length == 0))
            {
                continue; // a bad step cell, reported above
            }

            rows.Add(new OfficialImportRow(firstRow, code, [.. steps.Select(s => StepStates.Completion(s!))]) { Steps = [.. steps.Select(s => s!)] });
        }

        return new OfficialDataset(OfficialImportRecord.MicStepDetailKind, sheet.Name, asOf, rows.ToImmutable(),
            [.. issues.OrderBy(i => i.RowNumber)], hidden, [], byCode.Count)
        {
            Warnings = warning is null ? [] : [warning],
        };
    }

    private static (int Index, int Prefecture, int Municipality, int Business, int[] Steps) FindHeader(List<SheetRow> top)
    {
        for (var i = 0; i < top.Count; i++)
        {
            int prefecture = -1, municipality = -1, business = -1;
            var steps = new int[Rules.Baseline.PmoSteps];
            Array.Fill(steps, -1);
            var cells = top[i].Cells;
            for (var c = 0; c < cells.Count; c++)
            {
                var text = JapaneseNames.Normalize(MicProgressParser.Text(cells[c]));
                if (text.Length == 0)
                {
                    continue;
                }

                if (StepNumber(text) is { } n)
                {
                    steps[n - 1] = steps[n - 1] < 0 ? c : steps[n - 1];
                }
                else if (text.Contains("都道府県", StringComparison.Ordinal))
                {
                    prefecture = c;
                }
                else if (text.Contains("市区町村", StringComparison.Ordinal) || text.Contains("団体名", StringComparison.Ordinal) || text.Contains("自治体名", StringComparison.Ordinal))
                {
                    municipality = c;
                }
                else if (text.Contains("業務", StringComparison.Ordinal))
                {
                    business = c;
                }
            }

            var found = steps.Count(s => s >= 0);
            if (found == 0 && prefecture < 0)
            {
                continue;
            }

            var lacking = new List<string>();
            if (prefecture < 0)
            {
                lacking.Add("都道府県");
            }

            if (municipality < 0)
            {
                lacking.Add("市区町村");
            }

            if (business < 0)
            {
                lacking.Add("業務");
            }

            lacking.AddRange(Enumerable.Range(1, steps.Length).Where(n => steps[n - 1] < 0).Select(n => $"ステップ{n}"));
            if (lacking.Count == 0)
            {
                return (i, prefecture, municipality, business, steps);
            }

            if (found >= 10 || (prefecture >= 0 && municipality >= 0))
            {
                throw new ImportFormatException("header", "missing_header",
                    $"{top[i].RowNumber}行目の見出しに次の列がありません: {string.Join("、", lacking)}",
                    $"The header in row {top[i].RowNumber} lacks these columns: {string.Join(", ", lacking)}");
            }
        }

        throw new ImportFormatException("header", "missing_header",
            "見出し行（都道府県・市区町村・業務と40のステップ）が見つかりません。",
            "No header row (prefecture, municipality, business and the 40 steps) was found.");
    }

    // A name cell as trimmed NFKC text, computed once per distinct cell string of the sheet.
    private static string? NameText(object? value, Dictionary<string, string?> texts)
    {
        if (value is not string raw)
        {
            return MicProgressParser.Text(value);
        }

        if (!texts.TryGetValue(raw, out var text))
        {
            text = MicProgressParser.Text(raw);
            texts[raw] = text;
        }

        return text;
    }

    private static object? Cell(SheetRow row, int column) => column >= 0 && column < row.Cells.Count ? row.Cells[column] : null;
}
