using System.Globalization;
using System.Collections.Immutable;
using Readiness.Catalog;
using Readiness.Rules;

namespace Readiness.Tests.Rules;

public sealed class FlagTests
{
    private static readonly DateOnly Deadline = ReadinessCatalog.StandardizationDeadline;
    private static readonly DateOnly Limit = ReadinessCatalog.DesignationLimit;

    private static SystemStatus System(MigrationPhase phase = MigrationPhase.Testing) => new() { BusinessId = "koseki", Phase = phase };

    [Theory]
    [InlineData(MigrationPhase.NotStarted, false, 0)]
    [InlineData(MigrationPhase.Testing, false, 8)]
    [InlineData(MigrationPhase.InProduction, true, 9)]
    [InlineData(MigrationPhase.LegacyDecommissioned, true, 9)]
    public void Migrated_from_in_production_and_progress_capped_at_one(MigrationPhase phase, bool migrated, int units)
    {
        var f = ReadinessRules.Evaluate(System(phase), new DateOnly(2026, 1, 1));
        Assert.Equal(migrated, f.Migrated);
        Assert.Equal(units, f.ProgressUnits);
    }

    [Fact]
    public void Overdue_starts_the_day_after_the_statutory_deadline()
    {
        Assert.False(ReadinessRules.Evaluate(System(), Deadline).Overdue);
        Assert.True(ReadinessRules.Evaluate(System(), Deadline.AddDays(1)).Overdue);
        Assert.False(ReadinessRules.Evaluate(System(MigrationPhase.InProduction), Deadline.AddDays(1)).Overdue);
    }

    [Fact]
    public void Overdue_before_the_deadline_when_the_planned_date_has_passed()
    {
        var today = new DateOnly(2025, 10, 1);
        Assert.False(ReadinessRules.Evaluate(System() with { PlannedGoLive = today }, today).Overdue);
        Assert.True(ReadinessRules.Evaluate(System() with { PlannedGoLive = today.AddDays(-1) }, today).Overdue);
    }

    [Fact]
    public void A_designated_system_is_never_overdue_but_can_be_past_its_own_target()
    {
        var target = new DateOnly(2028, 3, 31);
        var s = System() with { Designated = true, DesignationReason = DesignationReason.VendorCapacity, DesignationTarget = target };
        Assert.False(ReadinessRules.Evaluate(s, Deadline.AddDays(400)).Overdue);
        Assert.False(ReadinessRules.Evaluate(s, target).PastTarget);
        Assert.True(ReadinessRules.Evaluate(s, target.AddDays(1)).PastTarget);
        Assert.False(ReadinessRules.Evaluate(s, target).DesignationIncomplete);
    }

    [Theory]
    [InlineData(MigrationPhase.InProduction)]
    [InlineData(MigrationPhase.LegacyDecommissioned)]
    public void A_designated_system_in_production_has_met_its_target_and_raises_no_designation_flag(MigrationPhase phase)
    {
        // Breaker's finding: in production and designated, it counted migrated yet was past its target and beyond the limit.
        var past = System(phase) with { Designated = true, DesignationReason = DesignationReason.CustomBuilt, DesignationTarget = new DateOnly(2026, 1, 31) };
        var beyond = past with { DesignationTarget = Limit.AddDays(1) };
        var unplanned = System(phase) with { Designated = true };
        foreach (var s in new[] { past, beyond, unplanned })
        {
            var f = ReadinessRules.Evaluate(s, Deadline.AddDays(30));
            Assert.True(f.Migrated);
            Assert.True(f.Designated);
            Assert.False(f.PastTarget);
            Assert.False(f.BeyondLimit);
            Assert.False(f.DesignationIncomplete);
            Assert.False(f.Overdue);
        }

        // One step before production the flags stand.
        var testing = ReadinessRules.Evaluate(past with { Phase = MigrationPhase.Testing }, Deadline.AddDays(30));
        Assert.True(testing.PastTarget);
        Assert.True(ReadinessRules.Evaluate(beyond with { Phase = MigrationPhase.Testing }, Deadline).BeyondLimit);
    }

