using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace Readiness.LoadTests;

/// <summary>Everything one run shares: the target, the HTTP clients, the recorder, and what goes into the report.</summary>
public sealed class LoadRun : IAsyncDisposable
{
    private readonly List<TargetCheck> targets = [];
    private readonly Dictionary<string, string> figures = new(StringComparer.Ordinal);
    private readonly List<string> notes = [];
    private readonly DateTimeOffset startedAt = DateTimeOffset.UtcNow;
    private readonly CancellationTokenSource progressStop = new();
    private Task? progress;
    private (double Load1, TimeSpan Client, TimeSpan Server, long? Written) startUsage;

    /// <summary>Server CPU spent on measurements that are not changes (the raw ceilings), left out of the CPU per change.</summary>
    public TimeSpan ExcludedServerCpu { get; set; }

    /// <summary>The server processes' CPU time so far.</summary>
    public TimeSpan ServerCpuTime() => ServerCpu(Target);

    /// <summary>Bytes the server allocated for measurements that are not changes (the raw ceilings), left out of the allocation per change.</summary>
    public double ExcludedServerAllocation { get; set; }

    private double? startAllocated;

    private LoadRun(RunOptions options, SystemUnderTest target, string resultsFolder)
    {
        Options = options;
        Target = target;
        ResultsFolder = resultsFolder;
        RunId = $"{options.Seed}{DateTime.UtcNow:HHmmss}";
        Http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.MaxInflight + options.ReportConcurrency + 256,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseCookies = false,
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(10),
        })
        { BaseAddress = target.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };

        // Event streams get their own pool: thousands of long-lived connections must not starve the writers.
        Sse = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = int.MaxValue,
            UseCookies = false,
            ConnectTimeout = TimeSpan.FromSeconds(30),
        })
        { BaseAddress = target.BaseUrl, Timeout = Timeout.InfiniteTimeSpan };
        National = new AuthenticationHeaderValue("Bearer", target.Tokens.National("load-test-viewer@digital.go.jp.example"));
        // Summaries, the stream included, are for signed-in viewers unless an operator opens them to anonymous readers.
        Sse.DefaultRequestHeaders.Authorization = National;
        Writers = new Writers(Http, Recorder, RunId, options.Return, options.ReportReturn);
    }

    public RunOptions Options { get; }

    public SystemUnderTest Target { get; }

    public string ResultsFolder { get; }

    public string RunId { get; }

    public Recorder Recorder { get; } = new();

    public HttpClient Http { get; }

    public HttpClient Sse { get; }

    public AuthenticationHeaderValue National { get; }

    public Writers Writers { get; }

    public AuditFigures? Audit { get; set; }

    public static async Task<LoadRun> StartAsync(RunOptions options, string resultsFolder, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(resultsFolder);
        var target = await SystemUnderTest.StartAsync(options, resultsFolder, cancellationToken);
        var run = new LoadRun(options, target, resultsFolder);
        run.startUsage = (LoadAverage(), Process.GetCurrentProcess().TotalProcessorTime, ServerCpu(target), ServerWrittenBytes(target));
        run.startAllocated = await ServerMetrics.ReadAsync(run.Http, ServerMetrics.Allocated, cancellationToken);
        return run;
    }

    /// <summary>
    /// A target's verdict from <paramref name="samples"/> measurements: null (not measured, shown "·") when there were
    /// none, so that a figure over nothing is neither met (a p99 of no requests is 0) nor missed (0/s of nothing offered).
    /// </summary>
    public static bool? IfMeasured(long samples, bool met) => samples == 0 ? null : met;

    public void Check(string name, string target, string measured, bool? met, string limit)
    {
        targets.Add(new TargetCheck(name, target, measured, met, limit));
        Console.WriteLine($"  {(met is null ? "·" : met.Value ? "✓" : "✗")} {name}: {measured} (target {target})");
    }

    public void Figure(string name, string value)
    {
        figures[name] = value;
        Console.WriteLine($"  {name}: {value}");
    }

    public void Note(string note) => notes.Add(note);

    public static string Ms(double ms) => double.IsNaN(ms) ? "n/a" : ms.ToString(ms >= 100 ? "F0" : "F1", CultureInfo.InvariantCulture) + " ms";

    public static string N(double value) => value.ToString(value >= 100 ? "N0" : "N1", CultureInfo.InvariantCulture);

    /// <summary>A console line every 2 s: writes and reads per second, their p99, failures, the nation's version.</summary>
    public void StartProgress(Func<string>? extra = null)
    {
        progress = Task.Run(async () =>
        {
            while (!progressStop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(2000, progressStop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                var second = (int)Recorder.Clock.Elapsed.TotalSeconds - 1;
                var parts = new List<string> { $"[{Recorder.Clock.Elapsed.TotalSeconds,6:F0} s]" };
                foreach (var op in Recorder.Operations.Where(o => o.Count > 0 && !o.Name.StartsWith("SSE", StringComparison.Ordinal)))
                {
                    var (requests, p99) = op.Second(second);
                    if (requests > 0)
                    {
                        parts.Add($"{op.Name} {requests}/s p99 {p99:F0} ms");
                    }
                }

                var failures = Recorder.Operations.Sum(o => o.Failures);
                parts.Add($"failures {failures}");
                if (extra is not null)
                {
                    parts.Add(extra());
                }

                Console.WriteLine(string.Join(" | ", parts));
            }
        });
    }

    /// <summary>Closed loop: `workers` callers each repeating GET path for the duration; returns requests per second.</summary>
    public async Task<double> ClosedLoopReadsAsync(string operation, string path, bool authorized, int workers, TimeSpan duration, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        long done = 0;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed < duration && !cancellationToken.IsCancellationRequested)
            {
                if (await ReadAsync(operation, path, authorized, cancellationToken))
                {
                    Interlocked.Increment(ref done);
                }
            }
        }, cancellationToken)));
        return done / clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Conditional GETs (<c>If-None-Match: *</c>, answered 304 while the resource exists) from <paramref name="workers"/>
    /// callers for <paramref name="duration"/>, each on the next of <paramref name="paths"/>; returns 304s per second.
    /// </summary>
    public async Task<double> ClosedLoopNotModifiedAsync(string operation, IReadOnlyList<string> paths, int workers, TimeSpan duration, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        long done = 0;
        long next = 0;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed < duration && !cancellationToken.IsCancellationRequested)
            {
                var path = paths[(int)(Interlocked.Increment(ref next) % paths.Count)];
                if (await ReadAsync(operation, path, authorized: true, cancellationToken, ifNoneMatchAny: true))
                {
                    Interlocked.Increment(ref done);
                }
            }
        }, cancellationToken)));
        return done / clock.Elapsed.TotalSeconds;
    }

    /// <summary>One GET, recorded; true when it answered 2xx (or 304 when <paramref name="ifNoneMatchAny"/> asked for it).</summary>
    public async Task<bool> ReadAsync(string operation, string path, bool authorized, CancellationToken cancellationToken, bool ifNoneMatchAny = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (authorized)
        {
            request.Headers.Authorization = National;
        }

        if (ifNoneMatchAny)
        {
            request.Headers.IfNoneMatch.Add(System.Net.Http.Headers.EntityTagHeaderValue.Any);
        }

        // As a browser asks; the body is counted, not decompressed, so the generator's CPU does not cap the server's figure.
        request.Headers.AcceptEncoding.ParseAdd("br, gzip");
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            Recorder[operation].Record(Stopwatch.GetElapsedTime(started), Writers.Status(response));
            return ifNoneMatchAny ? response.StatusCode == System.Net.HttpStatusCode.NotModified : response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException && !cancellationToken.IsCancellationRequested)
        {
            Recorder[operation].Record(Stopwatch.GetElapsedTime(started), ex is TaskCanceledException ? "timeout" : "network");
            return false;
        }
    }

    /// <summary>The viewers' mix: the nation API, the overview page, a prefecture; at a fixed rate.</summary>
    public Task<(long Offered, long Sent, long Saturated)> ViewerReadsAsync(double rate, TimeSpan duration, CancellationToken cancellationToken)
    {
        long n = 0;
        var prefectures = Readiness.Catalog.ReadinessCatalog.Instance.Prefectures.Select(p => p.Code).ToArray();
        return OpenLoop.RunAsync(rate, duration, 256, async ct =>
        {
            var i = Interlocked.Increment(ref n);
            return (i % 4) switch
            {
                0 => await ReadAsync("GET overview page", "/", authorized: true, ct),
                1 => await ReadAsync("GET prefecture", $"api/v1/prefectures/{prefectures[i % prefectures.Length]}", authorized: true, ct),
                _ => await ReadAsync("GET nation", "api/v1/nation", authorized: true, ct),
            };
        }, cancellationToken);
    }

    /// <summary>Opens `count` nation streams in batches and waits for each one's first event.</summary>
    public async Task<(List<NationStream> Streams, List<Task> Running, TimeSpan Took)> OpenStreamsAsync(int count, Action<NationStream, long, long>? onVersion, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var streams = new List<NationStream>(count);
        var running = new List<Task>(count);
        for (var i = 0; i < count; i += 500)
        {
            var batch = Enumerable.Range(0, Math.Min(500, count - i)).Select(_ => new NationStream(Sse, onVersion)).ToList();
            streams.AddRange(batch);
            running.AddRange(batch.Select(s => Task.Run(() => s.RunAsync(Recorder, cancellationToken), CancellationToken.None)));
            await Task.WhenAny(Task.WhenAll(batch.Select(s => s.FirstEvent.Task)), Task.Delay(TimeSpan.FromSeconds(30), cancellationToken));
        }

        await Task.WhenAny(Task.WhenAll(streams.Select(s => s.FirstEvent.Task)), Task.Delay(TimeSpan.FromSeconds(60), cancellationToken));
        return (streams, running, clock.Elapsed);
    }

    /// <summary>
    /// Waits up to 60 s for the stream's first event (the nation as it is); past that the run cannot measure anything,
    /// and says why (e.g. the server refusing the generator's streams: 429 too_many_streams).
    /// </summary>
    public static async Task FirstEventAsync(NationStream stream, CancellationToken cancellationToken)
    {
        try
        {
            await stream.FirstEvent.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException(
                $"The nation's event stream gave no event within 60 s: {stream.Failures:N0} connects refused or failed, the last {stream.LastFailure ?? "none"}. " +
                "A 429 too_many_streams means a Readiness:RateLimits stream limit refuses the generator's streams (they share one identity).");
        }
    }

    /// <summary>Waits until the timeline's version stops moving (nothing in flight), returns it.</summary>
    public static async Task<long> QuietVersionAsync(NationStream stream, TimeSpan settle, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await FirstEventAsync(stream, cancellationToken);
        var clock = Stopwatch.StartNew();
        var last = stream.LastVersion;
        var since = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            await Task.Delay(100, cancellationToken);
            if (stream.LastVersion != last)
            {
                last = stream.LastVersion;
                since.Restart();
            }
            else if (since.Elapsed >= settle)
            {
                break;
            }
        }

        return last;
    }

    /// <summary>Waits (up to the timeout) for the nation to show at least the given version.</summary>
    public static async Task<bool> WaitForVersionAsync(NationStream stream, long version, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (stream.LastVersion < version && clock.Elapsed < timeout)
        {
            await Task.Delay(50);
        }

        return stream.LastVersion >= version;
    }

    public async Task<RunReport> FinishAsync()
    {
        await progressStop.CancelAsync();
        if (progress is not null)
        {
            await progress;
        }

        var seconds = Recorder.Clock.Elapsed.TotalSeconds;
        var clientCpu = (Process.GetCurrentProcess().TotalProcessorTime - startUsage.Client).TotalSeconds;
        var serverCpu = (ServerCpu(Target) - startUsage.Server).TotalSeconds;

        // A server this run did not start (--base-url) has no process here to read: its CPU is not measured, not zero.
        var serverMeasured = Target.ServerPids.Count > 0;
        notes.Add((serverMeasured ? $"CPU: the server used {serverCpu / seconds:F2} cores on average and " : "CPU: the server's is not measured (a server this run did not start); ")
            + $"the load generator used {clientCpu / seconds:F2} cores, of {Environment.ProcessorCount}; "
            + $"load average (1 min) {startUsage.Load1:F2} at the start, {LoadAverage():F2} at the end. Everything shares this machine: "
            + "the generator's own CPU is taken from the server, and other work on the machine (other builds and tests) shows in the load average.");
        if (Writers.AckTimestamps.Count is var acknowledged and > 0)
        {
            var changeCpu = serverCpu - ExcludedServerCpu.TotalSeconds;
            if (serverMeasured)
            {
                notes.Add($"Server CPU per acknowledged change: {changeCpu * 1000 / acknowledged:F2} ms ({changeCpu:F1} CPU-seconds over {acknowledged:N0} acknowledged changes and reports; "
                    + "the scenario's reads included, the raw ceilings' requests left out).");
            }

            if (startAllocated is { } before && await ServerMetrics.ReadAsync(Http, ServerMetrics.Allocated) is { } after)
            {
                // Target of issue 14: at most 10 KB allocated on the server per accepted change.
                var perChange = (after - before - ExcludedServerAllocation) / acknowledged;
                Check("server allocation per acknowledged change (managed heap, dotnet.gc.heap.total_allocated)", "≤ 10 KB", $"{perChange / 1024:F1} KB", perChange <= 10 * 1024,
                    "per change: the request's JSON and token, the Orleans call, the new record (the state is immutable: a change copies the changed system and the lists that hold it), the state's JSON for storage, the audit rows; the scenario's reads included");
                notes.Add($"Server allocation: {(after - before - ExcludedServerAllocation) / (1024.0 * 1024):N0} MiB over {acknowledged:N0} acknowledged changes and reports (the raw ceilings' requests left out).");
            }

            // The embedded server's disk writes are its own (SQLite in process); a cluster's PostgreSQL writes in processes
            // of its own, so a silo's count would leave them out.
            if (Target is EmbeddedServer && startUsage.Written is { } writtenBefore && ServerWrittenBytes(Target) is { } writtenAfter)
            {
                var written = writtenAfter - writtenBefore;
                notes.Add($"Server disk writes per acknowledged change: {written / 1024.0 / acknowledged:F1} KB ({written / (1024.0 * 1024):N0} MiB over {acknowledged:N0} acknowledged changes and reports; "
                    + "write_bytes of /proc/PID/io: SQLite's WAL and its checkpoints into the database file, the scenario's reads and the server's log included).");
            }

            if (Target is EmbeddedServer && await ServerMetrics.ReadAsync(Http, ServerMetrics.HeapAfterLastCollection) is { } heap)
            {
                notes.Add($"Server managed heap after its last collection: {heap / (1024.0 * 1024):N0} MiB, all 1,741 municipality grains active ({heap / 1741 / 1024:N0} KB per municipality as an upper bound: the heap holds everything else too).");
            }
        }

        if (Options.Return is { } preferReturn)
        {
            notes.Add($"Client setting: single changes sent with Prefer: return={preferReturn} (RFC 7240).");
        }

        if (Options.ReportReturn is { } reportReturn)
        {
            notes.Add($"Client setting: full reports sent with Prefer: return={reportReturn} (RFC 7240).");
        }

        notes.AddRange(Target.Settings.Select(s => "Server setting: " + s));
        var operations = Recorder.Operations.Where(o => o.Count > 0).Select(ReportWriter.Figures).ToList();
        return new RunReport(Options.Scenario, startedAt, seconds, Target.Description, Options.Seed, Machine(), operations, targets, figures, Audit, notes);
    }

    public async ValueTask DisposeAsync()
    {
        await progressStop.CancelAsync();
        Http.Dispose();
        Sse.Dispose();
        await Target.DisposeAsync();
        progressStop.Dispose();
    }

    private static string Machine()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
        return $"{Environment.ProcessorCount} cores ({cpu ?? "unknown CPU"}), {memory:F0} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    }

    private static double LoadAverage() =>
        File.Exists("/proc/loadavg") && double.TryParse(File.ReadAllText("/proc/loadavg").Split(' ')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var l) ? l : double.NaN;

    /// <summary>
    /// Bytes the server processes caused to be written to storage (write_bytes of /proc/PID/io), or null when not
    /// self-hosted or not readable (no /proc, another user's process).
    /// </summary>
    private static long? ServerWrittenBytes(SystemUnderTest target)
    {
        long? total = null;
        foreach (var pid in target.ServerPids)
        {
            try
            {
                var line = File.ReadLines($"/proc/{pid}/io").FirstOrDefault(l => l.StartsWith("write_bytes:", StringComparison.Ordinal));
                if (line is not null)
                {
                    total = (total ?? 0) + long.Parse(line["write_bytes:".Length..].Trim(), CultureInfo.InvariantCulture);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
            }
        }

        return total;
    }

    /// <summary>User + system CPU time of the server processes (from /proc), zero when not self-hosted.</summary>
    private static TimeSpan ServerCpu(SystemUnderTest target)
    {
        var total = TimeSpan.Zero;
        foreach (var pid in target.ServerPids)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                total += TimeSpan.FromSeconds(ticks / 100.0);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
            }
        }

        return total;
    }
}
