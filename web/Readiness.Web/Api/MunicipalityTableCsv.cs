using Readiness.Web.Components;
using Readiness.Web.Summaries;

namespace Readiness.Web.Api;

/// <summary>
/// The prefecture table (one row per municipality) as CSV: the same columns, names and rows for the dashboard's
/// download (/prefectures/{code}/municipalities.csv) and the API's (/api/v1/prefectures/{code}/municipalities.csv).
/// Names follow the API's JSON (snake_case) and the detailed export's (code, prefecture_code, prefecture, municipality,
/// version, origin), so one concept has one name in every file.
/// </summary>
public static class MunicipalityTableCsv
{
    public static readonly string[] Header =
        ["code", "prefecture_code", "prefecture", "municipality", "kana", "kind", "population", "progress", "migrated_systems", "applicable_systems",
         "designated_systems", "designation_incomplete", "overdue_systems", "regression_systems", "complete", "stale", "security_score",
         "security_items_assessed", "last_reported_at_utc", "version", "origin", "as_of"];

    public static string FileName(PrefectureSnapshot prefecture) => $"municipalities-{prefecture.Code}-{prefecture.View.Prefecture.AsOf}.csv";

    /// <summary>The rows of <paramref name="prefecture"/> that <paramref name="query"/> selects, in its order.</summary>
    public static async Task WriteAsync(CsvOutput csv, PrefectureSnapshot prefecture, MunicipalityQuery query)
    {
        await csv.Row(Header);
        var p = prefecture.View.Prefecture;
        foreach (var m in query.Apply(prefecture.Rows))
        {
            await csv.Row(m.Code, p.Code, p.Name, m.Name, m.Kana, m.Kind, m.Population, m.Progress, m.Migrated, m.Applicable,
                m.Designated, m.DesignationIncomplete, m.Overdue, m.Regression, m.Complete, m.Stale, m.Security,
                m.SecurityAssessed, m.LastReportedAt, m.Version, m.Origin, p.AsOf);
        }
    }
}
