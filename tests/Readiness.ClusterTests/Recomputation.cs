using System.Collections.Concurrent;
using Readiness.Catalog;
using Readiness.Grains;
using Readiness.Hosting;
using Readiness.Rules;

namespace Readiness.ClusterTests;

/// <summary>
/// The aggregates recomputed from scratch: every municipality's record read through the cluster, summarised with
/// ReadinessRules.Summary and aggregated with Readiness.Rules.Aggregation, compared with what the prefecture and
/// nation grains hold.
/// </summary>
public static class Recomputation
{
    public static async Task<IReadOnlyDictionary<string, MunicipalityRecord>> ReadAllAsync(IGrainFactory grains, GrainCalls calls)
    {
        var records = new ConcurrentDictionary<string, MunicipalityRecord>();
        await Parallel.ForEachAsync(ReadinessCatalog.Instance.Municipalities, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (m, cancellationToken) =>
        {
            records[m.Code] = await calls.Run(() => grains.GetGrain<IMunicipalityGrain>(m.Code).GetAsync(), idempotent: true, cancellationToken);
        });
        return records;
    }

    /// <summary>Empty when the grains agree with the recomputation; otherwise what differs.</summary>
    public static async Task<List<string>> DifferencesAsync(IGrainFactory grains, GrainCalls calls)
    {
        var now = DateTimeOffset.UtcNow;
        var today = ReadinessRules.TodayInJapan(now);
        var records = await ReadAllAsync(grains, calls);
        var differences = new List<string>();
        var expected = new List<PrefectureSummary>();
        foreach (var prefecture in ReadinessCatalog.Instance.Prefectures)
        {
            // The prefecture's own prefecture-run systems, kept apart in the prefecture and counted once in the nation.
            var own = await calls.Run(() => grains.GetGrain<IPrefectureRunGrain>(prefecture.Code).GetAsync(), idempotent: true);
            var recomputed = Aggregation.Prefecture(prefecture.Code,
                ReadinessCatalog.Instance.MunicipalitiesByPrefecture[prefecture.Code].Select(m => ReadinessRules.Summary(records[m.Code], today)), today, now,
                PrefectureRunRules.Summary(own, today));
            expected.Add(recomputed);
            var held = await calls.Run(() => grains.GetGrain<IPrefectureGrain>(prefecture.Code).GetSummaryAsync(), idempotent: true);
            if (!held.Figures.SameAs(recomputed.Figures) || !held.PrefectureRun.SameAs(recomputed.PrefectureRun) || held.VersionSum != recomputed.VersionSum)
            {
                differences.Add($"prefecture {prefecture.Code}: holds version sum {held.VersionSum}, recomputed {recomputed.VersionSum}");
            }
        }

        var nation = await calls.Run(() => grains.GetGrain<INationGrain>(INationGrain.NationKey).GetAsync(), idempotent: true);
        var nationFigures = Aggregation.Sum(expected.SelectMany(p => new[] { p.Figures, p.PrefectureRun }));
        if (!nation.Figures.SameAs(nationFigures) || nation.VersionSum != expected.Sum(p => p.VersionSum))
        {
            differences.Add($"nation: holds version sum {nation.VersionSum}, recomputed {expected.Sum(p => p.VersionSum)}");
        }

        return differences;
    }

    /// <summary>Polls until the aggregates equal the recomputation (pushes are one-way and debounced); returns how long it took.</summary>
    public static async Task<TimeSpan> ConvergeAsync(IGrainFactory grains, GrainCalls calls, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        List<string> differences;
        do
        {
            differences = await DifferencesAsync(grains, calls);
            if (differences.Count == 0)
            {
                return clock.Elapsed;
            }

            await Task.Delay(500);
        }
        while (clock.Elapsed < timeout);

        throw new Xunit.Sdk.XunitException($"Aggregates still differ from the recomputation after {timeout}:\n{string.Join('\n', differences.Take(20))}");
    }
}
