using Readiness.LoadTests;
using Xunit;

namespace Readiness.LoadTests.Smoke;

/// <summary>The capacity scenario's bracket for refining the operating envelope (<see cref="Scenarios.Bracket"/>).</summary>
public sealed class CapacityBracketTests
{
    [Fact]
    public void The_bracket_is_the_highest_rate_within_and_the_next_one_beyond()
    {
        Assert.Equal((1500d, 2250d), Scenarios.Bracket([(1000, true), (1500, true), (2250, false), (3375, false)]));
    }

    [Fact]
    public void A_first_step_over_the_objective_does_not_hide_the_bracket_above_it()
    {
        Assert.Equal((1500d, 2250d), Scenarios.Bracket([(1000, false), (1500, true), (2250, false), (3375, false)]));
    }

    [Fact]
    public void Without_a_step_within_or_beyond_there_is_no_bracket()
    {
        Assert.Equal((null, 1000d), Scenarios.Bracket([(1000, false), (1500, false)]));
        Assert.Equal((1500d, null), Scenarios.Bracket([(1000, true), (1500, true)]));
    }
}
