using System.Collections.Immutable;
using System.Text.Json;
using Readiness.Planning;

namespace Readiness.Tests.Planning;

/// <summary>The forecast engine against synthetic worlds whose true durations and capacities are known.</summary>
public sealed class ForecastEngineTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static ForecastOptions Options(int trials = 1000, ulong seed = 7, int workers = 2) => new()
    {
        AsOf = SyntheticHistory.AsOf,
        Trials = trials,
        Seed = seed,
        HorizonMonths = 240,
        Workers = workers,
    };

    [Fact]
    public void Estimator_recovers_the_true_phase_medians_within_15_percent()
    {
        var world = SyntheticHistory.Create(4000, seed: 1);
        var model = ForecastModel.Estimate(world.History, SyntheticHistory.AsOf);
        for (var p = 0; p < 9; p++)
        {
            var estimate = model.Phase((MigrationPhase)p, designated: false);
            Assert.Equal(EstimateSource.History, estimate.Source);
            var truth = SyntheticHistory.TrueMedians[p];
            Assert.InRange(estimate.MedianMonths, truth * 0.85, truth * 1.15);
            Assert.InRange(estimate.LogSigma, SyntheticHistory.TrueSigma * 0.75, SyntheticHistory.TrueSigma * 1.25);
        }

        // No designated history: the documented prior, untouched.
        var designated = model.Phase(MigrationPhase.Procurement, designated: true);
        Assert.Equal(EstimateSource.Prior, designated.Source);
        Assert.Equal(ForecastPriors.Phase(MigrationPhase.Procurement, true).MedianMonths, designated.MedianMonths, 6);
    }

    /// <summary>
    /// Held-out outcomes (what really happened after the as-of day) against the forecast made on that day: the P10–P90
    /// band covers 70–90 % of them, 40–60 % fall at or before the P50, and the median P50 is within one month of the
    /// median outcome.
    /// </summary>
    [Fact]
    public void Band_covers_about_80_percent_of_held_out_outcomes_and_P50_recovers_the_median()
    {
        var world = SyntheticHistory.Create(4000, seed: 2);
        var result = ForecastEngine.Run(world.Systems, world.History, Options());
        var pending = result.Systems.Where(s => !s.Band.Migrated).ToList();
        Assert.Equal(world.Outcomes.Count, pending.Count);
        Assert.True(pending.Count > 1000, $"{pending.Count} held-out systems");

        var coverage = ForecastCalibration.Coverage(result, world.Outcomes);
        output.WriteLine($"held-out systems {coverage.Assessed}: P10–P90 coverage {coverage.Coverage:P1}, at or before P50 {coverage.ShareAtOrBeforeP50:P1}");
        Assert.InRange(coverage.Coverage, 0.70, 0.90);
        Assert.InRange(coverage.ShareAtOrBeforeP50, 0.40, 0.60);
        Assert.Equal(pending.Count, coverage.Assessed);

        var outcomeMonths = pending.Select(s => Month(world.Outcomes[(s.MunicipalityCode, s.BusinessId)])).Order().ToList();
        var p50Months = pending.Select(s => Month(s.Band.P50!.Value)).Order().ToList();
        Assert.InRange(p50Months[p50Months.Count / 2] - outcomeMonths[outcomeMonths.Count / 2], -1, 1);
    }

    /// <summary>The expected share migrated per month follows what really happened within 4 points, inside its band's slack.</summary>
    [Fact]
    public void Expected_share_migrated_follows_the_held_out_curve()
    {
        var world = SyntheticHistory.Create(4000, seed: 3);
        var result = ForecastEngine.Run(world.Systems, world.History, Options());
        var total = world.Systems.Count;
        var doneAtStart = total - world.Outcomes.Count;
        foreach (var month in result.Monthly.Take(36))
        {
            var actual = (doneAtStart + world.Outcomes.Values.Count(d => d <= month.MonthEnd)) / (double)total;
            Assert.InRange(actual, month.Expected - 0.04, month.Expected + 0.04);
            Assert.True(month.P10 <= month.Expected && month.Expected <= month.P90);
        }
    }

    [Fact]
    public void A_capacity_change_moves_only_that_vendors_customers()
    {
        var world = SyntheticHistory.Create(2000, seed: 4, vendorCapacity: [40, 40]);
        var loose = ForecastEngine.Run(world.Systems, world.History, Options(trials: 300) with
        {
            EstimateVendorCapacity = false,
            VendorCapacity = ImmutableDictionary<string, int>.Empty.Add("V0", 40).Add("V1", 40),
        });
        var tight = ForecastEngine.Run(world.Systems, world.History, Options(trials: 300) with
        {
            EstimateVendorCapacity = false,
            VendorCapacity = ImmutableDictionary<string, int>.Empty.Add("V0", 5).Add("V1", 40),
        });

        var moved = 0;
        for (var i = 0; i < loose.Systems.Length; i++)
        {
            var a = loose.Systems[i];
            var b = tight.Systems[i];
            Assert.Equal((a.MunicipalityCode, a.BusinessId), (b.MunicipalityCode, b.BusinessId));
            if (a.Vendor == "V1")
            {
                Assert.Equal(a.Band, b.Band);
            }
            else if (a.Band != b.Band)
            {
                moved++;
                Assert.True(b.Band.P90 is null || b.Band.P90 >= a.Band.P90, $"{a.MunicipalityCode}/{a.BusinessId} earlier with less capacity");
            }
        }

        Assert.True(moved > 100, $"{moved} of V0's systems moved");
        var v0 = tight.Vendors.Single(v => v.Vendor == "V0");
        Assert.Equal(tight.Vendors[0], v0);
        Assert.True(v0.ExpectedDelayedSystems > loose.Vendors.Single(v => v.Vendor == "V0").ExpectedDelayedSystems);
        Assert.True(tight.Nation.Band.P50 > loose.Nation.Band.P50);
    }

    [Fact]
    public void Capacity_is_estimated_from_the_most_go_lives_in_a_month()
    {
        var transitions = new List<PhaseTransition>();
        for (var month = 1; month <= 12; month++)
        {
            for (var k = 0; k < (month % 3 == 0 ? 4 : 2); k++)
            {
                transitions.Add(new PhaseTransition("011002", $"b{month}-{k}", MigrationPhase.Testing, MigrationPhase.InProduction,
                    new DateOnly(2025, month, 10 + k), Vendor: "V"));
            }
        }

        transitions.Add(new PhaseTransition("011002", "x", MigrationPhase.Testing, MigrationPhase.InProduction, new DateOnly(2025, 1, 1), Vendor: "rare"));
        var model = ForecastModel.Estimate(new ForecastHistory { Transitions = [.. transitions] }, new DateOnly(2026, 1, 5));
        Assert.Equal(4, model.VendorCapacity["V"].PerMonth);
        Assert.False(model.VendorCapacity.ContainsKey("rare"));

        var set = ForecastModel.Estimate(new ForecastHistory { Transitions = [.. transitions] }, new DateOnly(2026, 1, 5),
            ImmutableDictionary<string, int>.Empty.Add("V", 9));
        Assert.Equal(9, set.VendorCapacity["V"].PerMonth);
        Assert.True(set.VendorCapacity["V"].Set);
    }

    [Fact]
    public void Slippage_is_estimated_from_plans_against_go_lives()
    {
        var random = new Random(5);
        var transitions = new List<PhaseTransition>();
        var plans = new List<PlanRecord>();
        for (var i = 0; i < 400; i++)
        {
            var planned = new DateOnly(2025, 1, 1).AddDays(random.Next(0, 300));
            var slip = 2 + (1.5 * (random.NextDouble() + random.NextDouble() + random.NextDouble() - 1.5) * 2);
            var actual = planned.AddDays((int)(slip * ForecastModel.DaysPerMonth));
            plans.Add(new PlanRecord("011002", $"b{i}", planned.AddMonths(-6), planned));
            transitions.Add(new PhaseTransition("011002", $"b{i}", MigrationPhase.Testing, MigrationPhase.InProduction, actual));
        }

        var model = ForecastModel.Estimate(new ForecastHistory { Transitions = [.. transitions], Plans = [.. plans] }, new DateOnly(2026, 6, 1));
        Assert.Equal(EstimateSource.History, model.PlanSlip.Source);
        Assert.InRange(model.PlanSlip.MeanMonths, 1.7, 2.3);
        Assert.Equal(EstimateSource.Prior, model.TargetSlip.Source);
    }

    [Fact]
    public void Aggregation_is_consistent_from_system_to_nation_per_trial()
    {
        var world = SyntheticHistory.Create(600, seed: 6, vendorCapacity: [3, 8]);
        var result = ForecastEngine.Run(world.Systems, world.History, Options(trials: 200) with { KeepSamples = true });
        var samples = result.Samples!;
        var municipalityOf = result.Systems.Select(s => result.Municipalities.IndexOf(result.Municipalities.Single(m => m.Code == s.MunicipalityCode))).ToArray();
        var prefectureOf = result.Municipalities.Select(m => result.Prefectures.IndexOf(result.Prefectures.Single(p => p.Code == m.Code[..2]))).ToArray();
        for (var t = 0; t < result.Trials; t++)
        {
            for (var m = 0; m < result.Municipalities.Length; m++)
            {
                var last = Enumerable.Range(0, result.Systems.Length).Where(i => municipalityOf[i] == m).Max(i => samples.Systems[t][i]);
                Assert.Equal(last, samples.Municipalities[t][m]);
            }

            for (var r = 0; r < result.Prefectures.Length; r++)
            {
                Assert.Equal(Enumerable.Range(0, result.Municipalities.Length).Where(m => prefectureOf[m] == r).Max(m => samples.Municipalities[t][m]), samples.Prefectures[t][r]);
            }

            Assert.Equal(samples.Prefectures[t].Max(), samples.Nation[t]);
        }

        // Quantiles of a max are at least those of its parts.
        foreach (var system in result.Systems.Where(s => !s.Band.Migrated))
        {
            var municipality = result.Municipalities.Single(m => m.Code == system.MunicipalityCode);
            Assert.True(municipality.Band.P50 >= system.Band.P50 || municipality.Band.P50 is null);
            Assert.True(municipality.Band.ProbabilityByDeadline <= system.Band.ProbabilityByDeadline);
        }

        foreach (var prefecture in result.Prefectures)
        {
            Assert.True(result.Nation.Band.ProbabilityByDeadline <= prefecture.Band.ProbabilityByDeadline);
            Assert.Equal(result.Municipalities.Where(m => m.Code[..2] == prefecture.Code).Sum(m => m.Systems), prefecture.Systems);
        }

        Assert.Equal(result.Systems.Length, result.Nation.Systems);
    }

    [Fact]
    public void Same_inputs_and_seed_give_identical_output_whatever_the_workers()
    {
        var world = SyntheticHistory.Create(1500, seed: 7, vendorCapacity: [10, 20, 30]);
        var one = Json(ForecastEngine.Run(world.Systems, world.History, Options(trials: 300, seed: 42, workers: 1)));
        var two = Json(ForecastEngine.Run(world.Systems, world.History, Options(trials: 300, seed: 42, workers: 2)));
        var other = Json(ForecastEngine.Run(world.Systems, world.History, Options(trials: 300, seed: 43, workers: 2)));
        Assert.Equal(one, two);
        Assert.NotEqual(one, other);
    }

    [Fact]
    public void Plans_and_targets_are_evidence_and_unreported_systems_follow_the_assumed_rate()
    {
        var asOf = SyntheticHistory.AsOf;
        ForecastSystem System(string business, Func<ForecastSystem, ForecastSystem> with) => with(new ForecastSystem
        {
            MunicipalityCode = "011002",
            BusinessId = business,
            Phase = MigrationPhase.Testing,
            PhaseSince = asOf.AddMonths(-1),
        });
        var systems = new[]
        {
            System("plain", s => s),
            System("planned", s => s with { PlannedGoLive = asOf.AddMonths(30) }),
            System("target", s => s with { Designated = true, DesignationTarget = new DateOnly(2031, 3, 31) }),
            System("unreported", s => s with { Phase = MigrationPhase.NotStarted, Reported = false }),
        };
        var options = new ForecastOptions { AsOf = asOf, Trials = 2000, Seed = 3 };
        var result = ForecastEngine.Run(systems, ForecastHistory.Empty, options);
        var plain = result.Systems.Single(s => s.BusinessId == "plain").Band;
        var planned = result.Systems.Single(s => s.BusinessId == "planned");
        Assert.True(planned.Band.P50 > plain.P90, "a plan 30 months out moves the date out");
        Assert.InRange(ForecastEngine.MonthIndex(asOf, planned.Band.P50!.Value), 30 + 1, 30 + 5);
        var target = result.Systems.Single(s => s.BusinessId == "target");
        Assert.InRange(target.ProbabilityByOwnTarget!.Value, 0.2, 0.45);

        var assumed = ForecastEngine.Run(systems, ForecastHistory.Empty, options with { UnreportedMonthlyCompletionRate = 0.6 });
        Assert.Equal(asOf.AddMonths(1).AddDays(-1), assumed.Systems.Single(s => s.BusinessId == "unreported").Band.P50);
        Assert.Equal(result.Systems.Single(s => s.BusinessId == "plain"), assumed.Systems.Single(s => s.BusinessId == "plain"));
    }

    [Theory]
    [InlineData(1e-17)]
    [InlineData(5e-324)]
    [InlineData(1e-15)]
    [InlineData(1e-9)]
    public void A_vanishing_completion_rate_means_unreported_systems_practically_never_finish(double rate)
    {
        // A breaker's finding: below ~1.1e-16 ln(1 − r) was 0 and every unreported system was forecast done this month.
        var asOf = SyntheticHistory.AsOf;
        var systems = Enumerable.Range(0, 20).Select(i => new ForecastSystem
        {
            MunicipalityCode = "011002",
            BusinessId = "b" + i,
            Phase = MigrationPhase.NotStarted,
            PhaseSince = asOf.AddMonths(-1),
            Reported = false,
        }).ToArray();
        var result = ForecastEngine.Run(systems, ForecastHistory.Empty, new ForecastOptions { AsOf = asOf, Trials = 500, Seed = 5, UnreportedMonthlyCompletionRate = rate });
        Assert.All(result.Systems, s => Assert.Null(s.Band.P10));
    }

    [Theory]
    [InlineData(1e-17)]
    [InlineData(1e-10)]
    [InlineData(9.9e-5)]
    [InlineData(1e-4)]
    [InlineData(0.3)]
    public void Log_of_one_minus_x_keeps_small_x(double x) =>
        Assert.Equal(2 * Math.Atanh(-x / (2 - x)), ForecastEngine.LogOneMinus(x), x * 1e-11); // ln(1 − x) = 2·artanh(−x / (2 − x)), exact for small x

    [Theory]
    [InlineData(1e-12)]
    [InlineData(1e-5)]
    [InlineData(0.01)]
    [InlineData(0.3)]
    [InlineData(0.5)]
    [InlineData(0.8)]
    [InlineData(0.999)]
    public void Inverse_normal_matches_MathNet(double p) =>
        Assert.Equal(MathNet.Numerics.Distributions.Normal.InvCDF(0, 1, p), ForecastEngine.InverseNormal(p), 1e-6 * Math.Max(1, Math.Abs(MathNet.Numerics.Distributions.Normal.InvCDF(0, 1, p))));

    [Fact]
    public void Bad_options_are_refused()
    {
        var options = new ForecastOptions { AsOf = SyntheticHistory.AsOf };
        Assert.Throws<ArgumentOutOfRangeException>(() => ForecastEngine.Run([], ForecastHistory.Empty, options with { Trials = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ForecastEngine.Run([], ForecastHistory.Empty, options with { HorizonMonths = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ForecastEngine.Run([], ForecastHistory.Empty, options with { UnreportedMonthlyCompletionRate = 1 }));
    }

    private static int Month(DateOnly day) => ForecastEngine.MonthIndex(SyntheticHistory.AsOf, day);

    private static string Json(ForecastResult result) => JsonSerializer.Serialize(result);
}
