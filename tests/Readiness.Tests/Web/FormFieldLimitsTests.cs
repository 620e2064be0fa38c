using Readiness.Planning;
using Readiness.Rules;
using Readiness.Web.Components;
using Xunit;

namespace Readiness.Tests.Web;

/// <summary>
/// What a refused form shows again of each value (<see cref="FormFieldLimits"/>): its field's limit, the validator's,
/// plus one character (still refused for its length when sent back), counted in code points; any other field 100.
/// Per form: a field of one name has each form's own limit (a scenario's name 80, an API client's 100).
/// </summary>
public sealed class FormFieldLimitsTests
{
    [Theory]
    [InlineData("change", "vendor", ChangeRules.MaxVendorLength)]
    [InlineData("change", "regressionReason", ChangeRules.MaxReasonLength)]
    [InlineData("change", "designationReasonNote", ChangeRules.MaxReasonLength)]
    [InlineData("change", "evidence", ChangeRules.MaxEvidenceLength)]
    [InlineData("scenario", "name", ScenarioRules.MaxNameLength)]
    [InlineData("scenario", "description", ScenarioRules.MaxDescriptionLength)]
    [InlineData("api-client", "name", Readiness.Web.Clients.ClientService.MaxNameLength)]
    [InlineData("account", "email", 254)]
    [InlineData("account", "displayName", Readiness.Web.Identity.AccountService.MaxDisplayNameLength)]
    public void A_value_is_cut_one_past_its_form_s_field_s_limit(string form, string field, int limit)
    {
        var limits = FormFieldLimits.All.Single(f => f.Form == form);
        Assert.Equal(limit + 1, limits.Shown(field, new string('x', 200_000))!.Length);
        Assert.Equal(new string('x', limit), limits.Shown(field, new string('x', limit)));
    }

    /// <summary>A form naming no table of its own cuts no field short of any form's limit for that name.</summary>
    [Fact]
    public void A_form_without_a_table_keeps_each_field_to_the_longest_limit_of_its_name()
    {
        Assert.Equal(Readiness.Web.Clients.ClientService.MaxNameLength + 1, FormFieldLimits.Unnamed.ShownChars("name"));
        Assert.Equal(255, FormFieldLimits.Unnamed.ShownChars("email"));
    }

    [Fact]
    public void A_field_not_in_the_table_is_kept_cut_to_100()
    {
        Assert.Equal(new string('u', 100), FormFieldLimits.Change.Shown("someOtherField", new string('u', 5_000)));
        Assert.Equal("contract", FormFieldLimits.Change.Shown("phase", "contract"));
        Assert.Null(FormFieldLimits.Change.Shown("vendor", null));
    }

    /// <summary>𠮷 is one character (two UTF-16 units): counted as one, and never cut in half.</summary>
    [Fact]
    public void A_character_outside_the_bmp_counts_once_and_is_not_split()
    {
        var shown = FormFieldLimits.Change.Shown("vendor", string.Concat(Enumerable.Repeat("𠮷", 300)))!;
        Assert.Equal(ChangeRules.MaxVendorLength + 1, FreeText.Characters(shown));
        Assert.Equal(2 * (ChangeRules.MaxVendorLength + 1), shown.Length);
    }
}
