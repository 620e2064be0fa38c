using Microsoft.Extensions.Primitives;
using Readiness.Catalog;
using Readiness.Web.Api;
using Xunit;

namespace Readiness.Tests.Api;

/// <summary>
/// The ETag of a view whose flags depend on the day (<see cref="Views.DayETag"/>): the version while no flag has turned
/// since the version was made; the version and a digest of the flags once one has, so a 304 never keeps a flag that
/// turned (the integrator's finding: "stale": false answered 304 past its 30 days). If-Match reads both forms as the version.
/// </summary>
public sealed class DayETagTests
{
    private static readonly DateTimeOffset Made = new(2026, 12, 4, 1, 0, 0, TimeSpan.Zero); // 10:00 JST, 2026-12-04
    private static readonly DateOnly MadeOn = new(2026, 12, 4);

    private static SystemStatus Designated(DateOnly target) => new()
    {
        BusinessId = "koseki", Phase = MigrationPhase.Testing, Designated = true,
        DesignationReason = DesignationReason.VendorCapacity, DesignationTarget = target,
    };

    private static string Tag(DateOnly today, DateTimeOffset? lastReported, params SystemStatus[] systems) =>
        Views.DayETag(12, systems, lastReported, withStale: true, Made, today);

    [Fact]
    public void The_version_while_no_flag_has_turned_since_the_version_was_made()
    {
        var system = Designated(MadeOn.AddDays(100));
        Assert.Equal("\"12\"", Tag(MadeOn, Made, system));
        Assert.Equal("\"12\"", Tag(MadeOn.AddDays(ReadinessCatalog.StaleAfterDays), Made, system)); // the last day before stale
    }

    [Fact]
    public void A_turned_stale_flag_gives_a_tag_of_its_own_the_same_on_every_day_the_flags_are_the_same()
    {
        var system = Designated(MadeOn.AddDays(100));
        var stale = Tag(MadeOn.AddDays(ReadinessCatalog.StaleAfterDays + 1), Made, system);
        Assert.Matches("^\"12-[0-9a-f]{8}\"$", stale);
        Assert.Equal(stale, Tag(MadeOn.AddDays(ReadinessCatalog.StaleAfterDays + 20), Made, system));
        Assert.Equal(12, Preconditions.VersionOf(new StringSegment(stale)));
    }

    [Fact]
    public void A_target_passed_is_a_turned_flag_and_differs_from_stale_alone()
    {
        var soon = Designated(MadeOn.AddDays(3));
        var pastTarget = Tag(MadeOn.AddDays(4), Made, soon);
        Assert.NotEqual("\"12\"", pastTarget);
        var later = Designated(MadeOn.AddDays(100));
        Assert.NotEqual(Tag(MadeOn.AddDays(ReadinessCatalog.StaleAfterDays + 1), Made, soon), Tag(MadeOn.AddDays(ReadinessCatalog.StaleAfterDays + 1), Made, later));
    }

    [Fact]
    public void Without_the_stale_flag_only_the_systems_count()
    {
        var system = Designated(MadeOn.AddDays(100));
        Assert.Equal("\"12\"", Views.DayETag(12, [system], null, withStale: false, Made, MadeOn.AddDays(60)));
        Assert.NotEqual("\"12\"", Views.DayETag(12, [system], null, withStale: false, Made, MadeOn.AddDays(101)));
    }

    [Theory]
    [InlineData("\"12\"", 12)]
    [InlineData("\"0\"", 0)]
    [InlineData("\"12-5be0c1a7\"", 12)]
    [InlineData("\"012\"", -1)]
    [InlineData("\"+1\"", -1)]
    [InlineData("\"12-5BE0C1A7\"", -1)]
    [InlineData("\"12-5be0c1a\"", -1)]
    [InlineData("\"12-\"", -1)]
    [InlineData("\"-5be0c1a7\"", -1)]
    [InlineData("\"99999999999999999999\"", -1)]
    [InlineData("12", -1)]
    public void If_Match_reads_either_form_as_the_version_and_nothing_else(string tag, long version) =>
        Assert.Equal(version, Preconditions.VersionOf(new StringSegment(tag)));
}
