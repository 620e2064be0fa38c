using System.Collections.Immutable;
using Readiness.Planning;

namespace Readiness.Tests.Planning;

/// <summary>The forecast's inputs from the records, and the part of them one municipality's forecast depends on.</summary>
public sealed class ForecastSystemsTests
{
    /// <summary>
    /// A municipality's forecast recomputed over <see cref="ForecastSystems.DependedOnBy"/> (its systems and those queued
    /// at its capacity-limited vendors) equals the one over every system, per system and for the municipality; over its
    /// own systems alone it would not (the vendor's queue holds them back), so the part is what makes it right.
    /// </summary>
    [Fact]
    public void A_municipalitys_part_gives_it_the_same_forecast_as_every_system()
    {
        var world = SyntheticHistory.Create(1000, seed: 11, vendorCapacity: [5, 5]);
        var code = world.Systems[500].MunicipalityCode;
        // Every system of this municipality at V0: the part is its systems and V0's queue, not V1's.
        var systems = world.Systems.Select(s => s.MunicipalityCode == code ? s with { Vendor = "V0" } : s).ToList();
        var options = new ForecastOptions
        {
            AsOf = SyntheticHistory.AsOf,
            Trials = 300,
            Seed = 5,
            EstimateVendorCapacity = false,
            VendorCapacity = ImmutableDictionary<string, int>.Empty.Add("V0", 3).Add("V1", 3),
            Workers = 2,
        };
        var model = ForecastModel.Estimate(world.History, options.AsOf, options.VendorCapacity, options.EstimateVendorCapacity);

        var full = ForecastEngine.Run(systems, model, options);
        var part = ForecastSystems.DependedOnBy(systems, code, model);
        Assert.True(part.Count < systems.Count, "the part leaves out the systems of other vendors");
        Assert.DoesNotContain(part, s => s.Vendor == "V1");
        var partial = ForecastEngine.Run(part, model, options);

        Assert.Equal(full.Municipalities.Single(m => m.Code == code), partial.Municipalities.Single(m => m.Code == code));
        Assert.Equal(full.Systems.Where(s => s.MunicipalityCode == code), partial.Systems.Where(s => s.MunicipalityCode == code));

        var alone = ForecastEngine.Run([.. systems.Where(s => s.MunicipalityCode == code)], model, options);
        Assert.NotEqual(full.Municipalities.Single(m => m.Code == code), alone.Municipalities.Single(m => m.Code == code));
    }

    /// <summary>
    /// A prefecture's own systems count as the figures count them (reported and applicable), keyed by its 団体コード,
    /// and one not yet migrated holds back the prefecture and the nation although every municipality has finished.
    /// </summary>
    [Fact]
    public void A_prefectures_own_unmigrated_system_holds_back_the_nation()
    {
        var reported = DateTimeOffset.Parse("2026-10-01T00:00:00+09:00", System.Globalization.CultureInfo.InvariantCulture);
        var record = new PrefectureRunRecord
        {
            PrefectureCode = "13",
            Code = "130001",
            Systems =
            [
                new SystemStatus { BusinessId = "public_assistance", Phase = MigrationPhase.FitGap, ReportedAt = reported },
                new SystemStatus { BusinessId = "child_rearing_allowance", Phase = MigrationPhase.Testing }, // not reported: not counted
            ],
        };
        var since = new Dictionary<(string, string), DateOnly>();
        var own = ForecastSystems.OfPrefectureRun(record, since).ToList();
        var single = Assert.Single(own);
        Assert.Equal(("130001", "public_assistance", "13"), (single.MunicipalityCode, single.BusinessId, single.PrefectureCode));

        var municipal = ForecastSystems.Of("131016", [new SystemStatus { BusinessId = "koseki", Phase = MigrationPhase.InProduction, ReportedAt = reported },
            new SystemStatus { BusinessId = "juki", Phase = MigrationPhase.Testing, NotApplicable = true, ReportedAt = reported }], since).ToList();
        Assert.Single(municipal); // the not-applicable one is left out, as the figures leave it out

        var options = new ForecastOptions { AsOf = new DateOnly(2026, 12, 5), Trials = 50, Workers = 1 };
        Assert.True(ForecastEngine.Run(municipal, ForecastHistory.Empty, options).Nation.Band.Migrated);
        var result = ForecastEngine.Run([.. municipal, .. own], ForecastHistory.Empty, options);
        Assert.Equal(2, result.Nation.Systems);
        Assert.False(result.Nation.Band.Migrated);
        Assert.False(result.Prefectures.Single(p => p.Code == "13").Band.Migrated);
    }
}
