using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Readiness.Catalog;
using Readiness.Rules;

namespace Readiness.Grains;

public sealed class MunicipalityGrain(
    [PersistentState(MunicipalityGrain.StateName, ReadinessStorage.Name)] IPersistentState<MunicipalityGrainState> state,
    IMunicipalitySeed seed,
    IAuditLog audit,
    TimeProvider time,
    ReadinessMetrics metrics,
    ILogger<MunicipalityGrain> logger) : Grain, IMunicipalityGrain
{
    /// <summary>The name its state is stored under (with the grain's id), read by reconciliation too (<see cref="IStoredGrainStates"/>).</summary>
    public const string StateName = "municipality";

    // The audit rows are kept under the record's 6-digit body code.
    private readonly ChangeMemory<MunicipalityGrainState, MunicipalityRecord> memory = new(state, audit, r => (r.Code, r.Version));

    // A change to security items alone keeps the systems list, so its summary reuses their counts (~1 KB a change, issue 14).
    private readonly SystemsFiguresMemo systemsFigures = new();

    private MunicipalityRecord Record => state.State.Record!;

    private string Code => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!ReadinessCatalog.Instance.IsMunicipality(Code))
        {
            throw new ArgumentException($"'{Code}' is not one of the 1,741 municipality codes.");
        }

        if (state.State.Record is null)
        {
            // First activation ever: start from the seed (public baseline by default) and store it, so a later
            // start never loads the baseline again over reported changes.
            state.State.Record = seed.Create(Code, time.GetUtcNow());
            await state.WriteStateAsync(cancellationToken);
            metrics.MunicipalitiesSeeded.Add(1);
            PushSummary();
            memory.StartEmpty();
        }
    }

    public Task<MunicipalityRecord> GetAsync() => Task.FromResult(Record);

    public Task<MunicipalitySummary> GetSummaryAsync() => Task.FromResult(Summary());

    public async Task<ImmutableArray<ChangeEntry>> GetRecentChangesAsync()
    {
        await memory.RememberAsync();
        return memory.RecentChanges;
    }

    public async Task<ChangeOutcome> ApplyAsync(ChangeRequest request)
    {
        await memory.RememberAsync();
        var current = Record;
        var fingerprint = AppliedRequest.FingerprintOf(request);
        if (memory.Find(request.RequestId) is { } applied)
        {
            return applied.Fingerprint == fingerprint
                ? new ChangeOutcome(ChangeStatus.Replayed, current, []) { RecentChanges = memory.RecentChangesFor(request), AppliedBy = applied.CallId }
                : new ChangeOutcome(ChangeStatus.IdempotencyKeyReused, current,
                    [new ValidationError("requestId", "idempotency_key_reused",
                        "この冪等キーは別の内容の報告で使用済みです。", "This idempotency key was already used for a different request.")]);
        }

        if (request.ExpectedVersion is { } expected && expected != current.Version)
        {
            metrics.ChangesRejected.Add(1, new KeyValuePair<string, object?>("reason", "version_conflict"));
            return new ChangeOutcome(ChangeStatus.VersionConflict, current,
                [ChangeRules.VersionConflict(expected, current.Version)]);
        }

        // Whole microseconds: PostgreSQL keeps no finer time, and the answer (from memory) must equal the audit trail.
        var now = time.GetUtcNow();
        now = now.AddTicks(-(now.Ticks % 10));
        var errors = ChangeRules.Validate(request, current, ReadinessRules.TodayInJapan(now));
        if (!errors.IsEmpty)
        {
            metrics.ChangesRejected.Add(1, new KeyValuePair<string, object?>("reason", "invalid"));
            return new ChangeOutcome(ChangeStatus.Invalid, current, errors);
        }

        var (next, entries) = ChangeRules.Apply(current, request, now);

        // The entries and the request id go into their tables in the state's own transaction (IAuditedGrainState):
        // one durable commit, and a change is audited exactly when it is stored.
        await memory.WriteAsync(next, entries, new AppliedRequest(request.RequestId, fingerprint, next.Version) { CallId = request.CallId });
        metrics.ChangesAccepted.Add(1);
        logger.LogDebug("Municipality {Code} accepted request {RequestId} as version {Version}", Code, request.RequestId, next.Version);
        PushSummary();
        return new ChangeOutcome(ChangeStatus.Accepted, next, []) { Applied = entries, RecentChanges = memory.RecentChangesFor(request) };
    }

    public async Task<OfficialOutcome> ApplyOfficialAsync(OfficialUpdate update)
    {
        var now = time.GetUtcNow();
        now = now.AddTicks(-(now.Ticks % 10));
        var (outcome, next, entries) = OfficialRules.Apply(Record, update, now);
        if (outcome is not (OfficialOutcome.Applied or OfficialOutcome.Confirmed))
        {
            return outcome;
        }

        // As for a report: the entries and the state in one transaction; not written means not applied.
        await memory.WriteAsync(next, entries, applied: null);
        PushSummary();
        return outcome;
    }

    private MunicipalitySummary Summary() => ReadinessRules.Summary(Record, ReadinessRules.TodayInJapan(time.GetUtcNow()), systemsFigures);

    private void PushSummary()
    {
        // One-way: the write is already durable; a lost push is healed by the prefecture's reconciliation.
        _ = GrainFactory.GetGrain<IPrefectureGrain>(Code[..2]).ReportAsync(Summary());
    }

}
