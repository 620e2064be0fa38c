using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Readiness.Catalog;
using Readiness.Rules;

namespace Readiness.LoadTests;

/// <summary>One acknowledged change: its request id (Idempotency-Key) and the version the server answered.</summary>
public sealed record Acknowledgement(string RequestId, long Version, long AckTimestamp, bool Replayed);

/// <summary>A municipality as the load test drives it: its actor, token, last ETag and what the server acknowledged.</summary>
public sealed class MunicipalitySlot(MunicipalityActor actor, string token)
{
    private int busy;
    private int sequence;

    public MunicipalityActor Actor { get; } = actor;

    public string Code => Actor.Municipality.Code;

    public AuthenticationHeaderValue Authorization { get; } = new("Bearer", token);

    /// <summary>The last ETag (version) this client saw.</summary>
    public long Version { get; set; }

    public long InitialVersion { get; set; }

    public ConcurrentQueue<Acknowledgement> Acknowledged { get; } = new();

    /// <summary>One change in flight per municipality: its staff do one thing at a time.</summary>
    public bool TryEnter() => Interlocked.CompareExchange(ref busy, 1, 0) == 0;

    public void Leave() => Volatile.Write(ref busy, 0);

    public string NextRequestId(string run) => $"lt-{run}-{Code}-{Interlocked.Increment(ref sequence)}";
}

/// <summary>
/// The HTTP side of the writers: PUT with If-Match (412: adopt the returned ETag and retry, counted), POST reports with
/// Idempotency-Key; every write carries an Idempotency-Key so that a retry after a timeout or a 5xx can never apply twice.
/// </summary>
public sealed class Writers(HttpClient http, Recorder recorder, string run, string? preferReturn = null, string? reportReturn = null)
{
    public const int MaxAttempts = 6;

    private long conflicts;
    private long retries;
    private long refusedByRules;

    public ConcurrentQueue<long> AckTimestamps { get; } = new();

    public long Conflicts => Interlocked.Read(ref conflicts);

    public long Retries => Interlocked.Read(ref retries);

    public long RefusedByRules => Interlocked.Read(ref refusedByRules);

    public static DateOnly Today => ReadinessRules.TodayInJapan(DateTimeOffset.UtcNow);

