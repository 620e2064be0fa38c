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
        var text = (typed ?? string.Empty).Normalize(NormalizationForm.FormKC);
        return new string(text.Where(c => !char.IsWhiteSpace(c) && (keepDash || c != '-')).ToArray());
    }
}
