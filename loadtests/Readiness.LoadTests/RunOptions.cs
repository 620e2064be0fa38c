using System.Globalization;

namespace Readiness.LoadTests;

public enum TargetKind
{
    /// <summary>Start the embedded default (one process, SQLite) from a Release build in a temp data folder.</summary>
    Embedded,

    /// <summary>Start the local cluster (deploy/local/cluster.sh: PostgreSQL, 2 silos, 1 web node) on free ports.</summary>
    Cluster,

    /// <summary>A running deployment at --base-url (tokens from --signing-key or --token-file).</summary>
    External,
}

/// <summary>Command line of the load test: `scenario [--option value]...`.</summary>
public sealed class RunOptions
{
    public const string Usage = """
        usage: dotnet run --project loadtests/Readiness.LoadTests -c Release -- <scenario> [options]
          scenarios: deadline-rush | steady | viewers | capacity | failover | write-ceiling
          --target embedded|cluster      self-host (default embedded; failover: cluster)
          --base-url URL                 test a running deployment instead (loopback only)
          --signing-key BASE64           with --base-url: the server's Readiness__Auth__SigningKey
          --token-file FILE              with --base-url: lines "<code or 'national'> <token>" instead of a key
          --seed N                       Bogus seed (default 20261201): same seed, same actors and changes
          --municipalities N             how many municipalities act (default 1741, all)
          --window S                     deadline-rush: the window in seconds (default 60)
          --duration S                   steady/viewers/failover: seconds (defaults 60/60/40); write-ceiling: each wrk run (default 10)
          --rate N                       single changes per second (deadline-rush 2000, steady 30, failover 300)
          --max-inflight N               client-side bound on requests in flight (default 512)
          --report-concurrency N         full reports in flight at once (default 128)
          --warm-up N                    deadline-rush: full reports sent before the rush's clock (default 0: a cold server)
          --warm-up-seconds S            steady/failover: single changes at the run's rate before the clock (default 5: a warm server)
          --streams N                    live-update subscribers (deadline-rush 200, viewers 10000, steady 20)
          --read-rate N                  summary and page reads per second (deadline-rush 100, viewers 200, steady 10)
          --start-rate N --max-rate N    capacity: first and last write rate (default 250, 12000)
          --step-seconds S               capacity: seconds per step (default 10)
          --objective-p99 MS             capacity: the latency objective (default 50)
          --refine N                     capacity: steps between the last rate within the objective and the first beyond it (default 2)
          --results DIR                  where to write the report (default loadtests/results/<scenario>-<time>)
          --no-build                     self-host from the existing build
          --configuration C              build configuration of the self-hosted server (default Release)
          --keep                         leave the self-hosted data folder (and cluster) in place
          --return minimal|representation   send Prefer: return=… (RFC 7240) with single changes (default: none, the full view)
          --report-return minimal|representation   the same for full reports (default: none, the full report answer)
        """;

    public required string Scenario { get; init; }

    public TargetKind Target { get; init; }

    public Uri? BaseUrl { get; init; }

    public string? SigningKey { get; init; }

    public string? TokenFile { get; init; }

    public int Seed { get; init; } = 20261201;

    public int Municipalities { get; init; } = 1741;

    public double WindowSeconds { get; init; } = 60;

    public double? DurationSeconds { get; init; }

    public double? Rate { get; init; }

    public int MaxInflight { get; init; } = 512;

    public int ReportConcurrency { get; init; } = 128;

    /// <summary>
    /// deadline-rush: full reports sent (and audited) before the rush's clock starts, so that the rush meets a server
    /// that has served reports before, not one still compiling its report path. 0 (the default): a cold server, the
    /// harder case, as every round before this option measured.
    /// </summary>
    public int WarmUpReports { get; init; }

    /// <summary>
    /// steady and failover: seconds of single changes at the run's rate before its clock (default 5), so that the
    /// latency and freshness figures (and the failover's yardstick, the seconds before the kill) measure a server that
    /// has run its write path, not its first activations and compilation.
    /// </summary>
    public double WarmUpSeconds { get; init; } = 5;

    public int? Streams { get; init; }

    public double? ReadRate { get; init; }

