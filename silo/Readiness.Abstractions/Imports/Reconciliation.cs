using System.Collections.Immutable;
using Readiness.Catalog;
using Readiness.Rules;

namespace Readiness.Imports;

/// <summary>How a municipality's own report and the latest official data disagree about one system (wire names in snake_case).</summary>
public enum DifferenceKind
{
    /// <summary>Reported in production (or later) while the official steps are far from done (below <see cref="Reconciliation.FarFromDoneBelow"/>).</summary>
    ReportedInProductionStepsLow,

    /// <summary>Official steps complete (from <see cref="Baseline.MigratedFrom"/>, the line that counts a system as migrated) while reported in testing or earlier.</summary>
    OfficialCompleteReportedEarlier,

    /// <summary>Reported as 特定移行支援システム, but not on the official designation list.</summary>
    DesignatedOnlySelfReported,

    /// <summary>On the official designation list, but not reported as 特定移行支援システム.</summary>
    DesignatedOnlyOfficial,
}

/// <summary>
/// One difference: a municipality's system, the kind, both sides (the reported phase and designation; the official
/// step completion 0..1 and designation) and where the official figure comes from (source and as-of day).
/// </summary>
public sealed record ReconciliationDifference(
    string MunicipalityCode,
    string PrefectureCode,
    string BusinessId,
    DifferenceKind Kind,
    MigrationPhase ReportedPhase,
    bool ReportedDesignated,
    decimal? OfficialStepCompletion,
    bool OfficialDesignated,
    string OfficialSource,
    DateOnly OfficialAsOf,
    DateTimeOffset? ReportedAt);

/// <summary>The official designation list a reconciliation compares with: per municipality code, the business ids marked.</summary>
public sealed record OfficialDesignations(string Source, DateOnly AsOf, IReadOnlyDictionary<string, IReadOnlySet<string>> ByMunicipality)
{
    /// <summary>The public baseline's list (Digital Agency, December 2025) from the catalog.</summary>
    public static OfficialDesignations Baseline { get; } = new(
        $"{ReadinessCatalog.DesignationSource.Publisher}: {ReadinessCatalog.DesignationSource.Title}",
        new DateOnly(2025, 12, 31),
        ReadinessCatalog.Instance.BaselineDesignations.ToDictionary(kv => kv.Key, kv => (IReadOnlySet<string>)kv.Value, StringComparer.Ordinal));

    /// <summary>
    /// The list of an imported designation-list dataset: per municipality row, the businesses marked ● (the row's
    /// <see cref="OfficialImportRow.Designated"/>, catalog order); a municipality without a row has none.
    /// </summary>
    public static OfficialDesignations From(OfficialImportRecord record)
    {
        var businesses = ReadinessCatalog.Instance.BusinessSystems;
        var byMunicipality = record.Rows
            .Where(r => !r.Designated.IsDefaultOrEmpty)
            .GroupBy(r => r.MunicipalityCode, StringComparer.Ordinal)
            .ToDictionary(
                g => g.Key,
                g => (IReadOnlySet<string>)g.SelectMany(r => r.Designated.Select((marked, i) => (marked, i)))
                    .Where(x => x.marked && x.i < businesses.Count).Select(x => businesses[x.i].Id).ToHashSet(StringComparer.Ordinal),
                StringComparer.Ordinal);
        return new OfficialDesignations(record.Source, record.AsOf, byMunicipality) { DatasetId = record.Id };
    }

    /// <summary>The imported designation-list dataset this list came from (its SHA-256); null for the public baseline.</summary>
    public string? DatasetId { get; init; }

    /// <summary>
    /// Whether the list says anything of the municipality: the baseline's of every one; an imported list of those it
    /// took (a municipality whose row was refused keeps its earlier designations, so this list is no measure of them).
    /// </summary>
    public bool Covers(string municipalityCode) => DatasetId is null || ByMunicipality.ContainsKey(municipalityCode);

    public bool IsDesignated(string municipalityCode, string businessId) =>
        ByMunicipality.TryGetValue(municipalityCode, out var set) && set.Contains(businessId);
}

