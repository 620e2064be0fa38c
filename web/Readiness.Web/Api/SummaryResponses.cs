using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Readiness.Web.Api;

/// <summary>
/// Summary responses serialized (and compressed) once per version, however many readers ask: the nation view is
/// ~380 KiB of JSON, so building it per request made summary reads ~60x slower than a trivial endpoint.
/// The key is the aggregate's version and computation time; a new version replaces the old entry.
/// </summary>
public sealed class SummaryResponses(IOptions<JsonOptions> json)
{
    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);

    /// <summary>Writes the cached response for <paramref name="slot"/> at <paramref name="version"/>, building it with <paramref name="view"/> if needed.</summary>
    public Task WriteAsync<T>(HttpContext http, string slot, string version, Func<T> view)
    {
        var entry = entries.TryGetValue(slot, out var cached) && cached.Version == version
            ? cached
            : entries[slot] = new Entry(version, JsonSerializer.SerializeToUtf8Bytes(view(), json.Value.SerializerOptions));
        return entry.WriteAsync(http);
    }

    private sealed class Entry(string version, byte[] body)
    {
        // Fastest levels: a busy nation changes many times a second, and each version is compressed once.
        private readonly Lazy<byte[]> brotli = new(() => Compress(body, s => new BrotliStream(s, CompressionLevel.Fastest)));
        private readonly Lazy<byte[]> gzip = new(() => Compress(body, s => new GZipStream(s, CompressionLevel.Fastest)));

        public string Version { get; } = version;

        public Task WriteAsync(HttpContext http)
        {
            var etag = $"\"{Version}\"";
            var response = http.Response;
            response.Headers.ETag = etag;
            response.Headers.CacheControl = "private, no-cache";
            response.Headers.Vary = HeaderNames.AcceptEncoding;
            if (Preconditions.IsNotModified(http.Request, etag))
            {
                response.StatusCode = StatusCodes.Status304NotModified;
                return Task.CompletedTask;
            }

            var accept = http.Request.Headers.AcceptEncoding.ToString();
            var bytes = body;
            if (accept.Contains("br", StringComparison.OrdinalIgnoreCase))
            {
                bytes = brotli.Value;
                response.Headers.ContentEncoding = "br";
            }
            else if (accept.Contains("gzip", StringComparison.OrdinalIgnoreCase))
            {
                bytes = gzip.Value;
                response.Headers.ContentEncoding = "gzip";
            }

            response.ContentType = "application/json; charset=utf-8";
            response.ContentLength = bytes.Length;
            return response.Body.WriteAsync(bytes, http.RequestAborted).AsTask();
        }

        private static byte[] Compress(byte[] data, Func<Stream, Stream> wrap)
        {
            using var output = new MemoryStream();
            using (var compressor = wrap(output))
            {
                compressor.Write(data);
            }

            return output.ToArray();
        }
    }
}