    [Fact]
    public void Beyond_limit_is_a_target_after_the_end_of_FY2030()
    {
        var s = System() with { Designated = true, DesignationReason = DesignationReason.Mainframe };
        Assert.False(ReadinessRules.Evaluate(s with { DesignationTarget = Limit }, Deadline).BeyondLimit);
        Assert.True(ReadinessRules.Evaluate(s with { DesignationTarget = Limit.AddDays(1) }, Deadline).BeyondLimit);
        Assert.False(ReadinessRules.Evaluate(s with { Designated = false, DesignationTarget = Limit.AddDays(1) }, Deadline).BeyondLimit);
    }

    [Fact]
    public void A_baseline_designation_without_reason_or_target_is_flagged_incomplete()
    {
        var s = System() with { Designated = true };
        var f = ReadinessRules.Evaluate(s, Deadline);
        Assert.True(f.Designated);
        Assert.True(f.DesignationIncomplete);
        Assert.False(f.PastTarget);
        Assert.True(ReadinessRules.Evaluate(s with { DesignationReason = DesignationReason.Other }, Deadline).DesignationIncomplete);
    }

    [Fact]
    public void Not_applicable_systems_raise_no_flag()
    {
        var f = ReadinessRules.Evaluate(System(MigrationPhase.NotStarted) with { NotApplicable = true, Regression = true }, Deadline.AddDays(10));
        Assert.False(f.Applicable);
        Assert.False(f.Overdue);
        Assert.False(f.Regression);
    }

    [Fact]
    public void Stale_after_thirty_days_without_a_report_in_Japan_time()
    {
        var today = new DateOnly(2026, 11, 25);
        // 2026-10-26T15:30Z is 2026-10-27 00:30 in Japan: 29 days before today.
        Assert.False(ReadinessRules.IsStale(new DateTimeOffset(2026, 10, 26, 15, 30, 0, TimeSpan.Zero), today));
        Assert.False(ReadinessRules.IsStale(new DateTimeOffset(2026, 10, 26, 0, 0, 0, TimeSpan.FromHours(9)), today)); // 30 days
        Assert.True(ReadinessRules.IsStale(new DateTimeOffset(2026, 10, 25, 23, 59, 0, TimeSpan.FromHours(9)), today)); // 31 days
        Assert.True(ReadinessRules.IsStale(null, today));
    }

    [Fact]
    public void Today_is_the_date_in_Japan()
    {
        Assert.Equal(new DateOnly(2026, 4, 1), ReadinessRules.TodayInJapan(new DateTimeOffset(2026, 3, 31, 15, 0, 0, TimeSpan.Zero)));
        Assert.Equal(new DateOnly(2026, 3, 31), ReadinessRules.TodayInJapan(new DateTimeOffset(2026, 3, 31, 14, 59, 59, TimeSpan.Zero)));
    }

    [Fact]
    public void Security_score_counts_implemented_as_one_partial_as_half_and_skips_not_applicable()
    {
        SecurityItemStatus Item(SecurityStatus s) => new() { ItemId = "x", Status = s };
        Assert.Equal(0.5, ReadinessRules.SecurityScore([Item(SecurityStatus.Implemented), Item(SecurityStatus.NotImplemented)]));
        Assert.Equal(0.75, ReadinessRules.SecurityScore([Item(SecurityStatus.Implemented), Item(SecurityStatus.Partial), Item(SecurityStatus.NotApplicable)]));
        Assert.Equal(0.0, ReadinessRules.SecurityScore([Item(SecurityStatus.NotAssessed)]));
        Assert.Null(ReadinessRules.SecurityScore([Item(SecurityStatus.NotApplicable)]));
    }

