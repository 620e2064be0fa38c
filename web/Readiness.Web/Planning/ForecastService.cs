using System.Collections.Concurrent;
using System.Collections.Immutable;
using Readiness.Catalog;
using Readiness.Grains;
using Readiness.Hosting;
using Readiness.Planning;
using Readiness.Rules;

namespace Readiness.Web.Planning;

/// <summary>Planning settings (section Readiness:Planning).</summary>
public sealed class PlanningOptions
{
    public const string Section = "Readiness:Planning";

    /// <summary>Trials per forecast (1..65535).</summary>
    public int Trials { get; set; } = 1000;

    /// <summary>The seed: the same state and seed give the same forecast.</summary>
    public ulong Seed { get; set; } = 20310331;

    /// <summary>How long a forecast is served before it is computed again from the current state (minutes).</summary>
    public double MaxAgeMinutes { get; set; } = 10;

    /// <summary>Read the phase moves and plans of the audit trail as history (off: the documented priors alone).</summary>
    public bool ReadAuditHistory { get; set; } = true;

    /// <summary>Keep the day's baseline forecast (once a day, Japan) to compare it later with what happened.</summary>
    public bool KeepForecasts { get; set; } = true;

    /// <summary>How long after start the first check for the day's kept forecast runs (minutes; a short demo run keeps none).</summary>
    public double KeepFirstCheckMinutes { get; set; } = 10;

    /// <summary>How often the web node checks whether the day's forecast is kept (minutes).</summary>
    public double KeepCheckMinutes { get; set; } = 60;

    /// <summary>
    /// While the inputs leave out municipalities whose stored state cannot be read: how often an answer asks them again
    /// (seconds; each failing read is logged by the storage), so one that can be read is included within this time.
    /// </summary>
    public double UnreadableRecheckSeconds { get; set; } = 30;

    /// <summary>One message per value the forecasts cannot work with (no trials, an age or check period of zero or less); empty when none.</summary>
    public IEnumerable<string> Problems() =>
        OptionsProblems.AtLeast(Section, 1, (nameof(Trials), Trials))
            .Concat(OptionsProblems.MoreThanZero(Section, (nameof(MaxAgeMinutes), MaxAgeMinutes), (nameof(KeepFirstCheckMinutes), KeepFirstCheckMinutes), (nameof(KeepCheckMinutes), KeepCheckMinutes)))
            .Concat(OptionsProblems.AtLeast(Section, 0, (nameof(UnreadableRecheckSeconds), UnreadableRecheckSeconds))); // 0: ask again every time
}

/// <summary>A computed forecast with its inputs' time and the scenario it was computed for (null: the baseline).</summary>
public sealed record ForecastRun(ForecastResult Result, DateTimeOffset ComputedAt, ForecastScenario? Scenario, TimeSpan Took)
{
    /// <summary>The municipalities left out because their stored state could not be read when the inputs were read (catalog order).</summary>
    public IReadOnlyList<MunicipalityInfo> Unreadable { get; init; } = [];

    /// <summary>
    /// The version of each record the forecast starts from (a municipality's code, or a prefecture's own 団体コード for
    /// its prefecture-run systems): their sums are comparable with the figures' <c>version</c> of the nation and a
    /// prefecture, so an answer can say whether a report arrived since.
    /// </summary>
    public IReadOnlyDictionary<string, long> Versions { get; init; } = new Dictionary<string, long>(StringComparer.Ordinal);

    /// <summary>When the inputs are read again and the forecast computed anew (the read time + MaxAgeMinutes).</summary>
    public DateTimeOffset NextComputationAt { get; init; }

    /// <summary>The version sum of the records of <paramref name="prefectureCode"/> (null: the nation) this forecast starts from.</summary>
    /// <summary>The systems read (before a scenario's levers), for recomputing one municipality's part.</summary>
    internal IReadOnlyList<ForecastSystem> InputSystems { get; init; } = [];

    public long FiguresVersion(string? prefectureCode = null) =>
        Versions.Where(v => prefectureCode is null || v.Key.StartsWith(prefectureCode, StringComparison.Ordinal)).Sum(v => v.Value);
}

