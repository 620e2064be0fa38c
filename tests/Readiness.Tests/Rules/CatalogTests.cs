using Readiness.Catalog;

namespace Readiness.Tests.Rules;

public sealed class CatalogTests
{
    private static readonly ReadinessCatalog Catalog = ReadinessCatalog.Instance;

    [Fact]
    public void Catalog_holds_the_real_counts()
    {
        Assert.Equal(1741, Catalog.Municipalities.Count);
        Assert.Equal(47, Catalog.Prefectures.Count);
        Assert.Equal(20, Catalog.BusinessSystems.Count);
        Assert.Equal(11, Catalog.Phases.Count);
        Assert.Equal(47, Catalog.SecurityItems.Count);
        Assert.Equal(9, Catalog.SecurityItems.Select(i => i.Chapter).Distinct().Count());
        Assert.Equal(179, Catalog.MunicipalitiesByPrefecture["01"].Count);
        Assert.Equal(126_226_568L, Catalog.Municipalities.Sum(m => (long)m.Population));
        Assert.Equal(1741, Catalog.BaselineSteps.Count);
        Assert.Equal(889, Catalog.BaselineDesignations.Count);
        Assert.Equal(8410, Catalog.BaselineDesignations.Values.Sum(s => s.Count));
    }

    [Fact]
    public void Kinds_match_the_published_breakdown()
    {
        var kinds = Catalog.Municipalities.GroupBy(m => m.Kind).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(20, kinds[MunicipalityKind.DesignatedCity]);
        Assert.Equal(772, kinds[MunicipalityKind.City]);
        Assert.Equal(743, kinds[MunicipalityKind.Town]);
        Assert.Equal(183, kinds[MunicipalityKind.Village]);
        Assert.Equal(23, kinds[MunicipalityKind.SpecialWard]);
    }

    [Fact]
    public void Every_municipality_code_has_a_valid_check_digit()
    {
        Assert.All(Catalog.Municipalities, m => Assert.True(MunicipalityCode.IsValid(m.Code), m.Code));
    }

    [Fact]
    public void Every_corrupted_check_digit_is_rejected()
    {
        var rejected = 0;
        foreach (var m in Catalog.Municipalities)
        {
            for (var d = 0; d <= 9; d++)
            {
                var corrupted = m.Code[..5] + (char)('0' + d);
                if (corrupted == m.Code)
                {
                    continue;
                }

                Assert.False(MunicipalityCode.IsValid(corrupted), corrupted);
                rejected++;
            }
        }

        Assert.Equal(1741 * 9, rejected);
    }

    [Theory]
    [InlineData("131016", true)] // 千代田区
    [InlineData("011002", true)] // 札幌市
    [InlineData("13101", false)]
    [InlineData("1310160", false)]
    [InlineData("13101a", false)]
    [InlineData("１３１０１６", false)] // full-width digits
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Check_digit_edge_cases(string? code, bool valid) => Assert.Equal(valid, MunicipalityCode.IsValid(code));

    [Fact]
    public void A_check_digit_of_ten_becomes_zero()
    {
        // 6·0+5·1+4·0+3·0+2·3 = 11 -> 11 mod 11 = 0 -> (11 - 0) mod 10 = 1; find a case whose raw result is 10 instead.
        var fiveDigits = Enumerable.Range(0, 100_000).Select(i => i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture))
            .First(s => (11 - (s.Select((c, i) => (c - '0') * new[] { 6, 5, 4, 3, 2 }[i]).Sum() % 11)) == 10);
        Assert.Equal(0, MunicipalityCode.CheckDigit(fiveDigits));
    }

    [Fact]
    public void Phases_follow_the_products_enum_and_data_file()
    {
        Assert.Equal(Enum.GetValues<MigrationPhase>(), Catalog.Phases.Select(p => p.Phase));
        Assert.Equal("in_production", Catalog.Phases[(int)MigrationPhase.InProduction].Id);
        Assert.Equal("fit_gap", Wire.Name(MigrationPhase.FitGap));
        Assert.True(Wire.TryParse<DesignationReason>("no_standard_product", out var reason));
        Assert.Equal(DesignationReason.NoStandardProduct, reason);
        Assert.False(Wire.TryParse<DesignationReason>("NoStandardProduct", out _));
    }
}

public sealed class BrokenCatalogTests
{
    private static Func<string, string> With(string file, Func<string, string> corrupt) =>
        name => name == file ? corrupt(ReadinessCatalog.EmbeddedFile(name)) : ReadinessCatalog.EmbeddedFile(name);

    [Fact]
    public void The_embedded_data_loads()
    {
        Assert.Equal(1741, ReadinessCatalog.Load(ReadinessCatalog.EmbeddedFile).Municipalities.Count);
    }

    [Theory]
    [InlineData("municipalities.csv", "131016,13,", "131017,13,", "check digit")]
    [InlineData("municipalities.csv", "131016,13,", "011002,13,", "prefecture")]
    [InlineData("municipalities.csv", "\n011002,01,北海道,札幌市", "\n", "expected 7 fields")]
    [InlineData("prefectures.csv", "47,沖縄県,Okinawa,九州・沖縄\n", "", "expected 47 prefectures")]
    [InlineData("business_systems.csv", ",koseki_fuhyo,", ",koseki,", "appears more than once")]
    [InlineData("security_checklist.csv", "SEC-1-02,", "SEC-1-01,", "appears more than once")]
    [InlineData("migration_phases.csv", "3,fit_gap,", "3,fitgap,", "does not match")]
    [InlineData("pmo_step_completion_2026-01.csv", "011002,child_allowance,0.65", "011002,child_allowance,1.65", "share between 0 and 1")]
    [InlineData("designated_2025-12.csv", "011002,child_allowance", "011002,jumin", "unknown municipality or business")]
    public void Broken_data_stops_loading_with_a_message_naming_the_file(string file, string find, string replace, string message)
    {
        var ex = Assert.Throws<CatalogException>(() => ReadinessCatalog.Load(With(file, text =>
        {
            Assert.Contains(find, text, StringComparison.Ordinal);
            var at = text.IndexOf(find, StringComparison.Ordinal);
            return text[..at] + replace + text[(at + find.Length)..];
        })));
        Assert.Contains(file, ex.Message, StringComparison.Ordinal);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }
}
