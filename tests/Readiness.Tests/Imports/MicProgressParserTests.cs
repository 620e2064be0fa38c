using System.Collections.Immutable;
using Readiness.Catalog;
using Readiness.Imports;
using Readiness.Rules;

namespace Readiness.Tests.Imports;

public sealed class JapaneseNamesTests
{
    [Theory]
    [InlineData("茅ケ崎市", "茅ヶ崎市")]
    [InlineData("茅ヶ崎市 ", "茅ケ崎市")]
    [InlineData("　札幌市", "札幌市")]
    [InlineData("ﾆｾｺ町", "ニセコ町")]
    [InlineData("髙森町", "高森町")]
    [InlineData("川﨑町", "川崎町")]
    public void Names_compare_after_normalisation(string written, string catalog) =>
        Assert.Equal(JapaneseNames.Normalize(catalog), JapaneseNames.Normalize(written));

    [Fact]
    public void No_two_municipalities_share_a_normalised_prefecture_and_name() => Assert.Equal(0, JapaneseNames.AmbiguousNames());

    [Fact]
    public void Every_municipality_is_found_by_its_prefecture_and_name_and_an_unknown_one_is_not_guessed()
    {
        var catalog = ReadinessCatalog.Instance;
        Assert.All(catalog.Municipalities, m => Assert.Equal(m.Code, JapaneseNames.FindMunicipality(catalog.PrefecturesByCode[m.PrefectureCode].Name, m.Name)));
        Assert.Equal("131016", JapaneseNames.FindMunicipality("東京", "千代田区"));
        Assert.Equal("011002", JapaneseNames.FindMunicipality("北海道", "北海道札幌市"));
        Assert.Null(JapaneseNames.FindMunicipality("北海道", "架空村"));
        Assert.Null(JapaneseNames.FindMunicipality("大阪府", "千代田区")); // right name, wrong prefecture
        Assert.Null(JapaneseNames.FindMunicipality(null, "千代田区"));
    }
}

public sealed class OfficialBusinessNamesTests
{
    [Theory]
    [InlineData("住民記録", "resident_registry")]
    [InlineData("住民基本台帳", "resident_registry")]
    [InlineData("戸籍附票", "koseki_fuhyo")]
    [InlineData("戸籍の附票", "koseki_fuhyo")]
    [InlineData("戸籍", "koseki")]
    [InlineData("子ども・子育て支援 ", "child_care_support")]
    [InlineData("住民記録（進捗率）", "resident_registry")]
    [InlineData("共通機能", null)]
    [InlineData("", null)]
    public void Businesses_map_by_name_with_synonyms(string header, string? id) => Assert.Equal(id, OfficialBusinessNames.Resolve(header));

    [Fact]
    public void Every_catalog_name_and_MIC_label_resolves_to_its_own_business()
    {
        foreach (var b in ReadinessCatalog.Instance.BusinessSystems)
        {
            Assert.Equal(b.Id, OfficialBusinessNames.Resolve(b.NameJa));
            Assert.Equal(b.Id, OfficialBusinessNames.Resolve(b.SoumuLabel));
        }
    }
}

public sealed class MicProgressParserTests
{
    private static readonly string[] Labels = [.. ReadinessCatalog.Instance.BusinessSystems.Select(b => b.SoumuLabel).Reverse()];

    private static SheetData Sheet(string name, params SheetRow[] rows) => new(name, rows);

    private static SheetRow Header(int row, IEnumerable<string>? labels = null) =>
        new(row, false, ["都道府県", "市区町村名", "全体", .. labels ?? Labels]);

    private static SheetRow Data(int row, string? prefecture, string municipality, object? rate, bool hidden = false) =>
        new(row, hidden, [prefecture, municipality, 0.5, .. Labels.Select(_ => rate)]);

