using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Readiness.Web.Api;

/// <summary>
/// One reading of the conditional headers of a GET or HEAD for every kind of resource (the API's reads, the pages, the
/// static files, the CSV exports, the Orleans Dashboard), before any handler sees them (a breaker's finding, round 43:
/// the API refused a malformed tag, the static files and pages ignored it, and the static files let a malformed If-Range
/// through to a 206):
/// <list type="bullet">
/// <item>If-Match / If-None-Match that is not a list of entity tags (RFC 9110 §8.8.3; <see cref="Preconditions.TryParse"/>):
/// 400 <c>invalid_if_match</c> / <c>invalid_if_none_match</c> naming the header, problem details in Japanese and
/// English, <c>Cache-Control: no-store</c>, on a page and a static file as on the API (a browser only ever sends back
/// the tag it received, so a malformed one is a program's mistake, told as the API tells it).</item>
/// <item>If-Range that is neither one strong entity tag nor an HTTP-date, or a weak tag: a condition that does not
/// hold, so the Range is dropped and the whole representation is sent (§13.1.5: a part only when the validator
/// matches strongly).</item>
/// <item>If-Modified-Since / If-Unmodified-Since that is not an HTTP-date: ignored, as §13.1.3 and §13.1.4 require.</item>
/// </list>
/// </summary>
public static class ConditionalHeaders
{
    /// <summary>Middleware, before the static files and every endpoint: the 400 for a malformed tag list, nothing else refused.</summary>
    public static Task Enforce(HttpContext http, RequestDelegate next)
    {
        var request = http.Request;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            // A write reads If-Match itself (Preconditions.ReadIfMatch), after its own refusals.
            return next(http);
        }

        var headers = request.Headers;
        // Parsed once and kept on the request (Preconditions.Conditions): the read's own comparison uses the same parse.
        // Without either header (most GETs) nothing is parsed or kept.
        if (headers.IfMatch.Count > 0 || headers.IfNoneMatch.Count > 0)
        {
            var conditions = Preconditions.Conditions(http);
            if (!conditions.Valid)
            {
                var name = conditions.IfMatchValid ? HeaderNames.IfNoneMatch : HeaderNames.IfMatch;
                http.Response.Headers.CacheControl = "no-store";
                return Preconditions.MalformedHeader(name, headers[name]).ExecuteAsync(http);
            }
        }

        if (headers.IfRange.Count > 0 && !IsValidator(headers.IfRange))
        {
            headers.Range = StringValues.Empty;
        }

