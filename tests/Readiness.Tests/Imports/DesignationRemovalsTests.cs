using Readiness.Imports;
using Xunit;

namespace Readiness.Tests.Imports;

/// <summary>When a designation list needs a confirmation before it takes designations away (<see cref="DesignationRemovals"/>).</summary>
public sealed class DesignationRemovalsTests
{
    [Theory]
    [InlineData(889, 2, 887, true)] // the breaker's two-row list
    [InlineData(889, 444, 445, true)] // fewer than half
    [InlineData(889, 445, 444, false)] // half or more: a release that shrank
    [InlineData(889, 888, 1, false)]
    [InlineData(889, 2, 0, false)] // takes nothing away from anyone it does not name
    public void A_list_naming_fewer_than_half_of_those_designated_now_needs_a_confirmation(int designatedNow, int listed, int losing, bool needs)
    {
        var removals = new DesignationRemovals(designatedNow, listed, losing, losing * 3);
        Assert.Equal(needs, removals.NeedsConfirmation);
        Assert.Equal(losing == 0 ? null : needs ? DesignationRemovals.PartialList : DesignationRemovals.UnlistedUndesignated, removals.Warning?.Code);
    }

    [Fact]
    public void The_warning_names_the_counts_in_both_languages()
    {
        var (_, ja, en) = new DesignationRemovals(889, 2, 887, 8394).Warning!.Value;
        Assert.Contains("2 団体だけ", ja, StringComparison.Ordinal);
        Assert.Contains("887 団体の 8,394 システム", ja, StringComparison.Ordinal);
        Assert.Contains("8,394 systems of 887 municipalities", en, StringComparison.Ordinal);
        Assert.Contains("confirm=partial_list", en, StringComparison.Ordinal);
    }
}
