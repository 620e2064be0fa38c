using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Readiness.LoadTests;

/// <summary>
/// The final audit: for every municipality, its history (GET .../history, paged, newest first, down to the version it had
/// before the run) must hold every acknowledged request exactly once, at one version, and its version must have grown
/// by exactly the number of requests the server applied.
/// </summary>
public static class Audit
{
    public static async Task<AuditFigures> RunAsync(HttpClient http, IReadOnlyList<MunicipalitySlot> slots, Recorder recorder, CancellationToken cancellationToken)
    {
        long acknowledged = 0, found = 0, lost = 0, twice = 0, versionMismatch = 0, unacknowledgedApplied = 0, countMismatch = 0;
        var examples = new ConcurrentQueue<string>();
        await Parallel.ForEachAsync(slots.Where(s => !s.Acknowledged.IsEmpty), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (slot, ct) =>
        {
            var versionsById = new Dictionary<string, HashSet<long>>(StringComparer.Ordinal);
            long current = -1;
            string? cursor = null;
            do
            {
                var url = $"api/v1/municipalities/{slot.Code}/history?limit=200" + (cursor is null ? string.Empty : "&cursor=" + Uri.EscapeDataString(cursor));
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                request.Headers.Authorization = slot.Authorization;
                var started = Stopwatch.GetTimestamp();
                using var response = await http.SendAsync(request, ct);
                var body = await response.Content.ReadAsByteArrayAsync(ct);
                recorder["GET history (audit)"].Record(Stopwatch.GetElapsedTime(started), Writers.Status(response));
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    throw new InvalidOperationException($"History of {slot.Code} answered {(int)response.StatusCode}.");
                }

                using var json = JsonDocument.Parse(body);
                var root = json.RootElement;
                if (current < 0)
                {
                    current = root.GetProperty("version").GetInt64();
                }

                var older = false;
                foreach (var item in root.GetProperty("items").EnumerateArray())
                {
                    var version = item.GetProperty("version").GetInt64();
                    if (version <= slot.InitialVersion)
                    {
                        older = true;
                        break;
                    }

                    var id = item.GetProperty("requestId").GetString()!;
                    if (!versionsById.TryGetValue(id, out var set))
                    {
                        versionsById[id] = set = [];
                    }

                    set.Add(version);
                }

                cursor = older || root.GetProperty("nextCursor").ValueKind == JsonValueKind.Null ? null : root.GetProperty("nextCursor").GetString();
            }
            while (cursor is not null);

            var acks = slot.Acknowledged.ToArray();
            var distinct = acks.Select(a => a.RequestId).Distinct(StringComparer.Ordinal).ToList();
            Interlocked.Add(ref acknowledged, distinct.Count);
            foreach (var ack in acks.DistinctBy(a => a.RequestId))
            {
                if (!versionsById.TryGetValue(ack.RequestId, out var versions))
                {
                    Interlocked.Increment(ref lost);
                    examples.Enqueue($"lost: {slot.Code} {ack.RequestId} (acknowledged as version {ack.Version})");
                    continue;
                }

                Interlocked.Increment(ref found);
                if (versions.Count > 1)
                {
                    Interlocked.Increment(ref twice);
                    examples.Enqueue($"applied twice: {slot.Code} {ack.RequestId} at versions {string.Join(',', versions)}");
                }

                if (acks.Where(a => a.RequestId == ack.RequestId && !a.Replayed).Any(a => !versions.Contains(a.Version)))
                {
                    Interlocked.Increment(ref versionMismatch);
                    examples.Enqueue($"version differs: {slot.Code} {ack.RequestId} acknowledged {ack.Version}, history {string.Join(',', versions)}");
                }
            }

            // Applied requests the client never heard back about (it gave up): not an error, but they explain the count.
            var extra = versionsById.Keys.Except(distinct, StringComparer.Ordinal).Count();
            Interlocked.Add(ref unacknowledgedApplied, extra);
            if (current - slot.InitialVersion != versionsById.Count)
            {
                Interlocked.Increment(ref countMismatch);
                examples.Enqueue($"count: {slot.Code} went from version {slot.InitialVersion} to {current} but its history holds {versionsById.Count} requests");
            }
        });

        var detail = $"{slots.Count(s => !s.Acknowledged.IsEmpty)} municipalities checked; versions differing from the acknowledged ETag: {versionMismatch}; "
            + $"applied but never acknowledged to the client (it gave up waiting): {unacknowledgedApplied}; municipalities whose version growth differs from their applied requests: {countMismatch}"
            + (examples.IsEmpty ? string.Empty : "; e.g. " + string.Join(" | ", examples.Take(5)));
        return new AuditFigures(acknowledged, found, lost, twice, detail) { VersionMismatches = versionMismatch, CountMismatches = countMismatch };
    }
}
