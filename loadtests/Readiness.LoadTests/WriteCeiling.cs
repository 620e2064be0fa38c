using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Readiness.Catalog;

namespace Readiness.LoadTests;

/// <summary>
/// Issue 14's "why the hardware, not the code": the product's single durable changes against the write path's floor
/// on the same machine (<c>loadtests/Readiness.WriteCeiling</c>: the bearer token checked, the JSON read, one Orleans
/// call to the municipality's grain, its state row and audit row committed in a group with fsync before the answer,
/// the request id remembered, the prefecture told; nothing else). Both get the same requests from the same
/// generator, <c>wrk</c> (C, lighter than this process), in closed loop: a checklist item's status set by its own
/// municipality's token, <c>If-Match: *</c>, a new Idempotency-Key each time, <c>Prefer: return=minimal</c> (204 and
/// the ETag, as the floor answers). Runs alternate, product first. After each run the durable count (the product: the
/// nation's version sum, which counts a change only once it is committed; the floor: its audit rows) is checked against
/// the acknowledged one (2xx answers; requests still in flight when wrk stops may have been committed unanswered, so at
/// most that many more).
/// </summary>
public static class WriteCeiling
{
    private const int Connections = 64;

    public static async Task RunAsync(LoadRun run, CancellationToken cancellationToken)
    {
        // Checked before the run started (RunOptions.Preflight); still needed here for the path.
        if (RunOptions.FindOnPath("wrk") is not { } wrk)
        {
            throw new InvalidOperationException("write-ceiling needs wrk on the PATH (apt-get install wrk).");
        }

        var seconds = run.Options.DurationSeconds ?? 10;
        const int rounds = 2;
        var folder = Path.Combine(run.ResultsFolder, "write-ceiling");
        Directory.CreateDirectory(folder);
        var catalog = ReadinessCatalog.Instance;
        var codes = catalog.Municipalities.Select(m => m.Code).ToList();
        var script = Path.Combine(folder, "put-item.lua");
        await File.WriteAllTextAsync(script, LuaScript, cancellationToken);
        var items = Path.Combine(folder, "items.txt");
        await File.WriteAllLinesAsync(items, catalog.SecurityItems.Select(i => i.Id), cancellationToken);

        var productTokens = Path.Combine(folder, "tokens-product.txt");
        await File.WriteAllLinesAsync(productTokens, codes.Select(c => $"{c} {run.Target.Tokens.Municipality(c, $"ceiling-{c}")}"), cancellationToken);
        await using var floor = await FloorServer.StartAsync(folder, run.Options.Configuration, run.Options.NoBuild, cancellationToken);
        var floorTokens = Path.Combine(folder, "tokens-floor.txt");
        await File.WriteAllLinesAsync(floorTokens, codes.Select(c => $"{c} {floor.Signer.Issue($"ceiling-{c}", "municipality", c, TimeSpan.FromHours(2))}"), cancellationToken);

        using var national = new HttpClient { BaseAddress = run.Target.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
        national.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", run.Target.Tokens.National("ceiling-check"));
        Console.WriteLine($"Write ceiling: a warm-up, then {rounds} rounds of {seconds:F0} s each, wrk -t2 -c{Connections}, the product then the floor");
        // A warm-up on each side first (not measured, but its changes too must be durable), so round 1 does not time
        // a cold server's first compilations and activations.
        var warmUp = Math.Min(5, seconds);
        await RunWrkAsync(wrk, run.Target.BaseUrl, script, productTokens, items, "pw", warmUp, Path.Combine(folder, "wrk-product-warm-up.txt"), cancellationToken);
        await RunWrkAsync(wrk, floor.BaseUrl, script, floorTokens, items, "fw", warmUp, Path.Combine(folder, "wrk-floor-warm-up.txt"), cancellationToken);
        // What the product allocates per second with no request (its timers, the summary cache, the metrics): spread over
        // fewer changes on a busy machine, it raises the allocation per change, so each figure also states it net of this.
        var idleBefore = await ServerMetrics.ReadAsync(run.Http, ServerMetrics.Allocated, cancellationToken);
        var idleClock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
        var idleAfter = await ServerMetrics.ReadAsync(run.Http, ServerMetrics.Allocated, cancellationToken);
        var idleBytesPerSecond = (idleAfter - idleBefore) / idleClock.Elapsed.TotalSeconds ?? double.NaN;
        run.Figure("idle rate, the product (embedded) after its warm-up (3 s, no request but the metrics reads)",
            $"allocated {(double.IsNaN(idleBytesPerSecond) ? "n/a" : (idleBytesPerSecond / 1024).ToString("F0", CultureInfo.InvariantCulture) + " KB/s")}");
        var results = new List<(string Target, WrkResult Result, double CpuMsPerChange, double AllocatedKbPerChange, long Durable)>();
        // The product first in each round, so a warmer machine never favours the floor.
        for (var round = 1; round <= rounds; round++)
        {
            // The product: durable count from the nation's version sum (every change is one version of one municipality).
            var before = await QuietNationVersionAsync(national, cancellationToken);
            var cpu = ServerCpu(run.Target.ServerPids);
            var allocated = await ServerMetrics.ReadAsync(run.Http, ServerMetrics.Allocated, cancellationToken);
            var measured = await RunWrkAsync(wrk, run.Target.BaseUrl, script, productTokens, items, $"p{round}", seconds, Path.Combine(folder, $"wrk-product-{round}.txt"), cancellationToken);
            var cpuUsed = ServerCpu(run.Target.ServerPids) - cpu;
            var allocatedAfter = await ServerMetrics.ReadAsync(run.Http, ServerMetrics.Allocated, cancellationToken);
            var after = await QuietNationVersionAsync(national, cancellationToken);
            results.Add(("product", measured, run.Target.ServerPids.Count == 0 ? double.NaN : cpuUsed.TotalMilliseconds / Math.Max(1, measured.Acknowledged),
                (allocatedAfter - allocated) / 1024.0 / Math.Max(1, measured.Acknowledged) ?? double.NaN, after - before));

            var floorBefore = await floor.CountsAsync(cancellationToken);
            var floorCpu = ServerCpu([floor.Pid]);
            var result = await RunWrkAsync(wrk, floor.BaseUrl, script, floorTokens, items, $"f{round}", seconds, Path.Combine(folder, $"wrk-floor-{round}.txt"), cancellationToken);
            var floorCpuUsed = ServerCpu([floor.Pid]) - floorCpu;
            var floorAfter = await floor.CountsAsync(cancellationToken);
            results.Add(("floor", result, floorCpuUsed.TotalMilliseconds / Math.Max(1, result.Acknowledged),
                (floorAfter.AllocatedBytes - floorBefore.AllocatedBytes) / 1024.0 / Math.Max(1, result.Acknowledged), floorAfter.AuditRows - floorBefore.AuditRows));
        }

        foreach (var target in new[] { "product", "floor" })
        {
            var name = target == "product" ? "the product (embedded)" : "the floor (Readiness.WriteCeiling)";
            var runs = results.Where(x => x.Target == target).ToList();
            for (var i = 0; i < runs.Count; i++)
            {
                var (_, r, cpuMs, kb, durable) = runs[i];
                var durableOk = durable >= r.Acknowledged && durable <= r.Acknowledged + Connections;
                var net = target == "product" && !double.IsNaN(kb) && !double.IsNaN(idleBytesPerSecond)
                    ? $" ({kb - idleBytesPerSecond * r.Seconds / 1024 / Math.Max(1, r.Acknowledged):F1} KB net of the idle rate)" : "";
                run.Figure($"write ceiling, {name}, run {i + 1}",
                    $"{r.PerSecond:N0} changes/s acknowledged (p50 {r.P50Ms:F1} ms, p99 {r.P99Ms:F1} ms, {r.Errors:N0} not 2xx); server CPU per change {(double.IsNaN(cpuMs) ? "n/a" : cpuMs.ToString("F3", CultureInfo.InvariantCulture) + " ms")}, "
                    + $"allocated {(double.IsNaN(kb) ? "n/a" : kb.ToString("F1", CultureInfo.InvariantCulture) + " KB")}{net}; durable {durable:N0} of {r.Acknowledged:N0} acknowledged{(durableOk ? "" : " — MISMATCH")}");
                if (!durableOk || r.Errors > 0)
                {
                    run.Note($"write ceiling: {name}, run {i + 1}: {r.Errors:N0} answers not 2xx; {durable:N0} durable against {r.Acknowledged:N0} acknowledged (up to {Connections} more may have been committed unanswered when wrk stopped).");
                }
            }
        }

        run.Note("write ceiling: the requests are wrk's, so the operations table above is empty and the CPU note below counts neither wrk nor the floor; "
            + "each figure's server CPU per change is the product's or the floor's own process over that run.");
        var product = results.Where(r => r.Target == "product").ToList();
        var floorRuns = results.Where(r => r.Target == "floor").ToList();
        var productBest = product.MaxBy(r => r.Result.PerSecond).Result;
        var floorBest = floorRuns.MaxBy(r => r.Result.PerSecond).Result;
        run.Check($"single durable changes through HTTP, closed loop with wrk ({Connections} connections): the product, and the floor of the required parts on this machine", "≥ 5,000/s with p99 ≤ 50 ms",
            $"product {productBest.PerSecond:N0}/s, p99 {productBest.P99Ms:F0} ms; floor {floorBest.PerSecond:N0}/s, p99 {floorBest.P99Ms:F0} ms (the product does {productBest.PerSecond / floorBest.PerSecond:P0} of the floor)",
            productBest.PerSecond >= 5000 && productBest.P99Ms <= 50,
            "the floor is this machine with only the required parts (token, JSON, one grain call, a state row and an audit row group-committed with fsync); the rest of the gap is the product's own work");
        var productKb = product.Select(r => r.AllocatedKbPerChange).Where(k => !double.IsNaN(k)).DefaultIfEmpty(double.NaN).Min();
        var floorKb = floorRuns.Min(r => r.AllocatedKbPerChange);
        run.Check("allocation per acknowledged change: the product, and the floor", "≤ 10 KB",
            $"product {(double.IsNaN(productKb) ? "n/a" : productKb.ToString("F1", CultureInfo.InvariantCulture) + " KB")}; floor {floorKb:F1} KB", double.IsNaN(productKb) ? null : productKb <= 10,
            "the floor's allocation is what ASP.NET Core, the bearer handler and an Orleans call allocate for one request with nothing of the product's");
        await MeasureFloorPerRequestAsync(run, wrk, floor, folder, productTokens, floorTokens, Math.Min(5, seconds), cancellationToken);
        if (results.Any(r => r.Durable < r.Result.Acknowledged))
        {
            throw new InvalidOperationException("An acknowledged change was not durable: see the figures.");
        }
    }

    /// <summary>
    /// The libraries' floor per request, in the same harness as the changes (issue 14's ≤ 10 KB per change): wrk's GETs
    /// against the floor's host answering 204 with nothing else, after the bearer check, after the bearer check and one
    /// grain call answering from memory; and against the product's host, its trivial endpoint and its request path
    /// without a write (GET municipality with If-None-Match: *, 304). Each is recorded as allocation and server CPU per
    /// request, after a 1 s warm-up of that request.
    /// </summary>
    private static async Task MeasureFloorPerRequestAsync(LoadRun run, string wrk, FloorServer floor, string folder, string productTokens, string floorTokens, double seconds, CancellationToken cancellationToken)
    {
        var script = Path.Combine(folder, "get.lua");
        await File.WriteAllTextAsync(script, GetScript, cancellationToken);
        // A sent token is checked by the default scheme on every request, also on an anonymous endpoint (UseAuthentication).
        (string Name, bool Product, bool Token, string Path, bool IfNoneMatch)[] probes =
        [
            ("the floor's host: a 204 endpoint, no token sent (Kestrel, routing, minimal API)", false, false, "/ceiling/trivial", false),
            ("the floor's host: the same endpoint with a bearer token (validated by the default scheme)", false, true, "/ceiling/trivial", false),
            ("the floor's host: a 204 endpoint requiring the bearer token (authorization too)", false, true, "/ceiling/authenticated/{code}", false),
            ("the floor's host: that and one grain call answering from memory, 204", false, true, "/ceiling/grain/{code}", false),
            ("the product's host: its trivial endpoint, no token sent (GET /health/live, every middleware of the product)", true, false, "/health/live", false),
            ("the product's host: the same with a bearer token", true, true, "/health/live", false),
            ("the product's host: GET municipality with If-None-Match: * (bearer, rate limits, one grain call, 304)", true, true, "/api/v1/municipalities/{code}", true),
        ];
        for (var i = 0; i < probes.Length; i++)
        {
            var (name, product, token, path, ifNoneMatch) = probes[i];
            var baseUrl = product ? run.Target.BaseUrl : floor.BaseUrl;
            var tokens = product ? productTokens : floorTokens;
            var arguments = new[] { tokens, path, ifNoneMatch ? "inm" : "-", token ? "token" : "-" };
            await RunWrkAsync(wrk, baseUrl, script, arguments, $"g{i}w", 1, Path.Combine(folder, $"wrk-per-request-{i}-warm-up.txt"), cancellationToken);
            IReadOnlyList<int> pids = product ? run.Target.ServerPids : [floor.Pid];
            var cpu = ServerCpu(pids);
            var allocated = product ? await ServerMetrics.ReadAsync(run.Http, ServerMetrics.Allocated, cancellationToken) : (await floor.CountsAsync(cancellationToken)).AllocatedBytes;
            var result = await RunWrkAsync(wrk, baseUrl, script, arguments, $"g{i}", seconds, Path.Combine(folder, $"wrk-per-request-{i}.txt"), cancellationToken);
            var cpuUsed = ServerCpu(pids) - cpu;
            var allocatedAfter = product ? await ServerMetrics.ReadAsync(run.Http, ServerMetrics.Allocated, cancellationToken) : (await floor.CountsAsync(cancellationToken)).AllocatedBytes;
            var answered = Math.Max(1, result.Acknowledged);
            var kb = (allocatedAfter - allocated) / 1024.0 / answered;
            run.Figure($"per request, {name}",
                $"{result.PerSecond:N0} requests/s ({result.Errors:N0} not 2xx/3xx); server CPU per request {(pids.Count == 0 ? "n/a" : (cpuUsed.TotalMilliseconds * 1000 / answered).ToString("F0", CultureInfo.InvariantCulture) + " µs")}, "
                + $"allocated {(kb is { } k ? k.ToString("F1", CultureInfo.InvariantCulture) + " KB" : "n/a")}");
        }
    }

    /// <summary>The wrk script of the per-request floor: args tokens file, a path with {code}, "inm" to send If-None-Match: *, "token" to send the code's bearer token.</summary>
    public const string GetScript = """
        local codes, tokens = {}, {}
        local template, inm, token = "/", false, true

        function init(args)
          for line in io.lines(args[1]) do
            local code, token = line:match("^(%S+)%s+(%S+)$")
            if code then codes[#codes + 1] = code; tokens[code] = token end
          end
          template = args[2]
          inm = args[3] == "inm"
          token = args[4] == "token"
        end

        function request()
          local code = codes[math.random(#codes)]
          local headers = {}
          if token then headers["Authorization"] = "Bearer " .. tokens[code] end
          if inm then headers["If-None-Match"] = "*" end
          return wrk.format("GET", (template:gsub("{code}", code)), headers)
        end
        """;

    /// <summary>wrk's summary of one run.</summary>
    public sealed record WrkResult(long Requests, long Errors, double Seconds, double P50Ms, double P99Ms)
    {
        public long Acknowledged => Requests - Errors;

        public double PerSecond => Acknowledged / Seconds;
    }

    /// <summary>Reads wrk's <c>--latency</c> output: the requests, the non-2xx/3xx answers and socket errors, the time, p50 and p99.</summary>
    public static WrkResult ParseWrk(string output)
    {
        var total = Regex.Match(output, @"(\d+) requests in ([\d.]+)(ms|s|m)");
        if (!total.Success)
        {
            throw new FormatException("wrk printed no request count:\n" + output);
        }

        var seconds = double.Parse(total.Groups[2].Value, CultureInfo.InvariantCulture) * total.Groups[3].Value switch { "ms" => 0.001, "m" => 60, _ => 1 };
        var non2xx = Regex.Match(output, @"Non-2xx or 3xx responses: (\d+)");
        var socket = Regex.Match(output, @"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)");
        long errors = non2xx.Success ? long.Parse(non2xx.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        if (socket.Success)
        {
            errors += Enumerable.Range(1, 4).Sum(i => long.Parse(socket.Groups[i].Value, CultureInfo.InvariantCulture));
        }

        return new WrkResult(long.Parse(total.Groups[1].Value, CultureInfo.InvariantCulture), errors, seconds, Percentile(output, "50%"), Percentile(output, "99%"));
    }

    private static double Percentile(string output, string label)
    {
        var m = Regex.Match(output, @"^\s*" + Regex.Escape(label) + @"\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        return !m.Success ? double.NaN
            : double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * m.Groups[2].Value switch { "us" => 0.001, "s" => 1000, _ => 1 };
    }

    private static Task<WrkResult> RunWrkAsync(string wrk, Uri baseUrl, string script, string tokens, string items, string prefix, double seconds, string outputFile, CancellationToken cancellationToken) =>
        RunWrkAsync(wrk, baseUrl, script, [tokens, items, prefix + "-" + Guid.NewGuid().ToString("N")[..8]], prefix, seconds, outputFile, cancellationToken);

    private static async Task<WrkResult> RunWrkAsync(string wrk, Uri baseUrl, string script, string[] scriptArguments, string prefix, double seconds, string outputFile, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(wrk) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-t2", $"-c{Connections}", $"-d{seconds.ToString(CultureInfo.InvariantCulture)}s", "--latency", "--timeout", "10s", "-s", script,
                     baseUrl.ToString().TrimEnd('/'), "--" }.Concat(scriptArguments))
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var text = await stdout + await stderr;
        await File.WriteAllTextAsync(outputFile, text, cancellationToken);
        Console.WriteLine($"  {prefix}: {text.Split('\n').FirstOrDefault(l => l.StartsWith("Requests/sec", StringComparison.Ordinal))?.Trim()}");
        return ParseWrk(text);
    }

    private static async Task<long> QuietNationVersionAsync(HttpClient national, CancellationToken cancellationToken)
    {
        long last = -1;
        var stableSince = Stopwatch.StartNew();
        var limit = Stopwatch.StartNew();
        while (limit.Elapsed < TimeSpan.FromSeconds(30))
        {
            using var json = JsonDocument.Parse(await national.GetStringAsync(new Uri("/api/v1/nation", UriKind.Relative), cancellationToken));
            var version = json.RootElement.GetProperty("version").GetInt64();
            if (version != last)
            {
                last = version;
                stableSince.Restart();
            }
            else if (stableSince.Elapsed >= TimeSpan.FromSeconds(2))
            {
                return version;
            }

            await Task.Delay(250, cancellationToken);
        }

        return last;
    }

    private static TimeSpan ServerCpu(IEnumerable<int> pids) =>
        pids.Aggregate(TimeSpan.Zero, (sum, pid) =>
        {
            try
            {
                using var p = Process.GetProcessById(pid);
                return sum + p.TotalProcessorTime;
            }
            catch (ArgumentException)
            {
                return sum;
            }
        });

    /// <summary>The wrk script: args tokens file ("code token" lines), items file (one id a line), a prefix for the Idempotency-Keys.</summary>
    public const string LuaScript = """
        -- A checklist item's status set by its own municipality: PUT with If-Match: * and a new Idempotency-Key each time,
        -- answered 204 with the ETag (Prefer: return=minimal, RFC 7240), as the floor answers.
        local codes, tokens, items = {}, {}, {}
        local statuses = { "not_implemented", "partial", "implemented" }
        local counter, prefix = 0, "wrk"
        local next_thread = 1

        function setup(thread)
          thread:set("thread_id", next_thread)
          next_thread = next_thread + 1
        end

        function init(args)
          for line in io.lines(args[1]) do
            local code, token = line:match("^(%S+)%s+(%S+)$")
            if code then codes[#codes + 1] = code; tokens[code] = token end
          end
          for line in io.lines(args[2]) do
            if #line > 0 then items[#items + 1] = line end
          end
          prefix = args[3] .. "-" .. tostring(thread_id)
          math.randomseed(thread_id * 7919 + os.time())
        end

        function request()
          counter = counter + 1
          local code = codes[math.random(#codes)]
          return wrk.format("PUT", "/api/v1/municipalities/" .. code .. "/security/" .. items[math.random(#items)],
            { ["Authorization"] = "Bearer " .. tokens[code], ["Content-Type"] = "application/json", ["If-Match"] = "*",
              ["Prefer"] = "return=minimal", ["Idempotency-Key"] = prefix .. "-" .. counter },
            '{"status":"' .. statuses[math.random(#statuses)] .. '"}')
        end
        """;

    /// <summary>The floor server (<c>loadtests/Readiness.WriteCeiling</c>, the run's build configuration) in a temp data folder, on free ports.</summary>
    private sealed class FloorServer : IAsyncDisposable
    {
        private Process process = null!;
        private string data = null!;
        private HttpClient http = null!;

        public required Uri BaseUrl { get; init; }

        public required LocalTokenSigner Signer { get; init; }

        public int Pid => process.Id;

        public static async Task<FloorServer> StartAsync(string resultsFolder, string configuration, bool noBuild, CancellationToken cancellationToken)
        {
            var root = SystemUnderTest.RepositoryRoot();
            var project = Path.Combine(root, "loadtests", "Readiness.WriteCeiling", "Readiness.WriteCeiling.csproj");
            var log = Path.Combine(resultsFolder, "floor-server.log");
            if (!noBuild)
            {
                await SystemUnderTest.RunToEndAsync("dotnet", ["build", project, "-c", configuration, "-nologo", "-v", "quiet"], root, new Dictionary<string, string>(), log, cancellationToken);
            }

            var dll = Path.Combine(root, "loadtests", "Readiness.WriteCeiling", "bin", configuration, "net10.0", "Readiness.WriteCeiling.dll");
            var key = LocalTokenSigner.NewKey();
            var port = SystemUnderTest.FreePort();
            var data = Path.Combine(Path.GetTempPath(), "readiness-floor-" + Guid.NewGuid().ToString("N")[..8]);
            var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(dll)!, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(dll);
            start.ArgumentList.Add("--urls");
            start.ArgumentList.Add($"http://127.0.0.1:{port}");
            start.Environment["Ceiling__SigningKey"] = key;
            start.Environment["Ceiling__DataPath"] = data;
            start.Environment["Ceiling__SiloPort"] = SystemUnderTest.FreePort().ToString(CultureInfo.InvariantCulture);
            start.Environment["Ceiling__GatewayPort"] = SystemUnderTest.FreePort().ToString(CultureInfo.InvariantCulture);
            var server = new FloorServer { BaseUrl = new Uri($"http://127.0.0.1:{port}/"), Signer = LocalTokenSigner.FromBase64(key) };
            server.data = data;
            server.process = SystemUnderTest.StartLogged(start, log);
            server.http = new HttpClient { BaseAddress = server.BaseUrl, Timeout = TimeSpan.FromSeconds(10) };
            try
            {
                var p = server.process;
                await SystemUnderTest.WaitReadyAsync(server.BaseUrl, () => !p.HasExited, TimeSpan.FromMinutes(2), log, cancellationToken);
                return server;
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }

        public async Task<(long AuditRows, long AllocatedBytes)> CountsAsync(CancellationToken cancellationToken)
        {
            using var json = JsonDocument.Parse(await http.GetStringAsync(new Uri("/ceiling/counts", UriKind.Relative), cancellationToken));
            return (json.RootElement.GetProperty("auditRows").GetInt64(), json.RootElement.GetProperty("allocatedBytes").GetInt64());
        }

        public ValueTask DisposeAsync()
        {
            http.Dispose();
            SystemUnderTest.Terminate(process, TimeSpan.FromSeconds(10));
            process.Dispose();
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
            }

            return ValueTask.CompletedTask;
        }
    }
}
