using System.Collections.Immutable;
using Readiness.Notifications;
using Readiness.Rules;
using Readiness.Web.Notifications;

namespace Readiness.Tests.Notifications;

/// <summary>The notification rules: events from audit rows, recipients, stable ids, backoff, digest periods, unsubscribe tokens.</summary>
public sealed class NotificationRulesTests
{
    private const string Chiyoda = "131016";
    private const string Chuo = "131024";
    private const string OsakaCity = "271004";
    private static readonly DateOnly Today = new(2026, 11, 30);

    private static ImmutableArray<AuditField> System(MigrationPhase phase, bool designated = false, DesignationReason? reason = null, DateOnly? target = null, DateOnly? planned = null, bool regression = false) =>
        AuditFields.Of(new SystemStatus { BusinessId = "koseki", Phase = phase, Designated = designated, DesignationReason = reason, DesignationTarget = target, PlannedGoLive = planned, Regression = regression, RegressionReason = "再計画" });

    private static AuditRow Row(ImmutableArray<AuditField> before, ImmutableArray<AuditField> after, string code = Chiyoda, string target = "system:koseki", long version = 7) =>
        new(42, code, version, target, DateTimeOffset.Parse("2026-11-30T01:00:00Z"), "tanaka@city.chiyoda", before, after);

    [Fact]
    public void A_phase_moved_back_is_a_regression_and_forward_is_not()
    {
        var back = NotificationRules.Derive(Row(System(MigrationPhase.InProduction), System(MigrationPhase.Testing, regression: true)), Today);
        var regression = Assert.Single(back, e => e.Kind == NotificationKind.Regression);
        Assert.Equal(("in_production", "testing", "13"), (regression.PhaseBefore, regression.PhaseAfter, regression.PrefectureCode));

        // A lower phase the record does not flag (a designation list's reclassification) is no regression; an audit row
        // from before the flag was recorded (no "regression" field) is judged by the phase alone.
        Assert.DoesNotContain(NotificationRules.Derive(Row(System(MigrationPhase.InProduction), System(MigrationPhase.Testing, designated: true)), Today),
            e => e.Kind == NotificationKind.Regression);
        var unflagged = System(MigrationPhase.Testing).RemoveAll(f => f.Name == "regression");
        Assert.Single(NotificationRules.Derive(Row(System(MigrationPhase.InProduction), unflagged), Today), e => e.Kind == NotificationKind.Regression);

        var forward = NotificationRules.Derive(Row(System(MigrationPhase.Testing), System(MigrationPhase.InProduction)), Today);
        Assert.DoesNotContain(forward, e => e.Kind == NotificationKind.Regression);
        Assert.Empty(forward); // migrated: nothing overdue either
    }

    [Fact]
    public void A_system_the_official_data_moves_back_is_a_regression_with_the_dataset_as_its_reason()
    {
        // 千代田区 from the baseline, then MIC's tally with every business at 10 of 40 steps: its systems in production move back.
        var now = DateTimeOffset.Parse("2026-03-10T00:00:00Z");
        var record = Baseline.Create(Chiyoda, now);
        var update = new OfficialUpdate(new OfficialDatasetRef(new string('a', 64), "総務省 PMOツール集計（市区町村別進捗） 2026-02", new DateOnly(2026, 2, 28), "import@digital.go.jp", now),
            [.. Catalog.ReadinessCatalog.Instance.BusinessSystems.Select(_ => (decimal?)0.25m)], new Actor("import@digital.go.jp", Role.National, null));
        var (_, _, entries) = OfficialRules.Apply(record, update, now);
        var movedBack = entries.Where(e => record.FindSystem(e.Target["system:".Length..])!.Phase > Phase(e.AfterFields)).ToList();
        Assert.NotEmpty(movedBack);
        foreach (var e in movedBack)
        {
            var events = NotificationRules.Derive(new AuditRow(1, e.MunicipalityCode, e.Version, e.Target, e.At, e.Actor.Subject, e.BeforeFields, e.AfterFields), Today);
            var regression = Assert.Single(events, x => x.Kind == NotificationKind.Regression);
            Assert.Contains("公式データ", regression.Reason, StringComparison.Ordinal);
            Assert.Contains("2026-02", regression.Reason, StringComparison.Ordinal);
            Assert.Equal("import@digital.go.jp", regression.ActorSubject);
        }
    }