    [Theory]
    [InlineData("令和8年1月_進捗状況", 2026, 1)]
    [InlineData("令和８年１２月_進捗状況", 2026, 12)]
    [InlineData("令和元年5月 進捗状況", 2019, 5)]
    [InlineData("R7年3月_進捗状況", 2025, 3)]
    public void The_month_comes_from_the_era_sheet_name(string name, int year, int month) =>
        Assert.Equal((year, month), MicProgressParser.SheetMonth(name));

    [Theory]
    [InlineData("Sheet1")]
    [InlineData("令和8年13月_進捗状況")]
    [InlineData("令和8年1月_集計")]
    public void Other_sheet_names_are_not_the_progress_sheet(string name) => Assert.Null(MicProgressParser.SheetMonth(name));

    [Theory]
    [InlineData(0.975, "0.975")]
    [InlineData("０．９７５", "0.975")]
    [InlineData("97.5%", "0.975")]
    [InlineData(1.0, "1")]
    [InlineData(0.0, "0")]
    [InlineData(0.97, null)]
    [InlineData(1.025, null)]
    [InlineData(-0.025, null)]
    [InlineData("—", null)]
    [InlineData(null, null)]
    public void Rates_are_whole_steps_of_forty(object? cell, string? expected) =>
        Assert.Equal(expected is null ? null : decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), MicProgressParser.Rate(cell));

    [Fact]
    public void Rows_are_matched_by_name_merged_prefectures_carry_down_and_every_other_row_is_reported()
    {
        var parsed = MicProgressParser.Parse(Sheet("令和8年2月_進捗状況",
            new SheetRow(1, false, ["市区町村別・業務別 進捗状況"]),
            Header(3),
            Data(4, "北海道 ", "札幌市 ", 0.975),
            Data(5, null, "函館市", "０．５", hidden: true),
            Data(6, null, "架空村", 0.5),
            Data(7, "東京都", "千代田区", 0.97),
            Data(8, "北海道", "札幌市", 1.0),
            new SheetRow(9, false, [null, null, null])));
        Assert.Equal(new DateOnly(2026, 2, 28), parsed.AsOf);
        Assert.Equal(["011002", "012025"], parsed.Rows.Select(r => r.MunicipalityCode));
        Assert.All(parsed.Rows[0].StepCompletion, s => Assert.Equal(0.975m, s));
        Assert.All(parsed.Rows[1].StepCompletion, s => Assert.Equal(0.5m, s));
        Assert.True(parsed.Rows[1].Hidden);
        Assert.Equal(1, parsed.HiddenRows);
        Assert.Equal(["unmatched_municipality", "invalid_rate", "duplicate_municipality"], parsed.Issues.Select(i => i.Code));
        Assert.Equal(6, parsed.Issues[0].RowNumber);
        Assert.Equal("北海道", parsed.Issues[0].Prefecture);
        Assert.StartsWith("D7, E7, F7", parsed.Issues[1].MessageJa, StringComparison.Ordinal);
    }

    [Fact]
    public void A_municipality_whose_first_row_is_refused_is_not_taken_from_a_later_copy()
    {
        var parsed = MicProgressParser.Parse(Sheet("令和8年2月_進捗状況",
            Header(3),
            Data(4, "東京都", "文京区", 0.97),
            Data(5, "東京都", "文京区", 0.5),
            Data(6, "東京都", "千代田区", 0.5)));
        Assert.Equal(["131016"], parsed.Rows.Select(r => r.MunicipalityCode));
        Assert.Equal(["invalid_rate", "duplicate_municipality"], parsed.Issues.Select(i => i.Code));
        Assert.Equal(5, parsed.Issues[1].RowNumber);
        Assert.Contains("4", parsed.Issues[1].MessageEn, StringComparison.Ordinal);
    }

    [Fact]
    public void Businesses_are_read_by_name_not_position()
    {
        var shuffled = Labels.Reverse().ToArray();
        var row = new SheetRow(4, false, ["東京都", "千代田区", 0.5, .. shuffled.Select((_, i) => (object?)(i / 40.0))]);
        var parsed = MicProgressParser.Parse(Sheet("令和8年2月_進捗状況", Header(3, shuffled), row));
        var catalog = ReadinessCatalog.Instance;
        for (var i = 0; i < shuffled.Length; i++)
        {
            var b = catalog.BusinessIndex[OfficialBusinessNames.Resolve(shuffled[i])!];
            Assert.Equal(i / 40m, parsed.Rows[0].StepCompletion[b]);
        }
    }

    [Fact]
    public void A_wrong_sheet_or_a_missing_header_refuses_the_whole_file()
    {
        // A name without the month and no month in a title row: refused naming the sheet (a CSV: its file).
        var wrong = Assert.Throws<ImportFormatException>(() => MicProgressParser.Parse(Sheet("Sheet1", Header(1))));
        Assert.Equal("missing_as_of", wrong.Code);
        Assert.Contains("Sheet1", wrong.Message, StringComparison.Ordinal);
        var missing = Assert.Throws<ImportFormatException>(() => MicProgressParser.Parse(Sheet("令和8年2月_進捗状況", Header(1, Labels.Where(l => l != "戸籍附票")))));
        Assert.Equal("missing_header", missing.Code);
        Assert.Contains("戸籍附票", missing.MessageJa, StringComparison.Ordinal);
        var none = Assert.Throws<ImportFormatException>(() => MicProgressParser.Parse(Sheet("令和8年2月_進捗状況", new SheetRow(1, false, ["title"]))));
        Assert.Equal("missing_header", none.Code);
    }
}

