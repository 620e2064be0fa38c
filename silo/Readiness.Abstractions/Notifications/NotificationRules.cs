using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Readiness.Catalog;
using Readiness.Rules;

namespace Readiness.Notifications;

/// <summary>
/// What a notification is about (wire names: regression, overdue, past_target, beyond_limit, designation_incomplete,
/// digest, stale_reminder, stale, national_threshold). Stored and sent by wire name; new kinds are appended.
/// </summary>
public enum NotificationKind
{
    /// <summary>A system's phase moved backwards (domain.md: regression).</summary>
    Regression,

    /// <summary>A system became overdue with this change (not migrated, not designated, past its planned go-live or the deadline).</summary>
    Overdue,

    /// <summary>A 特定移行支援システム's target date is now in the past.</summary>
    PastTarget,

    /// <summary>A 特定移行支援システム's target is now beyond the limit (end of FY2030).</summary>
    BeyondLimit,

    /// <summary>A 特定移行支援システム is now without a reason or a target date.</summary>
    DesignationIncomplete,

    /// <summary>The weekly digest of a prefecture (or a person's daily/weekly summary).</summary>
    Digest,

    /// <summary>A municipality has not reported for 21 days (<see cref="ScanRules.ReminderAfterDays"/>): a reminder to its own staff.</summary>
    StaleReminder,

    /// <summary>A municipality has not reported for more than 30 days (domain.md: stale): to its prefecture's staff.</summary>
    Stale,

    /// <summary>A national measure crossed a configured threshold (share migrated, systems overdue): to national staff.</summary>
    NationalThreshold,

    /// <summary>After an official import: a municipality's own reports and the official data disagree (Imports/Reconciliation.cs); for its prefecture's staff, one per municipality per import.</summary>
    ReconciliationDifferences,
}

/// <summary>Where a notification goes (wire names: mail, in_app, webhook).</summary>
public enum NotificationChannel
{
    Mail,
    InApp,
    Webhook,
}

/// <summary>How often a person wants a kind (wire names: immediately, daily, weekly).</summary>
public enum NotificationFrequency
{
    Immediately,
    Daily,
    Weekly,
}

/// <summary>
/// One row of the audit trail as the dispatcher reads it: its position (the order of insertion) and both sides, which
/// are read for a system's rows only (<see cref="NotificationRules.SystemTargetPrefix"/>; empty for a checklist item's).
/// </summary>
public sealed record AuditRow(
    long Position,
    string MunicipalityCode,
    long Version,
    string Target,
    DateTimeOffset At,
    string ActorSubject,
    ImmutableArray<AuditField> Before,
    ImmutableArray<AuditField> After);

/// <summary>
/// One thing worth telling someone, derived from one audit row: a municipality's system and what changed. Its
/// <see cref="Key"/> (the audit entry and the kind) is what makes every delivery id stable.
/// </summary>
public sealed record NotificationEvent(
    NotificationKind Kind,
    string MunicipalityCode,
    string PrefectureCode,
    string BusinessId,
    long Version,
    long Position,
    DateTimeOffset At,
    string? PhaseBefore,
    string? PhaseAfter,
    string? Reason,
    string ActorSubject,
    string? Spell = null,
    DateTimeOffset? LastReportedAt = null,
    int? Days = null,
    string? Measure = null,
    double? Value = null,
    double? Threshold = null,
    string? DatasetId = null)
{
    /// <summary>
    /// The audit entry (municipality/version/target) and the kind: the same change never yields two events of one kind.
    /// Events of the scheduled scan (no audit entry) are keyed by their <see cref="Spell"/> instead: one stale spell,
    /// one passed target date, one threshold crossing on one day: one event, however often the scan runs.
    /// An event of an official import (<see cref="DatasetId"/> set) is keyed by the municipality, the dataset and the kind.
    /// </summary>
    public string Key => DatasetId is { } dataset
        ? $"{MunicipalityCode}/import:{dataset}/{Wire.Name(Kind)}"
        : Spell is { } spell
        ? $"{MunicipalityCode}/{spell}/{Wire.Name(Kind)}"
        : $"{MunicipalityCode}/{Version.ToString(CultureInfo.InvariantCulture)}/system:{BusinessId}/{Wire.Name(Kind)}";
}

