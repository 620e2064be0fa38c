using Readiness.Planning;

namespace Readiness.Tests.Planning;

/// <summary>A scenario's text follows the free-text rule: names, descriptions and vendor names refuse what hides or reorders text.</summary>
public sealed class ScenarioRulesTests
{
    private static bool IsPrefecture(string code) => code is "13" or "27";

    private static ForecastScenario Valid() => new()
    {
        Name = "ベンダ増強",
        Description = "主要ベンダの体制を増やした場合\n（2027年度から）",
        VendorCapacity = [new VendorCapacitySetting("株式会社サンプル", 5)],
    };

    [Fact]
    public void A_valid_scenario_has_no_fault() => Assert.Empty(ScenarioRules.Validate(Valid(), IsPrefecture));

    [Theory]
    [InlineData("ベンダ\\u202E強増")] // displays reordered
    [InlineData("\\u200Bベンダ増強")] // looks equal to another scenario's name
    [InlineData("\\u3164")] // displays as nothing
    [InlineData("ベンダ\\u2028増強")]
    [InlineData("ベンダ\\n増強")]
    [InlineData("a/b")] // the name is a path segment of the API
    public void A_name_that_hides_or_reorders_text_is_refused(string escaped)
    {
        var error = Assert.Single(ScenarioRules.Validate(Valid() with { Name = System.Text.RegularExpressions.Regex.Unescape(escaped) }, IsPrefecture));
        Assert.Equal(("name", "invalid_name"), (error.Field, error.Code));
        Assert.Contains("表示されない文字", error.MessageJa, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("説明\\u202Eです", 0x202E)]
    [InlineData("説明\\u2029です", 0x2029)]
    [InlineData("\\u2800", 0x2800)]
    [InlineData("説明\\u0007", 0x0007)]
    public void A_description_with_such_a_character_is_refused_naming_it(string escaped, int codePoint)
    {
        var error = Assert.Single(ScenarioRules.Validate(Valid() with { Description = System.Text.RegularExpressions.Regex.Unescape(escaped) }, IsPrefecture));
        Assert.Equal(("description", "invalid_character"), (error.Field, error.Code));
        Assert.Contains($"U+{codePoint:X4}", error.MessageJa, StringComparison.Ordinal);
        Assert.Contains($"U+{codePoint:X4}", error.MessageEn, StringComparison.Ordinal);
    }

    [Fact]
    public void A_vendor_name_with_an_invisible_character_is_refused_at_its_index()
    {
        var scenario = Valid() with { VendorCapacity = [new VendorCapacitySetting("株式会社サンプル", 5), new VendorCapacitySetting("株式会社\u200Bサンプル", 3)] };
        var error = Assert.Single(ScenarioRules.Validate(scenario, IsPrefecture));
        Assert.Equal(("vendorCapacity[1].vendor", "invalid_character"), (error.Field, error.Code));
    }

    [Fact]
    public void A_scope_shifted_twice_is_refused_at_the_second_shift()
    {
        // Shifts of one scope add up: twice −120 for the same prefecture would move its targets 20 years.
        var prefecture = Valid() with { TargetShifts = [new TargetShift("13", 120), new TargetShift("27", 6), new TargetShift("13", -120)] };
        var error = Assert.Single(ScenarioRules.Validate(prefecture, IsPrefecture));
        Assert.Equal(("targetShifts[2].prefectureCode", "duplicate"), (error.Field, error.Code));
        Assert.Contains("「13」", error.MessageJa, StringComparison.Ordinal);

        var all = Valid() with { TargetShifts = [new TargetShift(null, -120), new TargetShift("13", 3), new TargetShift(null, -120)] };
        var twiceForAll = Assert.Single(ScenarioRules.Validate(all, IsPrefecture));
        Assert.Equal(("targetShifts[2].prefectureCode", "duplicate"), (twiceForAll.Field, twiceForAll.Code));

        // One shift for all and one for a prefecture is two scopes: allowed (they add up to at most ±240 months).
        Assert.Empty(ScenarioRules.Validate(Valid() with { TargetShifts = [new TargetShift(null, -120), new TargetShift("13", -120)] }, IsPrefecture));
    }

    /// <summary>
    /// A name that no URL can reach (".", "..": removed from a path as dot segments; "\\": a path separator to some
    /// clients) is refused (breaker, round 24: ".." was stored, then neither readable nor deletable); names and
    /// descriptions count characters, not UTF-16 units.
    /// </summary>
    [Theory]
    [InlineData(".", false)]
    [InlineData("..", false)]
    [InlineData("a\\b", false)]
    [InlineData("...", true)]
    [InlineData("a.b", true)]
    [InlineData("v1..2", true)]
    public void A_name_a_URL_cannot_reach_is_refused(string name, bool valid) =>
        Assert.Equal(valid, ScenarioRules.Validate(Valid() with { Name = name }, IsPrefecture).IsEmpty);

    [Fact]
    public void Names_and_descriptions_count_characters()
    {
        Assert.Empty(ScenarioRules.Validate(Valid() with { Name = string.Concat(Enumerable.Repeat("𠮷", ScenarioRules.MaxNameLength)), Description = string.Concat(Enumerable.Repeat("📊", ScenarioRules.MaxDescriptionLength)) }, IsPrefecture));
        Assert.Equal("name", Assert.Single(ScenarioRules.Validate(Valid() with { Name = string.Concat(Enumerable.Repeat("𠮷", ScenarioRules.MaxNameLength + 1)) }, IsPrefecture)).Field);
    }
}
