using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Readiness.LoadTests;

/// <summary>What the load test talks to: a base URL, the tokens it accepts, and (when self-hosted) its processes.</summary>
public abstract class SystemUnderTest : IAsyncDisposable
{
    public required Uri BaseUrl { get; init; }

    public required TokenSource Tokens { get; init; }

    public required string Description { get; init; }

    /// <summary>Operator settings this run applied to the server, printed in the report.</summary>
    public IReadOnlyList<string> Settings { get; init; } = [];

    /// <summary>Process ids of the server processes (for CPU accounting), when self-hosted.</summary>
    public virtual IReadOnlyList<int> ServerPids => [];

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    /// <summary>Starts (or connects to) the target the options name.</summary>
    public static async Task<SystemUnderTest> StartAsync(RunOptions options, string resultsFolder, CancellationToken cancellationToken)
    {
        if (options.Target == TargetKind.External)
        {
            var tokens = options.SigningKey is { } key ? new TokenSource(LocalTokenSigner.FromBase64(key)) : new TokenSource(options.TokenFile!);
            return new ExternalTarget { BaseUrl = options.BaseUrl!, Tokens = tokens, Description = $"external {options.BaseUrl}" };
        }

        var root = RepositoryRoot();
        return options.Target == TargetKind.Cluster
            ? await LocalCluster.StartAsync(root, options, resultsFolder, cancellationToken)
            : await EmbeddedServer.StartAsync(root, options, resultsFolder, cancellationToken);
    }

    /// <summary>How a report states the limits <see cref="LoadTestEnvironment"/> lifts.</summary>
    protected const string LiftedLimits = "Readiness__RateLimits__WritesPerMinute, ReadsPerMinute, StreamsPerCaller and TenantStreams = 100000000 " +
        "(per-person and per-tenant limits lifted to measure the system; StreamsPerNode left at its default)";

    /// <summary>Settings every self-hosted run gives the server: its own signing key, and rate limits out of the way.</summary>
    protected static Dictionary<string, string> LoadTestEnvironment(string signingKey) => new(StringComparer.Ordinal)
    {
        ["Readiness__Auth__SigningKey"] = signingKey,

        // The per-tenant limits (120 writes, 1,200 reads per minute) protect production from one runaway client; the load
        // test measures the system, so it lifts them. Stated in every report.
        ["Readiness__RateLimits__WritesPerMinute"] = "100000000",
        ["Readiness__RateLimits__ReadsPerMinute"] = "100000000",

        // Every event stream of the generator (the freshness watcher, the viewers) is one national identity, where real
        // viewers are thousands of people: the per-person and per-tenant stream limits (10, 100) are lifted too. The
        // node's own limit (StreamsPerNode) stays the product's default, so the viewers scenario measures it.
        ["Readiness__RateLimits__StreamsPerCaller"] = "100000000",
        ["Readiness__RateLimits__TenantStreams"] = "100000000",
        ["Logging__LogLevel__Default"] = "Warning",
        ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
        ["Logging__LogLevel__Readiness.Security"] = "Error",
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
    };

    public static string RepositoryRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Readiness.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("Run from inside the repository (Readiness.sln not found above the current folder).");
    }

    private const int FirstPort = 20000;
    private const int LastPort = 32000;
    private static int nextPort = FirstPort + (Environment.ProcessId * 97 % (LastPort - FirstPort));

    /// <summary>
    /// A free loopback port, handed out once per run and taken from below the kernel's ephemeral range (32768–60999 on
    /// Linux). Why not port 0: a port probed free and released there can be handed out again by the next probe or taken
    /// by an outgoing connection before the node binds it (a cluster run saw silo2 fail on silo1's port that way).
    /// </summary>
    public static int FreePort()
    {
        for (var tries = 0; tries < LastPort - FirstPort; tries++)
        {
            var candidate = FirstPort + ((Interlocked.Increment(ref nextPort) - FirstPort) % (LastPort - FirstPort));
            try
            {
                using var listener = new TcpListener(IPAddress.Any, candidate);
                listener.Start();
                return candidate;
            }
            catch (SocketException)
            {
                // taken: try the next one
            }
        }

        throw new InvalidOperationException($"No free port in {FirstPort}–{LastPort - 1}.");
    }

    internal static async Task RunToEndAsync(string file, IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string> environment, string logFile, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment)
        {
            start.Environment[k] = v;
        }

        using var process = Process.Start(start)!;
        await using var log = new StreamWriter(logFile, append: true);
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        await log.WriteAsync(await stdout + await stderr);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed with exit code {process.ExitCode}; see {logFile}.");
        }
    }

    /// <summary>Starts <paramref name="start"/> (its output redirected) with both its output streams appended to <paramref name="log"/>.</summary>
    internal static Process StartLogged(ProcessStartInfo start, string log)
    {
        var process = Process.Start(start)!;
        var writer = new StreamWriter(log, append: true) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (writer) { writer.WriteLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (writer) { writer.WriteLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    internal static async Task WaitReadyAsync(Uri baseUrl, Func<bool> alive, TimeSpan timeout, string logFile, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (!alive())
            {
                throw new InvalidOperationException($"The server exited during start-up; see {logFile}.");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(baseUrl, "/health/ready"), cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(500, cancellationToken);
        }

        throw new TimeoutException($"{baseUrl} was not ready after {timeout.TotalSeconds:F0} s; see {logFile}.");
    }

    internal static void Terminate(Process process, TimeSpan grace)
    {
        if (process.HasExited)
        {
            return;
        }

        // SIGTERM first, so the host stops cleanly (and the silo leaves its cluster); SIGKILL after the grace period.
        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false }))
        {
            kill?.WaitForExit();
        }

        if (!process.WaitForExit(grace))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }
}

