using System.Diagnostics;

namespace Readiness.HostTests.Imports;

/// <summary>
/// Samples the test process every 20 ms while a step runs (host, grains and test share the process): the highest
/// managed heap (GC.GetTotalMemory) and working set seen, and the bytes allocated during the step, for the benchmark
/// lines of docs/performance.md.
/// </summary>
internal sealed class MemorySampler : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Task sampling;
    private readonly long allocatedAtStart = GC.GetTotalAllocatedBytes(precise: false);
    private long peakHeap;
    private long peakWorkingSet;

    public MemorySampler()
    {
        sampling = Task.Run(async () =>
        {
            using var process = Process.GetCurrentProcess();
            while (!stop.IsCancellationRequested)
            {
                process.Refresh();
                peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(forceFullCollection: false));
                peakWorkingSet = Math.Max(peakWorkingSet, process.WorkingSet64);
                try
                {
                    await Task.Delay(20, stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        });
    }

    /// <summary>"peak heap N MB, peak working set N MB, allocated N MB" since the sampler started.</summary>
    public async Task<string> StopAsync()
    {
        await stop.CancelAsync();
        await sampling;
        var allocated = GC.GetTotalAllocatedBytes(precise: false) - allocatedAtStart;
        return $"peak heap {peakHeap / 1048576} MB, peak working set {peakWorkingSet / 1048576} MB, allocated {allocated / 1048576} MB";
    }

    public async ValueTask DisposeAsync()
    {
        if (!stop.IsCancellationRequested)
        {
            await stop.CancelAsync();
            await sampling;
        }

        stop.Dispose();
    }
}