    public double StartRate { get; init; } = 250;

    public double MaxRate { get; init; } = 12000;

    public double StepSeconds { get; init; } = 10;

    public double ObjectiveP99Ms { get; init; } = 50;

    /// <summary>capacity: extra steps between the last rate within the objective and the first beyond it.</summary>
    public int Refinements { get; init; } = 2;

    public string? Results { get; init; }

    public bool NoBuild { get; init; }

    /// <summary>Build configuration of the self-hosted server (Release; the CI smoke uses the solution's own build).</summary>
    public string Configuration { get; init; } = "Release";

    public bool Keep { get; init; }

    /// <summary>The Prefer return preference sent with single changes ("minimal": 204 and the ETag only), or null for none.</summary>
    public string? Return { get; init; }

    /// <summary>The Prefer return preference sent with full reports ("minimal": 204 and the ETag, no report view), or null for none.</summary>
    public string? ReportReturn { get; init; }

    public static readonly string[] Scenarios = ["deadline-rush", "steady", "viewers", "capacity", "failover", "write-ceiling"];

    /// <summary>Parses the arguments; returns null with a message for anything it does not understand, and null with no message for -h/--help.</summary>
    public static (RunOptions? Options, string? Error) Parse(IReadOnlyList<string> args)
    {
        if (args.Any(a => a is "-h" or "--help"))
        {
            return (null, null);
        }

        if (args.Count == 0 || !Scenarios.Contains(args[0]))
        {
            return (null, args.Count == 0 ? "Name a scenario." : $"Unknown scenario '{args[0]}'.");
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Count; i++)
        {
            var a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal))
            {
                return (null, $"Unexpected argument '{a}'.");
            }

            if (a is "--no-build" or "--keep")
            {
                flags.Add(a[2..]);
                continue;
            }

