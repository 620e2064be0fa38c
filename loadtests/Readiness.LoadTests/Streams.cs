using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Readiness.LoadTests;

/// <summary>
/// One live-update subscriber: GET /api/v1/stream?topic=nation held open, reconnecting when dropped. It reads raw bytes
/// and only picks out each nation event's version (`"type":"nation","version":N`), so that ten thousand of them cost
/// the load generator little next to the server.
/// </summary>
public sealed class NationStream(HttpClient http, Action<NationStream, long, long>? onVersion)
{
    private static readonly byte[] Marker = Encoding.ASCII.GetBytes("\"type\":\"nation\",\"version\":");
    private long events;
    private long lastVersion = -1;

    public long Events => Interlocked.Read(ref events);

    public long LastVersion => Interlocked.Read(ref lastVersion);

    public bool Connected { get; private set; }

    public int Connects { get; private set; }

    public int Failures { get; private set; }

    /// <summary>The last refused or failed connect: an HTTP status with the problem's code (e.g. "429 too_many_streams") or "network"/"timeout"; null if none.</summary>
    public string? LastFailure { get; private set; }

    /// <summary>Set once the first event (the current state) arrived.</summary>
    public TaskCompletionSource FirstEvent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Per-subscriber scratch for the viewers scenario: the last probe this subscriber has seen.</summary>
    public int ProbeSeen { get; set; }

    public async Task RunAsync(Recorder? recorder, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        while (!cancellationToken.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/stream?topic=nation");
                request.Headers.Accept.ParseAdd("text/event-stream");
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                recorder?["SSE connect"].Record(Stopwatch.GetElapsedTime(started), Writers.Status(response));
                if (!response.IsSuccessStatusCode)
                {
                    Failures++;
                    LastFailure = $"{(int)response.StatusCode} {ProblemCode(await response.Content.ReadAsStringAsync(cancellationToken))}".TrimEnd();
                    await Task.Delay(1000, cancellationToken);
                    continue;
                }

                Connects++;
                Connected = true;
                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
                var carry = 0;
                while (true)
                {
                    var read = await body.ReadAsync(buffer.AsMemory(carry, buffer.Length - carry), cancellationToken);
                    if (read == 0)
                    {
                        break;
                    }

                    carry = Scan(buffer, carry + read);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
            {
                recorder?["SSE connect"].Record(Stopwatch.GetElapsedTime(started), ex is TaskCanceledException ? "timeout" : "network");
                Failures++;
                LastFailure = ex is TaskCanceledException ? "timeout" : "network";
            }
            finally
            {
                Connected = false;
            }

            await Task.Delay(500, CancellationToken.None);
        }
    }

    private static string ProblemCode(string body)
    {
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("code", out var code) ? code.ToString() : string.Empty;
        }
        catch (System.Text.Json.JsonException)
        {
            return string.Empty;
        }
    }

    /// <summary>Finds every version in buffer[0..length); moves an unfinished tail to the front and returns its length.</summary>
    private int Scan(byte[] buffer, int length)
    {
        var span = buffer.AsSpan(0, length);
        var position = 0;
        while (true)
        {
            var at = span[position..].IndexOf(Marker);
            if (at < 0)
            {
                // Keep what could be the start of a marker cut by the read.
                var keep = Math.Min(Marker.Length - 1, length - position);
                span[(length - keep)..].CopyTo(buffer);
                return keep;
            }

            var digits = position + at + Marker.Length;
            var end = digits;
            while (end < length && span[end] is >= (byte)'0' and <= (byte)'9')
            {
                end++;
            }

            if (end == length)
            {
                // The number may continue in the next read: keep from the marker on.
                var keep = length - (position + at);
                span[(position + at)..].CopyTo(buffer);
                return keep;
            }

            var version = long.Parse(span[digits..end], NumberStyles.None, CultureInfo.InvariantCulture);
            var now = Stopwatch.GetTimestamp();
            Interlocked.Increment(ref events);
            Interlocked.Exchange(ref lastVersion, version);
            FirstEvent.TrySetResult();
            onVersion?.Invoke(this, version, now);
            position = end;
        }
    }
}

/// <summary>The nation's version over time as one subscriber saw it: the basis of the freshness figure.</summary>
public sealed class NationTimeline
{
    private readonly ConcurrentQueue<(long Timestamp, long Version)> points = new();

    public void Observe(NationStream _, long version, long timestamp) => points.Enqueue((timestamp, version));

    public IReadOnlyList<(long Timestamp, long Version)> Points => points.ToArray();

    /// <summary>
    /// Freshness of each acknowledged change: the i-th acknowledgement (in time order) counts as visible when the nation's
    /// version first reaches base + i. The nation's version is the sum of the municipalities' versions, so it rises by one
    /// per accepted change; the pairing is exact when changes land in the order they are acknowledged, and otherwise off by
    /// no more than the time between acknowledgements that overtake each other (a few ms at these rates).
    /// </summary>
    public (Samples Freshness, long Unreflected) Freshness(long baseVersion, IEnumerable<long> ackTimestamps)
    {
        var acks = ackTimestamps.Order().ToArray();
        var timeline = Points.OrderBy(p => p.Timestamp).ToArray();
        var samples = new Samples();
        long unreflected = 0;
        var j = 0;
        for (var i = 0; i < acks.Length; i++)
        {
            var needed = baseVersion + i + 1;
            while (j < timeline.Length && timeline[j].Version < needed)
            {
                j++;
            }

            if (j == timeline.Length)
            {
                unreflected += acks.Length - i;
                break;
            }

            samples.Add(Math.Max(0, Stopwatch.GetElapsedTime(acks[i], timeline[j].Timestamp).TotalMilliseconds));
        }

        return (samples, unreflected);
    }
}
