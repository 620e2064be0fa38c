using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Readiness.Catalog;
using Readiness.Notifications;
using Readiness.Web.Api;
using Readiness.Web.Api.OpenApi;
using Readiness.Web.Auth;
using Readiness.Web.Components;
using Readiness.Web.Identity;

namespace Readiness.Web.Notifications;

/// <summary>One in-app notification: what happened (Japanese and English), to which municipality and system, when, and whether it was read.</summary>
public sealed record NotificationView(
    string Id, NotificationKind Kind, string TitleJa, string TitleEn, string TextJa, string TextEn,
    string? MunicipalityCode, string? BusinessId, long? Version, DateTimeOffset CreatedAt, DateTimeOffset? ReadAt);

/// <summary>The caller's in-app notifications, newest first (at most 100), and how many of all theirs are unread (listed or not).</summary>
public sealed record NotificationListView(IReadOnlyList<NotificationView> Items, int Unread);

/// <summary>A person's choice for one kind: by mail, in the app, and how often mail comes (immediately, daily or weekly).</summary>
public sealed record PreferenceView(NotificationKind Kind, bool Mail, bool InApp, NotificationFrequency Frequency);

/// <summary>The caller's choices for every kind (stored or default), and whether mail can be sent at all (SMTP configured).</summary>
public sealed record PreferencesView(IReadOnlyList<PreferenceView> Items, bool MailAvailable);

/// <summary>Body of PUT /api/v1/notifications/preferences: the kinds to change (others keep their choice).</summary>
public sealed record PreferencesRequest([property: JsonRequired] IReadOnlyList<PreferenceView> Items);

/// <summary>One outbox row for administrators: its stable id, kind, channel, recipient, state, attempts and last error.</summary>
public sealed record OutboxView(
    string Id, NotificationKind Kind, NotificationChannel Channel, string Recipient, string Status, int Attempts,
    DateTimeOffset CreatedAt, DateTimeOffset NextAttemptAt, DateTimeOffset? DeliveredAt, string? LastError, string? MunicipalityCode);

/// <summary>The outbox for administrators: rows in the asked status (dead letters by default), counts per status, and whether SMTP is configured.</summary>
public sealed record OutboxListView(string Status, IReadOnlyList<OutboxView> Items, IReadOnlyDictionary<string, long> Counts, bool MailConfigured);

/// <summary>A webhook endpoint (its secret only in the answer to its registration).</summary>
public sealed record WebhookView(string Id, string? Tenant, string Url, bool Active, DateTimeOffset CreatedAt, string CreatedBy, string? Secret);

/// <summary>Body of POST /api/v1/admin/webhooks: the receiver's https (or loopback http) URL and the tenant whose events it gets (2-digit prefecture, 6-digit municipality, or null for all).</summary>
public sealed record WebhookRequest([property: JsonRequired] string Url, string? Tenant = null);

/// <summary>
/// <see cref="WebhookRequest"/> as read: url may be missing or null here, so that its fault is told by the one check
/// the page uses (「受信 URL を入力してください」), not as the JSON reader's "'url' is required" (round 50).
/// </summary>
internal sealed record WebhookBody(string? Url = null, string? Tenant = null);

/// <summary>A digest just put in the outbox: for which prefecture, how many recipients, how many municipalities listed.</summary>
public sealed record DigestView(string PrefectureCode, int Recipients, int Municipalities);

/// <summary>
/// Notifications over HTTP: the caller's in-app list and preferences (/api/v1/notifications), administrators' outbox
/// (dead letters, retry), webhook endpoints and an on-demand digest (/api/v1/admin/...), and the one-click unsubscribe
/// (/notifications/unsubscribe, no sign-in: the signed token is the authority).
/// </summary>
public static class NotificationApi
{
    /// <summary>The one-click unsubscribe address (List-Unsubscribe): POST turns the kind off; GET shows the confirmation page.</summary>
    public const string OneClickPath = "/unsubscribe";

