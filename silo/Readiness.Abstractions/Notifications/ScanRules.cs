using System.Collections.Immutable;
using System.Globalization;
using Readiness.Catalog;
using Readiness.Rules;

namespace Readiness.Notifications;

/// <summary>A municipality as the stale scan sees it: its code, prefecture and when it last reported (null: never).</summary>
public sealed record MunicipalityActivity(string Code, string PrefectureCode, DateTimeOffset? LastReportedAt);

/// <summary>A national measure and the thresholds whose upward crossing is an event (e.g. share migrated 0.25, 0.5, ...).</summary>
public sealed record NationalMeasure(string Name, double Value, ImmutableArray<double> Thresholds);

/// <summary>
/// The rules of the scheduled scan: events that come from time passing, not from a change (a municipality going
/// stale, a target date or planned go-live passing, a national threshold crossed). Pure: the day is passed in.
/// Every event is due from the day its condition began, only when that day is on or after <c>since</c> (the day the
/// scan first ran), so installing the product does not send the whole past at once; and each carries a stable
/// <see cref="NotificationEvent.Spell"/>, so running the scan every few minutes, or again after a restart, makes one
/// event per spell.
/// </summary>
public static class ScanRules
{
    /// <summary>The reminder to a municipality's own staff: 21 days without a report (issue #13).</summary>
    public const int ReminderAfterDays = 21;

    /// <summary>
    /// Which municipalities are due a 21-day reminder or a stale event on <paramref name="today"/> (JST). Days without a
    /// report = today − the JST day of the last report. Reminder: at least <see cref="ReminderAfterDays"/> days; stale:
    /// more than <see cref="ReadinessCatalog.StaleAfterDays"/> (30) days, as <see cref="ReadinessRules.IsStale"/>. A spell
    /// is one last-report time: a new report ends it and a later silence starts another. A municipality that never
    /// reported yields nothing (it shows the public baseline; the prefecture page lists it as not yet reported).
    /// </summary>
    public static ImmutableArray<NotificationEvent> StaleDue(IEnumerable<MunicipalityActivity> municipalities, DateOnly today, DateOnly since, DateTimeOffset now)
    {
        var events = ImmutableArray.CreateBuilder<NotificationEvent>();
        foreach (var m in municipalities)
        {
            if (m.LastReportedAt is not { } last)
            {
                continue;
            }

            var lastDay = ReadinessRules.TodayInJapan(last);
            var days = today.DayNumber - lastDay.DayNumber;
            var spell = "reported:" + last.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
            NotificationEvent Event(NotificationKind kind) => new(kind, m.Code, m.PrefectureCode, string.Empty, 0, 0, now, null, null, null, "system",
                Spell: spell, LastReportedAt: last, Days: days);

            if (days >= ReminderAfterDays && lastDay.AddDays(ReminderAfterDays) >= since)
            {
                events.Add(Event(NotificationKind.StaleReminder));
            }

            if (ReadinessRules.IsStale(last, today) && lastDay.AddDays(ReadinessCatalog.StaleAfterDays + 1) >= since)
            {
                events.Add(Event(NotificationKind.Stale));
            }
        }

        return events.ToImmutable();
    }

    /// <summary>
    /// The 特定移行支援システム of <paramref name="record"/> that time made past target: the target date passed (past
    /// target from the day after it). Only when the last report of that system was on or before the target (otherwise
    /// the change itself set the flag and was notified then) and the day it began is on or after <paramref name="since"/>.
    /// Spell: the date that passed, so a new target that passes later is a new event. (Overdue is not time-driven any
    /// more: since the national deadline, 2026-03-31, every unmigrated system without a designation is overdue already.)
    /// </summary>
    public static ImmutableArray<NotificationEvent> SystemsDue(MunicipalityRecord record, string prefectureCode, DateOnly today, DateOnly since, DateTimeOffset now)
    {
        var events = ImmutableArray.CreateBuilder<NotificationEvent>();
        foreach (var s in record.Systems)
        {
            var flags = ReadinessRules.Evaluate(s, today);
            DateOnly? reported = s.ReportedAt is { } at ? ReadinessRules.TodayInJapan(at) : null;
            void Add(NotificationKind kind, DateOnly passed) => events.Add(new NotificationEvent(kind, record.Code, prefectureCode, s.BusinessId, record.Version, 0, now,
                null, Wire.Name(s.Phase), null, "system", Spell: $"system:{s.BusinessId}/target:{passed:yyyy-MM-dd}"));

            if (flags.PastTarget && s.DesignationTarget is { } target && target.AddDays(1) >= since && (reported is null || reported <= target))
            {
                Add(NotificationKind.PastTarget, target);
            }
        }

        return events.ToImmutable();
    }

    /// <summary>
    /// The prefecture's own systems (都道府県が実施する事務) that time made past target, as <see cref="SystemsDue"/> for a
    /// municipality's: keyed by the prefecture's 団体コード, its prefecture as prefecture. Only the systems the prefecture
    /// reported (<see cref="PrefectureRunRecord.Counts"/>): an unreported system has no flag, as in the figures.
    /// </summary>
    public static ImmutableArray<NotificationEvent> PrefectureSystemsDue(PrefectureRunRecord record, DateOnly today, DateOnly since, DateTimeOffset now) =>
        SystemsDue(new MunicipalityRecord
        {
            Code = record.Code,
            Version = record.Version,
            Systems = [.. record.Systems.Where(PrefectureRunRecord.Counts)],
            Security = [],
            Provenance = new DataProvenance(DataOrigin.PublicBaseline, "都道府県が実施する事務 / Businesses run by the prefecture", []),
            CreatedAt = record.CreatedAt,
        }, record.PrefectureCode, today, since, now);

    /// <summary>
    /// The thresholds of <paramref name="measure"/> crossed upwards since the last scan: previous &lt; threshold ≤ now.
    /// No previous value (the first scan): nothing, the value is only recorded. Spell: measure, threshold and day, so a
    /// measure that falls back and crosses again on another day is told again.
    /// </summary>
    public static ImmutableArray<NotificationEvent> NationalDue(NationalMeasure measure, double? previous, DateOnly today, DateTimeOffset now)
    {
        if (previous is not { } before)
        {
            return [];
        }

        return [.. measure.Thresholds.Where(t => before < t && t <= measure.Value).Order().Select(t => new NotificationEvent(
            NotificationKind.NationalThreshold, string.Empty, string.Empty, string.Empty, 0, 0, now, null, null, null, "system",
            Spell: $"national:{measure.Name}/{t.ToString("R", CultureInfo.InvariantCulture)}/{today:yyyy-MM-dd}", Measure: measure.Name, Value: measure.Value, Threshold: t))];
    }
}
