using System.Collections.Immutable;

namespace Readiness.Grains;

/// <summary>Where a page of the audit trail ends: the next page starts after this entry.</summary>
[GenerateSerializer, Immutable, Alias("Readiness.AuditCursor")]
public sealed record AuditCursor(
    [property: Id(0)] long Version,
    [property: Id(1)] string Target);

/// <summary>One page of a municipality's audit trail, newest first.</summary>
[GenerateSerializer, Immutable, Alias("Readiness.AuditPage")]
public sealed record AuditPage(
    [property: Id(0)] ImmutableArray<ChangeEntry> Entries,
    [property: Id(1)] AuditCursor? Next,
    [property: Id(2)] long Total);

/// <summary>
/// One page of the changes across many municipalities (a prefecture's or the nation's), newest recorded first.
/// <paramref name="Next"/> is the position (the trail's order of recording) the next page starts below; null on the last page.
/// </summary>
public sealed record AreaChangesPage(ImmutableArray<ChangeEntry> Entries, long? Next)
{
    /// <summary>
    /// Per entry (same order), how many audit rows it stands for: 0 for an entry shown as itself, else (a confirmation
    /// read <see cref="AreaConfirmations.Grouped"/> or <see cref="AreaConfirmations.Only"/>) the number of targets its
    /// report confirmed (67 for a full report). Empty when every entry stands for itself.
    /// </summary>
    public ImmutableArray<int> Grouped { get; init; } = [];

    /// <summary>The rows entry <paramref name="index"/> stands for as a grouped confirmation; null when it is shown as itself.</summary>
    public int? GroupedCount(int index) => Grouped.IsDefaultOrEmpty || Grouped[index] == 0 ? null : Grouped[index];
}

/// <summary>
/// How the changes across an area show confirmations (a report that changed nothing: one row per target it names, before
/// = after). A full report that confirms writes 67 rows, which would push every real change off a page of the feed.
/// </summary>
public enum AreaConfirmations
{
    /// <summary>Each confirming report (one municipality, one version) as one entry, with the count of its rows; the default.</summary>
    Grouped,

    /// <summary>Every row as recorded, confirmations one per target (the whole trail, as a municipality's history shows it).</summary>
    Each,

    /// <summary>No confirmation at all: real changes only.</summary>
    Exclude,

    /// <summary>Confirmations only, each confirming report as one entry.</summary>
    Only,
}

/// <summary>
/// The durable, append-only audit trail. The municipality grain records a change's entries BEFORE it writes its
/// state, so every acknowledged change is audited. Entries above a municipality's stored version belong to a write
/// that never completed (a crash between the two writes): readers pass the current version and never see them, and
/// the next accepted change, which gets the same version, replaces them.
/// </summary>
public interface IAuditLog
{
    /// <summary>Records the entries of one new version, replacing any left at this or a later version by an incomplete write.</summary>
    Task RecordAsync(string municipalityCode, long version, ImmutableArray<ChangeEntry> entries, CancellationToken cancellationToken = default);

