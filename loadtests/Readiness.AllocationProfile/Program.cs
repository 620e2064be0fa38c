using System.Globalization;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

// Where a server's managed allocations come from, read from an EventPipe trace of the GC's allocation ticks (one event
// per ~100 KB allocated, with the type and the call stack): `dotnet-trace collect -p PID --profile gc-verbose`.
// Prints the sampled share by type, by the innermost frame of this product's own code (Readiness.*), and by
// method (inclusive). Usage: Readiness.AllocationProfile TRACE.nettrace [rows [TYPE]]; with TYPE (a substring of the
// type's name), also the innermost 8 frames of the stacks that allocate it, since a type's innermost own frame alone
// often names only the middleware that wraps everything. See docs/performance.md, "allocation profile".
if (args.Length == 0 || !File.Exists(args[0]))
{
    Console.Error.WriteLine("usage: Readiness.AllocationProfile TRACE.nettrace [rows]  (from: dotnet-trace collect -p PID --profile gc-verbose)");
    return 2;
}

// A number that does not parse is named in one line (int.Parse ended the command in a stack trace).
var rows = 30;
if (args.Length > 1 && !(int.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out rows) && rows > 0))
{
    Console.Error.WriteLine($"rows '{args[1]}': a whole number of at least 1 (default 30).");
    return 2;
}
var profile = AllocationTicks.Read(args[0], args.Length > 2 ? args[2] : null);
if (profile.Total == 0)
{
    Console.Error.WriteLine("The trace holds no allocation ticks: collect it with --profile gc-verbose.");
    return 1;
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{profile.Ticks:N0} allocation ticks, {profile.Total / 1048576.0:N1} MiB sampled"));
Print("by type", profile.ByType, profile.Total, rows);
Print("by the innermost Readiness.* frame (type <= frame)", profile.ByOwnFrame, profile.Total, rows);
Print("by part: the innermost frame of a named library or of the product (Components), the runtime's own frames skipped", profile.ByPart, profile.Total, rows);
Print("by part and that frame", profile.ByPartFrame, profile.Total, rows);
Print("by method, inclusive", profile.ByMethod, profile.Total, rows);
if (args.Length > 2)
{
    Print($"stacks of types named like '{args[2]}' (innermost 8 frames)", profile.ByStack, profile.Total, rows);
}

return 0;

static void Print(string title, IReadOnlyDictionary<string, long> shares, long total, int rows)
{
    Console.WriteLine($"== {title}");
    foreach (var (name, bytes) in shares.OrderByDescending(s => s.Value).Take(rows))
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{100.0 * bytes / total,6:F1} %  {name}"));
    }
}

/// <summary>Allocation ticks summed by type, by the innermost frame of the product's code and by method (inclusive).</summary>
internal sealed record AllocationTicks(int Ticks, long Total, Dictionary<string, long> ByType, Dictionary<string, long> ByOwnFrame, Dictionary<string, long> ByMethod, Dictionary<string, long> ByStack, Dictionary<string, long> ByPart, Dictionary<string, long> ByPartFrame)
{
    public static AllocationTicks Read(string path, string? stacksOf)
    {
        var etlx = TraceLog.CreateFromEventPipeDataFile(path);
        using var log = new TraceLog(etlx);
        var result = new AllocationTicks(0, 0, [], [], [], [], [], []);
        var ticks = 0;
        long total = 0;
        foreach (var e in log.Events)
        {
            if (e is not GCAllocationTickTraceData tick)
            {
                continue;
            }

            ticks++;
            total += tick.AllocationAmount64;
            Add(result.ByType, tick.TypeName, tick.AllocationAmount64);
            string? own = null;
            string? part = null;
            string? partFrame = null;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var stack = stacksOf is not null && tick.TypeName.Contains(stacksOf, StringComparison.Ordinal) ? new List<string>() : null;
            for (var frame = tick.CallStack(); frame is not null; frame = frame.Caller)
            {
                var method = frame.CodeAddress.FullMethodName;
                if (string.IsNullOrEmpty(method))
                {
                    continue;
                }

                own ??= method.StartsWith("Readiness.", StringComparison.Ordinal) ? method : null;
                if (part is null && Components.Of(method) is { } named)
                {
                    part = named;
                    partFrame = method;
                }
                if (stack is { Count: < 8 })
                {
                    stack.Add(method);
                }

                if (seen.Add(method))
                {
                    Add(result.ByMethod, method, tick.AllocationAmount64);
                }
            }

            Add(result.ByOwnFrame, $"{tick.TypeName} <= {own ?? "(no Readiness frame)"}", tick.AllocationAmount64);
            Add(result.ByPart, part ?? "the runtime alone (thread pool, tasks, timers)", tick.AllocationAmount64);
            Add(result.ByPartFrame, $"{part ?? "the runtime alone"}: {tick.TypeName} <= {partFrame ?? "-"}", tick.AllocationAmount64);
            if (stack is not null)
            {
                Add(result.ByStack, $"{tick.TypeName}\n           <= {string.Join("\n           <= ", stack)}", tick.AllocationAmount64);
            }
        }

        return result with { Ticks = ticks, Total = total };
    }

    private static void Add(Dictionary<string, long> shares, string key, long bytes) => shares[key] = shares.GetValueOrDefault(key) + bytes;
}
