using System.Collections.Frozen;
using Readiness.Planning;
using Readiness.Rules;

namespace Readiness.Web.Components;

/// <summary>
/// How much of a refused form's value a page shows again (in the visible field and the language switch's hidden copy):
/// each field's own limit, the one its validator uses (<see cref="ChangeRules"/>, <see cref="ScenarioRules"/>), plus one
/// character, so that the value shown again is still over its limit and is refused for the same reason when it is sent
/// back (the switch judges it again). A field not in the table (a choice, a date, a number, a name the form never
/// sends) is kept too, cut to <see cref="OtherFieldChars"/>. Without this, a 200 KiB vendor name refused with 422 was
/// embedded twice: a 722 KB page.
/// </summary>
public static class FormFieldLimits
{
    /// <summary>The characters kept of a field without a limit of its own: choices, dates, numbers are a few dozen at most.</summary>
    public const int OtherFieldChars = 100;

    /// <summary>Each form field's limit in characters (Unicode code points, as <see cref="FreeText.Characters"/> counts).</summary>
    public static readonly FrozenDictionary<string, int> Limits = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["vendor"] = ChangeRules.MaxVendorLength,
        ["regressionReason"] = ChangeRules.MaxReasonLength,
        ["designationReasonNote"] = ChangeRules.MaxReasonLength,
        ["evidence"] = ChangeRules.MaxEvidenceLength,
        ["requestId"] = ChangeRules.MaxRequestIdLength,
        ["name"] = ScenarioRules.MaxNameLength,
        ["description"] = ScenarioRules.MaxDescriptionLength,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The most characters of <paramref name="field"/> shown again: its limit plus one, else <see cref="OtherFieldChars"/>.</summary>
    public static int ShownChars(string field) => Limits.TryGetValue(field, out var limit) ? limit + 1 : OtherFieldChars;

    /// <summary>
    /// <paramref name="value"/> cut to <see cref="ShownChars"/> of <paramref name="field"/> (code points: a surrogate pair
    /// is never split); null stays null, a value within the limit is returned as is.
    /// </summary>
    public static string? Shown(string field, string? value)
    {
        var max = ShownChars(field);
        if (value is null || value.Length <= max)
        {
            return value;
        }

        var (count, end) = (0, 0);
        foreach (var rune in value.EnumerateRunes())
        {
            if (count == max)
            {
                return value[..end];
            }

            count++;
            end += rune.Utf16SequenceLength;
        }

        return value;
    }
}
