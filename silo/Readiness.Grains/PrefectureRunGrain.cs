using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Readiness.Catalog;
using Readiness.Rules;

namespace Readiness.Grains;

/// <summary>What the prefecture-run grain stores: the record, the recent request ids (for safe retries) and recent changes.</summary>
[GenerateSerializer, Alias("Readiness.PrefectureRunGrainState")]
public sealed class PrefectureRunGrainState : IRememberingGrainState<PrefectureRunRecord>
{
    [Id(0)] public PrefectureRunRecord? Record { get; set; }
    [Id(1)] public ImmutableArray<AppliedRequest> Requests { get; set; } = [];
    [Id(2)] public ImmutableArray<ChangeEntry> RecentChanges { get; set; } = [];

    // Not stored in the state: the storage writes it to its own tables with the state (IAuditedGrainState).
    [NonSerialized]
    private PendingAudit? audit;

    /// <inheritdoc />
    [System.Text.Json.Serialization.JsonIgnore]
    public PendingAudit? Audit { get => audit; set => audit = value; }
}

/// <summary>
/// A prefecture's own systems for the prefecture-run businesses (key: 2-digit prefecture code). Writes as the
/// municipality grain does: idempotent by request id, the version checked atomically (If-Match), its audit entries
/// and state in one durable write; then its summary is pushed to the prefecture grain, which keeps it apart.
/// </summary>
public sealed class PrefectureRunGrain(
    [PersistentState("prefecture_run", ReadinessStorage.Name)] IPersistentState<PrefectureRunGrainState> state,
    IAuditLog audit,
    TimeProvider time,
    ILogger<PrefectureRunGrain> logger) : Grain, IPrefectureRunGrain
{
    // The audit rows are kept under the record's 6-digit body code.
    private readonly ChangeMemory<PrefectureRunGrainState, PrefectureRunRecord> memory = new(state, audit, r => (r.Code, r.Version));

    private PrefectureRunRecord Record => state.State.Record!;

    private string Code => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(Code))
        {
            throw new ArgumentException($"'{Code}' is not one of the 47 prefecture codes.");
        }

        if (state.State.Record is null)
        {
            // First activation ever: the baseline's designation list says which systems the prefecture is listed for.
            state.State.Record = PrefectureRunRules.Create(Code, time.GetUtcNow());
            await state.WriteStateAsync(cancellationToken);
            memory.StartEmpty();
        }
    }

    public Task<PrefectureRunRecord> GetAsync() => Task.FromResult(Record);

    public Task<PrefectureRunSummary> GetSummaryAsync() => Task.FromResult(Summary());

    public async Task<ImmutableArray<ChangeEntry>> GetRecentChangesAsync()
    {
        await memory.RememberAsync();
        return memory.RecentChanges;
    }

    public async Task<PrefectureRunOutcome> ApplyAsync(ChangeRequest request)
    {
        await memory.RememberAsync();
        var current = Record;
        var fingerprint = AppliedRequest.FingerprintOf(request);
        if (memory.Find(request.RequestId) is { } applied)
        {
            return applied.Fingerprint == fingerprint
                ? new PrefectureRunOutcome(ChangeStatus.Replayed, current, []) { RecentChanges = memory.RecentChangesFor(request), AppliedBy = applied.CallId }
                : new PrefectureRunOutcome(ChangeStatus.IdempotencyKeyReused, current,
                    [new ValidationError("requestId", "idempotency_key_reused",
                        "この冪等キーは別の内容の報告で使用済みです。", "This idempotency key was already used for a different request.")]);
        }

        if (request.ExpectedVersion is { } expected && expected != current.Version)
        {
            return new PrefectureRunOutcome(ChangeStatus.VersionConflict, current,
                [ChangeRules.VersionConflict(expected, current.Version)]);
        }

        // Whole microseconds: PostgreSQL keeps no finer time, and the answer (from memory) must equal the audit trail.
        var now = time.GetUtcNow();
        now = now.AddTicks(-(now.Ticks % 10));
        var errors = PrefectureRunRules.Validate(request, current, ReadinessRules.TodayInJapan(now));
        if (!errors.IsEmpty)
        {
            return new PrefectureRunOutcome(ChangeStatus.Invalid, current, errors);
        }

        var (next, entries) = PrefectureRunRules.Apply(current, request, now);
        await memory.WriteAsync(next, entries, new AppliedRequest(request.RequestId, fingerprint, next.Version) { CallId = request.CallId });
        logger.LogDebug("Prefecture {Prefecture} accepted request {RequestId} for its own systems as version {Version}", Code, request.RequestId, next.Version);
        PushSummary();
        return new PrefectureRunOutcome(ChangeStatus.Accepted, next, []) { Applied = entries, RecentChanges = memory.RecentChangesFor(request) };
    }

    public async Task<OfficialOutcome> ApplyListingAsync(PrefectureRunListing listing)
    {
        var now = time.GetUtcNow();
        now = now.AddTicks(-(now.Ticks % 10));
        var (outcome, next, entries) = PrefectureRunRules.ApplyDesignationList(Record, listing.Dataset, listing.Listed, listing.Actor, now, listing.ClientAddress);
        if (outcome is not (OfficialOutcome.Applied or OfficialOutcome.Confirmed))
        {
            return outcome;
        }

        await memory.WriteAsync(next, entries, applied: null);
        PushSummary();
        return outcome;
    }

    private PrefectureRunSummary Summary() => PrefectureRunRules.Summary(Record, ReadinessRules.TodayInJapan(time.GetUtcNow()));

    // One-way: the write is already durable; a lost push is healed by the prefecture's reconciliation.
    private void PushSummary() => _ = GrainFactory.GetGrain<IPrefectureGrain>(Code).ReportPrefectureRunAsync(Summary());
}
