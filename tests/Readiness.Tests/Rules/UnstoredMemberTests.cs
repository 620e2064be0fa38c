using System.Collections.Immutable;
using Readiness.Rules;

namespace Readiness.Tests.Rules;

/// <summary>
/// A member a client sends is stored or refused, never dropped with a success (an integrator's finding: a corrected
/// regression reason and a designation reason for a system not designated were answered 204 and a new version, with
/// nothing stored).
/// </summary>
public sealed class UnstoredMemberTests
{
    private static readonly DateOnly Today = new(2026, 11, 25);
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 3, 0, 0, TimeSpan.Zero);
    private static readonly Actor Staff = new("tanaka@example.lg.jp", Role.Municipality, "131016");

    /// <summary>koseki moved back to testing with a reason; health_management in production, never moved back, not designated.</summary>
    private static MunicipalityRecord Current()
    {
        var r = Baseline.Empty("131016", Now.AddDays(-100), Baseline.Provenance);
        var koseki = r.Systems.First(s => s.BusinessId == "koseki");
        var health = r.Systems.First(s => s.BusinessId == "health_management");
        return r with
        {
            Systems = r.Systems
                .Replace(koseki, koseki with { Phase = MigrationPhase.Testing, Regression = true, RegressionReason = "ベンダー撤退", Designated = false, DesignationReason = null, DesignationTarget = null })
                .Replace(health, health with { Phase = MigrationPhase.InProduction, Regression = false, RegressionReason = null, Designated = false, DesignationReason = null, DesignationTarget = null }),
        };
    }

    private static ImmutableArray<string> AllBut(params string[] given) => [.. SystemChange.Members.Where(m => !given.Contains(m))];

    private static ChangeRequest Patch(string businessId, Func<SystemChange, SystemChange> set, params string[] given) => new()
    {
        RequestId = "r-1",
        Actor = Staff,
        Systems = [set(new SystemChange { BusinessId = businessId, Omitted = AllBut(given) })],
    };

    private static SystemStatus Applied(ChangeRequest request)
    {
        var current = Current();
        Assert.Empty(ChangeRules.Validate(request, current, Today));
        return ChangeRules.Apply(current, request, Now).Record.Systems.First(s => s.BusinessId == request.Systems[0].BusinessId);
    }

    private static ValidationError Refused(ChangeRequest request) => Assert.Single(ChangeRules.Validate(request, Current(), Today));

    [Fact]
    public void A_reason_sent_while_the_system_stays_moved_back_corrects_the_recorded_one()
    {
        var after = Applied(Patch("koseki", c => c with { Reason = "ベンダー撤退（訂正）" }, "regressionReason"));
        Assert.Equal("ベンダー撤退（訂正）", after.RegressionReason);
        Assert.True(after.Regression);
    }

    [Fact]
    public void An_empty_reason_while_the_system_stays_moved_back_keeps_the_recorded_one()
    {
        // A form or a template row leaves the box empty: the recorded reason of the move back stays.
        var after = Applied(Patch("koseki", c => c with { Reason = null }, "regressionReason"));
        Assert.Equal("ベンダー撤退", after.RegressionReason);
    }

    [Fact]
    public void The_recorded_reason_sent_back_with_a_forward_move_is_accepted_and_cleared()
    {
        // A PUT of the GET's body with only the phase changed.
        var after = Applied(Patch("koseki", c => c with { Phase = MigrationPhase.InProduction, Reason = "ベンダー撤退" }, "phase", "regressionReason"));
        Assert.Null(after.RegressionReason);
        Assert.False(after.Regression);
    }

    [Theory]
    [InlineData("designationReason")]
    [InlineData("designationTarget")]
    public void A_designation_member_for_a_system_not_designated_and_not_made_designated_is_refused(string member)
    {
        var request = Patch("health_management", c => c with
        {
            Designation = new DesignationInput(member == "designationReason" ? DesignationReason.Mainframe : null, member == "designationTarget" ? new DateOnly(2029, 3, 31) : null),
        }, member);
        var error = Refused(request);
        Assert.Equal(member == "designationReason" ? "systems[health_management].designation.reason" : "systems[health_management].designation.targetDate", error.Field);
        Assert.Equal("not_designated", error.Code);
    }

    [Fact]
    public void A_designation_with_designated_true_is_stored_and_designated_false_clears_it()
    {
        var designated = Applied(Patch("health_management", c => c with { Designation = new DesignationInput(DesignationReason.Mainframe, new DateOnly(2029, 3, 31)) }, "designated", "designationReason", "designationTarget"));
        Assert.True(designated.Designated);
        Assert.Equal(DesignationReason.Mainframe, designated.DesignationReason);

        // designated: false with a reason (a form whose box was unticked): cleared, as documented.
        var cleared = Applied(Patch("health_management", c => c with { Designation = null }, "designated", "designationReason"));
        Assert.False(cleared.Designated);
        Assert.Null(cleared.DesignationReason);
    }
}
