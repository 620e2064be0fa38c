using Readiness.Catalog;
using Readiness.Rules;

namespace Readiness.Tests.Rules;

/// <summary>The one search normaliser, against the real names of the catalog.</summary>
public sealed class PlaceNameSearchTests
{
    [Theory]
    [InlineData("12", "鎌ヶ谷", "122246")] // official 鎌ケ谷市
    [InlineData("12", "鎌ケ谷", "122246")]
    [InlineData("12", "鎌が谷", "122246")]
    [InlineData("12", "鎌ｹ谷", "122246")] // half-width katakana
    [InlineData("12", "１２２２４６", "122246")] // full-width digits
    [InlineData("12", "カマガヤ", "122246")]
    [InlineData("12", "ｶﾏｶﾞﾔ", "122246")]
    [InlineData("12", "かまがや", "122246")]
    [InlineData("12", "鎌ヶ谷 市", "122246")]
    [InlineData("11", "鶴ケ島", "112411")] // official 鶴ヶ島市
    [InlineData("11", "鶴ヵ島", "112411")]
    [InlineData("11", "ツルガシマ", "112411")]
    [InlineData("08", "竜ヶ崎", "082082")] // official 龍ケ崎市: variant kanji and ケ at once
    [InlineData("08", "龍ケ﨑", "082082")]
    [InlineData("04", "塩釜", "042030")] // official 塩竈市
    [InlineData("04", "塩竃", "042030")]
    [InlineData("13", "桧原", "133078")] // official 檜原村
    [InlineData("21", "飛驒", "212172")] // official 飛騨市
    [InlineData("12", "冨里", "122335")] // official 富里市
    [InlineData("27", "四条畷", "272299")] // official 四條畷市
    [InlineData("27", "しじょうなわて", "272299")] // reading listed as しじようなわて
    [InlineData("13", "ＣＨＩＹＯＤＡ", null)] // Latin is not a reading: nothing, and no error
    public void A_query_finds_the_official_name(string prefecture, string query, string? code)
    {
        var key = PlaceNameSearch.Key(query);
        var found = ReadinessCatalog.Instance.MunicipalitiesByPrefecture[prefecture]
            .Where(m => PlaceNameSearch.Matches(key, m.Name, m.Kana, m.Code)).Select(m => m.Code).ToList();
        if (code is null)
        {
            Assert.Empty(found);
        }
        else
        {
            Assert.Equal([code], found);
        }
    }

    [Theory]
    [InlineData("鎌ケ谷市", "鎌ヶ谷市")]
    [InlineData("鶴ヶ島市", "鶴ヶ島市")]
    [InlineData("１２２２４６", "122246")]
    [InlineData("チヨダ", "ちよだ")]
    [InlineData("　千代田　区 ", "千代田区")]
    [InlineData("ABC", "abc")]
    [InlineData("かまがや", "かまがや")] // が in a reading is not the linking ケ
    [InlineData("", "")]
    [InlineData(null, "")]
    public void Keys(string? text, string expected) => Assert.Equal(expected, PlaceNameSearch.Key(text));

    [Fact]
    public void Every_municipality_is_found_by_its_own_name_reading_and_code_and_names_stay_distinct()
    {
        var all = ReadinessCatalog.Instance.Municipalities;
        foreach (var m in all)
        {
            Assert.True(PlaceNameSearch.Matches(PlaceNameSearch.Key(m.Name), m.Name, m.Kana, m.Code), m.Name);
            Assert.True(PlaceNameSearch.Matches(PlaceNameSearch.Key(m.Kana), m.Name, m.Kana, m.Code), m.Kana);
            Assert.True(PlaceNameSearch.Matches(PlaceNameSearch.Key(m.Code), m.Name, m.Kana, m.Code), m.Code);
        }

        // Folding must not merge two municipalities of one prefecture into one key.
        foreach (var group in all.GroupBy(m => m.PrefectureCode))
        {
            var keys = group.Select(m => PlaceNameSearch.Key(m.Name)).ToList();
            Assert.Equal(keys.Count, keys.Distinct().Count());
        }
    }

    [Fact]
    public void Every_variant_maps_to_a_different_character_that_is_not_itself_a_variant()
    {
        foreach (var (variant, canonical) in PlaceNameSearch.VariantKanji)
        {
            Assert.NotEqual(variant, canonical);
            Assert.False(PlaceNameSearch.VariantKanji.ContainsKey(canonical), $"{variant} → {canonical} → …");
        }
    }
}
