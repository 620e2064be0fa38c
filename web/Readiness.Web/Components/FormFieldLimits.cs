using System.Collections.Frozen;
using Readiness.Planning;
using Readiness.Rules;

namespace Readiness.Web.Components;

/// <summary>
/// How much of a refused form's value a page shows again (in the visible field and the language switch's hidden copy),
/// one table per form: each field's own limit, the one the server enforces for that field of that form
/// (<see cref="ChangeRules"/>, <see cref="ScenarioRules"/>, <see cref="Identity.AccountService"/>,
/// <see cref="Clients.ClientService"/>), plus one character, so that the value shown again is still over its limit and
/// is refused for the same reason when it is sent back (the switch judges it again). Per form, not per field name: a
/// scenario's name is 80 characters but an API client's 100, so one name-wide limit cut a client's name short. A field
/// not in its form's table (a choice, a date, a number, a name the form never sends) is kept too, cut to
/// <see cref="OtherFieldChars"/>. Without this, a 200 KiB vendor name refused with 422 was embedded twice: a 722 KB page.
/// An endpoint names its form's table in its metadata (<see cref="Of"/>, for the language switch's copy).
/// </summary>
public sealed class FormFieldLimits
{
    /// <summary>The characters kept of a field without a limit of its own: choices, dates, numbers are a few dozen at most.</summary>
    public const int OtherFieldChars = 100;

    private FormFieldLimits(string form, Dictionary<string, int> limits)
    {
        Form = form;
        Limits = limits.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The change forms of a municipality's page and a prefecture's own systems (<see cref="ChangeRules"/>).</summary>
    public static FormFieldLimits Change { get; } = new("change", new()
    {
        ["vendor"] = ChangeRules.MaxVendorLength,
        ["regressionReason"] = ChangeRules.MaxReasonLength,
        ["designationReasonNote"] = ChangeRules.MaxReasonLength,
        ["evidence"] = ChangeRules.MaxEvidenceLength,
        ["requestId"] = ChangeRules.MaxRequestIdLength,
    });

    /// <summary>The scenario editor (<see cref="ScenarioRules"/>).</summary>
    public static FormFieldLimits Scenario { get; } = new("scenario", new()
    {
        ["name"] = ScenarioRules.MaxNameLength,
        ["description"] = ScenarioRules.MaxDescriptionLength,
    });

    /// <summary>
    /// The account forms: first-run setup, an invitation's acceptance, a password reset, the invitation and role forms
    /// (e-mail: RFC 5321's 254; display name: <see cref="Identity.AccountService.MaxDisplayNameLength"/>).
    /// </summary>
    public static FormFieldLimits Account { get; } = new("account", new()
    {
        ["email"] = Identity.AccountService.MaxEmailLength,
        ["displayName"] = Identity.AccountService.MaxDisplayNameLength,
    });

    /// <summary>The new API client form (<see cref="Clients.ClientService.MaxNameLength"/>).</summary>
    public static FormFieldLimits ApiClient { get; } = new("api-client", new()
    {
        ["name"] = Clients.ClientService.MaxNameLength,
    });

    /// <summary>Every form's table, for a form whose endpoint names none (<see cref="Of"/>).</summary>
    public static IReadOnlyList<FormFieldLimits> All { get; } = [Change, Scenario, Account, ApiClient];

    /// <summary>
    /// A form that names no table of its own: each field the longest of any form's field of that name, so that no value
    /// is ever cut short of its real limit (a page's hidden copy is at worst a few characters longer).
    /// </summary>
    public static FormFieldLimits Unnamed { get; } = new("unnamed", All.SelectMany(f => f.Limits)
        .GroupBy(l => l.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Max(l => l.Value), StringComparer.Ordinal));

    /// <summary>The form's name ("change", "scenario", "account", "api-client"), for messages and tests.</summary>
    public string Form { get; }

    /// <summary>Each of the form's fields' limit in characters (Unicode code points, as <see cref="FreeText.Characters"/> counts).</summary>
    public FrozenDictionary<string, int> Limits { get; }

    /// <summary>The table the endpoint of <paramref name="http"/> names in its metadata, else <see cref="Unnamed"/>.</summary>
    public static FormFieldLimits Of(HttpContext http) => http.GetEndpoint()?.Metadata.GetMetadata<FormFieldLimits>() ?? Unnamed;

    /// <summary>The most characters of <paramref name="field"/> shown again: its limit plus one, else <see cref="OtherFieldChars"/>.</summary>
    public int ShownChars(string field) => Limits.TryGetValue(field, out var limit) ? limit + 1 : OtherFieldChars;

    /// <summary>
    /// <paramref name="value"/> cut to <see cref="ShownChars"/> of <paramref name="field"/> (code points: a surrogate pair
    /// is never split); null stays null, a value within the limit is returned as is.
    /// </summary>
    public string? Shown(string field, string? value)
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
