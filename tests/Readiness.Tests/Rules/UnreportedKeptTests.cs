using System.Collections.Immutable;
using Readiness.Catalog;
using Readiness.Notifications;
using Readiness.Rules;
using Readiness.Web.Api;

namespace Readiness.Tests.Rules;

/// <summary>
/// "Phase left out or null means keep" (ChangeRules.Apply): a prefecture's own system never reported reads phase null,
/// and that read written back as read is a confirmation that keeps it unreported (before = after, phase null, no
/// notification), never a change null → not_started. A write that leaves the phase out or null while changing another
/// member stores that member and keeps the phase unreported. A phase given reports the system, as before.
/// </summary>
public sealed class UnreportedKeptTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 3, 0, 0, TimeSpan.Zero);
    private static readonly DateOnly Today = ReadinessRules.TodayInJapan(Now);
    private const string Business = "child_rearing_allowance";

    // A prefecture whose row of the baseline's list marks the business: its unreported system is designated without
    // reason or target, so reporting it (wrongly) raises designationIncomplete.
    private static readonly string Prefecture = ReadinessCatalog.Instance.BaselinePrefectureDesignations.First(p => p.Value.Contains(Business)).Key;

    private static ChangeRequest Request(SystemReport report) => new()
    {
        RequestId = "r-" + Guid.NewGuid().ToString("N"),
        Actor = new Actor("staff@pref", Role.Prefecture, Prefecture),
        Systems = [ReportingService.ToChange(Business, report)],
    };

    private static SystemReport Read(PrefectureRunRecord record)
    {
        var s = record.FindSystem(Business)!;
        return SystemReport.From(s, PrefectureRunRecord.Counts(s));
    }

    private static ImmutableArray<NotificationEvent> Events(ChangeEntry e) =>
        NotificationRules.Derive(new AuditRow(1, e.MunicipalityCode, e.Version, e.Target, e.At, e.Actor.Subject, e.BeforeFields, e.AfterFields), Today);

    private static string? Phase(ImmutableArray<AuditField> fields) => fields.Single(f => f.Name == "phase").Value;

    public static TheoryData<string> Shapes => new()
    {
        "put_null",    // PUT of the GET body: phase null (the API takes it out of the members given)
        "left_out",    // PATCH without phase
        "form_empty",  // the dashboard form with 「未報告」 chosen: phase null among the form's members
    };

    private static SystemReport Shape(string shape, SystemReport read) => shape switch
    {
        "put_null" => read with { Given = SystemChange.Members.Where(m => m != "phase").ToHashSet(StringComparer.Ordinal) },
        "left_out" => read with { Given = SystemChange.Members.Where(m => m != "phase").ToHashSet(StringComparer.Ordinal) },
        _ => read with { Given = SystemChange.Members.ToHashSet(StringComparer.Ordinal) },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void A_never_reported_system_written_back_as_read_is_a_confirmation_that_keeps_it_unreported(string shape)
    {
        var record = PrefectureRunRules.Create(Prefecture, Now);
        var read = Read(record);
        Assert.Null(read.Phase);
        var request = Request(Shape(shape, read));
        Assert.Empty(PrefectureRunRules.Validate(request, record, Today));

        var (next, entries) = PrefectureRunRules.Apply(record, request, Now);

        var system = next.FindSystem(Business)!;
        Assert.False(PrefectureRunRecord.Counts(system));
        Assert.Null(system.ReportedAt);
        Assert.Equal(read, Read(next));
        var entry = Assert.Single(entries);
        Assert.True(AuditFields.IsConfirmation(entry), $"before {Phase(entry.BeforeFields)}, after {Phase(entry.AfterFields)}");
        Assert.Null(Phase(entry.AfterFields));
        Assert.Empty(Events(entry));
        Assert.Equal(0, PrefectureRunRules.Summarize(next, Today).ApplicableSystems);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void A_write_leaving_the_phase_out_or_null_stores_the_vendor_and_keeps_the_phase_unreported(string shape)
    {
        var record = PrefectureRunRules.Create(Prefecture, Now);
        var request = Request(Shape(shape, Read(record)) with { Vendor = "ベンダＡ" });
        Assert.Empty(PrefectureRunRules.Validate(request, record, Today));

        var (next, entries) = PrefectureRunRules.Apply(record, request, Now);

        var system = next.FindSystem(Business)!;
        Assert.Equal("ベンダA", system.Vendor);
        Assert.False(PrefectureRunRecord.Counts(system));
        var entry = Assert.Single(entries);
        Assert.False(AuditFields.IsConfirmation(entry));
        Assert.Equal((null, null), (Phase(entry.BeforeFields), Phase(entry.AfterFields)));
        Assert.Empty(Events(entry));
    }

    [Fact]
    public void A_phase_given_reports_the_system_as_before()
    {
        var record = PrefectureRunRules.Create(Prefecture, Now);
        var request = Request(Read(record) with { Phase = MigrationPhase.NotStarted });
        var (next, entries) = PrefectureRunRules.Apply(record, request, Now);

        Assert.True(PrefectureRunRecord.Counts(next.FindSystem(Business)!));
        var entry = Assert.Single(entries);
        Assert.Equal((null, "not_started"), (Phase(entry.BeforeFields), Phase(entry.AfterFields)));
        Assert.Contains(Events(entry), e => e.Kind == NotificationKind.DesignationIncomplete);

        // Reported, the same read written back is a confirmation too (the phase now read back as it is).
        var again = Request(Read(next));
        var (_, confirmed) = PrefectureRunRules.Apply(next, again, Now.AddMinutes(1));
        Assert.True(AuditFields.IsConfirmation(Assert.Single(confirmed)));
    }

    [Fact]
    public void A_municipality_system_and_checklist_item_written_back_as_read_are_confirmations()
    {
        // A municipality's never reported values read as themselves (the estimate's phase, not_assessed): written back
        // they are confirmations, and nothing is derived to notify.
        var code = ReadinessCatalog.Instance.Municipalities[0].Code;
        var record = Baseline.Create(code, Now);
        var system = record.Systems[0];
        var item = record.Security[0];
        var request = new ChangeRequest
        {
            RequestId = "r-m",
            Actor = new Actor("staff@city", Role.Municipality, code),
            Systems = [ReportingService.ToChange(system.BusinessId, SystemReport.From(system))],
            Security = [new SecurityChange { ItemId = item.ItemId, Status = item.Status, Evidence = item.Evidence, LastReviewed = item.LastReviewed }],
        };
        Assert.Empty(ChangeRules.Validate(request, record, Today));
        var (_, entries) = ChangeRules.Apply(record, request, Now);
        Assert.Equal(2, entries.Length);
        Assert.All(entries, e => Assert.True(AuditFields.IsConfirmation(e), e.Target));
        Assert.All(entries, e => Assert.Empty(Events(e)));
    }
}
