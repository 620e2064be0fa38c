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
public sealed class NationHistorySnapshots(IGrainFactory grains, GrainCalls calls, SummaryCache live, TimeProvider time, IOptions<SummaryCacheOptions> options, ILogger<NationHistorySnapshots> logger)
    : IDailySnapshotSource
{
    private readonly SemaphoreSlim refresh = new(1, 1);
    private volatile Cached? cached;

    public async Task<IReadOnlyList<DailySnapshot>> GetRecentAsync(int days, CancellationToken cancellationToken)
    {
        var today = ReadinessRules.TodayInJapan(time.GetUtcNow());
        var stored = await GetStoredAsync(days, cancellationToken);
        return NationHistoryDays.WithLiveToday(stored, today.AddDays(1 - days), today, today, live.Current?.NationResponses.Summary);
    }

    /// <summary>The stored snapshots of the last <paramref name="days"/> days (kept for the refresh interval; today's is replaced by the live nation).</summary>
    private async Task<IReadOnlyList<DailySnapshot>> GetStoredAsync(int days, CancellationToken cancellationToken)
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

/// <summary>
/// The nation's history as every reader shows it (GET /api/v1/nation/history, the overview's trend chart): past days are
/// their stored snapshots, today is the live nation, the figures GET /api/v1/nation answers at that moment. The stored
/// copy of today is taken at start-up and at 23:50 Japan time, so shown as today it contradicted the nation's figures
/// all day (a breaker's finding).
/// </summary>
public static class NationHistoryDays
{
    /// <summary>
    /// <paramref name="stored"/> (oldest first) with today's entry replaced by <paramref name="live"/>, or added last
    /// when none is stored yet, if <paramref name="today"/> lies within <paramref name="first"/>..<paramref name="last"/>;
    /// unchanged when it does not or when there is no live figure (the node still starting).
    /// </summary>
    public static IReadOnlyList<DailySnapshot> WithLiveToday(IReadOnlyList<DailySnapshot> stored, DateOnly first, DateOnly last, DateOnly today, NationSummary? live)
    {
        if (live is null || today < first || today > last)
        {
            return stored;
        }

        return [.. stored.Where(s => s.Day != today), new DailySnapshot(today, live)];
    }
}
