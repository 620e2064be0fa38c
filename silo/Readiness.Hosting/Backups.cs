using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Readiness.Hosting;

/// <summary>
/// Backups of the running embedded product, taken on demand (the administrators' action) or on a schedule
/// (Readiness:Backup:Interval), into Readiness:Backup:Path (default {data folder}/backups).
/// </summary>
public sealed class Backups(IStorageConnection storage, IOptions<ReadinessOptions> options, TimeProvider time)
{
    private readonly SemaphoreSlim one = new(1, 1);

    public string Folder => options.Value.Backup.ResolvePath(options.Value);

    /// <summary>
    /// Takes one backup now; one at a time (a second caller waits for the first). A backup's name has the second it was
    /// taken (<see cref="SqliteBackup.FileName"/>), so one asked for in the same second as the previous waits for the
    /// next second rather than fail on the name (two administrators' clicks, or a click and the schedule).
    /// </summary>
    public async Task<BackupResult> TakeAsync(CancellationToken cancellationToken = default)
    {
        await one.WaitAsync(cancellationToken);
        try
        {
            var file = Path.Combine(Folder, SqliteBackup.FileName(time.GetUtcNow()));
            // A few tries: after one wait a backup still met the old name once, under parallel tests (the wall clock a timer wakes to can lag).
            for (var attempt = 0; attempt < 5 && File.Exists(file); attempt++)
            {
                var at = time.GetUtcNow();
                await Task.Delay(TimeSpan.FromTicks(TimeSpan.TicksPerSecond - (at.UtcTicks % TimeSpan.TicksPerSecond)) + TimeSpan.FromMilliseconds(20), time, cancellationToken);
                file = Path.Combine(Folder, SqliteBackup.FileName(time.GetUtcNow()));
            }

            return await SqliteBackup.BackupAsync(storage.Location, file, cancellationToken);
        }
        finally
        {
            one.Release();
        }
    }

    /// <summary>The backups in the folder, newest first (name, bytes, written at).</summary>
    public IReadOnlyList<FileInfo> List() => Directory.Exists(Folder)
        ? new DirectoryInfo(Folder).GetFiles("readiness-*.db").OrderByDescending(f => f.Name, StringComparer.Ordinal).ToList()
        : [];

    /// <summary>Removes all but the newest <paramref name="retain"/> backups; returns how many were removed.</summary>
    public int Prune(int retain)
    {
        var removed = 0;
        foreach (var old in List().Skip(Math.Max(1, retain)))
        {
            old.Delete();
            removed++;
        }

        return removed;
    }

    internal static void Register(IServiceCollection services, ReadinessOptions options)
    {
        services.AddSingleton<Backups>();
        if (options.Backup.Interval is { } interval && interval > TimeSpan.Zero)
        {
            services.AddHostedService<ScheduledBackups>();
        }
    }
}

/// <summary>Takes a backup every Readiness:Backup:Interval and keeps the newest Readiness:Backup:Retain.</summary>
internal sealed class ScheduledBackups(Backups backups, IOptions<ReadinessOptions> options, TimeProvider time, StorageWriteMonitor monitor, ILogger<ScheduledBackups> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Backup.Interval!.Value, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var result = await backups.TakeAsync(stoppingToken);
                monitor.RecordBackup(null);
                var removed = backups.Prune(options.Value.Backup.Retain);
                logger.LogInformation("Scheduled backup {File}: {Bytes} bytes in {Elapsed} ms; {Removed} old backup(s) removed", result.File, result.Bytes, (long)result.Elapsed.TotalMilliseconds, removed);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                monitor.RecordBackup(ex); // readiness degraded and readiness_backups_failures_total, until one succeeds
                logger.LogError(ex, "Scheduled backup failed; the next one is due in {Interval}", options.Value.Backup.Interval);
            }
        }
    }
}
