namespace Readiness.Notifications;

/// <summary>
/// The notification schedule (key: <see cref="Key"/>): an Orleans reminder that asks the host, every few minutes,
/// whether a digest is due and runs the scan for events of time passing (stale municipalities, passed targets,
/// national thresholds). What was sent when is stored in the product database, so neither a restart nor a missed
/// tick sends a digest twice or skips one.
/// </summary>
[Alias("Readiness.INotificationScheduleGrain")]
public interface INotificationScheduleGrain : IGrainWithStringKey
{
    public const string Key = "notifications";

    /// <summary>Registers (or updates) the reminder; called at start-up so the schedule exists without a reader.</summary>
    [Alias("StartAsync")]
    Task StartAsync(TimeSpan interval);

    /// <summary>Runs one check now (what the reminder does); returns the number of outbox rows added.</summary>
    [Alias("TickAsync")]
    Task<int> TickAsync();
}

/// <summary>What the schedule grain calls on its host: the web tier's digests and scan (absent on a silo without it).</summary>
public interface INotificationScheduleHandler
{
    /// <summary>Puts every due digest and every event of time passing (stale, past target, national thresholds) into the outbox; returns how many rows.</summary>
    Task<int> RunDueAsync(CancellationToken cancellationToken);
}