    public static WebApplication MapNotifications(this WebApplication app)
    {
        var mine = app.MapGroup("/api/v1/notifications").WithTags("Notifications").RequireAuthorization(ReadinessPolicies.Inbox)
            .RequireRateLimiting(RateLimits.ReadsPolicy).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        mine.MapGet(string.Empty, ListMine).WithName("listNotifications").AnswersConditionalRequestsByContent()
            .WithSummary("The caller's in-app notifications, newest first")
            .WithDescription("At most 100, with Japanese and English text; unread counts all of the caller's unread notifications, listed or not. Every signed-in person has their own list (by subject).");
        mine.MapPost("/{id}/read", MarkRead).WithName("markNotificationRead")
            .WritesConditionallyByContent("GET /api/v1/notifications", async h => await ListMine(h, h.RequestServices.GetRequiredService<NotificationStore>(), h.RequestAborted), IsMineAsync)
            .WithSummary("Marks one of the caller's notifications as read")
            .WithDescription("204 when marked (or already read); 404 when the caller has no such notification.");
        mine.MapGet("/preferences", GetPreferences).WithName("getNotificationPreferences").AnswersConditionalRequestsByContent()
            .WithSummary("The caller's notification choices per kind")
            .WithDescription("Mail and in-app per kind and the mail frequency (immediately, daily, weekly); defaults where nothing was chosen.");
        mine.MapPut("/preferences", PutPreferences).WithName("putNotificationPreferences")
            .WritesConditionallyByContent("GET /api/v1/notifications/preferences", async h => await GetPreferences(h, h.RequestServices.GetRequiredService<NotificationStore>(), h.RequestServices.GetRequiredService<NotificationMailer>(), h.RequestAborted)).Accepts<PreferencesRequest>(MediaTypes.Json)
            .WithSummary("Changes the caller's notification choices")
            .WithDescription("Only the kinds sent change. Bad input: 400 naming the field, nothing changed.");

        var admin = app.MapGroup("/api/v1/admin").WithTags("Administration").RequireAuthorization(ReadinessPolicies.Administration)
            .RequireRateLimiting(RateLimits.ReadsPolicy).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        admin.MapGet("/notifications", ListOutbox).WithName("listOutbox").AnswersConditionalRequestsByContent()
            .WithClosedValues(("status", OutboxStatuses))
            .WithSummary("The notification outbox by status (administrators); dead letters by default")
            .WithDescription("?status=dead|pending|held|delivered|digested. Counts per status and whether SMTP is configured.");
        admin.MapPost("/notifications/{id}/retry", Retry).WithName("retryNotification")
            .WritesConditionallyByContent("GET /api/v1/admin/notifications", OutboxAsync, IsRetriableAsync).RequireRateLimiting(RateLimits.WritesPolicy)
            .WithSummary("Puts a dead (or waiting) delivery back in line now (administrators)")
            .WithDescription("Its attempts start again from zero; it keeps its id. 404 when there is no such dead or pending row.");
        admin.MapPost("/digests/{prefCode}", SendDigest).WithName("sendDigest")
            .WritesConditionallyByContent("GET /api/v1/admin/notifications", OutboxAsync).RequireRateLimiting(RateLimits.WritesPolicy)
            .WithSummary("Puts a prefecture's digest in the outbox now (administrators)")
            .WithDescription("Covers the time since the prefecture's last digest; the weekly schedule continues from now.");
        admin.MapGet("/webhooks", ListWebhooks).WithName("listWebhooks").AnswersConditionalRequestsByContent()
            .WithSummary("Registered webhook endpoints (administrators)")
            .WithDescription("Secrets are never listed: they are shown once, when the endpoint is registered.");
        admin.MapPost("/webhooks", AddWebhook).WithName("postWebhook")
            .WritesConditionallyByContent("GET /api/v1/admin/webhooks", async h => await ListWebhooks(h.RequestServices.GetRequiredService<NotificationStore>(), h.RequestAborted)).RequireRateLimiting(RateLimits.WritesPolicy).Accepts<WebhookRequest>(MediaTypes.Json)
            .WithSummary("Registers a webhook endpoint for a tenant (administrators); the answer holds its secret once")
            .WithDescription("Deliveries are signed per the Standard Webhooks specification with this secret; webhook-id is the delivery's stable id. "
                + "An active endpoint with the same url and tenant is not registered twice (each event would be sent twice): 409 already_registered, its address in existing.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        admin.MapGet("/webhooks/{id}", GetWebhook).WithName("getWebhook").AnswersConditionalRequestsByContent()
            .WithSummary("One webhook endpoint, active or stopped (administrators)")
            .WithDescription("The address a registration's Location names. Its secret is never shown again. 404 when there is no such endpoint.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapDelete("/webhooks/{id}", DeleteWebhook).WithName("deleteWebhook")
            .WritesConditionallyByContent("GET /api/v1/admin/webhooks", async h => await ListWebhooks(h.RequestServices.GetRequiredService<NotificationStore>(), h.RequestAborted), IsWebhookAsync).RequireRateLimiting(RateLimits.WritesPolicy)
            .WithSummary("Stops deliveries to a webhook endpoint (administrators)")
            .WithDescription("Pending deliveries to it become dead letters at their next attempt. Idempotent: stopping one already stopped is 204 and changes and logs nothing; 404 when there is no such endpoint.");

        // One-click unsubscribe (RFC 8058): the mail's link opens a confirmation page (GET changes nothing: link
        // scanners follow GETs); the page's button and mail clients POST. No sign-in and no antiforgery token: the
        // signed token is the authority, and it can only turn one kind off for one person.
        // Not the page's own address: a routed Razor page answers POST too, and the match would be ambiguous.
        app.MapPost(OneClickPath, Unsubscribe).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription()
            .RequireRateLimiting(RateLimits.WritesPolicy);
        app.MapGet(OneClickPath, (HttpContext http) => TypedResults.Redirect("/notifications/unsubscribe" + http.Request.QueryString.Value))
            .AllowAnonymous().ExcludeFromDescription().RequireRateLimiting(RateLimits.ReadsPolicy);

        // The pages' forms (antiforgery-checked).
        var forms = app.MapGroup(string.Empty).ExcludeFromDescription().RequireRateLimiting(RateLimits.WritesPolicy).WithMetadata(new RequireAntiforgeryTokenAttribute());
        forms.MapPost("/notifications/preferences", PreferencesForm).RequireAuthorization(ReadinessPolicies.Inbox);
        forms.MapPost("/notifications/{id}/read", ReadForm).RequireAuthorization(ReadinessPolicies.Inbox);
        forms.MapPost("/admin/notifications/{id}/retry", RetryForm).RequireAuthorization(ReadinessPolicies.Administration);
        forms.MapPost("/admin/notifications/webhooks/{id}/stop", StopWebhookForm).RequireAuthorization(ReadinessPolicies.Administration);
        return app;
    }

    public static NotificationView View(OutboxRow row)
    {
        var (kindJa, kindEn) = NotificationMessages.KindLabel(row.Kind);
        if (row.Event is { } e && row.Kind != NotificationKind.Digest)
        {
            var (ja, en) = NotificationMessages.Sentence(row.Kind, e.Data);
            var whereEn = e.Data.MunicipalityName.Length == 0 ? "Japan" : e.Data.BusinessNameEn is null ? e.Data.MunicipalityName : $"{e.Data.MunicipalityName} {e.Data.BusinessNameEn}";
            var whereJa = e.Data.MunicipalityName.Length == 0 ? "全国" : e.Data.BusinessNameJa is null ? e.Data.MunicipalityName : $"{e.Data.MunicipalityName} {e.Data.BusinessNameJa}";
            return new NotificationView(row.Id, row.Kind, $"{whereJa}：{kindJa}", $"{whereEn}: {kindEn}",
                ja, en, e.Data.MunicipalityCode.Length == 0 ? null : e.Data.MunicipalityCode, e.Data.BusinessId, e.Data.Version, row.CreatedAt, row.ReadAt);
        }

        return new NotificationView(row.Id, row.Kind, kindJa, kindEn, kindJa, kindEn, row.MunicipalityCode, null, null, row.CreatedAt, row.ReadAt);
    }

    private static ReadinessCaller? Caller(HttpContext http) =>
        ReadinessCaller.From(http.User, http.RequestServices.GetRequiredService<IOptions<ReadinessAuthOptions>>().Value);

    /// <summary>
    /// Writes an administrator's action on deliveries to the administration log (who, what, when, from where; the page
    /// and /admin/log.csv), as account and API client administration are: a webhook sends a tenant's changes outside.
    /// Only system administrators reach these endpoints (ReadinessPolicies.Administration).
    /// </summary>
    internal static Task AdminLogAsync(HttpContext http, string action, string? target, string? tenant, string? before, string? after)
    {
        var actor = Caller(http)?.Subject ?? UnknownCaller;
        return http.RequestServices.GetRequiredService<AccountService>().LogAsync(actor, AccountRules.Name(AccountRole.SystemAdministrator), null,
            action, target, tenant, before, after, http.Connection.RemoteIpAddress?.ToString(), CancellationToken.None);
    }

    private const string UnknownCaller = "unknown";

    private static async Task<Ok<NotificationListView>> ListMine(HttpContext http, NotificationStore store, CancellationToken cancellationToken)
    {
        var page = await store.InAppAsync(Caller(http)!.Subject, 100, cancellationToken);
        return TypedResults.Ok(new NotificationListView(page.Items.Select(View).ToList(), page.Unread));
    }

    // The items compared with their list's tag: one not there is the write's own 404, before any condition (RFC 9110 §13.2.1).
    private static async Task<bool> IsMineAsync(HttpContext http) =>
        await http.RequestServices.GetRequiredService<NotificationStore>().FindAsync(http.GetRouteValue("id") as string ?? string.Empty, http.RequestAborted) is { } row
        && row.Recipient == Caller(http)?.Subject && row.Channel == NotificationChannel.InApp;

    private static async Task<bool> IsRetriableAsync(HttpContext http) =>
        await http.RequestServices.GetRequiredService<NotificationStore>().FindAsync(http.GetRouteValue("id") as string ?? string.Empty, http.RequestAborted) is { Status: NotificationStore.Dead or NotificationStore.Pending };

    private static async Task<bool> IsWebhookAsync(HttpContext http)
    {
        var id = http.GetRouteValue("id") as string;
        return (await http.RequestServices.GetRequiredService<NotificationStore>().WebhooksAsync(http.RequestAborted)).Any(w => w.Id == id);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> MarkRead(string id, HttpContext http, NotificationStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var subject = Caller(http)!.Subject;
        var row = await store.FindAsync(id, cancellationToken);
        if (row is null || row.Recipient != subject || row.Channel != NotificationChannel.InApp)
        {
            return Problems.NotFound("id", "この通知はありません。", "There is no such notification for you.");
        }

        await store.MarkReadAsync(subject, id, time.GetUtcNow());
        return TypedResults.NoContent();
    }

    internal static async Task<PreferencesView> PreferencesOf(string subject, NotificationStore store, NotificationMailer mailer, CancellationToken cancellationToken)
    {
        var stored = await store.PreferencesAsync(subject, cancellationToken);
        return new PreferencesView(NotificationRules.ChoosableKinds.Select(k => stored.TryGetValue(k, out var p) ? p : NotificationPreference.Default(k))
            .Select(p => new PreferenceView(p.Kind, p.Mail, p.InApp, p.Frequency)).ToList(), mailer.Configured);
    }

    private static async Task<Ok<PreferencesView>> GetPreferences(HttpContext http, NotificationStore store, NotificationMailer mailer, CancellationToken cancellationToken) =>
        TypedResults.Ok(await PreferencesOf(Caller(http)!.Subject, store, mailer, cancellationToken));

    private static async Task<Results<Ok<PreferencesView>, ProblemHttpResult>> PutPreferences(HttpContext http, NotificationStore store, NotificationMailer mailer, TimeProvider time, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<PreferencesRequest>(http.Request, BodyLimit.Small, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        // Every item's fault at once (errors names each), nothing changed.
        var items = body!.Items;
        List<ProblemError> errors = [];
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is null)
            {
                errors.Add(new($"items[{i}]", "invalid", "設定が空です。", "An item is empty."));
            }
            else if (!NotificationRules.ChoosableKinds.Contains(items[i].Kind))
            {
                // Only what GET lists and the page shows is taken: a kind nothing shows could be chosen but never seen.
                errors.Add(new($"items[{i}].kind", "unknown_value", $"items[{i}].kind に「{Wire.Name(items[i].Kind)}」は指定できません（{string.Join("、", NotificationRules.ChoosableKinds.Select(Wire.Name))}）。",
                    $"'{Wire.Name(items[i].Kind)}' is not a kind one can choose ({string.Join(", ", NotificationRules.ChoosableKinds.Select(Wire.Name))})."));
            }
            else if (items.Take(i).Any(x => x is not null && x.Kind == items[i].Kind))
            {
                errors.Add(new($"items[{i}].kind", "invalid", "同じ種類が2回あります。", "The same kind appears twice."));
            }
        }

        if (errors.Count > 0)
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "Invalid request", errors);
        }

        var subject = Caller(http)!.Subject;
        await store.SetPreferencesAsync(subject, items.Select(p => new NotificationPreference(p.Kind, p.Mail, p.InApp, p.Frequency)), time.GetUtcNow());
        return TypedResults.Ok(await PreferencesOf(subject, store, mailer, cancellationToken));
    }

