using System.Collections.Immutable;
using Readiness.Catalog;
using Readiness.Imports;
using Readiness.Notifications;
using Readiness.Rules;

namespace Readiness.Tests.Imports;

/// <summary>The reconciliation rule over records built here: each kind at and around its threshold, and what is not compared.</summary>
public sealed class ReconciliationTests
{
    private const string Code = "131016";
    private static readonly DateTimeOffset Reported = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    private static MunicipalityRecord With(params SystemStatus[] systems)
    {
        var record = Baseline.Empty(Code, Reported, Baseline.Provenance);
        var list = record.Systems.ToBuilder();
        foreach (var s in systems)
        {
            list[ReadinessCatalog.Instance.BusinessIndex[s.BusinessId]] = s;
        }

        return record with { Systems = list.ToImmutable() };
    }

    private static readonly OfficialDesignations None = new("test list", new DateOnly(2025, 12, 31), new Dictionary<string, IReadOnlySet<string>>());

    private static OfficialDesignations Listing(string business) =>
        new("test list", new DateOnly(2025, 12, 31), new Dictionary<string, IReadOnlySet<string>> { [Code] = new HashSet<string> { business } });

    [Theory]
    [InlineData(MigrationPhase.InProduction, 29, true)]
    [InlineData(MigrationPhase.LegacyDecommissioned, 0, true)]
    [InlineData(MigrationPhase.InProduction, 30, false)] // 30 of 40 is the threshold: not "far from done"
    [InlineData(MigrationPhase.Testing, 10, false)]
    public void Reported_in_production_while_official_steps_are_far_from_done(MigrationPhase phase, int steps, bool expected)
    {
        var record = With(new SystemStatus { BusinessId = "resident_registry", Phase = phase, BaselineStepCompletion = steps / 40m, ReportedAt = Reported });
        var kinds = Reconciliation.Compare(record, None).Select(d => d.Kind).ToList();
        Assert.Equal(expected, kinds.Contains(DifferenceKind.ReportedInProductionStepsLow));
    }

    [Theory]
    [InlineData(MigrationPhase.Testing, 39, true)]
    [InlineData(MigrationPhase.NotStarted, 40, true)]
    [InlineData(MigrationPhase.Testing, 38, false)]
    [InlineData(MigrationPhase.InProduction, 40, false)]
    public void Official_complete_while_reported_testing_or_earlier(MigrationPhase phase, int steps, bool expected)
    {
        var record = With(new SystemStatus { BusinessId = "koseki", Phase = phase, BaselineStepCompletion = steps / 40m, ReportedAt = Reported });
        var differences = Reconciliation.Compare(record, None);
        Assert.Equal(expected, differences.Any(d => d.Kind == DifferenceKind.OfficialCompleteReportedEarlier));
        if (expected)
        {
            var d = Assert.Single(differences);
            Assert.Equal(("koseki", phase, steps / 40m, "13"), (d.BusinessId, d.ReportedPhase, d.OfficialStepCompletion!.Value, d.PrefectureCode));
        }
    }

    [Fact]
    public void A_designated_system_at_testing_with_every_step_done_is_no_difference_for_the_rule_stops_it_there()
    {
        // Self-reported designated, or designated on the list: the step-to-phase rule caps it at testing, as reported.
        var selfDesignated = With(new SystemStatus { BusinessId = "koseki", Phase = MigrationPhase.Testing, Designated = true, BaselineStepCompletion = 1m, ReportedAt = Reported });
        Assert.DoesNotContain(Reconciliation.Compare(selfDesignated, Listing("koseki")), d => d.Kind == DifferenceKind.OfficialCompleteReportedEarlier);
        var listed = With(new SystemStatus { BusinessId = "koseki", Phase = MigrationPhase.Testing, BaselineStepCompletion = 1m, ReportedAt = Reported });
        var differences = Reconciliation.Compare(listed, Listing("koseki"));
        Assert.Equal([DifferenceKind.DesignatedOnlyOfficial], differences.Select(d => d.Kind));
    }

