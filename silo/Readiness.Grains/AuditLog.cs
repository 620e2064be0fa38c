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

    /// <summary>The entries one request produced (empty when it produced none up to that version).</summary>
    Task<ImmutableArray<ChangeEntry>> FindRequestAsync(string municipalityCode, string requestId, long upToVersion, CancellationToken cancellationToken = default);
}
