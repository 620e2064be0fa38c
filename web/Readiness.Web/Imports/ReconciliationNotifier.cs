using System.Globalization;
using Readiness.Grains;
using Readiness.Imports;
using Readiness.Notifications;
using Readiness.Web.Notifications;

namespace Readiness.Web.Imports;

/// <summary>
/// After an official import is applied: for each municipality of the dataset whose own reports now disagree with the
/// official data (<see cref="Reconciliation"/>), one <see cref="NotificationKind.ReconciliationDifferences"/> event for
/// its prefecture's staff (<see cref="NotificationRules.ReconciliationEvent"/>), written to the outbox like every other
/// event, when they are new or have changed since the municipality was last told (<see cref="DifferencesToldName"/>). The ids
/// are stable (municipality, dataset, kind, channel, recipient), so applying or notifying twice adds nothing.
/// Once told, the dataset is marked (state <c>reconciled:{id}</c>); the schedule's tick (<see cref="CatchUpAsync"/>) tells
/// an import applied within <see cref="CatchUpWindow"/> and not marked, so a process killed between applying an import
/// and writing its events loses none. A municipality whose stored state cannot be read is skipped (one warning) and
/// kept in state <c>reconciled-unreadable:{id}</c>; the tick tells it once it can be read (within the same window).
/// </summary>
public sealed class ReconciliationNotifier(
    IGrainFactory grains, Readiness.Web.Api.MunicipalityRecords reads, ReconciliationService reconciliation, NotificationStore store, NotificationRecipients recipients, NotificationMailer mailer,
    TimeProvider time, ILogger<ReconciliationNotifier> logger)
{
    /// <summary>How long after its apply an import not marked as told is caught up by the schedule (longer ago: an installation from before the mark, not told again).</summary>
    public static readonly TimeSpan CatchUpWindow = TimeSpan.FromDays(1);

    /// <summary>The state that marks dataset <paramref name="datasetId"/>'s differences as told.</summary>
    public static string ToldName(string datasetId) => "reconciled:" + datasetId;

    /// <summary>The state that lists (comma-separated) the municipalities of dataset <paramref name="datasetId"/> not told because their stored state could not be read.</summary>
    public static string UnreadableName(string datasetId) => "reconciled-unreadable:" + datasetId;

    /// <summary>
    /// The state holding, as a JSON object, each municipality's differences as last told (code → the event's reason,
    /// <see cref="NotificationRules.ReconciliationEvent"/>); a municipality that agrees with the official data is not in it.
    /// </summary>
    public const string DifferencesToldName = "reconciliation_told";

    private static Dictionary<string, string> ReadTold(string? json)
    {
        try
        {
            return json is null ? [] : System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? [];
        }
        catch (System.Text.Json.JsonException)
        {
            // Damaged: every difference is told again, none lost.
            return [];
        }
    }

    /// <summary>Tells the differences of every import applied within <see cref="CatchUpWindow"/> and not marked as told; returns the outbox rows planned.</summary>
    public async Task<int> CatchUpAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var listings = await grains.GetGrain<IOfficialImportIndexGrain>(IOfficialImportIndexGrain.Key).ListAsync();
        var rows = 0;
        foreach (var listing in listings.Where(l => l.AppliedAt is { } at && now - at < CatchUpWindow))
        {
            if (await store.GetStateAsync(ToldName(listing.Id), cancellationToken) is not null)
            {
                // Told, but perhaps without municipalities that could not be read then: told now if they can be.
                if (await store.GetStateAsync(UnreadableName(listing.Id), cancellationToken) is { Length: > 0 } pending
                    && await grains.GetGrain<IOfficialImportGrain>(listing.Id).GetAsync() is { Applied: { } told })
                {
                    rows += await NotifyAsync(listing.Id, pending.Split(','), told.AppliedBy, cancellationToken);
                }

                continue;
            }

            if (await grains.GetGrain<IOfficialImportGrain>(listing.Id).GetAsync() is not { Applied: { } applied } record)
            {
                continue;
            }

            logger.LogWarning("Reconciliation after import {Dataset}: applied at {At} but its differences were not told; telling them now", listing.Id, applied.AppliedAt);
            rows += await NotifyAsync(record.Id, record.Rows.Select(r => r.MunicipalityCode).Distinct(StringComparer.Ordinal), applied.AppliedBy, cancellationToken);
        }

        return rows;
    }

    /// <summary>Writes the events of <paramref name="codes"/> for dataset <paramref name="datasetId"/> and marks it told; returns how many outbox rows were planned.</summary>
    public async Task<int> NotifyAsync(string datasetId, IEnumerable<string> codes, string actorSubject, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var events = new List<NotificationEvent>();
        var designations = await reconciliation.DesignationsAsync(cancellationToken);
        var read = await reads.ReadAsync(Readiness.Web.Api.MunicipalityRecords.Of(codes), cancellationToken);

        // Told when a municipality's differences are new or have changed since it was last told: an import that changes
        // nothing (the same month again, an older dataset, a designation list that leaves them as they were) tells the
        // prefecture nothing it was already told. A municipality that now agrees is forgotten, so differences that come
        // back are told again.
        var told = ReadTold(await store.GetStateAsync(DifferencesToldName, cancellationToken));
        var stillTold = new Dictionary<string, string>(told, StringComparer.Ordinal);
        foreach (var (_, record) in read.Readable)
        {
            if (NotificationRules.ReconciliationEvent(record.Code, datasetId, Reconciliation.Compare(record, designations), now, actorSubject) is not { } e)
            {
                stillTold.Remove(record.Code);
            }
            else if (!told.TryGetValue(record.Code, out var before) || before != e.Reason)
            {
                events.Add(e);
                stillTold[record.Code] = e.Reason!;
            }
        }

        if (read.Unreadable.Count > 0)
        {
            logger.LogWarning("Reconciliation after import {Dataset}: {Count} municipalities not compared, their stored state cannot be read (restore them from a backup; told then): {Codes}",
                datasetId, read.Unreadable.Count, string.Join(",", read.UnreadableCodes));
        }

        async Task MarkToldAsync()
        {
            // After the outbox rows: a process killed before this line tells them again with the same ids (no duplicates).
            await store.SetStateAsync(DifferencesToldName, System.Text.Json.JsonSerializer.Serialize(stillTold));
            await store.SetStateAsync(ToldName(datasetId), now.ToString("O", CultureInfo.InvariantCulture));
            if (read.Unreadable.Count > 0 || await store.GetStateAsync(UnreadableName(datasetId), cancellationToken) is not null)
            {
                await store.SetStateAsync(UnreadableName(datasetId), string.Join(",", read.UnreadableCodes));
            }
        }

        if (events.Count == 0)
        {
            await MarkToldAsync();
            return 0;
        }

        var people = await recipients.ListAsync(cancellationToken);
        var preferences = await store.AllPreferencesAsync(null, cancellationToken);
        var endpoints = (await store.WebhooksAsync(cancellationToken)).Where(w => w.Active).Select(w => new WebhookTarget(w.Id, w.Tenant, w.Url)).ToList();
        NotificationPreference Preference(string subject, NotificationKind kind) =>
            preferences.TryGetValue(subject, out var mine) && mine.TryGetValue(kind, out var p) ? p : NotificationPreference.Default(kind);
        var planned = events.SelectMany(e => NotificationRules.Plan(e, people, Preference, endpoints))
            .Where(d => d.Channel != NotificationChannel.Mail || mailer.Configured)
            .ToList();

        // Written with the dispatcher's own commit, its audit position left where it is (retried if it moves meanwhile).
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var stored = await store.GetStateAsync(NotificationStore.PositionName, cancellationToken)
                ?? await store.GetOrAddStateAsync(NotificationStore.PositionName, (await store.AuditEndAsync(cancellationToken)).ToString(CultureInfo.InvariantCulture));
            var position = long.Parse(stored, CultureInfo.InvariantCulture);
            if (await store.CommitDerivedAsync(position, position, planned, now))
            {
                await MarkToldAsync();
                logger.LogInformation("Reconciliation after import {Dataset}: {Municipalities} municipalities differ, {Rows} outbox rows", datasetId, events.Count, planned.Count);
                return planned.Count;
            }
        }

        logger.LogWarning("Reconciliation after import {Dataset}: the outbox was busy; {Rows} rows not written", datasetId, planned.Count);
        return 0;
    }
}
