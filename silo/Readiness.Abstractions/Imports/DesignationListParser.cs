using System.Collections.Immutable;
using System.Globalization;
using Readiness.Catalog;

namespace Readiness.Imports;

/// <summary>
/// Parses the Digital Agency's 特定移行支援システムの該当見込み一覧 (domain.md): a title row naming the as-of day
/// (「…（令和7年12月末時点）」), a blank row, then a header: 団体コード (6 digits with check digit; a number that lost its
/// leading zero in Excel is padded), 自治体名 (prefecture and municipality joined, e.g. 北海道札幌市), 自治体区分
/// (都道府県 / 指定都市 / 中核市 / 一般市 / 特別区 / 町 / 村), the 20 businesses by name (any order) and 共通機能, each
/// marked ●. The list is complete: a municipality not on it has no designated system. Prefecture rows (区分 都道府県)
/// are the prefecture-run businesses (児童扶養手当, 生活保護 for towns and villages without a welfare office): recorded
/// as <see cref="OfficialPrefectureRow"/>, not applied to a municipality. A code with a wrong check digit, a code
/// that is no municipality, a name that does not match the code, or a mark other than ● is reported, never guessed. Pure.
/// </summary>
public static class DesignationListParser
{
    public const string Mark = "●";

    public static OfficialDataset Parse(SheetData sheet)
    {
        using var sheetRows = new SheetRows(sheet.Rows, MicProgressParser.HeaderSearchRows);
        var header = FindHeader(sheetRows.Head);
        var asOf = sheetRows.Head.Take(header.Index).SelectMany(r => r.Cells).Select(c => c is DateTime d ? DateOnly.FromDateTime(d) : CellValues.FindDateInText(MicProgressParser.Text(c))).FirstOrDefault(d => d is not null)
            ?? CellValues.FindDateInText(sheet.Name)
            ?? throw new ImportFormatException("title", "missing_as_of",
                "タイトル行に時点（例: 令和7年12月末時点）がありません。", "The title row does not say the as-of date (e.g. 令和7年12月末時点).");

        var catalog = ReadinessCatalog.Instance;
        var listed = new Dictionary<string, (int Row, bool[] Marks)>(StringComparer.Ordinal);
        // Municipalities whose first row was refused: not imported at all (neither its marks nor "not listed").
        var refused = new Dictionary<string, int>(StringComparer.Ordinal);
        var prefectures = ImmutableArray.CreateBuilder<OfficialPrefectureRow>();
        // Prefectures whose first row was refused: their own systems not imported at all, as `refused` for municipalities.
        var refusedPrefectures = new Dictionary<string, int>(StringComparer.Ordinal);
        var issues = ImmutableArray.CreateBuilder<ImportRowIssue>();
        var hidden = 0;
        foreach (var row in sheetRows.After(header.Index))
        {
            var codeValue = Cell(row, header.Code);
            var name = MicProgressParser.Text(Cell(row, header.Name));
            var kind = JapaneseNames.Normalize(MicProgressParser.Text(Cell(row, header.Kind)));
            if (codeValue is null && name is null)
            {
                continue; // blank row, or a note under the table
            }

            hidden += row.Hidden ? 1 : 0;
            var code = Code(codeValue);
            if (code is null || !MunicipalityCode.IsValid(code))
            {
                var cell = $"{MicProgressParser.ColumnName(header.Code)}{row.RowNumber}";
                issues.Add(new ImportRowIssue(row.RowNumber, null, name, "invalid_code",
                    $"{cell}: 団体コード「{MicProgressParser.Text(codeValue)}」は検査数字付きの6桁ではありません（取り込みません）。",
                    $"{cell}: the code '{MicProgressParser.Text(codeValue)}' is not 6 digits with a valid check digit (not imported)."));
                continue;
            }

            var marks = new bool[catalog.BusinessSystems.Count];
            var bad = new List<int>();
            for (var b = 0; b < marks.Length; b++)
            {
                switch (IsMarked(Cell(row, header.Businesses[b])))
                {
                    case true: marks[b] = true; break;
                    case null: bad.Add(header.Businesses[b]); break;
                }
            }

            var common = header.Common is { } cc ? IsMarked(Cell(row, cc)) : false;
            if (common is null)
            {
                bad.Add(header.Common!.Value);
            }

            if (bad.Count > 0)
            {
                var cells = string.Join(", ", bad.Order().Select(c => $"{MicProgressParser.ColumnName(c)}{row.RowNumber}"));
                issues.Add(new ImportRowIssue(row.RowNumber, null, name, "invalid_mark",
                    $"{cells}: 該当は「●」、非該当は空欄で書いてください（この行は取り込みません）。",
                    $"{cells}: mark a designated business with ● and leave others blank (row not imported)."));
                if (catalog.IsMunicipality(code) && !listed.ContainsKey(code))
                {
                    refused.TryAdd(code, row.RowNumber);
                }
                else if (IsPrefectureRow(kind, code) && catalog.PrefecturesByCode.ContainsKey(code[..2]) && !prefectures.Any(p => p.PrefectureCode == code[..2]))
                {
                    refusedPrefectures.TryAdd(code[..2], row.RowNumber);
                }

                continue;
            }

            var prefectureCode = code[..2];
            if (IsPrefectureRow(kind, code))
            {
                int? firstPrefectureRow = prefectures.FirstOrDefault(x => x.PrefectureCode == prefectureCode)?.RowNumber
                    ?? (refusedPrefectures.TryGetValue(prefectureCode, out var refusedAt) ? refusedAt : null);
                if (!catalog.PrefecturesByCode.TryGetValue(prefectureCode, out var p) || JapaneseNames.PrefectureKey(name) != JapaneseNames.Normalize(p.Name))
                {
                    issues.Add(new ImportRowIssue(row.RowNumber, name, null, "unmatched_prefecture",
                        $"{row.RowNumber}行目: 団体コード {code} と「{name}」は同じ都道府県を指していません（取り込みません）。",
                        $"Row {row.RowNumber}: the code {code} and '{name}' do not name the same prefecture (not imported)."));
                    if (p is not null && firstPrefectureRow is null)
                    {
                        // Which body was meant is unknown: the code's prefecture is not imported either (not "not listed").
                        refusedPrefectures.TryAdd(prefectureCode, row.RowNumber);
                    }

                    continue;
                }

                if (firstPrefectureRow is { } fp)
                {
                    // As for a municipality: the first row stands (marks are not merged from copies of a row).
                    issues.Add(new ImportRowIssue(row.RowNumber, name, null, "duplicate_prefecture",
                        $"{row.RowNumber}行目: {fp}行目と同じ都道府県です（取り込みません）。",
                        $"Row {row.RowNumber}: the same prefecture as row {fp} (not imported)."));
                    continue;
                }

                prefectures.Add(new OfficialPrefectureRow(row.RowNumber, prefectureCode,
                    [.. catalog.BusinessSystems.Where((_, i) => marks[i]).Select(x => x.Id)], common == true));
                continue;
            }

            var prefectureName = catalog.PrefecturesByCode.TryGetValue(prefectureCode, out var pref) ? pref.Name : null;
            if (!catalog.IsMunicipality(code) || JapaneseNames.FindMunicipality(prefectureName, name) != code)
            {
                issues.Add(new ImportRowIssue(row.RowNumber, prefectureName, name, "unmatched_municipality",
                    $"{row.RowNumber}行目: 団体コード {code} と「{name}」に一致する市区町村がありません（取り込みません）。",
                    $"Row {row.RowNumber}: no municipality matches the code {code} and '{name}' (not imported)."));
                if (catalog.IsMunicipality(code) && !listed.ContainsKey(code))
                {
                    // A municipality's code with another name: which one was meant is unknown, so the code's municipality
                    // is not imported either (as "not listed" it lost all its designations: breaker, round 24).
                    refused.TryAdd(code, row.RowNumber);
                }

                continue;
            }

            int? firstRow = listed.TryGetValue(code, out var first) ? first.Row : refused.TryGetValue(code, out var refusedRow) ? refusedRow : null;
            if (firstRow is { } f)
            {
                issues.Add(new ImportRowIssue(row.RowNumber, prefectureName, name, "duplicate_municipality",
                    $"{row.RowNumber}行目: {f}行目と同じ団体です（取り込みません）。",
                    $"Row {row.RowNumber}: the same municipality as row {f} (not imported)."));
                continue;
            }

            listed[code] = (row.RowNumber, marks);
        }

        // The list is complete: every municipality gets its flags, those not listed none.
        var none = ImmutableArray.Create(new bool[catalog.BusinessSystems.Count]);
        var rows = catalog.Municipalities.Where(m => !refused.ContainsKey(m.Code)).Select(m => listed.TryGetValue(m.Code, out var l)
            ? new OfficialImportRow(l.Row, m.Code, []) { Designated = [.. l.Marks] }
            : new OfficialImportRow(0, m.Code, []) { Designated = none });
        return new OfficialDataset(OfficialImportRecord.DesignationListKind, sheet.Name, asOf, [.. rows], issues.ToImmutable(), hidden,
            prefectures.ToImmutable(), listed.Count)
        {
            RefusedPrefectures = [.. refusedPrefectures.Keys.Order(StringComparer.Ordinal)],
        };
    }