    private static MigrationPhase Phase(ImmutableArray<AuditField> fields) =>
        Enum.GetValues<MigrationPhase>().Single(p => Wire.Name(p) == fields.Single(f => f.Name == "phase").Value);

    [Fact]
    public void Flags_are_events_only_when_newly_set()
    {
        // Moving back from in production makes the system overdue (after the deadline): newly set.
        Assert.Contains(NotificationRules.Derive(Row(System(MigrationPhase.InProduction), System(MigrationPhase.Testing, regression: true)), Today), e => e.Kind == NotificationKind.Overdue);

        // Already overdue before: no second overdue event for another change.
        Assert.DoesNotContain(NotificationRules.Derive(Row(System(MigrationPhase.FitGap), System(MigrationPhase.Testing)), Today), e => e.Kind == NotificationKind.Overdue);

        // Designated without reason or target: incomplete; with a target beyond the limit: beyond limit; past: past target.
        var incomplete = NotificationRules.Derive(Row(System(MigrationPhase.Testing), System(MigrationPhase.Testing, designated: true)), Today);
        Assert.Contains(incomplete, e => e.Kind == NotificationKind.DesignationIncomplete);
        var beyond = NotificationRules.Derive(Row(System(MigrationPhase.Testing), System(MigrationPhase.Testing, true, DesignationReason.Mainframe, new DateOnly(2032, 3, 31))), Today);
        Assert.Equal([NotificationKind.BeyondLimit], beyond.Select(e => e.Kind));
        var past = NotificationRules.Derive(Row(System(MigrationPhase.Testing), System(MigrationPhase.Testing, true, DesignationReason.Mainframe, new DateOnly(2026, 6, 30))), Today);
        Assert.Equal([NotificationKind.PastTarget], past.Select(e => e.Kind));

        // A system in production marked designated with a past or distant target has met it: nothing to tell.
        foreach (var target in new DateOnly?[] { new DateOnly(2026, 1, 31), new DateOnly(2032, 3, 31), null })
        {
            Assert.Empty(NotificationRules.Derive(Row(System(MigrationPhase.InProduction), System(MigrationPhase.InProduction, true, DesignationReason.CustomBuilt, target)), Today));
        }
    }

    [Fact]
    public void Checklist_rows_and_unknown_municipalities_yield_nothing()
    {
        Assert.Empty(NotificationRules.Derive(Row(System(MigrationPhase.InProduction), System(MigrationPhase.Testing, regression: true), target: "security:1-1"), Today));
        Assert.Empty(NotificationRules.Derive(Row(System(MigrationPhase.InProduction), System(MigrationPhase.Testing, regression: true), code: "999999"), Today));
    }