    [Fact]
    public void Municipality_figures_count_every_flag()
    {
        var today = Deadline.AddDays(1);
        var record = Baseline.Empty("131016", DateTimeOffset.UnixEpoch, Baseline.Provenance);
        var systems = record.Systems.ToBuilder();
        systems[0] = systems[0] with { Phase = MigrationPhase.InProduction };
        systems[1] = systems[1] with { NotApplicable = true };
        systems[2] = systems[2] with { Phase = MigrationPhase.Testing, Designated = true, DesignationReason = DesignationReason.Mainframe, DesignationTarget = Limit.AddDays(1) };
        systems[3] = systems[3] with { Phase = MigrationPhase.Contract, Designated = true, DesignationTarget = today.AddDays(-1) };
        systems[4] = systems[4] with { Phase = MigrationPhase.FitGap, Regression = true, RegressionReason = "vendor withdrew" };
        var security = record.Security.ToBuilder();
        security[0] = security[0] with { Status = SecurityStatus.Implemented };
        security[1] = security[1] with { Status = SecurityStatus.Partial };
        security[2] = security[2] with { Status = SecurityStatus.NotApplicable };
        record = record with { Systems = systems.ToImmutable(), Security = security.ToImmutable(), LastReportedAt = new DateTimeOffset(2026, 4, 1, 0, 0, 0, TimeSpan.FromHours(9)) };

        var f = ReadinessRules.Summarize(record, today);

        Assert.Equal(1, f.Municipalities);
        Assert.Equal(0, f.CompleteMunicipalities);
        Assert.Equal(0, f.StaleMunicipalities);
        Assert.Equal(19, f.ApplicableSystems);
        Assert.Equal(1, f.NotApplicableSystems);
        Assert.Equal(1, f.MigratedSystems);
        Assert.Equal(9 + 8 + 6 + 3, f.ProgressUnits);
        Assert.Equal(2, f.DesignatedSystems);
        Assert.Equal(1, f.DesignatedByReason[(int)DesignationReason.Mainframe]);
        Assert.Equal(1, f.DesignatedByReason[Figures.ReasonSlots - 1]);
        Assert.Equal(1, f.DesignationIncomplete);
        Assert.Equal(1, f.PastTargetSystems);
        Assert.Equal(1, f.BeyondLimitSystems);
        Assert.Equal(1, f.RegressionSystems);
        Assert.Equal(19 - 1 - 2, f.OverdueSystems);
        Assert.Equal(1, f.MunicipalitiesWithOverdue);
        Assert.Equal(1, f.MunicipalitiesWithDesignation);
        Assert.Equal(46, f.SecurityApplicableItems);
        Assert.Equal(3, f.SecurityScoreHalves);
        Assert.Equal(1, f.BusinessPhaseCounts[(1 * Figures.BusinessSlots) + Figures.PhaseCount]);
        Assert.Equal(1, f.BusinessPhaseCounts[(0 * Figures.BusinessSlots) + (int)MigrationPhase.InProduction]);
    }

    [Fact]
    public void A_municipality_is_complete_when_every_applicable_system_is_migrated()
    {
        var record = Baseline.Empty("131016", DateTimeOffset.UnixEpoch, Baseline.Provenance);
        var all = record with { Systems = record.Systems.Select(s => s with { Phase = MigrationPhase.InProduction }).ToImmutableArray() };
        Assert.Equal(1, ReadinessRules.Summarize(all, Deadline).CompleteMunicipalities);
        var oneLeft = all with { Systems = all.Systems.SetItem(5, all.Systems[5] with { Phase = MigrationPhase.Testing }) };
        Assert.Equal(0, ReadinessRules.Summarize(oneLeft, Deadline).CompleteMunicipalities);
        var oneNotApplicable = oneLeft with { Systems = oneLeft.Systems.SetItem(5, oneLeft.Systems[5] with { NotApplicable = true }) };
        Assert.Equal(1, ReadinessRules.Summarize(oneNotApplicable, Deadline).CompleteMunicipalities);
    }

    [Theory]
    [InlineData("0", false, MigrationPhase.NotStarted)]
    [InlineData("-0.1", false, MigrationPhase.NotStarted)]
    [InlineData("0.025", false, MigrationPhase.ProjectSetup)]
    [InlineData("0.1", false, MigrationPhase.ProjectSetup)]
    [InlineData("0.125", false, MigrationPhase.CurrentSystemSurvey)]
    [InlineData("0.5", false, MigrationPhase.Procurement)]
    [InlineData("0.85", false, MigrationPhase.BuildAndDataMigration)]
    [InlineData("0.875", false, MigrationPhase.Testing)]
    [InlineData("0.95", false, MigrationPhase.Testing)]
    [InlineData("0.975", false, MigrationPhase.InProduction)]
    [InlineData("0.975", true, MigrationPhase.Testing)]
    [InlineData("1", false, MigrationPhase.InProduction)]
    [InlineData("1.5", false, MigrationPhase.InProduction)]
    [InlineData("1", true, MigrationPhase.Testing)]
    [InlineData("0.5", true, MigrationPhase.Procurement)]
    public void Baseline_step_to_phase_rule(string steps, bool designated, MigrationPhase expected) =>
        Assert.Equal(expected, Baseline.PhaseFromSteps(decimal.Parse(steps, CultureInfo.InvariantCulture), designated));
}

