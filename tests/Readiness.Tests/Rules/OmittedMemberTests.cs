using System.Collections.Immutable;

namespace Readiness.Tests.Rules;

/// <summary>A member a client leaves out keeps its current value (resolved in the grain, atomically with the version check).</summary>
public sealed class OmittedMemberTests
{
    private static readonly SystemStatus Current = new()
    {
        BusinessId = "koseki",
        Phase = MigrationPhase.Testing,
        PlannedGoLive = new DateOnly(2027, 4, 1),
        Vendor = "A",
        Hosting = HostingKind.GovernmentCloud,
        Designated = true,
        DesignationReason = DesignationReason.Mainframe,
        DesignationTarget = new DateOnly(2030, 3, 31),
        Regression = true,
        RegressionReason = "earlier",
    };

    private static ImmutableArray<string> AllBut(params string[] given) => [.. SystemChange.Members.Where(m => !given.Contains(m))];

    [Fact]
    public void Omitted_members_keep_their_values_and_given_ones_replace_them()
    {
        var change = new SystemChange { BusinessId = "koseki", Vendor = "B", Hosting = null, Omitted = AllBut("vendor", "hosting") }.Over(Current);
        Assert.Equal("B", change.Vendor);
        Assert.Null(change.Hosting);
        Assert.Equal(MigrationPhase.Testing, change.Phase);
        Assert.Equal(new DateOnly(2027, 4, 1), change.PlannedGoLive);
        Assert.Equal(new DesignationInput(DesignationReason.Mainframe, new DateOnly(2030, 3, 31)), change.Designation);
        Assert.Null(change.Reason);                // a regression reason belongs to one backward move
        Assert.True(change.Omitted.IsEmpty);
    }

    [Fact]
    public void A_designation_member_given_alone_is_merged_with_the_current_designation()
    {
        var change = new SystemChange
        {
            BusinessId = "koseki",
            Designation = new DesignationInput(null, new DateOnly(2030, 12, 27)),
            Omitted = AllBut("designationTarget"),
        }.Over(Current);
        Assert.Equal(new DesignationInput(DesignationReason.Mainframe, new DateOnly(2030, 12, 27)), change.Designation);
    }

    [Fact]
    public void Designated_false_clears_the_designation_whatever_else_is_kept()
    {
        var change = new SystemChange { BusinessId = "koseki", Designation = null, Omitted = AllBut("designated") }.Over(Current);
        Assert.Null(change.Designation);
    }

    [Fact]
    public void A_full_change_is_left_as_it_is()
    {
        var full = new SystemChange { BusinessId = "koseki", Phase = MigrationPhase.FitGap, Reason = "why" };
        Assert.Same(full, full.Over(Current));
    }

    [Fact]
    public void Security_members_left_out_keep_their_values()
    {
        var current = new SecurityItemStatus { ItemId = "SEC-1-01", Status = SecurityStatus.Partial, Evidence = "e", LastReviewed = new DateOnly(2026, 1, 5) };
        var change = new SecurityChange { ItemId = "SEC-1-01", Evidence = null, Omitted = ["status", "lastReviewed"] }.Over(current);
        Assert.Equal(SecurityStatus.Partial, change.Status);
        Assert.Null(change.Evidence);
        Assert.Equal(new DateOnly(2026, 1, 5), change.LastReviewed);
    }
}
