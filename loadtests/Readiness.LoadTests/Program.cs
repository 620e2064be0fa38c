using System.Globalization;
using Readiness.LoadTests;

var (options, error) = RunOptions.Parse(args);
if (options is null)
{
    if (error is not null)
    {
        Console.Error.WriteLine(error);
    }

    Console.Error.WriteLine(RunOptions.Usage);
    return error is null ? 0 : 2; // asked for help: 0; anything else (no scenario too): 2
}

// What the run needs from the machine, before anything is built or started.
if (options.Preflight(RunOptions.FindOnPath) is { } missing)
{
    Console.Error.WriteLine(missing);
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

try
{
    var report = await LoadTestProgram.RunAsync(options, cancel.Token);
    return report.Audit is { Passed: false } || report.ServerErrors > 0 ? 1 : 0;
}
catch (Exception stopped) when (LoadTestProgram.IsRunFailure(stopped))
{
    // A run that could not go on (a server that did not start, a build that failed, a file it could not read) is one
    // line naming what to look at (the log file in the message), not a stack trace.
    Console.Error.WriteLine($"load test stopped: {stopped.Message}");
    return 1;
}

namespace Readiness.LoadTests
{
    public static class LoadTestProgram
    {
        /// <summary>
        /// A failure of the run's surroundings (a server that exited or was not ready, a build or a tool that failed, a
        /// file that could not be read, a cancelled run) rather than of the program: reported in one line.
        /// </summary>
        public static bool IsRunFailure(Exception e) =>
            e is not ObjectDisposedException
            && e is InvalidOperationException or TimeoutException or IOException or UnauthorizedAccessException or HttpRequestException
                or OperationCanceledException or FormatException or System.ComponentModel.Win32Exception;

        /// <summary>Runs one scenario end to end (start the target, load, audit, report, stop) and returns its report.</summary>
        public static async Task<RunReport> RunAsync(RunOptions options, CancellationToken cancellationToken)
        {
            ThreadPool.SetMinThreads(Math.Max(64, Environment.ProcessorCount * 16), 64);
            var folder = options.Results ?? Path.Combine(SystemUnderTest.RepositoryRoot(), "loadtests", "results",
                $"{options.Scenario}-{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}");
            await using var run = await LoadRun.StartAsync(options, folder, cancellationToken);
            Console.WriteLine($"Target: {run.Target.Description}");
            await Scenarios.RunAsync(run, cancellationToken);
            var report = await run.FinishAsync();
            ReportWriter.Write(report, run.Recorder, folder);
            Console.WriteLine();
            Console.WriteLine(ReportWriter.Table(report));
            Console.WriteLine($"Report: {Path.Combine(folder, "report.md")} (and report.json, SVG charts)");
            Console.WriteLine(report.Audit is { } a
                ? $"Audit {(a.Passed ? "passed" : "FAILED")}: {a.Acknowledged:N0} acknowledged, {a.Lost:N0} lost, {a.AppliedTwice:N0} applied twice; {report.ServerErrors:N0} server errors"
                : $"{report.ServerErrors:N0} server errors");
            return report;
        }
    }
}