public sealed class SyntheticSeedTests
{
    [Fact]
    public void Demo_data_is_deterministic_labelled_and_calibrated_to_the_published_figures()
    {
        var now = new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero);
        var time = new FixedTime(now);
        var seed = new Readiness.Grains.SyntheticSeed(42, time);
        var records = ReadinessCatalog.Instance.Municipalities.Select(m => seed.Create(m.Code, now)).ToList();
        Assert.Equal(
            System.Text.Json.JsonSerializer.Serialize(records[100]),
            System.Text.Json.JsonSerializer.Serialize(new Readiness.Grains.SyntheticSeed(42, time).Create(records[100].Code, now)));
        Assert.All(records, r => Assert.Equal(DataOrigin.Synthetic, r.Provenance.Origin));

        var f = Aggregation.Sum(records.Select(r => ReadinessRules.Summarize(r, ReadinessRules.TodayInJapan(now))));
        var migrated = f.MigratedSystems / (double)f.ApplicableSystems;
        var designated = f.DesignatedSystems / (double)f.ApplicableSystems;
        var bodies = f.MunicipalitiesWithDesignation / 1741.0;
        Assert.InRange(migrated, 0.35, 0.42);      // published 38.4% (Jan 2026)
        Assert.InRange(designated, 0.23, 0.29);    // published 25.9% (Dec 2025)
        Assert.InRange(bodies, 0.48, 0.56);        // published 52.3% of bodies
        var vendorCapacity = f.DesignatedByReason[(int)DesignationReason.VendorCapacity] / (double)f.DesignatedSystems;
        Assert.InRange(vendorCapacity, 0.82, 0.92); // published 3,345 of 3,770 (88.7%)
        Assert.True(f.DesignatedByReason[(int)DesignationReason.Mainframe] > 0);
        Assert.True(f.DesignatedByReason[(int)DesignationReason.CustomBuilt] > f.DesignatedByReason[(int)DesignationReason.Mainframe]);
    }

    [Fact]
    public void Figures_sum_every_count_and_every_slot()
    {
        var now = new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero);
        var seed = new Readiness.Grains.SyntheticSeed(7, new FixedTime(now));
        var figures = ReadinessCatalog.Instance.Municipalities.Take(400)
            .Select(m => ReadinessRules.Summarize(seed.Create(m.Code, now), ReadinessRules.TodayInJapan(now))).ToList();

        var summed = Aggregation.Sum(figures);
        var folded = figures.Aggregate(Figures.Zero, (total, f) => total + f);

        // The oracle adds each stored property on its own, found by reflection, so a field the sum forgets fails here.
        var properties = typeof(Figures).GetProperties().Where(p => p.CanWrite).ToList();
        Assert.Equal(25, properties.Count);
        foreach (var p in properties)
        {
            switch (p.GetValue(summed))
            {
                case int total:
                    Assert.True(figures.Sum(f => (int)p.GetValue(f)!) == total, p.Name);
                    break;
                case long total:
                    Assert.True(figures.Sum(f => (long)p.GetValue(f)!) == total, p.Name);
                    break;
                case ImmutableArray<int> totals:
                    for (var i = 0; i < totals.Length; i++)
                    {
                        Assert.True(figures.Sum(f => ((ImmutableArray<int>)p.GetValue(f)!)[i]) == totals[i], $"{p.Name}[{i}]");
                    }

                    break;
                default:
                    Assert.Fail($"{p.Name} has a type the sum does not know");
                    break;
            }
        }

        Assert.Equal(400, summed.Municipalities);
        Assert.True(summed.MigratedSystems > 0 && summed.SecurityScoreHalves > 0);
        Assert.True(folded.SameAs(summed));
        Assert.True(Aggregation.Sum([]).SameAs(Figures.Zero));
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
