using System.Globalization;
using System.Text.Json;

namespace Readiness.Web.Components.Map;

/// <summary>
/// A figure the maps can be coloured by: five classes split at four thresholds (a value at or above a threshold is in
/// the next class), drawn with five steps of one design-token hue. Progress is split where municipalities differ
/// (most are past the survey phases, so equal fifths would paint nearly all of Japan one colour). The server colours tiles with these classes and the
/// script colours map shapes with the same definitions, sent as JSON.
/// </summary>
public sealed record MapMetric(string Id, string LabelJa, string LabelEn, double[] Thresholds, string[] LegendJa, string[] LegendEn, string[] UnitLegendJa, string[] UnitLegendEn)
{
    public int? ClassOf(double? value)
    {
        if (value is not { } v)
        {
            return null;
        }

        var c = 0;
        foreach (var t in Thresholds)
        {
            if (v >= t)
            {
                c++;
            }
        }

        return c;
    }

    /// <summary>The CSS class of a value: "m-progress-3", or "m-none" when nothing was reported.</summary>
    public string CssClass(double? value) => ClassOf(value) is { } c ? $"m-{Id}-{c}" : "m-none";
}

public static class MapMetrics
{
    public static readonly MapMetric Progress = new(
        "progress", "移行進捗", "Migration progress", [0.6, 0.7, 0.8, 0.9],
        ["60%未満", "60–70%", "70–80%", "80–90%", "90%以上"], ["< 60%", "60–70%", "70–80%", "80–90%", "≥ 90%"],
        ["60%未満", "60–70%", "70–80%", "80–90%", "90%以上"], ["< 60%", "60–70%", "70–80%", "80–90%", "≥ 90%"]);

    public static readonly MapMetric Designated = new(
        "designated", "特定移行支援システムの割合", "Share designated", [1e-9, 0.1, 0.25, 0.5],
        ["0%", "10%未満", "10–25%", "25–50%", "50%以上"], ["0%", "< 10%", "10–25%", "25–50%", "≥ 50%"],
        ["0%", "10%未満", "10–25%", "25–50%", "50%以上"], ["0%", "< 10%", "10–25%", "25–50%", "≥ 50%"]);

    public static readonly MapMetric Security = new(
        "security", "セキュリティスコア", "Security score", [0.2, 0.4, 0.6, 0.8],
        ["20%未満", "20–40%", "40–60%", "60–80%", "80%以上"], ["< 20%", "20–40%", "40–60%", "60–80%", "≥ 80%"],
        ["20%未満", "20–40%", "40–60%", "60–80%", "80%以上"], ["< 20%", "20–40%", "40–60%", "60–80%", "≥ 80%"]);

    /// <summary>For a municipality stale is yes or no (classes 0 and 4); for a prefecture it is the share of stale municipalities.</summary>
    public static readonly MapMetric Stale = new(
        "stale", "報告停滞（30日以上）", "Stale (no report for 30 days)", [0.2, 0.4, 0.6, 0.8],
        ["20%未満", "20–40%", "40–60%", "60–80%", "80%以上"], ["< 20%", "20–40%", "40–60%", "60–80%", "≥ 80%"],
        ["30日以内に報告あり", string.Empty, string.Empty, string.Empty, "30日以上報告なし"], ["Reported within 30 days", string.Empty, string.Empty, string.Empty, "No report for 30 days"]);

    public static readonly IReadOnlyList<MapMetric> All = [Progress, Designated, Security, Stale];

    public static MapMetric Find(string? id) => All.FirstOrDefault(m => m.Id == id) ?? Progress;

    /// <summary>The values of a page's <c>?metric=</c>.</summary>
    public static readonly string[] Ids = [.. All.Select(m => m.Id)];

    /// <summary>The definitions for the page script: [{id, t: thresholds}].</summary>
    public static string Json { get; } = JsonSerializer.Serialize(All.Select(m => new { id = m.Id, t = m.Thresholds }));

    public static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);
}
