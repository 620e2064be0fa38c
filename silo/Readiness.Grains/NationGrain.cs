using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Readiness.Catalog;
using Readiness.Rules;

namespace Readiness.Grains;

/// <summary>
/// The nation: the newest summary of each of the 47 prefectures, pulled on activation and periodically.
/// Two reminders (durable: ADO.NET on PostgreSQL in cluster mode, in memory when embedded) keep it honest even when
/// no one reads it and after silos fail: a deep reconciliation of every aggregate, and the daily snapshot kept as
/// history. A reminder also re-activates the grain after a restart, so the snapshot is taken without a reader.
/// </summary>
public sealed class NationGrain(
    IOptions<AggregationOptions> options,
    TimeProvider time,
    ReadinessMetrics metrics,
    ILogger<NationGrain> logger) : Grain, INationGrain, IRemindable
{
    public const string ReconcileReminder = "readiness-deep-reconcile";
    public const string SnapshotReminder = "readiness-daily-snapshot";

    /// <summary>Orleans refuses reminder periods under a minute.</summary>
    public static readonly TimeSpan MinimumReminderPeriod = TimeSpan.FromMinutes(1);

    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    private readonly Dictionary<string, PrefectureSummary> latest = new(StringComparer.Ordinal);
    private NationSummary? summary;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await ReconcileAsync(deep: false);
        this.RegisterGrainTimer(() => ReconcileAsync(deep: false), new GrainTimerCreationOptions(options.Value.ReconcileInterval, options.Value.ReconcileInterval));
        await RegisterRemindersAsync();
        // A fresh installation (or a day whose snapshot was missed while the cluster was down) gets its point at once.
        await RecordSnapshotAsync(replace: false);
    }

    public Task ReportAsync(PrefectureSummary incoming)
    {
        if (ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(incoming.PrefectureCode))
        {
            Keep(incoming);
        }

        return Task.CompletedTask;
    }

    public Task<NationSummary> GetAsync() => Task.FromResult(Current());

    public async Task ReconcileAsync(bool deep)
    {
        var (pulled, failed) = await ChildPulls.PullAsync(ReadinessCatalog.Instance.Prefectures, async p =>
        {
            var grain = GrainFactory.GetGrain<IPrefectureGrain>(p.Code);
            if (deep)
            {
                await grain.ReconcileAsync();
            }

            return await grain.GetSummaryAsync();
        });
        foreach (var p in pulled)
        {
            Keep(p);
        }

        if (failed.Count > 0)
        {
            metrics.PullFailures.Add(failed.Count, new KeyValuePair<string, object?>("level", "nation"));
            logger.LogWarning("The nation could not pull {Failed} of 47 prefectures ({Codes}); the next reconciliation tries again", failed.Count, string.Join(", ", failed.Select(p => p.Code)));
        }

        metrics.Reconciliations.Add(1, new KeyValuePair<string, object?>("level", deep ? "nation_deep" : "nation"));
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        switch (reminderName)
        {
            case ReconcileReminder:
                await ReconcileAsync(deep: true);
                break;
            case SnapshotReminder:
                await ReconcileAsync(deep: false);
                await RecordSnapshotAsync(replace: true);
                break;
            default:
                logger.LogWarning("Nation ignored unknown reminder {Reminder}", reminderName);
                break;
        }
    }

    /// <summary>When the next daily snapshot is due, from <paramref name="now"/>.</summary>
    public static TimeSpan UntilNextSnapshot(DateTimeOffset now, TimeOnly snapshotTime)
    {
        var local = now.ToOffset(Jst);
        var next = new DateTimeOffset(DateOnly.FromDateTime(local.DateTime).ToDateTime(snapshotTime), Jst);
        if (next <= local)
        {
            next = next.AddDays(1);
        }

        return next - local;
    }

    private async Task RegisterRemindersAsync()
    {
        var reconcile = options.Value.ReconcileInterval < MinimumReminderPeriod ? MinimumReminderPeriod : options.Value.ReconcileInterval;
        try
        {
            await this.RegisterOrUpdateReminder(ReconcileReminder, reconcile, reconcile);
            await this.RegisterOrUpdateReminder(SnapshotReminder, UntilNextSnapshot(time.GetUtcNow(), options.Value.SnapshotTime), TimeSpan.FromDays(1));
        }
        catch (Exception ex)
        {
            // Without a reminder service (a bare test cluster) the timers still reconcile while the grain is active.
            logger.LogWarning(ex, "Nation could not register its reminders; reconciliation continues on timers only");
        }
    }

    private async Task RecordSnapshotAsync(bool replace)
    {
        try
        {
            // The cached summary stays valid while nothing changes, so its own time may be days old: the snapshot
            // is of now, and belongs to today.
            var snapshot = Current() with { ComputedAt = time.GetUtcNow() };
            await GrainFactory.GetGrain<INationHistoryGrain>(INationGrain.NationKey).RecordAsync(snapshot, replace);
        }
        catch (Exception ex)
        {
            // History is secondary: the nation keeps serving; the next reminder or activation records the day.
            logger.LogWarning(ex, "Nation could not record its daily snapshot");
        }
    }

    private NationSummary Current() => summary ??= Aggregation.Nation(latest.Values, time.GetUtcNow());

    private void Keep(PrefectureSummary incoming)
    {
        if (Aggregation.KeepNewest(latest, incoming.PrefectureCode, incoming, s => s.VersionSum, s => s.AsOf))
        {
            summary = null;
        }
    }
}