    [Fact]
    public void A_prefectures_own_system_yields_the_same_events_for_its_prefecture_staff()
    {
        // 北海道's own 生活保護 (団体コード 010006), reported through the real rules: first in production, then back to testing.
        var now = DateTimeOffset.Parse("2026-11-30T01:00:00Z");
        var staff = new Actor("staff@pref.hokkaido", Role.Prefecture, "01");
        ChangeRequest Report(string id, MigrationPhase phase, string? reason = null) => new()
        {
            RequestId = id,
            Actor = staff,
            Systems = [new SystemChange { BusinessId = "public_assistance", Phase = phase, Reason = reason }],
        };
        var created = PrefectureRunRules.Create("01", now);
        var (first, firstEntries) = PrefectureRunRules.Apply(created, Report("r1", MigrationPhase.InProduction), now);
        var (_, entries) = PrefectureRunRules.Apply(first, Report("r2", MigrationPhase.Testing, "再計画"), now);
        AuditRow Of(ChangeEntry e) => new(9, e.MunicipalityCode, e.Version, e.Target, e.At, e.Actor.Subject, e.BeforeFields, e.AfterFields);

        var events = NotificationRules.Derive(Of(Assert.Single(entries)), Today);
        var regression = Assert.Single(events, e => e.Kind == NotificationKind.Regression);
        Assert.Equal(("010006", "01", "public_assistance", "in_production", "testing", "再計画"),
            (regression.MunicipalityCode, regression.PrefectureCode, regression.BusinessId, regression.PhaseBefore, regression.PhaseAfter, regression.Reason));
        Assert.Contains(events, e => e.Kind == NotificationKind.Overdue); // back from production after the deadline

        // The first report (before: not reported, no phase) is judged as new: in production raises nothing.
        Assert.Empty(NotificationRules.Derive(Of(Assert.Single(firstEntries)), Today));

        // A first report not started after the deadline is overdue at once.
        var (_, late) = PrefectureRunRules.Apply(created, Report("r3", MigrationPhase.NotStarted), now);
        Assert.Equal([NotificationKind.Overdue], NotificationRules.Derive(Of(Assert.Single(late)), Today).Select(e => e.Kind));

        // Only the prefecture-run businesses: a row of another business under the prefecture's code is nobody's.
        Assert.Empty(NotificationRules.Derive(Row(System(MigrationPhase.InProduction), System(MigrationPhase.Testing, regression: true), code: "010006"), Today));

        // Its prefecture's staff and webhooks receive it (as for its municipalities); no one else's.
        NotificationRecipient[] people =
        [
            new("pref01@x", "pref01@x", Role.Prefecture, "01"),
            new("pref13@x", "pref13@x", Role.Prefecture, "13"),
            new("sapporo@x", "sapporo@x", Role.Municipality, "011002"),
            new("national@x", "national@x", Role.National, null),
        ];
        var plan = NotificationRules.Plan(regression, people, (_, k) => NotificationPreference.Default(k),
            [new WebhookTarget("wh01", "01", "https://a"), new WebhookTarget("wh13", "13", "https://b"), new WebhookTarget("whAll", null, "https://c")]);
        Assert.Equal(["pref01@x"], plan.Where(p => p.Channel == NotificationChannel.Mail).Select(p => p.Recipient));
        Assert.Equal(["wh01", "whAll"], plan.Where(p => p.Channel == NotificationChannel.Webhook).Select(p => p.Recipient).Order());
    }

    [Fact]
    public void Recipients_are_the_prefecture_for_its_municipalities_and_the_municipality_for_itself()
    {
        NotificationRecipient[] people =
        [
            new("pref13@x", "pref13@x", Role.Prefecture, "13"),
            new("pref27@x", "pref27@x", Role.Prefecture, "27"),
            new("chiyoda@x", "chiyoda@x", Role.Municipality, Chiyoda),
            new("chuo@x", "chuo@x", Role.Municipality, Chuo),
            new("national@x", "national@x", Role.National, null),
            new("admin@x", "admin@x", Role.Admin, null),
        ];
        var e = NotificationRules.Derive(Row(System(MigrationPhase.InProduction), System(MigrationPhase.Testing, regression: true)), Today).First(x => x.Kind == NotificationKind.Regression);
        var plan = NotificationRules.Plan(e, people, (_, k) => NotificationPreference.Default(k), [new WebhookTarget("wh13", "13", "https://a"), new WebhookTarget("wh27", "27", "https://b"), new WebhookTarget("whAll", null, "https://c")]);

        Assert.Equal(["chiyoda@x", "pref13@x"], plan.Where(p => p.Channel == NotificationChannel.Mail).Select(p => p.Recipient).Order());
        Assert.Equal(["chiyoda@x", "pref13@x"], plan.Where(p => p.Channel == NotificationChannel.InApp).Select(p => p.Recipient).Order());
        Assert.Equal(["wh13", "whAll"], plan.Where(p => p.Channel == NotificationChannel.Webhook).Select(p => p.Recipient).Order());
        Assert.Equal(plan.Length, plan.Select(p => p.Id).Distinct().Count());
    }

    [Fact]
    public void Preferences_choose_channels_and_hold_mail_for_a_digest()
    {
        var e = NotificationRules.Derive(Row(System(MigrationPhase.InProduction), System(MigrationPhase.Testing, regression: true)), Today).First(x => x.Kind == NotificationKind.Regression);
        NotificationRecipient[] people = [new("pref13@x", "pref13@x", Role.Prefecture, "13")];

        var off = NotificationRules.Plan(e, people, (_, k) => new NotificationPreference(k, false, false, NotificationFrequency.Immediately), []);
        Assert.Empty(off);

        var weekly = NotificationRules.Plan(e, people, (_, k) => new NotificationPreference(k, true, false, NotificationFrequency.Weekly), []);
        var mail = Assert.Single(weekly);
        Assert.True(mail.Held);
    }

