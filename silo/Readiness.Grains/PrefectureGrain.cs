using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Readiness.Catalog;
using Readiness.Rules;

namespace Readiness.Grains;

/// <summary>
/// Keeps the newest summary per municipality (by version, so repeats and reordering are harmless), pushes its own
/// summary to the nation at most once per debounce interval, and reconciles on activation and periodically. Holds no
/// stored state of its own: everything it knows is read again from its municipalities' stored states
/// (<see cref="IStoredGrainStates"/>, one query, no activations), or pulled from a municipality whose state is not
/// stored there (never written, or still in the pre-upgrade table) or cannot be read.
/// </summary>
public sealed class PrefectureGrain(
    IOptions<AggregationOptions> options,
    IStoredGrainStates stored,
    TimeProvider time,
    ReadinessMetrics metrics,
    ILogger<PrefectureGrain> logger) : Grain, IPrefectureGrain
{
    private readonly Dictionary<string, MunicipalitySummary> latest = new(StringComparer.Ordinal);
    private PrefectureSummary? summary;
    private PrefectureRunSummary? prefectureRun;
    private bool dirty;

    private string Code => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(Code))
        {
            throw new ArgumentException($"'{Code}' is not one of the 47 prefecture codes.");
        }

        await ReconcileAsync();
        this.RegisterGrainTimer(FlushAsync, new GrainTimerCreationOptions(options.Value.Debounce, options.Value.Debounce) { Interleave = false });
        this.RegisterGrainTimer(ReconcileAsync, new GrainTimerCreationOptions(options.Value.ReconcileInterval, options.Value.ReconcileInterval));
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => FlushAsync();

    public Task ReportAsync(MunicipalitySummary incoming)
    {
        if (incoming.PrefectureCode != Code || !ReadinessCatalog.Instance.IsMunicipality(incoming.Code))
        {
            logger.LogWarning("Prefecture {Prefecture} ignored a summary for {Code}", Code, incoming.Code);
            return Task.CompletedTask;
        }

        Keep(incoming);
        return Task.CompletedTask;
    }

    public Task ReportPrefectureRunAsync(PrefectureRunSummary incoming)
    {
        if (incoming.PrefectureCode == Code)
        {
            KeepPrefectureRun(incoming);
        }

        return Task.CompletedTask;
    }

    public Task<PrefectureDetail> GetAsync() =>
        Task.FromResult(new PrefectureDetail(Current(), latest.Values.OrderBy(m => m.Code, StringComparer.Ordinal).ToImmutableArray()));

    public Task<PrefectureSummary> GetSummaryAsync() => Task.FromResult(Current());

    public async Task ReconcileAsync()
    {
        var municipalities = ReadinessCatalog.Instance.MunicipalitiesByPrefecture[Code];
        var fromStorage = await ReadStoredAsync(municipalities);
        var rest = fromStorage.Count == municipalities.Count ? [] : municipalities.Where(m => !fromStorage.ContainsKey(m.Code)).ToList();
        var (pulled, failed) = await ChildPulls.PullAsync(rest, m => GrainFactory.GetGrain<IMunicipalityGrain>(m.Code).GetSummaryAsync());
        if (failed.Count > 0)
        {
            metrics.PullFailures.Add(failed.Count, new KeyValuePair<string, object?>("level", "prefecture"));
            logger.LogWarning("Prefecture {Prefecture} could not pull {Failed} of {Total} municipalities ({Codes}); they are missing from its figures until the next reconciliation pulls them",
                Code, failed.Count, municipalities.Count, string.Join(", ", failed.Take(20).Select(m => m.Code)));
        }

        foreach (var m in fromStorage.Values)
        {
            Keep(m);
        }

        foreach (var m in pulled)
        {
            Keep(m);
        }

        metrics.ReconciledFromStorage.Add(fromStorage.Count);
        metrics.ReconciledByPull.Add(rest.Count);

        try
        {
            KeepPrefectureRun(await GrainFactory.GetGrain<IPrefectureRunGrain>(Code).GetSummaryAsync());
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Prefecture {Prefecture} could not pull its own prefecture-run systems; the next reconciliation tries again", Code);
        }

        metrics.Reconciliations.Add(1, new KeyValuePair<string, object?>("level", "prefecture"));
        await FlushAsync();
    }

    /// <summary>The summaries of the municipalities whose stored state could be read, by code; empty when the database cannot be reached (each is pulled then).</summary>
    private async Task<Dictionary<string, MunicipalitySummary>> ReadStoredAsync(IReadOnlyList<MunicipalityInfo> municipalities)
    {
        var codes = new Dictionary<GrainId, string>(municipalities.Count);
        foreach (var m in municipalities)
        {
            codes[GrainFactory.GetGrain<IMunicipalityGrain>(m.Code).GetGrainId()] = m.Code;
        }

        var summaries = new Dictionary<string, MunicipalitySummary>(municipalities.Count, StringComparer.Ordinal);
        try
        {
            var states = await stored.ReadAsync<MunicipalityGrainState>(MunicipalityGrain.StateName, [.. codes.Keys]);
            var today = ReadinessRules.TodayInJapan(time.GetUtcNow());
            foreach (var (id, state) in states)
            {
                if (state.Record is { } record && record.Code == codes[id])
                {
                    summaries[record.Code] = ReadinessRules.Summary(record, today);
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Prefecture {Prefecture} could not read its municipalities' stored states; it pulls from each of them instead", Code);
        }

        return summaries;
    }

    private void Keep(MunicipalitySummary incoming)
    {
        if (Aggregation.KeepNewest(latest, incoming.Code, incoming, s => s.Version, s => s.AsOf))
        {
            summary = null;
            dirty = true;
        }
    }

    private void KeepPrefectureRun(PrefectureRunSummary incoming)
    {
        if (prefectureRun is null || incoming.Version > prefectureRun.Version || (incoming.Version == prefectureRun.Version && incoming.AsOf > prefectureRun.AsOf))
        {
            prefectureRun = incoming;
            summary = null;
            dirty = true;
        }
    }

    private PrefectureSummary Current()
    {
        var now = time.GetUtcNow();
        return summary ??= Aggregation.Prefecture(Code, latest.Values, ReadinessRules.TodayInJapan(now), now, prefectureRun);
    }

    private Task FlushAsync()
    {
        if (!dirty)
        {
            return Task.CompletedTask;
        }

        dirty = false;
        metrics.SummaryPushes.Add(1, new KeyValuePair<string, object?>("level", "prefecture"));
        return GrainFactory.GetGrain<INationGrain>(INationGrain.NationKey).ReportAsync(Current());
    }
}
