namespace Readiness.CpuProfile;

/// <summary>
/// Samples of `perf script`'s default output summed by part (<see cref="Components"/>, plus the native parts
/// <see cref="NativePart"/> names). A sample is a header line, then one line per frame, innermost first
/// (<c>\t ADDRESS SYMBOL+0xOFF (DSO)</c>), then a blank line. Managed frames are named from the perf map
/// (<c>instance void [Assembly] Namespace.Type::Method(...)[Optimized]</c>).
/// </summary>
public sealed record CpuSamples(long Samples, Dictionary<string, long> ByPart, Dictionary<string, long> ByPartFrame)
{
    /// <summary>The part a sample is charged to when none of its frames is named: the runtime's own general code.</summary>
    public const string RuntimeAlone = "the runtime alone (thread pool, tasks, stubs)";

    /// <summary>
    /// The part of a sample in the runtime's native code (libcoreclr) with no named caller: mostly the GC's own threads.
    /// Under a caller the same code (an allocation, a type check) is charged to that caller. The runtime as shipped has
    /// no symbols, so the GC cannot be told from the rest of it here.
    /// </summary>
    public const string RuntimeNative = "the runtime's native code alone (libcoreclr: GC threads and others, unsymbolised)";

    /// <summary>Reads every sample of <paramref name="perfScript"/>.</summary>
    public static CpuSamples Read(TextReader perfScript)
    {
        var result = new CpuSamples(0, [], []);
        long samples = 0;
        var frames = new List<(string Symbol, string Dso)>();
        string? line;
        var inSample = false;
        while ((line = perfScript.ReadLine()) is not null)
        {
            if (line.Length == 0)
            {
                if (inSample)
                {
                    samples++;
                    result.Charge(frames);
                }

                frames.Clear();
                inSample = false;
                continue;
            }

            if (!char.IsWhiteSpace(line[0]))
            {
                inSample = true;
                continue;
            }

            if (ParseFrame(line) is { } frame)
            {
                frames.Add(frame);
            }
        }

        if (inSample)
        {
            samples++;
            result.Charge(frames);
        }

        return result with { Samples = samples };
    }

    /// <summary>The symbol (offset removed) and DSO of one frame line, or null for a line that is not a frame.</summary>
    public static (string Symbol, string Dso)? ParseFrame(string line)
    {
        var text = line.Trim();
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        var open = text.LastIndexOf(" (", StringComparison.Ordinal);
        if (space < 0 || open < space || !text.EndsWith(')'))
        {
            return null;
        }

        var symbol = text[(space + 1)..open];
        var offset = symbol.LastIndexOf("+0x", StringComparison.Ordinal);
        if (offset > 0)
        {
            symbol = symbol[..offset];
        }

        return (symbol, text[(open + 2)..^1]);
    }

    /// <summary>
    /// The part a frame belongs to: a managed frame by its type's namespace (<see cref="Components"/>), a native one by
    /// <see cref="NativePart"/>; null for the runtime's general code.
    /// </summary>
    public static string? PartOf(string symbol, string dso, IReadOnlyList<(string Symbol, string Dso)> frames, int index)
    {
        var method = ManagedMethod(symbol);
        return method is not null ? Components.Of(method) : NativePart(symbol, dso, frames, index);
    }

    /// <summary>
    /// "Namespace.Type::Method(...)" from a perf-map name (the text after the assembly in brackets that precedes the
    /// type), or null for a native symbol.
    /// </summary>
    public static string? ManagedMethod(string symbol)
    {
        var separator = symbol.IndexOf("::", StringComparison.Ordinal);
        if (separator < 0)
        {
            return null;
        }

        var assembly = symbol.LastIndexOf("] ", separator, StringComparison.Ordinal);
        return assembly < 0 ? null : symbol[(assembly + 2)..];
    }

