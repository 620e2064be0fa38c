using System.Collections.Immutable;

namespace Readiness.Grains;

/// <summary>
/// A prefecture's own systems for the prefecture-run businesses (key: the 2-digit prefecture code). The only writer
/// of that state: reports of the prefecture's staff and the designation list's prefecture rows go through it.
/// </summary>
[Alias("Readiness.IPrefectureRunGrain")]
public interface IPrefectureRunGrain : IGrainWithStringKey
{
    [Alias("Get")]
    Task<PrefectureRunRecord> GetAsync();

    [Alias("GetSummary")]
    Task<PrefectureRunSummary> GetSummaryAsync();

    [Alias("GetRecentChanges")]
    Task<ImmutableArray<ChangeEntry>> GetRecentChangesAsync();

    /// <summary>Validates, checks the version and idempotency, audits and stores a report, as the municipality grain does.</summary>
    [Alias("Apply")]
    Task<PrefectureRunOutcome> ApplyAsync(ChangeRequest request);

    /// <summary>This prefecture's row of an applied designation list (empty: no row), audited as the import.</summary>
    [Alias("ApplyListing")]
    Task<OfficialOutcome> ApplyListingAsync(PrefectureRunListing listing);
}
