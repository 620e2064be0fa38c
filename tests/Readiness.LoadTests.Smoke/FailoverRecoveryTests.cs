using Readiness.LoadTests;
using Xunit;

namespace Readiness.LoadTests.Smoke;

/// <summary>The failover scenario's yardstick: the seconds before the kill, and when writes are back to normal.</summary>
public sealed class FailoverRecoveryTests
{
    private static List<(int Second, long Requests, double P50, double P99)> Series(int from, params double[] p99) =>
        [.. p99.Select((p, i) => (from + i, 300L, p / 4, p))];

    [Fact]
    public void The_loads_first_second_is_not_the_yardstick_wherever_the_clock_started()
    {
        // The load began 8 s into the run (after reading every municipality): its first second is a cold 1,600 ms.
        var series = Series(8, 1600, 40, 45, 60, 50, 40, 1700, 900, 70, 45, 40, 42);
        var (before, _, normal, recovered) = FailoverRecovery.Measure(series, killAt: 14.0, objectiveP99Ms: 50);
        Assert.Equal(60, before);
        Assert.Equal(100, normal);
        Assert.Equal(2.0, recovered); // 14 and 15 are over 100 ms; 16, 17, 18 are normal
    }

    [Fact]
    public void A_run_that_never_gets_back_under_the_yardstick_has_not_recovered()
    {
        var series = Series(3, 500, 40, 45, 50, 2000, 900, 400, 300, 200);
        var (_, after, _, recovered) = FailoverRecovery.Measure(series, killAt: 7.0, objectiveP99Ms: 50);
        Assert.Null(recovered);
        Assert.Equal(5, after.Count);
    }

    [Fact]
    public void The_failover_warm_up_is_five_seconds_unless_asked()
    {
        Assert.Equal(5, RunOptions.Parse(["failover"]).Options!.WarmUpSeconds);
        Assert.Equal(0, RunOptions.Parse(["failover", "--warm-up-seconds", "0"]).Options!.WarmUpSeconds);
    }
}
