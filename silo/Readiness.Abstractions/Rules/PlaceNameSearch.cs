using System.Collections.Frozen;
using System.Text;

namespace Readiness.Rules;

/// <summary>
/// The one normaliser for searching municipalities by name, reading (kana) or code, so that what people type finds
/// the official spelling: the server applies it to the query and to every name, and the dashboard's script asks the
/// server (it keeps no copy of these rules). Pure.
/// </summary>
/// <remarks>
/// Steps, in order: NFKC (full-width digits and Latin letters and half-width katakana become their ordinary forms, so
/// 「１２２２４６」 is 122246 and 「ｶﾏｶﾞﾔ」 is カマガヤ); lower case; katakana to hiragana (カマガヤ = かまがや); white space
/// removed; small kana as large ones (しじょう = しじよう); the variant kanji of <see cref="VariantKanji"/> to one form (龍ケ崎 = 竜ケ崎, 﨑 = 崎, 髙 = 高, …); and the
/// linking ケ of place names: ケ ヶ ヵ (and their hiragana け ゖ ゕ, and が as it is read) right after a kanji are
/// one character, so 鎌ヶ谷 finds 鎌ケ谷市 and 鶴ケ島 finds 鶴ヶ島市 (in a reading such as かまがや they are left alone).
/// </remarks>
public static class PlaceNameSearch
{
    /// <summary>Variant → the form used in keys. From the names in Data/municipalities.csv and the variants people type for them.</summary>
    public static readonly FrozenDictionary<char, char> VariantKanji = new Dictionary<char, char>
    {
        ['﨑'] = '崎', ['嵜'] = '崎', ['碕'] = '崎', // 龍ケ崎, 茅ヶ崎, 宮崎, 長崎
        ['髙'] = '高', // 高知, 高崎
        ['邊'] = '辺', ['邉'] = '辺', // 渡辺 style
        ['澤'] = '沢', // 鰺ヶ沢, 金沢
        ['龍'] = '竜', // 龍ケ崎市, 竜王町
        ['檜'] = '桧', // 檜原村, 檜枝岐村
        ['槇'] = '槙',
        ['竈'] = '釜', ['竃'] = '釜', // 塩竈市, often typed 塩釜
        ['嶋'] = '島', ['嶌'] = '島', // 八丈島, 嶋 in old spellings
        ['舘'] = '館', // 函館, 舘岩
        ['鰺'] = '鯵', // 鰺ヶ沢町
        ['籠'] = '篭',
        ['淵'] = '渕',
        ['峯'] = '峰',
        ['濱'] = '浜', ['濵'] = '浜',
        ['廣'] = '広',
        ['國'] = '国',
        ['萬'] = '万',
        ['條'] = '条', // 四條畷市
        ['壽'] = '寿',
        ['櫻'] = '桜',
        ['瀨'] = '瀬',
        ['眞'] = '真',
        ['惠'] = '恵',
        ['德'] = '徳',
        ['當'] = '当',
        ['嶽'] = '岳',
        ['龜'] = '亀',
        ['彌'] = '弥',
        ['藏'] = '蔵',
        ['澁'] = '渋',
        ['驒'] = '騨', // 飛驒市 (officially 飛騨市)
        ['檮'] = '梼', // 梼原町
        ['奧'] = '奥',
        ['莊'] = '荘',
        ['冨'] = '富', // 冨里 / 富里市
        ['禰'] = '祢', ['袮'] = '祢',
        ['曾'] = '曽',
        ['栁'] = '柳',
        ['黑'] = '黒',
        ['鄕'] = '郷',
        ['齋'] = '斉', ['齊'] = '斉', ['斎'] = '斉',
        ['薗'] = '園',
        ['埜'] = '野',
    }.ToFrozenDictionary();

    /// <summary>The key of <paramref name="text"/> (see the remarks); empty for null or white space.</summary>
    public static string Key(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var normalised = FreeText.Normalized(text, NormalizationForm.FormKC);
        var key = new StringBuilder(normalised.Length);
        var previousKanji = false;
        foreach (var rune in normalised.EnumerateRunes())
        {
            if (Rune.IsWhiteSpace(rune))
            {
                continue;
            }

            var value = rune.Value;
            if (previousKanji && value is 'ケ' or 'ヶ' or 'ヵ' or 'け' or 'ゖ' or 'ゕ' or 'が' or 'ガ')
            {
                key.Append('ヶ');
                previousKanji = false;
                continue;
            }

            if (value is >= 0x30A1 and <= 0x30F6)
            {
                value -= 0x60; // katakana → hiragana
            }

            if (value is 'ぁ' or 'ぃ' or 'ぅ' or 'ぇ' or 'ぉ' or 'っ' or 'ゃ' or 'ゅ' or 'ょ' or 'ゎ')
            {
                value += 1; // small kana → large: readings are listed as しじようなわて (四條畷), people type しじょう
            }

            if (value <= 0xFFFF && VariantKanji.TryGetValue((char)value, out var canonical))
            {
                value = canonical;
            }

            var r = new Rune(value);
            key.Append(Rune.ToLowerInvariant(r).ToString());
            previousKanji = IsKanji(value);
        }

        return key.ToString();
    }

    /// <summary>Whether a municipality with this name, reading and code matches the query's key (name or reading contains it, or the code starts with it).</summary>
    public static bool Matches(string queryKey, string name, string kana, string code) =>
        queryKey.Length == 0
        || Key(name).Contains(queryKey, StringComparison.Ordinal)
        || Key(kana).Contains(queryKey, StringComparison.Ordinal)
        || code.StartsWith(queryKey, StringComparison.Ordinal);

    private static bool IsKanji(int value) =>
        value is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0xF900 and <= 0xFAFF) or (>= 0x20000 and <= 0x3134F) or 0x3005; // 々
}
