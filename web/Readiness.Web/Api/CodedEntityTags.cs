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

    /// <summary>
    /// The tag a coded tag is made from (<c>"12-gzip"</c> → <c>"12"</c>, <c>W/"ab-br"</c> → <c>W/"ab"</c>); any other tag as
    /// it is. One coding only: a tag is coded once (<see cref="Coded"/>), so <c>"2-gzip-gzip"</c> names no tag of ours and
    /// stays as it is (it matches nothing). Uncoding twice gives what uncoding once gives.
    /// </summary>
    public static EntityTagHeaderValue Uncoded(EntityTagHeaderValue tag)
    {
        var inner = tag.Tag.AsSpan();
        if (CodingSuffix(inner) is not { } length)
        {
            return tag;
        }

        var made = string.Concat(inner[..^(length + 1)], "\"");
        return CodingSuffix(made) is null ? new EntityTagHeaderValue(new StringSegment(made), tag.IsWeak) : tag;
    }

    /// <summary>The length of the "-coding" that ends the quoted tag <paramref name="quoted"/> before its closing quote, after at least one character; null when none does.</summary>
    private static int? CodingSuffix(ReadOnlySpan<char> quoted)
    {
        foreach (var coding in Codings)
        {
            // "-gzip" after at least one character inside the quotes: "\"-gzip\"" stays as it is.
            if (quoted.Length > coding.Length + 3 && quoted[^(coding.Length + 2)] == '-' && quoted[^(coding.Length + 1)..^1].SequenceEqual(coding))
            {
                return coding.Length + 1;
            }
        }

        return null;
    }

    /// <summary>
    /// Middleware, outside the response compression: rewrites the ETag of a coded answer as its headers go out, and
    /// hands the handlers that compare tags themselves (the Orleans Dashboard's files) If-None-Match and If-Match with
    /// the coded forms read as the tags they are made from.
    /// </summary>
    public static Task Mark(HttpContext http, RequestDelegate next)
    {
        // Once a request: a page's error re-executes the pipeline (UseStatusCodePagesWithReExecute), and a second
        // callback would code the tag twice ("12-gzip-gzip").
        if (!http.Items.TryAdd(MarkedKey, true))
        {
            return next(http);
        }

        var request = http.Request.Headers;
        var (sentIfMatch, sentIfNoneMatch) = (request.IfMatch, request.IfNoneMatch);
        if ((HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method)) && !http.Request.Path.StartsWithSegments(Operations.OperationsApi.DashboardPath))
        {
            // A read matches a tag only to the answer it would get: "12-gzip" is the gzip body's, not the identity
            // body's, and "12" not the gzip body's (a breaker's finding: either revalidated the other, so a cache kept
            // the stored body of one coding under the 304 of the other). If-None-Match is compared weakly, so W/ is
            // dropped here for the handlers that compare strongly (the static files did: W/"x" did not match "x").
            var coding = AnswerCoding(http);
            request.IfNoneMatch = ForAnswer(request.IfNoneMatch, coding, weakAsStrong: true);
            request.IfMatch = ForAnswer(request.IfMatch, coding, weakAsStrong: false);
        }
        else
        {
            // A write's If-Match names a version whatever coding its tag was read in ("12-gzip" is version 12); the
            // Orleans Dashboard picks its coding itself, so its files take either form.
            request.IfNoneMatch = UncodedHeader(request.IfNoneMatch);
            request.IfMatch = UncodedHeader(request.IfMatch);
        }

        // The headers were parsed and kept before this (ConditionalHeaders.Enforce's 400 check). Kept when this left them
        // as they came (most requests: one parse); dropped, and made again on demand from the rewritten headers, when it
        // rewrote either ("125a-gzip" must not revalidate the identity CSV through the parse of the header as sent).
        if ((!StringValues.Equals(sentIfMatch, request.IfMatch) || !StringValues.Equals(sentIfNoneMatch, request.IfNoneMatch))
            && http.Features.Get<RequestConditions>() is not null)
        {
            http.Features.Set<RequestConditions>(null);
        }

        http.Response.OnStarting(static state =>
        {
            var context = (HttpContext)state;
            var headers = context.Response.Headers;
            if (headers.ETag is [{ } tag] && Coding(context) is { } coding)
            {
                headers.ETag = Coded(tag, coding);
            }

            // RFC 9110 §12.5.5: an answer whose representation the coding chooses says so whatever the request offered;
            // the response compression says it only when the request named a coding (a breaker's finding: a 200 sent
            // without Accept-Encoding had no Vary, so a cache could hand that identity body's tag to a gzip request).
            if (VariesByCoding(context) && !headers.Vary.Any(v => v?.Split(',').Any(f => f.Trim().Equals(HeaderNames.AcceptEncoding, StringComparison.OrdinalIgnoreCase) || f.Trim() == "*") == true))
            {
                headers.Append(HeaderNames.Vary, HeaderNames.AcceptEncoding);
            }

            return Task.CompletedTask;
        }, http);
        return next(http);
    }

    private static readonly object MarkedKey = new();

    /// <summary>A tag no answer of ours carries: what a tag of another coding becomes, so that it matches nothing.</summary>
    private const string NoAnswersTag = "\"-\"";

    /// <summary>
    /// The coding the 200 to this read would be sent in, decided before it is made: the request's choice of br or gzip
    /// (<see cref="CompressedPayload.Encoding"/>) when the media type is one the response compression compresses (the
    /// endpoint's declared 200 type, JSON when it declares none; a static file's by its name), else identity (null).
    /// The 304's tag is coded by the same rule (<see cref="Coding"/>).
    /// </summary>
    private static string? AnswerCoding(HttpContext http)
    {
        if (CompressedPayload.Encoding(http.Request.Headers.AcceptEncoding) is not { } coding)
        {
            return null;
        }

        if (http.GetEndpoint() is { } endpoint)
        {
            var declared = endpoint.Metadata.OfType<Microsoft.AspNetCore.Http.Metadata.IProducesResponseTypeMetadata>()
                .Where(p => p.StatusCode == StatusCodes.Status200OK).SelectMany(p => p.ContentTypes).ToList();
            return declared.Count == 0 || declared.Any(t => IsCompressedType(http, t)) ? coding : null;
        }

        return StaticFileTypes.TryGetContentType(http.Request.Path.Value ?? string.Empty, out var type) && IsCompressedType(http, type) ? coding : null;
    }

    private static readonly Microsoft.AspNetCore.StaticFiles.FileExtensionContentTypeProvider StaticFileTypes = new();

    /// <summary>Whether the response compression compresses <paramref name="type"/> (parameters ignored).</summary>
    private static bool IsCompressedType(HttpContext http, string type)
    {
        var compressed = http.RequestServices.GetRequiredService<IOptions<ResponseCompressionOptions>>().Value.MimeTypes ?? ResponseCompressionDefaults.MimeTypes;
        return compressed.Contains(type.Split(';')[0].Trim(), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>
    /// A conditional header of a read as the handlers compare it: each tag of the answer's <paramref name="coding"/> as
    /// the tag it is made from, each tag of another coding (or of identity, when the answer is coded) as a tag that
    /// matches nothing; with <paramref name="weakAsStrong"/> (If-None-Match, compared weakly) without its W/. As it is
    /// when absent, "*" or malformed (<see cref="ConditionalHeaders"/> refuses that first).
    /// </summary>
    private static StringValues ForAnswer(StringValues header, string? coding, bool weakAsStrong)
    {
        if (StringValues.IsNullOrEmpty(header) || !Preconditions.TryParseAsSent(header, out var tags) || tags is not { Count: > 0 })
        {
            return header;
        }

        return string.Join(", ", tags.Select(t =>
        {
            var made = Uncoded(t);
            var tagCoding = ReferenceEquals(made, t) ? null : t.Tag.AsSpan()[(made.Tag.Length)..^1].ToString();
            if (!string.Equals(tagCoding, coding, StringComparison.Ordinal))
            {
                return NoAnswersTag;
            }

            return weakAsStrong || !made.IsWeak ? made.Tag.ToString() : "W/" + made.Tag.ToString();
        }));
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

    /// <summary>
    /// The coding of the answer: the Content-Encoding sent, or for an answer without the representation (a 304, a 412,
    /// a HEAD) the one the 200 (the GET) would have been sent in, so that its tag is the tag of that 200.
    /// </summary>
    private static string? Coding(HttpContext http)
    {
        var response = http.Response;
        if (response.Headers.ContentEncoding is [{ } sent] && !sent.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            return sent;
        }

        return StandsForTheRepresentation(http) && CompressedPayload.Encoding(http.Request.Headers.AcceptEncoding) is { } coding
            && Compressible(http, bodyless: true) ? coding : null;
    }

    /// <summary>
    /// True when the answer's body (or the 200 it stands for) would be sent compressed to a request offering gzip or br:
    /// a Content-Encoding was sent, or its media type is one the response compression compresses.
    /// </summary>
    private static bool VariesByCoding(HttpContext http) =>
        http.Response.Headers.ContentEncoding.Count > 0
        || IsPartOfCompressedType(http)
        || (StandsForTheRepresentation(http) ? Compressible(http, bodyless: true) : Compressible(http, bodyless: false))
        || ChoosesItsOwnCoding(http);

    /// <summary>
    /// A 206 (a static file's range) is a part of the identity body, sent so because a Range was asked; the same request
    /// without it gets the coded body, so the part varies by Accept-Encoding too (a breaker's finding: its 206 had no Vary).
    /// Its tag stays the identity body's, the one an If-Range for it must name.
    /// </summary>
    private static bool IsPartOfCompressedType(HttpContext http) =>
        http.Response.StatusCode == StatusCodes.Status206PartialContent && http.Response.ContentType is { Length: > 0 } type && IsCompressedType(http, type);

    /// <summary>
    /// The Orleans Dashboard's files (a library's handler) pick their coding themselves, whatever their media type (its
    /// favicon.ico went out in gzip): every answer of theirs that is or stands for a file varies by Accept-Encoding.
    /// </summary>
    private static bool ChoosesItsOwnCoding(HttpContext http) =>
        http.Request.Path.StartsWithSegments(Operations.OperationsApi.DashboardPath)
        && http.Response.StatusCode is StatusCodes.Status200OK or StatusCodes.Status304NotModified or StatusCodes.Status412PreconditionFailed;

    /// <summary>
    /// An answer that carries the representation's metadata without its body: a 304, a HEAD's 200, and a 412 (its
    /// body is a problem, its ETag the current representation's, RFC 9110 §15.5.13).
    /// </summary>
    private static bool StandsForTheRepresentation(HttpContext http)
    {
        var response = http.Response;
        return response.StatusCode is StatusCodes.Status304NotModified
            || (response.StatusCode == StatusCodes.Status412PreconditionFailed && response.Headers.ETag.Count > 0)
            || (HttpMethods.IsHead(http.Request.Method) && response.StatusCode == StatusCodes.Status200OK);
    }

    /// <summary>
    /// Whether the response compression compresses the answer's media type: its own (a body sent; a static file's 304),
    /// else for an answer standing for a 200 (<paramref name="bodyless"/>) the one the endpoint declares for 200. An
    /// endpoint that declares none answers JSON (the API's reads). A 412's own type is its problem's, not the 200's.
    /// </summary>
    private static bool Compressible(HttpContext http, bool bodyless)
    {
        var response = http.Response;
        if (response.Headers.ContentRange.Count > 0)
        {
            return false;
        }

        var compressed = http.RequestServices.GetRequiredService<IOptions<ResponseCompressionOptions>>().Value.MimeTypes ?? ResponseCompressionDefaults.MimeTypes;
        bool Is(string type) => compressed.Contains(type.Split(';')[0].Trim(), StringComparer.OrdinalIgnoreCase);
        if (response.ContentType is { Length: > 0 } own && (!bodyless || response.StatusCode != StatusCodes.Status412PreconditionFailed))
        {
            return Is(own);
        }

        if (!bodyless || http.GetEndpoint() is not { } endpoint)
        {
            return false;
        }

        var declared = endpoint.Metadata.OfType<Microsoft.AspNetCore.Http.Metadata.IProducesResponseTypeMetadata>()
            .Where(p => p.StatusCode == StatusCodes.Status200OK).SelectMany(p => p.ContentTypes).ToList();
        return declared.Count == 0 || declared.Any(Is);
    }
}
