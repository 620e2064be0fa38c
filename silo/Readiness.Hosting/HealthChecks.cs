using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Readiness.Grains;

namespace Readiness.Hosting;

/// <summary>
/// Ready only while this node can write its storage: the data folder's file system has room (embedded), a probe row can
/// be written and committed, and the product's own writes (grain state, audit) are not failing. A node that can read but
/// not write must leave the load balancer, or it keeps taking writes it answers with 503.
/// </summary>
internal sealed class StorageHealthCheck(IStorageConnection storage, StorageWriteMonitor monitor, IOptions<ReadinessOptions> options, SqliteWriteGate gate) : IHealthCheck
{
    /// <summary>A real write that failed this recently, with no success since, keeps the node unready.</summary>
    internal static readonly TimeSpan FailureMemory = TimeSpan.FromSeconds(30);

    /// <summary>A write committed this recently (and none failed after it) makes a probe unnecessary.</summary>
    internal static readonly TimeSpan RecentSuccess = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object> { ["location"] = storage.Location };
        if (storage.DataFolder is { } folder)
        {
            var free = StorageSpace.FreeBytes(folder);
            data["freeBytes"] = free;
            if (free < options.Value.MinimumFreeBytes)
            {
                return HealthCheckResult.Unhealthy(
                    $"Disk nearly full: {free / (1024 * 1024)} MB free in {folder}, below the {options.Value.MinimumFreeBytes / (1024 * 1024)} MB minimum (Readiness:MinimumFreeBytes); writes would fail.",
                    data: data);
            }
        }

        var failure = monitor.RecentFailure(FailureMemory);
        if (failure is null && monitor.SucceededWithin(RecentSuccess))
        {
            return Writable(data); // the product's own writes are committing now
        }

        try
        {
            // The probe takes its turn at the single SQLite writer like every other write, so it meets what a write
            // would meet (a lock held elsewhere, a read-only file system, a full disk) without racing the product.
            if (storage.Invariant == SiloHosting.SqliteInvariant)
            {
                await gate.RunAsync(() => ProbeAsync(cancellationToken), cancellationToken);
            }
            else
            {
                await ProbeAsync(cancellationToken);
            }
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            monitor.RecordFailure(ex);
            return HealthCheckResult.Unhealthy($"Storage cannot be written: {storage.Location}: {ex.GetType().Name}: {ex.Message}", data: data);
        }

        monitor.RecordSuccess(); // the probe committed: the storage takes writes again
        return Writable(data);
    }

    /// <summary>
    /// Writable: healthy, or degraded (still ready) while stored states met since the start cannot be read or the last
    /// scheduled backup failed.
    /// </summary>
    private HealthCheckResult Writable(Dictionary<string, object> data)
    {
        var unreadable = monitor.UnreadableStates();
        var backup = monitor.BackupFailure();
        if (unreadable.Count == 0 && backup is null)
        {
            return HealthCheckResult.Healthy(storage.Location, data);
        }

        var problems = new List<string>();
        if (unreadable.Count > 0)
        {
            data["unreadableStates"] = unreadable;
            problems.Add($"{unreadable.Count} stored state(s) cannot be read, so their grains cannot start: {string.Join(", ", unreadable.Take(10))}. "
                + "The data is damaged or was written by a newer version; restore it from a backup (deploy/README.md).");
        }

        if (backup is { } b)
        {
            problems.Add($"The last scheduled backup failed at {b.At:u}: {b.Message}");
        }

        return HealthCheckResult.Degraded(string.Join(" ", problems), data: data);
    }

    private async Task ProbeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await storage.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE readiness_health_probe SET probed_at_utc = @at WHERE id = 1";
        var at = command.CreateParameter();
        at.ParameterName = "@at";
        at.Value = DateTime.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        command.Parameters.Add(at);
        if (await command.ExecuteNonQueryAsync(cancellationToken) != 1)
        {
            throw new InvalidOperationException("The health probe row is missing (schema not applied?).");
        }
    }
}

