using System.Collections.Immutable;
using Readiness.Notifications;
using Readiness.Web.Notifications;

namespace Readiness.Tests.Notifications;

/// <summary>
/// The scan's rules (events of time passing): the 21-day reminder and the 30-day stale event per stale spell, a
/// designation whose target passed, national thresholds crossed; who receives each; the configured thresholds.
/// </summary>
public sealed class ScanRulesTests
{
    private const string Chiyoda = "131016";
    private static readonly DateOnly Since = new(2026, 10, 1);
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 3, 0, 0, TimeSpan.Zero);

    /// <summary>A report at 10:00 JST on <paramref name="day"/>.</summary>
    private static DateTimeOffset ReportedOn(DateOnly day) => new(day.ToDateTime(new TimeOnly(10, 0)), TimeSpan.FromHours(9));

    private static ImmutableArray<NotificationEvent> Stale(DateOnly lastReport, DateOnly today, DateOnly? since = null) =>
        ScanRules.StaleDue([new MunicipalityActivity(Chiyoda, "13", ReportedOn(lastReport))], today, since ?? Since, Now);

    [Theory]
    [InlineData(20, false, false)]
    [InlineData(21, true, false)]
    [InlineData(30, true, false)]
    [InlineData(31, true, true)]
    [InlineData(45, true, true)]
    public void Reminder_at_21_days_and_stale_after_30_days(int days, bool reminder, bool stale)
    {
        var last = new DateOnly(2026, 10, 20);
        var due = Stale(last, last.AddDays(days));
        Assert.Equal(reminder, due.Any(e => e.Kind == NotificationKind.StaleReminder));
        Assert.Equal(stale, due.Any(e => e.Kind == NotificationKind.Stale));
        Assert.All(due, e => Assert.Equal(days, e.Days));
    }

    [Fact]
    public void One_event_per_stale_spell_whatever_the_day_of_the_scan()
    {
        var last = new DateOnly(2026, 10, 20);
        var keys = Enumerable.Range(31, 20).SelectMany(d => Stale(last, last.AddDays(d))).GroupBy(e => e.Kind).ToDictionary(g => g.Key, g => g.Select(e => e.Key).Distinct().Count());
        Assert.Equal(1, keys[NotificationKind.Stale]);
        Assert.Equal(1, keys[NotificationKind.StaleReminder]);

        // A new report ends the spell; the next silence is another spell with another key.
        var next = Stale(new DateOnly(2026, 11, 1), new DateOnly(2026, 12, 10));
        Assert.NotEqual(Stale(last, new DateOnly(2026, 12, 10)).Single(e => e.Kind == NotificationKind.Stale).Key, next.Single(e => e.Kind == NotificationKind.Stale).Key);
    }

    [Fact]
    public void What_began_before_the_scan_started_and_never_reported_municipalities_are_not_told()
    {
        // Stale since 2026-08-31 (last report 07-31), the scan started 10-01: no stale event and no reminder.
        Assert.Empty(Stale(new DateOnly(2026, 7, 31), new DateOnly(2026, 11, 30)));

        // The reminder day (09-21 + 21 = 10-12) is after the start, the stale day too.
        Assert.Equal(2, Stale(new DateOnly(2026, 9, 21), new DateOnly(2026, 11, 30)).Length);

        Assert.Empty(ScanRules.StaleDue([new MunicipalityActivity(Chiyoda, "13", null)], new DateOnly(2026, 11, 30), Since, Now));
    }

    [Fact]
    public void The_reminder_goes_to_the_municipalitys_staff_and_stale_to_its_prefectures_staff()
    {
        var due = Stale(new DateOnly(2026, 10, 20), new DateOnly(2026, 11, 30));
        NotificationRecipient[] people =
        [
            new("own@x", "own@x", Role.Municipality, Chiyoda),
            new("other@x", "other@x", Role.Municipality, "131024"),
            new("pref@x", "pref@x", Role.Prefecture, "13"),
            new("osaka@x", "osaka@x", Role.Prefecture, "27"),
            new("nation@x", "nation@x", Role.National, null),
        ];
        string[] Recipients(NotificationKind kind) => [.. NotificationRules.Plan(due.Single(e => e.Kind == kind), people, (_, k) => NotificationPreference.Default(k), [])
            .Where(d => d.Channel == NotificationChannel.Mail).Select(d => d.Recipient)];
        Assert.Equal(["own@x"], Recipients(NotificationKind.StaleReminder));
        Assert.Equal(["pref@x"], Recipients(NotificationKind.Stale));
    }

    private static MunicipalityRecord Record(DateOnly? target, DateTimeOffset? reported, bool designated = true, MigrationPhase phase = MigrationPhase.Testing) => new()
    {
        Code = Chiyoda,
        Version = 9,
        Systems = [new SystemStatus { BusinessId = "koseki", Phase = phase, Designated = designated, DesignationReason = DesignationReason.VendorCapacity, DesignationTarget = target, ReportedAt = reported }],
        Security = [],
        Provenance = new DataProvenance(DataOrigin.PublicBaseline, "test", []),
    };

    [Fact]
    public void A_designation_whose_target_passed_is_due_once_per_target_from_the_day_after()
    {
        var target = new DateOnly(2026, 11, 15);
        var reported = ReportedOn(new DateOnly(2026, 10, 20));
        Assert.Empty(ScanRules.SystemsDue(Record(target, reported), "13", target, Since, Now)); // on the target day: not yet past
        var due = Assert.Single(ScanRules.SystemsDue(Record(target, reported), "13", target.AddDays(1), Since, Now));
        Assert.Equal((NotificationKind.PastTarget, "koseki", "13"), (due.Kind, due.BusinessId, due.PrefectureCode));
        Assert.Equal(due.Key, Assert.Single(ScanRules.SystemsDue(Record(target, reported), "13", target.AddDays(9), Since, Now)).Key);

        // A new target that passes later is another event.
        Assert.NotEqual(due.Key, Assert.Single(ScanRules.SystemsDue(Record(target.AddDays(5), reported), "13", target.AddDays(9), Since, Now)).Key);
    }

    [Fact]
    public void A_target_already_past_when_reported_or_before_the_scan_started_or_not_designated_is_not_an_event_of_time()
    {
        var target = new DateOnly(2026, 11, 15);

        // Reported after the target: the change set the flag and the dispatcher told it then (NotificationRules.Derive).
        Assert.Empty(ScanRules.SystemsDue(Record(target, ReportedOn(new DateOnly(2026, 11, 20))), "13", new DateOnly(2026, 11, 30), Since, Now));
        Assert.Empty(ScanRules.SystemsDue(Record(new DateOnly(2026, 8, 1), null), "13", new DateOnly(2026, 11, 30), Since, Now));
        Assert.Empty(ScanRules.SystemsDue(Record(target, null, designated: false), "13", new DateOnly(2026, 11, 30), Since, Now));

        // In production before its target passed: the target was met, nothing to tell (breaker's finding).
        Assert.Empty(ScanRules.SystemsDue(Record(target, ReportedOn(new DateOnly(2026, 10, 20)), phase: MigrationPhase.InProduction), "13", new DateOnly(2026, 11, 30), Since, Now));

        // The public baseline (never reported) whose target passes after the scan started: told.
        Assert.Single(ScanRules.SystemsDue(Record(target, null), "13", new DateOnly(2026, 11, 30), Since, Now));
    }

    [Fact]
    public void A_prefectures_own_designated_system_whose_target_passes_is_an_event_for_its_prefecture()
    {
        // 北海道 reports its own 生活保護 as 特定移行支援システム with a target of 2026-11-15, on 2026-10-20.
        var reportedAt = new DateTimeOffset(2026, 10, 20, 3, 0, 0, TimeSpan.Zero);
        var request = new ChangeRequest
        {
            RequestId = "r1",
            Actor = new Actor("staff@pref.hokkaido", Role.Prefecture, "01"),
            Systems = [new SystemChange { BusinessId = "public_assistance", Phase = MigrationPhase.Testing, Designation = new DesignationInput(DesignationReason.VendorCapacity, new DateOnly(2026, 11, 15)) }],
        };
        var (record, _) = Readiness.Rules.PrefectureRunRules.Apply(Readiness.Rules.PrefectureRunRules.Create("01", reportedAt), request, reportedAt);

        Assert.Empty(ScanRules.PrefectureSystemsDue(record, new DateOnly(2026, 11, 15), Since, Now));
        var due = Assert.Single(ScanRules.PrefectureSystemsDue(record, new DateOnly(2026, 11, 16), Since, Now));
        Assert.Equal((NotificationKind.PastTarget, "010006", "01", "public_assistance"), (due.Kind, due.MunicipalityCode, due.PrefectureCode, due.BusinessId));

        // Its prefecture's staff receive it; no one else's.
        NotificationRecipient[] people = [new("pref01@x", "pref01@x", Role.Prefecture, "01"), new("pref13@x", "pref13@x", Role.Prefecture, "13")];
        Assert.Equal(["pref01@x"], NotificationRules.Plan(due, people, (_, k) => NotificationPreference.Default(k), []).Where(r => r.Channel == NotificationChannel.Mail).Select(r => r.Recipient));

        // A system never reported has no flag, whatever the listing says.
        Assert.Empty(ScanRules.PrefectureSystemsDue(Readiness.Rules.PrefectureRunRules.Create("01", reportedAt), new DateOnly(2026, 11, 30), Since, Now));
    }

    [Fact]
    public void National_thresholds_are_events_when_crossed_upwards_and_go_to_national_staff()
    {
        var share = new NationalMeasure("migrated_share", 0.52, [0.25, 0.5, 0.75]);
        Assert.Empty(ScanRules.NationalDue(share, null, new DateOnly(2026, 11, 30), Now)); // first scan: recorded only
        Assert.Empty(ScanRules.NationalDue(share, 0.51, new DateOnly(2026, 11, 30), Now)); // already past 0.5
        var crossed = Assert.Single(ScanRules.NationalDue(share, 0.49, new DateOnly(2026, 11, 30), Now));
        Assert.Equal((0.5, 0.52, "migrated_share"), (crossed.Threshold!.Value, crossed.Value!.Value, crossed.Measure));
        Assert.Equal(2, ScanRules.NationalDue(share with { Value = 0.8 }, 0.49, new DateOnly(2026, 11, 30), Now).Length);
        Assert.Empty(ScanRules.NationalDue(share with { Value = 0.3 }, 0.52, new DateOnly(2026, 11, 30), Now)); // falling: nothing

        NotificationRecipient[] people = [new("nation@x", "nation@x", Role.National, null), new("pref@x", "pref@x", Role.Prefecture, "13"), new("admin@x", "admin@x", Role.Admin, null)];
        WebhookTarget[] hooks = [new("wh_all", null, "https://all.example/"), new("wh_13", "13", "https://13.example/")];
        var rows = NotificationRules.Plan(crossed, people, (_, k) => NotificationPreference.Default(k), hooks);
        Assert.Equal(["nation@x"], rows.Where(r => r.Channel == NotificationChannel.Mail).Select(r => r.Recipient));
        Assert.Equal(["wh_all"], rows.Where(r => r.Channel == NotificationChannel.Webhook).Select(r => r.Recipient));
    }

    [Fact]
    public void The_default_national_thresholds_parse_and_bad_ones_are_refused()
    {
        var defaults = new NotificationOptions();
        Assert.True(NotificationOptions.TryParseThresholds(defaults.NationalMigratedShareThresholds, out var share));
        Assert.Equal(new[] { 0.25, 0.5, 0.75, 0.9, 1.0 }, share.ToArray());
        Assert.True(NotificationOptions.TryParseThresholds(defaults.NationalOverdueThresholds, out var overdue));
        Assert.Equal(new[] { 1000.0, 5000, 10000, 20000, 30000 }, overdue.ToArray());
        Assert.True(NotificationOptions.TryParseThresholds(" 0.9, 0.5 ,0.5", out var messy));
        Assert.Equal(new[] { 0.5, 0.9 }, messy.ToArray());
        Assert.False(NotificationOptions.TryParseThresholds("0.5,half", out _));
    }

    [Fact]
    public void Scan_events_read_in_Japanese_first()
    {
        var stale = Stale(new DateOnly(2026, 10, 20), new DateOnly(2026, 11, 30)).Single(e => e.Kind == NotificationKind.Stale);
        var data = NotificationStore.PayloadOf(stale).Data;
        Assert.Equal("【Readiness】東京都千代田区：30日以上報告なし / No report for 30 days (stale)", NotificationMessages.Subject(NotificationKind.Stale, data));
        Assert.Contains("最後の報告：2026-10-20、41日前", NotificationMessages.Sentence(NotificationKind.Stale, data).Ja, StringComparison.Ordinal);
        Assert.Null(data.BusinessId);

        var national = ScanRules.NationalDue(new NationalMeasure("migrated_share", 0.52, [0.5]), 0.4, new DateOnly(2026, 11, 30), Now).Single();
        var n = NotificationStore.PayloadOf(national).Data;
        Assert.StartsWith("【Readiness】全国：", NotificationMessages.Subject(NotificationKind.NationalThreshold, n), StringComparison.Ordinal);
        Assert.Equal("全国の移行済みシステムの割合が50.0%に達しました（現在 52.0%）。", NotificationMessages.Sentence(NotificationKind.NationalThreshold, n).Ja);
    }
}