    [Fact]
    public void An_imported_list_that_refused_the_municipalitys_row_is_no_measure_of_its_designations()
    {
        var record = new OfficialImportRecord
        {
            Id = new string('b', 64), Kind = OfficialImportRecord.DesignationListKind, Source = "デジタル庁 test", AsOf = new DateOnly(2026, 2, 28),
            FileName = "list.xlsx", FileSize = 1, SheetName = "一覧", UploadedBy = "national@example", UploadedAt = Reported,
            Rows = [new OfficialImportRow(4, "271004", []) { Designated = [.. new bool[20]] }], // 千代田区's row was refused
            Issues = [], Preview = new OfficialImportCounts(1, 0, 0, 0, 0),
        };
        var list = OfficialDesignations.From(record);
        Assert.False(list.Covers(Code));
        Assert.True(list.Covers("271004"));
        var selfDesignated = With(new SystemStatus { BusinessId = "koseki", Phase = MigrationPhase.Testing, Designated = true, BaselineStepCompletion = 0.5m, ReportedAt = Reported });
        Assert.Empty(Reconciliation.Compare(selfDesignated, list));
        Assert.Equal([DifferenceKind.DesignatedOnlySelfReported], Reconciliation.Compare(selfDesignated, None).Select(d => d.Kind));
    }

    [Fact]
    public void Designated_in_one_and_not_the_other()
    {
        var selfOnly = With(new SystemStatus { BusinessId = "resident_registry", Phase = MigrationPhase.Testing, Designated = true, BaselineStepCompletion = 0.5m, ReportedAt = Reported });
        Assert.Equal(new[] { DifferenceKind.DesignatedOnlySelfReported }, Reconciliation.Compare(selfOnly, None).Select(d => d.Kind));
        Assert.Empty(Reconciliation.Compare(selfOnly, Listing("resident_registry")));

        var officialOnly = With(new SystemStatus { BusinessId = "resident_registry", Phase = MigrationPhase.Testing, BaselineStepCompletion = 0.5m, ReportedAt = Reported });
        var d = Assert.Single(Reconciliation.Compare(officialOnly, Listing("resident_registry")));
        Assert.Equal((DifferenceKind.DesignatedOnlyOfficial, false, true, "test list"), (d.Kind, d.ReportedDesignated, d.OfficialDesignated, d.OfficialSource));
    }

    [Fact]
    public void Only_self_reported_and_applicable_systems_are_compared_on_steps()
    {
        // Never reported: the phase shows the official data by the documented rule, so nothing to reconcile.
        var unreported = With(new SystemStatus { BusinessId = "resident_registry", Phase = MigrationPhase.InProduction, BaselineStepCompletion = 0.1m });
        Assert.Empty(Reconciliation.Compare(unreported, Listing("koseki")));

        // Not applicable: MIC's rate of 1 also covers 対象外.
        var notApplicable = With(new SystemStatus { BusinessId = "public_assistance", NotApplicable = true, BaselineStepCompletion = 1m, ReportedAt = Reported });
        Assert.Empty(Reconciliation.Compare(notApplicable, None));

        // No official figure: nothing to compare with.
        var noFigure = With(new SystemStatus { BusinessId = "resident_registry", Phase = MigrationPhase.InProduction, ReportedAt = Reported });
        Assert.Empty(Reconciliation.Compare(noFigure, None));
    }

    [Fact]
    public void The_official_source_and_as_of_come_from_the_applied_dataset()
    {
        var record = With(new SystemStatus { BusinessId = "resident_registry", Phase = MigrationPhase.InProduction, BaselineStepCompletion = 0.2m, ReportedAt = Reported }) with
        {
            Official = new OfficialDatasetRef("abc", "総務省 PMOツール集計", new DateOnly(2026, 2, 28), "import@example", Reported),
        };
        var d = Assert.Single(Reconciliation.Compare(record, None));
        Assert.Equal(("総務省 PMOツール集計", new DateOnly(2026, 2, 28)), (d.OfficialSource, d.OfficialAsOf));
        Assert.True(Reconciliation.Matches(d, "13", DifferenceKind.ReportedInProductionStepsLow, "resident_registry"));
        Assert.False(Reconciliation.Matches(d, "27", null, null));
        Assert.False(Reconciliation.Matches(d, null, DifferenceKind.DesignatedOnlyOfficial, null));
        Assert.False(Reconciliation.Matches(d, null, null, "koseki"));
    }