    /// <summary>The outbox's statuses, the values of ?status=.</summary>
    private static readonly string[] OutboxStatuses = [NotificationStore.Dead, NotificationStore.Pending, NotificationStore.Held, NotificationStore.Delivered, NotificationStore.Digested];

    /// <summary>
    /// The outbox as <c>GET /api/v1/admin/notifications</c> answers it (dead letters, and the counts per status): the
    /// answer a retry's and a digest's If-Match / If-None-Match are compared with (both change it).
    /// </summary>
    private static async Task<object?> OutboxAsync(HttpContext http) =>
        await ListOutbox(null, http.RequestServices.GetRequiredService<NotificationStore>(), http.RequestServices.GetRequiredService<NotificationMailer>(), http.RequestAborted);

    private static async Task<Results<Ok<OutboxListView>, ProblemHttpResult>> ListOutbox(string? status, NotificationStore store, NotificationMailer mailer, CancellationToken cancellationToken)
    {
        status ??= NotificationStore.Dead;
        if (!OutboxStatuses.Contains(status, StringComparer.Ordinal))
        {
            return Problems.UnknownValue("status", status, OutboxStatuses);
        }

        var rows = await store.ByStatusAsync(status, null, 200, cancellationToken);
        return TypedResults.Ok(new OutboxListView(status, rows.Select(OutboxOf).ToList(), await store.CountsAsync(cancellationToken), mailer.Configured));
    }

