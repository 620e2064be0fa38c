using System.Text;
using Readiness.Imports;

namespace Readiness.Web.Components;

/// <summary>
/// What a person types into a form, read as the product reads a spreadsheet cell (<see cref="CellValues.Text"/>):
/// Unicode NFKC, so that a Japanese input method's full-width 「１３１０１６」「ａｄｍｉｎ＠ｅｘａｍｐｌｅ．ｊｐ」「－３」
/// are the ASCII the rules expect, and whitespace of any width trimmed. Before, a full-width code or number was refused
/// (or, for the authenticator enrolment, silently emptied) although the imports accepted the same characters.
/// </summary>
public static class TypedInput
{
    /// <summary>The text in NFKC, trimmed; null when blank.</summary>
    public static string? Text(string? typed) => CellValues.Text(typed);

    /// <summary>
    /// A number as typed: <see cref="Text"/>, with the minus signs an input method gives (U+2212 −, and U+FF0D － which
    /// NFKC already maps) read as '-'; null when blank.
    /// </summary>
    public static string? Number(string? typed) => Text(typed)?.Replace('\u2212', '-');

    /// <summary>
    /// A one-time code as typed: NFKC, then without whitespace of any width (and without '-' unless
    /// <paramref name="keepDash"/>, as recovery codes are stored XXXXX-XXXXX).
    /// </summary>
    public static string Code(string? typed, bool keepDash = false)
    {
        var text = Nfkc(typed);
        return new string(text.Where(c => !char.IsWhiteSpace(c) && (keepDash || c != '-')).ToArray());
    }

    /// <summary>
    /// A recovery code as typed, in the form Identity stores it (XXXXX-XXXXX, upper case): NFKC, without whitespace of
    /// any width and without dashes of any kind (an input method gives ー or − for '-'), upper case, and the dash put
    /// back after the fifth character when there are ten. So cptvq-xg5fn, CPTVQXG5FN and ｃｐｔｖｑ　ｘｇ５ｆｎ are
    /// CPTVQ-XG5FN. Anything else is returned as read (it then simply matches no code).
    /// </summary>
    public static string RecoveryCode(string? typed)
    {
        var text = new string(Nfkc(typed).Where(c => !char.IsWhiteSpace(c) && !IsDash(c)).ToArray()).ToUpperInvariant();
        return text.Length == 10 ? text[..5] + "-" + text[5..] : text;
    }

    private static bool IsDash(char c) => c is '-' or '\u2010' or '\u2011' or '\u2012' or '\u2013' or '\u2014' or '\u2015' or '\u2212' or '\u30FC';

    // Normalize throws on an unpaired surrogate; such input is kept as it is (it matches nothing).
    private static string Nfkc(string? typed)
    {
        try
        {
            return Readiness.Rules.FreeText.Normalized(typed ?? string.Empty, NormalizationForm.FormKC);
        }
        catch (ArgumentException)
        {
            return typed ?? string.Empty;
        }
    }
}
