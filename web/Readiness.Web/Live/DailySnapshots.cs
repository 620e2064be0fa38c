namespace Readiness.Web.Live;

/// <summary>
/// Where the overview's trend chart reads the stored daily copies of the nation's figures. Nothing stores them yet:
/// the default source has none and the chart says so; a store registered later (AddSingleton) replaces it.
/// </summary>
public interface IDailySnapshotSource
{
    Task<IReadOnlyList<DailySnapshot>> GetRecentAsync(int days, CancellationToken cancellationToken);
}

public sealed class NoDailySnapshots : IDailySnapshotSource
{
    public Task<IReadOnlyList<DailySnapshot>> GetRecentAsync(int days, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<DailySnapshot>>([]);
}
