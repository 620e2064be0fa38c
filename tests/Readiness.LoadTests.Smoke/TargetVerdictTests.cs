using Readiness.LoadTests;
using Xunit;

namespace Readiness.LoadTests.Smoke;

/// <summary>Targets' verdicts over what was measured (<see cref="LoadRun.IfMeasured"/>, <see cref="Scenarios.SingleChangesMet"/>).</summary>
public sealed class TargetVerdictTests
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

    [Fact]
    public void A_figure_over_no_samples_is_neither_met_nor_missed()
    {
        // The steady scenario judged "p99 ≤ 50 ms" met when no change was acknowledged (the p99 of nothing is 0).
        Assert.Null(LoadRun.IfMeasured(0, met: true));
        Assert.Null(LoadRun.IfMeasured(0, met: false));
        Assert.True(LoadRun.IfMeasured(1, met: true));
        Assert.False(LoadRun.IfMeasured(1, met: false));
    }
}
