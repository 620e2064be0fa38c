using System.Globalization;
using System.Text;

namespace Readiness.Rules;

/// <summary>What is wrong with a free-text value (vendor, reason, evidence), if anything.</summary>
public enum FreeTextFault
{
    None,

    /// <summary>A Unicode format character (category Cf): bidi controls such as U+202E, zero-width characters such as U+200B, U+FEFF.</summary>
    FormatCharacter,

    /// <summary>U+2028 LINE SEPARATOR or U+2029 PARAGRAPH SEPARATOR.</summary>
    LineSeparator,

    /// <summary>A control character (category Cc), or a line break in a one-line field.</summary>
    ControlCharacter,

    /// <summary>Half of a surrogate pair: not a character at all.</summary>
    LoneSurrogate,

    /// <summary>
    /// A Unicode noncharacter (U+FDD0–U+FDEF, and U+FFFE/U+FFFF of every plane): never a character of text. U+FFFE and
    /// U+FFFF cannot be written in XML 1.0 (an .xlsx) and .NET's normalisation refuses them.
    /// </summary>
    Noncharacter,

    /// <summary>
    /// A character that is not a format character yet displays as nothing: U+034F COMBINING GRAPHEME JOINER, the Hangul
    /// fillers (U+115F, U+1160, U+3164, U+FFA0), the Khmer inherent vowels (U+17B4, U+17B5), U+2800 BRAILLE PATTERN
    /// BLANK, and the unassigned default-ignorable code points (U+2065, U+FFF0–U+FFF8, plane 14 outside the variation
    /// selectors).
    /// </summary>
    InvisibleCharacter,
}

/// <summary>
/// The one rule for free text that people type (vendor, reason, evidence): text that displays differently from what it
/// is, or that looks equal to another value without being equal, is refused; accepted text is stored in one canonical
/// form. Pure; used by <see cref="ChangeRules"/>, so every write path (API, forms, seeds) gets it.
/// </summary>
/// <remarks>
/// Refused: Unicode format characters (Cf: U+200B–U+200F, U+202A–U+202E, U+2060–U+2069, U+FEFF, …; a U+200D ZERO WIDTH
/// JOINER between two emoji, as in 👨‍💻, is kept: it makes one emoji), which reorder or
/// hide text («株式会社\u202Eルプンサ» displays as 「株式会社サンプル」; «\u200B株式会社サンプル» looks equal to another
/// vendor); U+2028/U+2029; control characters (Cc: U+0000–U+001F, U+007F–U+009F) except a line feed in a multi-line
/// field; unpaired surrogates. Canonical form: CR LF and CR become LF, Unicode normalisation form C (so 「が」 typed as
/// か + U+3099 equals 「が」), Unicode white space (including U+3000 IDEOGRAPHIC SPACE and U+00A0) trimmed at both ends,
/// and an empty result is "not given" (null). Variation selectors (kanji variants, U+E0100…) are kept: they are how a
/// name such as 葛󠄀飾 is written. Also refused: characters of other categories that display as nothing
/// (<see cref="FreeTextFault.InvisibleCharacter"/>: Unicode's Default_Ignorable_Code_Point outside Cf and the variation
/// selectors, and U+2800 BRAILLE PATTERN BLANK), which make 「\u3164田中」 look like 「田中」 or a blank name look given.
/// </remarks>
public static partial class FreeText
{
    /// <summary>The first fault in <paramref name="text"/>, with its position (UTF-16 index) and code point; None for null.</summary>
    public static (FreeTextFault Fault, int Index, int CodePoint) Check(string? text, bool multiline)
    {
        if (text is null)
        {
            return (FreeTextFault.None, -1, 0);
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                var codePoint = char.ConvertToUtf32(c, text[i + 1]);
                if (IsNoncharacter(codePoint))
                {
                    return (FreeTextFault.Noncharacter, i, codePoint);
                }

                if (CharUnicodeInfo.GetUnicodeCategory(codePoint) == UnicodeCategory.Format)
                {
                    return (FreeTextFault.FormatCharacter, i, codePoint);
                }

                if (IsInvisible(codePoint))
                {
                    return (FreeTextFault.InvisibleCharacter, i, codePoint);
                }

                i++;
                continue;
            }

            if (char.IsSurrogate(c))
            {
                return (FreeTextFault.LoneSurrogate, i, c);
            }

            if (IsNoncharacter(c))
            {
                return (FreeTextFault.Noncharacter, i, c);
            }

            if (multiline && c is '\n' or '\r')
            {
                continue;
            }

            if (c == ZeroWidthJoiner && JoinsEmoji(text, i))
            {
                continue;
            }

            var fault = CharUnicodeInfo.GetUnicodeCategory(c) switch
            {
                UnicodeCategory.Format => FreeTextFault.FormatCharacter,
                UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => FreeTextFault.LineSeparator,
                UnicodeCategory.Control => FreeTextFault.ControlCharacter,
                _ when IsInvisible(c) => FreeTextFault.InvisibleCharacter,
                _ => FreeTextFault.None,
            };
            if (fault != FreeTextFault.None)
            {
                return (fault, i, c);
            }
        }

