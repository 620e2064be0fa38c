using Microsoft.Extensions.Options;
using Readiness.Catalog;
using Readiness.Rules;

namespace Readiness.Grains;

/// <summary>The nation: the newest summary of each of the 47 prefectures, pulled on activation and periodically.</summary>
public sealed class NationGrain(
    IOptions<AggregationOptions> options,
    TimeProvider time,
    ReadinessMetrics metrics) : Grain, INationGrain
{
    private readonly Dictionary<string, PrefectureSummary> latest = new(StringComparer.Ordinal);
    private NationSummary? summary;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await ReconcileAsync(deep: false);
        this.RegisterGrainTimer(() => ReconcileAsync(deep: false), new GrainTimerCreationOptions(options.Value.ReconcileInterval, options.Value.ReconcileInterval));
    }

    public Task ReportAsync(PrefectureSummary incoming)
    {
        if (ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(incoming.PrefectureCode))
        {
            Keep(incoming);
        }

        return Task.CompletedTask;
    }

    public Task<NationSummary> GetAsync() => Task.FromResult(summary ??= Aggregation.Nation(latest.Values, time.GetUtcNow()));

    public async Task ReconcileAsync(bool deep)
    {
        var pulled = await Task.WhenAll(ReadinessCatalog.Instance.Prefectures.Select(async p =>
        {
            var grain = GrainFactory.GetGrain<IPrefectureGrain>(p.Code);
            if (deep)
            {
                await grain.ReconcileAsync();
            }

            return await grain.GetSummaryAsync();
        }));
        foreach (var p in pulled)
        {
            Keep(p);
        }

        metrics.Reconciliations.Add(1, new KeyValuePair<string, object?>("level", "nation"));
    }

    private void Keep(PrefectureSummary incoming)
    {
        if (Aggregation.KeepNewest(latest, incoming.PrefectureCode, incoming, s => s.VersionSum, s => s.AsOf))
        {
            summary = null;
        }
    }
}
