using System.Globalization;
using Readiness.CpuProfile;

// Where a server's CPU goes, by part, from `perf script` of a `perf record -g` of the server (run with
// DOTNET_PerfMapEnabled=1 and DOTNET_EnableWriteXorExecute=0 so that managed frames have names). Each sample is charged to the innermost frame that belongs
// to the product, a named library, the kernel's disk or network work, the GC or the JIT; the runtime's general code
// (collections, strings, tasks, the thread pool) to its nearest such caller. The counterpart of Readiness.AllocationProfile
// for issue 14's throughput target. Usage: Readiness.CpuProfile PERF-SCRIPT.txt [rows] [MICROSECONDS-PER-CHANGE];
// with the server's CPU per change (write-ceiling prints it), each part is also given in µs per change.
if (args.Length == 0 || !File.Exists(args[0]))
{
    Console.Error.WriteLine("usage: Readiness.CpuProfile PERF-SCRIPT.txt [rows] [µs-per-change]  (from: perf record -g -p PID; perf script > PERF-SCRIPT.txt)");
    return 2;
}

// Numbers that do not parse are named in one line (int.Parse ended the command in a stack trace).
var rows = 30;
if (args.Length > 1 && !(int.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out rows) && rows > 0))
{
    Console.Error.WriteLine($"rows '{args[1]}': a whole number of at least 1 (default 30).");
    return 2;
}

double? perChange = null;
if (args.Length > 2)
{
    if (!double.TryParse(args[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var perChangeValue) || !double.IsFinite(perChangeValue) || perChangeValue <= 0)
    {
        Console.Error.WriteLine($"µs-per-change '{args[2]}': a number above 0 (e.g. 1300).");
        return 2;
    }

    perChange = perChangeValue;
}
using var reader = File.OpenText(args[0]);
var profile = CpuSamples.Read(reader);
if (profile.Samples == 0)
{
    Console.Error.WriteLine("The file holds no samples: give it the output of `perf script` for a `perf record -g`.");
    return 1;
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{profile.Samples:N0} samples"));
Print("by part: the innermost frame of the product, a named library, the kernel, the GC or the JIT", profile.ByPart);
Print("by part and that frame", profile.ByPartFrame);
return 0;

void Print(string title, IReadOnlyDictionary<string, long> shares)
{
    Console.WriteLine($"== {title}");
    foreach (var (name, samples) in shares.OrderByDescending(s => s.Value).Take(rows))
    {
        var share = (double)samples / profile.Samples;
        var micros = perChange is { } us ? string.Create(CultureInfo.InvariantCulture, $"{share * us,7:F1} µs  ") : "";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{100 * share,6:F1} %  {micros}{name}"));
    }
}
