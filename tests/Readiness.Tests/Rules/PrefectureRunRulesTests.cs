using System.Collections.Immutable;
using Readiness.Catalog;
using Readiness.Rules;

namespace Readiness.Tests.Rules;

/// <summary>
/// The prefecture-run businesses (児童扶養手当, 生活保護): the designation list's prefecture rows as data, a prefecture's
/// own record, its reports (the municipality's rules plus two of its own), the list applied to it, and the figures
/// counted apart in the prefecture and once in the nation.
/// </summary>
public sealed class PrefectureRunRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 3, 0, 0, TimeSpan.Zero);
    private static readonly DateOnly Today = ReadinessRules.TodayInJapan(Now);
    private static readonly Actor Staff = new("staff@pref.iwate", Role.Prefecture, "03");
    private static readonly Actor Importer = new("import@digital.go.jp", Role.National, null);

    private static OfficialDatasetRef List(DateOnly asOf, string id = "list") => new(id, "デジタル庁 特定移行支援システムの該当見込み一覧", asOf, Importer.Subject, Now);

    private static ChangeRequest Report(string businessId, MigrationPhase phase, string requestId = "r1", bool designated = false) => new()
    {
        RequestId = requestId,
        Actor = Staff,
        Systems = [new SystemChange
        {
            BusinessId = businessId,
            Phase = phase,
            Designation = designated ? new DesignationInput(DesignationReason.VendorCapacity, new DateOnly(2029, 3, 31)) : null,
        }],
    };

    [Fact]
    public void The_designation_lists_prefecture_rows_are_data_37_prefectures_48_marks()
    {
        var rows = ReadinessCatalog.Instance.BaselinePrefectureDesignations;
        Assert.Equal(37, rows.Count);
        Assert.Equal(48, rows.Values.Sum(s => s.Count));
        Assert.Equal(33, rows.Values.Count(s => s.Contains("child_rearing_allowance")));
        Assert.Equal(15, rows.Values.Count(s => s.Contains("public_assistance")));
        Assert.All(rows.Values.SelectMany(s => s), b => Assert.True(ReadinessCatalog.IsPrefectureRun(b)));
        Assert.DoesNotContain("13", rows.Keys); // 東京都 has no row in December 2025
        Assert.Equal(["child_rearing_allowance", "public_assistance"], ReadinessCatalog.PrefectureRunBusinesses);
        Assert.All(ReadinessCatalog.PrefectureRunBusinesses, b => Assert.True(ReadinessCatalog.Instance.BusinessIndex.ContainsKey(b)));
    }

    [Theory]
    [InlineData("01", "010006")]
    [InlineData("13", "130001")]
    [InlineData("27", "270008")]
    [InlineData("47", "470007")]
    public void A_prefectures_own_code_has_its_check_digit(string prefecture, string code)
    {
        Assert.Equal(code, ReadinessCatalog.PrefectureBodyCode(prefecture));
        Assert.True(MunicipalityCode.IsValid(code));
        Assert.False(ReadinessCatalog.Instance.IsMunicipality(code));
    }

    [Fact]
    public void A_new_record_is_listed_as_the_baseline_says_and_counts_nothing_until_reported()
    {
        var iwate = PrefectureRunRules.Create("03", Now);
        Assert.Equal("030007", iwate.Code);
        Assert.Equal(["child_rearing_allowance"], iwate.Listed.ToArray());
        Assert.True(iwate.FindSystem("child_rearing_allowance")!.Designated);
        Assert.False(iwate.FindSystem("public_assistance")!.Designated);
        Assert.True(iwate.Holds(iwate.FindSystem("child_rearing_allowance")!));
        Assert.False(iwate.Holds(iwate.FindSystem("public_assistance")!));
        Assert.Equal(0, PrefectureRunRules.Summarize(iwate, Today).ApplicableSystems);

        var tokyo = PrefectureRunRules.Create("13", Now);
        Assert.Empty(tokyo.Listed);
        Assert.All(tokyo.Systems, s => Assert.False(s.Designated));
    }

    [Fact]
    public void Only_the_prefecture_run_businesses_and_no_security_items_can_be_reported()
    {
        var record = PrefectureRunRules.Create("03", Now);
        var koseki = PrefectureRunRules.Validate(Report("koseki", MigrationPhase.Testing), record, Today);
        var error = Assert.Single(koseki);
        Assert.Equal(("systems[0].businessId", "not_prefecture_run"), (error.Field, error.Code));
        Assert.Contains("都道府県が実施する事務", error.MessageJa);
        Assert.Contains("not a business run by the prefecture", error.MessageEn);

        var unknown = Assert.Single(PrefectureRunRules.Validate(Report("no_such", MigrationPhase.Testing), record, Today));
        Assert.Equal("unknown_business", unknown.Code);

        var security = PrefectureRunRules.Validate(Report("public_assistance", MigrationPhase.Testing) with
        {
            Security = [new SecurityChange { ItemId = ReadinessCatalog.Instance.SecurityItems[0].Id, Status = SecurityStatus.Implemented }],
        }, record, Today);
        Assert.Equal("security", Assert.Single(security).Field);
    }

    [Fact]
    public void A_report_is_judged_by_the_municipalitys_rules_naming_the_field()
    {
        var record = PrefectureRunRules.Create("03", Now);
        var request = Report("public_assistance", MigrationPhase.Testing) with
        {
            Systems = [new SystemChange { BusinessId = "public_assistance", Phase = MigrationPhase.Testing, Designation = new DesignationInput(null, null) }],
        };
        var errors = PrefectureRunRules.Validate(request, record, Today);
        Assert.Contains(errors, e => e.Field == "systems[public_assistance].designation.reason" && e.Code == "required");
        Assert.Contains(errors, e => e.Field == "systems[public_assistance].designation.targetDate" && e.Code == "required");
        Assert.All(errors, e => Assert.False(string.IsNullOrEmpty(e.MessageJa) || string.IsNullOrEmpty(e.MessageEn)));
    }

    [Fact]
    public void An_accepted_report_counts_the_system_once_apart_from_municipalities_and_is_audited_under_the_prefectures_code()
    {
        var record = PrefectureRunRules.Create("03", Now);
        var request = Report("public_assistance", MigrationPhase.InProduction);
        Assert.Empty(PrefectureRunRules.Validate(request, record, Today));
        var (next, entries) = PrefectureRunRules.Apply(record, request, Now);
        Assert.Equal(1, next.Version);
        Assert.Equal(Now, next.LastReportedAt);
        var entry = Assert.Single(entries);
        Assert.Equal(("030007", "system:public_assistance", "staff@pref.iwate"), (entry.MunicipalityCode, entry.Target, entry.Actor.Subject));
        Assert.Contains(entry.AfterFields, f => f.Name == "phase" && f.Value == "in_production");

        var f = PrefectureRunRules.Summarize(next, Today);
        Assert.Equal((1, 1, 0), (f.ApplicableSystems, f.MigratedSystems, f.Municipalities));
        Assert.Equal(0, f.ReportedMunicipalities + f.CompleteMunicipalities + f.StaleMunicipalities + f.SecurityApplicableItems);

        // The listed, not yet reported 児童扶養手当 stays out of the figures: no public data gives its phase.
        Assert.False(PrefectureRunRecord.Counts(next.FindSystem("child_rearing_allowance")!));
    }

    [Fact]
    public void The_nation_counts_the_prefectures_own_systems_once_and_the_prefecture_keeps_them_apart()
    {
        var municipalities = ReadinessCatalog.Instance.MunicipalitiesByPrefecture["03"]
            .Select(m => ReadinessRules.Summary(Baseline.Create(m.Code, Now), Today)).ToList();
        var (own, _) = PrefectureRunRules.Apply(PrefectureRunRules.Create("03", Now), Report("public_assistance", MigrationPhase.InProduction), Now);
        var ownSummary = PrefectureRunRules.Summary(own, Today);

        var without = Aggregation.Prefecture("03", municipalities, Today, Now);
        var with = Aggregation.Prefecture("03", municipalities, Today, Now, ownSummary);
        Assert.True(without.Figures.SameAs(with.Figures), "the prefecture's municipalities' sum does not include its own systems");
        Assert.Equal(1, with.PrefectureRun.ApplicableSystems);
        Assert.Equal(without.VersionSum + 1, with.VersionSum);

        var nationWithout = Aggregation.Nation([without], Now);
        var nation = Aggregation.Nation([with], Now);
        Assert.Equal(nationWithout.Figures.ApplicableSystems + 1, nation.Figures.ApplicableSystems);
        Assert.Equal(nationWithout.Figures.MigratedSystems + 1, nation.Figures.MigratedSystems);
        Assert.Equal(nationWithout.Figures.Municipalities, nation.Figures.Municipalities);
        Assert.Equal(1, nation.PrefectureRun.ApplicableSystems);
        Assert.True(Aggregation.Sum([with.Figures, with.PrefectureRun]).SameAs(nation.Figures));
    }

    [Fact]
    public void A_designation_list_switches_the_listing_audited_as_the_import_once_and_never_backwards()
    {
        var iwate = PrefectureRunRules.Create("03", Now);

        // January 2026's list: Iwate lists 生活保護 now, no longer 児童扶養手当.
        var january = List(new DateOnly(2026, 1, 31), "jan");
        var (outcome, next, entries) = PrefectureRunRules.ApplyDesignationList(iwate, january, ["public_assistance"], Importer, Now);
        Assert.Equal(OfficialOutcome.Applied, outcome);
        Assert.Equal(["public_assistance"], next.Listed.ToArray());
        Assert.True(next.FindSystem("public_assistance")!.Designated);
        Assert.False(next.FindSystem("child_rearing_allowance")!.Designated);
        Assert.Equal(2, entries.Length);
        Assert.All(entries, e => Assert.Equal(("import:jan", "030007"), (e.RequestId, e.MunicipalityCode)));
        Assert.Contains(entries, e => e.Target == "system:child_rearing_allowance" && e.AfterFields.Single(f => f.Name == "listed").Value == "false");
        Assert.Same(january, next.OfficialDesignation);

        // The same list again, and an older one, change nothing.
        Assert.Equal(OfficialOutcome.Unchanged, PrefectureRunRules.ApplyDesignationList(next, january, ["public_assistance"], Importer, Now).Outcome);
        Assert.Equal(OfficialOutcome.Older, PrefectureRunRules.ApplyDesignationList(next, List(new DateOnly(2025, 12, 31)), [], Importer, Now).Outcome);

        // No row on a later list: nothing listed; a system the prefecture reported after the list's day keeps its own designation.
        var (reported, _) = PrefectureRunRules.Apply(next, Report("public_assistance", MigrationPhase.Testing, designated: true), Now);
        var (o2, cleared, _) = PrefectureRunRules.ApplyDesignationList(reported, List(new DateOnly(2026, 2, 28), "feb"), [], Importer, Now);
        Assert.Equal(OfficialOutcome.Applied, o2);
        Assert.Empty(cleared.Listed);
        Assert.True(cleared.FindSystem("public_assistance")!.Designated);
        Assert.True(cleared.Holds(cleared.FindSystem("public_assistance")!));
    }

    /// <summary>
    /// Every entry a designation list writes records the importer's client address, the confirmation of an unchanged
    /// listing too (it had none while the switching entries had it).
    /// </summary>
    [Fact]
    public void Every_entry_of_a_designation_list_records_the_client_address()
    {
        var iwate = PrefectureRunRules.Create("03", Now);
        var (_, january, switched) = PrefectureRunRules.ApplyDesignationList(iwate, List(new DateOnly(2026, 1, 31), "jan"), ["public_assistance"], Importer, Now, "192.0.2.7");
        Assert.NotEmpty(switched);
        Assert.All(switched, e => Assert.Equal("192.0.2.7", e.ClientAddress));

        var (outcome, _, confirmed) = PrefectureRunRules.ApplyDesignationList(january, List(new DateOnly(2026, 2, 28), "feb"), ["public_assistance"], Importer, Now, "192.0.2.8");
        Assert.Equal(OfficialOutcome.Confirmed, outcome);
        var entry = Assert.Single(confirmed);
        Assert.Equal(("official:designation", "import:feb", "192.0.2.8"), (entry.Target, entry.RequestId, entry.ClientAddress));
    }

    // A save of a system without a phase (it stays unreported: ReportedAt null): vendor, and the designation or none.
    private static ChangeRequest SaveUnreported(string businessId, bool designated, string requestId = "s1") => new()
    {
        RequestId = requestId,
        Actor = Staff,
        Systems = [new SystemChange
        {
            BusinessId = businessId,
            Vendor = "NEC",
            Designation = designated ? new DesignationInput(DesignationReason.VendorCapacity, new DateOnly(2029, 3, 31)) : null,
            Omitted = ["phase"],
        }],
    };

    /// <summary>
    /// A system the prefecture sent without a phase stays unreported (ReportedAt null), yet what it sent is a person's:
    /// a designation list of that day or earlier used to take ReportedAt null for "never touched" and cleared the
    /// designation, its reason and target the prefecture had just given (or designated a system it had just cleared).
    /// </summary>
    [Fact]
    public void A_designation_list_keeps_what_the_prefecture_sent_without_a_phase()
    {
        var iwate = PrefectureRunRules.Create("03", Now);
        Assert.True(iwate.IsListed("child_rearing_allowance"));

        // 児童扶養手当: designated with reason and target; 生活保護: sent with no designation. Neither reported.
        var (saved, _) = PrefectureRunRules.Apply(iwate, SaveUnreported("child_rearing_allowance", designated: true), Now);
        (saved, _) = PrefectureRunRules.Apply(saved, SaveUnreported("public_assistance", designated: false, "s2"), Now);
        Assert.All(saved.Systems, s => Assert.Null(s.ReportedAt));

        // A list of the save's day that swaps the marks: the listing follows it, the prefecture's values stand.
        var (outcome, next, entries) = PrefectureRunRules.ApplyDesignationList(saved, List(Today, "nov"), ["public_assistance"], Importer, Now);
        Assert.Equal(OfficialOutcome.Applied, outcome);
        Assert.Equal(["public_assistance"], next.Listed.ToArray());
        Assert.Equal(saved.Systems.ToArray(), next.Systems.ToArray());
        var child = next.FindSystem("child_rearing_allowance")!;
        Assert.Equal((true, DesignationReason.VendorCapacity, new DateOnly(2029, 3, 31), "NEC"), (child.Designated, child.DesignationReason, child.DesignationTarget, child.Vendor));
        Assert.False(next.FindSystem("public_assistance")!.Designated);
        Assert.All(entries, e => Assert.Equal(
            e.BeforeFields.Where(f => f.Name != "listed"), e.AfterFields.Where(f => f.Name != "listed")));

        // A list of a later day is newer than the prefecture's word: it applies.
        var (_, later, _) = PrefectureRunRules.ApplyDesignationList(next, List(Today.AddDays(1), "dec"), ["child_rearing_allowance"], Importer, Now.AddDays(1));
        Assert.False(later.FindSystem("public_assistance")!.Designated);
        Assert.True(later.FindSystem("child_rearing_allowance")!.Designated);
        Assert.Equal("NEC", later.FindSystem("child_rearing_allowance")!.Vendor);
    }

    /// <summary>A record stored before the prefecture's sends were kept apart: a report (ReportedAt) still wins.</summary>
    [Fact]
    public void A_record_without_sends_kept_falls_back_to_the_report()
    {
        var iwate = PrefectureRunRules.Create("03", Now);
        var (reported, _) = PrefectureRunRules.Apply(iwate, Report("child_rearing_allowance", MigrationPhase.Testing, designated: true), Now);
        var old = reported with { ChangedAt = ImmutableDictionary<string, DateTimeOffset>.Empty };

        var (_, next, _) = PrefectureRunRules.ApplyDesignationList(old, List(Today, "nov"), [], Importer, Now);
        Assert.True(next.FindSystem("child_rearing_allowance")!.Designated);
        Assert.Equal(DesignationReason.VendorCapacity, next.FindSystem("child_rearing_allowance")!.DesignationReason);
    }
}
