using System.Collections.Immutable;
using Readiness.Planning;
using Readiness.Rules;

namespace Readiness.Tests.Rules;

/// <summary>
/// A vendor's name is an identifier: 「ＮＥＣ」 typed full-width and "NEC" are one vendor when stored (every write path goes
/// through ChangeRules), when grouped (market concentration, forecast capacity, stored states written before) and in
/// scenarios (breaker's finding: they counted as two). Prose (reasons) keeps its characters.
/// </summary>
public sealed class VendorNameTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 3, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("ＮＥＣ", "NEC")]
    [InlineData("\u3000ＮＥＣ\u3000", "NEC")]
    [InlineData("富士通　 Japan", "富士通 Japan")]
    [InlineData("ｶﾌﾞｼｷｶﾞｲｼｬ ｻﾝﾌﾟﾙ", "カブシキガイシャ サンプル")]
    [InlineData("株式会社\u00A0\u00A0サンプル", "株式会社 サンプル")]
    [InlineData("NEC", "NEC")]
    [InlineData("\u3000 ", null)]
    [InlineData(null, null)]
    public void The_identifier_form_is_NFKC_with_one_space_between_words(string? given, string? expected) =>
        Assert.Equal(expected, FreeText.Identifier(given));

    [Fact]
    public void A_full_width_vendor_is_stored_as_one_name_and_a_reason_as_written()
    {
        var current = Baseline.Empty("131016", Now.AddDays(-100), Baseline.Provenance);
        current = current with { Systems = current.Systems.SetItem(0, current.Systems[0] with { Phase = MigrationPhase.Contract, ReportedAt = Now.AddDays(-10) }) };
        var id = current.Systems[0].BusinessId;
        var request = new ChangeRequest
        {
            RequestId = "r-1",
            Actor = new Actor("tanaka@example.lg.jp", Role.Municipality, "131016"),
            Systems = [new SystemChange { BusinessId = id, Phase = MigrationPhase.FitGap, Vendor = "\u3000ＮＥＣ\u3000", Reason = "ＮＥＣ撤退のため" }],
        };

        var (next, _) = ChangeRules.Apply(current, request, Now);

        Assert.Equal("NEC", next.FindSystem(id)!.Vendor);
        Assert.Equal("ＮＥＣ撤退のため", next.FindSystem(id)!.RegressionReason);
    }

    [Fact]
    public void Stored_spellings_of_one_vendor_are_grouped_as_one()
    {
        var result = MarketConcentration.Compute([new MarketSystem("131016", "NEC", null), new MarketSystem("131024", "ＮＥＣ", null), new MarketSystem("131032", "富士通", null)]);

        Assert.Equal(2, result.Nation.Vendors.Suppliers);
        Assert.Equal(["NEC", "富士通"], result.Nation.Vendors.Shares.Select(s => s.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_scenario_names_a_vendor_once_and_its_capacity_applies_to_every_spelling()
    {
        var twice = new ForecastScenario { Name = "増強", VendorCapacity = [new VendorCapacitySetting("NEC", 5), new VendorCapacitySetting("ＮＥＣ", 3)] };
        Assert.Contains(ScenarioRules.Validate(twice, _ => true), e => e.Code == "duplicate");

        var once = new ForecastScenario { Name = "増強", VendorCapacity = [new VendorCapacitySetting("ＮＥＣ", 3)] };
        var (_, options) = ScenarioRules.Apply(once, [], new ForecastOptions { AsOf = new DateOnly(2026, 11, 25) });
        Assert.Equal(ImmutableDictionary<string, int>.Empty.Add("NEC", 3), options.VendorCapacity);
    }
}