public sealed class OfficialRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 0, 0, 0, TimeSpan.Zero);

    private static OfficialUpdate Update(DateOnly asOf, decimal steps, string id = "a") =>
        new(new OfficialDatasetRef(id, "test", asOf, "import@example", Now), [.. ReadinessCatalog.Instance.BusinessSystems.Select(_ => (decimal?)steps)],
            new Actor("import@example", Role.National, null));

    [Fact]
    public void Official_figures_set_the_phase_unless_the_municipality_reported_after_the_as_of_day()
    {
        var record = Baseline.Create("131016", Now);
        record = record with
        {
            Systems = record.Systems.SetItem(0, record.Systems[0] with { Phase = MigrationPhase.Contract, ReportedAt = new DateTimeOffset(2026, 3, 10, 0, 0, 0, TimeSpan.Zero) })
                .SetItem(1, record.Systems[1] with { Phase = MigrationPhase.Contract, ReportedAt = new DateTimeOffset(2026, 1, 10, 0, 0, 0, TimeSpan.Zero) }),
        };
        var (outcome, next, entries) = OfficialRules.Apply(record, Update(new DateOnly(2026, 2, 28), 1m), Now);
        Assert.Equal(OfficialOutcome.Applied, outcome);
        Assert.Equal(record.Version + 1, next.Version);
        Assert.Equal(MigrationPhase.Contract, next.Systems[0].Phase); // reported in March: kept
        Assert.Equal(1m, next.Systems[0].BaselineStepCompletion);     // the official figure beside it is updated
        Assert.Equal(Baseline.PhaseFromSteps(1m, next.Systems[1].Designated), next.Systems[1].Phase); // reported in January: official wins
        Assert.Equal(record.LastReportedAt, next.LastReportedAt);
        Assert.All(entries, e => Assert.Equal("import:a", e.RequestId));
        Assert.Contains(entries[0].AfterFields, f => f.Name == "stepCompletion" && f.Value == "1");

        // The same figures again: nothing; an older dataset: nothing.
        Assert.Equal(OfficialOutcome.Unchanged, OfficialRules.Apply(next, Update(new DateOnly(2026, 2, 28), 1m, "b"), Now).Outcome);
        Assert.Equal(OfficialOutcome.Older, OfficialRules.Apply(next, Update(new DateOnly(2026, 1, 31), 0.5m, "c"), Now).Outcome);
    }

    [Fact]
    public void A_dataset_older_than_the_public_baseline_changes_nothing_and_one_of_the_baselines_month_applies()
    {
        // The baseline is MIC's tally of 2026-01 and the list of 2025-12 (found by a user: a 令和7年12月 workbook applied over it).
        var record = Baseline.Create("011002", Now);
        Assert.Equal(new DateOnly(2026, 1, 31), OfficialRules.LayerAsOf(record, designation: false));
        Assert.Equal(new DateOnly(2025, 12, 31), OfficialRules.LayerAsOf(record, designation: true));
        Assert.Equal(OfficialOutcome.Older, OfficialRules.Apply(record, Update(new DateOnly(2025, 12, 31), 0.5m), Now).Outcome);
        Assert.Equal(OfficialOutcome.Applied, OfficialRules.Apply(record, Update(new DateOnly(2026, 1, 31), 0.5m), Now).Outcome);
        var list = Update(new DateOnly(2025, 11, 30), 0m) with { StepCompletion = [], Designated = [.. new bool[20]] };
        Assert.Equal(OfficialOutcome.Older, OfficialRules.Apply(record, list, Now).Outcome);

        // Synthetic demo data has no as-of day: any dataset replaces it.
        var synthetic = record with { Provenance = record.Provenance with { Origin = DataOrigin.Synthetic } };
        Assert.Null(OfficialRules.LayerAsOf(synthetic, designation: false));
        Assert.Equal(OfficialOutcome.Applied, OfficialRules.Apply(synthetic, Update(new DateOnly(2025, 12, 31), 0.5m), Now).Outcome);
    }

    [Fact]
    public void A_newer_dataset_with_the_same_figures_becomes_the_source_so_an_older_one_cannot_apply_after_it()
    {
        var record = Baseline.Create("011002", Now);
        var february = Update(new DateOnly(2026, 2, 28), 0m, "feb") with
        {
            StepCompletion = [.. record.Systems.Select(s => s.BaselineStepCompletion)],
        };
        var (outcome, next, entries) = OfficialRules.Apply(record, february, Now);
        Assert.Equal(OfficialOutcome.Confirmed, outcome);
        Assert.Equal(record.Version + 1, next.Version);
        Assert.True(record.Systems.SequenceEqual(next.Systems));
        Assert.Equal("feb", next.Official!.DatasetId);
        var entry = Assert.Single(entries);
        Assert.Equal("official:step_completion", entry.Target);
        Assert.Contains(entry.BeforeFields, f => f.Name == "asOf" && f.Value == "2026-01-31");
        Assert.Contains(entry.AfterFields, f => f.Name == "dataset" && f.Value == "feb");

        // The same figures of the same day (another file): nothing; a January file after it: older.
        Assert.Equal(OfficialOutcome.Unchanged, OfficialRules.Apply(next, february with { Dataset = february.Dataset with { DatasetId = "feb2" } }, Now).Outcome);
        Assert.Equal(OfficialOutcome.Older, OfficialRules.Apply(next, Update(new DateOnly(2026, 1, 31), 0.5m, "jan"), Now).Outcome);
    }

    [Fact]
    public void A_designation_list_leaves_a_phase_reported_since_the_step_figures_and_a_report_of_the_lists_day_wins()
    {
        var catalog = ReadinessCatalog.Instance;
        var record = Baseline.Create("082082", Now);
        var i = catalog.BusinessIndex["disability_welfare"];
        var j = catalog.BusinessIndex["koseki"];

        // Reported after the step figures (2026-01) but before the list's day: the phase stays, the flag follows the list.
        var reported = record.Systems[i] with { Phase = MigrationPhase.Testing, ReportedAt = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero) };
        // Reported on the list's day itself (JST): the report wins on both.
        var sameDay = record.Systems[j] with { Phase = MigrationPhase.Procurement, Designated = false, ReportedAt = new DateTimeOffset(2026, 10, 31, 3, 0, 0, TimeSpan.Zero) };
        record = record with { Systems = record.Systems.SetItem(i, reported).SetItem(j, sameDay) };
        var flags = new bool[20];
        flags[i] = !reported.Designated;
        flags[j] = true;
        var list = Update(new DateOnly(2026, 10, 31), 0m, "list") with { StepCompletion = [], Designated = [.. flags] };
        var (_, next, _) = OfficialRules.Apply(record, list, Now);
        Assert.Equal(MigrationPhase.Testing, next.Systems[i].Phase);
        Assert.Equal(!reported.Designated, next.Systems[i].Designated);
        Assert.Equal(sameDay, next.Systems[j]);
    }

    [Fact]
    public void A_designation_list_marking_a_system_whose_steps_are_done_is_no_regression_but_steps_undone_are()
    {
        // 千代田区's koseki with every step done (in production), no report: the list newly designates it, so it is
        // shown as testing (a designated system is not counted migrated). That is the list's classification: before,
        // it was flagged a regression and notified as one.
        var record = Baseline.Create("131016", Now);
        var k = ReadinessCatalog.Instance.BusinessIndex["koseki"];
        record = record with
        {
            Systems = record.Systems.SetItem(k, record.Systems[k] with
            {
                Phase = MigrationPhase.InProduction, BaselineStepCompletion = 1m, Designated = false, Regression = false, RegressionReason = null, ReportedAt = null,
            }),
        };
        var flags = record.Systems.Select(s => s.Designated).ToArray();
        flags[k] = true;
        var list = Update(new DateOnly(2026, 10, 31), 0m, "list") with { StepCompletion = [], Designated = [.. flags] };
        var (_, next, entries) = OfficialRules.Apply(record, list, Now);
        var koseki = next.Systems[k];
        Assert.True(koseki.Designated);
        Assert.Equal(MigrationPhase.Testing, koseki.Phase);
        Assert.False(koseki.Regression);
        Assert.Null(koseki.RegressionReason);
        var reclassified = Assert.Single(entries, e => e.Target == "system:koseki");

        // Nor is it notified as one (a tester's finding: the prefecture's and the municipality's webhooks got a
        // "regression" with no reason, decided by the lower phase alone).
        static ImmutableArray<Readiness.Notifications.NotificationEvent> Events(ChangeEntry e) => Readiness.Notifications.NotificationRules.Derive(
            new Readiness.Notifications.AuditRow(1, e.MunicipalityCode, e.Version, e.Target, e.At, e.Actor.Subject, e.BeforeFields, e.AfterFields), new DateOnly(2026, 11, 30));
        Assert.DoesNotContain(Events(reclassified), x => x.Kind == Readiness.Notifications.NotificationKind.Regression);

        // Step figures that fall are a regression still, designated or not, and notified with the dataset as the reason.
        var fewer = Update(new DateOnly(2026, 11, 30), 0.2m, "fewer");
        var (_, after, fell) = OfficialRules.Apply(next, fewer, Now);
        Assert.True(after.Systems[k].Phase < MigrationPhase.Testing);
        Assert.True(after.Systems[k].Regression);
        var regression = Assert.Single(Events(Assert.Single(fell, e => e.Target == "system:koseki")), x => x.Kind == Readiness.Notifications.NotificationKind.Regression);
        Assert.Contains("公式データ", regression.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_system_the_list_no_longer_designates_loses_its_reason_and_target()
    {
        var record = Baseline.Create("131016", Now);
        var k = ReadinessCatalog.Instance.BusinessIndex["koseki"];
        record = record with
        {
            Systems = record.Systems.SetItem(k, record.Systems[k] with
            {
                Designated = true, DesignationReason = DesignationReason.Mainframe, DesignationTarget = new DateOnly(2030, 3, 31),
                ReportedAt = new DateTimeOffset(2026, 1, 5, 0, 0, 0, TimeSpan.Zero),
            }),
        };
        var list = Update(new DateOnly(2026, 3, 31), 0m, "list") with { StepCompletion = [], Designated = [.. new bool[20]] };
        var (_, next, _) = OfficialRules.Apply(record, list, Now);
        var koseki = next.Systems[k];
        Assert.False(koseki.Designated);
        Assert.Null(koseki.DesignationReason);
        Assert.Null(koseki.DesignationTarget);
    }
}
