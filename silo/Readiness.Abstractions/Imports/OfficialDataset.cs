using System.Collections.Immutable;
using Readiness.Catalog;

namespace Readiness.Imports;

/// <summary>
/// What one official file says after parsing and matching, whatever its kind: rows to apply (per municipality), rows
/// not applied with their reasons, hidden rows read, and (designation list) the prefectures' own rows.
/// </summary>
/// <param name="Kind">One of <see cref="OfficialImportRecord"/>'s kinds.</param>
/// <param name="AsOf">The day the data describes (a month's tally: its last day).</param>
/// <param name="ListedRows">Municipalities the file lists (the designation list also yields a row for each one not listed).</param>
public sealed record OfficialDataset(
    string Kind,
    string SheetName,
    DateOnly AsOf,
    ImmutableArray<OfficialImportRow> Rows,
    ImmutableArray<ImportRowIssue> Issues,
    int HiddenRows,
    ImmutableArray<OfficialPrefectureRow> PrefectureRows,
    int ListedRows)
{
    /// <summary>
    /// Designation list: prefectures (2-digit codes) whose first row was refused (a bad mark, a code and name that do not
    /// agree): their own systems are not imported at all, neither its marks nor "not listed", as a refused municipality's
    /// row (a refused 宮城県 row took its designation away: breaker, round 50).
    /// </summary>
    public ImmutableArray<string> RefusedPrefectures { get; init; } = [];

    /// <summary>Said about the whole file, nothing refused: the name says another month than the title (as_of_name_differs).</summary>
    public ImmutableArray<ImportRowIssue> Warnings { get; init; } = [];

    /// <summary>MIC's per-municipality tally as a dataset.</summary>
    public static OfficialDataset From(MicProgressImport p) => new(
        OfficialImportRecord.MicProgressKind, p.SheetName, p.AsOf,
        [.. p.Rows.Select(r => new OfficialImportRow(r.RowNumber, r.MunicipalityCode, r.StepCompletion))],
        p.Issues, p.HiddenRows, [], p.Rows.Length)
    {
        Warnings = p.Warnings,
    };
}

/// <summary>Recognising which official release a sheet is, from its header (never from the file name). Pure.</summary>
public static class OfficialKinds
{
    /// <summary>
    /// The kind of the sheet: designation list (団体コード + 自治体区分, or a header of the businesses with ● marks and
    /// no figures under it), step detail (40 step columns), MIC tally (an era-month sheet, or its header of the 20
    /// businesses); null when none.
    /// </summary>
    public static string? Detect(SheetData sheet)
    {
        var top = sheet.Rows.Take(MicProgressParser.HeaderSearchRows).ToList();
        for (var i = 0; i < top.Count; i++)
        {
            var texts = top[i].Cells.Select(c => JapaneseNames.Normalize(MicProgressParser.Text(c))).ToList();
            if (texts.Any(t => t.Contains("団体コード", StringComparison.Ordinal)) && texts.Any(t => t.Contains("区分", StringComparison.Ordinal)))
            {
                return OfficialImportRecord.DesignationListKind;
            }

            // The list by its marks: with 団体コード or 自治体区分 misspelt it was taken for the tally (the same 20
            // businesses) and refused as one; now it is parsed as the list and refused naming the column.
            if (MarksUnder(top, i, texts))
            {
                return OfficialImportRecord.DesignationListKind;
            }

            // Half the steps show the kind: a header with a step misspelt is parsed and refused naming the step.
            if (texts.Select(MicStepDetailParser.StepNumber).Where(n => n is not null).Distinct().Count() * 2 >= Rules.Baseline.PmoSteps)
            {
                return OfficialImportRecord.MicStepDetailKind;
            }
        }

        // The tally: a sheet named after its month, or its header of 20 businesses under a name without the month (a
        // CSV saved as progress2.csv), whose month the parser then takes from the title rows or refuses naming the file.
        // A header with a business misspelt still shows the tally, so that it is refused naming the column, whatever the name.
        return MicProgressParser.SheetMonth(sheet.Name) is not null || MicProgressParser.ShowsHeader([.. sheet.Rows.Take(MicProgressParser.HeaderSearchRows)])
            ? OfficialImportRecord.MicProgressKind : null;
    }

    /// <summary>
    /// Whether row <paramref name="header"/> names at least half the businesses and the rows under it (within
    /// <paramref name="top"/>) hold ● marks in those columns and no figures: the designation list, not the tally.
    /// </summary>
    private static bool MarksUnder(List<SheetRow> top, int header, List<string> texts)
    {
        var columns = new List<int>();
        for (var c = 0; c < texts.Count; c++)
        {
            if (texts[c].Length > 0 && OfficialBusinessNames.Resolve(texts[c]) is not null)
            {
                columns.Add(c);
            }
        }

        if (columns.Count * 2 < Businesses.Count)
        {
            return false;
        }

        var marks = 0;
        foreach (var row in top.Skip(header + 1))
        {
            foreach (var c in columns)
            {
                var cell = c < row.Cells.Count ? row.Cells[c] : null;
                switch (DesignationListParser.IsMarked(cell))
                {
                    case true:
                        marks++;
                        break;
                    case null when cell is not null:
                        return false; // a figure or other text: not a list of marks
                }
            }
        }

        return marks > 0;
    }

    /// <summary>
    /// Recognises and parses a sheet in one pass over its rows (which may stream from the reader): the first
    /// <see cref="MicProgressParser.HeaderSearchRows"/> rows are buffered to recognise the kind, then the parser reads
    /// on. Null when the sheet is no official table; <c>Dataset</c> null (nothing parsed) when it is one of another kind
    /// than <paramref name="kind"/>, asked for; throws <see cref="ImportFormatException"/> for a refusal of the whole file.
    /// </summary>
    public static (string Kind, OfficialDataset? Dataset)? DetectAndParse(SheetData sheet, string? kind = null)
    {
        using var rows = new SheetRows(sheet.Rows, MicProgressParser.HeaderSearchRows);
        var detected = Detect(new SheetData(sheet.Name, rows.Head));
        if (detected is null)
        {
            return null;
        }

        if (kind is not null && detected != kind)
        {
            return (detected, null);
        }

        return (detected, Parse(detected, new SheetData(sheet.Name, rows.After(-1))));
    }

    /// <summary>Parses a sheet of a known kind; throws <see cref="ImportFormatException"/> for a refusal of the whole file.</summary>
    public static OfficialDataset Parse(string kind, SheetData sheet) => kind switch
    {
        OfficialImportRecord.MicProgressKind => OfficialDataset.From(MicProgressParser.Parse(sheet)),
        OfficialImportRecord.MicStepDetailKind => MicStepDetailParser.Parse(sheet),
        OfficialImportRecord.DesignationListKind => DesignationListParser.Parse(sheet),
        _ => throw new ImportFormatException("kind", "invalid_kind", $"取込みの種類「{kind}」は扱えません。", $"'{kind}' is not an import kind."),
    };

    /// <summary>The catalog's business ids in catalog order.</summary>
    internal static IReadOnlyList<BusinessSystemInfo> Businesses => ReadinessCatalog.Instance.BusinessSystems;
}