    [Fact]
    public void Delivery_ids_are_stable_and_distinct()
    {
        var a = NotificationRules.DeliveryId("131016/7/system:koseki/regression", NotificationChannel.Mail, "p@x");
        Assert.Equal(a, NotificationRules.DeliveryId("131016/7/system:koseki/regression", NotificationChannel.Mail, "p@x"));
        Assert.StartsWith("ntf_", a, StringComparison.Ordinal);
        Assert.Equal(36, a.Length);
        Assert.NotEqual(a, NotificationRules.DeliveryId("131016/7/system:koseki/regression", NotificationChannel.Mail, "q@x"));
        Assert.NotEqual(a, NotificationRules.DeliveryId("131016/7/system:koseki/regression", NotificationChannel.Webhook, "p@x"));
        Assert.NotEqual(a, NotificationRules.DeliveryId("131016/8/system:koseki/regression", NotificationChannel.Mail, "p@x"));

        // The same audit row read twice plans the same ids (re-reading inserts nothing twice).
        var row = Row(System(MigrationPhase.InProduction), System(MigrationPhase.Testing, regression: true));
        NotificationRecipient[] people = [new("pref13@x", "pref13@x", Role.Prefecture, "13")];
        var once = NotificationRules.Derive(row, Today).SelectMany(e => NotificationRules.Plan(e, people, (_, k) => NotificationPreference.Default(k), [])).Select(p => p.Id);
        var twice = NotificationRules.Derive(row, Today).SelectMany(e => NotificationRules.Plan(e, people, (_, k) => NotificationPreference.Default(k), [])).Select(p => p.Id);
        Assert.Equal(once, twice);
    }

    [Fact]
    public void Backoff_doubles_up_to_the_cap_and_dead_after_the_last_attempt()
    {
        var first = TimeSpan.FromSeconds(30);
        var cap = TimeSpan.FromHours(2);
        Assert.Equal([30, 60, 120, 240, 480, 960, 1920, 3840, 7200, 7200], Enumerable.Range(1, 10).Select(a => NotificationRules.RetryDelay(a, first, cap).TotalSeconds));
        Assert.Throws<ArgumentOutOfRangeException>(() => NotificationRules.RetryDelay(0, first, cap));
        Assert.Equal(cap, NotificationRules.RetryDelay(int.MaxValue, first, cap));
        Assert.False(NotificationRules.IsDead(7, 8));
        Assert.True(NotificationRules.IsDead(8, 8));
    }

    [Fact]
    public void Weekly_digest_is_due_once_per_week_at_its_time_in_Japan()
    {
        var monday8 = TimeOnly.Parse("08:00");
        var sundayNight = DateTimeOffset.Parse("2026-11-29T23:00:00+09:00");
        var mondayMorning = DateTimeOffset.Parse("2026-11-30T08:30:00+09:00");
        Assert.Equal(DateTimeOffset.Parse("2026-11-23T08:00:00+09:00"), NotificationRules.PeriodStart(sundayNight, NotificationFrequency.Weekly, DayOfWeek.Monday, monday8));
        Assert.Equal(DateTimeOffset.Parse("2026-11-30T08:00:00+09:00"), NotificationRules.PeriodStart(mondayMorning, NotificationFrequency.Weekly, DayOfWeek.Monday, monday8));
        Assert.True(NotificationRules.DigestDue(null, mondayMorning, NotificationFrequency.Weekly, DayOfWeek.Monday, monday8));
        Assert.True(NotificationRules.DigestDue(sundayNight, mondayMorning, NotificationFrequency.Weekly, DayOfWeek.Monday, monday8));
        Assert.False(NotificationRules.DigestDue(mondayMorning, mondayMorning.AddDays(6), NotificationFrequency.Weekly, DayOfWeek.Monday, monday8));
        Assert.Equal(DateTimeOffset.Parse("2026-11-29T08:00:00+09:00"), NotificationRules.PeriodStart(DateTimeOffset.Parse("2026-11-30T07:00:00+09:00"), NotificationFrequency.Daily, DayOfWeek.Monday, monday8));
    }

