using System.Collections.Frozen;
using Readiness.Catalog;

namespace Readiness.Imports;

/// <summary>
/// Business names as the official sources write them, mapped to the catalog's ids by name (never by column position):
/// the catalog's name (政令), MIC's progress label, and the synonyms met across MIC's and the Digital Agency's tables.
/// Pure.
/// </summary>
public static class OfficialBusinessNames
{
    // Synonym → catalog id. Names are compared after JapaneseNames.Normalize, so width and spaces do not matter.
    private static readonly (string Name, string Id)[] Synonyms =
    [
        ("住民記録", "resident_registry"),
        ("住民基本台帳", "resident_registry"),
        ("住民記録システム", "resident_registry"),
        ("戸籍附票", "koseki_fuhyo"),
        ("戸籍の附票", "koseki_fuhyo"),
        ("戸籍附票システム", "koseki_fuhyo"),
        ("子ども子育て支援", "child_care_support"),
        ("子ども・子育て支援", "child_care_support"),
        ("選挙人名簿", "electoral_roll"),
        ("選挙人名簿管理", "electoral_roll"),
        ("個人住民税", "individual_resident_tax"),
        ("住民税(個人)", "individual_resident_tax"),
        ("法人住民税", "corporate_resident_tax"),
        ("住民税(法人)", "corporate_resident_tax"),
        ("国保", "national_health_insurance"),
        ("国民健康保険", "national_health_insurance"),
        ("後期高齢", "late_elderly_medical"),
        ("後期高齢者医療", "late_elderly_medical"),
        ("障害者福祉", "disability_welfare"),
        ("障がい者福祉", "disability_welfare"),
    ];

    private static readonly FrozenDictionary<string, string> Names = Build();

    private static FrozenDictionary<string, string> Build()
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var b in ReadinessCatalog.Instance.BusinessSystems)
        {
            names[JapaneseNames.Normalize(b.NameJa)] = b.Id;
            names[JapaneseNames.Normalize(b.SoumuLabel)] = b.Id;
        }

        foreach (var (name, id) in Synonyms)
        {
            names[JapaneseNames.Normalize(name)] = id;
        }

        return names.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The catalog id of a business written so in an official table, or null when it is not one of the 20.</summary>
    public static string? Resolve(string? header)
    {
        var n = JapaneseNames.Normalize(header);
        if (n.Length == 0)
        {
            return null;
        }

        // A header may carry a line break or a note: 「住民記録\n(進捗率)」.
        if (Names.TryGetValue(n, out var id))
        {
            return id;
        }

        var cut = n.IndexOfAny(['(', '（', '※']);
        return cut > 0 && Names.TryGetValue(n[..cut], out id) ? id : null;
    }
}