        return (FreeTextFault.None, -1, 0);
    }

    /// <summary>
    /// The canonical form of text that passed <see cref="Check"/>: line breaks as LF, NFC, trimmed; null when nothing is
    /// left. Text with a fault is returned in the same canonical form (callers refuse it before storing anything).
    /// </summary>
    public static string? Canonical(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var lines = text.Contains('\r', StringComparison.Ordinal) ? text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n') : text;
        var trimmed = Normalized(lines, NormalizationForm.FormC).Trim();
        return trimmed.Length == 0 ? null : trimmed;
    }

    /// <summary>
    /// The form of a name that identifies something (a vendor), in which names people read as one are one: the
    /// <see cref="Canonical"/> form, then Unicode NFKC (full-width 「ＮＥＣ」 is "NEC", half-width ｶﾅ is カナ, U+3000 is a
    /// space), every run of space separators (Zs) one U+0020 (line breaks and tabs stay, for Check to refuse); null
    /// when nothing is left. Not for prose (reasons, evidence), whose
    /// characters are kept as written.
    /// </summary>
    public static string? Identifier(string? text)
    {
        if (Canonical(text) is not { } canonical)
        {
            return null;
        }

        var compatible = Normalized(canonical, NormalizationForm.FormKC);

        var collapsed = WhiteSpaceRun().Replace(compatible, " ").Trim();
        return collapsed.Length == 0 ? null : collapsed;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\p{Zs}+")]
    private static partial System.Text.RegularExpressions.Regex WhiteSpaceRun();

    /// <summary>
    /// Whether a code point of a category other than Cf displays as nothing (see <see cref="FreeTextFault.InvisibleCharacter"/>).
    /// Source: Unicode DerivedCoreProperties.txt, Default_Ignorable_Code_Point; the variation selectors (U+180B–U+180D,
    /// U+180F, U+FE00–U+FE0F, U+E0100–U+E01EF) are kept, as they select a glyph of the character before them.
    /// </summary>
    public static bool IsInvisible(int codePoint) => codePoint switch
    {
        0x034F or 0x115F or 0x1160 or 0x17B4 or 0x17B5 or 0x2065 or 0x2800 or 0x3164 or 0xFFA0 => true,
        >= 0xFFF0 and <= 0xFFF8 => true,
        >= 0xE0100 and <= 0xE01EF => false,
        >= 0xE0000 and <= 0xE0FFF => true,
        _ => false,
    };

    private const char ZeroWidthJoiner = '\u200D';

    /// <summary>
    /// Whether the U+200D ZERO WIDTH JOINER at <paramref name="index"/> joins two emoji into one (👨‍💻 is 👨 U+200D 💻,
    /// 👨‍👩‍👧 two joiners, ❤️‍🔥 and 🏳️‍🌈 with U+FE0F before the joiner, 👩🏽‍💻 with a skin tone): it displays as the emoji
    /// it makes, or as the two side by side, and hides nothing. A joiner anywhere else (株式会社\u200Dサンプル) is still
    /// refused. Emoji: Unicode's Extended_Pictographic blocks (emoji-data.txt), approximated by the ranges of
    /// <see cref="IsPictographic"/>.
    /// </summary>
    private static bool JoinsEmoji(string text, int index)
    {
        var before = index - 1;
        while (before >= 0 && PrecedingCodePoint(text, before) is var (modifier, start) && IsEmojiModifier(modifier))
        {
            before = start - 1;
        }

        if (before < 0 || index + 1 >= text.Length)
        {
            return false;
        }

        var (previous, _) = PrecedingCodePoint(text, before);
        var next = char.IsHighSurrogate(text[index + 1]) && index + 2 < text.Length && char.IsLowSurrogate(text[index + 2])
            ? char.ConvertToUtf32(text[index + 1], text[index + 2])
            : text[index + 1];
        return IsPictographic(previous) && IsPictographic(next);
    }

    /// <summary>The code point that ends at <paramref name="end"/> (a UTF-16 index) and the index where it starts.</summary>
    private static (int CodePoint, int Start) PrecedingCodePoint(string text, int end) =>
        char.IsLowSurrogate(text[end]) && end > 0 && char.IsHighSurrogate(text[end - 1])
            ? (char.ConvertToUtf32(text[end - 1], text[end]), end - 1)
            : (text[end], end);

    /// <summary>U+FE0F (emoji presentation) and the skin tones U+1F3FB–U+1F3FF, which may stand between an emoji and its joiner.</summary>
    private static bool IsEmojiModifier(int codePoint) => codePoint is 0xFE0F or (>= 0x1F3FB and <= 0x1F3FF);

    /// <summary>Code points in the blocks that hold Unicode's Extended_Pictographic characters (emoji).</summary>
    private static bool IsPictographic(int codePoint) => codePoint switch
    {
        0x00A9 or 0x00AE or 0x203C or 0x2049 or 0x2122 or 0x2139 or 0x24C2 or 0x3030 or 0x303D or 0x3297 or 0x3299 => true,
        >= 0x2194 and <= 0x21AA => true,
        >= 0x231A and <= 0x23FF => true,
        >= 0x25AA and <= 0x25FE => true,
        >= 0x2600 and <= 0x27BF => true,
        >= 0x2934 and <= 0x2935 => true,
        >= 0x2B05 and <= 0x2B55 => true,
        >= 0x1F000 and <= 0x1FAFF => true,
        _ => false,
    };

    /// <summary>
    /// How many characters <paramref name="text"/> has, as a person counts them and as PostgreSQL's <c>varchar(n)</c>
    /// does: Unicode code points, so 𠮷 or 📊 is one (string.Length counts UTF-16 units: two each, and a 60-character
    /// vendor name in supplementary-plane kanji was refused as 120 characters).
    /// </summary>
    public static int Characters(string? text)
    {
        if (text is null)
        {
            return 0;
        }

        var count = 0;
        foreach (var _ in text.EnumerateRunes())
        {
            count++;
        }

        return count;
    }

    /// <summary>"U+202E" for a code point, as the refusal names it.</summary>
    public static string Describe(int codePoint) => "U+" + codePoint.ToString("X4", CultureInfo.InvariantCulture);

    /// <summary>Whether a code point is a Unicode noncharacter (see <see cref="FreeTextFault.Noncharacter"/>).</summary>
    public static bool IsNoncharacter(int codePoint) => codePoint is >= 0xFDD0 and <= 0xFDEF || (codePoint & 0xFFFE) == 0xFFFE;

    /// <summary>
    /// <paramref name="text"/> in normalisation <paramref name="form"/>, or as it is when it cannot be normalised: .NET
    /// throws <see cref="ArgumentException"/> on an unpaired surrogate or U+FFFE/U+FFFF, which <see cref="Check"/> refuses
    /// wherever text is stored; a search term, a cell of an uploaded file or a typed address holding one is compared as
    /// it is (and matches nothing) instead of failing the request. The one way the product normalises untrusted text.
    /// </summary>
    public static string Normalized(string text, NormalizationForm form)
    {
        try
        {
            // Most text is already normalised: IsNormalized spares Normalize's copy.
            return text.IsNormalized(form) ? text : text.Normalize(form);
        }
        catch (ArgumentException)
        {
            return text;
        }
    }
}
