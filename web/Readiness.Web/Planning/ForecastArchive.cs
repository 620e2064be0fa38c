using System.Collections.Immutable;
using Microsoft.Extensions.Options;
using Readiness.Catalog;
using Readiness.Planning;
using Readiness.Rules;

namespace Readiness.Web.Planning;

/// <summary>
/// Keeps the baseline forecast once a day (Japan) in grain storage (<see cref="IForecastArchiveGrain"/>), and judges the
/// kept forecasts against what happened since: the coverage of their P10–P90 bands by the go-lives in the audit trail
/// (<see cref="ForecastCalibration.Coverage(IEnumerable{SystemForecastBand}, IReadOnlyDictionary{ValueTuple{string, string}, DateOnly}, DateOnly?)"/>).
/// </summary>
public sealed class ForecastArchive(IGrainFactory grains, Readiness.Hosting.GrainCalls calls, ForecastService forecasts, TimeProvider time, ILogger<ForecastArchive> logger)
{
    /// <summary>Kept forecasts judged per answer: one per month (the first kept in it) for the last 12 months, and the newest.</summary>
    public const int MonthsShown = 12;

    private readonly SemaphoreSlim gate = new(1, 1);
    private (DateTimeOffset ReadAt, int Kept, ImmutableArray<KeptForecastCoverage> Coverage, IReadOnlyList<MunicipalityInfo> Unreadable)? cached;

    /// <summary>Keeps today's baseline forecast now (replacing one kept earlier today); the scheduled job and tests call this.</summary>
    public async Task<KeptForecastInfo> KeepNowAsync(CancellationToken cancellationToken)
    {
        var run = await forecasts.GetBaselineAsync(cancellationToken);
        var kept = KeptForecasts.From(run.Result, run.ComputedAt);
        var info = await calls.Run(() => grains.GetGrain<IForecastArchiveGrain>(IForecastArchiveGrain.Key).KeepAsync(kept), idempotent: true, cancellationToken);
        cached = null;
        logger.LogInformation("Forecast kept as of {AsOf}: {Systems} open systems", info.AsOf, info.Systems);
        return info;
    }

    /// <summary>Keeps today's forecast unless one is kept for today already; true when it kept one.</summary>
    public async Task<bool> KeepIfDueAsync(CancellationToken cancellationToken)
    {
        var today = ReadinessRules.TodayInJapan(time.GetUtcNow());
        var kept = await calls.Run(() => grains.GetGrain<IForecastArchiveGrain>(IForecastArchiveGrain.Key).ListAsync(), idempotent: true, cancellationToken);
        if (kept.Any(k => k.AsOf == today))
        {
            return false;
        }

        await KeepNowAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// How the kept forecasts have done: every kept forecast shown (see <see cref="MonthsShown"/>) with its coverage by
    /// the go-lives since its day; the number kept in all; the municipalities left out because their stored state (and
    /// so whether their systems went live) cannot be read: their kept bands are not judged, else each would count as a
    /// miss once past its P90. Recomputed when the forecast's inputs are read again.
    /// </summary>
    public async Task<(int Kept, ImmutableArray<KeptForecastCoverage> Coverage, IReadOnlyList<MunicipalityInfo> Unreadable)> GetCoverageAsync(CancellationToken cancellationToken)
    {
        var (history, readAt, unreadable) = await forecasts.GetHistoryAsync(cancellationToken);
        if (cached is { } c && c.ReadAt == readAt && c.Unreadable.SequenceEqual(unreadable))
        {
            return (c.Kept, c.Coverage, c.Unreadable);
        }

        await gate.WaitAsync(cancellationToken);
        try
        {
            var index = await calls.Run(() => grains.GetGrain<IForecastArchiveGrain>(IForecastArchiveGrain.Key).ListAsync(), idempotent: true, cancellationToken);
            var today = ReadinessRules.TodayInJapan(time.GetUtcNow());
            var left = unreadable.Select(m => m.Code).ToHashSet(StringComparer.Ordinal);
            var results = ImmutableArray.CreateBuilder<KeptForecastCoverage>();
            foreach (var info in Shown(index))
            {
                var kept = await calls.Run(() => grains.GetGrain<IKeptForecastGrain>(IKeptForecastGrain.KeyOf(info.AsOf)).GetAsync(), idempotent: true, cancellationToken);
                if (kept is null)
                {
                    continue;
                }

                var goLives = ForecastCalibration.GoLivesSince(history.Transitions, kept.AsOf);
                var bands = KeptForecasts.Systems(kept).Where(b => !left.Contains(b.MunicipalityCode));
                results.Add(new KeptForecastCoverage(info, ForecastCalibration.Coverage(bands, goLives, today)));
            }

            cached = (readAt, index.Length, results.ToImmutable(), unreadable);
            return (index.Length, cached.Value.Coverage, unreadable);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Newest first: the newest kept forecast, then the first kept in each earlier month, at most <see cref="MonthsShown"/> months back.</summary>
    public static IEnumerable<KeptForecastInfo> Shown(ImmutableArray<KeptForecastInfo> index)
    {
        if (index.IsDefaultOrEmpty)
        {
            return [];
        }

        var newest = index.MaxBy(k => k.AsOf)!;
        var monthly = index.GroupBy(k => (k.AsOf.Year, k.AsOf.Month))
            .Select(g => g.MinBy(k => k.AsOf)!)
            .Where(k => k.AsOf != newest.AsOf)
            .OrderByDescending(k => k.AsOf)
            .Take(MonthsShown);
        return monthly.Prepend(newest);
    }
}

/// <summary>Checks every <see cref="PlanningOptions.KeepCheckMinutes"/> whether today's forecast is kept, and keeps it when not (every web node may; the day's record is simply replaced).</summary>
public sealed class ForecastKeeper(ForecastArchive archive, IOptions<PlanningOptions> options, ILogger<ForecastKeeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        if (!o.KeepForecasts)
        {
            return;
        }

        try
        {
            await Task.Delay(TimeSpan.FromMinutes(Math.Max(0, o.KeepFirstCheckMinutes)), stoppingToken);
            using var timer = new PeriodicTimer(TimeSpan.FromMinutes(Math.Max(1, o.KeepCheckMinutes)));
            do
            {
                try
                {
                    await archive.KeepIfDueAsync(stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // The next check tries again; nothing half-kept is listed (the index is written last).
                    logger.LogWarning(ex, "Keeping the day's forecast failed this time");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