    [Fact]
    public void One_notification_per_municipality_and_import_with_a_stable_id()
    {
        var record = With(
            new SystemStatus { BusinessId = "resident_registry", Phase = MigrationPhase.InProduction, BaselineStepCompletion = 0.2m, ReportedAt = Reported },
            new SystemStatus { BusinessId = "koseki", Phase = MigrationPhase.Testing, BaselineStepCompletion = 1m, ReportedAt = Reported });
        var differences = Reconciliation.Compare(record, None);
        Assert.Equal(2, differences.Length);
        var e = NotificationRules.ReconciliationEvent(Code, "dataset-1", differences, Reported, "import@example");
        Assert.NotNull(e);
        Assert.Equal(NotificationKind.ReconciliationDifferences, e!.Kind);
        Assert.Equal("13", e.PrefectureCode);
        Assert.Equal(e.Key, NotificationRules.ReconciliationEvent(Code, "dataset-1", differences, Reported.AddHours(1), "other")!.Key);
        Assert.NotEqual(e.Key, NotificationRules.ReconciliationEvent(Code, "dataset-2", differences, Reported, "import@example")!.Key);
        Assert.Null(NotificationRules.ReconciliationEvent(Code, "dataset-1", [], Reported, "import@example"));

        // For the prefecture's staff of the municipality, not another prefecture's nor national staff.
        var people = new[]
        {
            new NotificationRecipient("pref13@example", "pref13@example", Role.Prefecture, "13"),
            new NotificationRecipient("pref27@example", "pref27@example", Role.Prefecture, "27"),
            new NotificationRecipient("national@example", "national@example", Role.National, null),
        };
        var planned = NotificationRules.Plan(e, people, (_, k) => NotificationPreference.Default(k), []);
        Assert.All(planned, p => Assert.Equal("pref13@example", p.Recipient));
        Assert.Equal(2, planned.Length); // mail and in-app
        Assert.Equal(planned.Select(p => p.Id), NotificationRules.Plan(e, people, (_, k) => NotificationPreference.Default(k), []).Select(p => p.Id));
    }

    [Fact]
    public void An_imported_designation_list_is_read_by_business_in_catalog_order()
    {
        var businesses = ReadinessCatalog.Instance.BusinessSystems;
        var marks = Enumerable.Range(0, businesses.Count).Select(i => i == 1 || i == businesses.Count - 1).ToImmutableArray();
        var record = new OfficialImportRecord
        {
            Id = new string('a', 64), Kind = OfficialImportRecord.DesignationListKind, Source = "デジタル庁 test", AsOf = new DateOnly(2026, 6, 30),
            FileName = "list.xlsx", FileSize = 1, SheetName = "一覧", UploadedBy = "national@example", UploadedAt = Reported,
            Rows = [new OfficialImportRow(3, Code, []) { Designated = marks }, new OfficialImportRow(4, "271004", []) { Designated = [] }],
            Issues = [], Preview = new OfficialImportCounts(2, 0, 0, 0, 0),
        };

        var list = OfficialDesignations.From(record);

        Assert.Equal(record.Id, list.DatasetId);
        Assert.Equal(new DateOnly(2026, 6, 30), list.AsOf);
        Assert.True(list.IsDesignated(Code, businesses[1].Id));
        Assert.True(list.IsDesignated(Code, businesses[^1].Id));
        Assert.False(list.IsDesignated(Code, businesses[0].Id));
        Assert.False(list.IsDesignated("271004", businesses[1].Id));

        // The same self-report differs from the baseline's list and from the imported one as each says.
        var reported = With(new SystemStatus { BusinessId = businesses[1].Id, Phase = MigrationPhase.Testing, Designated = false, ReportedAt = Reported });
        Assert.Contains(Reconciliation.Compare(reported, list), d => d.Kind == DifferenceKind.DesignatedOnlyOfficial && d.BusinessId == businesses[1].Id);
        Assert.DoesNotContain(Reconciliation.Compare(reported, None), d => d.Kind == DifferenceKind.DesignatedOnlyOfficial);
    }
}
