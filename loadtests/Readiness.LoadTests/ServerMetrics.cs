using System.Globalization;

namespace Readiness.LoadTests;

/// <summary>
/// Reads the server's own runtime figures from its Prometheus endpoint (/metrics, the .NET runtime meter through
/// OpenTelemetry): bytes allocated by the server's process since it started, and its GC heap after the last collection.
/// For the embedded default that is the whole product; for the cluster, the web node only.
/// </summary>
public static class ServerMetrics
{
    /// <summary>dotnet.gc.heap.total_allocated (bytes allocated on the managed heap since the process started).</summary>
    public const string Allocated = "dotnet_gc_heap_total_allocated_bytes_total";

    /// <summary>dotnet.gc.last_collection.heap.size (bytes, summed over the generations).</summary>
    public const string HeapAfterLastCollection = "dotnet_gc_last_collection_heap_size_bytes";

    /// <summary>The sum of a metric's samples over their label sets, or null when the endpoint or the metric is missing.</summary>
    public static async Task<double?> ReadAsync(HttpClient http, string metric, CancellationToken cancellationToken = default)
    {
        try
        {
            using var response = await http.GetAsync(new Uri("/metrics", UriKind.Relative), cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            return Sum(await response.Content.ReadAsStringAsync(cancellationToken), metric);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>Sums the samples of <paramref name="metric"/> in Prometheus text format (lines "name{labels} value [time]").</summary>
    public static double? Sum(string exposition, string metric)
    {
        double? total = null;
        foreach (var line in exposition.Split('\n'))
        {
            if (!line.StartsWith(metric, StringComparison.Ordinal) || line.Length == metric.Length || line[metric.Length] is not ('{' or ' '))
            {
                continue;
            }

            var value = line[(line.LastIndexOf('}') is var brace and >= 0 ? brace + 1 : metric.Length)..].Trim().Split(' ')[0];
            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            {
                total = (total ?? 0) + v;
            }
        }

        return total;
    }
}
