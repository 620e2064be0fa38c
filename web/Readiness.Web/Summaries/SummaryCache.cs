using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using Readiness.Catalog;
using Readiness.Grains;
using Readiness.Imports;
using Readiness.Hosting;
using Readiness.Web.Api;

namespace Readiness.Web.Summaries;

public sealed class SummaryCacheOptions
{
    public const string Section = "Readiness:Summaries";

    /// <summary>How often the nation grain (and every watched prefecture grain) is asked for its version.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Every prefecture is fetched again this often even without a version change (heals anything missed).</summary>
    public TimeSpan FullRefreshInterval { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long the overview's trend (daily snapshots, which change once a day) is kept before it is read again.</summary>
    public TimeSpan TrendRefreshInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long one poll waits for a grain. Aggregate grains answer from memory in milliseconds when the cluster is
    /// calm but take seconds when its silos are saturated (nation reads p99 3.6 s in the cluster deadline rush on 2
    /// cores), so this matches the web tier's per-attempt timeout; a call past it is taken as stuck on a silo that
    /// died, which Orleans itself would only give up after 30 s.
    /// </summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>One message per interval or timeout of zero or less (a zero poll would spin); empty when none.</summary>
    public IEnumerable<string> Problems() =>
        OptionsProblems.LongerThanZero(Section, (nameof(PollInterval), PollInterval), (nameof(FullRefreshInterval), FullRefreshInterval),
            (nameof(HeartbeatInterval), HeartbeatInterval), (nameof(TrendRefreshInterval), TrendRefreshInterval), (nameof(CallTimeout), CallTimeout));
}

/// <summary>
/// The one read path for summaries: this web node's copy of the nation and of every prefecture's municipality
/// summaries. One background loop polls the nation grain (plus the prefecture grains that open pages watch), fetches
/// only prefectures whose version sum moved, swaps in a new immutable <see cref="SummarySnapshot"/> and publishes one
/// pre-serialized event per change to the <see cref="LiveHub"/>. The API's summaries (nation, prefecture list,
/// prefecture), the pages, the map data and the event stream all read from here: readers never cause grain calls.
/// Polling rather than grain-to-web push: see docs/performance.md ("Freshness: poll or push").
/// </summary>
public sealed class SummaryCache(
    IGrainFactory grains,
    GrainCalls calls,
    LiveHub hub,
    SummarySerializer serializer,
    Components.Map.MapAssets maps,
    TimeProvider time,
    IOptions<SummaryCacheOptions> options,
    ILogger<SummaryCache> logger) : BackgroundService
{
    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile SummarySnapshot? current;
    private long generation;
    private DateTimeOffset lastFullRefresh = DateTimeOffset.MinValue;
    private DateTimeOffset lastHeartbeat = DateTimeOffset.MinValue;
    private DateTimeOffset lastFailureLogged = DateTimeOffset.MinValue;

    // The sources of the nation's official figures (Views.NationSources), read again from the import index when the
    // figures move, on a full refresh, or when this node applied a dataset.
    private IReadOnlyList<SourceView> sources = Views.Sources;
    private volatile bool sourcesStale = true;

    // The view and map row last made for each municipality. A summary's figures are fixed by its version and the day
    // they were computed for, so an unchanged municipality keeps its view: under a reporting rush every prefecture
    // changes on every poll, and re-making all 1,741 views each time was most of this node's allocations.
    private readonly ConcurrentDictionary<string, RenderedMunicipality> rendered = new(StringComparer.Ordinal);

    /// <summary>
    /// How long a reader waits for the first snapshot after start-up before it is told to come back (503 with
    /// Retry-After): the web tier's grain-call deadline (<see cref="GrainCallOptions.Deadline"/>, 30 s), which bounded
    /// the API's summary reads when they called the nation grain themselves.
    /// </summary>
    public static readonly TimeSpan FirstSnapshotWait = TimeSpan.FromSeconds(30);

    public SummarySnapshot? Current => current;

    /// <summary>The current snapshot, or null after writing 503 Starting with Retry-After (the node is still warming up).</summary>
    public async Task<SummarySnapshot?> GetOrStartingAsync(HttpContext http, CancellationToken cancellationToken)
    {
        if (await GetAsync(FirstSnapshotWait, cancellationToken) is { } snapshot)
        {
            return snapshot;
        }

        http.Response.Headers.RetryAfter = "5";
        await Api.Problems.Create(StatusCodes.Status503ServiceUnavailable, "Starting", "summaries", "起動中です。しばらくしてから再度お試しください。",
            "Starting up; try again shortly.").ExecuteAsync(http);
        return null;
    }

    /// <summary>The latest snapshot, waiting for the first one after start-up (the nation takes seconds to warm).</summary>
    public async Task<SummarySnapshot?> GetAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        if (current is { } snapshot)
        {
            return snapshot;
        }

        try
        {
            await ready.Task.WaitAsync(wait, cancellationToken);
        }
        catch (TimeoutException)
        {
        }

        return current;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Project and compress the national map once at start-up, so the first visitor does not wait for it.
        _ = Task.Run(() => maps.Payload(Components.Map.MapAssets.NationLayer), stoppingToken);
        using var timer = new PeriodicTimer(options.Value.PollInterval, time);
        do
        {
            try
            {
                await RefreshAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The silo may still be starting, or a call timed out: try again on the next tick.
                LogFailure(ex, "refresh failed; retrying on the next poll");
            }

            if (time.GetUtcNow() - lastHeartbeat >= options.Value.HeartbeatInterval)
            {
                lastHeartbeat = time.GetUtcNow();
                hub.PublishHeartbeat();
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Tells the cache an official dataset was applied: the next poll reads the nation's sources again.</summary>
    public void OfficialSourcesChanged() => sourcesStale = true;

    /// <summary>One poll: at most one nation call, one summary call per watched prefecture, one detail call per changed prefecture.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var nation = await Once(() => grains.GetGrain<INationGrain>(INationGrain.NationKey).GetAsync(), cancellationToken);
        var before = current;
        var now = time.GetUtcNow();
        var full = before is null || now - lastFullRefresh >= options.Value.FullRefreshInterval;
        var figuresMoved = before is null || before.Nation.Version != nation.VersionSum || before.Nation.ComputedAt != nation.ComputedAt;
        var sourcesChanged = (full || figuresMoved || sourcesStale) && await RefreshSourcesAsync(now, cancellationToken);

        var changed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in nation.Prefectures)
        {
            if (full || IsNewer(before!, p.PrefectureCode, p.VersionSum, p.AsOf))
            {
                changed.Add(p.PrefectureCode);
            }
        }

        if (full)
        {
            foreach (var p in ReadinessCatalog.Instance.Prefectures)
            {
                changed.Add(p.Code);
            }
        }
        else
        {
            // Prefectures with open pages are asked directly: they can run ahead of the nation by the debounce interval.
            var watched = hub.WatchedPrefectures().Where(c => !changed.Contains(c) && ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(c)).ToList();
            var summaries = await Task.WhenAll(watched.Select(c => Once(() => grains.GetGrain<IPrefectureGrain>(c).GetSummaryAsync(), cancellationToken)));
            foreach (var s in summaries)
            {
                if (IsNewer(before!, s.PrefectureCode, s.VersionSum, s.AsOf))
                {
                    changed.Add(s.PrefectureCode);
                }
            }
        }

        // A prefecture that does not answer keeps its last picture and is asked again on the next poll (its version still
        // differs); only the very first picture must be whole.
        var fetched = await Task.WhenAll(changed.Select(async c =>
        {
            try
            {
                return await Once(() => grains.GetGrain<IPrefectureGrain>(c).GetAsync(), cancellationToken);
            }
            catch (Exception ex) when (before is not null && ex is not OperationCanceledException)
            {
                LogFailure(ex, $"prefecture {c} did not answer; it keeps its last picture until the next poll");
                return null;
            }
        }));
        var details = fetched.OfType<PrefectureDetail>().ToArray();
        var nationChanged = figuresMoved || sourcesChanged;
        if (!nationChanged && details.Length == 0)
        {
            return;
        }

        var prefectures = before?.Prefectures.ToDictionary(StringComparer.Ordinal) ?? new Dictionary<string, PrefectureSnapshot>(StringComparer.Ordinal);
        var updatedPrefectures = new List<PrefectureSnapshot>();
        var changes = new List<MunicipalityFigures>();
        foreach (var detail in details)
        {
            var code = detail.Summary.PrefectureCode;
            prefectures.TryGetValue(code, out var held);
            if (held is not null && (held.VersionSum > detail.Summary.VersionSum
                || (!full && held.VersionSum == detail.Summary.VersionSum && held.AsOf >= detail.Summary.AsOf)))
            {
                // Never step back to an older picture (a watched prefecture can run ahead of the nation).
                continue;
            }

            var fresh = new PrefectureSnapshot(Views.Prefecture(detail, Render), detail.Summary.VersionSum, detail.Summary.AsOf, detail.Summary.ComputedAt, serializer, RowOf);
            var heldRows = held?.Rows.ToDictionary(r => r.Code, StringComparer.Ordinal);
            var rowChanges = fresh.Rows.Where(r => heldRows is null || !heldRows.TryGetValue(r.Code, out var old) || old != r).ToList();
            if (held is not null && rowChanges.Count == 0 && held.VersionSum == fresh.VersionSum && held.AsOf == fresh.AsOf)
            {
                continue;
            }

            prefectures[code] = fresh;
            updatedPrefectures.Add(fresh);
            changes.AddRange(rowChanges);
        }

        if (!nationChanged && updatedPrefectures.Count == 0)
        {
            if (full)
            {
                lastFullRefresh = now;
            }

            return;
        }

        // The nation names the municipalities its prefectures' pictures lack; a change in them alone renews its answer too.
        var missing = prefectures.Values.OrderBy(p => p.Code, StringComparer.Ordinal).SelectMany(p => p.View.Missing.Municipalities)
            .Select(m => ReadinessCatalog.Instance.MunicipalitiesByCode[m.Code]).ToList();
        nationChanged |= before is not null && !missing.Select(m => m.Code).SequenceEqual(before.NationResponses.View.Missing.Municipalities.Select(m => m.Code), StringComparer.Ordinal);
        var nationResponses = nationChanged ? new NationResponses(Views.Nation(nation, sources, missing), nation, serializer) : before!.NationResponses;
        var snapshot = new SummarySnapshot(Interlocked.Increment(ref generation), nationResponses, prefectures.ToFrozenDictionary(StringComparer.Ordinal), now);
        current = snapshot;
        if (full)
        {
            lastFullRefresh = now;
        }

        ready.TrySetResult();
        if (before is not null)
        {
            hub.Publish(LiveHub.NationTopic, LiveMessages.NationEvent(snapshot, before.DataKey, changes));
            foreach (var p in updatedPrefectures)
            {
                var topic = LiveHub.PrefectureTopic(p.Code);
                if (hub.HasSubscribers(topic))
                {
                    hub.Publish(topic, p.Event);
                }
            }
        }

        logger.LogDebug("Dashboard snapshot {Generation}: nation {Version}, {Prefectures} prefectures and {Municipalities} municipalities changed in {Elapsed} ms",
            snapshot.Generation, nation.VersionSum, updatedPrefectures.Count, changes.Count, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>Reads the import index again; true when the nation's sources changed. A failure keeps them and asks on the next poll.</summary>
    private async Task<bool> RefreshSourcesAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        sourcesStale = false;
        try
        {
            var listings = await Once(() => grains.GetGrain<IOfficialImportIndexGrain>(IOfficialImportIndexGrain.Key).ListAsync(), cancellationToken);
            var fresh = Views.NationSources(listings, now);
            if (fresh.SequenceEqual(sources))
            {
                return false;
            }

            sources = fresh;
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            sourcesStale = true;
            LogFailure(ex, "the import index did not answer; the nation's sources are read again on the next poll");
            return false;
        }
    }

    // Once there is a picture: one attempt within the call timeout, no retries, abandoned at once when a gateway
    // connection closes; a call stuck on a dead silo must not hold live updates for Orleans' 30 s response timeout (nor
    // for the call timeout), and the next tick asks again anyway. The first picture, while the grains are still
    // activating, gets the usual attempts and timeouts.
    private Task<T> Once<T>(Func<Task<T>> call, CancellationToken cancellationToken) => current is null
        ? calls.Run(call, idempotent: true, cancellationToken)
        : calls.RunOnce(call, options.Value.CallTimeout, cancellationToken);

    private void LogFailure(Exception ex, string what)
    {
        // At most one warning every 30 s: during a failover this fires on every poll.
        if (time.GetUtcNow() - lastFailureLogged > TimeSpan.FromSeconds(30))
        {
            lastFailureLogged = time.GetUtcNow();
            logger.LogWarning(ex, "Dashboard cache: {What}", what);
        }
    }

    private MunicipalitySummaryView Render(MunicipalitySummary summary)
    {
        if (rendered.TryGetValue(summary.Code, out var held) && held.Version == summary.Version && held.AsOf == summary.AsOf)
        {
            return held.View;
        }

        var view = Views.MunicipalitySummary(summary);
        rendered[summary.Code] = new RenderedMunicipality(summary.Version, summary.AsOf, view, MunicipalityFigures.From(view));
        return view;
    }

    private MunicipalityFigures RowOf(MunicipalitySummaryView view) =>
        rendered.TryGetValue(view.Code, out var held) && ReferenceEquals(held.View, view) ? held.Row : MunicipalityFigures.From(view);

    private sealed record RenderedMunicipality(long Version, DateOnly AsOf, MunicipalitySummaryView View, MunicipalityFigures Row);

    private static bool IsNewer(SummarySnapshot snapshot, string code, long versionSum, DateOnly asOf) =>
        !snapshot.Prefectures.TryGetValue(code, out var held) || versionSum > held.VersionSum || asOf > held.AsOf;
}