public sealed class ExternalTarget : SystemUnderTest;

/// <summary>The embedded default (web + co-hosted silo + SQLite) from a Release build, in a temp data folder, on free ports.</summary>
public sealed class EmbeddedServer : SystemUnderTest
{
    private Process? process;
    private string? dataFolder;
    private bool keep;

    public override IReadOnlyList<int> ServerPids => process is { HasExited: false } p ? [p.Id] : [];

    public static async Task<EmbeddedServer> StartAsync(string root, RunOptions options, string resultsFolder, CancellationToken cancellationToken)
    {
        var log = Path.Combine(resultsFolder, "server.log");
        var project = Path.Combine(root, "web", "Readiness.Web", "Readiness.Web.csproj");
        if (!options.NoBuild)
        {
            Console.WriteLine($"Building web/Readiness.Web ({options.Configuration}) ...");
            await RunToEndAsync("dotnet", ["build", project, "-c", options.Configuration, "-nologo", "-v", "quiet"], root, new Dictionary<string, string>(), log, cancellationToken);
        }

        var dll = Path.Combine(root, "web", "Readiness.Web", "bin", options.Configuration, "net10.0", "Readiness.Web.dll");
        var data = Path.Combine(Path.GetTempPath(), "readiness-load-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(data);
        var key = LocalTokenSigner.NewKey();
        var port = FreePort();
        var environment = LoadTestEnvironment(key);
        environment["Readiness__DataPath"] = data;
        environment["Readiness__SiloPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment["Readiness__GatewayPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (k, v) in DurabilityOverrides())
        {
            environment[k] = v;
        }

        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(dll)!, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        foreach (var (k, v) in environment)
        {
            start.Environment[k] = v;
        }

        var server = new EmbeddedServer
        {
            BaseUrl = new Uri($"http://127.0.0.1:{port}/"),
            Tokens = new TokenSource(LocalTokenSigner.FromBase64(key)),
            Description = $"embedded (web + co-hosted silo + SQLite in {data}), {options.Configuration} build, http://127.0.0.1:{port}",
            Settings = [LiftedLimits,
                "Readiness__Auth__SigningKey generated for this run (never stored)", .. DurabilityOverrides().Select(kv => $"{kv.Key}={kv.Value}")],
            dataFolder = data,
            keep = options.Keep,
        };
        Console.WriteLine($"Starting the embedded server on {server.BaseUrl} (data {data}) ...");
        server.process = StartLogged(start, log);
        var p = server.process;
        await WaitReadyAsync(server.BaseUrl, () => !p.HasExited, TimeSpan.FromMinutes(3), log, cancellationToken);
        return server;
    }

    /// <summary>READINESS_LOAD_SERVER_ENV="K=V;K=V" passes extra settings to the self-hosted server (e.g. to try an option).</summary>
    private static IEnumerable<KeyValuePair<string, string>> DurabilityOverrides() =>
        (Environment.GetEnvironmentVariable("READINESS_LOAD_SERVER_ENV") ?? string.Empty)
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(kv => kv.Split('=', 2))
            .Where(kv => kv.Length == 2)
            .Select(kv => KeyValuePair.Create(kv[0], kv[1]));

    public override ValueTask DisposeAsync()
    {
        if (process is not null)
        {
            Terminate(process, TimeSpan.FromSeconds(20));
            process.Dispose();
        }

        if (!keep && dataFolder is not null && Directory.Exists(dataFolder))
        {
            Directory.Delete(dataFolder, recursive: true);
        }

        return base.DisposeAsync();
    }
}

/// <summary>deploy/local/cluster.sh on free ports and a temp data folder: PostgreSQL, 2 silos, 1 web node.</summary>
public sealed class LocalCluster : SystemUnderTest
{
    private string root = string.Empty;
    private string dataFolder = string.Empty;
    private Dictionary<string, string> environment = [];
    private string log = string.Empty;
    private bool keep;

