using Readiness.LoadTests;
using Xunit;

namespace Readiness.LoadTests.Smoke;

/// <summary>The deadline rush's verdict on its single changes (<see cref="Scenarios.SingleChangesMet"/>).</summary>
public sealed class DeadlineRushVerdictTests
{
    [Fact]
    public void No_single_change_offered_is_not_measured_rather_than_missed()
    {
        // At small scale the full reports can outlast the window: 0 offered was reported as "0/s done of 50/s offered", a miss.
        Assert.Null(Scenarios.SingleChangesMet(offered: 0, achievedPerSecond: 0, p99Ms: 0));
    }

    [Theory]
    [InlineData(5000, 50, true)]
    [InlineData(4999, 10, false)]
    [InlineData(6000, 50.1, false)]
    public void Offered_single_changes_are_judged_on_rate_and_p99(double achieved, double p99, bool met)
    {
        Assert.Equal(met, Scenarios.SingleChangesMet(offered: 100, achieved, p99));
    }
}
