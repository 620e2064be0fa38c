using Readiness.Hosting;
using Readiness.Web.Auth;
using Readiness.Web.Planning;
using Readiness.Web.Summaries;
using Xunit;

namespace Readiness.Tests.Hosting;

/// <summary>
/// Times and counts that make no sense at zero or less refuse the start (OptionsProblems.ValidateProblemsOnStart), each
/// message naming the setting and its value; the defaults pass.
/// </summary>
public sealed class OptionsRangeTests
{
    private static readonly TimeSpan Negative = TimeSpan.FromSeconds(-1);

    [Fact]
    public void The_defaults_have_no_problems()
    {
        Assert.Empty(new ReadinessOptions().Problems());
        Assert.Empty(new GrainCallOptions().Problems());
        Assert.Empty(new SummaryCacheOptions().Problems());
        Assert.Empty(new PlanningOptions().Problems());
        Assert.Empty(new ReadinessAuthOptions().Problems());
    }

    [Fact]
    public void Readiness_intervals_and_backups()
    {
        AssertOne(new ReadinessOptions { ReconcileInterval = TimeSpan.Zero }.Problems(), "Readiness:ReconcileInterval = 00:00:00");
        AssertOne(new ReadinessOptions { StorageLockTimeout = Negative }.Problems(), "Readiness:StorageLockTimeout = -00:00:01");
        AssertOne(new ReadinessOptions { MinimumFreeBytes = -1 }.Problems(), "Readiness:MinimumFreeBytes = -1");
        AssertOne(new ReadinessOptions { Backup = new() { Retain = 0 } }.Problems(), "Readiness:Backup:Retain = 0");
        AssertOne(new ReadinessOptions { Backup = new() { Interval = Negative } }.Problems(), "Readiness:Backup:Interval = -00:00:01");

        // No interval, or zero, is "no scheduled backups" as documented.
        Assert.Empty(new ReadinessOptions { Backup = new() { Interval = TimeSpan.Zero } }.Problems());
        Assert.Empty(new ReadinessOptions { MinimumFreeBytes = 0 }.Problems());
    }

    [Fact]
    public void Grain_call_timeouts_attempts_and_backoffs()
    {
        AssertOne(new GrainCallOptions { AttemptTimeout = TimeSpan.Zero }.Problems(), "Readiness:GrainCalls:AttemptTimeout = 00:00:00");
        AssertOne(new GrainCallOptions { AttemptTimeoutAfterSiloLoss = TimeSpan.Zero }.Problems(), "Readiness:GrainCalls:AttemptTimeoutAfterSiloLoss = 00:00:00");
        AssertOne(new GrainCallOptions { Deadline = Negative }.Problems(), "Readiness:GrainCalls:Deadline = -00:00:01");
        AssertOne(new GrainCallOptions { MaxAttempts = 0 }.Problems(), "Readiness:GrainCalls:MaxAttempts = 0");
        AssertOne(new GrainCallOptions { FirstBackoff = Negative }.Problems(), "Readiness:GrainCalls:FirstBackoff = -00:00:01");
        AssertOne(new GrainCallOptions { MaxBackoff = Negative }.Problems(), "Readiness:GrainCalls:MaxBackoff = -00:00:01");
        Assert.Empty(new GrainCallOptions { FirstBackoff = TimeSpan.Zero, MaxBackoff = TimeSpan.Zero }.Problems()); // retry at once
    }

    [Theory]
    [InlineData(nameof(SummaryCacheOptions.PollInterval))]
    [InlineData(nameof(SummaryCacheOptions.FullRefreshInterval))]
    [InlineData(nameof(SummaryCacheOptions.HeartbeatInterval))]
    [InlineData(nameof(SummaryCacheOptions.TrendRefreshInterval))]
    [InlineData(nameof(SummaryCacheOptions.CallTimeout))]
    public void Summary_intervals(string name)
    {
        var options = new SummaryCacheOptions();
        typeof(SummaryCacheOptions).GetProperty(name)!.SetValue(options, TimeSpan.Zero);
        AssertOne(options.Problems(), $"Readiness:Summaries:{name} = 00:00:00");
    }

    [Fact]
    public void Planning_trials_ages_and_checks()
    {
        AssertOne(new PlanningOptions { Trials = 0 }.Problems(), "Readiness:Planning:Trials = 0");
        AssertOne(new PlanningOptions { MaxAgeMinutes = 0 }.Problems(), "Readiness:Planning:MaxAgeMinutes = 0");
        AssertOne(new PlanningOptions { KeepFirstCheckMinutes = -1 }.Problems(), "Readiness:Planning:KeepFirstCheckMinutes = -1");
        AssertOne(new PlanningOptions { KeepCheckMinutes = 0 }.Problems(), "Readiness:Planning:KeepCheckMinutes = 0");
        AssertOne(new PlanningOptions { UnreadableRecheckSeconds = -0.5 }.Problems(), "Readiness:Planning:UnreadableRecheckSeconds = -0.5");
        Assert.Empty(new PlanningOptions { UnreadableRecheckSeconds = 0 }.Problems()); // ask again every time (a test setting)
    }

    [Fact]
    public void Auth_revalidation_and_token_reuse()
    {
        AssertOne(new ReadinessAuthOptions { RevalidationInterval = Negative }.Problems(), "Readiness:Auth:RevalidationInterval = -00:00:01");
        AssertOne(new ReadinessAuthOptions { ValidatedTokenReuse = Negative }.Problems(), "Readiness:Auth:ValidatedTokenReuse = -00:00:01");
        Assert.Empty(new ReadinessAuthOptions { RevalidationInterval = TimeSpan.Zero, ValidatedTokenReuse = TimeSpan.Zero }.Problems()); // check every time
    }

    private static void AssertOne(IEnumerable<string> problems, string named)
    {
        var problem = Assert.Single(problems);
        Assert.StartsWith(named + ": ", problem, StringComparison.Ordinal);
    }
}