    /// <summary>
    /// A native frame's part: the kernel by the system call its stack entered through (disk, network, futex), the GC and
    /// the JIT inside the runtime, SQLite's and zlib's libraries; null for the rest of the runtime and libc.
    /// </summary>
    public static string? NativePart(string symbol, string dso, IReadOnlyList<(string Symbol, string Dso)> frames, int index)
    {
        if (dso.Contains("kernel", StringComparison.Ordinal))
        {
            // The kernel frames of a sample run from the innermost out to the system call's entry; the entry says why.
            for (var i = index; i < frames.Count && frames[i].Dso.Contains("kernel", StringComparison.Ordinal); i++)
            {
                var name = frames[i].Symbol;
                if (name.Contains("fsync", StringComparison.Ordinal) || name.Contains("pwrite", StringComparison.Ordinal) || name.Contains("sys_write", StringComparison.Ordinal) || name.Contains("pread", StringComparison.Ordinal) || name.Contains("sys_read", StringComparison.Ordinal))
                {
                    return "kernel: files (fsync, pwrite, pread)";
                }

                if (name.Contains("sendto", StringComparison.Ordinal) || name.Contains("recvfrom", StringComparison.Ordinal) || name.Contains("sendmsg", StringComparison.Ordinal) || name.Contains("recvmsg", StringComparison.Ordinal) || name.Contains("epoll", StringComparison.Ordinal) || name.Contains("tcp_", StringComparison.Ordinal))
                {
                    return "kernel: network (loopback TCP, epoll)";
                }

                if (name.Contains("futex", StringComparison.Ordinal) || name.Contains("sched_yield", StringComparison.Ordinal))
                {
                    return "kernel: threads (futex wake and wait, yield)";
                }
            }

            return "kernel: other (scheduling, page faults, timers)";
        }

        if (dso.Contains("libc.so", StringComparison.Ordinal))
        {
            // libc's system-call wrappers (their user-space half; perf often cannot unwind past them to the caller).
            if (symbol.Contains("pwrite", StringComparison.Ordinal) || symbol.Contains("pread", StringComparison.Ordinal) || symbol.Contains("fsync", StringComparison.Ordinal) || symbol.Contains("fdatasync", StringComparison.Ordinal))
            {
                return "kernel: files (fsync, pwrite, pread)";
            }

            if (symbol.Contains("send", StringComparison.Ordinal) || symbol.Contains("recv", StringComparison.Ordinal) || symbol.Contains("epoll", StringComparison.Ordinal))
            {
                return "kernel: network (loopback TCP, epoll)";
            }
        }

        if (dso.Contains("libclrjit", StringComparison.Ordinal))
        {
            return "JIT";
        }

        if (dso.Contains("libcoreclr", StringComparison.Ordinal) && (symbol.StartsWith("WKS::", StringComparison.Ordinal) || symbol.StartsWith("SVR::", StringComparison.Ordinal) || symbol.Contains("gc_heap", StringComparison.Ordinal) || symbol.Contains("GCHeap", StringComparison.Ordinal)))
        {
            return "GC";
        }

        if (dso.Contains("sqlite", StringComparison.Ordinal))
        {
            return "SQLite (Microsoft.Data.Sqlite)";
        }

        return dso.Contains("Compression.Native", StringComparison.Ordinal) || dso.Contains("libz.", StringComparison.Ordinal) ? "compression (zlib)" : null;
    }

    private void Charge(List<(string Symbol, string Dso)> frames)
    {
        for (var i = 0; i < frames.Count; i++)
        {
            if (PartOf(frames[i].Symbol, frames[i].Dso, frames, i) is { } part)
            {
                Add(ByPart, part);
                Add(ByPartFrame, $"{part}: {Shorten(frames[i].Symbol)}");
                return;
            }
        }

        var alone = frames.Count > 0 && frames[0].Dso.Contains("libcoreclr", StringComparison.Ordinal) ? RuntimeNative : RuntimeAlone;
        Add(ByPart, alone);
        Add(ByPartFrame, $"{alone}: {(frames.Count > 0 ? Shorten(frames[0].Symbol) : "-")}");
    }

    private static string Shorten(string symbol) => ManagedMethod(symbol) is { } method && method.Length > 160 ? method[..160] : ManagedMethod(symbol) ?? symbol;

    private static void Add(Dictionary<string, long> shares, string key) => shares[key] = shares.GetValueOrDefault(key) + 1;
}