/// <summary>
/// Reconciliation (issue 11, item 3): where a municipality's self-reported state and the latest official data disagree,
/// per system. Pure. The thresholds:
/// - reported in_production or later while the official step completion is below <see cref="FarFromDoneBelow"/>
///   (30 of 40 PMO steps, i.e. 11 or more steps left: more than a reporting lag, which is a step or two a month);
/// - official step completion at or above <see cref="Baseline.MigratedFrom"/> (39 of 40, where the documented
///   step-to-phase rule counts a system as migrated) while reported testing or earlier;
/// - designated in the report and not on the official designation list, or the other way round.
/// Only systems the municipality reported itself are compared (the others show the official data by the documented
/// rule, so they cannot disagree with it). A system the municipality reports as not applicable is not compared on steps (MIC's rate of 1 also covers 対象外);
/// a system without an official figure is not compared on steps either. Designations are compared for every system.
/// </summary>
public static class Reconciliation
{
    /// <summary>Below this official step completion (30 of 40 steps) a system reported in production is "far from done".</summary>
    public const decimal FarFromDoneBelow = 30m / Baseline.PmoSteps;

    /// <summary>Every difference of one municipality, in catalog order of its systems and then in the order of <see cref="DifferenceKind"/>.</summary>
    public static ImmutableArray<ReconciliationDifference> Compare(MunicipalityRecord record, OfficialDesignations designations)
    {
        var catalog = ReadinessCatalog.Instance;
        if (!catalog.MunicipalitiesByCode.TryGetValue(record.Code, out var municipality))
        {
            return [];
        }

        var source = record.Official?.Source ?? $"{ReadinessCatalog.PmoSource.Publisher}: {ReadinessCatalog.PmoSource.Title}";
        var asOf = record.Official?.AsOf ?? new DateOnly(2026, 1, 31);
        var differences = ImmutableArray.CreateBuilder<ReconciliationDifference>();
        foreach (var s in record.Systems)
        {
            // Only what the municipality reported itself is a self-report; the rest already shows the official data.
            if (s.ReportedAt is null)
            {
                continue;
            }

            var officialDesignated = designations.IsDesignated(record.Code, s.BusinessId);
            void Add(DifferenceKind kind) => differences.Add(new(record.Code, municipality.PrefectureCode, s.BusinessId, kind, s.Phase, s.Designated,
                s.BaselineStepCompletion, officialDesignated, kind is DifferenceKind.DesignatedOnlyOfficial or DifferenceKind.DesignatedOnlySelfReported ? designations.Source : source,
                kind is DifferenceKind.DesignatedOnlyOfficial or DifferenceKind.DesignatedOnlySelfReported ? designations.AsOf : asOf, s.ReportedAt));

            if (!s.NotApplicable && s.BaselineStepCompletion is { } steps)
            {
                if (s.Phase >= MigrationPhase.InProduction && steps < FarFromDoneBelow)
                {
                    Add(DifferenceKind.ReportedInProductionStepsLow);
                }

                // A designated system stops at testing by the same rule (Baseline.PhaseFromSteps): not a difference.
                if (s.Phase <= MigrationPhase.Testing && steps >= Baseline.MigratedFrom && !s.Designated && !officialDesignated)
                {
                    Add(DifferenceKind.OfficialCompleteReportedEarlier);
                }
            }

            if (!designations.Covers(record.Code))
            {
                continue;
            }

            if (s.Designated && !officialDesignated)
            {
                Add(DifferenceKind.DesignatedOnlySelfReported);
            }
            else if (!s.Designated && officialDesignated)
            {
                Add(DifferenceKind.DesignatedOnlyOfficial);
            }
        }

        return differences.ToImmutable();
    }

    /// <summary>The filters of the list: prefecture code, kind, business id (null: any). Pure.</summary>
    public static bool Matches(ReconciliationDifference d, string? prefectureCode, DifferenceKind? kind, string? businessId) =>
        (prefectureCode is null || d.PrefectureCode == prefectureCode)
        && (kind is null || d.Kind == kind)
        && (businessId is null || d.BusinessId == businessId);

    /// <summary>The kind's label, Japanese first (the list, the CSV's kind_ja column and the notification say the same).</summary>
    public static (string Ja, string En) Label(DifferenceKind kind) => kind switch
    {
        DifferenceKind.ReportedInProductionStepsLow => ("本番稼働と報告、公式の手順は未了", "Reported in production, official steps far from done"),
        DifferenceKind.OfficialCompleteReportedEarlier => ("公式は完了、報告はテスト以前", "Official steps complete, reported testing or earlier"),
        DifferenceKind.DesignatedOnlySelfReported => ("特定移行支援システム：報告のみ", "Designated in the report only"),
        DifferenceKind.DesignatedOnlyOfficial => ("特定移行支援システム：公式一覧のみ", "Designated in the official list only"),
        _ => (kind.ToString(), kind.ToString()),
    };
}