    /// <summary>A prefecture's own row: 区分 都道府県, or a code whose municipality part is 000.</summary>
    private static bool IsPrefectureRow(string kind, string code) => kind == "都道府県" || code.AsSpan(2, 3).SequenceEqual("000");

    /// <summary>A 団体コード cell as 6 digits: text (full-width too) or a number that lost its leading zero; null otherwise.</summary>
    public static string? Code(object? value)
    {
        var text = value is double d && d == Math.Floor(d) && d is >= 0 and < 1_000_000
            ? ((long)d).ToString(CultureInfo.InvariantCulture)
            : JapaneseNames.Normalize(MicProgressParser.Text(value));
        if (text.Length is < 5 or > 6 || !text.All(char.IsAsciiDigit))
        {
            return null;
        }

        return text.PadLeft(6, '0');
    }

    /// <summary>● → true, blank → false, anything else → null.</summary>
    public static bool? IsMarked(object? value)
    {
        var text = JapaneseNames.Normalize(MicProgressParser.Text(value));
        return text.Length == 0 ? false : text is Mark or "⚫" or "●" ? true : null;
    }

    private static (int Index, int Code, int Name, int Kind, int[] Businesses, int? Common) FindHeader(List<SheetRow> top)
    {
        var catalog = ReadinessCatalog.Instance;
        for (var i = 0; i < top.Count; i++)
        {
            int code = -1, name = -1, kind = -1;
            int? common = null;
            var businesses = new int[catalog.BusinessSystems.Count];
            Array.Fill(businesses, -1);
            var cells = top[i].Cells;
            for (var c = 0; c < cells.Count; c++)
            {
                var text = JapaneseNames.Normalize(MicProgressParser.Text(cells[c]));
                if (text.Length == 0)
                {
                    continue;
                }

                if (OfficialBusinessNames.Resolve(text) is { } id)
                {
                    var b = catalog.BusinessIndex[id];
                    businesses[b] = businesses[b] < 0 ? c : businesses[b];
                }
                else if (text.Contains("コード", StringComparison.Ordinal))
                {
                    code = c;
                }
                else if (text.Contains("区分", StringComparison.Ordinal))
                {
                    kind = c;
                }
                else if (text.Contains("自治体名", StringComparison.Ordinal) || text.Contains("団体名", StringComparison.Ordinal))
                {
                    name = c;
                }
                else if (text.Contains("共通機能", StringComparison.Ordinal))
                {
                    common = c;
                }
            }

            // The header: the row with the code column or half the businesses (a list whose 団体コード is misspelt is
            // refused naming it, not as having no header).
            if (code < 0 && businesses.Count(b => b >= 0) * 2 < businesses.Length)
            {
                continue;
            }

            var lacking = new List<string>();
            if (code < 0)
            {
                lacking.Add("団体コード");
            }

            if (name < 0)
            {
                lacking.Add("自治体名");
            }

            if (kind < 0)
            {
                lacking.Add("自治体区分");
            }

            lacking.AddRange(catalog.BusinessSystems.Where((_, b) => businesses[b] < 0).Select(x => x.SoumuLabel));
            if (lacking.Count > 0)
            {
                throw new ImportFormatException("header", "missing_header",
                    $"{top[i].RowNumber}行目の見出しに次の列がありません: {string.Join("、", lacking)}",
                    $"The header in row {top[i].RowNumber} lacks these columns: {string.Join(", ", lacking)}");
            }

            return (i, code, name, kind, businesses, common);
        }

        throw new ImportFormatException("header", "missing_header",
            "見出し行（団体コード・自治体名・自治体区分と20業務）が見つかりません。",
            "No header row (団体コード, 自治体名, 自治体区分 and the 20 businesses) was found.");
    }

    private static object? Cell(SheetRow row, int column) => column >= 0 && column < row.Cells.Count ? row.Cells[column] : null;
}
