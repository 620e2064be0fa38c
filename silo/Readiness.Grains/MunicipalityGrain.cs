using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Readiness.Catalog;
using Readiness.Rules;

namespace Readiness.Grains;

public sealed class MunicipalityGrain(
    [PersistentState("municipality", ReadinessStorage.Name)] IPersistentState<MunicipalityGrainState> state,
    IMunicipalitySeed seed,
    IAuditLog audit,
    TimeProvider time,
    ReadinessMetrics metrics,
    ILogger<MunicipalityGrain> logger) : Grain, IMunicipalityGrain
{
    private static readonly JsonSerializerOptions FingerprintJson = new(JsonSerializerDefaults.Web);

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
        }
    }

    public Task<MunicipalityRecord> GetAsync() => Task.FromResult(Record);

    public Task<MunicipalitySummary> GetSummaryAsync() => Task.FromResult(Summary());

    public Task<ImmutableArray<ChangeEntry>> GetRecentChangesAsync() => Task.FromResult(state.State.RecentChanges);

    public async Task<ChangeOutcome> ApplyAsync(ChangeRequest request)
    {
        var current = Record;
        var fingerprint = Fingerprint(request);
        foreach (var applied in state.State.Requests)
        {
            if (applied.RequestId == request.RequestId)
            {
                return applied.Fingerprint == fingerprint
                    ? new ChangeOutcome(ChangeStatus.Replayed, current, []) { RecentChanges = state.State.RecentChanges, AppliedBy = applied.CallId }
                    : new ChangeOutcome(ChangeStatus.IdempotencyKeyReused, current,
                        [new ValidationError("requestId", "idempotency_key_reused",
                            "この冪等キーは別の内容の報告で使用済みです。", "This idempotency key was already used for a different request.")]);
            }
        }

        if (request.ExpectedVersion is { } expected && expected != current.Version)
        {
            metrics.ChangesRejected.Add(1, new KeyValuePair<string, object?>("reason", "version_conflict"));
            return new ChangeOutcome(ChangeStatus.VersionConflict, current,
                [new ValidationError("version", "version_conflict",
                    $"他の人が先に更新しました（現在の版: {current.Version}）。最新の内容を確認してから再度保存してください。",
                    $"Someone else changed this first (current version {current.Version}). Review the latest data and save again.")]);
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

        // Audit first: once the state is written the change is visible and acknowledged, so it must already be in the
        // trail. If the state write below fails, these entries stay above the stored version (invisible to readers)
        // and the next accepted change, which gets the same version, replaces them.
        try
        {
            await audit.RecordAsync(Code, next.Version, entries);
        }
        catch (System.Data.Common.DbException ex)
        {
            throw StorageUnavailableException.From(ex);
        }

        var previous = (state.State.Record, state.State.Requests, state.State.RecentChanges);
        state.State.Record = next;
        state.State.Requests = Bounded(state.State.Requests.Add(new AppliedRequest(request.RequestId, fingerprint, next.Version) { CallId = request.CallId }), MunicipalityGrainState.RememberedRequests);
        state.State.RecentChanges = entries.Reverse().Concat(state.State.RecentChanges).Take(MunicipalityGrainState.RememberedChanges).ToImmutableArray();
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // Not written means not accepted: keep memory equal to storage so the caller can retry.
            (state.State.Record, state.State.Requests, state.State.RecentChanges) = previous;
            throw;
        }

        metrics.ChangesAccepted.Add(1);
        logger.LogDebug("Municipality {Code} accepted request {RequestId} as version {Version}", Code, request.RequestId, next.Version);
        PushSummary();
        return new ChangeOutcome(ChangeStatus.Accepted, next, []) { Applied = entries, RecentChanges = state.State.RecentChanges };
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

        // As for a report: audit first, then the state; not written means not applied.
        try
        {
            await audit.RecordAsync(Code, next.Version, entries);
        }
        catch (System.Data.Common.DbException ex)
        {
            throw StorageUnavailableException.From(ex);
        }

        var previous = (state.State.Record, state.State.RecentChanges);
        state.State.Record = next;
        state.State.RecentChanges = entries.Reverse().Concat(state.State.RecentChanges).Take(MunicipalityGrainState.RememberedChanges).ToImmutableArray();
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            (state.State.Record, state.State.RecentChanges) = previous;
            throw;
        }

        PushSummary();
        return outcome;
    }

    private MunicipalitySummary Summary() => ReadinessRules.Summary(Record, ReadinessRules.TodayInJapan(time.GetUtcNow()));

    private void PushSummary()
    {
        // One-way: the write is already durable; a lost push is healed by the prefecture's reconciliation.
        _ = GrainFactory.GetGrain<IPrefectureGrain>(Code[..2]).ReportAsync(Summary());
    }

    private static ImmutableArray<AppliedRequest> Bounded(ImmutableArray<AppliedRequest> requests, int max) =>
        requests.Length <= max ? requests : requests.RemoveRange(0, requests.Length - max);

    private static string Fingerprint(ChangeRequest request)
    {
        var content = JsonSerializer.SerializeToUtf8Bytes(new { request.Systems, request.Security }, FingerprintJson);
        return Convert.ToHexString(SHA256.HashData(content));
    }
}
