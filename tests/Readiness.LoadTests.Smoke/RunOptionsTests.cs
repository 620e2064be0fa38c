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

    [Theory]
    [InlineData("--warm-up-seconds", "-2")]
    [InlineData("--warm-up-seconds", "NaN")]
    [InlineData("--warm-up-seconds", "Infinity")]
    [InlineData("--warm-up-seconds", "1e400")]
    [InlineData("--warm-up-seconds", "5s")]
    [InlineData("--rate", "0")]
    [InlineData("--duration", "-1")]
    [InlineData("--max-inflight", "0")]
    [InlineData("--report-concurrency", "abc")]
    [InlineData("--warm-up", "-5")]
    [InlineData("--municipalities", "5000")]
    [InlineData("--refine", "11")]
    [InlineData("--target", "1")]
    [InlineData("--target", "nope")]
    [InlineData("--base-url", "notaurl")]
    public void An_option_value_out_of_its_range_is_refused_naming_the_option_and_the_value(string option, string value)
    {
        var (options, error) = RunOptions.Parse(["steady", option, value]);
        Assert.Null(options);
        Assert.Contains(option, error, StringComparison.Ordinal);
        Assert.Contains(value, error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_value_and_a_backwards_range_are_named()
    {
        Assert.Equal("--warm-up-seconds needs a value.", RunOptions.Parse(["steady", "--warm-up-seconds", "--rate", "3"]).Error);
        Assert.Contains("--start-rate", RunOptions.Parse(["capacity", "--start-rate", "500", "--max-rate", "100"]).Error, StringComparison.Ordinal);
        Assert.Equal(1e-3, RunOptions.Parse(["steady", "--rate", "1e-3"]).Options!.Rate);

        // A key that is not base64 is named before the run starts (it crashed the run after starting it); the key is not echoed.
        var key = RunOptions.Parse(["steady", "--base-url", "http://127.0.0.1:5999", "--signing-key", "not*base64"]).Error;
        Assert.Contains("--signing-key", key, StringComparison.Ordinal);
        Assert.DoesNotContain("not*base64", key, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_is_not_an_error()
    {
        Assert.Equal(((RunOptions?)null, (string?)null), RunOptions.Parse(["--help"]));
        Assert.Equal(((RunOptions?)null, (string?)null), RunOptions.Parse(["steady", "--help"]));
        Assert.NotNull(RunOptions.Parse([]).Error);
        Assert.Equal(0.5, RunOptions.Parse(["steady", "--warm-up-seconds", "0.5"]).Options!.WarmUpSeconds);
    }

    [Fact]
    public void What_the_run_needs_from_the_machine_is_checked_before_anything_starts()
    {
        // write-ceiling looked for wrk only after both servers had started (~70 s), then ended in a stack trace.
        var ceiling = RunOptions.Parse(["write-ceiling", "--duration", "1"]).Options!;
        Assert.Equal("write-ceiling needs wrk on the PATH (apt-get install wrk); nothing was started.", ceiling.Preflight(_ => null));
        Assert.Null(ceiling.Preflight(name => "/usr/bin/" + name));
        Assert.Null(RunOptions.Parse(["steady"]).Options!.Preflight(_ => null)); // only write-ceiling runs wrk

        // A token file that is not there was read only when the run began.
        var missing = Path.Combine(Path.GetTempPath(), "readiness-no-such-tokens-" + Guid.NewGuid().ToString("N"));
        var external = RunOptions.Parse(["steady", "--base-url", "http://127.0.0.1:5999", "--token-file", missing]).Options!;
        Assert.Equal($"--token-file: there is no file '{missing}'.", external.Preflight(RunOptions.FindOnPath));
    }

    [Theory]
    [InlineData(typeof(InvalidOperationException), true)] // a server that exited during start-up, a build that failed
    [InlineData(typeof(TimeoutException), true)] // a server not ready in time
    [InlineData(typeof(IOException), true)]
    [InlineData(typeof(NullReferenceException), false)] // a fault of the program keeps its stack
    [InlineData(typeof(ObjectDisposedException), false)]
    public void A_run_that_cannot_go_on_is_one_line_a_fault_of_the_program_keeps_its_stack(Type thrown, bool oneLine) =>
        Assert.Equal(oneLine, LoadTestProgram.IsRunFailure((Exception)Activator.CreateInstance(thrown, "x")!));

    [Theory]
    [InlineData(100, 4.95, 20.0)] // 100 completions at 20/s: 99 intervals, not the 6 whole seconds they touch
    [InlineData(1, 0, 1.0)]
    [InlineData(0, 0, 0.0)]
    [InlineData(3, 0, 3.0)]
    public void The_rate_is_completions_over_their_span(long count, double seconds, double expected) =>
        Assert.Equal(expected, OperationStats.Rate(count, TimeSpan.FromSeconds(seconds)), 3);
}