/// <summary>The state the forecast and the lock-in view read: systems, history, Japan's day and when it was read, and the municipalities left out.</summary>
internal sealed record ForecastInputs(IReadOnlyList<ForecastSystem> Systems, ForecastHistory History, DateOnly AsOf, DateTimeOffset ReadAt, IReadOnlyList<MunicipalityInfo> Unreadable)
{
    /// <summary>The version of each record read (municipalities and prefectures' own systems), see <see cref="ForecastRun.Versions"/>.</summary>
    public IReadOnlyDictionary<string, long> Versions { get; init; } = new Dictionary<string, long>(StringComparer.Ordinal);
}

/// <summary>
/// Runs the forecast on demand from the current state of every municipality (their grains) and the audit trail's
/// history, and keeps the newest result per scenario in memory for <see cref="PlanningOptions.MaxAgeMinutes"/>; one
/// computation at a time per web node. The inputs are read once and shared by the baseline and every scenario, so a
/// scenario and the baseline compare like with like (same state, same seed). A municipality whose stored state cannot be
/// read is left out and named with every answer (<see cref="ForecastRun.Unreadable"/>); while any is left out, an
/// answer asks those again (at most every <see cref="PlanningOptions.UnreadableRecheckSeconds"/>), and the inputs are
/// read anew as soon as one can be read (it is not hidden for the age of the cache).
/// </summary>
public sealed class ForecastService(Readiness.Web.Api.MunicipalityRecords reads, IGrainFactory grains, IAuditLog audit, TimeProvider time, Microsoft.Extensions.Options.IOptions<PlanningOptions> options, ILogger<ForecastService> logger)
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly ConcurrentDictionary<string, ForecastRun> runs = new(StringComparer.Ordinal);

    // A municipality's own forecast recomputed after its record changed, by scenario key, code and version.
    private readonly ConcurrentDictionary<(string Key, string Code, long Version), ForecastRun> ownRuns = new();
    private ForecastInputs? inputs;
    private DateTimeOffset unreadableCheckedAt;
    private (ConcentrationResult Result, DateTimeOffset ReadAt)? concentration;

    /// <summary>Shares listed per market and area in the lock-in view (the HHI counts every supplier).</summary>
    public const int ConcentrationTop = 50;

    /// <summary>The baseline forecast (no scenario), computed when missing or older than the configured age.</summary>
    public Task<ForecastRun> GetBaselineAsync(CancellationToken cancellationToken) => GetAsync(null, cancellationToken);

    /// <summary>The forecast under a scenario (null: baseline), over the same inputs as the baseline.</summary>
    public async Task<ForecastRun> GetAsync(ForecastScenario? scenario, CancellationToken cancellationToken)
    {
        var key = scenario is null ? string.Empty : $"{scenario.Name}\u0001{scenario.Version}";
        var maxAge = TimeSpan.FromMinutes(options.Value.MaxAgeMinutes);
        if (runs.TryGetValue(key, out var cached) && time.GetUtcNow() - cached.ComputedAt < maxAge && Fresh(cached) && !RecheckDue())
        {
            return cached;
        }

        await gate.WaitAsync(cancellationToken);
        try
        {
            var current = await CurrentInputsAsync(cancellationToken);
            var (systems, history, asOf, readAt, unreadable) = current;
            if (runs.TryGetValue(key, out cached) && time.GetUtcNow() - cached.ComputedAt < maxAge && Fresh(cached))
            {
                return cached;
            }

            var o = options.Value;
            var forecastOptions = new ForecastOptions { AsOf = asOf, Trials = Math.Clamp(o.Trials, 1, ushort.MaxValue), Seed = o.Seed };
            if (scenario is not null)
            {
                (systems, forecastOptions) = ScenarioRules.Apply(scenario, systems, forecastOptions);
            }

            var started = time.GetTimestamp();
            var result = await Task.Run(() => ForecastEngine.Run(systems, history, forecastOptions), cancellationToken);
            var run = new ForecastRun(result, readAt, scenario, time.GetElapsedTime(started))
            {
                Unreadable = unreadable,
                Versions = current.Versions,
                NextComputationAt = readAt + maxAge,
                InputSystems = current.Systems,
            };
            runs[key] = run;
            logger.LogInformation("Forecast {Scenario}: {Systems} systems × {Trials} trials in {Ms} ms", scenario?.Name ?? "baseline", systems.Count, forecastOptions.Trials, (int)run.Took.TotalMilliseconds);
            return run;
        }
        finally
        {
            gate.Release();
        }

        bool Fresh(ForecastRun run) => inputs is { } i && i.ReadAt == run.ComputedAt;

        bool RecheckDue() => inputs is { Unreadable.Count: > 0 } && time.GetUtcNow() - unreadableCheckedAt >= TimeSpan.FromSeconds(options.Value.UnreadableRecheckSeconds);
    }

    /// <summary>
    /// Systems by vendor and by Government Cloud provider with their HHI (<see cref="MarketConcentration"/>), over the
    /// same state the forecast reads (applicable systems only), with the time that state was read and the municipalities
    /// left out because their stored state could not be read.
    /// </summary>
    public async Task<(ConcentrationResult Result, DateTimeOffset ReadAt, IReadOnlyList<MunicipalityInfo> Unreadable)> GetConcentrationAsync(CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            var (systems, _, _, readAt, unreadable) = await CurrentInputsAsync(cancellationToken);
            if (concentration is not { } kept || kept.ReadAt != readAt)
            {
                kept = (MarketConcentration.Compute([.. systems.Select(s => new MarketSystem(s.MunicipalityCode, s.Vendor, s.CloudProvider))], ConcentrationTop), readAt);
                concentration = kept;
            }

            return (kept.Result, kept.ReadAt, unreadable);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// The history (the audit trail's phase moves and plans) the current inputs were read with, when they were read, and
    /// the municipalities whose stored state (and so history) could not be read.
    /// </summary>
    public async Task<(ForecastHistory History, DateTimeOffset ReadAt, IReadOnlyList<MunicipalityInfo> Unreadable)> GetHistoryAsync(CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            var (_, history, _, readAt, unreadable) = await CurrentInputsAsync(cancellationToken);
            return (history, readAt, unreadable);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// A request about one municipality's own forecast needs its state: when <paramref name="run"/> left it out as
    /// unreadable, its grain is asked, which fails with the <see cref="UnreadableStateException"/> naming the data
    /// (answered 500 like every other request about it) rather than a "no forecast" 404.
    /// </summary>
    public async Task ThrowIfUnreadableAsync(ForecastRun run, string code)
    {
        if (run.Unreadable.Any(m => m.Code == code))
        {
            await grains.GetGrain<IMunicipalityGrain>(code).GetAsync();
        }
    }

    /// <summary>
    /// A municipality's own forecast from its current record. The shared inputs are read at most every MaxAgeMinutes
    /// (reading every municipality and its audit trail is the expensive part); when this municipality's record changed
    /// since (a report, a move back, an official import applied), its part is computed again at once from its current
    /// systems and its own phase history, with the run's model and seed, over the systems its answer depends on
    /// (<see cref="ForecastSystems.DependedOnBy"/>), so a municipality's own forecast never lags its own figures.
    /// Returns the run and the record's current version; an unreadable municipality fails as every request about it.
    /// </summary>
    public async Task<(ForecastRun Run, long CurrentVersion)> GetMunicipalityAsync(ForecastScenario? scenario, string code, CancellationToken cancellationToken)
    {
        var run = await GetAsync(scenario, cancellationToken);
        await ThrowIfUnreadableAsync(run, code);
        var record = await grains.GetGrain<IMunicipalityGrain>(code).GetAsync().WaitAsync(cancellationToken);
        if (run.Versions.TryGetValue(code, out var version) && version == record.Version)
        {
            return (run, record.Version);
        }

        var key = (scenario is null ? string.Empty : $"{scenario.Name}\u0001{scenario.Version}", code, record.Version);
        if (ownRuns.TryGetValue(key, out var done) && done.NextComputationAt == run.NextComputationAt)
        {
            return (done, record.Version);
        }

        var started = time.GetTimestamp();
        var transitions = new List<PhaseTransition>();
        var plans = new List<PlanRecord>();
        if (options.Value.ReadAuditHistory && record.Version > 0)
        {
            await ReadHistoryAsync(record.Code, record.Version, transitions, plans, cancellationToken);
        }

        var since = ForecastModel.PhaseSince(new ForecastHistory { Transitions = [.. transitions] }, run.Result.AsOf);
        var all = run.InputSystems.Where(s => s.MunicipalityCode != code).Concat(ForecastSystems.Of(code, record.Systems, since)).ToList();
        var part = ForecastSystems.DependedOnBy(all, code, run.Result.Model);
        var forecastOptions = new ForecastOptions { AsOf = run.Result.AsOf, Trials = run.Result.Trials, Seed = run.Result.Seed };
        if (scenario is not null)
        {
            (part, forecastOptions) = ScenarioRules.Apply(scenario, part, forecastOptions);
        }

        var model = run.Result.Model;
        var result = await Task.Run(() => ForecastEngine.Run(part, model, forecastOptions), cancellationToken);
        var versions = new Dictionary<string, long>(run.Versions, StringComparer.Ordinal) { [code] = record.Version };
        var own = run with { Result = result, ComputedAt = time.GetUtcNow(), Took = time.GetElapsedTime(started), Versions = versions, InputSystems = [] };
        ownRuns[key] = own;
        logger.LogInformation("Forecast of {Code} recomputed after a change (version {Version}): {Systems} systems in {Ms} ms", code, record.Version, part.Count, (int)own.Took.TotalMilliseconds);
        return (own, record.Version);
    }

    /// <summary>
    /// The version sum of the figures now (the nation's, or <paramref name="prefectureCode"/>'s: the sum of its records'
    /// versions, as <see cref="ForecastRun.FiguresVersion"/>); null when the summary cannot be read.
    /// </summary>
    public async Task<long?> CurrentFiguresVersionAsync(string? prefectureCode, CancellationToken cancellationToken)
    {
        try
        {
            return prefectureCode is null
                ? (await grains.GetGrain<INationGrain>(INationGrain.NationKey).GetAsync().WaitAsync(cancellationToken)).VersionSum
                : (await grains.GetGrain<IPrefectureGrain>(prefectureCode).GetSummaryAsync().WaitAsync(cancellationToken)).VersionSum;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The forecast is still worth answering; the freshness is then unknown (said so), not a 5xx.
            logger.LogWarning(e, "Forecast freshness: the figures' version of {Scope} cannot be read", prefectureCode ?? "the nation");
            return null;
        }
    }

    /// <summary>Forgets every kept forecast (after a scenario changed, or for tests).</summary>
    public void Invalidate() => ClearRuns();

    private void ClearRuns()
    {
        runs.Clear();
        ownRuns.Clear();
    }

    /// <summary>Forgets the inputs too: the next answer reads the current state again (tests; otherwise inputs are read again after MaxAgeMinutes).</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            inputs = null;
            ClearRuns();
        }
        finally
        {
            gate.Release();
        }
    }

    // Under the gate. Inputs older than MaxAgeMinutes are read again; so are inputs that left a municipality out once it can be read.
    private async Task<ForecastInputs> CurrentInputsAsync(CancellationToken cancellationToken)
    {
        if (inputs is { Unreadable.Count: > 0 } partial
            && time.GetUtcNow() - unreadableCheckedAt >= TimeSpan.FromSeconds(options.Value.UnreadableRecheckSeconds)
            && await AnyReadableAgainAsync(partial.Unreadable, cancellationToken))
        {
            logger.LogInformation("Forecast inputs: a municipality left out as unreadable can be read again; reading the inputs anew");
            inputs = null;
        }

        if (inputs is null || time.GetUtcNow() - inputs.ReadAt >= TimeSpan.FromMinutes(options.Value.MaxAgeMinutes))
        {
            inputs = await ReadInputsAsync(cancellationToken);
            unreadableCheckedAt = inputs.ReadAt;
            ClearRuns();
        }

        return inputs;
    }

    private async Task<bool> AnyReadableAgainAsync(IReadOnlyList<MunicipalityInfo> unreadable, CancellationToken cancellationToken)
    {
        unreadableCheckedAt = time.GetUtcNow();
        return (await reads.ReadAsync(unreadable, cancellationToken, ReadConcurrency)).Readable.Count > 0;
    }

    /// <summary>Municipalities read at once for the inputs (a background read beside the API's).</summary>
    private const int ReadConcurrency = 8;

    private async Task<ForecastInputs> ReadInputsAsync(CancellationToken cancellationToken)
    {
        var readAt = time.GetUtcNow();
        var asOf = ReadinessRules.TodayInJapan(readAt);
        var catalog = ReadinessCatalog.Instance;
        // Through GrainCalls: a transient failure (an activation still starting on a busy silo) is retried, as for the API.
        var read = await reads.ReadAsync(catalog.Municipalities, cancellationToken, ReadConcurrency);
        var records = read.Readable.Select(x => x.Value).ToArray();
        if (read.Unreadable.Count > 0)
        {
            logger.LogWarning("Forecast inputs: {Count} municipalities left out, their stored state cannot be read: {Codes}", read.Unreadable.Count, string.Join(",", read.UnreadableCodes));
        }

        // The prefectures' own systems (都道府県が実施する事務) count in the prefecture's and the nation's figures once
        // reported, so they are forecast too (keyed by the prefecture's 団体コード); before, the forecast left them out.
        var prefectureRun = new List<PrefectureRunRecord>();
        foreach (var prefecture in catalog.Prefectures)
        {
            try
            {
                prefectureRun.Add(await grains.GetGrain<IPrefectureRunGrain>(prefecture.Code).GetAsync().WaitAsync(cancellationToken));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Forecast inputs: the own systems of prefecture {Prefecture} cannot be read and are left out", prefecture.Code);
            }
        }

        var transitions = new List<PhaseTransition>();
        var plans = new List<PlanRecord>();
        if (options.Value.ReadAuditHistory)
        {
            var trails = records.Select(r => (r.Code, r.Version)).Concat(prefectureRun.Select(r => (r.Code, r.Version))).Where(r => r.Version > 0);
            await Parallel.ForEachAsync(trails, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
                async (trail, ct) =>
                {
                    var mine = new List<PhaseTransition>();
                    var myPlans = new List<PlanRecord>();
                    await ReadHistoryAsync(trail.Code, trail.Version, mine, myPlans, ct);
                    lock (transitions)
                    {
                        transitions.AddRange(mine);
                        plans.AddRange(myPlans);
                    }
                });
        }

        var since = ForecastModel.PhaseSince(new ForecastHistory { Transitions = [.. transitions] }, asOf);
        var systems = new List<ForecastSystem>(records.Length * 20);
        var versions = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            systems.AddRange(ForecastSystems.Of(record.Code, record.Systems, since));
            versions[record.Code] = record.Version;
        }

        foreach (var record in prefectureRun)
        {
            systems.AddRange(ForecastSystems.OfPrefectureRun(record, since));
            versions[record.Code] = record.Version;
        }

        var history = new ForecastHistory { Transitions = [.. transitions], Plans = [.. plans] };
        return new ForecastInputs(systems, history, asOf, readAt, read.Unreadable) { Versions = versions };
    }

    // One body's audit trail up to its version, as phase moves and plans.
    private async Task ReadHistoryAsync(string code, long version, List<PhaseTransition> transitions, List<PlanRecord> plans, CancellationToken cancellationToken)
    {
        AuditCursor? after = null;
        do
        {
            var page = await audit.ReadAsync(code, version, after, 1000, cancellationToken);
            foreach (var entry in page.Entries)
            {
                AuditHistory.Add(entry, transitions, plans);
            }

            after = page.Next;
        }
        while (after is not null);
    }
}
