using System.Diagnostics;
using System.Globalization;

namespace Readiness.LoadTests;

/// <summary>The five scenarios of the issue, and the write path's floor beside the product (<see cref="WriteCeiling"/>). Each fills the run's figures, targets and audit.</summary>
public static class Scenarios
{
    public const double FreshnessTargetMs = 1000;
    public const double DeliveryTargetMs = 2000;

    public static Task RunAsync(LoadRun run, CancellationToken cancellationToken) => run.Options.Scenario switch
    {
        "deadline-rush" => DeadlineRushAsync(run, cancellationToken),
        "steady" => SteadyAsync(run, cancellationToken),
        "viewers" => ViewersAsync(run, cancellationToken),
        "capacity" => CapacityAsync(run, cancellationToken),
        "failover" => FailoverAsync(run, cancellationToken),
        "write-ceiling" => WriteCeiling.RunAsync(run, cancellationToken),
        _ => throw new ArgumentException(run.Options.Scenario),
    };

    /// <summary>The warm-up's reports, recorded apart from the rush's.</summary>
    public const string WarmUpOperation = "POST full report (warm-up)";

    /// <summary>Issue #14's failover target: writes back to normal, and every request answered, within this many seconds of the kill.</summary>
    private const double FailoverTargetSeconds = 3;

    /// <summary>The failover's warm-up changes, recorded apart from the measured ones.</summary>
    public const string WarmUpSingleOperation = "PUT single change (warm-up)";

    /// <summary>Every municipality sends a full report, then a burst of single changes, within the window; viewers watch.</summary>
    private static async Task DeadlineRushAsync(LoadRun run, CancellationToken cancellationToken)
    {
        var o = run.Options;
        var rate = o.Rate ?? 2000;
        var streams = o.Streams ?? 200;
        var readRate = o.ReadRate ?? 100;
        var window = TimeSpan.FromSeconds(o.WindowSeconds);
        var (slots, timeline, watcher, viewers, stop) = await PrepareAsync(run, streams, cancellationToken);
        var baseVersion = await LoadRun.QuietVersionAsync(watcher, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(15), cancellationToken);
        run.StartProgress(() => $"nation +{watcher.LastVersion - baseVersion}");

        // A deadline day's server has served reports before: some first, audited like the rest (their municipalities
        // report again in the rush), then a pause for the runtime to finish compiling what they ran.
        var warmUp = slots.Take(o.WarmUpReports).ToList();
        if (warmUp.Count > 0)
        {
            Console.WriteLine($"Warm-up: {warmUp.Count} full reports before the clock");
            await SendFullReportsAsync(run, warmUp, 8, WarmUpOperation, cancellationToken);
            await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
        }

        run.Figure("warm-up before the rush's clock", warmUp.Count > 0
            ? $"{warmUp.Count:N0} full reports (the rush's reports are timed on a server that has served reports before; --warm-up 0 times a cold one)"
            : "none (--warm-up 0: the rush meets a server that has not yet run its report path)");
        Console.WriteLine($"Deadline rush: {slots.Count} full reports, then single changes at {rate}/s until {window.TotalSeconds:F0} s; {streams} streams, {readRate} reads/s");
        var windowClock = Stopwatch.StartNew();
        var reads = run.ViewerReadsAsync(readRate, window, cancellationToken);

        // Every municipality's full report (20 systems, 47 items), as fast as the server takes them, timed from when the bodies are built.
        var reportsClock = new Stopwatch();
        var accepted = await SendFullReportsAsync(run, slots, o.ReportConcurrency, "POST full report", cancellationToken, reportsClock.Start);
        var reportsTook = reportsClock.Elapsed;
        run.Check($"all {slots.Count:N0} full reports (20 systems + 47 items each) accepted", "≤ 2 s" + (slots.Count < 1741 ? " (for 1,741)" : string.Empty),
            $"{reportsTook.TotalSeconds:F2} s ({accepted:N0} accepted, {accepted / reportsTook.TotalSeconds:F0} reports/s, {o.ReportConcurrency} in flight)",
            slots.Count == 1741 ? reportsTook.TotalSeconds <= 2 && accepted == slots.Count : null,
            "CPU: per report the server parses and validates 67 targets, fingerprints the request, "
            + (o.ReportReturn == "minimal" ? "answers 204 with the new version (return=minimal)" : "renders the report's audit entries and the municipality view as the answer")
            + ", and writes its 67 audit rows with the grain state (one group commit shared by the reports waiting; SQLite takes one writer at a time); the notification dispatcher reads the new audit rows meanwhile; a fresh server still compiles its code; the generator and the viewers share the 2 cores");

        // The burst of single changes for the rest of the window.
        var remaining = window - windowClock.Elapsed;
        var picker = new SlotPicker(slots, o.Seed);
        var (offered, sent, saturated) = remaining > TimeSpan.Zero
            ? await OpenLoop.RunAsync(rate, remaining, o.MaxInflight, ct => SingleAsync(run, picker, ct), cancellationToken)
            : (0, 0, 0);
        await reads;
        run.Figure("single changes offered / sent / not sent (client at its in-flight bound)", $"{offered:N0} / {sent:N0} / {saturated:N0} in {Math.Max(0, remaining.TotalSeconds):F1} s");
        SingleChangeTarget(run, rate, remaining, offered, saturated);

        await FreshnessAsync(run, timeline, watcher, baseVersion, "under the deadline-rush load", cancellationToken);
        run.Figure("live-update streams held", $"{viewers.Count(v => v.Connected):N0} of {viewers.Count:N0} connected at the end, {viewers.Sum(v => v.Events):N0} events received");
        await stop();
        await AuditAsync(run, slots, cancellationToken);
    }

