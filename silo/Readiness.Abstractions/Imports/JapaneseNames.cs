using System.Collections.Frozen;
using System.Text;
using Readiness.Catalog;

namespace Readiness.Imports;

/// <summary>
/// Normalisation of Japanese place and business names as official tables spell them, so that a name is matched, never
/// guessed: NFKC (full-width letters and digits, half-width kana), no whitespace of any width, small/large ケ and ヶ and
/// ヵ as ケ, and a few variant kanji (髙→高, 﨑→崎, 德→徳, 邊/邉→辺, 檜→桧 is NOT folded: both occur in real names).
/// Pure.
/// </summary>
public static class JapaneseNames
{
    private static readonly FrozenDictionary<char, char> Variants = new Dictionary<char, char>
    {
        ['ヶ'] = 'ケ',
        ['ヵ'] = 'ケ',
        ['ゖ'] = 'ケ',
        ['ゕ'] = 'ケ',
        ['髙'] = '高',
        ['﨑'] = '崎',
        ['嵜'] = '崎',
        ['德'] = '徳',
        ['邊'] = '辺',
        ['邉'] = '辺',
        ['曾'] = '曽',
        ['簑'] = '蓑',
    }.ToFrozenDictionary();

    /// <summary>The comparable form of a name: NFKC, without whitespace, variants folded. Empty for null or blank.</summary>
    public static string Normalize(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return string.Empty;
        }

        var nfkc = Readiness.Rules.FreeText.Normalized(name, NormalizationForm.FormKC);
        var sb = new StringBuilder(nfkc.Length);
        foreach (var c in nfkc)
        {
            if (char.IsWhiteSpace(c) || c == '\u200B' || c == '\uFEFF')
            {
                continue;
            }

            sb.Append(Variants.TryGetValue(c, out var folded) ? folded : c);
        }

        return sb.ToString();
    }

    /// <summary>A prefecture name with its suffix: 東京 → 東京都, 大阪 → 大阪府, 北海道 stays. Unknown names stay as given.</summary>
    public static string PrefectureKey(string? name)
    {
        var n = Normalize(name);
        return PrefectureKeys.TryGetValue(n, out var full) ? full : n;
    }

    private static readonly FrozenDictionary<string, string> PrefectureKeys = BuildPrefectureKeys();

    private static FrozenDictionary<string, string> BuildPrefectureKeys()
    {
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in ReadinessCatalog.Instance.Prefectures)
        {
            var full = Normalize(p.Name);
            keys[full] = full;
            if (full.Length > 2 && (full.EndsWith('都') || full.EndsWith('府') || full.EndsWith('県')))
            {
                keys[full[..^1]] = full;
            }
        }

        return keys.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static readonly Lazy<FrozenDictionary<(string Prefecture, string Name), string>> Codes = new(() =>
        ReadinessCatalog.Instance.Municipalities.ToFrozenDictionary(
            m => (Normalize(ReadinessCatalog.Instance.PrefecturesByCode[m.PrefectureCode].Name), Normalize(m.Name)), m => m.Code));

    /// <summary>The 6-digit code of the municipality named so in that prefecture, or null: never a guess.</summary>
    public static string? FindMunicipality(string? prefecture, string? municipality)
    {
        var name = Normalize(municipality);
        var pref = PrefectureKey(prefecture);
        if (name.Length == 0 || pref.Length == 0)
        {
            return null;
        }

        if (Codes.Value.TryGetValue((pref, name), out var code))
        {
            return code;
        }

        // 「北海道札幌市」 style: the prefecture repeated in the municipality's cell.
        return name.StartsWith(pref, StringComparison.Ordinal) && Codes.Value.TryGetValue((pref, name[pref.Length..]), out code) ? code : null;
    }

    /// <summary>The number of catalog municipalities whose normalised (prefecture, name) is shared with another: must be 0.</summary>
    public static int AmbiguousNames() =>
        ReadinessCatalog.Instance.Municipalities
            .GroupBy(m => (Normalize(ReadinessCatalog.Instance.PrefecturesByCode[m.PrefectureCode].Name), Normalize(m.Name)))
            .Count(g => g.Count() > 1);
}
