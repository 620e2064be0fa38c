namespace Readiness.Grains;

public sealed class AggregationOptions
{
    /// <summary>How long a prefecture gathers pushes before it pushes its own summary to the nation.</summary>
    public TimeSpan Debounce { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How often an aggregate pulls from its children again, so a lost push heals.</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>When (JST) the nation's daily snapshot is taken; the last one of a day is kept as that day's.</summary>
    public TimeOnly SnapshotTime { get; set; } = new(23, 50);
}
