using Microsoft.Extensions.Options;
using Readiness.Grains;
using Readiness.Hosting;
using Readiness.Rules;

namespace Readiness.Web.Summaries;

/// <summary>Where the overview's trend chart reads the stored daily copies of the nation's figures.</summary>
public interface IDailySnapshotSource
{
    Task<IReadOnlyList<DailySnapshot>> GetRecentAsync(int days, CancellationToken cancellationToken);
}

/// <summary>
/// The nation's daily snapshots from <see cref="INationHistoryGrain"/> (the nation grain records one per day, the
/// first on activation). They change once a day, so this node keeps the answer for
/// <see cref="SummaryCacheOptions.TrendRefreshInterval"/>: overview visitors do not each cause grain calls.
/// </summary>
public sealed class NationHistorySnapshots(IGrainFactory grains, GrainCalls calls, TimeProvider time, IOptions<SummaryCacheOptions> options, ILogger<NationHistorySnapshots> logger)
    : IDailySnapshotSource
{
    private readonly SemaphoreSlim refresh = new(1, 1);
    private volatile Cached? cached;

    public async Task<IReadOnlyList<DailySnapshot>> GetRecentAsync(int days, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (cached is { } c && c.Days == days && now - c.At < options.Value.TrendRefreshInterval)
        {
            return c.Snapshots;
        }

        await refresh.WaitAsync(cancellationToken);
        try
        {
            if (cached is { } again && again.Days == days && now - again.At < options.Value.TrendRefreshInterval)
            {
                return again.Snapshots;
            }

            var today = ReadinessRules.TodayInJapan(now);
            var history = grains.GetGrain<INationHistoryGrain>(INationGrain.NationKey);
            var snapshots = await calls.Run(() => history.GetAsync(today.AddDays(1 - days), today), idempotent: true, cancellationToken);
            cached = new Cached(days, now, snapshots);
            return snapshots;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The chart is secondary: the overview still renders, with the last answer if there is one.
            logger.LogWarning(ex, "Reading the nation's daily snapshots failed");
            return cached?.Snapshots ?? [];
        }
        finally
        {
            refresh.Release();
        }
    }

    private sealed record Cached(int Days, DateTimeOffset At, IReadOnlyList<DailySnapshot> Snapshots);
}