/// <summary>A person who may receive notifications: subject (the e-mail for accounts), role and tenant as the policies see them.</summary>
public sealed record NotificationRecipient(string Subject, string Email, Role Role, string? Tenant, string Language = "ja");

/// <summary>A person's choice for one kind.</summary>
public sealed record NotificationPreference(NotificationKind Kind, bool Mail, bool InApp, NotificationFrequency Frequency)
{
    /// <summary>Without a choice: mail and in-app, immediately (the digest: by mail, weekly).</summary>
    public static NotificationPreference Default(NotificationKind kind) =>
        kind == NotificationKind.Digest ? new(kind, true, false, NotificationFrequency.Weekly) : new(kind, true, true, NotificationFrequency.Immediately);
}

/// <summary>A webhook endpoint registered by an administrator for a tenant (null: every municipality).</summary>
public sealed record WebhookTarget(string Id, string? Tenant, string Url);

/// <summary>One row to put in the outbox: an event for one recipient on one channel. Held rows wait for the person's digest.</summary>
public sealed record PlannedDelivery(string Id, NotificationEvent Event, NotificationChannel Channel, string Recipient, string? Address, string Language, bool Held);

/// <summary>
/// The notification rules: which audit rows become which events, who receives them, on which channel, with which id,
/// and when a failed delivery is tried again. Pure: no database, no clock except the day passed in.
/// </summary>
public static class NotificationRules
{
    /// <summary>The audit target of a business system ("system:koseki"): the only rows <see cref="Derive"/> finds events in.</summary>
    public const string SystemTargetPrefix = "system:";

    /// <summary>
    /// The fields of a system's audit side that <see cref="Derive"/> judges: a reader of the trail for it
    /// (<see cref="AuditFields.FromUtf8Json(ReadOnlySpan{byte}, ImmutableArray{string})"/>) may leave out the rest (the
    /// vendor, the hosting, free text other than the regression's reason), and gets the same events.
    /// </summary>
    public static readonly ImmutableArray<string> JudgedFields =
        ["phase", "notApplicable", "plannedGoLive", "designated", "designationReason", "designationTarget", "regression", "regressionReason"];

    /// <summary>
    /// The kinds a person can choose for (in this order on the preferences page): every kind, as every kind is planned
    /// through its recipient's preference (<see cref="Plan"/>). Reconciliation differences were left out, so the
    /// preferences API took a choice for them that neither it nor the page ever showed (a breaker found).
    /// </summary>
    public static readonly ImmutableArray<NotificationKind> ChoosableKinds =
        [NotificationKind.Regression, NotificationKind.Overdue, NotificationKind.PastTarget, NotificationKind.BeyondLimit, NotificationKind.DesignationIncomplete,
            NotificationKind.StaleReminder, NotificationKind.Stale, NotificationKind.NationalThreshold, NotificationKind.ReconciliationDifferences, NotificationKind.Digest];

