using Readiness.Planning;

namespace Readiness.Tests.Planning;

/// <summary>A kept (compact) forecast reads back as it was made, and judges outcomes exactly as the full forecast does.</summary>
public sealed class KeptForecastTests
{
    private static ForecastOptions Options(int horizonMonths) => new()
    {
        AsOf = SyntheticHistory.AsOf,
        Trials = 300,
        Seed = 11,
        HorizonMonths = horizonMonths,
        Workers = 2,
    };

    [Fact]
    public void A_kept_forecast_keeps_every_open_systems_band_and_every_municipality()
    {
        var world = SyntheticHistory.Create(600, seed: 5);
        // A short horizon, so that some bands end "after the horizon" (null) and are kept as such.
        var result = ForecastEngine.Run(world.Systems, world.History, Options(horizonMonths: 18));
        Assert.Contains(result.Systems, s => !s.Band.Migrated && s.Band.P90 is null);
        Assert.Contains(result.Systems, s => s.Band.Migrated);

        var kept = KeptForecasts.From(result, DateTimeOffset.UnixEpoch);
        var open = result.Systems.Where(s => !s.Band.Migrated).ToList();
        Assert.Equal(open.Count, kept.Systems);
        var back = KeptForecasts.Systems(kept).ToList();
        Assert.Equal(open.Select(s => (s.MunicipalityCode, s.BusinessId, s.Band.P10, s.Band.P50, s.Band.P90)),
            back.Select(s => (s.MunicipalityCode, s.BusinessId, s.Band.P10, s.Band.P50, s.Band.P90)));

        foreach (var m in result.Municipalities)
        {
            var band = KeptForecasts.Municipality(kept, m.Code)!;
            Assert.Equal((m.Band.Migrated, m.Band.P10, m.Band.P50, m.Band.P90), (band.Migrated, band.P10, band.P50, band.P90));
        }

        var nation = KeptForecasts.Nation(kept);
        Assert.Equal((result.Nation.Band.P10, result.Nation.Band.P50, result.Nation.Band.P90), (nation.P10, nation.P50, nation.P90));
    }

    [Fact]
    public void Coverage_from_the_kept_forecast_equals_coverage_from_the_full_one()
    {
        var world = SyntheticHistory.Create(2000, seed: 6);
        var result = ForecastEngine.Run(world.Systems, world.History, Options(horizonMonths: 240));
        var kept = KeptForecasts.From(result, DateTimeOffset.UnixEpoch);

        // Half the held-out outcomes have happened so far.
        var someOutcomes = world.Outcomes.Where((_, i) => i % 2 == 0).ToDictionary(p => p.Key, p => p.Value);
        var later = SyntheticHistory.Day(24);
        var full = ForecastCalibration.Coverage(result, someOutcomes, later);
        var fromKept = ForecastCalibration.Coverage(KeptForecasts.Systems(kept), someOutcomes, later);
        Assert.Equal(full, fromKept);
        Assert.True(full.Assessed >= someOutcomes.Count);
        Assert.InRange(full.Covered / (double)someOutcomes.Count, 0.6, 0.95);
    }

    [Fact]
    public void Go_lives_since_a_day_are_the_first_move_into_production_on_or_after_it()
    {
        var since = new DateOnly(2026, 12, 1);
        PhaseTransition[] moves =
        [
            new("131016", "koseki", MigrationPhase.Testing, MigrationPhase.InProduction, since.AddDays(-1)),      // before: not an outcome
            new("131016", "juki", MigrationPhase.Testing, MigrationPhase.InProduction, since),                    // on the day
            new("131016", "zeimu", MigrationPhase.Testing, MigrationPhase.InProduction, since.AddDays(40)),
            new("131016", "zeimu", MigrationPhase.InProduction, MigrationPhase.Testing, since.AddDays(50)),      // moved back
            new("131016", "zeimu", MigrationPhase.Testing, MigrationPhase.InProduction, since.AddDays(90)),      // not the first
            new("131016", "kokuho", MigrationPhase.FitGap, MigrationPhase.MigrationPlan, since.AddDays(5)),      // not a go-live
            new("131016", "nenkin", MigrationPhase.InProduction, MigrationPhase.LegacyDecommissioned, since.AddDays(5)), // already live
        ];
        var goLives = ForecastCalibration.GoLivesSince(moves, since);
        Assert.Equal(2, goLives.Count);
        Assert.Equal(since, goLives[("131016", "juki")]);
        Assert.Equal(since.AddDays(40), goLives[("131016", "zeimu")]);
    }

    [Fact]
    public void The_audit_trails_fields_give_phase_moves_and_plans()
    {
        var at = new DateTimeOffset(2026, 11, 30, 20, 0, 0, TimeSpan.Zero); // 2026-12-01 in Japan
        var before = new SystemStatus { BusinessId = "koseki", Phase = MigrationPhase.Testing, Vendor = "甲社", PlannedGoLive = new DateOnly(2027, 1, 31) };
        var after = before with { Phase = MigrationPhase.InProduction, Designated = true, DesignationReason = DesignationReason.Mainframe, DesignationTarget = new DateOnly(2029, 3, 31) };
        var entry = new ChangeEntry
        {
            MunicipalityCode = "131016",
            Version = 3,
            At = at,
            Actor = Actor.System,
            RequestId = "r",
            Target = "system:koseki",
            BeforeFields = Readiness.Rules.AuditFields.Of(before),
            AfterFields = Readiness.Rules.AuditFields.Of(after),
        };
        var transitions = new List<PhaseTransition>();
        var plans = new List<PlanRecord>();
        AuditHistory.Add(entry, transitions, plans);

        var move = Assert.Single(transitions);
        Assert.Equal(new PhaseTransition("131016", "koseki", MigrationPhase.Testing, MigrationPhase.InProduction, new DateOnly(2026, 12, 1), true, "甲社"), move);
        Assert.Equal(
            [new PlanRecord("131016", "koseki", new DateOnly(2026, 12, 1), new DateOnly(2027, 1, 31)), new PlanRecord("131016", "koseki", new DateOnly(2026, 12, 1), new DateOnly(2029, 3, 31), IsDesignationTarget: true)],
            plans);

        // A legacy entry (text only) still reads.
        var legacy = new ChangeEntry
        {
            MunicipalityCode = "131016", Version = 1, At = at, Actor = Actor.System, RequestId = "l", Target = "system:juki",
            Before = "phase=fit_gap; vendor=乙社", After = "phase=migration_plan; planned=2027-06-30; vendor=乙社",
        };
        AuditHistory.Add(legacy, transitions, plans);
        Assert.Equal(new PhaseTransition("131016", "juki", MigrationPhase.FitGap, MigrationPhase.MigrationPlan, new DateOnly(2026, 12, 1), false, "乙社"), transitions[1]);
        Assert.Equal(new DateOnly(2027, 6, 30), plans[2].Planned);
    }
}
