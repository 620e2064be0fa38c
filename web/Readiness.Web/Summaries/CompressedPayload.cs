using System.IO.Compression;
using Microsoft.Net.Http.Headers;

namespace Readiness.Web.Summaries;

/// <summary>
/// The one way this node serves a body it made itself (API summaries, map data, map geometry): serialized once,
/// compressed once per encoding on first request (brotli, gzip), then served to every reader with an ETag, so a
/// thousand viewers cost one serialization and revisits cost a 304.
/// </summary>
public sealed class CompressedPayload
{
    private readonly Lazy<byte[]> brotli;
    private readonly Lazy<byte[]> gzip;

    /// <param name="body">The uncompressed bytes.</param>
    /// <param name="contentType">The Content-Type header.</param>
    /// <param name="etag">A quoted strong ETag; by default a hash of the body.</param>
    /// <param name="level">
    /// <see cref="CompressionLevel.SmallestSize"/> for what is made once or rarely (the map geometry, the map data);
    /// <see cref="CompressionLevel.Fastest"/> for what a busy nation replaces several times a second (the ~380 KiB nation
    /// view: brotli at its smallest size takes about a second of CPU for it).
    /// </param>
    public CompressedPayload(byte[] body, string contentType, string? etag = null, CompressionLevel level = CompressionLevel.SmallestSize)
    {
        Body = body;
        ContentType = contentType;
        ETag = etag ?? Api.Preconditions.ContentETag(body);
        brotli = new Lazy<byte[]>(() => Compress(body, s => new BrotliStream(s, level)));
        gzip = new Lazy<byte[]>(() => Compress(body, s => new GZipStream(s, level)));
    }

    public byte[] Body { get; }

    public string ContentType { get; }

    /// <summary>A quoted strong ETag; also a content hash usable as a cache-busting version.</summary>
    public string ETag { get; }

    public string Version => ETag.Trim('"');

    public int BrotliLength => brotli.Value.Length;

    public int GzipLength => gzip.Value.Length;

    /// <summary>
    /// Writes the body in the best encoding the client accepts. The conditions are those of every other read
    /// (<see cref="Api.Preconditions.ForRead"/>): 304 when the client already has it, 412 for a failing If-Match, 400
    /// (problem details) for a header that is not a list of entity tags.
    /// </summary>
    public Task WriteAsync(HttpContext http, string cacheControl)
    {
        var response = http.Response;
        var conditional = Api.Preconditions.ForRead(http, ETag);
        if (conditional is null or IStatusCodeHttpResult { StatusCode: StatusCodes.Status304NotModified })
        {
            // The representation or its 304; a refusal keeps the no-store ForRead gave it.
            response.Headers.CacheControl = cacheControl;
            response.Headers.Vary = HeaderNames.AcceptEncoding;
        }

        if (conditional is not null)
        {
            return conditional.ExecuteAsync(http);
        }

        byte[] bytes;
        switch (Encoding(http.Request.Headers.AcceptEncoding))
        {
            case "br":
                bytes = brotli.Value;
                response.Headers.ContentEncoding = "br";
                break;
            case "gzip":
                bytes = gzip.Value;
                response.Headers.ContentEncoding = "gzip";
                break;
            default:
                bytes = Body;
                break;
        }

        response.ContentType = ContentType;
        response.ContentLength = bytes.Length;
        return http.Request.Method == HttpMethods.Head ? Task.CompletedTask : response.Body.WriteAsync(bytes, http.RequestAborted).AsTask();
    }

    /// <summary>
    /// The coding to send for an Accept-Encoding header (RFC 9110 §12.5.3): "br", "gzip" or null (identity). A coding is
    /// acceptable when named, or covered by "*", with a q-value above 0 ("gzip;q=0" refuses gzip); of the acceptable
    /// ones the highest q wins, brotli on a tie (smaller). Unparseable members are ignored.
    /// </summary>
    public static string? Encoding(Microsoft.Extensions.Primitives.StringValues acceptEncoding)
    {
        if (!StringWithQualityHeaderValue.TryParseList(acceptEncoding, out var offers) || offers.Count == 0)
        {
            return null;
        }

        double Quality(string coding)
        {
            var named = offers.FirstOrDefault(o => o.Value.Equals(coding, StringComparison.OrdinalIgnoreCase));
            var offer = named ?? offers.FirstOrDefault(o => o.Value.Equals("*", StringComparison.Ordinal));
            return offer is null ? 0 : offer.Quality ?? 1;
        }

        var (br, gzip) = (Quality("br"), Quality("gzip"));
        return br > 0 && br >= gzip ? "br" : gzip > 0 ? "gzip" : null;
    }

    private static byte[] Compress(byte[] body, Func<Stream, Stream> wrap)
    {
        using var output = new MemoryStream();
        using (var compressor = wrap(output))
        {
            compressor.Write(body);
        }

        return output.ToArray();
    }
}
