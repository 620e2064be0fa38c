using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Readiness;
using Readiness.Catalog;
using Readiness.Planning;

// Forecast benchmark: the nation's 1,741 municipalities × 20 systems = 34,820 systems (synthetic states shaped like
// the published figures) × N trials, with a synthetic history for the estimator and ~40 capacity-limited vendors.
// Prints wall time, allocations and peak working set per run. Usage:
//   dotnet run -c Release --project loadtests/Readiness.Forecast.Benchmark -- [--trials 1000] [--workers 2] [--runs 5]
var trials = Arg("--trials", 1000);
var workers = Arg("--workers", Environment.ProcessorCount);
var runs = Arg("--runs", 5);
var asOf = new DateOnly(2026, 11, 30);

var (systems, history) = NationalWorld.Create(asOf, seed: 1);
Console.WriteLine($"systems {systems.Count:N0} (pending {systems.Count(s => s.Phase < MigrationPhase.InProduction):N0}), history transitions {history.Transitions.Length:N0}, plans {history.Plans.Length:N0}");
Console.WriteLine($"trials {trials:N0}, workers {workers}, cores {Environment.ProcessorCount}, server GC {System.Runtime.GCSettings.IsServerGC}");

var options = new ForecastOptions { AsOf = asOf, Trials = trials, Workers = workers, Seed = 20310331 };
var watch = Stopwatch.StartNew();
var model = ForecastModel.Estimate(history, asOf);
Console.WriteLine($"estimate: {watch.Elapsed.TotalMilliseconds:N0} ms, vendors with a capacity {model.VendorCapacity.Count}");

ForecastResult? result = null;
var times = new List<double>();
var cpuTimes = new List<double>();
for (var run = 0; run <= runs; run++)
{
    GC.Collect();
    GC.WaitForPendingFinalizers();
    var allocatedBefore = GC.GetTotalAllocatedBytes(true);
    var gen2Before = GC.CollectionCount(2);
    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    watch.Restart();
    result = ForecastEngine.Run(systems, model, options);
    var elapsed = watch.Elapsed.TotalMilliseconds;
    var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds;
    cpuTimes.Add(cpu);
    var allocated = GC.GetTotalAllocatedBytes(true) - allocatedBefore;
    var label = run == 0 ? "warm-up" : $"run {run}";
    if (run > 0)
    {
        times.Add(elapsed);
    }

    Console.WriteLine($"{label,-8} {elapsed,8:N0} ms wall  {cpu,8:N0} ms CPU  allocated {allocated / 1048576.0,7:N1} MiB  gen2 GCs {GC.CollectionCount(2) - gen2Before}  peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:N0} MiB");
}