    /// <summary>Reads every municipality once: its ETag, and its phases for the actor.</summary>
    public async Task SyncAsync(IReadOnlyList<MunicipalitySlot> slots, int concurrency, CancellationToken cancellationToken)
    {
        await Parallel.ForEachAsync(slots, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken }, async (slot, ct) =>
        {
            for (var attempt = 1; ; attempt++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"api/v1/municipalities/{slot.Code}");
                request.Headers.Authorization = slot.Authorization;
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await http.SendAsync(request, ct);
                    var body = await response.Content.ReadAsByteArrayAsync(ct);
                    recorder["GET municipality"].Record(Stopwatch.GetElapsedTime(started), Status(response));
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        using var json = JsonDocument.Parse(body);
                        slot.Version = slot.InitialVersion = json.RootElement.GetProperty("version").GetInt64();
                        var phases = new Dictionary<string, MigrationPhase>(StringComparer.Ordinal);
                        foreach (var s in json.RootElement.GetProperty("systems").EnumerateArray())
                        {
                            if (Wire.TryParse<MigrationPhase>(s.GetProperty("phase").GetString(), out var phase))
                            {
                                phases[s.GetProperty("businessId").GetString()!] = phase;
                            }
                        }

                        slot.Actor.Sync(phases);
                        return;
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
                {
                    recorder["GET municipality"].Record(Stopwatch.GetElapsedTime(started), ex is TaskCanceledException ? "timeout" : "network");
                }

                if (attempt >= MaxAttempts)
                {
                    throw new InvalidOperationException($"Could not read municipality {slot.Code}.");
                }

                await Task.Delay(200 * attempt, ct);
            }
        });
    }

    /// <summary>One single change (a system or a checklist item) for a municipality the caller has entered.</summary>
    public async Task SingleChangeAsync(MunicipalitySlot slot, CancellationToken cancellationToken, string operation = "PUT single change")
    {
        var today = Today;
        var requestId = slot.NextRequestId(run);
        string path;
        byte[] body;
        SystemChange? system = null;
        if (slot.Actor.NextIsSecurity())
        {
            var change = slot.Actor.NextSecurityChange(today);
            path = $"api/v1/municipalities/{slot.Code}/security/{change.ItemId}";
            body = Json(w => WriteSecurity(w, change));
        }
        else
        {
            system = slot.Actor.NextSystemChange(today);
            path = $"api/v1/municipalities/{slot.Code}/systems/{system.BusinessId}";
            var change = system;
            body = Json(w => WriteSystem(w, change, withId: false));
        }

        var outcome = await SendAsync(slot, HttpMethod.Put, path, operation, body, requestId, single: true, cancellationToken);
        if (outcome == HttpStatusCode.UnprocessableEntity && system is not null)
        {
            // The actor's idea of the phase diverged (e.g. after a refused change): read it again.
            await ResyncAsync(slot, cancellationToken);
        }
    }

    /// <summary>A full report: all 20 systems and all 47 items, with an Idempotency-Key.</summary>
    /// <summary>The body of <paramref name="slot"/>'s full report (20 systems, 47 items) as UTF-8 JSON: built before a rush starts its clock, as each municipality's own client would have it ready.</summary>
    public byte[] FullReportBody(MunicipalitySlot slot)
    {
        var (systems, security) = slot.Actor.FullReport(Today);
        return Json(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("systems");
            foreach (var s in systems)
            {
                WriteSystem(w, s, withId: true);
            }

            w.WriteEndArray();
            w.WriteStartArray("security");
            foreach (var s in security)
            {
                WriteSecurityItem(w, s, withId: true);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary>Sends a full report built by <see cref="FullReportBody"/>; true when it was accepted (200, or 204 when answered <c>return=minimal</c>).</summary>
    public async Task<bool> FullReportAsync(MunicipalitySlot slot, byte[] body, CancellationToken cancellationToken, string operation = "POST full report") =>
        await SendAsync(slot, HttpMethod.Post, $"api/v1/municipalities/{slot.Code}/reports", operation, body, slot.NextRequestId(run), single: false, cancellationToken, reportReturn)
            is HttpStatusCode.OK or HttpStatusCode.NoContent;

    private async Task ResyncAsync(MunicipalitySlot slot, CancellationToken cancellationToken)
    {
        // A resync re-reads the phases mid-run: the version the run started from stays the audit's floor. (It used to be
        // reset too, so the audit stopped reading the history there and called every change before it lost.)
        var (version, initial) = (slot.Version, slot.InitialVersion);
        await SyncAsync([slot], 1, cancellationToken);
        slot.Version = Math.Max(slot.Version, version);
        slot.InitialVersion = initial;
    }

    private async Task<HttpStatusCode?> SendAsync(MunicipalitySlot slot, HttpMethod method, string path, string operation, byte[] body, string requestId, bool single, CancellationToken cancellationToken, string? reportPrefer = null)
    {
        for (var attempt = 1; attempt <= MaxAttempts && !cancellationToken.IsCancellationRequested; attempt++)
        {
            using var request = new HttpRequestMessage(method, path) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Authorization = slot.Authorization;
            request.Headers.TryAddWithoutValidation("Idempotency-Key", requestId);
            // Reports too send the version the actor last read (428 without): a 412 adopts the current ETag below and
            // resends, as a single change does (the same Idempotency-Key, so one that did apply is answered as a replay).
            request.Headers.TryAddWithoutValidation("If-Match", $"\"{slot.Version.ToString(CultureInfo.InvariantCulture)}\"");
            if ((single ? preferReturn : reportPrefer) is { } prefer)
            {
                request.Headers.TryAddWithoutValidation("Prefer", $"return={prefer}");
            }

            var started = Stopwatch.GetTimestamp();
            HttpStatusCode status;
            long? etag;
            bool replayed;
            try
            {
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
                status = response.StatusCode;
                etag = ETag(response);
                replayed = response.Headers.Contains("Idempotent-Replayed");
                recorder[operation].Record(Stopwatch.GetElapsedTime(started), Status(response));
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException && !cancellationToken.IsCancellationRequested)
            {
                recorder[operation].Record(Stopwatch.GetElapsedTime(started), ex is TaskCanceledException ? "timeout" : "network");
                Interlocked.Increment(ref retries);
                await Task.Delay(100 * attempt, cancellationToken);
                continue;
            }

            switch (status)
            {
                case HttpStatusCode.OK or HttpStatusCode.NoContent:
                    var now = Stopwatch.GetTimestamp();
                    var version = etag ?? slot.Version;
                    slot.Version = Math.Max(slot.Version, version);

                    // A replay answers with the current state, not the version the request made; the audit finds it by id.
                    slot.Acknowledged.Enqueue(new Acknowledgement(requestId, replayed ? -1 : version, now, replayed));
                    AckTimestamps.Enqueue(now);
                    return status;
                case HttpStatusCode.PreconditionFailed:
                    Interlocked.Increment(ref conflicts);
                    slot.Version = etag ?? slot.Version;
                    continue;
                case HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError:
                    Interlocked.Increment(ref retries);
                    await Task.Delay(100 * attempt, cancellationToken);
                    continue;
                case HttpStatusCode.UnprocessableEntity:
                    Interlocked.Increment(ref refusedByRules);
                    return status;
                default:
                    return status;
            }
        }

        return null;
    }

    public static string Status(HttpResponseMessage response) => ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);

    private static long? ETag(HttpResponseMessage response) =>
        response.Headers.ETag is { } tag && long.TryParse(tag.Tag.Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            write(w);
        }

        return buffer.ToArray();
    }

    private static void WriteSystem(Utf8JsonWriter w, SystemChange s, bool withId)
    {
        w.WriteStartObject();
        if (withId)
        {
            w.WriteString("businessId", s.BusinessId);
        }

        // Every member of the representation, null where empty: a member left out would keep its current value.
        if (s.Phase is { } phase)
        {
            w.WriteString("phase", Wire.Name(phase));
        }

        WriteOrNull(w, "plannedGoLive", s.PlannedGoLive is { } planned ? Date(planned) : null);
        WriteOrNull(w, "vendor", s.Vendor);
        WriteOrNull(w, "hosting", s.Hosting is { } hosting ? Wire.Name(hosting) : null);
        w.WriteBoolean("notApplicable", s.NotApplicable);
        w.WriteBoolean("designated", s.Designation is not null);
        WriteOrNull(w, "designationReason", s.Designation?.Reason is { } reason ? Wire.Name(reason) : null);
        WriteOrNull(w, "designationTarget", s.Designation?.TargetDate is { } target ? Date(target) : null);
        WriteOrNull(w, "regressionReason", s.Reason);
        WriteOrNull(w, "designationReasonNote", s.DesignationReasonNote);
        w.WriteEndObject();
    }

    private static void WriteOrNull(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    private static void WriteSecurity(Utf8JsonWriter w, SecurityChange s) => WriteSecurityItem(w, s, withId: false);

    private static void WriteSecurityItem(Utf8JsonWriter w, SecurityChange s, bool withId)
    {
        w.WriteStartObject();
        if (withId)
        {
            w.WriteString("itemId", s.ItemId);
        }

        if (s.Status is { } status)
        {
            w.WriteString("status", Wire.Name(status));
        }

        WriteOrNull(w, "evidence", s.Evidence);
        WriteOrNull(w, "lastReviewed", s.LastReviewed is { } reviewed ? Date(reviewed) : null);

        w.WriteEndObject();
    }

    private static string Date(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>The acting municipalities: the first N of the catalog's order, spread over all prefectures when N is small.</summary>
    public static IReadOnlyList<MunicipalitySlot> CreateSlots(int count, int seed, TokenSource tokens)
    {
        var all = ReadinessCatalog.Instance.Municipalities;
        var chosen = count >= all.Count ? all : Enumerable.Range(0, count).Select(i => all[(int)((long)i * all.Count / count)]).ToList();
        return chosen.Select(m =>
        {
            var actor = new MunicipalityActor(m, seed);
            return new MunicipalitySlot(actor, tokens.Municipality(m.Code, actor.Subject));
        }).ToList();
    }
}

/// <summary>Issues work at a fixed rate (open loop) so that a slow server shows as latency, not as a politely lower rate.</summary>
public static class OpenLoop
{
    /// <summary>Runs <paramref name="issue"/> rate times per second for the duration; returns (offered, sent, skipped because saturated).</summary>
    public static async Task<(long Offered, long Sent, long Saturated)> RunAsync(double rate, TimeSpan duration, int maxInflight, Func<CancellationToken, Task<bool>> issue, CancellationToken cancellationToken)
    {
        using var inflight = new SemaphoreSlim(maxInflight, maxInflight);
        var clock = Stopwatch.StartNew();
        long offered = 0, sent = 0, saturated = 0;
        while (clock.Elapsed < duration && !cancellationToken.IsCancellationRequested)
        {
            var due = (long)(rate * clock.Elapsed.TotalSeconds);
            while (offered < due)
            {
                offered++;
                if (!inflight.Wait(0, CancellationToken.None))
                {
                    saturated++;
                    continue;
                }

                _ = Task.Run(async () =>
                {
                    try
                    {
                        if (await issue(cancellationToken))
                        {
                            Interlocked.Increment(ref sent);
                        }
                        else
                        {
                            Interlocked.Increment(ref saturated);
                        }
                    }
                    catch (OperationCanceledException)
                    {
                    }
                    catch (Exception ex)
                    {
                        Console.Error.WriteLine($"load: {ex.GetType().Name}: {ex.Message}");
                    }
                    finally
                    {
                        inflight.Release();
                    }
                }, CancellationToken.None);
            }

            await Task.Delay(2, CancellationToken.None);
        }

        // Drain: wait for everything in flight.
        for (var i = 0; i < maxInflight; i++)
        {
            await inflight.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        }

        return (offered, Interlocked.Read(ref sent), Interlocked.Read(ref saturated));
    }
}

/// <summary>Picks a municipality with nothing in flight, so the load spreads over the nation the way staff would.</summary>
public sealed class SlotPicker(IReadOnlyList<MunicipalitySlot> slots, int seed)
{
    private readonly ThreadLocal<Random> random = new(() => new Random(unchecked(seed + Environment.CurrentManagedThreadId)));

    public MunicipalitySlot? Enter()
    {
        var r = random.Value!;
        for (var tries = 0; tries < 16; tries++)
        {
            var slot = slots[r.Next(slots.Count)];
            if (slot.TryEnter())
            {
                return slot;
            }
        }

        return null;
    }
}