    /// <summary>Entries with version &lt;= <paramref name="upToVersion"/>, newest first (version descending, then target), after <paramref name="after"/>.</summary>
    Task<AuditPage> ReadAsync(string municipalityCode, long upToVersion, AuditCursor? after, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// The newest changes across the municipalities of prefecture <paramref name="prefectureCode"/> (2 digits: every
    /// municipality code starting with them, the prefecture's own systems, kept under its 6-digit 団体コード, included)
    /// or, when null, across the nation, newest recorded first, below position <paramref name="before"/>
    /// (a previous page's <see cref="AreaChangesPage.Next"/>), at most <paramref name="limit"/> (≥ 1). One indexed
    /// query per page. Every row returned is committed, and a committed row is history: the rows of a change are
    /// written in the transaction that stores the state, only when that write applies (<see cref="IAuditedGrainState"/>).
    /// <paramref name="confirmations"/> chooses how confirmations are shown; <paramref name="limit"/> counts entries as
    /// shown (a grouped confirmation is one), and the position paging holds as it is (a group is one row of the trail,
    /// its first target's, so it can neither be cut between pages nor shown twice).
    /// </summary>
    Task<AreaChangesPage> ReadAreaAsync(string? prefectureCode, long? before, int limit, AreaConfirmations confirmations = AreaConfirmations.Each, CancellationToken cancellationToken = default);

    /// <summary>
    /// The rows of an area's trail that the view <paramref name="confirmations"/> draws on (those <see cref="ReadAreaAsync"/>
    /// reads in that view: every row for grouped and each, the rows that are not confirmations for exclude, the
    /// confirmations alone for only) in three numbers, "count:newest position:sum of positions". A row is never
    /// updated, so this changes whenever a row the view shows joins or leaves the area (one committed late with an older
    /// position included), and not when a row it leaves out does, without reading the rows: one aggregate over the
    /// prefecture's index or the table's positions. For the area CSV's ETag.
    /// </summary>
    Task<string> ReadAreaFingerprintAsync(string? prefectureCode, AreaConfirmations confirmations = AreaConfirmations.Each, CancellationToken cancellationToken = default);

    /// <summary>
    /// What a grain remembers when it activates, in one round trip: the requests applied to a municipality (or a
    /// prefecture's own systems) up to <paramref name="upToVersion"/>, newest first, at most <paramref name="requests"/>
    /// (for safe retries), and its newest audit entries up to that version, at most <paramref name="changes"/>, in the
    /// order of <see cref="ReadAsync"/>.
    /// </summary>
    Task<RecentHistory> ReadRecentAsync(string code, long upToVersion, int requests, int changes, CancellationToken cancellationToken = default);

    /// <summary>The entries one request produced (empty when it produced none up to that version).</summary>
    Task<ImmutableArray<ChangeEntry>> FindRequestAsync(string municipalityCode, string requestId, long upToVersion, CancellationToken cancellationToken = default);
}

/// <summary>A municipality's (or prefecture's) recent past: applied requests and audit entries, each newest first.</summary>
public sealed record RecentHistory(ImmutableArray<AppliedRequest> Requests, ImmutableArray<ChangeEntry> Changes);

/// <summary>
/// What a grain state's next write records besides the state: its change's audit entries (readiness_audit) and the
/// requests it applies (readiness_applied_request, remembered for safe retries). All entries belong to
/// <paramref name="Code"/> and one version.
/// </summary>
/// <param name="Code">The municipality code (or the prefecture code of a prefecture's own systems).</param>
/// <param name="Entries">The change's audit entries; may be empty.</param>
/// <param name="Requests">The requests the write applies, usually one; may be empty.</param>
public sealed record PendingAudit(string Code, ImmutableArray<ChangeEntry> Entries, ImmutableArray<AppliedRequest> Requests);

/// <summary>
/// A grain state whose write also records its change. The grain-state storage writes <see cref="Audit"/> in the same
/// transaction as the state, and only when the state write itself applies: one durable commit per change (not one for
/// the audit trail and one for the state), and a change is in the trail exactly when it is stored. The audit is not part
/// of the stored state: the grain sets it before <c>WriteStateAsync</c> and clears it after. This keeps the state that
/// is rewritten on every change to the record itself; request ids and recent changes live in their own tables.
/// </summary>
public interface IAuditedGrainState
{
    /// <summary>What the next write records with the state; null for none.</summary>
    PendingAudit? Audit { get; }

    /// <summary>
    /// Whether the state holds its record. Once stored, an audited state always does: a stored row without one is
    /// damaged, and a new record written over it would start again at version 1, over versions its audit trail already
    /// holds (the storage refuses such a row as unreadable instead).
    /// </summary>
    bool HoldsRecord { get; }
}
