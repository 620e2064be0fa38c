using Readiness.Imports;
using Xunit;

namespace Readiness.Tests.Imports;

/// <summary>When a designation list needs a confirmation before it takes designations away (<see cref="DesignationRemovals"/>).</summary>
public sealed class DesignationRemovalsTests
{
    // Counts from the baseline: 889 municipalities with 8,411 designated systems; 48 prefecture-run designations in 37 prefectures.
    [Theory]
    [InlineData(2, 8394, 887, 0, 0, true)] // the two-row list (b5)
    [InlineData(444, 2000, 445, 0, 0, true)] // names fewer than half of those designated now
    [InlineData(445, 2000, 444, 0, 0, false)] // names half, takes less than a quarter away
    [InlineData(888, 9, 1, 0, 0, false)] // one municipality fewer
    [InlineData(888, 9, 1, 1, 1, false)] // and one prefecture without a row
    [InlineData(889, 0, 0, 48, 37, true)] // no prefecture rows (b6)
    [InlineData(889, 0, 0, 12, 9, false)] // a quarter of the prefectures' own
    [InlineData(889, 0, 0, 13, 10, true)] // more than a quarter
    [InlineData(1741, 8411, 889, 0, 0, true)] // every municipality named, no marks (b6)
    [InlineData(889, 3964, 0, 0, 0, true)] // every one named with half its marks, rounded up: 47 % away (round 50's breaker)
    [InlineData(889, 2103, 0, 0, 0, true)] // just over a quarter
    [InlineData(889, 2102, 0, 0, 0, false)] // a quarter: the changes say it, no one loses all
    [InlineData(889, 0, 0, 0, 0, false)] // takes nothing away
    public void A_list_taking_more_than_a_quarter_of_either_kind_or_naming_under_half_needs_a_confirmation(
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
        Assert.Contains("8,394 of the municipalities' 8,411 designated systems (all of them in 887 municipalities)", en, StringComparison.Ordinal);
        Assert.Contains("指定の4分の1を超えて外れます。また、一覧が挙げる市区町村はいま指定がある市区町村の半分に満たない数です。", ja, StringComparison.Ordinal);
        Assert.Contains("It takes away more than a quarter of the designations, and it names fewer than half", en, StringComparison.Ordinal);
        Assert.DoesNotContain("prefectures' own", en, StringComparison.Ordinal);

        var (_, bothJa, bothEn) = new DesignationRemovals(889, 889, 8411, 3, 1, 48, 48, 37).Warning!.Value;
        Assert.Contains("8,411 のうち 3（1 団体はすべて）と、都道府県が自ら運用するシステム 48 のうち 48（37 都道府県はすべて）から", bothJa, StringComparison.Ordinal);
        Assert.Contains("and from 48 of the prefectures' own 48 designated systems (all of them in 37 prefectures)", bothEn, StringComparison.Ordinal);
        Assert.DoesNotContain("半分に満たない", bothJa, StringComparison.Ordinal); // names every municipality: only the quarter is the reason

        var (_, _, oneEn) = new DesignationRemovals(889, 888, 8411, 9, 1, 48, 1, 1).Warning!.Value;
        Assert.Contains("(all of them in 1 municipality)", oneEn, StringComparison.Ordinal);
        Assert.Contains("(all of them in 1 prefecture)", oneEn, StringComparison.Ordinal);
    }

    [Fact]
    public void The_warning_states_what_the_list_does_and_leaves_the_instructions_to_the_box_and_the_409()
    {
        // Stored with the import and shown after the apply too: no "tick", no "confirm=", no "before applying" in it.
        var (_, ja, en) = new DesignationRemovals(889, 2, 8411, 8394, 887, 48, 0, 0).Warning!.Value;
        Assert.DoesNotContain("チェック", ja, StringComparison.Ordinal);
        Assert.DoesNotContain("confirm=", ja + en, StringComparison.Ordinal);
        Assert.DoesNotContain("tick", en, StringComparison.Ordinal);
        Assert.DoesNotContain("確かめてから", ja, StringComparison.Ordinal);
        Assert.DoesNotContain("before applying", en, StringComparison.Ordinal);
    }
}
