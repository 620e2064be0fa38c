using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Readiness.Catalog;
using Readiness.Rules;

namespace Readiness.Grains;

/// <summary>
/// Keeps the newest summary per municipality (by version, so repeats and reordering are harmless), pushes its own
/// summary to the nation at most once per debounce interval, and pulls from its municipalities on activation and
/// periodically. Holds no stored state: everything it knows can be pulled again.
/// </summary>
public sealed class PrefectureGrain(
    IOptions<AggregationOptions> options,
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
        var codes = ReadinessCatalog.Instance.MunicipalitiesByPrefecture[Code];
        var (pulled, failed) = await ChildPulls.PullAsync(codes, m => GrainFactory.GetGrain<IMunicipalityGrain>(m.Code).GetSummaryAsync());
        if (failed.Count > 0)
        {
            metrics.PullFailures.Add(failed.Count, new KeyValuePair<string, object?>("level", "prefecture"));
            logger.LogWarning("Prefecture {Prefecture} could not pull {Failed} of {Total} municipalities ({Codes}); they are missing from its figures until the next reconciliation pulls them",
                Code, failed.Count, codes.Count, string.Join(", ", failed.Take(20).Select(m => m.Code)));
        }

        foreach (var m in pulled)
        {
            Keep(m);
        }

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
