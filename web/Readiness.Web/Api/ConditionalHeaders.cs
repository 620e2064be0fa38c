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
        foreach (var name in new[] { HeaderNames.IfMatch, HeaderNames.IfNoneMatch })
        {
            if (!Preconditions.TryParse(headers[name], out _))
            {
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
}