        return next(http);
    }

    /// <summary>
    /// An If-Range that can match (§13.1.5): one strong entity tag by the grammar of §8.8.3, or an HTTP-date. A weak tag
    /// never matches (the strong comparison), so it counts as not matching too.
    /// </summary>
    public static bool IsValidator(StringValues ifRange)
    {
        if (ifRange is not [{ } value] || string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        value = value.Trim();
        if (value.StartsWith('"') || value.StartsWith("W/", StringComparison.Ordinal) || value.StartsWith("w/", StringComparison.Ordinal))
        {
            return Preconditions.TryParse(value, out var tags) && tags is [{ IsWeak: false }];
        }

        return HeaderUtilities.TryParseDate(value, out _);
    }

    /// <summary>
    /// Endpoint convention for the dashboard's pages, which send no entity tag (each render is made for its reader):
    /// the conditions of RFC 9110 §13.1.1 and §13.1.2 for a resource that exists but has no tag. On a GET or HEAD,
    /// <c>If-Match</c> with a list of tags never matches (none is the page's): 412 <c>precondition_failed</c> naming
    /// If-Match, <c>Cache-Control: no-store</c>; <c>If-Match: *</c> holds. <c>If-None-Match: *</c> matches (the page
    /// exists): 304 with <c>Cache-Control: private, no-cache</c> and no body; a list of tags never matches.
    /// Only where the page's own answer is 2xx (§13.2.1: conditions are ignored where the answer without them would be
    /// anything else): a page that renders its not-found answer (an unknown prefecture), sends the reader elsewhere, or
    /// is the not-found page shown for a 404/403 (a re-execution) answers as it would without them. So a request whose
    /// conditions could answer is rendered into a buffer first and the buffer sent unless the render came out 2xx; the
    /// rest (no such header, a list of tags in If-None-Match) is not buffered. Round 45: GET /nope with
    /// <c>If-None-Match: *</c> was 304, with <c>If-Match</c> 412, and so a page the reader may not see.
    /// </summary>
    public static void AnswersUntaggedConditions(EndpointBuilder endpoint)
    {
        if (endpoint.Metadata.OfType<Microsoft.AspNetCore.Components.Endpoints.ComponentTypeMetadata>().Any() && endpoint.RequestDelegate is { } page)
        {
            endpoint.RequestDelegate = http => Untagged(http) is not Condition.None && http.Features.Get<Microsoft.AspNetCore.Diagnostics.IStatusCodeReExecuteFeature>() is null
                ? AnswerUntaggedAsync(http, page)
                : page(http);
        }
    }

    /// <summary>What the conditions of a GET or HEAD of an untagged resource decide, if it is there to be read.</summary>
    private enum Condition
    {
        /// <summary>No condition that can answer: the resource itself.</summary>
        None,

        /// <summary>If-Match with a list of tags: 412.</summary>
        MatchFails,

        /// <summary>If-None-Match: *: 304.</summary>
        NoneMatchHolds,
    }

    private static Condition Untagged(HttpContext http)
    {
        var request = http.Request;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            return Condition.None;
        }

        // Enforce has refused a malformed list already, and kept the parse.
        var headers = request.Headers;
        if (StringValues.IsNullOrEmpty(headers.IfMatch) && StringValues.IsNullOrEmpty(headers.IfNoneMatch))
        {
            return Condition.None;
        }

        var conditions = Preconditions.Conditions(http);
        if (conditions is { IfMatchValid: true, IfMatch: { Count: > 0 } })
        {
            return Condition.MatchFails;
        }

        return conditions is { IfNoneMatchValid: true, IfNoneMatch: null } && !StringValues.IsNullOrEmpty(headers.IfNoneMatch)
            ? Condition.NoneMatchHolds
            : Condition.None;
    }

    /// <summary>
    /// Renders the page into memory; a 2xx render is replaced by the conditions' 412 or 304, anything else (404, 403,
    /// a redirect, a 5xx) is sent as rendered. Pages are small (tens of kB), and only a request with such a header pays.
    /// </summary>
    private static async Task AnswerUntaggedAsync(HttpContext http, RequestDelegate page)
    {
        var sent = http.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        using var buffer = new MemoryStream();
        var rendered = new StreamResponseBodyFeature(buffer, sent);
        http.Features.Set<IHttpResponseBodyFeature>(rendered);
        try
        {
            await page(http);
            await rendered.CompleteAsync();
        }
        finally
        {
            http.Features.Set(sent);
        }

        var response = http.Response;
        if (response.StatusCode is >= 200 and < 300)
        {
            response.Headers.ContentLength = null;
            response.Headers.ContentType = default;
            if (Untagged(http) is Condition.MatchFails)
            {
                response.Headers.CacheControl = "no-store";
                await Preconditions.PreconditionFailed(HeaderNames.IfMatch).ExecuteAsync(http);
                return;
            }

            response.Headers.CacheControl = Preconditions.RevalidateEachTime;
            if (!response.Headers.Vary.ToString().Contains(HeaderNames.AcceptEncoding, StringComparison.OrdinalIgnoreCase))
            {
                response.Headers.Append(HeaderNames.Vary, HeaderNames.AcceptEncoding);
            }

            await Results.StatusCode(StatusCodes.Status304NotModified).ExecuteAsync(http);
            return;
        }

        // Nothing rendered (a status for the status pages to fill): send nothing, so they still can.
        if (buffer.Length > 0)
        {
            buffer.Position = 0;
            await buffer.CopyToAsync(response.Body, http.RequestAborted);
        }
    }

    /// <summary>
    /// The static files' <c>OnPrepareResponse</c> part for a 412: the file's current ETag, which the static file
    /// middleware leaves off answers of 400 and above (RFC 9110 §15.5.13: a 412 should say what is current, so the
    /// client can read it again). The tag as that middleware makes it: the last write time (whole seconds, UTC, as a
    /// file time) XOR the length, in hex. Round 44: the 412 carried none.
    /// </summary>
    public static void TagPreconditionFailed(Microsoft.AspNetCore.StaticFiles.StaticFileResponseContext context)
    {
        var response = context.Context.Response;
        if (response.StatusCode != StatusCodes.Status412PreconditionFailed || context.File is not { Exists: true } file || response.Headers.ETag.Count > 0)
        {
            return;
        }

        var last = file.LastModified;
        var seconds = new DateTimeOffset(last.Year, last.Month, last.Day, last.Hour, last.Minute, last.Second, last.Offset).ToUniversalTime();
        response.Headers.ETag = $"\"{Convert.ToString(seconds.ToFileTime() ^ file.Length, 16)}\"";
    }
}