/// <summary>
/// Ready only when the nation answers within a few seconds; degraded (still ready: 200) while its figures leave out
/// municipalities that could not be read, which the summaries would otherwise not show.
/// </summary>
internal sealed class NationHealthCheck(IGrainFactory grains) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var nation = await grains.GetGrain<INationGrain>(INationGrain.NationKey).GetAsync().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            var counted = nation.Figures.Municipalities;
            var expected = Readiness.Catalog.ReadinessCatalog.Instance.Municipalities.Count;
            return counted < expected
                ? HealthCheckResult.Degraded($"{counted} of {expected} municipalities in the nation's figures: {expected - counted} could not be read and are left out "
                    + "(the log names them, \"could not pull\"; metric readiness_reconciliations_pull_failures_total)")
                : HealthCheckResult.Healthy($"{counted} municipalities");
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy("The nation grain did not answer", ex);
        }
    }
}

/// <summary>
/// The outcome of the product's own storage writes (grain state, audit rows), so readiness reflects what writes meet,
/// not only what a probe meets; and the stored grain states that could not be read (damaged, or another version's), so
/// readiness says which grains cannot start. Thread-safe; one per process.
/// </summary>
public sealed class StorageWriteMonitor(TimeProvider time, IMeterFactory meters)
{
    /// <summary>At most this many unreadable states are named (the count goes on in the metric).</summary>
    private const int MaxNamed = 100;

    private readonly Counter<long> failures = ReadinessMetrics.StartAtZero(meters.Create(ReadinessMetrics.MeterName)
        .CreateCounter<long>("readiness.storage.write_failures", description: "Writes of grain state or audit rows that the database refused or could not take"));

    private readonly Counter<long> unreadableReads = ReadinessMetrics.StartAtZero(meters.Create(ReadinessMetrics.MeterName)
        .CreateCounter<long>("readiness.storage.unreadable_states", description: "Reads of a stored grain state that could not be read (damaged, or written by another version): its grain cannot start until the data is restored"));

    private readonly Counter<long> backupFailures = ReadinessMetrics.StartAtZero(meters.Create(ReadinessMetrics.MeterName)
        .CreateCounter<long>("readiness.backups.failures", description: "Scheduled backups that failed (the database could not be copied, or the copy did not validate)"));

    private readonly SortedSet<string> unreadable = new(StringComparer.Ordinal);
    private (DateTimeOffset At, string Message)? lastBackupFailure;

    private readonly Lock sync = new();
    private DateTimeOffset lastSuccess = DateTimeOffset.MinValue;
    private (DateTimeOffset At, string Message)? lastFailure;

    public void RecordSuccess()
    {
        lock (sync)
        {
            lastSuccess = time.GetUtcNow();
        }
    }

    public void RecordFailure(Exception exception)
    {
        lock (sync)
        {
            lastFailure = (time.GetUtcNow(), $"{exception.GetType().Name}: {exception.Message}");
        }

        failures.Add(1);
    }

    /// <summary>A stored state (grain/state name) could not be read; counted each time, named once.</summary>
    public void RecordUnreadable(string state)
    {
        lock (sync)
        {
            if (unreadable.Count < MaxNamed)
            {
                unreadable.Add(state);
            }
        }

        unreadableReads.Add(1);
    }

    /// <summary>A scheduled backup's outcome: a failure is counted and named by readiness until one succeeds.</summary>
    public void RecordBackup(Exception? failure)
    {
        lock (sync)
        {
            lastBackupFailure = failure is null ? null : (time.GetUtcNow(), $"{failure.GetType().Name}: {failure.Message}");
        }

        if (failure is not null)
        {
            backupFailures.Add(1);
        }
    }

    /// <summary>The last scheduled backup's failure, or null when it succeeded (or none ran).</summary>
    public (DateTimeOffset At, string Message)? BackupFailure()
    {
        lock (sync)
        {
            return lastBackupFailure;
        }
    }

    /// <summary>A stored state was read successfully (after a restore, say): it is no longer named.</summary>
    public void RecordReadable(string state)
    {
        lock (sync)
        {
            if (unreadable.Count > 0)
            {
                unreadable.Remove(state);
            }
        }
    }

    /// <summary>The stored states met since the start that could not be read (and not read since), in order.</summary>
    public IReadOnlyList<string> UnreadableStates()
    {
        lock (sync)
        {
            return [.. unreadable];
        }
    }

