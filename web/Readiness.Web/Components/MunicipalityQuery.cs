using Readiness.Rules;
using Readiness.Web.Summaries;

namespace Readiness.Web.Components;

/// <summary>
/// The prefecture table's search, filters and sort, from the query string: the page applies them on the server (so
/// they work without scripts, and the CSV download gives exactly the rows shown); the script asks the server which rows
/// match a search (/prefectures/{code}/search), so Japanese search has one set of rules (<see cref="PlaceNameSearch"/>).
/// </summary>
public sealed record MunicipalityQuery(string? Search, string? Kind, string? Flag, string Sort, bool Descending)
{

    public static readonly string[] Flags = ["complete", "incomplete", "designated", "overdue", "stale", "regression", "synthetic"];

    public static readonly string[] Kinds = ["designated_city", "city", "town", "village", "special_ward"];

    public static readonly string[] Columns = ["code", "name", "kind", "population", "progress", "migrated", "designated", "overdue", "regression", "stale", "security", "reported"];

    public static readonly string[] Directions = ["asc", "desc"];

    /// <summary>
    /// For the API's downloads of the table: the first of kind, flag, sort and dir whose value is outside its set, with the
    /// allowed values; null when each is absent, empty or allowed (a file that looks filtered but is not must not be).
    /// The page refuses the same values (400 and a notice naming the parameter), showing the table without them.
    /// </summary>
    public static (string Name, string Value, string[] Allowed)? Refused(string? kind, string? flag, string? sort, string? dir) =>
        Outside("kind", kind, Kinds) ?? Outside("flag", flag, Flags) ?? Outside("sort", sort, Columns) ?? Outside("dir", dir, Directions);

    private static (string, string, string[])? Outside(string name, string? value, string[] allowed) =>
        string.IsNullOrEmpty(value) || allowed.Contains(value, StringComparer.Ordinal) ? null : (name, value, allowed);

    public static MunicipalityQuery From(string? q, string? kind, string? flag, string? sort, string? dir) => new(
        string.IsNullOrWhiteSpace(q) ? null : q.Trim(),
        Kinds.Contains(kind) ? kind : null,
        Flags.Contains(flag) ? flag : null,
        Columns.Contains(sort) ? sort! : "code",
        dir == "desc");

    public IEnumerable<MunicipalityFigures> Apply(IEnumerable<MunicipalityFigures> rows)
    {
        var filtered = rows.Where(Matches);
        return Descending ? filtered.OrderByDescending(SortKey, Comparer<object?>.Create(Compare)) : filtered.OrderBy(SortKey, Comparer<object?>.Create(Compare));
    }

    public bool Matches(MunicipalityFigures m)
    {
        if (Kind is not null && m.Kind != Kind)
        {
            return false;
        }

        if (Search is not null && !PlaceNameSearch.Matches(PlaceNameSearch.Key(Search), m.Name, m.Kana, m.Code))
        {
            return false;
        }

        return Flag switch
        {
            "complete" => m.Complete,
            "incomplete" => !m.Complete,
            "designated" => m.Designated > 0,
            "overdue" => m.Overdue > 0,
            "stale" => m.Stale,
            "regression" => m.Regression > 0,
            "synthetic" => m.Origin == "synthetic",
            _ => true,
        };
    }

    public string ToQueryString(string? sort = null, bool? descending = null)
    {
        var parts = new List<string>();
        if (Search is not null)
        {
            parts.Add("q=" + Uri.EscapeDataString(Search));
        }

        if (Kind is not null)
        {
            parts.Add("kind=" + Kind);
        }

        if (Flag is not null)
        {
            parts.Add("flag=" + Flag);
        }

        var s = sort ?? Sort;
        if (s != "code")
        {
            parts.Add("sort=" + s);
        }

        if (descending ?? Descending)
        {
            parts.Add("dir=desc");
        }

        return parts.Count == 0 ? string.Empty : "?" + string.Join('&', parts);
    }

    /// <summary>The search key of a name, reading or query: <see cref="PlaceNameSearch.Key"/>, the one normaliser.</summary>
    public static string Normalize(string text) => PlaceNameSearch.Key(text);

    private object? SortKey(MunicipalityFigures m) => Sort switch
    {
        "name" => m.Kana,
        "kind" => Array.IndexOf(Kinds, m.Kind),
        "population" => m.Population,
        "progress" => m.Progress,
        "migrated" => m.Applicable == 0 ? null : m.Migrated / (double)m.Applicable,
        "designated" => m.Designated,
        "overdue" => m.Overdue,
        "regression" => m.Regression,
        "stale" => m.Stale,
        "security" => m.Security,
        "reported" => m.LastReportedAt,
        _ => m.Code,
    };

    private static int Compare(object? a, object? b) => (a, b) switch
    {
        (null, null) => 0,
        (null, _) => -1,
        (_, null) => 1,
        (string x, string y) => string.CompareOrdinal(x, y),
        (IComparable x, _) => x.CompareTo(b),
        _ => 0,
    };
}
