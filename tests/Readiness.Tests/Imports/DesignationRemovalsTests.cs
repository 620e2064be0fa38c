using Readiness.Imports;
using Xunit;

namespace Readiness.Tests.Imports;

/// <summary>When a designation list needs a confirmation before it takes designations away (<see cref="DesignationRemovals"/>).</summary>
public sealed class DesignationRemovalsTests
{
    // Counts from the baseline: 889 municipalities with 8,411 designated systems; 48 prefecture-run designations in 37 prefectures.
    [Theory]
    [InlineData(2, 8394, 887, 0, 0, true)] // the two-row list (b5)
    [InlineData(444, 4300, 445, 0, 0, true)] // names fewer than half
    [InlineData(445, 4000, 444, 0, 0, false)] // names half or more, keeps more than half: a release that shrank
    [InlineData(888, 9, 1, 0, 0, false)] // one municipality fewer
    [InlineData(888, 9, 1, 1, 1, false)] // and one prefecture without a row
    [InlineData(889, 0, 0, 48, 37, true)] // no prefecture rows (b6)
    [InlineData(889, 0, 0, 24, 18, false)] // half of the prefectures' own kept
    [InlineData(889, 0, 0, 25, 19, true)] // fewer than half kept
    [InlineData(1741, 8411, 889, 0, 0, true)] // every municipality named, no marks (b6)
    [InlineData(889, 4206, 0, 0, 0, true)] // every one named, more than half of their marks gone
    [InlineData(889, 4205, 0, 0, 0, false)] // half of the marks kept: warned by the changes, not confirmed
    [InlineData(889, 0, 0, 0, 0, false)] // takes nothing away
    public void A_list_keeping_fewer_than_half_of_any_kind_of_designation_needs_a_confirmation(
        int listed, int systemsLosing, int municipalitiesLosingAll, int prefectureSystemsLosing, int prefecturesLosingAll, bool needs)
    {
        var removals = new DesignationRemovals(889, listed, 8411, systemsLosing, municipalitiesLosingAll, 48, prefectureSystemsLosing, prefecturesLosingAll);
        Assert.Equal(needs, removals.NeedsConfirmation);
        var expected = needs ? DesignationRemovals.PartialList
            : municipalitiesLosingAll + prefecturesLosingAll > 0 ? DesignationRemovals.UnlistedUndesignated
            : null;
        Assert.Equal(expected, removals.Warning?.Code);
    }

    [Fact]
    public void The_warning_names_what_is_lost_in_both_languages_and_only_that()
    {
        var (_, ja, en) = new DesignationRemovals(889, 2, 8411, 8394, 887, 48, 0, 0).Warning!.Value;
        Assert.Contains("市区町村の特定移行支援システム 8,411 のうち 8,394（887 団体はすべて）から指定が外れます", ja, StringComparison.Ordinal);
        Assert.Contains("一覧が挙げる市区町村は 2、いま指定がある市区町村は 889", ja, StringComparison.Ordinal);
        Assert.DoesNotContain("都道府県が自ら運用する", ja, StringComparison.Ordinal);
        Assert.Contains("8,394 of the municipalities' 8,411 designated systems (every one of 887 municipalities)", en, StringComparison.Ordinal);
        Assert.DoesNotContain("prefectures' own", en, StringComparison.Ordinal);

        var (_, bothJa, bothEn) = new DesignationRemovals(889, 889, 8411, 3, 1, 48, 48, 37).Warning!.Value;
        Assert.Contains("8,411 のうち 3（1 団体はすべて）と、都道府県が自ら運用するシステム 48 のうち 48（37 都道府県はすべて）から", bothJa, StringComparison.Ordinal);
        Assert.Contains("and from 48 of the prefectures' own 48 designated systems (every one of 37 prefectures)", bothEn, StringComparison.Ordinal);
    }

    [Fact]
    public void The_warning_states_what_the_list_does_and_leaves_the_instructions_to_the_box_and_the_409()
    {
        // Stored with the import and shown after the apply too: no "tick", no "confirm=" in it.
        var (_, ja, en) = new DesignationRemovals(889, 2, 8411, 8394, 887, 48, 0, 0).Warning!.Value;
        Assert.DoesNotContain("チェック", ja, StringComparison.Ordinal);
        Assert.DoesNotContain("confirm=", ja + en, StringComparison.Ordinal);
        Assert.DoesNotContain("tick", en, StringComparison.Ordinal);
    }
}