    public string SiloPidFile(int silo) => Path.Combine(dataFolder, "run", $"silo{silo}.pid");

    public override IReadOnlyList<int> ServerPids =>
        new[] { "web", "silo1", "silo2" }.Select(n => Path.Combine(dataFolder, "run", n + ".pid")).Where(File.Exists)
            .Select(f => int.TryParse(File.ReadAllText(f).Trim(), out var pid) ? pid : 0).Where(pid => pid > 0).ToList();

    public static async Task<LocalCluster> StartAsync(string root, RunOptions options, string resultsFolder, CancellationToken cancellationToken)
    {
        var data = Path.Combine(Path.GetTempPath(), "readiness-load-cluster-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(data);
        var key = LocalTokenSigner.NewKey();
        var web = FreePort();
        var environment = LoadTestEnvironment(key);
        string Port() => FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment["READINESS_CLUSTER_DATA"] = data;
        environment["CONFIGURATION"] = "Release";
        environment["PG_PORT"] = Port();
        environment["WEB_PORT"] = web.ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment["SILO1_HTTP"] = Port();
        environment["SILO1_PORT"] = Port();
        environment["SILO1_GATEWAY"] = Port();
        environment["SILO2_HTTP"] = Port();
        environment["SILO2_PORT"] = Port();
        environment["SILO2_GATEWAY"] = Port();
        environment["CLUSTER_ID"] = "load-" + Guid.NewGuid().ToString("N")[..8];
        var cluster = new LocalCluster
        {
            BaseUrl = new Uri($"http://127.0.0.1:{web}/"),
            Tokens = new TokenSource(LocalTokenSigner.FromBase64(key)),
            Description = $"local cluster (deploy/local/cluster.sh: PostgreSQL {environment["PG_PORT"]}, 2 silos, 1 web node), Release build, http://127.0.0.1:{web}",
            Settings = [LiftedLimits,
                "Readiness__Auth__SigningKey generated for this run (never stored)"],
            root = root,
            dataFolder = data,
            environment = environment,
            log = Path.Combine(resultsFolder, "cluster.log"),
            keep = options.Keep,
        };
        Console.WriteLine($"Starting the local cluster (data {data}); a fresh database takes about a minute ...");
        try
        {
            await RunToEndAsync("bash", [Path.Combine(root, "deploy", "local", "cluster.sh"), "up"], root, environment, cluster.log, cancellationToken);
        }
        catch
        {
            // A node that failed to start leaves the others (and PostgreSQL) running, holding their ports for the next
            // run: stop them, after keeping the nodes' logs with the results (the data folder goes unless --keep).
            CopyLogs(Path.Combine(data, "logs"), Path.Combine(resultsFolder, "logs"));
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    private static void CopyLogs(string from, string to)
    {
        if (!Directory.Exists(from))
        {
            return;
        }

        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*.log"))
        {
            try
            {
                File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
            }
            catch (IOException)
            {
                // PostgreSQL's own log is owned by its user and may be held open: the nodes' logs are what explains a failed start.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>kill -9 one silo by its pid file; returns its pid.</summary>
    public int KillSilo(int silo)
    {
        var pid = int.Parse(File.ReadAllText(SiloPidFile(silo)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        using var process = Process.GetProcessById(pid);
        process.Kill();
        return pid;
    }

    public override async ValueTask DisposeAsync()
    {
        try
        {
            if (!keep)
            {
                await RunToEndAsync("bash", [Path.Combine(root, "deploy", "local", "cluster.sh"), "down"], root, environment, log, CancellationToken.None);
                Directory.Delete(dataFolder, recursive: true);
            }
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"Stopping the cluster: {ex.Message}");
        }

        await base.DisposeAsync();
    }
}
