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
}

/// <summary>
/// The one rule for free text that people type (vendor, reason, evidence): text that displays differently from what it
/// is, or that looks equal to another value without being equal, is refused; accepted text is stored in one canonical
/// form. Pure; used by <see cref="ChangeRules"/>, so every write path (API, forms, seeds) gets it.
/// </summary>
/// <remarks>
/// Refused: Unicode format characters (Cf: U+200B–U+200F, U+202A–U+202E, U+2060–U+2069, U+FEFF, …), which reorder or
/// hide text («株式会社\u202Eルプンサ» displays as 「株式会社サンプル」; «\u200B株式会社サンプル» looks equal to another
/// vendor); U+2028/U+2029; control characters (Cc: U+0000–U+001F, U+007F–U+009F) except a line feed in a multi-line
/// field; unpaired surrogates. Canonical form: CR LF and CR become LF, Unicode normalisation form C (so 「が」 typed as
/// か + U+3099 equals 「が」), Unicode white space (including U+3000 IDEOGRAPHIC SPACE and U+00A0) trimmed at both ends,
/// and an empty result is "not given" (null). Variation selectors (kanji variants, U+E0100…) are kept: they are how a
/// name such as 葛󠄀飾 is written.
/// </remarks>
public static class FreeText
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
                if (CharUnicodeInfo.GetUnicodeCategory(codePoint) == UnicodeCategory.Format)
                {
                    return (FreeTextFault.FormatCharacter, i, codePoint);
                }

                i++;
                continue;
            }

            if (char.IsSurrogate(c))
            {
                return (FreeTextFault.LoneSurrogate, i, c);
            }

            if (multiline && c is '\n' or '\r')
            {
                continue;
            }

            var fault = CharUnicodeInfo.GetUnicodeCategory(c) switch
            {
                UnicodeCategory.Format => FreeTextFault.FormatCharacter,
                UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => FreeTextFault.LineSeparator,
                UnicodeCategory.Control => FreeTextFault.ControlCharacter,
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
        var trimmed = (lines.IsNormalized(NormalizationForm.FormC) ? lines : Normalize(lines)).Trim();
        return trimmed.Length == 0 ? null : trimmed;
    }

    /// <summary>"U+202E" for a code point, as the refusal names it.</summary>
    public static string Describe(int codePoint) => "U+" + codePoint.ToString("X4", CultureInfo.InvariantCulture);

    // Normalize throws on an unpaired surrogate; such text is refused by Check, and kept as it is here.
    private static string Normalize(string text)
    {
        try
        {
            return text.Normalize(NormalizationForm.FormC);
        }
        catch (ArgumentException)
        {
            return text;
        }
    }
}
