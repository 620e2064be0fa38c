using System.Collections.Immutable;
using System.Globalization;
using Readiness.Rules;

namespace Readiness.Grains;

/// <summary>The index of days that have a snapshot; the snapshots themselves live in one grain per day.</summary>
[GenerateSerializer, Alias("Readiness.NationHistoryState")]
public sealed class NationHistoryState
{
    /// <summary>Ascending.</summary>
    [Id(0)] public ImmutableArray<DateOnly> Days { get; set; } = [];
}

[GenerateSerializer, Alias("Readiness.DailySnapshotState")]
public sealed class DailySnapshotState
{
    [Id(0)] public DailySnapshot? Snapshot { get; set; }
}

public sealed class NationHistoryGrain(
    [PersistentState("history", ReadinessStorage.Name)] IPersistentState<NationHistoryState> state) : Grain, INationHistoryGrain
{
    public const int MaxDays = 400;

    public static string DayKey(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public async Task<DailySnapshot> RecordAsync(NationSummary nation, bool replace)
    {
        var day = ReadinessRules.TodayInJapan(nation.ComputedAt);
        // The day's row first, the index second: a failure in between leaves a snapshot the index does not list yet,
        // which the next record of that day repairs; never an index entry without its snapshot.
        var stored = await GrainFactory.GetGrain<IDailySnapshotGrain>(DayKey(day)).SaveAsync(new DailySnapshot(day, nation), replace);
        var days = state.State.Days;
        if (days.BinarySearch(day) < 0)
        {
            state.State.Days = days.Add(day).Sort();
            try
            {
                await state.WriteStateAsync();
            }
            catch
            {
                state.State.Days = days;
                throw;
            }
        }

        return stored;
    }

    public async Task<ImmutableArray<DailySnapshot>> GetAsync(DateOnly from, DateOnly to)
    {
        var days = state.State.Days.Where(d => d >= from && d <= to).TakeLast(MaxDays).ToList();
        var snapshots = await Task.WhenAll(days.Select(d => GrainFactory.GetGrain<IDailySnapshotGrain>(DayKey(d)).GetAsync()));
        return snapshots.OfType<DailySnapshot>().OrderBy(s => s.Day).ToImmutableArray();
    }
}

public sealed class DailySnapshotGrain(
    [PersistentState("snapshot", ReadinessStorage.Name)] IPersistentState<DailySnapshotState> state) : Grain, IDailySnapshotGrain
{
    public async Task<DailySnapshot> SaveAsync(DailySnapshot snapshot, bool replace)
    {
        if (NationHistoryGrain.DayKey(snapshot.Day) != this.GetPrimaryKeyString())
        {
            throw new ArgumentException($"A snapshot of {snapshot.Day} does not belong to day {this.GetPrimaryKeyString()}.");
        }

        if (state.State.Snapshot is { } existing && !replace)
        {
            return existing;
        }

        var previous = state.State.Snapshot;
        state.State.Snapshot = snapshot;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            state.State.Snapshot = previous;
            throw;
        }

        return snapshot;
    }

    public Task<DailySnapshot?> GetAsync() => Task.FromResult(state.State.Snapshot);
}