    /// <summary>
    /// Sends each slot's full report, <paramref name="concurrency"/> at a time, one in flight per municipality; returns
    /// how many were accepted. The bodies are built first (each client has its own ready: building them is not the
    /// server's time), then <paramref name="started"/> is called.
    /// </summary>
    private static async Task<long> SendFullReportsAsync(LoadRun run, IReadOnlyList<MunicipalitySlot> slots, int concurrency, string operation, CancellationToken cancellationToken, Action? started = null)
    {
        var reports = slots.Select(slot => (Slot: slot, Body: run.Writers.FullReportBody(slot))).ToList();
        started?.Invoke();
        long accepted = 0;
        await Parallel.ForEachAsync(reports, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken }, async (report, ct) =>
        {
            report.Slot.TryEnter();
            try
            {
                if (await run.Writers.FullReportAsync(report.Slot, report.Body, ct, operation))
                {
                    Interlocked.Increment(ref accepted);
                }
            }
            finally
            {
                report.Slot.Leave();
            }
        });
        return accepted;
    }

    /// <summary>A normal day's rate (default 30 changes/s, a busy day compressed) for a set time, with a few viewers.</summary>
    private static async Task SteadyAsync(LoadRun run, CancellationToken cancellationToken)
    {
        var o = run.Options;
        var rate = o.Rate ?? 30;
        var duration = TimeSpan.FromSeconds(o.DurationSeconds ?? 60);
        var (slots, timeline, watcher, viewers, stop) = await PrepareAsync(run, o.Streams ?? 20, cancellationToken);
        var baseVersion = await LoadRun.QuietVersionAsync(watcher, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(15), cancellationToken);
        run.StartProgress(() => $"nation +{watcher.LastVersion - baseVersion}");
        Console.WriteLine($"Steady: {rate}/s single changes for {duration.TotalSeconds:F0} s, {viewers.Count} streams, {o.ReadRate ?? 10} reads/s");
        var picker = new SlotPicker(slots, o.Seed);

        // A normal day's server is warm: the warm-up keeps its first compilation out of the p99 and the freshness.
        (baseVersion, var warmUpAcks) = await WarmUpSinglesAsync(run, picker, rate, watcher, baseVersion, cancellationToken);
        var reads = run.ViewerReadsAsync(o.ReadRate ?? 10, duration, cancellationToken);
        var (offered, sent, saturated) = await OpenLoop.RunAsync(rate, duration, o.MaxInflight, ct => SingleAsync(run, picker, ct), cancellationToken);
        await reads;
        run.Figure("single changes offered / sent / not sent", $"{offered:N0} / {sent:N0} / {saturated:N0}");
        var writes = run.Recorder["PUT single change"];
        run.Check("single changes at a normal day's rate", "p99 ≤ 50 ms", $"{writes.Count / duration.TotalSeconds:F0}/s, p99 {LoadRun.Ms(writes.Percentile(99))}", LoadRun.IfMeasured(writes.Count, writes.Percentile(99) <= 50),
            "far below capacity: latency is the audit rows' group commit plus the grain state's commit (each an fsync)");
        await FreshnessAsync(run, timeline, watcher, baseVersion, "at a normal day's rate", cancellationToken, skipAcks: warmUpAcks);
        await stop();
        await AuditAsync(run, slots, cancellationToken);
    }

    /// <summary>The trivial-endpoint ceiling vs summary reads, then thousands of subscribers with reads and probe changes.</summary>
    private static async Task ViewersAsync(LoadRun run, CancellationToken cancellationToken)
    {
        var o = run.Options;
        var count = o.Streams ?? 10000;
        var duration = TimeSpan.FromSeconds(o.DurationSeconds ?? 60);
        var slots = Writers.CreateSlots(Math.Min(o.Municipalities, 200), o.Seed, run.Target.Tokens);
        await run.Writers.SyncAsync(slots, 32, cancellationToken);

        // 1. The ceiling: the same host's trivial endpoint, then the nation summary, each closed loop with the same callers.
        const int Workers = 64;
        var phase = TimeSpan.FromSeconds(10);
        Console.WriteLine($"Ceiling: {Workers} callers, {phase.TotalSeconds:F0} s each on /health/live, then /api/v1/nation");
        await run.ClosedLoopReadsAsync("GET /health/live (warm-up)", "/health/live", authorized: false, Workers, TimeSpan.FromSeconds(2), cancellationToken);
        await run.ClosedLoopReadsAsync("GET nation (warm-up)", "api/v1/nation", authorized: true, Workers, TimeSpan.FromSeconds(2), cancellationToken);
        var trivial = await run.ClosedLoopReadsAsync("GET /health/live (ceiling)", "/health/live", authorized: false, Workers, phase, cancellationToken);
        var summary = await run.ClosedLoopReadsAsync("GET nation (ceiling)", "api/v1/nation", authorized: true, Workers, phase, cancellationToken);
        var nationBytes = await NationSizeAsync(run, cancellationToken);
        run.Figure("trivial endpoint ceiling (GET /health/live)", $"{trivial:N0} requests/s");
        run.Figure("nation summary (GET /api/v1/nation)", $"{summary:N0} requests/s, {nationBytes / 1024.0:F0} KiB each");
        run.Check("summary reads vs the trivial endpoint of the same host, same run", "≥ 50 %", $"{summary / trivial * 100:F0} % ({summary:N0} vs {trivial:N0} requests/s)", summary >= trivial / 2,
            "each nation version is serialized and compressed once and then served from memory; what remains per request is authentication, the rate-limit lease and one grain call, which /health/live skips");

        // 2. The subscribers, then probe changes while the readers read.
        Probe? probe = null;
        var delivery = new Samples();
        void OnVersion(NationStream s, long version, long timestamp)
        {
            var p = Volatile.Read(ref probe);
            if (p is not null && version >= p.Version && s.ProbeSeen != p.Id)
            {
                s.ProbeSeen = p.Id;
                var ack = Interlocked.Read(ref p.AckTimestamp);
                p.Deliveries.Add(ack == 0 ? 0 : Math.Max(0, Stopwatch.GetElapsedTime(ack, timestamp).TotalMilliseconds));
            }
        }

        using var streamsStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Console.WriteLine($"Opening {count:N0} live-update streams ...");
        var (streams, running, took) = await run.OpenStreamsAsync(count, OnVersion, streamsStop.Token);
        var connected = streams.Count(s => s.FirstEvent.Task.IsCompleted);
        run.Figure("live-update streams opened", $"{connected:N0} of {count:N0} in {took.TotalSeconds:F1} s");
        run.StartProgress(() => $"streams {streams.Count(s => s.Connected):N0}");
        var watcher = streams[0];

        var reads = run.ViewerReadsAsync(o.ReadRate ?? 200, duration, cancellationToken);
        var probes = new List<Probe>();
        var clock = Stopwatch.StartNew();
        var picker = new SlotPicker(slots, o.Seed);
        while (clock.Elapsed < duration - TimeSpan.FromSeconds(6))
        {
            var quiet = await LoadRun.QuietVersionAsync(watcher, TimeSpan.FromMilliseconds(800), TimeSpan.FromSeconds(5), cancellationToken);
            var next = new Probe(probes.Count + 1, quiet + 1);
            Volatile.Write(ref probe, next);
            var slot = picker.Enter();
            if (slot is null)
            {
                continue;
            }

            try
            {
                await run.Writers.SingleChangeAsync(slot, cancellationToken);
            }
            finally
            {
                slot.Leave();
            }

            Interlocked.Exchange(ref next.AckTimestamp, Stopwatch.GetTimestamp());
            probes.Add(next);
            await Task.Delay(TimeSpan.FromSeconds(4), cancellationToken);
            foreach (var d in next.Deliveries)
            {
                delivery.Add(d);
            }
        }

        await reads;
        var connectedAtEnd = streams.Count(s => s.Connected);
        var perProbe = probes.Select(p => (Within: p.Deliveries.Count(d => d <= DeliveryTargetMs), p.Deliveries.Count)).ToList();
        var worst = perProbe.Count == 0 ? 0 : perProbe.Min(p => p.Within);
        run.Figure("probe changes", $"{probes.Count} (one every ~5 s while {o.ReadRate ?? 200} reads/s ran)");
        run.Check($"{count:N0} concurrent live-update subscribers on one web node, each receiving an update", "≤ 2 s, all of them",
            $"worst probe: {worst:N0} of {count:N0} within 2 s; delivery p50 {LoadRun.Ms(delivery.Percentile(50))}, p99 {LoadRun.Ms(delivery.Percentile(99))}, max {LoadRun.Ms(delivery.Max)}; {connectedAtEnd:N0} connected at the end",
            probes.Count > 0 && worst == count && connectedAtEnd == count,
            "the web node polls the nation every 300 ms and writes one pre-serialized event per change to every stream; the cost is bytes × subscribers");
        await streamsStop.CancelAsync();
        await Task.WhenAll(running);
        await AuditAsync(run, slots, cancellationToken);
    }

    /// <summary>Raises the write rate step by step until p99 passes its objective or errors pass 0.1 %.</summary>
    /// <summary>
    /// The bracket the capacity steps place the envelope in: the highest rate within the objective, and the first rate
    /// above it that was not. A lower step over the objective (a first step's warm-up blip) does not close the bracket
    /// below a higher step that was within: a run once reported 1,500/s with no refinement because its first step,
    /// 1,000/s, had a 61 ms p99 and every later bracket was ignored.
    /// </summary>
    public static (double? LastWithin, double? FirstBeyond) Bracket(IReadOnlyList<(double Rate, bool Within)> steps)
    {
        double? lastWithin = null;
        double? firstBeyond = null;
        foreach (var (rate, within) in steps)
        {
            if (within)
            {
                lastWithin = rate;
                firstBeyond = null;
            }
            else
            {
                firstBeyond ??= rate;
            }
        }

        return (lastWithin, firstBeyond);
    }

    private static async Task CapacityAsync(LoadRun run, CancellationToken cancellationToken)
    {
        var o = run.Options;
        var slots = Writers.CreateSlots(o.Municipalities, o.Seed, run.Target.Tokens);
        Console.WriteLine($"Reading {slots.Count:N0} municipalities ...");
        await run.Writers.SyncAsync(slots, 64, cancellationToken);
        run.StartProgress();
        var picker = new SlotPicker(slots, o.Seed);
        double? envelope = null;
        (double Rate, double P99)? ceiling = null;
        var steps = new List<string>();

        // Warm-up (JIT, connection pools, grain activations), left out of the steps.
        await OpenLoop.RunAsync(o.StartRate, TimeSpan.FromSeconds(5), o.MaxInflight, ct => SingleAsync(run, picker, ct, "PUT single change (warm-up)"), cancellationToken);
        async Task<(bool WithinObjective, bool KeptUp)> StepAsync(double rate, string label)
        {
            var name = $"PUT single change @ {rate:F0}/s{label}";
            Console.WriteLine($"Step: {rate:F0} changes/s for {o.StepSeconds:F0} s{label}");
            var (offered, sent, saturated) = await OpenLoop.RunAsync(rate, TimeSpan.FromSeconds(o.StepSeconds), o.MaxInflight,
                ct => SingleAsync(run, picker, ct, name), cancellationToken);
            var op = run.Recorder[name];
            var completed = op.Statuses.Where(s => OperationStats.IsSuccess(s.Key)).Sum(s => s.Value);
            var errorRate = op.Count == 0 ? 1 : (double)op.Failures / op.Count;
            var achieved = completed / o.StepSeconds;
            var p99 = op.Percentile(99);
            var withinObjective = p99 <= o.ObjectiveP99Ms && errorRate <= 0.001 && saturated <= offered * 0.05;
            var keptUp = errorRate <= 0.001 && achieved >= rate * 0.9 && saturated <= offered * 0.05;
            steps.Add($"{rate:F0}/s offered{label}: {achieved:F0}/s done, p50 {LoadRun.Ms(op.Percentile(50))}, p99 {LoadRun.Ms(p99)}, errors {errorRate * 100:F2} %, not sent {saturated:N0} → "
                + (withinObjective ? "within the objective" : keptUp ? "kept up, p99 over the objective" : "not sustained"));
            Console.WriteLine("  " + steps[^1]);
            if (withinObjective)
            {
                envelope = Math.Max(envelope ?? 0, achieved);
            }

            if (keptUp && (ceiling is null || achieved > ceiling.Value.Rate))
            {
                ceiling = (achieved, p99);
            }

            return (withinObjective, keptUp);
        }

        var stepped = new List<(double Rate, bool Within)>();
        for (var rate = o.StartRate; rate <= o.MaxRate; rate = Math.Round(rate * 1.5))
        {
            var (within, keptUp) = await StepAsync(rate, string.Empty);
            stepped.Add((rate, within));
            if (!keptUp)
            {
                break;
            }
        }

        var (lastWithin, firstBeyond) = Bracket(stepped);

        // The ×1.5 steps only bracket the envelope; halve the bracket (geometric middle) a few times to place it.
        for (var i = 0; i < o.Refinements && lastWithin is { } low && firstBeyond is { } high && high / low > 1.1; i++)
        {
            await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken); // let the backlog of an overloaded step drain
            var middle = Math.Round(Math.Sqrt(low * high));
            if ((await StepAsync(middle, " (refining)")).WithinObjective)
            {
                lastWithin = middle;
            }
            else
            {
                firstBeyond = middle;
            }
        }

        for (var i = 0; i < steps.Count; i++)
        {
            run.Figure($"step {i + 1}", steps[i]);
        }

        run.Figure("throughput ceiling (highest step the server kept up with, whatever its latency)", ceiling is { } c ? $"{c.Rate:N0}/s at p99 {LoadRun.Ms(c.P99)}" : "none");
        run.Check("single durable changes through HTTP (the operating envelope: highest rate with p99 within objective, errors ≤ 0.1 %)",
            $"≥ 5,000/s with p99 ≤ {o.ObjectiveP99Ms:F0} ms", envelope is { } e ? $"{e:N0}/s" : "no step sustained", envelope >= 5000,
            "CPU (server plus generator on 2 cores): per change JWT validation, JSON in and out (the full municipality view unless Prefer: return=minimal), an Orleans call, validation, the state with its audit rows in a shared group commit; compare the raw ceilings of the same run");
        await RawCeilings.MeasureAsync(run, cancellationToken);
        await AuditAsync(run, slots, cancellationToken);
    }

    /// <summary>On the local cluster: a steady write load, one silo killed (kill -9) half-way, the effect reported.</summary>
    private static async Task FailoverAsync(LoadRun run, CancellationToken cancellationToken)
    {
        var o = run.Options;
        var rate = o.Rate ?? 300;
        var duration = TimeSpan.FromSeconds(o.DurationSeconds ?? 40);
        var cluster = (LocalCluster)run.Target;
        var (slots, timeline, watcher, _, stop) = await PrepareAsync(run, o.Streams ?? 0, cancellationToken);
        var baseVersion = await LoadRun.QuietVersionAsync(watcher, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(15), cancellationToken);
        run.StartProgress(() => $"nation +{watcher.LastVersion - baseVersion}");
        var picker = new SlotPicker(slots, o.Seed);

        // A cluster under load has run its write path before a silo dies: the warm-up takes the first activations and
        // compilation out of the seconds before the kill, which are the recovery's yardstick, and out of the freshness.
        (baseVersion, var warmUpAcks) = await WarmUpSinglesAsync(run, picker, rate, watcher, baseVersion, cancellationToken);
        Console.WriteLine($"Failover: {rate}/s single changes for {duration.TotalSeconds:F0} s; silo 1 is killed at {duration.TotalSeconds / 2:F0} s");
        var killAt = -1.0;
        var killer = Task.Run(async () =>
        {
            await Task.Delay(duration / 2, cancellationToken);
            killAt = run.Recorder.Clock.Elapsed.TotalSeconds;
            var pid = cluster.KillSilo(1);
            Console.WriteLine($"  killed silo 1 (pid {pid}) at {killAt:F1} s");
        }, cancellationToken);
        var (offered, sent, saturated) = await OpenLoop.RunAsync(rate, duration, o.MaxInflight, ct => SingleAsync(run, picker, ct), cancellationToken);
        await killer;
        run.Figure("single changes offered / sent / not sent", $"{offered:N0} / {sent:N0} / {saturated:N0}");

        var op = run.Recorder["PUT single change"];
        var series = op.Series();
        var (before, after, normal, recovered) = FailoverRecovery.Measure(series, killAt, o.ObjectiveP99Ms);
        run.Figure("per-second p99 before the kill (worst second)", LoadRun.Ms(before));
        run.Figure("worst latency after the kill", LoadRun.Ms(after.Select(s => s.P99).DefaultIfEmpty(double.NaN).Max()) + $" (p99 of the worst second), max {LoadRun.Ms(op.MaxMs)}");
        // The issue's target (#14): back to normal within 3 s of the kill and no request over 3 s, nothing lost or applied twice (the audit).
        run.Check("failover: writes back to normal after kill -9 of one of two silos", "≤ 3 s after the kill, no request over 3 s; nothing lost, nothing applied twice",
            (recovered is { } r ? $"p99 back within {normal:F0} ms (the worst second before the kill, or twice the objective) for 3 s in a row from {r:F1} s after the kill" : "did not recover within the run")
                + $"; slowest request {LoadRun.Ms(op.MaxMs)}; {run.Writers.Retries:N0} client retries (same Idempotency-Key)",
            recovered is <= FailoverTargetSeconds && op.MaxMs <= FailoverTargetSeconds * 1000,
            "failure detection (a killed silo's port refuses connections: declared dead ~0.1-0.4 s after the kill; a silo that stops answering without exiting: probes every 1 s, ~1-2 s), then the dead silo's grains activated again on the survivor (each reads its state) as their next calls arrive");
        await FreshnessAsync(run, timeline, watcher, baseVersion, "through the failover", cancellationToken, skipAcks: warmUpAcks);
        await stop();
        await AuditAsync(run, slots, cancellationToken);
    }

    /// <summary>
    /// --warm-up-seconds of single changes at <paramref name="rate"/> before the clock (steady, failover), recorded as
    /// <see cref="WarmUpSingleOperation"/> and audited with the rest; then a quiet nation version. Returns that version and
    /// how many acknowledgements the warm-up made (the freshness figure leaves them out).
    /// </summary>
    private static async Task<(long BaseVersion, int WarmUpAcks)> WarmUpSinglesAsync(LoadRun run, SlotPicker picker, double rate, NationStream watcher, long baseVersion, CancellationToken cancellationToken)
    {
        var seconds = run.Options.WarmUpSeconds;
        var acks = 0;
        var shown = seconds.ToString("0.##", CultureInfo.InvariantCulture);
        if (seconds > 0)
        {
            Console.WriteLine($"Warm-up: {rate}/s single changes for {shown} s before the clock");
            var (offered, sent, saturated) = await OpenLoop.RunAsync(rate, TimeSpan.FromSeconds(seconds), run.Options.MaxInflight, ct => SingleAsync(run, picker, ct, WarmUpSingleOperation), cancellationToken);
            baseVersion = await LoadRun.QuietVersionAsync(watcher, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(15), cancellationToken);
            acks = run.Writers.AckTimestamps.Count;
            run.Figure("warm-up single changes offered / sent / not sent", $"{offered:N0} / {sent:N0} / {saturated:N0}");
        }

        run.Figure("warm-up before the clock", seconds > 0
            ? $"{acks:N0} single changes acknowledged in {shown} s (left out of the latency and freshness figures, audited with the rest; --warm-up-seconds 0 measures a cold server)"
            : "none (--warm-up-seconds 0: the first seconds include the server's first activations and compilation)");
        return (baseVersion, acks);
    }

    private static async Task<bool> SingleAsync(LoadRun run, SlotPicker picker, CancellationToken cancellationToken, string operation = "PUT single change")
    {
        var slot = picker.Enter();
        if (slot is null)
        {
            return false;
        }

        try
        {
            await run.Writers.SingleChangeAsync(slot, cancellationToken, operation);
            return true;
        }
        finally
        {
            slot.Leave();
        }
    }

    private static void SingleChangeTarget(LoadRun run, double rate, TimeSpan remaining, long offered, long saturated)
    {
        var op = run.Recorder["PUT single change"];
        var achieved = op.Statuses.Where(s => OperationStats.IsSuccess(s.Key)).Sum(s => s.Value) / Math.Max(1, remaining.TotalSeconds);
        var met = SingleChangesMet(offered, achieved, op.Percentile(99));
        run.Check("single durable changes through HTTP during the rush", "≥ 5,000/s with p99 ≤ 50 ms",
            met is null
                ? $"not measured: the full reports left {Math.Max(0, remaining.TotalSeconds):F1} s of the window, too little for one change at {rate:N0}/s"
                : $"{achieved:N0}/s done of {rate:N0}/s offered, p99 {LoadRun.Ms(op.Percentile(99))}, {op.Failures:N0} failed, {saturated:N0} not sent",
            met,
            met is null
                ? "lengthen the window (--window) to measure single changes after the reports"
                : "see the capacity scenario for the operating envelope; here the offered rate is fixed by --rate");
    }

    /// <summary>
    /// Whether the rush's single changes met issue 14's target (≥ 5,000/s acknowledged, p99 ≤ 50 ms); null when none was
    /// offered (the full reports took the whole window), which is not a miss.
    /// </summary>
    public static bool? SingleChangesMet(long offered, double achievedPerSecond, double p99Ms) =>
        LoadRun.IfMeasured(offered, achievedPerSecond >= 5000 && p99Ms <= 50);

    private static async Task<(IReadOnlyList<MunicipalitySlot> Slots, NationTimeline Timeline, NationStream Watcher, List<NationStream> Viewers, Func<Task> Stop)> PrepareAsync(
        LoadRun run, int streams, CancellationToken cancellationToken)
    {
        var slots = Writers.CreateSlots(run.Options.Municipalities, run.Options.Seed, run.Target.Tokens);
        Console.WriteLine($"Reading {slots.Count:N0} municipalities (ETags and phases) ...");
        await run.Writers.SyncAsync(slots, 64, cancellationToken);
        var timeline = new NationTimeline();
        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watcher = new NationStream(run.Sse, timeline.Observe);
        var watching = Task.Run(() => watcher.RunAsync(null, stop.Token), CancellationToken.None);
        var (viewers, running, took) = streams > 0 ? await run.OpenStreamsAsync(streams, null, stop.Token) : ([], [], TimeSpan.Zero);
        run.Figure("live-update streams opened", $"{viewers.Count(s => s.FirstEvent.Task.IsCompleted):N0} of {streams:N0} in {took.TotalSeconds:F1} s");
        return (slots, timeline, watcher, viewers, async () =>
        {
            await stop.CancelAsync();
            await Task.WhenAll(running.Append(watching));
            stop.Dispose();
        });
    }

    /// <param name="skipAcks">The first acknowledgements to leave out (a warm-up's, reflected before <paramref name="baseVersion"/>).</param>
    private static async Task FreshnessAsync(LoadRun run, NationTimeline timeline, NationStream watcher, long baseVersion, string when, CancellationToken cancellationToken, int skipAcks = 0)
    {
        var acks = run.Writers.AckTimestamps.Order().Skip(skipAcks).ToArray();
        var reflected = await LoadRun.WaitForVersionAsync(watcher, baseVersion + acks.Length, TimeSpan.FromSeconds(20));
        var (freshness, unreflected) = timeline.Freshness(baseVersion, acks);
        run.Check($"freshness {when}: acknowledgement → nation summary (live stream)", "p99 ≤ 1 s",
            $"p50 {LoadRun.Ms(freshness.Percentile(50))}, p95 {LoadRun.Ms(freshness.Percentile(95))}, p99 {LoadRun.Ms(freshness.Percentile(99))}, max {LoadRun.Ms(freshness.Max)} over {freshness.Count:N0} changes"
                + (unreflected > 0 ? $"; {unreflected:N0} not visible within 20 s after the load" : string.Empty),
            LoadRun.IfMeasured(acks.Length, freshness.Count > 0 && freshness.Percentile(99) <= FreshnessTargetMs && reflected),
            "the municipality pushes its summary one-way to its prefecture, the prefecture debounces and pushes to the nation, the web node polls the nation every 300 ms");
        run.Figure("nation version", $"{baseVersion:N0} before, {watcher.LastVersion:N0} after: +{watcher.LastVersion - baseVersion:N0} for {acks.Length:N0} acknowledged changes");
        _ = cancellationToken;
    }

    private static async Task AuditAsync(LoadRun run, IReadOnlyList<MunicipalitySlot> slots, CancellationToken cancellationToken)
    {
        Console.WriteLine("Audit: reading the history of every municipality that wrote ...");
        var audit = await Audit.RunAsync(run.Http, slots, run.Recorder, cancellationToken);
        run.Audit = audit;
        run.Figure("412 conflicts retried with the new ETag", run.Writers.Conflicts.ToString("N0", CultureInfo.InvariantCulture));
        run.Figure("retries after a timeout, 429 or 5xx (same Idempotency-Key)", run.Writers.Retries.ToString("N0", CultureInfo.InvariantCulture));
        run.Figure("changes refused by the domain rules (422)", run.Writers.RefusedByRules.ToString("N0", CultureInfo.InvariantCulture));
        Console.WriteLine($"  audit: acknowledged {audit.Acknowledged:N0}, found {audit.Found:N0}, lost {audit.Lost:N0}, applied twice {audit.AppliedTwice:N0} → {(audit.Passed ? "passed" : "FAILED")}");
    }

    private static async Task<long> NationSizeAsync(LoadRun run, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/nation");
        request.Headers.Authorization = run.National;
        using var response = await run.Http.SendAsync(request, cancellationToken);
        return (await response.Content.ReadAsByteArrayAsync(cancellationToken)).LongLength;
    }

    private sealed class Probe(int id, long version)
    {
        public int Id { get; } = id;

        public long Version { get; } = version;

        public long AckTimestamp;

        public System.Collections.Concurrent.ConcurrentBag<double> Deliveries { get; } = [];
    }
}
