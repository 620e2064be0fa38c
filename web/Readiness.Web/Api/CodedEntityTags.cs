using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Readiness.Web.Summaries;

namespace Readiness.Web.Api;

/// <summary>
/// One strong entity tag per representation (RFC 9110 §8.8.3): a body sent with a content-coding is another
/// representation than the identity body, so its tag carries the coding: <c>"12"</c> identity, <c>"12-gzip"</c> gzip,
/// <c>"12-br"</c> brotli (as Apache's <c>-gzip</c>). Every tagged answer gets it in one place, when its headers are sent:
/// the versioned reads, the content-hashed reads, the CSV exports, the precompressed summaries and a write's 200.
/// A 304 (and a HEAD) carries the tag the 200 (the GET) would have carried for the same request (its Accept-Encoding and, when the endpoint
/// declares it, its media type: an .xlsx is never compressed). If-Match and If-None-Match take every coded form as the
/// tag it is made from (<see cref="Uncoded"/>), so a 304 and a conditional write work with a tag read through gzip.
/// Before (2026-12) one strong tag was sent for gzip, br and identity alike.
/// </summary>
public static class CodedEntityTags
{
    /// <summary>The codings that mark a tag (the response compression's and <see cref="CompressedPayload"/>'s).</summary>
    private static readonly string[] Codings = ["gzip", "br"];

    /// <summary>
    /// <paramref name="tag"/> (a quoted strong tag) for a body in <paramref name="coding"/>: <c>"12"</c> → <c>"12-gzip"</c>;
    /// unchanged for identity (null) or a weak tag (a weak tag already says "not byte for byte").
    /// </summary>
    public static string Coded(string tag, string? coding) =>
        coding is null || tag.Length < 2 || tag.StartsWith("W/", StringComparison.Ordinal) || tag[^1] != '"'
            ? tag
            : $"{tag[..^1]}-{coding}\"";

    /// <summary>The tag a coded tag is made from (<c>"12-gzip"</c> → <c>"12"</c>, <c>W/"ab-br"</c> → <c>W/"ab"</c>); any other tag as it is.</summary>
    public static EntityTagHeaderValue Uncoded(EntityTagHeaderValue tag)
    {
        var inner = tag.Tag.AsSpan();
        foreach (var coding in Codings)
        {
            // "-gzip" after at least one character inside the quotes: "\"-gzip\"" stays as it is.
            if (inner.Length > coding.Length + 3 && inner[^(coding.Length + 2)] == '-' && inner[^(coding.Length + 1)..^1].SequenceEqual(coding))
            {
                return new EntityTagHeaderValue(new StringSegment(string.Concat(inner[..^(coding.Length + 2)], "\"")), tag.IsWeak);
            }
        }

        return tag;
    }

    /// <summary>
    /// Middleware, outside the response compression: rewrites the ETag of a coded answer as its headers go out, and
    /// hands the handlers that compare tags themselves (the Orleans Dashboard's files) If-None-Match and If-Match with
    /// the coded forms read as the tags they are made from.
    /// </summary>
    public static Task Mark(HttpContext http, RequestDelegate next)
    {
        var request = http.Request.Headers;
        request.IfNoneMatch = UncodedHeader(request.IfNoneMatch);
        request.IfMatch = UncodedHeader(request.IfMatch);
        http.Response.OnStarting(static state =>
        {
            var context = (HttpContext)state;
            var headers = context.Response.Headers;
            if (headers.ETag is [{ } tag] && Coding(context) is { } coding)
            {
                headers.ETag = Coded(tag, coding);
            }

            return Task.CompletedTask;
        }, http);
        return next(http);
    }

    /// <summary>A conditional header with its coded tags uncoded; as it is when it names none (or is not a list of tags).</summary>
    private static StringValues UncodedHeader(StringValues header)
    {
        if (!header.Any(l => l is not null && Codings.Any(c => l.Contains($"-{c}\"", StringComparison.Ordinal)))
            || !Preconditions.TryParse(header, out var tags) || tags is null)
        {
            return header;
        }

        return string.Join(", ", tags.Select(t => t.ToString()));
    }

    /// <summary>The coding of the answer: the Content-Encoding sent, or for a 304 (or a HEAD) the one its 200 (its GET) would have been sent in.</summary>
    private static string? Coding(HttpContext http)
    {
        var response = http.Response;
        if (response.Headers.ContentEncoding is [{ } sent] && !sent.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            return sent;
        }

        // A body not sent (a 304, a HEAD) is tagged as the body it stands for would have been.
        var bodyless = response.StatusCode == StatusCodes.Status304NotModified
            || (HttpMethods.IsHead(http.Request.Method) && response.StatusCode == StatusCodes.Status200OK);
        if (!bodyless || CompressedPayload.Encoding(http.Request.Headers.AcceptEncoding) is not { } coding)
        {
            return null;
        }

        // The 200's media type: the 304's own (a static file's), else the one the endpoint declares; compressed only when
        // the response compression compresses it. An endpoint that declares none answers JSON (the API's reads).
        var compressed = http.RequestServices.GetRequiredService<IOptions<ResponseCompressionOptions>>().Value.MimeTypes ?? ResponseCompressionDefaults.MimeTypes;
        bool Compressible(string type) => compressed.Contains(type.Split(';')[0].Trim(), StringComparer.OrdinalIgnoreCase);
        if (response.ContentType is { Length: > 0 } own)
        {
            return Compressible(own) ? coding : null;
        }

        if (http.GetEndpoint() is not { } endpoint)
        {
            return null;
        }

        var declared = endpoint.Metadata.OfType<Microsoft.AspNetCore.Http.Metadata.IProducesResponseTypeMetadata>()
            .Where(p => p.StatusCode == StatusCodes.Status200OK).SelectMany(p => p.ContentTypes).ToList();
        return declared.Count == 0 || declared.Any(Compressible) ? coding : null;
    }
}
