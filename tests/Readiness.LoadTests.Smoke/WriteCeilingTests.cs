using Readiness.LoadTests;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.LoadTests.Smoke;

/// <summary>
/// The write path's floor beside the product (<see cref="WriteCeiling"/>): wrk's summary read right, and a short run of
/// both that checks what a run must hold whatever the speed: every acknowledged change durable on both, no answer other
/// than 2xx. The throughputs are printed, never asserted.
/// </summary>
public sealed class WriteCeilingTests(ITestOutputHelper output)
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    [Fact]
    public void Wrk_summary_is_read_with_its_units_and_every_kind_of_error()
    {
        var result = WriteCeiling.ParseWrk("""
            Running 10s test @ http://127.0.0.1:5090
              2 threads and 64 connections
              Latency Distribution
                 50%  812.00us
                 75%   36.68ms
                 90%   52.80ms
                 99%    1.25s
              69732 requests in 30.05s, 11.82MB read
              Socket errors: connect 1, read 2, write 3, timeout 4
              Non-2xx or 3xx responses: 90
            Requests/sec:   2320.83
            """);
        Assert.Equal(69732, result.Requests);
        Assert.Equal(100, result.Errors);
        Assert.Equal(69632, result.Acknowledged);
        Assert.Equal(30.05, result.Seconds, 3);
        Assert.Equal(0.812, result.P50Ms, 3);
        Assert.Equal(1250, result.P99Ms, 3);
        Assert.Equal(69632 / 30.05, result.PerSecond, 3);
    }

    [Fact]
    public void A_run_without_errors_or_a_count_is_read_as_such()
    {
        var clean = WriteCeiling.ParseWrk("  1200 requests in 1.50m, 1.0MB read\n     99%   40.00ms\n");
        Assert.Equal((1200, 0, 90.0), (clean.Requests, clean.Errors, clean.Seconds));
        Assert.True(double.IsNaN(clean.P50Ms));
        Assert.Throws<FormatException>(() => WriteCeiling.ParseWrk("unable to connect to 127.0.0.1:1 Connection refused"));
    }

    [Fact]
    public async Task A_short_run_of_the_product_and_the_floor_finds_every_acknowledged_change_durable()
    {
        var results = Path.Combine(Path.GetTempPath(), "readiness-ceiling-smoke-" + Guid.NewGuid().ToString("N")[..8]);
        var (options, error) = RunOptions.Parse(["write-ceiling", "--duration", "2", "--no-build", "--configuration", Configuration, "--results", results]);
        Assert.Null(error);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));

        var report = await LoadTestProgram.RunAsync(options!, timeout.Token);
        output.WriteLine(File.ReadAllText(Path.Combine(results, "report.md")));

        var runs = report.Figures.Where(f => f.Key.StartsWith("write ceiling, ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, runs.Count(f => f.Key.Contains("the product", StringComparison.Ordinal)));
        Assert.Equal(2, runs.Count(f => f.Key.Contains("the floor", StringComparison.Ordinal)));
        foreach (var (name, value) in runs)
        {
            Assert.Contains(" 0 not 2xx", value, StringComparison.Ordinal);
            Assert.DoesNotContain("MISMATCH", value, StringComparison.Ordinal);
            Assert.Matches(@"durable [\d,]+ of [\d,]+ acknowledged", value);
            Assert.DoesNotMatch(@"durable 0 of", value);
        }

        // The libraries' floor per request, beside the changes: every probe answered, none refused.
        var perRequest = report.Figures.Where(f => f.Key.StartsWith("per request, ", StringComparison.Ordinal)).ToList();
        Assert.Equal(7, perRequest.Count);
        Assert.All(perRequest, f => Assert.Matches(@"requests/s \(0 not 2xx/3xx\); server CPU per request \d+ µs, allocated [\d.]+ KB", f.Value));
        Assert.Contains(report.Figures, f => f.Key.StartsWith("idle rate, the product", StringComparison.Ordinal));

        Assert.Equal(0, report.ServerErrors);
        Assert.Contains(report.Targets, t => t.Name.StartsWith("single durable changes through HTTP, closed loop with wrk", StringComparison.Ordinal));
        Directory.Delete(results, recursive: true);
    }
}