    /// <summary>
    /// The events of one audit row: a regression when the phase moved backwards and the record flags it (a designation
    /// list's reclassification lowers the phase without a regression); overdue, past target, beyond limit
    /// and designation incomplete when the flag (<see cref="ReadinessRules.Evaluate"/> on <paramref name="today"/>) is
    /// set after the change and was not before. A prefecture's own system (row keyed by its 団体コード, 北海道 010006, and a
    /// prefecture-run business) yields the same events, its prefecture as prefecture; its first report (phase null
    /// before) is judged against nothing, as a municipality's first. Checklist rows and unknown codes yield nothing.
    /// </summary>
    public static ImmutableArray<NotificationEvent> Derive(AuditRow row, DateOnly today)
    {
        if (!row.Target.StartsWith(SystemTargetPrefix, StringComparison.Ordinal) || row.After.IsDefaultOrEmpty)
        {
            return [];
        }

        var businessId = row.Target[SystemTargetPrefix.Length..];
        var catalog = ReadinessCatalog.Instance;
        string prefectureCode;
        var own = false;
        if (catalog.MunicipalitiesByCode.TryGetValue(row.MunicipalityCode, out var municipality))
        {
            prefectureCode = municipality.PrefectureCode;
        }
        else if (catalog.TryPrefectureOfBodyCode(row.MunicipalityCode, out var prefecture) && ReadinessCatalog.IsPrefectureRun(businessId))
        {
            prefectureCode = prefecture.Code;
            own = true;
        }
        else
        {
            return [];
        }

        // A prefecture-run system not yet reported has no phase (PrefectureRunRules.Unreported): nothing to judge.
        if (own && Field(row.After, "phase") is null)
        {
            return [];
        }

        var after = ToStatus(businessId, row.After);
        var before = row.Before.IsDefaultOrEmpty || (own && Field(row.Before, "phase") is null) ? null : ToStatus(businessId, row.Before);
        var events = ImmutableArray.CreateBuilder<NotificationEvent>();
        NotificationEvent Event(NotificationKind kind) => new(kind, row.MunicipalityCode, prefectureCode, businessId, row.Version, row.Position, row.At,
            before is null ? null : Wire.Name(before.Phase), Wire.Name(after.Phase), Field(row.After, "regressionReason"), row.ActorSubject);

        // A regression is what the record flags as one (ChangeRules, OfficialRules), not any lower phase: a designation
        // list newly marking a migrated system shows it as testing without a step undone, and is not one (imports.md).
        // An audit row written before the flag was recorded has no "regression" field: then the lower phase decides.
        if (before is not null && after.Phase < before.Phase && (after.Regression || Field(row.After, "regression") is null))
        {
            events.Add(Event(NotificationKind.Regression));
        }

        var now = ReadinessRules.Evaluate(after, today);
        var then = before is null ? default : ReadinessRules.Evaluate(before, today);
        if (now.Overdue && !then.Overdue)
        {
            events.Add(Event(NotificationKind.Overdue));
        }

        if (now.PastTarget && !then.PastTarget)
        {
            events.Add(Event(NotificationKind.PastTarget));
        }

        if (now.BeyondLimit && !then.BeyondLimit)
        {
            events.Add(Event(NotificationKind.BeyondLimit));
        }

        if (now.DesignationIncomplete && !then.DesignationIncomplete)
        {
            events.Add(Event(NotificationKind.DesignationIncomplete));
        }

        return events.ToImmutable();
    }

    /// <summary>
    /// Whether <paramref name="recipient"/> is concerned by an event of <paramref name="municipalityCode"/>: prefecture
    /// staff for their municipalities, municipal staff for their own. National staff and administrators receive no
    /// per-municipality events (they read the national overview).
    /// </summary>
    public static bool Concerns(NotificationRecipient recipient, string municipalityCode, string prefectureCode) => recipient.Role switch
    {
        Role.Prefecture => recipient.Tenant == prefectureCode,
        Role.Municipality => recipient.Tenant == municipalityCode,
        _ => false,
    };

