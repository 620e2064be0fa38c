using Readiness.LoadTests;
using Xunit;

namespace Readiness.LoadTests.Smoke;

/// <summary>The load test's command line: the return preferences for single changes and for full reports are separate.</summary>
public sealed class RunOptionsTests
{
    [Fact]
    public void The_report_return_preference_is_read_apart_from_the_single_changes_one()
    {
        var (options, error) = RunOptions.Parse(["deadline-rush", "--return", "minimal", "--report-return", "representation"]);
        Assert.Null(error);
        Assert.Equal(("minimal", "representation"), (options!.Return, options.ReportReturn));

        var (none, _) = RunOptions.Parse(["deadline-rush"]);
        Assert.Equal(((string?)null, (string?)null), (none!.Return, none.ReportReturn));
    }

    [Fact]
    public void An_unknown_report_return_preference_is_refused()
    {
        var (options, error) = RunOptions.Parse(["deadline-rush", "--report-return", "everything"]);
        Assert.Null(options);
        Assert.Contains("--report-return", error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_warm_up_is_none_unless_asked()
    {
        Assert.Equal(0, RunOptions.Parse(["deadline-rush"]).Options!.WarmUpReports);
        Assert.Equal(200, RunOptions.Parse(["deadline-rush", "--warm-up", "200"]).Options!.WarmUpReports);
    }
}
