using System.Collections.Immutable;
using Orleans.Concurrency;

namespace Readiness.Grains;

/// <summary>
/// The nation's daily history (key: <see cref="INationGrain.NationKey"/>): which days have a snapshot. The nation
/// grain records one on its daily reminder and on activation when the day has none yet.
/// </summary>
[Alias("Readiness.INationHistoryGrain")]
public interface INationHistoryGrain : IGrainWithStringKey
{
    /// <summary>Stores the summary as the snapshot of its day (JST). With <paramref name="replace"/> false an existing snapshot of that day is kept.</summary>
    [Alias("Record")]
    Task<DailySnapshot> RecordAsync(NationSummary nation, bool replace);

    /// <summary>The snapshots of the days from <paramref name="from"/> to <paramref name="to"/> (inclusive), oldest first.</summary>
    [ReadOnly, Alias("Get")]
    Task<ImmutableArray<DailySnapshot>> GetAsync(DateOnly from, DateOnly to);
}

/// <summary>One day's snapshot (key: the day as yyyy-MM-dd, JST): one stored row per day, so history grows without limit per grain.</summary>
[Alias("Readiness.IDailySnapshotGrain")]
public interface IDailySnapshotGrain : IGrainWithStringKey
{
    /// <summary>Returns the snapshot now stored for the day (the given one, or the existing one when not replacing).</summary>
    [Alias("Save")]
    Task<DailySnapshot> SaveAsync(DailySnapshot snapshot, bool replace);

    [ReadOnly, Alias("Get")]
    Task<DailySnapshot?> GetAsync();
}