    /// <summary>
    /// Whether <paramref name="recipient"/> receives <paramref name="e"/>: national thresholds go to national staff only;
    /// the 21-day reminder to the municipality's own staff only; a stale municipality and reconciliation differences after
    /// an official import to its prefecture's staff only;
    /// every other kind as <see cref="Concerns(NotificationRecipient, string, string)"/> says.
    /// </summary>
    public static bool Concerns(NotificationRecipient recipient, NotificationEvent e) => e.Kind switch
    {
        NotificationKind.NationalThreshold => recipient.Role == Role.National,
        NotificationKind.StaleReminder => recipient.Role == Role.Municipality && recipient.Tenant == e.MunicipalityCode,
        NotificationKind.Stale => recipient.Role == Role.Prefecture && recipient.Tenant == e.PrefectureCode,
        NotificationKind.ReconciliationDifferences => recipient.Role == Role.Prefecture && recipient.Tenant == e.PrefectureCode,
        _ => Concerns(recipient, e.MunicipalityCode, e.PrefectureCode),
    };

    /// <summary>Whether a webhook registered for <paramref name="tenant"/> receives events of the municipality.</summary>
    public static bool Concerns(WebhookTarget webhook, string municipalityCode, string prefectureCode) =>
        webhook.Tenant is null || webhook.Tenant == prefectureCode || webhook.Tenant == municipalityCode;

    /// <summary>Whether a webhook receives <paramref name="e"/>: national thresholds only to endpoints for all tenants (null).</summary>
    public static bool Concerns(WebhookTarget webhook, NotificationEvent e) =>
        e.Kind == NotificationKind.NationalThreshold ? webhook.Tenant is null : Concerns(webhook, e.MunicipalityCode, e.PrefectureCode);

    /// <summary>
    /// The outbox rows of one event: for each concerned person, one per chosen channel (mail held for a daily/weekly
    /// digest when so chosen; in-app always immediate), and one per concerned webhook. Nothing for a person who turned
    /// both channels off for the kind.
    /// </summary>
    public static ImmutableArray<PlannedDelivery> Plan(
        NotificationEvent e,
        IEnumerable<NotificationRecipient> recipients,
        Func<string, NotificationKind, NotificationPreference> preference,
        IEnumerable<WebhookTarget> webhooks)
    {
        var rows = ImmutableArray.CreateBuilder<PlannedDelivery>();
        foreach (var r in recipients.Where(r => Concerns(r, e)).DistinctBy(r => r.Subject, StringComparer.Ordinal))
        {
            var p = preference(r.Subject, e.Kind);
            if (p.Mail)
            {
                rows.Add(new(DeliveryId(e.Key, NotificationChannel.Mail, r.Subject), e, NotificationChannel.Mail, r.Subject, r.Email, r.Language, p.Frequency != NotificationFrequency.Immediately));
            }

            if (p.InApp)
            {
                rows.Add(new(DeliveryId(e.Key, NotificationChannel.InApp, r.Subject), e, NotificationChannel.InApp, r.Subject, null, r.Language, false));
            }
        }

        foreach (var w in webhooks.Where(w => Concerns(w, e)))
        {
            rows.Add(new(DeliveryId(e.Key, NotificationChannel.Webhook, w.Id), e, NotificationChannel.Webhook, w.Id, w.Url, "ja", false));
        }

        return rows.ToImmutable();
    }

