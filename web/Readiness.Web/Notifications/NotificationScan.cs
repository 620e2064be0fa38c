using System.Globalization;
using Microsoft.Extensions.Options;
using Readiness.Catalog;
using Readiness.Grains;
using Readiness.Notifications;
using Readiness.Rules;

namespace Readiness.Web.Notifications;

/// <summary>
/// The scan for events of time passing (<see cref="ScanRules"/>): municipalities due a 21-day reminder or stale, 特定移行支援システム
/// (a municipality's or a prefecture's own) whose target passed, national thresholds crossed. Run by the schedule grain's reminder with the digests. The day's
/// municipality part runs once per JST day (its conditions change only with the day); the national part every tick.
/// Every event has a stable id (its spell), so a repeated or interrupted scan, or a restart, puts nothing in twice.
/// The clock is the keyed <see cref="TimeProvider"/> <see cref="ClockKey"/> (the system clock unless a test moves it).
/// </summary>
public sealed class NotificationScan(
    NotificationStore store,
    NotificationRecipients recipients,
    NotificationMailer mailer,
    IGrainFactory grains,
    Readiness.Web.Api.MunicipalityRecords reads,
    IOptions<NotificationOptions> options,
    [FromKeyedServices(NotificationScan.ClockKey)] TimeProvider time,
    TimeProvider dispatchTime,
    ILogger<NotificationScan> logger)
{
    public const string ClockKey = "notifications";

    /// <summary>State: the first day the scan ran (JST, yyyy-MM-dd); nothing that began before it is told.</summary>
    public const string SinceName = "scan_since";

    /// <summary>State: the last JST day whose municipality part completed.</summary>
    public const string DayName = "scan_day";

    /// <summary>Stores the first day once (at start-up), so a scan first run days later still tells what began since installation.</summary>
    public async Task<DateOnly> EnsureStartedAsync() =>
        DateOnly.ParseExact(await store.GetOrAddStateAsync(SinceName, Day(ReadinessRules.TodayInJapan(time.GetUtcNow()))), "yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>One scan: puts the due events' rows into the outbox; returns how many rows were new.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled)
        {
            return 0;
        }

        var now = time.GetUtcNow();
        var today = ReadinessRules.TodayInJapan(now);
        var since = await EnsureStartedAsync();
        var events = new List<NotificationEvent>();

        var nation = await grains.GetGrain<INationGrain>(INationGrain.NationKey).GetAsync().WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        // Validated at start-up (NotificationSetup): both parse.
        var shareThresholds = NotificationOptions.TryParseThresholds(options.Value.NationalMigratedShareThresholds, out var share) ? share : [];
        var overdueThresholds = NotificationOptions.TryParseThresholds(options.Value.NationalOverdueThresholds, out var overdue) ? overdue : [];
        var f = nation.Figures;
        var national = new List<NationalMeasure>
        {
            new("overdue_systems", f.OverdueSystems, overdueThresholds),
        };
        if (f.ApplicableSystems > 0)
        {
            national.Add(new("migrated_share", f.MigratedSystems / (double)f.ApplicableSystems, shareThresholds));
        }

        var measures = new List<(string Name, string Value)>();
        foreach (var measure in national)
        {
            var name = $"national:{measure.Name}";
            var previous = await store.GetStateAsync(name, cancellationToken) is { } text ? double.Parse(text, CultureInfo.InvariantCulture) : (double?)null;
            events.AddRange(ScanRules.NationalDue(measure, previous, today, now));
            measures.Add((name, measure.Value.ToString("R", CultureInfo.InvariantCulture)));
        }

        var daily = await store.GetStateAsync(DayName, cancellationToken) != Day(today);
        if (daily)
        {
            var activity = new List<MunicipalityActivity>();
            var designated = new List<MunicipalityInfo>();
            foreach (var prefecture in ReadinessCatalog.Instance.Prefectures)
            {
                var detail = await grains.GetGrain<IPrefectureGrain>(prefecture.Code).GetAsync().WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);

                // The prefecture's own systems (都道府県が実施する事務): their targets pass as a municipality's do.
                var own = await grains.GetGrain<IPrefectureRunGrain>(prefecture.Code).GetAsync().WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
                events.AddRange(ScanRules.PrefectureSystemsDue(own, today, since, now));
                foreach (var m in detail.Municipalities)
                {
                    activity.Add(new MunicipalityActivity(m.Code, prefecture.Code, m.LastReportedAt));
                    if (m.Figures.DesignatedSystems > 0 && ReadinessCatalog.Instance.MunicipalitiesByCode.TryGetValue(m.Code, out var info))
                    {
                        designated.Add(info);
                    }
                }
            }

            // A municipality whose stored state cannot be read is skipped (one warning per scan), the others told; the
            // next day's scan tells it once it is restored (the events' ids are stable, nothing is told twice).
            var read = await reads.ReadAsync(designated, cancellationToken);
            foreach (var (m, record) in read.Readable)
            {
                events.AddRange(ScanRules.SystemsDue(record, m.PrefectureCode, today, since, now));
            }

            if (read.Unreadable.Count > 0)
            {
                logger.LogWarning("Notification scan {Day}: {Count} municipalities skipped, their stored state cannot be read (restore them from a backup): {Codes}",
                    Day(today), read.Unreadable.Count, string.Join(",", read.UnreadableCodes));
            }

            events.AddRange(ScanRules.StaleDue(activity, today, since, now));
        }

        var added = 0;
        if (events.Count > 0)
        {
            var people = await recipients.ListAsync(cancellationToken);
            var preferences = await store.AllPreferencesAsync(null, cancellationToken);
            var endpoints = (await store.WebhooksAsync(cancellationToken)).Where(w => w.Active).Select(w => new WebhookTarget(w.Id, w.Tenant, w.Url)).ToList();
            NotificationPreference Preference(string subject, NotificationKind kind) =>
                preferences.TryGetValue(subject, out var mine) && mine.TryGetValue(kind, out var p) ? p : NotificationPreference.Default(kind);
            var planned = events.SelectMany(e => NotificationRules.Plan(e, people, Preference, endpoints))
                .Where(d => d.Channel != NotificationChannel.Mail || mailer.Configured)
                .ToList();
            // The rules see the scan's clock (a test moves it days ahead); the rows are due by the dispatcher's clock,
            // or a moved scan clock would make them due only in the future.
            added = await store.InsertPlannedAsync(planned, dispatchTime.GetUtcNow());
            logger.LogInformation("Notification scan {Day}: {Events} events due, {Added} new outbox rows", Day(today), events.Count, added);
        }

        // Recorded only after the rows are in: a scan interrupted before this point runs again and adds nothing twice.
        foreach (var (name, value) in measures)
        {
            await store.SetStateAsync(name, value);
        }

        if (daily)
        {
            await store.SetStateAsync(DayName, Day(today));
        }

        return added;
    }

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}

/// <summary>
/// What the schedule grain's reminder runs: due digests, then the scan, then the reconciliation differences of a recent
/// import that were not told (<see cref="Readiness.Web.Imports.ReconciliationNotifier.CatchUpAsync"/>); wakes the dispatcher when rows were added.
/// </summary>
public sealed class NotificationSchedule(DigestService digests, NotificationScan scan, Readiness.Web.Imports.ReconciliationNotifier reconciliation, NotificationDispatcher dispatcher,
    ILogger<NotificationSchedule> logger) : INotificationScheduleHandler
{
    public async Task<int> RunDueAsync(CancellationToken cancellationToken)
    {
        var added = await digests.RunDueDigestsAsync(cancellationToken);
        added += await scan.RunAsync(cancellationToken);
        try
        {
            added += await reconciliation.CatchUpAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Reconciliation catch-up failed; the next tick tries again");
        }

        if (added > 0)
        {
            dispatcher.Wake();
        }

        return added;
    }
}
