using System.Collections.Immutable;
using Orleans.Concurrency;

namespace Readiness.Grains;

/// <summary>One municipality (key: its 6-digit code). The only writer of its state.</summary>
[Alias("Readiness.IMunicipalityGrain")]
public interface IMunicipalityGrain : IGrainWithStringKey
{
    [ReadOnly, Alias("Get")]
    Task<MunicipalityRecord> GetAsync();

    [ReadOnly, Alias("GetSummary")]
    Task<MunicipalitySummary> GetSummaryAsync();

    /// <summary>Validates, applies, writes durably and only then returns Accepted.</summary>
    [Alias("Apply")]
    Task<ChangeOutcome> ApplyAsync(ChangeRequest request);

    /// <summary>
    /// Updates the official layer from an official dataset (OfficialRules): audited as the import, never over a newer
    /// self-report, a no-op for the same figures again or an older dataset.
    /// </summary>
    [Alias("ApplyOfficial")]
    Task<OfficialOutcome> ApplyOfficialAsync(OfficialUpdate update);

    /// <summary>The most recent accepted changes, newest first.</summary>
    [ReadOnly, Alias("GetRecentChanges")]
    Task<ImmutableArray<ChangeEntry>> GetRecentChangesAsync();
}

/// <summary>One prefecture (key: 2-digit code): the newest summary of each of its municipalities.</summary>
[Alias("Readiness.IPrefectureGrain")]
public interface IPrefectureGrain : IGrainWithStringKey
{
    /// <summary>A municipality's new summary; an older or repeated one is ignored.</summary>
    [OneWay, Alias("Report")]
    Task ReportAsync(MunicipalitySummary incoming);

    [ReadOnly, Alias("Get")]
    Task<PrefectureDetail> GetAsync();

    [ReadOnly, Alias("GetSummary")]
    Task<PrefectureSummary> GetSummaryAsync();

    /// <summary>Reads every municipality's summary again (from its stored state, or from the municipality itself when none is stored or it cannot be read), so a lost push heals.</summary>
    [Alias("Reconcile")]
    Task ReconcileAsync();

    /// <summary>The prefecture's own prefecture-run systems' new summary (kept apart); an older or repeated one is ignored.</summary>
    [OneWay, Alias("ReportPrefectureRun")]
    Task ReportPrefectureRunAsync(PrefectureRunSummary incoming);
}

/// <summary>The nation (key: <see cref="NationKey"/>): the newest summary of each prefecture.</summary>
[Alias("Readiness.INationGrain")]
public interface INationGrain : IGrainWithStringKey
{
    public const string NationKey = "JP";

    [OneWay, Alias("Report")]
    Task ReportAsync(PrefectureSummary incoming);

    [ReadOnly, Alias("Get")]
    Task<NationSummary> GetAsync();

    /// <summary>Pulls every prefecture's summary again; with <paramref name="deep"/> each prefecture reconciles first.</summary>
    [Alias("Reconcile")]
    Task ReconcileAsync(bool deep);
}

/// <summary>One uploaded official file (key: its SHA-256, lower-case hex): the parsed dataset, its preview and whether it was applied.</summary>
[Alias("Readiness.IOfficialImportGrain")]
public interface IOfficialImportGrain : IGrainWithStringKey
{
    [ReadOnly, Alias("Get")]
    Task<Imports.OfficialImportRecord?> GetAsync();

    /// <summary>Stores the parsed upload unless this file is already known; returns what is stored.</summary>
    [Alias("Store")]
    Task<Imports.OfficialImportRecord> StoreAsync(Imports.OfficialImportRecord record);

    /// <summary>Marks the dataset applied (once; a second call keeps the first result).</summary>
    [Alias("MarkApplied")]
    Task<Imports.OfficialImportRecord> MarkAppliedAsync(Imports.OfficialImportResult result);

    /// <summary>
    /// Records that the applied dataset <paramref name="byId"/> of the same kind and as-of day replaced this applied one in
    /// <paramref name="municipalitiesTakenOver"/> of the municipalities it sourced (<see cref="Imports.OfficialImportResult.ReplacedBy"/>);
    /// nothing when this one is not applied. Returns what is stored.
    /// </summary>
    [Alias("MarkReplaced")]
    Task<Imports.OfficialImportRecord?> MarkReplacedAsync(string byId, int municipalitiesTakenOver);
}
