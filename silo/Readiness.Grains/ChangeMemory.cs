using System.Collections.Immutable;

namespace Readiness.Grains;

/// <summary>
/// What a writing grain remembers of its recent past while active: the requests it applied, for safe retries (at most
/// <see cref="MunicipalityGrainState.RememberedRequests"/>, oldest first), and its recent changes, newest first (at most
/// <see cref="MunicipalityGrainState.RememberedChanges"/>). Neither is part of the state rewritten on every change: on
/// activation both are read back from readiness_applied_request and the audit trail, where every write records them in
/// the state's own transaction (<see cref="IAuditedGrainState"/>).
/// </summary>
internal sealed class ChangeMemory
{
    private ImmutableArray<AppliedRequest> requests = [];

    // Requests a state stored before the tables existed still holds: the next write moves them into the table.
    private ImmutableArray<AppliedRequest> unmoved = [];

    private bool loaded;

    /// <summary>Recent changes, newest first (once <see cref="LoadAsync"/> has run).</summary>
    public ImmutableArray<ChangeEntry> RecentChanges { get; private set; } = [];

    /// <summary>A grain that has just created its state: there is nothing to read back.</summary>
    public void StartEmpty() => loaded = true;

    /// <summary>
    /// Reads what <paramref name="code"/> applied up to <paramref name="version"/>, once per activation, when a write or
    /// a read of recent changes first needs it: an activation that only answers its summary (a prefecture rebuilding
    /// its figures after a failover pulls hundreds) reads nothing more than its state. Requests a state stored before the
    /// tables existed (<paramref name="stored"/>) are taken from it instead, and moved by the next write.
    /// </summary>
    public async Task LoadAsync(IAuditLog audit, string code, long version, ImmutableArray<AppliedRequest> stored)
    {
        if (loaded)
        {
            return;
        }

        var recent = await audit.ReadRecentAsync(code, version, MunicipalityGrainState.RememberedRequests, MunicipalityGrainState.RememberedChanges);
        if (stored.IsDefaultOrEmpty)
        {
            requests = [.. recent.Requests.Reverse()];
        }
        else
        {
            // A state an older release wrote (or wrote last, during a rolling upgrade or after a rollback) holds
            // requests the table may lack, and the table may hold requests that state lacks: remember both, one per
            // version, and let the next write move the state's into the table.
            var inTable = recent.Requests.Select(r => r.Version).ToHashSet();
            unmoved = [.. stored.Where(r => !inTable.Contains(r.Version))];
            requests = [.. recent.Requests.Concat(unmoved).OrderBy(r => r.Version).TakeLast(MunicipalityGrainState.RememberedRequests)];
        }

        RecentChanges = recent.Changes;
        loaded = true;
    }

    /// <summary>The remembered request with this id, or null.</summary>
    public AppliedRequest? Find(string requestId)
    {
        for (var i = requests.Length - 1; i >= 0; i--)
        {
            if (requests[i].RequestId == requestId)
            {
                return requests[i];
            }
        }

        return null;
    }

    /// <summary>What the next state write records: the change's entries and the request it applies (if any).</summary>
    public PendingAudit Pending(string code, ImmutableArray<ChangeEntry> entries, AppliedRequest? applied) =>
        new(code, entries, applied is null ? unmoved : unmoved.Add(applied));

    /// <summary>Remembers a change once its state write (and so <see cref="Pending"/>) has committed.</summary>
    public void Committed(ImmutableArray<ChangeEntry> entries, AppliedRequest? applied)
    {
        unmoved = [];
        if (applied is not null)
        {
            var added = requests.Add(applied);
            requests = added.Length <= MunicipalityGrainState.RememberedRequests ? added : added.RemoveRange(0, added.Length - MunicipalityGrainState.RememberedRequests);
        }

        // Within a version in the order the audit trail gives back on the next activation (target ascending).
        RecentChanges = entries.OrderBy(e => e.Target, StringComparer.Ordinal).Concat(RecentChanges).Take(MunicipalityGrainState.RememberedChanges).ToImmutableArray();
    }
}
