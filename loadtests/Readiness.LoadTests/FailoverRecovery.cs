namespace Readiness.LoadTests;

/// <summary>When writes are "back to normal" after a silo is killed, read from the per-second latency series.</summary>
public static class FailoverRecovery
{
    /// <summary>
    /// <paramref name="series"/>: (second since the run's clock started, p99 ms) of the measured single changes;
    /// <paramref name="killAt"/>: seconds on the same clock. Before: the worst p99 of the full seconds of load before
    /// the kill (the load's first second is partial and left out; the clock counts from the run's start, not the
    /// load's, so no fixed second is the load's first). Normal: that worst second, or twice
    /// <paramref name="objectiveP99Ms"/> if looser. Recovered: seconds from the kill to the first second from which three
    /// in a row are normal; null when that never happens.
    /// </summary>
    public static (double Before, IReadOnlyList<(int Second, double P99)> After, double Normal, double? Recovered) Measure(
        IReadOnlyList<(int Second, long Requests, double P50, double P99)> series, double killAt, double objectiveP99Ms)
    {
        var first = series.Count > 0 ? series.Min(s => s.Second) : 0;
        var before = series.Where(s => s.Second < killAt - 1 && s.Second > first).Select(s => s.P99).DefaultIfEmpty(double.NaN).Max();
        var after = series.Where(s => s.Second >= killAt).Select(s => (s.Second, s.P99)).ToList();
        var normal = double.IsNaN(before) ? objectiveP99Ms * 2 : Math.Max(objectiveP99Ms * 2, before);
        double? recovered = null;
        for (var i = 0; i + 2 < after.Count; i++)
        {
            if (after.Skip(i).Take(3).All(s => s.P99 <= normal))
            {
                recovered = after[i].Second - killAt;
                break;
            }
        }

        return (before, after, normal, recovered);
    }
}
