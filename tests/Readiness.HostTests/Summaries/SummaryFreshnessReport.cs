using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Readiness.Grains;
using Xunit.Abstractions;

namespace Readiness.HostTests.Summaries;

/// <summary>
/// Freshness of the summaries as a report (figures printed, no time limit asserted): changes accepted one after another
/// by a municipality grain of the embedded host, and for each the time from the grain's acknowledgement until
/// GET /api/v1/nation shows the new version and until the nation event of /api/v1/stream carries it. What the test
/// asserts is that every change reaches both. Output line: "Summary freshness: ...".
/// </summary>
[Collection(SummaryHostCollection.Name)]
public sealed class SummaryFreshnessReport(SummaryHost fixture, ITestOutputHelper output)
{
    private const int Changes = 25;

    [Fact]
    public async Task Every_accepted_change_reaches_the_API_summary_and_the_event_stream()
    {
        var host = fixture.Host;
        using var api = host.CreateNationalClient();
        using var stream = host.CreateNationalClient();
        stream.Timeout = Timeout.InfiniteTimeSpan;
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(5));

        var baseVersion = await FirstNationVersionAsync(api, cancel.Token);
        var seen = new List<(long Version, long At)>();
        var watcher = Task.Run(() => WatchAsync(stream, seen, cancel.Token), cancel.Token);
        while (Last(seen) < baseVersion)
        {
            await Task.Delay(10, cancel.Token); // the stream's first event: the state when it opened
        }

        var grain = host.Grains.GetGrain<IMunicipalityGrain>("131016");
        var actor = new Actor("freshness@city.chiyoda.lg.jp", Role.Municipality, "131016");
        var random = new Random(15);
        var apiMs = new List<double>();
        var streamMs = new List<double>();
        string? etag = null;
        for (var i = 0; i < Changes; i++)
        {
            // A pause of 0-400 ms, so the changes fall on every phase of the cache's poll.
            await Task.Delay(random.Next(0, 400), cancel.Token);
            var outcome = await grain.ApplyAsync(new ChangeRequest
            {
                RequestId = Guid.NewGuid().ToString("N"),
                Actor = actor,
                Security = [new SecurityChange { ItemId = "SEC-1-01", Status = i % 2 == 0 ? SecurityStatus.Implemented : SecurityStatus.Partial, Evidence = $"規程 第{i + 1}版" }],
            });
            var acknowledged = Stopwatch.GetTimestamp();
            Assert.Equal(ChangeStatus.Accepted, outcome.Status);
            var expected = baseVersion + i + 1;

            while (true)
            {
                (var version, etag) = await NationAsync(api, etag, cancel.Token);
                if (version >= expected)
                {
                    break;
                }

                await Task.Delay(5, cancel.Token); // a conditional GET every ~5 ms (304 while unchanged)
            }

            apiMs.Add(Stopwatch.GetElapsedTime(acknowledged).TotalMilliseconds);

            while (Last(seen) < expected)
            {
                await Task.Delay(1, cancel.Token);
            }

            lock (seen)
            {
                streamMs.Add(Stopwatch.GetElapsedTime(acknowledged, seen.First(s => s.Version >= expected).At).TotalMilliseconds);
            }
        }

        await cancel.CancelAsync();
        await Task.WhenAny(watcher);
        Assert.Equal(Changes, apiMs.Count);
        Assert.Equal(Changes, streamMs.Count);
        var report = $"{Changes} changes, acknowledgement → GET /api/v1/nation {Figures(apiMs)}; → /api/v1/stream nation event {Figures(streamMs)}";
        output.WriteLine(report);
        Console.WriteLine("Summary freshness: " + report);
    }

    private static string Figures(List<double> ms)
    {
        var sorted = ms.Order().ToList();
        return FormattableString.Invariant($"p50 {sorted[sorted.Count / 2]:0} ms, p90 {sorted[(int)(sorted.Count * 0.9)]:0} ms, max {sorted[^1]:0} ms, mean {sorted.Average():0} ms");
    }

    private static long Last(List<(long Version, long At)> seen)
    {
        lock (seen)
        {
            return seen.Count == 0 ? -1 : seen[^1].Version;
        }
    }

    /// <summary>The nation once the host has warmed up (a first start loads 1,741 municipalities; 503 until then).</summary>
    private static async Task<long> FirstNationVersionAsync(HttpClient api, CancellationToken cancellationToken)
    {
        while (true)
        {
            using var response = await api.GetAsync("/api/v1/nation", cancellationToken);
            if ((int)response.StatusCode < 500) // a first start on a busy machine can time out calls to activating grains
            {
                response.EnsureSuccessStatusCode();
                using var json = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(cancellationToken));
                return json.RootElement.GetProperty("version").GetInt64();
            }

            await Task.Delay(1000, cancellationToken);
        }
    }

    /// <summary>The nation's version; with the ETag held, a 304 answers cheaply while it has not changed.</summary>
    private static async Task<(long Version, string? ETag)> NationAsync(HttpClient api, string? etag, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/nation");
        if (etag is not null)
        {
            request.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Parse(etag));
        }

        using var response = await api.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotModified)
        {
            return (-1, etag);
        }

        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(cancellationToken));
        return (json.RootElement.GetProperty("version").GetInt64(), response.Headers.ETag?.ToString());
    }

    private static async Task WatchAsync(HttpClient stream, List<(long Version, long At)> seen, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await stream.GetAsync("/api/v1/stream?topic=nation", HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            response.EnsureSuccessStatusCode();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    var at = Stopwatch.GetTimestamp();
                    using var json = JsonDocument.Parse(line[6..]);
                    lock (seen)
                    {
                        seen.Add((json.RootElement.GetProperty("version").GetInt64(), at));
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
