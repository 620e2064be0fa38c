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
         "security_items_assessed", "last_reported_at_utc", "version", "origin", "as_of", CsvOutput.JstColumn("last_reported_at_utc")];

    // The detailed export of the same prefecture is municipalities-{code}-{day}.csv: a different name, so that one
    // download never replaces the other, and the same day style (yyyyMMdd) as every dated download.
    public static string FileName(PrefectureSnapshot prefecture) => $"prefecture-{prefecture.Code}-municipalities-{prefecture.AsOf:yyyyMMdd}.csv";

    /// <summary>The <c>origin</c> of a row for a municipality missing from the prefecture's figures (see <see cref="Rows"/>).</summary>
    public const string MissingOrigin = "missing";

    /// <summary>
    /// The rows of <paramref name="prefecture"/> that <paramref name="query"/> selects, in its order; then, unless the
    /// query filters (?q= ?kind= ?flag=, which cannot be judged without the state), one row per municipality missing from
    /// the figures (its stored state cannot be read, or it has not reached the aggregation: the JSON's <c>missing</c>)
    /// with code, prefecture and name, <c>origin</c> = <see cref="MissingOrigin"/> and the day, every other column empty,
    /// as the detailed export marks an unreadable one: a download never silently lacks a municipality.
    /// </summary>
    public static IEnumerable<object?[]> Rows(PrefectureSnapshot prefecture, MunicipalityQuery query)
    {
        var p = prefecture.View.Prefecture;
        foreach (var m in query.Apply(prefecture.Rows))
        {
            yield return [m.Code, p.Code, p.Name, m.Name, m.Kana, m.Kind, m.Population, m.Progress, m.Migrated, m.Applicable,
                m.Designated, m.DesignationIncomplete, m.Overdue, m.Regression, m.Complete, m.Stale, m.Security,
                m.SecurityAssessed, m.LastReportedAt, m.Version, m.Origin, Views.DayOf(p.AsOf), CsvOutput.InstantJst(m.LastReportedAt)];
        }

        if (query.Search is not null || query.Kind is not null || query.Flag is not null)
        {
            yield break;
        }

        foreach (var m in prefecture.View.Missing.Municipalities)
        {
            var row = new object?[Header.Length];
            row[0] = m.Code;
            row[1] = m.PrefectureCode;
            row[2] = m.Prefecture;
            row[3] = m.Name;
            row[Array.IndexOf(Header, "origin")] = MissingOrigin;
            row[Array.IndexOf(Header, "as_of")] = Views.DayOf(p.AsOf);
            yield return row;
        }
    }

    /// <summary>The header and <see cref="Rows"/>.</summary>
    public static async Task WriteAsync(CsvOutput csv, PrefectureSnapshot prefecture, MunicipalityQuery query)
    {
        await csv.Row(Header);
        foreach (var row in Rows(prefecture, query))
        {
            await csv.Row(row);
        }
    }
}