    /// <summary>
    /// The stable id of one delivery: "ntf_" + 32 hex digits of SHA-256 over the event key, channel and recipient. The
    /// same audit row always gives the same id (re-reading the audit trail inserts nothing twice; a receiver drops a
    /// repeated webhook-id), and two recipients never share one.
    /// </summary>
    public static string DeliveryId(string eventKey, NotificationChannel channel, string recipient)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{eventKey}\n{Wire.Name(channel)}\n{recipient}"));
        return "ntf_" + Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }

    /// <summary>
    /// How long to wait before attempt <paramref name="attempt"/>+1 after <paramref name="attempt"/> failed (1-based):
    /// <paramref name="first"/> doubled per attempt, capped at <paramref name="cap"/> (exponential backoff, no jitter:
    /// the schedule is stored, and rows are spread by their own failure times).
    /// </summary>
    public static TimeSpan RetryDelay(int attempt, TimeSpan first, TimeSpan cap)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        var factor = Math.Pow(2, Math.Min(attempt - 1, 30));
        var delay = first.TotalMilliseconds * factor;
        return delay >= cap.TotalMilliseconds ? cap : TimeSpan.FromMilliseconds(delay);
    }

    /// <summary>After <paramref name="attempts"/> failed attempts, is the row dead (listed for administrators, no longer tried)?</summary>
    public static bool IsDead(int attempts, int maxAttempts) => attempts >= maxAttempts;

    /// <summary>
    /// The start of the digest period that contains <paramref name="now"/>: the latest <paramref name="day"/> at
    /// <paramref name="time"/> JST at or before now (weekly), or the latest <paramref name="time"/> JST (daily). A digest
    /// is due when the last one was sent before that start.
    /// </summary>
    public static DateTimeOffset PeriodStart(DateTimeOffset now, NotificationFrequency frequency, DayOfWeek day, TimeOnly time)
    {
        var jst = now.ToOffset(TimeSpan.FromHours(9));
        var start = new DateTimeOffset(jst.Date + time.ToTimeSpan(), TimeSpan.FromHours(9));
        if (frequency == NotificationFrequency.Weekly)
        {
            start = start.AddDays(-(((int)jst.DayOfWeek - (int)day + 7) % 7));
        }

        return start > jst ? start.AddDays(frequency == NotificationFrequency.Weekly ? -7 : -1) : start;
    }

    /// <summary>Whether a digest is due: never sent, or last sent before the current period began.</summary>
    public static bool DigestDue(DateTimeOffset? lastSent, DateTimeOffset now, NotificationFrequency frequency, DayOfWeek day, TimeOnly time) =>
        lastSent is not { } last || last < PeriodStart(now, frequency, day, time);

    /// <summary>
    /// The event of one municipality after an official import (<paramref name="datasetId"/>): null when its reports and
    /// the official data agree; otherwise one event, keyed by municipality, dataset and kind (so applying or deriving
    /// again never yields a second), whose reason lists the differing businesses and kinds in wire names.
    /// </summary>
    public static NotificationEvent? ReconciliationEvent(string municipalityCode, string datasetId, ImmutableArray<Imports.ReconciliationDifference> differences,
        DateTimeOffset at, string actorSubject)
    {
        if (differences.IsDefaultOrEmpty || !ReadinessCatalog.Instance.MunicipalitiesByCode.TryGetValue(municipalityCode, out var municipality))
        {
            return null;
        }

        var reason = $"{differences.Length.ToString(CultureInfo.InvariantCulture)}: " + string.Join(", ", differences.Select(d => $"{d.BusinessId}={Wire.Name(d.Kind)}"));
        return new NotificationEvent(NotificationKind.ReconciliationDifferences, municipalityCode, municipality.PrefectureCode, string.Empty, 0, 0, at,
            null, null, reason, actorSubject, datasetId);
    }

    private static string? Field(ImmutableArray<AuditField> fields, string name)
    {
        foreach (var f in fields)
        {
            if (f.Name == name)
            {
                return f.Value;
            }
        }

        return null;
    }

    private static SystemStatus ToStatus(string businessId, ImmutableArray<AuditField> fields)
    {
        static DateOnly? Date(string? text) => DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;
        return new SystemStatus
        {
            BusinessId = businessId,
            Phase = Wire.TryParse<MigrationPhase>(Field(fields, "phase"), out var phase) ? phase : MigrationPhase.NotStarted,
            NotApplicable = Field(fields, "notApplicable") == "true",
            PlannedGoLive = Date(Field(fields, "plannedGoLive")),
            Designated = Field(fields, "designated") == "true",
            DesignationReason = Wire.TryParse<DesignationReason>(Field(fields, "designationReason"), out var reason) ? reason : null,
            DesignationTarget = Date(Field(fields, "designationTarget")),
            Regression = Field(fields, "regression") == "true",
        };
    }
}