            if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                return (null, $"{a} needs a value.");
            }

            values[a[2..]] = args[++i];
        }

        string[] known = ["target", "return", "report-return", "base-url", "signing-key", "token-file", "seed", "municipalities", "window", "duration", "rate", "max-inflight", "report-concurrency", "warm-up", "warm-up-seconds",
            "streams", "read-rate", "start-rate", "max-rate", "step-seconds", "objective-p99", "refine", "results", "configuration"];
        if (values.Keys.FirstOrDefault(k => !known.Contains(k)) is { } unknown)
        {
            return (null, $"Unknown option --{unknown}.");
        }

        try
        {
            Uri? baseUrl = values.TryGetValue("base-url", out var url)
                ? Uri.TryCreate(url, UriKind.Absolute, out var u) && u.Scheme is "http" or "https" ? u : throw new FormatException($"--base-url takes an absolute http(s) address such as http://127.0.0.1:5000, not '{url}'.")
                : null;
            if (values.TryGetValue("signing-key", out var key) && !Convert.TryFromBase64String(key, new byte[key.Length], out _))
            {
                return (null, "--signing-key takes the server's Readiness__Auth__SigningKey (base64).");
            }

            if (baseUrl is not null && !baseUrl.IsLoopback)
            {
                return (null, "--base-url must be a loopback address (this load test never targets other hosts).");
            }

            var scenario = args[0];
            var target = baseUrl is not null ? TargetKind.External
                : values.TryGetValue("target", out var t) ? t.ToLowerInvariant() switch
                {
                    "embedded" => TargetKind.Embedded,
                    "cluster" => TargetKind.Cluster,
                    _ => throw new FormatException($"--target takes embedded or cluster, not '{t}'."),
                }
                : scenario == "failover" ? TargetKind.Cluster : TargetKind.Embedded;
            if (scenario == "failover" && target != TargetKind.Cluster)
            {
                return (null, "failover runs on the self-hosted local cluster only (--target cluster): it kills one of its silos.");
            }

            if (target == TargetKind.External && !values.ContainsKey("signing-key") && !values.ContainsKey("token-file"))
            {
                return (null, "With --base-url give --signing-key (the server's Readiness__Auth__SigningKey) or --token-file.");
            }

            var options = new RunOptions
            {
                Scenario = scenario,
                Target = target,
                BaseUrl = baseUrl,
                SigningKey = values.GetValueOrDefault("signing-key"),
                TokenFile = values.GetValueOrDefault("token-file"),
                Seed = Int(values, "seed", 20261201, int.MinValue),
                Municipalities = Int(values, "municipalities", 1741, 1, 1741),
                WindowSeconds = Double(values, "window", positive: true) ?? 60,
                DurationSeconds = Double(values, "duration", positive: true),
                Rate = Double(values, "rate", positive: true),
                MaxInflight = Int(values, "max-inflight", 512, 1),
                ReportConcurrency = Int(values, "report-concurrency", 128, 1),
                WarmUpReports = Int(values, "warm-up", 0, 0),
                WarmUpSeconds = Double(values, "warm-up-seconds") ?? 5,
                Streams = values.ContainsKey("streams") ? Int(values, "streams", 0, 0) : null,
                ReadRate = Double(values, "read-rate"),
                StartRate = Double(values, "start-rate", positive: true) ?? 250,
                MaxRate = Double(values, "max-rate", positive: true) ?? 12000,
                StepSeconds = Double(values, "step-seconds", positive: true) ?? 10,
                ObjectiveP99Ms = Double(values, "objective-p99", positive: true) ?? 50,
                Refinements = Int(values, "refine", 2, 0, 10),
                Results = values.GetValueOrDefault("results"),
                NoBuild = flags.Contains("no-build"),
                Configuration = values.GetValueOrDefault("configuration") ?? "Release",
                Keep = flags.Contains("keep"),
                Return = values.GetValueOrDefault("return") is { } r
                    ? r is "minimal" or "representation" ? r : throw new FormatException("--return takes minimal or representation.")
                    : null,
                ReportReturn = values.GetValueOrDefault("report-return") is { } rr
                    ? rr is "minimal" or "representation" ? rr : throw new FormatException("--report-return takes minimal or representation.")
                    : null,
            };
            if (options.StartRate > options.MaxRate)
            {
                return (null, $"--start-rate ({options.StartRate}) is above --max-rate ({options.MaxRate}).");
            }

            return (options, null);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException)
        {
            return (null, ex.Message);
        }
    }

    /// <summary>
    /// What the run needs from the machine, checked before it builds or starts anything: <c>wrk</c> on the PATH for
    /// write-ceiling (it was looked for after the servers had started, about 70 s in, and ended in a stack trace), the
    /// token file given with --token-file. Returns the one-line error, or null when the run can start.
    /// <paramref name="findOnPath"/> finds a program by name (<see cref="FindOnPath"/>).
    /// </summary>
    public string? Preflight(Func<string, string?> findOnPath)
    {
        if (Scenario == "write-ceiling" && findOnPath("wrk") is null)
        {
            return "write-ceiling needs wrk on the PATH (apt-get install wrk); nothing was started.";
        }

        if (TokenFile is not null && !File.Exists(TokenFile))
        {
            return $"--token-file: there is no file '{TokenFile}'.";
        }

        return null;
    }

    /// <summary>The full path of program <paramref name="name"/> in a folder of the PATH, or null.</summary>
    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    /// <summary>A whole-number option of at least <paramref name="min"/>; the error names the option.</summary>
    private static int Int(Dictionary<string, string> values, string name, int fallback, int min, int max = int.MaxValue)
    {
        if (!values.TryGetValue(name, out var v))
        {
            return fallback;
        }

        return int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new FormatException(min == int.MinValue ? $"--{name} takes a whole number, not '{v}'."
                : max == int.MaxValue ? $"--{name} takes a whole number of at least {min}, not '{v}'."
                : $"--{name} takes a whole number from {min} to {max}, not '{v}'.");
    }

    /// <summary>A number option: finite, and above zero when <paramref name="positive"/> (else zero or more); the error names the option.</summary>
    private static double? Double(Dictionary<string, string> values, string name, bool positive = false)
    {
        if (!values.TryGetValue(name, out var v))
        {
            return null;
        }

        return double.TryParse(v, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) && (positive ? d > 0 : d >= 0)
            ? d
            : throw new FormatException($"--{name} takes a number {(positive ? "above 0" : "of 0 or more")} (e.g. 2.5), not '{v}'.");
    }
}
