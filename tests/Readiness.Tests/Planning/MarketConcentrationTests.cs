using Readiness.Planning;
using Readiness.Rules;

namespace Readiness.Tests.Planning;

/// <summary>The lock-in view's figures from known inputs: shares in %, the HHI (0–10,000), nationally and per prefecture.</summary>
public sealed class MarketConcentrationTests
{
    [Fact]
    public void Hhi_of_known_shares()
    {
        Assert.Equal(10_000, MarketConcentration.Hhi([7])!.Value, 9);             // a monopoly
        Assert.Equal(5_000, MarketConcentration.Hhi([3, 3])!.Value, 9);           // two equal: 50² + 50²
        Assert.Equal(2_500, MarketConcentration.Hhi([1, 1, 1, 1])!.Value, 9);     // four equal
        Assert.Equal(4_400, MarketConcentration.Hhi([3, 1, 1])!.Value, 9);        // 60² + 20² + 20²
        Assert.Equal(6_800, MarketConcentration.Hhi([8, 2])!.Value, 9);           // 80² + 20²
        Assert.Null(MarketConcentration.Hhi([]));
        Assert.Null(MarketConcentration.Hhi([0, 0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => MarketConcentration.Hhi([1, -1]));
    }

    [Fact]
    public void Shares_count_reported_systems_and_the_hhi_counts_suppliers_left_out_of_the_list()
    {
        var figures = MarketConcentration.Of(["A", "A", "A", "B", null, "C", null], top: 2);
        Assert.Equal(7, figures.Systems);
        Assert.Equal(5, figures.Known);
        Assert.Equal(3, figures.Suppliers);
        Assert.Equal(["A", "B"], figures.Shares.Select(s => s.Name));
        Assert.Equal(60.0, figures.Shares[0].SharePercent, 9);
        Assert.Equal(20.0, figures.Shares[1].SharePercent, 9);
        Assert.Equal(1, figures.OtherSystems);
        Assert.Equal(4_400, figures.Hhi!.Value, 9);
        Assert.True(figures.HighlyConcentrated);

        var none = MarketConcentration.Of([null, null]);
        Assert.Null(none.Hhi);
        Assert.False(none.HighlyConcentrated);
        Assert.Empty(none.Shares);
    }

    [Fact]
    public void Ties_are_ordered_by_name_and_an_even_market_is_not_highly_concentrated()
    {
        var names = Enumerable.Range(0, 10).Select(i => $"V{9 - i}").ToList();
        var figures = MarketConcentration.Of(names);
        Assert.Equal(names.Order(StringComparer.Ordinal), figures.Shares.Select(s => s.Name));
        Assert.Equal(1_000, figures.Hhi!.Value, 9);
        Assert.False(figures.HighlyConcentrated);
    }

    [Fact]
    public void Nation_and_prefectures_from_the_same_systems()
    {
        MarketSystem[] systems =
        [
            new("131016", "甲社", CloudProvider.Aws),
            new("131016", "甲社", CloudProvider.Aws),
            new("131024", "乙社", CloudProvider.MicrosoftAzure),
            new("131024", null, null),
            new("271004", "乙社", CloudProvider.Aws),
            new("271004", "乙社", CloudProvider.GoogleCloud),
        ];
        var result = MarketConcentration.Compute(systems);

        Assert.Equal("00", result.Nation.Code);
        Assert.Equal(6, result.Nation.Vendors.Systems);
        // Vendors: 甲 2, 乙 3 of 5 reported → 40² + 60² = 5,200.
        Assert.Equal(5_200, result.Nation.Vendors.Hhi!.Value, 9);
        Assert.Equal("乙社", result.Nation.Vendors.Shares[0].Name);
        // Providers: aws 3, microsoft_azure 1, google_cloud 1 of 5 → 60² + 20² + 20² = 4,400.
        Assert.Equal(4_400, result.Nation.Providers.Hhi!.Value, 9);
        Assert.Equal(Wire.Name(CloudProvider.Aws), result.Nation.Providers.Shares[0].Name);

        Assert.Equal(["13", "27"], result.Prefectures.Select(p => p.Code));
        var tokyo = result.Prefectures[0];
        Assert.Equal(4, tokyo.Vendors.Systems);
        Assert.Equal(3, tokyo.Vendors.Known);
        // 甲 2, 乙 1 → (200/3)² + (100/3)² = 5,555.6.
        Assert.Equal(50_000.0 / 9, tokyo.Vendors.Hhi!.Value, 6);
        var osaka = result.Prefectures[1];
        Assert.Equal(10_000, osaka.Vendors.Hhi!.Value, 9);
        Assert.Equal(5_000, osaka.Providers.Hhi!.Value, 9);

        // Every prefecture's systems add up to the nation's.
        Assert.Equal(result.Nation.Vendors.Systems, result.Prefectures.Sum(p => p.Vendors.Systems));
        Assert.Equal(result.Nation.Providers.Known, result.Prefectures.Sum(p => p.Providers.Known));
    }
}
