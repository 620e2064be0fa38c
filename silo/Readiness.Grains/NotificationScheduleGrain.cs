using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Readiness.Notifications;

namespace Readiness.Grains;

/// <summary>
/// Drives digests from an Orleans reminder (durable in cluster mode; re-registered at every start in embedded mode).
/// The reminder only asks whether a digest is due: the last digest of each prefecture is stored in the database, so a
/// tick after a restart sends what was missed, once. Holds no state of its own.
/// </summary>
public sealed class NotificationScheduleGrain(IServiceProvider services, ILogger<NotificationScheduleGrain> logger) : Grain, INotificationScheduleGrain, IRemindable
{
    public const string ReminderName = "readiness-notification-schedule";

    public async Task StartAsync(TimeSpan interval)
    {
        var period = interval < NationGrain.MinimumReminderPeriod ? NationGrain.MinimumReminderPeriod : interval;
        await this.RegisterOrUpdateReminder(ReminderName, period, period);
    }

    public Task<int> TickAsync() => RunAsync();

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == ReminderName)
        {
            await RunAsync();
        }
    }

    private async Task<int> RunAsync()
    {
        var handler = services.GetService<INotificationScheduleHandler>();
        if (handler is null)
        {
            // A silo without the web tier (cluster mode): the web nodes check the schedule themselves.
            return 0;
        }

        try
        {
            return await handler.RunDueAsync(CancellationToken.None);
        }
        catch (Exception ex)
        {
            // The next tick tries again; nothing was marked as sent.
            logger.LogWarning(ex, "Notification schedule: digests or the scan failed this time");
            return 0;
        }
    }
}