    /// <summary>True when a write committed within <paramref name="span"/>.</summary>
    public bool SucceededWithin(TimeSpan span)
    {
        lock (sync)
        {
            return time.GetUtcNow() - lastSuccess <= span;
        }
    }

    /// <summary>The last failure if it happened within <paramref name="memory"/> and nothing succeeded after it.</summary>
    public (DateTimeOffset At, string Message)? RecentFailure(TimeSpan memory)
    {
        lock (sync)
        {
            return lastFailure is { } f && f.At > lastSuccess && time.GetUtcNow() - f.At <= memory ? f : null;
        }
    }
}

/// <summary>Free space of the file system holding a folder.</summary>
public static class StorageSpace
{
    public static long FreeBytes(string folder) => new DriveInfo(Path.GetFullPath(folder)).AvailableFreeSpace;
}

/// <summary>Who is told why a node is not ready (the "Readiness:Health" section).</summary>
public sealed class HealthOptions
{
    public const string Section = "Readiness:Health";

    /// <summary>
    /// <see cref="HealthDetails.Local"/> (default): each check's description and data (the data file's path, free bytes,
    /// the storage error, the unreadable states' names) go only to callers on this machine (loopback, or in-process);
    /// everyone else gets the statuses, which is all an orchestrator's probe reads. <see cref="HealthDetails.Everyone"/>
    /// answers them to anyone (env <c>Readiness__Health__Details=Everyone</c>), for a node that only a private network reaches.
    /// </summary>
    public HealthDetails Details { get; set; } = HealthDetails.Local;

    /// <summary>True for a named value (configuration binds a number to the enum too: "5" is not a setting).</summary>
    public bool IsValid() => Enum.IsDefined(Details);
}

/// <summary>To whom <c>/health/ready</c> and <c>/health/live</c> give each check's description and data.</summary>
public enum HealthDetails
{
    Local,
    Everyone,
}

/// <summary>
/// /health/ready and /health/live answer JSON naming each check and its status. Why a check failed (a file path, an
/// exception's message, the free bytes) is told to operators, not to anyone who can reach the port: see
/// <see cref="HealthOptions.Details"/>. The HTTP status (200, or 503 when unhealthy) is the same for everyone.
/// </summary>
public static class HealthResponse
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        // A request a trusted proxy forwarded is never local, whatever client address it names (a proxy's network
        // could otherwise claim 127.0.0.1): ASP.NET Core's forwarded-headers middleware keeps the proxy's own address
        // in X-Original-For when it applies X-Forwarded-For.
        var details = context.RequestServices.GetService<IOptions<HealthOptions>>()?.Value.Details == HealthDetails.Everyone
            || (IsLocal(context.Connection.RemoteIpAddress) && !context.Request.Headers.ContainsKey(ForwardedFromHeader));
        return JsonSerializer.SerializeAsync(context.Response.Body, new
        {
            status = report.Status.ToString(),
            totalMs = Math.Round(report.TotalDuration.TotalMilliseconds, 1),
            checks = report.Entries.Select(e => new
            {
                name = e.Key,
                status = e.Value.Status.ToString(),
                description = details ? e.Value.Description : null,
                durationMs = Math.Round(e.Value.Duration.TotalMilliseconds, 1),
                data = details && e.Value.Data.Count > 0 ? e.Value.Data : null,
            }),
        }, cancellationToken: context.RequestAborted);
    }

    /// <summary>Where ASP.NET Core's forwarded-headers middleware keeps the connection's own address when it applies X-Forwarded-For.</summary>
    public const string ForwardedFromHeader = "X-Original-For";

    /// <summary>
    /// A caller on this machine: a loopback address (IPv4, IPv6, or IPv4 mapped to IPv6), or none (an in-process
    /// server). Behind a reverse proxy, the proxy must be named in "Readiness:Proxy" for the client's own address to be
    /// seen here; otherwise a proxy on the same machine makes every caller local.
    /// </summary>
    public static bool IsLocal(System.Net.IPAddress? remote) =>
        remote is null || System.Net.IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote);
}