times.Sort();
cpuTimes.Sort();
Console.WriteLine($"CPU per run: median {cpuTimes[cpuTimes.Count / 2]:N0} ms (wall on an idle {Environment.ProcessorCount}-core machine ≈ CPU / workers); load average while measuring: {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
Console.WriteLine($"median {times[times.Count / 2]:N0} ms, min {times[0]:N0} ms, max {times[^1]:N0} ms over {times.Count} runs ({systems.Count:N0} systems × {trials:N0} trials)");
var nation = result!.Nation.Band;
Console.WriteLine($"nation P10 {nation.P10?.ToString("yyyy-MM", CultureInfo.InvariantCulture) ?? "later"} P50 {nation.P50?.ToString("yyyy-MM", CultureInfo.InvariantCulture) ?? "later"} P90 {nation.P90?.ToString("yyyy-MM", CultureInfo.InvariantCulture) ?? "later"}, P(by 2031-03-31) {nation.ProbabilityByDeadline:P1}");
var deadline = result.Monthly[^1];
Console.WriteLine($"expected share migrated by {deadline.MonthEnd:yyyy-MM}: {deadline.Expected:P1} (P10 {deadline.P10:P1} – P90 {deadline.P90:P1}); municipalities likely (≥ 90%) done by the deadline: {result.Municipalities.Count(m => m.Band.ProbabilityByDeadline >= 0.9):N0} of {result.Municipalities.Length:N0}");
foreach (var v in result.Vendors.Take(3))
{
    Console.WriteLine($"queue: {v.Vendor} {v.PerMonth}/month, waiting {v.WaitingSystems:N0}, delayed {v.ExpectedDelayedSystems:N0} by {v.MeanDelayMonths:N1} months on average");
}

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

/// <summary>
/// A national synthetic world for the benchmark: every municipality of the catalog with its 20 systems, phases in the
/// proportions the demo seed uses (38.4 % migrated), 26 % of open systems designated, 60 % with a planned go-live,
/// 40 vendors with Zipf-like market shares, and two years of phase moves as history.
/// </summary>
internal static class NationalWorld
{
    public static (List<ForecastSystem> Systems, ForecastHistory History) Create(DateOnly asOf, int seed)
    {
        var random = new Random(seed);
        var catalog = ReadinessCatalog.Instance;
        var vendors = Enumerable.Range(0, 40).Select(i => $"vendor-{i:00}").ToArray();
        var weights = Enumerable.Range(1, 40).Select(i => 1.0 / i).ToArray();
        var total = weights.Sum();
        var phases = new[] { 0.02, 0.03, 0.05, 0.08, 0.1, 0.12, 0.15, 0.25, 0.2 };
        var systems = new List<ForecastSystem>(catalog.Municipalities.Count * 20);
        var transitions = ImmutableArray.CreateBuilder<PhaseTransition>();
        var plans = ImmutableArray.CreateBuilder<PlanRecord>();
        foreach (var municipality in catalog.Municipalities)
        {
            foreach (var business in catalog.BusinessSystems)
            {
                var vendor = Pick(random, vendors, weights, total);
                var migrated = random.NextDouble() < 0.384;
                var phase = migrated ? MigrationPhase.InProduction : (MigrationPhase)Pick(random, Enumerable.Range(0, 9).ToArray(), phases, 1);
                var designated = !migrated && random.NextDouble() < 0.26;
                var since = asOf.AddDays(-random.Next(1, 540));
                DateOnly? planned = !migrated && random.NextDouble() < 0.6 ? asOf.AddDays(random.Next(-120, 900)) : null;
                systems.Add(new ForecastSystem
                {
                    MunicipalityCode = municipality.Code,
                    BusinessId = business.Id,
                    Phase = phase,
                    PhaseSince = since,
                    PlannedGoLive = designated ? null : planned,
                    Designated = designated,
                    DesignationTarget = designated ? asOf.AddDays(random.Next(-60, 1700)) : null,
                    Vendor = vendor,
                    Reported = random.NextDouble() < 0.9,
                });

                // Its past: the moves that led to the current phase, a few months each.
                var day = since;
                transitions.Add(new PhaseTransition(municipality.Code, business.Id, (MigrationPhase)Math.Max(0, (int)phase - 1), phase, since, designated, vendor));
                for (var p = (int)phase - 1; p >= Math.Max(0, (int)phase - 3); p--)
                {
                    day = day.AddDays(-random.Next(20, 200));
                    transitions.Add(new PhaseTransition(municipality.Code, business.Id, (MigrationPhase)Math.Max(0, p - 1), (MigrationPhase)p, day, designated, vendor));
                }

                if (migrated)
                {
                    plans.Add(new PlanRecord(municipality.Code, business.Id, since.AddDays(-300), since.AddDays(-random.Next(0, 120))));
                }
            }
        }

        return (systems, new ForecastHistory { Transitions = transitions.ToImmutable(), Plans = plans.ToImmutable() });
    }

    private static T Pick<T>(Random random, T[] items, double[] weights, double total)
    {
        var x = random.NextDouble() * total;
        for (var i = 0; i < items.Length; i++)
        {
            x -= weights[i];
            if (x <= 0)
            {
                return items[i];
            }
        }

        return items[^1];
    }
}
