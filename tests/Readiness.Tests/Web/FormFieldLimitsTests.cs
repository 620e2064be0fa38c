using Readiness.Planning;
using Readiness.Rules;
using Readiness.Web.Components;
using Xunit;

namespace Readiness.Tests.Web;

/// <summary>
/// What a refused form shows again of each value (<see cref="FormFieldLimits"/>): its field's limit, the validator's,
/// plus one character (still refused for its length when sent back), counted in code points; any other field 100.
/// </summary>
public sealed class FormFieldLimitsTests
{
    [Theory]
    [InlineData("vendor", ChangeRules.MaxVendorLength)]
    [InlineData("regressionReason", ChangeRules.MaxReasonLength)]
    [InlineData("designationReasonNote", ChangeRules.MaxReasonLength)]
    [InlineData("evidence", ChangeRules.MaxEvidenceLength)]
    [InlineData("name", ScenarioRules.MaxNameLength)]
    [InlineData("description", ScenarioRules.MaxDescriptionLength)]
    public void A_value_is_cut_one_past_its_field_s_limit(string field, int limit)
    {
        Assert.Equal(limit + 1, FormFieldLimits.Shown(field, new string('x', 200_000))!.Length);
        Assert.Equal(new string('x', limit), FormFieldLimits.Shown(field, new string('x', limit)));
    }

    [Fact]
    public void A_field_not_in_the_table_is_kept_cut_to_100()
    {
        Assert.Equal(new string('u', 100), FormFieldLimits.Shown("someOtherField", new string('u', 5_000)));
        Assert.Equal("contract", FormFieldLimits.Shown("phase", "contract"));
        Assert.Null(FormFieldLimits.Shown("vendor", null));
    }

    /// <summary>𠮷 is one character (two UTF-16 units): counted as one, and never cut in half.</summary>
    [Fact]
    public void A_character_outside_the_bmp_counts_once_and_is_not_split()
    {
        var shown = FormFieldLimits.Shown("vendor", string.Concat(Enumerable.Repeat("𠮷", 300)))!;
        Assert.Equal(ChangeRules.MaxVendorLength + 1, FreeText.Characters(shown));
        Assert.Equal(2 * (ChangeRules.MaxVendorLength + 1), shown.Length);
    }
}