    [Fact]
    public void Unsubscribe_tokens_name_one_person_and_kind_and_cannot_be_forged()
    {
        var key = new byte[32];
        key[0] = 1;
        var token = UnsubscribeTokens.Create(key, "pref13@x", NotificationKind.Regression);
        Assert.True(UnsubscribeTokens.TryRead(key, token, out var subject, out var kind));
        Assert.Equal(("pref13@x", NotificationKind.Regression), (subject, kind));

        var other = new byte[32];
        Assert.False(UnsubscribeTokens.TryRead(other, token, out _, out _));
        var forged = UnsubscribeTokens.Create(other, "chiyoda@x", NotificationKind.Regression);
        Assert.False(UnsubscribeTokens.TryRead(key, token.Split('.')[0] + "." + forged.Split('.')[1], out _, out _));
        Assert.False(UnsubscribeTokens.TryRead(key, forged.Split('.')[0] + "." + token.Split('.')[1], out _, out _));
        Assert.False(UnsubscribeTokens.TryRead(key, "garbage", out _, out _));
        Assert.False(UnsubscribeTokens.TryRead(key, null, out _, out _));
    }

    [Fact]
    public void Messages_are_Japanese_first_with_English()
    {
        var e = NotificationRules.Derive(Row(System(MigrationPhase.InProduction), System(MigrationPhase.Testing, regression: true)), Today).First(x => x.Kind == NotificationKind.Regression);
        var data = NotificationStore.PayloadOf(e).Data;
        var subject = NotificationMessages.Subject(e.Kind, data);
        Assert.Contains("千代田区", subject, StringComparison.Ordinal);
        Assert.Contains("フェーズの後退", subject, StringComparison.Ordinal);
        var text = NotificationMessages.EventText(e.Kind, data, new Uri("http://x/municipalities/131016"), new Uri("http://x/u"));
        Assert.True(text.IndexOf("戻りました", StringComparison.Ordinal) < text.IndexOf("moved", StringComparison.Ordinal));
        Assert.Contains("再計画", text, StringComparison.Ordinal);
        Assert.Contains("本番稼働", text, StringComparison.Ordinal);

        // The English half names the prefecture in English (the catalog has it), not 東京都 in an English sentence.
        var (_, en) = NotificationMessages.Sentence(e.Kind, data);
        Assert.Contains("千代田区 (Tokyo)", en, StringComparison.Ordinal);
        Assert.DoesNotContain("東京都", en, StringComparison.Ordinal);
        _ = OsakaCity;
    }
    [Fact]
    public void The_judged_fields_alone_give_the_same_events_as_the_whole_sides()
    {
        // The dispatcher reads only NotificationRules.JudgedFields of each side (issue 14): a rule that came to read
        // another field would judge it missing there; this compares both readings over many random sides.
        var random = new Random(20261206);
        var phases = Enum.GetValues<MigrationPhase>();
        var reasons = Enum.GetValues<DesignationReason>();
        ImmutableArray<AuditField> Side() => AuditFields.Of(new SystemStatus
        {
            BusinessId = "koseki",
            Phase = phases[random.Next(phases.Length)],
            NotApplicable = random.Next(8) == 0,
            PlannedGoLive = random.Next(3) == 0 ? null : Today.AddDays(random.Next(-400, 400)),
            Vendor = random.Next(2) == 0 ? null : "ベンダー",
            Hosting = random.Next(2) == 0 ? null : HostingKind.GovernmentCloud,
            Designated = random.Next(3) == 0,
            DesignationReason = random.Next(2) == 0 ? null : reasons[random.Next(reasons.Length)],
            DesignationTarget = random.Next(2) == 0 ? null : Today.AddDays(random.Next(-400, 1500)),
            Regression = random.Next(4) == 0,
            RegressionReason = random.Next(2) == 0 ? null : "再計画",
            CloudProvider = random.Next(2) == 0 ? null : CloudProvider.Aws,
        });
        var events = 0;
        for (var i = 0; i < 3000; i++)
        {
            var (before, after) = (random.Next(10) == 0 ? [] : Side(), Side());
            ImmutableArray<AuditField> Judged(ImmutableArray<AuditField> side) =>
                side.IsEmpty ? [] : AuditFields.FromUtf8Json(AuditFields.ToUtf8Json(side), NotificationRules.JudgedFields);
            var whole = NotificationRules.Derive(Row(before, after), Today);
            var judged = NotificationRules.Derive(Row(Judged(before), Judged(after)), Today);
            Assert.Equal(whole.ToList(), judged.ToList());
            events += whole.Length;
        }

        Assert.True(events > 500, $"{events} events");
    }
}
