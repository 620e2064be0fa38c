using System.Collections.Immutable;

namespace Readiness.Rules;

/// <summary>Aggregation as pure functions: the grains and the tests' from-scratch recomputation share them.</summary>
public static class Aggregation
{
    public static Figures Sum(IEnumerable<Figures> figures) => Figures.Sum(figures);

    /// <summary>
    /// A prefecture: <see cref="PrefectureSummary.Figures"/> is the sum of its municipalities; its own prefecture-run
    /// systems (<paramref name="prefectureRun"/>, optional) are kept apart in <see cref="PrefectureSummary.PrefectureRun"/>.
    /// </summary>
    public static PrefectureSummary Prefecture(string prefectureCode, IEnumerable<MunicipalitySummary> municipalities, DateOnly asOf, DateTimeOffset computedAt,
        PrefectureRunSummary? prefectureRun = null)
    {
        var total = new Figures.Accumulator();
        long versions = 0;
        foreach (var m in municipalities)
        {
            total.Add(m.Figures);
            versions += m.Version;
        }

        return new PrefectureSummary
        {
            PrefectureCode = prefectureCode,
            Figures = total.ToFigures(),
            VersionSum = versions + (prefectureRun?.Version ?? 0),
            AsOf = asOf,
            ComputedAt = computedAt,
            PrefectureRun = prefectureRun?.Figures ?? Figures.Zero,
            PrefectureRunVersion = prefectureRun?.Version ?? 0,
        };
    }

    /// <summary>
    /// The nation: every municipality once and every prefecture's own prefecture-run systems once, as the official
    /// tallies count 1,788 bodies (47 prefectures + 1,741 municipalities); the prefecture-run part also apart in
    /// <see cref="NationSummary.PrefectureRun"/>.
    /// </summary>
    public static NationSummary Nation(IEnumerable<PrefectureSummary> prefectures, DateTimeOffset computedAt)
    {
        var ordered = prefectures.OrderBy(p => p.PrefectureCode, StringComparer.Ordinal).ToImmutableArray();
        return new NationSummary
        {
            Figures = Sum(ordered.SelectMany(p => new[] { p.Figures, p.PrefectureRun ?? Figures.Zero })),
            PrefectureRun = Sum(ordered.Select(p => p.PrefectureRun ?? Figures.Zero)),
            PrefectureRunVersionSum = ordered.Sum(p => p.PrefectureRunVersion),
            VersionSum = ordered.Sum(p => p.VersionSum),
            Prefectures = ordered,
            ComputedAt = computedAt,
        };
    }

    /// <summary>
    /// Keeps the newest summary per key: a repeat or an older summary arriving late changes nothing.
    /// Returns true when the stored summary changed.
    /// </summary>
    public static bool KeepNewest<TKey, TSummary>(IDictionary<TKey, TSummary> latest, TKey key, TSummary candidate, Func<TSummary, long> version, Func<TSummary, DateOnly> asOf)
    {
        if (latest.TryGetValue(key, out var current))
        {
            var cv = version(current);
            var nv = version(candidate);
            // Same version but a later day: date-dependent flags (overdue, stale) may have moved on.
            if (nv < cv || (nv == cv && asOf(candidate) <= asOf(current)))
            {
                return false;
            }
        }

        latest[key] = candidate;
        return true;
    }
}