    public static OutboxView OutboxOf(OutboxRow r) =>
        new(r.Id, r.Kind, r.Channel, r.Recipient, r.Status, r.Attempts, r.CreatedAt, r.NextAttemptAt, r.DeliveredAt, r.LastError, r.MunicipalityCode);

    private static async Task<Results<Accepted<OutboxView>, ProblemHttpResult>> Retry(string id, NotificationStore store, NotificationDispatcher dispatcher, TimeProvider time, ILogger<NotificationDispatcher> logger, HttpContext http)
    {
        if (!await store.RetryAsync(id, time.GetUtcNow()))
        {
            return Problems.NotFound("id", "再送できる通知（dead または pending）はありません。", "There is no dead or pending delivery with this id.");
        }

        logger.LogInformation("Notification {Id} put back in line by {Subject}", id, Caller(http)?.Subject);
        await AdminLogAsync(http, "retry_notification", id, null, null, "pending");
        dispatcher.Wake();
        return TypedResults.Accepted($"/api/v1/admin/notifications?status=pending", OutboxOf((await store.FindAsync(id))!));
    }

    private static async Task<Results<Ok<DigestView>, ProblemHttpResult>> SendDigest(string prefCode, DigestService digests, HttpContext http, CancellationToken cancellationToken)
    {
        if (!ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(prefCode))
        {
            return Problems.NotFound("prefCode", "都道府県コードが見つかりません（2桁、例 13）。", "No such prefecture code (2 digits, e.g. 13).");
        }

        var (recipients, municipalities) = await digests.SendPrefectureDigestAsync(prefCode, cancellationToken);
        await AdminLogAsync(http, "send_digest", prefCode, prefCode, null, $"{recipients} recipients, {municipalities} municipalities");
        return TypedResults.Ok(new DigestView(prefCode, recipients, municipalities));
    }

