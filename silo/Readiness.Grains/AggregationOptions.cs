namespace Readiness.Grains;

public sealed class AggregationOptions
{
    /// <summary>How long a prefecture gathers pushes before it pushes its own summary to the nation.</summary>
    public TimeSpan Debounce { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How often an aggregate pulls from its children again, so a lost push heals.</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromMinutes(5);
}
