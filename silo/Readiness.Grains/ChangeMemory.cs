using System.Collections.Immutable;
using System.Data.Common;
using System.Runtime.InteropServices;

namespace Readiness.Grains;

/// <summary>
/// The state of a grain that writes through <see cref="ChangeMemory{TState, TRecord}"/>: its record, and the request ids
/// and recent changes a state stored before readiness_applied_request still holds (read once, then written empty).
/// </summary>
internal interface IRememberingGrainState<TRecord> : IAuditedGrainState
    where TRecord : class
{
    TRecord? Record { get; set; }

    ImmutableArray<AppliedRequest> Requests { get; set; }

    ImmutableArray<ChangeEntry> RecentChanges { get; set; }

    /// <summary>Set by <see cref="ChangeMemory{TState, TRecord}.WriteAsync"/> for one write, then cleared.</summary>
    new PendingAudit? Audit { get; set; }

    bool IAuditedGrainState.HoldsRecord => Record is not null;
}

/// <summary>
/// What a writing grain remembers of its recent past while active, and its one way to store a change. It remembers the
/// requests it applied, for safe retries (at most <see cref="MunicipalityGrainState.RememberedRequests"/>, oldest first),
/// and its recent changes, newest first (at most <see cref="MunicipalityGrainState.RememberedChanges"/>). Neither is part
/// of the state rewritten on every change: both are read back from readiness_applied_request and the audit trail, where
/// every write records them in the state's own transaction (<see cref="IAuditedGrainState"/>). Used by the municipality
/// and prefecture-run grains; <paramref name="identify"/> gives the code their audit rows are kept under (the 6-digit
/// body code) and the version of a record.
/// </summary>
internal sealed class ChangeMemory<TState, TRecord>(IPersistentState<TState> state, IAuditLog audit, Func<TRecord, (string Code, long Version)> identify)
    where TState : class, IRememberingGrainState<TRecord>
    where TRecord : class
{
    private readonly AppliedRequests requests = new(MunicipalityGrainState.RememberedRequests);

    // Requests a state stored before the tables existed still holds: the next write moves them into the table.
    private ImmutableArray<AppliedRequest> unmoved = [];

    private bool loaded;

    private readonly RecentChangeList recent = new(MunicipalityGrainState.RememberedChanges);

    /// <summary>Recent changes, newest first (once <see cref="RememberAsync"/> has run).</summary>
    public ImmutableArray<ChangeEntry> RecentChanges => recent.Newest;

    /// <summary>The recent changes an answer to <paramref name="request"/> carries: none when the caller renders no view (<see cref="ChangeRequest.Minimal"/>).</summary>
    public ImmutableArray<ChangeEntry> RecentChangesFor(ChangeRequest request) => request.Minimal ? [] : RecentChanges;

    /// <summary>A grain that has just created its state: there is nothing to read back.</summary>
    public void StartEmpty() => loaded = true;

    /// <summary>
    /// Reads what the record applied up to its version, once per activation, when a write or a read of recent changes
    /// first needs it: an activation that only answers its summary (a prefecture rebuilding its figures after a failover
    /// pulls hundreds) reads nothing more than its state. Requests a state stored before the tables existed are taken
    /// from it instead, and moved by the next write. A database that cannot answer: <see cref="StorageUnavailableException"/>.
    /// </summary>
    public async Task RememberAsync()
    {
        if (loaded)
        {
            return;
        }

        var (code, version) = identify(state.State.Record!);
        var stored = state.State.Requests;
        RecentHistory history;
        try
        {
            history = await audit.ReadRecentAsync(code, version, MunicipalityGrainState.RememberedRequests, MunicipalityGrainState.RememberedChanges);
        }
        catch (DbException ex)
        {
            throw StorageUnavailableException.From(ex);
        }

        if (stored.IsDefaultOrEmpty)
        {
            requests.Reset(history.Requests.Reverse());
        }
        else
        {
            // A state an older release wrote (or wrote last, during a rolling upgrade or after a rollback) holds
            // requests the table may lack, and the table may hold requests that state lacks: remember both, one per
            // version, and let the next write move the state's into the table.
            var inTable = history.Requests.Select(r => r.Version).ToHashSet();
            unmoved = [.. stored.Where(r => !inTable.Contains(r.Version))];
            requests.Reset(history.Requests.Concat(unmoved).OrderBy(r => r.Version));
        }

        recent.Reset(history.Changes);
        loaded = true;
    }

    /// <summary>The remembered request with this id, or null.</summary>
    public AppliedRequest? Find(string requestId) => requests.Find(requestId);

    /// <summary>
    /// Stores <paramref name="next"/> with its entries and the request it applies (null for an official update) in one
    /// durable transaction (<see cref="IAuditedGrainState"/>). Memory changes only once that has committed; a write that
    /// throws leaves the state as it was, so the caller can retry.
    /// </summary>
    public async Task WriteAsync(TRecord next, ImmutableArray<ChangeEntry> entries, AppliedRequest? applied)
    {
        // Remembered first: the write moves requests a state stored before readiness_applied_request still holds.
        await RememberAsync();
        var previous = (state.State.Record, state.State.Requests, state.State.RecentChanges);
        state.State.Record = next;
        state.State.Requests = [];
        state.State.RecentChanges = [];
        state.State.Audit = new PendingAudit(identify(next).Code, entries, applied is null ? unmoved : unmoved.Add(applied));
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            (state.State.Record, state.State.Requests, state.State.RecentChanges) = previous;
            throw;
        }
        finally
        {
            state.State.Audit = null;
        }

        unmoved = [];
        if (applied is not null)
        {
            requests.Add(applied);
        }

        recent.Add(entries);
    }
}
