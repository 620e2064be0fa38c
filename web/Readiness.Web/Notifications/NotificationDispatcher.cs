using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Readiness.Notifications;
using Readiness.Rules;
using Readiness.Web.Identity;

namespace Readiness.Web.Notifications;

/// <summary>The people who may receive notifications: active accounts with an e-mail address, as the policies see them.</summary>
public sealed class NotificationRecipients(IServiceScopeFactory scopes)
{
    public async Task<IReadOnlyList<NotificationRecipient>> ListAsync(CancellationToken cancellationToken)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityDb>();
        var users = await db.Users.AsNoTracking().Where(u => u.Active && u.Email != null).ToListAsync(cancellationToken);
        return users.Select(u => new NotificationRecipient(u.Email!, u.Email!, AccountRules.ApiRole(u.AccountRole), u.Tenant)).ToList();
    }
}

/// <summary>
/// The dispatcher (one per web node): reads the audit trail after its stored position, turns each row into events
/// (<see cref="NotificationRules"/>), plans one outbox row per recipient and channel, and stores those rows and the
/// new position in one transaction; then sends what is due (mail, webhooks) with stored exponential backoff, dead
/// after <see cref="NotificationOptions.MaxAttempts"/>. A process killed at any moment loses nothing: the position
/// moves only with the rows, and a row is marked delivered only after it was sent (at worst it is sent again, with
/// the same id, which receivers use to drop the repeat).
/// </summary>
public sealed class NotificationDispatcher(
    NotificationStore store,
    NotificationRecipients recipients,
    NotificationMailer mailer,
    WebhookSender webhooks,
    SiteLinks links,
    IOptions<NotificationOptions> options,
    TimeProvider time,
    ILogger<NotificationDispatcher> logger) : BackgroundService
{
    /// <summary>The meter of the notification counters, exported at /metrics (readiness_notifications_sent_total, ..._failed_total, ...).</summary>
    public const string MeterName = "Readiness.Notifications";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Derived = Meter.CreateCounter<long>("readiness_notifications_derived", description: "Outbox rows derived from the audit trail");
    private static readonly Counter<long> Sent = Meter.CreateCounter<long>("readiness_notifications_sent", description: "Deliveries sent (mail, webhook)");
    private static readonly Counter<long> Failed = Meter.CreateCounter<long>("readiness_notifications_failed", description: "Delivery attempts that failed");
    private static readonly Histogram<double> Latency = Meter.CreateHistogram<double>("readiness_notification_latency", "s", "From the outbox row's creation to its delivery");

    private readonly SemaphoreSlim wake = new(0);
    private readonly SemaphoreSlim mailWake = new(0);
    private readonly SemaphoreSlim webhookWake = new(0);

    // Up to here this dispatcher found every audit position present in a window it committed (PostgreSQL's look-back
    // starts here, NotificationStore.ReadAuditAsync); 0 on start, and after another node moved the position it is behind.
    private long complete;

    /// <summary>Asks the loop to run now (after an administrator's retry, a new digest).</summary>
    public void Wake()
    {
        if (wake.CurrentCount == 0)
        {
            wake.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            logger.LogInformation("Notifications are turned off (Readiness:Notifications:Enabled=false)");
            return;
        }

        if (!mailer.Configured)
        {
            logger.LogWarning("Notifications: SMTP is not configured (Readiness:Smtp:Host); notifications are kept in the app (/notifications) and sent to webhooks only, no e-mail");
        }

        // Deliveries run in loops of their own, one for mail (and the app's rows) and one for webhooks: a receiver that
        // hangs (a webhook attempt may take 3 × 10 s) holds neither the events' derivation (the app's list) nor the mail
        // (behind one, four regressions' mails arrived 15, 47, 79 and 111 s after their saves).
        Task[]? delivering = null;
        var leasesReleased = !store.IsSqlite;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    if (!leasesReleased)
                    {
                        // SQLite is embedded mode: one process, one dispatcher. Rows leased by a run of this process that
                        // was killed mid-send are taken back now rather than after the lease (NotificationStore.ReleaseLeasesAsync).
                        var released = await store.ReleaseLeasesAsync();
                        leasesReleased = true;
                        if (released > 0)
                        {
                            logger.LogWarning("Notifications: {Count} deliveries were leased by an earlier run that did not finish them (killed or stopped mid-send); sending them again with the same ids", released);
                        }
                    }

                    delivering ??= [DeliveryLoopAsync(webhooks: false, stoppingToken), DeliveryLoopAsync(webhooks: true, stoppingToken)];
                    var round = new AudienceRound();
                    while (await DeriveOnceAsync(round, stoppingToken) >= options.Value.BatchSize)
                    {
                        // A backlog: keep reading without waiting, and let the deliveries start on what is read.
                        WakeDeliveries();
                    }

                    WakeDeliveries();
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    // The database may be away for a while: nothing was lost, the next round starts from the stored position.
                    logger.LogWarning(ex, "Notification dispatcher: this round failed; trying again");
                }

                try
                {
                    await wake.WaitAsync(options.Value.PollInterval, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
        finally
        {
            if (delivering is not null)
            {
                await Task.WhenAll(delivering);
            }
        }
    }

    /// <summary>Delivers due rows of one kind (webhooks, or mail and the rest) whenever woken or every poll interval, until the host stops.</summary>
    private async Task DeliveryLoopAsync(bool webhooks, CancellationToken stoppingToken)
    {
        var signal = webhooks ? webhookWake : mailWake;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await DeliverDueAsync(webhooks, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Notification dispatcher: this round of {Kind} deliveries failed; trying again", webhooks ? "webhook" : "mail");
            }

            try
            {
                await signal.WaitAsync(options.Value.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void WakeDeliveries()
    {
        foreach (var signal in new[] { mailWake, webhookWake })
        {
            if (signal.CurrentCount == 0)
            {
                signal.Release();
            }
        }
    }

    /// <summary>One derivation step: returns the number of audit rows read (0 when there was nothing new).</summary>
    public Task<int> DeriveOnceAsync(CancellationToken cancellationToken) => DeriveOnceAsync(new AudienceRound(), cancellationToken);

    /// <summary>
    /// Who can be told, and how they want it: people, their preferences and the active webhooks. A backlog (a deadline
    /// rush writes ~116,000 audit rows in seconds) is read in many batches; they share one reading of these, never
    /// older than the poll interval, so a change of preference applies as soon as an idle dispatcher would see it.
    /// </summary>
    private sealed class AudienceRound
    {
        public (long At, IReadOnlyList<NotificationRecipient> People, Dictionary<string, Dictionary<NotificationKind, NotificationPreference>> Preferences, List<WebhookTarget> Endpoints)? Audience { get; set; }
    }

    private async Task<int> DeriveOnceAsync(AudienceRound round, CancellationToken cancellationToken)
    {
        // The first start begins at the end of the audit trail: notifications are about what happens from now on,
        // not a replay of the whole history.
        var stored = await store.GetStateAsync(NotificationStore.PositionName, cancellationToken)
            ?? await store.GetOrAddStateAsync(NotificationStore.PositionName, (await store.AuditEndAsync(cancellationToken)).ToString(CultureInfo.InvariantCulture));
        var position = long.Parse(stored, CultureInfo.InvariantCulture);
        var window = await store.ReadAuditAsync(position, options.Value.PositionLookback, options.Value.BatchSize, complete, cancellationToken);
        if (window.NewRows == 0)
        {
            return 0;
        }

        var now = time.GetUtcNow();
        var today = ReadinessRules.TodayInJapan(now);
        if (round.Audience is not { } audience || time.GetElapsedTime(audience.At) >= options.Value.PollInterval)
        {
            audience = (time.GetTimestamp(), await recipients.ListAsync(cancellationToken), await store.AllPreferencesAsync(null, cancellationToken),
                (await store.WebhooksAsync(cancellationToken)).Where(w => w.Active).Select(w => new WebhookTarget(w.Id, w.Tenant, w.Url)).ToList());
            round.Audience = audience;
        }

        var (_, people, preferences, endpoints) = audience;
        NotificationPreference Preference(string subject, NotificationKind kind) =>
            preferences.TryGetValue(subject, out var mine) && mine.TryGetValue(kind, out var p) ? p : NotificationPreference.Default(kind);

        var planned = window.SystemRows.SelectMany(r => NotificationRules.Derive(r, today))
            .SelectMany(e => NotificationRules.Plan(e, people, Preference, endpoints))
            .Where(d => d.Channel != NotificationChannel.Mail || mailer.Configured) // without SMTP: in the app (and webhooks) only
            .ToList();
        if (await store.CommitDerivedAsync(position, window.End, planned, now))
        {
            complete = window.Complete;
            Derived.Add(planned.Count);
            if (planned.Count > 0)
            {
                logger.LogDebug("Notifications: {Rows} audit rows → {Deliveries} outbox rows (position {From} → {To})", window.NewRows, planned.Count, position, window.End);
            }
        }

        return window.NewRows;
    }

    /// <summary>Sends every due row (leased to this node first); returns how many were sent.</summary>
    public Task<int> DeliverDueAsync(CancellationToken cancellationToken) => DeliverDueAsync(webhooks: null, cancellationToken);

    /// <summary>Sends every due row of one kind (webhooks: true only webhooks, false all others, null all); returns how many were sent.</summary>
    public async Task<int> DeliverDueAsync(bool? webhooks, CancellationToken cancellationToken)
    {
        var sent = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var due = await store.ClaimDueAsync(time.GetUtcNow(), options.Value.Lease, 50, webhooks, cancellationToken);
            if (due.Count == 0)
            {
                break;
            }

            // One lane per receiver: the mail server, and each webhook endpoint; each lane in the rows' order, the lanes
            // side by side. A receiver that hangs (a webhook attempt may take 3 × 10 s) holds only its own rows: in one
            // lane for all it held every mail behind it (four regressions' mails arrived 15, 47, 79 and 111 s after
            // their saves). After a failure the lane's other rows of this batch wait for that row's next attempt, not
            // counted as attempts of their own.
            var lanes = due.GroupBy(r => r.Channel == NotificationChannel.Webhook ? "webhook:" + r.Recipient : Wire.Name(r.Channel), StringComparer.Ordinal).ToList();
            await Parallel.ForEachAsync(lanes, new ParallelOptions { MaxDegreeOfParallelism = MaxLanes, CancellationToken = cancellationToken }, async (lane, token) =>
            {
                DateTimeOffset? failedUntil = null;
                foreach (var row in lane)
                {
                    if (failedUntil is { } next)
                    {
                        await store.DeferAsync(row.Id, next);
                        continue;
                    }

                    var (delivered, retryAt) = await DeliverAsync(row, token);
                    if (delivered)
                    {
                        Interlocked.Increment(ref sent);
                    }

                    failedUntil = retryAt;
                }
            });
        }

        return sent;
    }

    /// <summary>How many receivers are sent to at once (<see cref="DeliverDueAsync"/>).</summary>
    public const int MaxLanes = 8;

    /// <summary>Sends one row: whether it was delivered, and when it is tried again if it failed (null otherwise).</summary>
    private async Task<(bool Delivered, DateTimeOffset? RetryAt)> DeliverAsync(OutboxRow row, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            switch (row.Channel)
            {
                case NotificationChannel.Mail:
                    if (!mailer.Configured)
                    {
                        throw new InvalidOperationException("SMTP is not configured (Readiness:Smtp:Host).");
                    }

                    if (row.Kind != NotificationKind.Digest
                        && await store.MailsSentSinceAsync(row.Recipient, time.GetUtcNow().AddHours(-1), cancellationToken) >= options.Value.MaxMailsPerHour)
                    {
                        // The per-person limit: the rest of a burst goes into the person's next summary.
                        await store.HoldAsync(row.Id);
                        return (false, null);
                    }

                    await mailer.SendAsync(await ComposeMailAsync(row), cancellationToken);
                    break;
                case NotificationChannel.Webhook:
                    var endpoint = (await store.WebhooksAsync(cancellationToken)).FirstOrDefault(w => w.Id == row.Recipient && w.Active)
                        ?? throw new InvalidOperationException($"Webhook endpoint {row.Recipient} is no longer registered.");
                    await webhooks.SendAsync(endpoint.Url, endpoint.Secret, row.Id, row.Payload, cancellationToken);
                    break;
                default:
                    break;
            }

            var now = time.GetUtcNow();
            await store.MarkDeliveredAsync(row.Id, now);
            Sent.Add(1, new KeyValuePair<string, object?>("channel", Wire.Name(row.Channel)));
            Latency.Record((now - row.CreatedAt).TotalSeconds, new KeyValuePair<string, object?>("channel", Wire.Name(row.Channel)));
            return (true, null);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            var attempts = row.Attempts + 1;
            var dead = NotificationRules.IsDead(attempts, options.Value.MaxAttempts);
            var failedAt = time.GetUtcNow();
            var next = failedAt + NotificationRules.RetryDelay(attempts, options.Value.RetryFirst, options.Value.RetryCap);
            await store.MarkFailedAsync(row.Id, attempts, next, $"{ex.GetType().Name}: {ex.Message}", dead, failedAt);
            Failed.Add(1, new KeyValuePair<string, object?>("channel", Wire.Name(row.Channel)));
            logger.Log(dead ? LogLevel.Error : LogLevel.Warning, "Notification {Id} ({Channel}) attempt {Attempt} failed after {Ms} ms: {Error}{Dead}",
                row.Id, Wire.Name(row.Channel), attempts, Stopwatch.GetElapsedTime(started).TotalMilliseconds, ex.Message, dead ? "; dead letter (retry at /admin/notifications)" : string.Empty);
            return (false, next);
        }
    }

    private async Task<MimeKit.MimeMessage> ComposeMailAsync(OutboxRow row)
    {
        var key = await store.UnsubscribeKeyAsync();
        var token = UnsubscribeTokens.Create(key, row.Recipient, row.Kind);
        var unsubscribe = links.Unsubscribe(token);
        var oneClick = links.OneClick(token);
        if (row.Kind == NotificationKind.Digest)
        {
            var digest = System.Text.Json.JsonSerializer.Deserialize<DigestPayload>(row.Payload, NotificationStore.Json)!;
            var page = links.Page(digest.PrefectureCode is null ? "/notifications" : $"/prefectures/{digest.PrefectureCode}");
            return mailer.Compose(row.Id, row.Address!, digest.Subject,
                NotificationMessages.DigestText(digest.Title, digest.Lines, page, unsubscribe),
                NotificationMessages.DigestHtml(digest.Title, digest.Lines, page, unsubscribe), oneClick);
        }

        var payload = row.Event!;
        var detail = links.Page(NotificationMessages.PagePath(payload.Data.MunicipalityCode));
        return mailer.Compose(row.Id, row.Address!, NotificationMessages.Subject(row.Kind, payload.Data),
            NotificationMessages.EventText(row.Kind, payload.Data, detail, unsubscribe),
            NotificationMessages.EventHtml(row.Kind, payload.Data, detail, unsubscribe), oneClick);
    }
}

/// <summary>A digest as stored in the outbox: its subject, title and lines (so a retry sends exactly the same mail).</summary>
public sealed record DigestPayload(string Type, string Subject, string Title, string? PrefectureCode, DateTimeOffset Since, DateTimeOffset Until, IReadOnlyList<NotificationMessages.DigestLine> Lines);
