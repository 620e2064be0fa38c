using System.Collections.Concurrent;
using System.Diagnostics;
using HdrHistogram;

namespace Readiness.LoadTests;

/// <summary>Latency and outcome of one kind of operation (e.g. "PUT system"), overall and per second.</summary>
public sealed class OperationStats(string name, Stopwatch clock)
{
    private const long MaxMicros = 120_000_000;
    private readonly LongConcurrentHistogram all = new(1, MaxMicros, 3);
    private readonly ConcurrentDictionary<int, LongConcurrentHistogram> perSecond = new();
    private readonly ConcurrentDictionary<string, long> statuses = new();

    public string Name { get; } = name;

    private long firstTicks = -1;
    private long lastTicks;

    public void Record(TimeSpan latency, string status)
    {
        var micros = Math.Clamp((long)(latency.Ticks / 10), 1, MaxMicros);
        var now = clock.Elapsed;
        all.RecordValue(micros);
        perSecond.GetOrAdd((int)now.TotalSeconds, _ => new LongConcurrentHistogram(1, MaxMicros, 2)).RecordValue(micros);
        statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
        Interlocked.CompareExchange(ref firstTicks, now.Ticks, -1);
        for (var last = Interlocked.Read(ref lastTicks); now.Ticks > last; last = Interlocked.Read(ref lastTicks))
        {
            if (Interlocked.CompareExchange(ref lastTicks, now.Ticks, last) == last)
            {
                break;
            }
        }
    }

    /// <summary>
    /// Completions per second over the span from the first to the last (n − 1 intervals); the count itself when there
    /// are fewer than two or they share an instant. Not the whole seconds touched: 100 requests over 5 s touch 6 of them.
    /// </summary>
    public double RequestsPerSecond => Rate(all.TotalCount, TimeSpan.FromTicks(Interlocked.Read(ref lastTicks) - Interlocked.Read(ref firstTicks)));

    /// <summary><paramref name="count"/> completions whose first and last are <paramref name="span"/> apart, per second (see <see cref="RequestsPerSecond"/>).</summary>
    public static double Rate(long count, TimeSpan span) => count < 2 || span <= TimeSpan.Zero ? count : (count - 1) / span.TotalSeconds;

    public long Count => all.TotalCount;

    public IReadOnlyDictionary<string, long> Statuses => statuses;

    public long Errors => statuses.Where(s => !IsSuccess(s.Key)).Sum(s => s.Value);

    public double Percentile(double p) => all.TotalCount == 0 ? 0 : all.GetValueAtPercentile(p) / 1000.0;

    public double MaxMs => all.TotalCount == 0 ? 0 : all.GetMaxValue() / 1000.0;

    /// <summary>(second, requests, p50 ms, p99 ms) for each second that saw requests.</summary>
    public IReadOnlyList<(int Second, long Requests, double P50, double P99)> Series() =>
        perSecond.OrderBy(kv => kv.Key).Select(kv => (kv.Key, kv.Value.TotalCount, kv.Value.GetValueAtPercentile(50) / 1000.0, kv.Value.GetValueAtPercentile(99) / 1000.0)).ToList();

    public static bool IsSuccess(string status) => status.StartsWith('2') || status is "304" or "stream"; // 304: a conditional GET answered "not modified"

    /// <summary>Requests and p99 (ms) of one second of the run, for the live console line.</summary>
    public (long Requests, double P99) Second(int second) =>
        perSecond.TryGetValue(second, out var h) && h.TotalCount > 0 ? (h.TotalCount, h.GetValueAtPercentile(99) / 1000.0) : (0, 0);

    /// <summary>Requests that failed (not 2xx and not a 412 the writer retried with the new ETag).</summary>
    public long Failures => statuses.Where(s => !IsSuccess(s.Key) && s.Key != "412").Sum(s => s.Value);
}

/// <summary>All operations of one run, sharing one clock.</summary>
public sealed class Recorder
{
    private readonly ConcurrentDictionary<string, OperationStats> operations = new();

    public Stopwatch Clock { get; } = Stopwatch.StartNew();

    public OperationStats this[string name] => operations.GetOrAdd(name, n => new OperationStats(n, Clock));

    public IEnumerable<OperationStats> Operations => operations.Values.OrderBy(o => o.Name, StringComparer.Ordinal);

    public async Task<T> Time<T>(string operation, Func<Task<(T Result, string Status)>> call)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var (result, status) = await call();
            this[operation].Record(Stopwatch.GetElapsedTime(started), status);
            return result;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
        {
            this[operation].Record(Stopwatch.GetElapsedTime(started), ex is TaskCanceledException ? "timeout" : "network");
            throw;
        }
    }
}

/// <summary>Percentiles of a plain list of samples (freshness, delivery delay).</summary>
public sealed class Samples
{
    private readonly ConcurrentBag<double> values = [];

    public void Add(double ms) => values.Add(ms);

    public int Count => values.Count;

    public double Percentile(double p)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }

    public double Max => values.IsEmpty ? double.NaN : values.Max();
}