    private static async Task<Ok<IReadOnlyList<WebhookView>>> ListWebhooks(NotificationStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok<IReadOnlyList<WebhookView>>((await store.WebhooksAsync(cancellationToken)).Select(ViewOf).ToList());

    private static WebhookView ViewOf(NotificationStore.WebhookEndpoint w) => new(w.Id, w.Tenant, w.Url, w.Active, w.CreatedAt, w.CreatedBy, null);

    /// <summary>The address of one endpoint (a registration's Location, a duplicate's existing).</summary>
    public static string WebhookAddress(string id) => $"/api/v1/admin/webhooks/{Uri.EscapeDataString(id)}";

    private static async Task<Results<Ok<WebhookView>, ProblemHttpResult>> GetWebhook(string id, NotificationStore store, CancellationToken cancellationToken) =>
        await store.FindWebhookAsync(id, cancellationToken) is { } w
            ? TypedResults.Ok(ViewOf(w))
            : Problems.NotFound("id", "この Webhook はありません。", "There is no such webhook endpoint.");

    private static async Task<Results<Created<WebhookView>, ProblemHttpResult>> AddWebhook(HttpContext http, NotificationStore store, WebhookTargets targets, TimeProvider time, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<WebhookBody>(http.Request, BodyLimit.Small, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var (endpoint, faults) = await RegisterWebhookAsync(body!.Url, body.Tenant, Caller(http)!.Subject, store, targets, time);
        if (endpoint is null)
        {
            if (faults.FirstOrDefault(f => f.Code == AlreadyRegistered) is { } duplicate)
            {
                // The same url and tenant: a second endpoint would get every event twice. The existing one's address.
                var conflict = Problems.Create(StatusCodes.Status409Conflict, "Conflict", [duplicate.ToProblemError()]);
                conflict.ProblemDetails.Extensions["existing"] = WebhookAddress(duplicate.Detail!);
                return conflict;
            }

            // Every field's fault in errors, as the page shows them beside its fields (one check: RegisterWebhookAsync).
            return Problems.Create(StatusCodes.Status400BadRequest, "Invalid request", [.. faults.Select(f => f.ToProblemError())]);
        }

        http.RequestServices.GetRequiredService<ILogger<NotificationDispatcher>>().LogInformation("Webhook {Id} for {Tenant} registered by {Subject}", endpoint!.Id, endpoint.Tenant ?? "all", endpoint.CreatedBy);
        await AdminLogAsync(http, "register_webhook", endpoint.Id, endpoint.Tenant, null, endpoint.Url);
        return TypedResults.Created(WebhookAddress(endpoint.Id),
            new WebhookView(endpoint.Id, endpoint.Tenant, endpoint.Url, true, endpoint.CreatedAt, endpoint.CreatedBy, endpoint.Secret));
    }

    /// <summary>The fault code of a registration whose url and tenant an active endpoint already has (its id in the fault's Detail).</summary>
    public const string AlreadyRegistered = "already_registered";

    /// <summary>The longest url a webhook may have, in characters.</summary>
    public const int MaxUrlChars = 2000;

    /// <summary>
    /// Checks and stores a webhook endpoint (the API and the administrators' page): url an absolute https URL (http only
    /// on loopback), at most <see cref="MaxUrlChars"/> characters, without user information, not a literal address
    /// <paramref name="targets"/> refuses (loopback, link-local, unspecified, multicast, their IPv4-mapped forms; a name is
    /// checked at every connection instead); tenant a prefecture code (01–47), a municipality code or null (all). Returns
    /// the endpoint with its new secret, or every field's fault at once (url, tenant; each in the page's words, Japanese
    /// and English, so the API's errors and the form say the same), nothing stored. An active endpoint with the same url
    /// and tenant is one fault, <see cref="AlreadyRegistered"/> on url, its id in Detail: nothing stored.
    /// </summary>
    public static async Task<(NotificationStore.WebhookEndpoint? Endpoint, IReadOnlyList<FieldFault> Faults)> RegisterWebhookAsync(string? urlText, string? tenant, string createdBy, NotificationStore store, WebhookTargets targets, TimeProvider time)
    {
        List<FieldFault> faults = [];
        var urlFault = WebhookUrlFault(urlText, targets);
        if (urlFault is not null)
        {
            faults.Add(urlFault);
        }

        // Full-width digits read as the forms read them (TypedInput); a blank code stays blank (refused), never "all".
        tenant = tenant is null ? null : Components.TypedInput.Text(tenant) ?? tenant;
        if (tenant is { } t && TenantFault(t) is { } tenantFault)
        {
            faults.Add(tenantFault);
        }

        if (faults.Count > 0)
        {
            return (null, faults);
        }

        var endpoint = new NotificationStore.WebhookEndpoint("wh_" + Guid.NewGuid().ToString("N")[..20], tenant, Receiver(new Uri(urlText!, UriKind.Absolute)), WebhookSender.NewSecret(), createdBy, time.GetUtcNow(), true);
        if (await store.AddWebhookAsync(endpoint) is { } existing)
        {
            return (null, [new("url", AlreadyRegistered, existing.Id,
                $"この受信 URL と対象の Webhook はすでに登録されています（{existing.Id}、{UiText.DateTimeJst(existing.CreatedAt)} {existing.CreatedBy}）。同じ通知が2回送られるため、もう一度は登録しません。秘密鍵は登録したときに一度だけ表示されました。",
                $"A webhook with this receiver URL and tenant is already registered ({existing.Id}, {UiText.DateTimeJst(existing.CreatedAt)} by {existing.CreatedBy}): it is not registered again, as every notification would be sent twice. Its secret was shown once, when it was registered.")]);
        }

        return (endpoint, []);
    }

    /// <summary>
    /// The url as stored and compared for duplicates: the receiver it names, one spelling per receiver. The fragment is
    /// dropped (never sent in a request), the host's trailing dot too (example.org. is example.org); Uri has already
    /// lowered the host's case and dropped the scheme's default port. Round 50: each other spelling was a second endpoint.
    /// </summary>
    private static string Receiver(Uri url)
    {
        var builder = new UriBuilder(url) { Fragment = string.Empty };
        if (url.HostNameType == UriHostNameType.Dns && url.Host.EndsWith('.'))
        {
            builder.Host = url.Host.TrimEnd('.');
        }

        return builder.Uri.ToString();
    }

    /// <summary>The tenant's fault in the page's words: what the code is not (a prefecture code 01–47, a municipality code), or null when it is one.</summary>
    private static FieldFault? TenantFault(string tenant)
    {
        if (ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(tenant) || ReadinessCatalog.Instance.IsMunicipality(tenant))
        {
            return null;
        }

        const string All = "全団体の通知を送るときは、対象を空欄にします（API では tenant を省きます）。";
        const string AllEn = "For every tenant's notifications, leave the tenant empty (in the API, leave tenant out).";
        var shown = Problems.Shown(tenant);
        return tenant switch
        {
            // Only the API sends an empty text (the page's empty field is "all"): told in the API's words, not "leave it empty".
            { Length: 0 } => new("tenant", "invalid_tenant", null,
                "tenant が空の文字列です。全団体の通知を送るときは tenant を省き、1団体なら都道府県コード（2桁）か市区町村コード（6桁）を指定します。",
                "The tenant is an empty text. For every tenant's notifications leave tenant out; for one, send a prefecture code (2 digits) or a municipality code (6 digits)."),
            { Length: 2 } when tenant.All(char.IsAsciiDigit) => new("tenant", "unknown_prefecture", null,
                $"対象「{shown}」は都道府県コードではありません（01〜47、例 13 東京都）。", $"Tenant '{shown}' is not a prefecture code (01–47, e.g. 13 for Tokyo)."),
            { Length: 6 } when tenant.All(char.IsAsciiDigit) => new("tenant", "unknown_municipality", null,
                $"対象「{shown}」は市区町村コードではありません（6桁の全国地方公共団体コード、例 131016 千代田区）。", $"Tenant '{shown}' is not a municipality code (6-digit local government code, e.g. 131016 for Chiyoda)."),
            _ => new("tenant", "invalid_tenant", null,
                $"対象「{shown}」は都道府県コード（2桁、01〜47）でも市区町村コード（6桁）でもありません。" + All,
                $"Tenant '{shown}' is neither a prefecture code (2 digits, 01–47) nor a municipality code (6 digits). " + AllEn),
        };
    }

    /// <summary>The url's fault (the first rule it breaks: one url has one reason) in the page's words, or null when Readiness may post there.</summary>
    private static FieldFault? WebhookUrlFault(string? urlText, WebhookTargets targets)
    {
        // Length first: an over-long URL is told so, whatever else it is (it used to be told "not https").
        if (string.IsNullOrWhiteSpace(urlText))
        {
            return new("url", "required", null, "受信 URL を入力してください（https:// で始まる URL）。", "Enter the receiver URL (starting with https://).");
        }

        if (urlText.Length > MaxUrlChars)
        {
            return new("url", "too_long", null, $"受信 URL が長すぎます（{urlText.Length} 文字、上限 {MaxUrlChars} 文字）。", $"The receiver URL is too long ({urlText.Length} characters; at most {MaxUrlChars}).");
        }

        // An address Readiness never posts to is the reason, whatever the scheme.
        if (Uri.TryCreate(urlText, UriKind.Absolute, out var parsed) && parsed.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 && System.Net.IPAddress.TryParse(parsed.Host.Trim('[', ']'), out var literal)
            && targets.Refusal(literal) is { } refusal)
        {
            return new("url", "refused_address", null, $"受信 URL のアドレス {parsed.Host} は{refusal.Ja}のため、通知の送信先にできません（運用者が Readiness:Webhooks:AllowedNetworks で許可した範囲を除く）。",
                $"The receiver URL's address {parsed.Host} is {refusal.En}: Readiness does not post notifications there (unless the operator lists it in Readiness:Webhooks:AllowedNetworks).");
        }

        if (!Uri.TryCreate(urlText, UriKind.Absolute, out var url) || url.Host.Length == 0)
        {
            return new("url", "invalid_url", null, "受信 URL は https:// で始まる完全な URL にしてください（例 https://example.lg.jp/readiness/hook）。",
                "The receiver URL must be a complete URL starting with https:// (e.g. https://example.lg.jp/readiness/hook).");
        }

        if (!(url.Scheme == Uri.UriSchemeHttps || (url.Scheme == Uri.UriSchemeHttp && url.IsLoopback)))
        {
            // Loopback is refused unless the operator allows it (refused_address above), so http is not offered here.
            return new("url", "not_https", null, $"受信 URL が https ではありません（{Problems.Shown(url.Scheme)}:）。通知は https で送ります。https:// で始まる URL にしてください（例 https://example.lg.jp/readiness/hook）。",
                $"The receiver URL is not https ({Problems.Shown(url.Scheme)}:). Notifications are sent over https: use a URL starting with https:// (e.g. https://example.lg.jp/readiness/hook).");
        }

        // Credentials in the URL would be stored, listed to every administrator and written to logs; a receiver
        // authenticates Readiness by the signature (webhook-signature, its secret shown once), not by a password.
        return url.UserInfo.Length > 0
            ? new("url", "credentials_in_url", null, "受信 URL に利用者名やパスワードを含めないでください（受信者は署名で送信元を確認します）。", "The receiver URL must not hold a user name or password: a receiver authenticates Readiness by the webhook signature.")
            : null;
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteWebhook(string id, NotificationStore store, HttpContext http)
    {
        switch (await store.DeactivateWebhookAsync(id))
        {
            case NotificationStore.WebhookStop.Unknown:
                return Problems.NotFound("id", "この Webhook はありません。", "There is no such webhook endpoint.");
            case NotificationStore.WebhookStop.Stopped:
                await AdminLogAsync(http, "stop_webhook", id, null, "active", "stopped");
                break;
        }

        // Already stopped: the same end state, nothing written nor logged (DELETE is idempotent, RFC 9110 §9.2.2).
        return TypedResults.NoContent();
    }

    private static async Task<IResult> Unsubscribe(HttpContext http, NotificationStore store, TimeProvider time, ILogger<NotificationDispatcher> logger)
    {
        var token = http.Request.Query["token"].ToString();
        if (!UnsubscribeTokens.TryRead(await store.UnsubscribeKeyAsync(), token, out var subject, out var kind))
        {
            return Problems.BadRequest("token", "停止リンクが正しくありません。", "The unsubscribe link is not valid.");
        }

        var current = (await store.PreferencesAsync(subject)).TryGetValue(kind, out var p) ? p : NotificationPreference.Default(kind);
        await store.SetPreferencesAsync(subject, [current with { Mail = false }], time.GetUtcNow());
        logger.LogInformation("Notifications: {Subject} unsubscribed from {Kind} mail (one-click link)", subject, Wire.Name(kind));

        // A mail client's one-click POST wants 200; a browser's form post goes back to the page, which now says so.
        return http.Request.HasFormContentType && (await http.Request.ReadFormAsync()).ContainsKey("List-Unsubscribe")
            ? TypedResults.Ok()
            : Components.Access.FormAnswers.SeeOther($"/notifications/unsubscribe?token={Uri.EscapeDataString(token)}&done=1");
    }

    /// <summary>
    /// The preferences form: every kind's frequency and boxes checked at once. Refused: 422 with the page again, each
    /// fault beside its field and the form exactly as sent (a box left unticked stays unticked), nothing saved.
    /// </summary>
    private static async Task<IResult> PreferencesForm(HttpContext http, NotificationStore store, TimeProvider time)
    {
        var form = await http.Request.ReadFormAsync();
        var items = new List<NotificationPreference>();
        List<FieldFault> faults = [];
        foreach (var kind in NotificationRules.ChoosableKinds)
        {
            var name = Wire.Name(kind);
            if (!Wire.TryParse<NotificationFrequency>(form[$"{name}.frequency"].ToString(), out var frequency))
            {
                faults.Add(new($"{name}.frequency", "invalid_frequency", null, "頻度は「すぐに」「毎日まとめて」「毎週まとめて」から選んでください。", "Choose a frequency: immediately, daily or weekly."));
            }

            // A checkbox sends "on" or nothing; any other value is refused, never read as unticked.
            foreach (var box in new[] { $"{name}.mail", $"{name}.inApp" })
            {
                if (form.ContainsKey(box) && form[box].ToString() != "on")
                {
                    faults.Add(new(box, "invalid_checkbox", null, "チェックボックスの値は on（または送らない）にしてください。", "A checkbox sends on, or nothing."));
                }
            }

            items.Add(new NotificationPreference(kind, form[$"{name}.mail"] == "on", form[$"{name}.inApp"] == "on", frequency));
        }

        if (faults.Count > 0)
        {
            http.Response.Headers.CacheControl = "no-store";
            return new RazorComponentResult<Identity.Pages.AccountDocument>(new
            {
                Page = typeof(Pages.NotificationsPage),
                Parameters = new Dictionary<string, object?> { ["Posted"] = FormState.From(form, faults, Components.FormFieldLimits.Of(http)) },
            }) { StatusCode = StatusCodes.Status422UnprocessableEntity };
        }

        await store.SetPreferencesAsync(Caller(http)!.Subject, items, time.GetUtcNow());
        return Components.Access.FormAnswers.SeeOther("/notifications?done=1");
    }

    private static async Task<IResult> ReadForm(string id, HttpContext http, NotificationStore store, TimeProvider time)
    {
        // One not the caller's (or none) is said on the page, as the API answers it 404; it used to go back silently.
        var subject = Caller(http)!.Subject;
        if (await store.FindAsync(id, http.RequestAborted) is not { } row || row.Recipient != subject || row.Channel != NotificationChannel.InApp)
        {
            return Components.Access.FormAnswers.SeeOther("/notifications?error=not_found");
        }

        await store.MarkReadAsync(subject, id, time.GetUtcNow());
        return Components.Access.FormAnswers.SeeOther("/notifications");
    }

    private static async Task<IResult> RetryForm(string id, NotificationStore store, NotificationDispatcher dispatcher, TimeProvider time, HttpContext http)
    {
        var ok = await store.RetryAsync(id, time.GetUtcNow());
        if (ok)
        {
            await AdminLogAsync(http, "retry_notification", id, null, null, "pending");
        }

        dispatcher.Wake();
        return Components.Access.FormAnswers.SeeOther(ok ? "/admin/notifications?done=1" : "/admin/notifications?error=not_found");
    }

    /// <summary>The page's stop button (a plain form, like retry: the row it sits in is gone once the webhook is stopped).</summary>
    private static async Task<IResult> StopWebhookForm(string id, HttpContext http, NotificationStore store, ILoggerFactory logs)
    {
        var outcome = await store.DeactivateWebhookAsync(id);
        if (outcome == NotificationStore.WebhookStop.Stopped)
        {
            logs.CreateLogger("Readiness.Web.Notifications.Webhooks").LogInformation("Webhook {Id} stopped by {Subject} (page)", id, Caller(http)?.Subject ?? "unknown");
            await AdminLogAsync(http, "stop_webhook", id, null, "active", "stopped");
        }

        // Each outcome its own notice: stopped now, already stopped (nothing changed nor logged), no such webhook.
        return Components.Access.FormAnswers.SeeOther(outcome switch
        {
            NotificationStore.WebhookStop.Stopped => "/admin/notifications?stopped=1",
            NotificationStore.WebhookStop.AlreadyStopped => "/admin/notifications?stopped=already",
            _ => "/admin/notifications?error=webhook_not_found",
        });
    }
}
