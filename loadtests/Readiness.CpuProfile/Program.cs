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

var rows = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 30;
double? perChange = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : null;
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
