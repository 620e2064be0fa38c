using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.Extensions.Primitives;

namespace Readiness.Web.Api;

/// <summary>
/// One rule for the query string, on every /api endpoint, every dashboard page and download: a parameter given twice
/// (<c>?prefecture=13&amp;prefecture=14</c>, <c>?limit=10&amp;limit=20</c>, names compared ignoring case as binding does)
/// is 400 <c>repeated_parameter</c> naming it, never one of the values taken in silence; an empty value
/// (<c>?limit=</c>) is as if absent; under /api a name the endpoint does not take is 400 <c>unknown_parameter</c>
/// (<see cref="UnknownParameters"/>); a name or value whose percent-decoded bytes are not UTF-8 is 400 <c>invalid_utf8</c>
/// naming it (a page: the refusal page), never decoded to U+FFFD in silence. Applied once, after authorization, so a new endpoint or page follows it unasked.
/// </summary>
public static class RepeatedParameters
{
    public const string Code = "repeated_parameter";

    /// <summary>The first name given more than once with a non-empty value, in query order; null when none is.</summary>
    public static string? First(IQueryCollection query)
    {
        foreach (var (name, values) in query)
        {
            if (values.Count(v => !string.IsNullOrEmpty(v)) > 1)
            {
                return name;
            }
        }

        return null;
    }

    public const string NotUtf8Code = "invalid_utf8";

    /// <summary>
    /// The first parameter of a raw query string ("?a=b&amp;c=%FF") whose name or value, percent-decoded, is not UTF-8,
    /// as sent (percent-encoded: always printable); null when every one is. ASP.NET Core decodes such bytes to U+FFFD in
    /// silence, so a search or a form field would go on with text nobody sent.
    /// </summary>
    public static string? FirstNotUtf8(string? rawQuery) =>
        string.IsNullOrEmpty(rawQuery) || rawQuery.IndexOf('%') < 0 ? null : FirstNotUtf8(System.Text.Encoding.UTF8.GetBytes(rawQuery.TrimStart('?')));

    /// <summary>
    /// The first name=value pair of <paramref name="urlEncoded"/> (a query without its '?', or an
    /// application/x-www-form-urlencoded body as sent) whose name or value, percent-decoded, is not UTF-8; its name as
    /// sent, a byte outside printable ASCII written %XX. Null when every pair is UTF-8.
    /// </summary>
    public static string? FirstNotUtf8(ReadOnlySpan<byte> urlEncoded)
    {
        while (!urlEncoded.IsEmpty)
        {
            var end = urlEncoded.IndexOf((byte)'&');
            var pair = end < 0 ? urlEncoded : urlEncoded[..end];
            urlEncoded = end < 0 ? [] : urlEncoded[(end + 1)..];
            var equals = pair.IndexOf((byte)'=');
            var name = equals < 0 ? pair : pair[..equals];
            if (!DecodesToUtf8(name) || (equals >= 0 && !DecodesToUtf8(pair[(equals + 1)..])))
            {
                var shown = new System.Text.StringBuilder(name.Length);
                foreach (var b in name)
                {
                    shown.Append(b is > 0x20 and < 0x7F ? ((char)b).ToString() : $"%{b:X2}");
                }

                return shown.ToString();
            }
        }

        return null;
    }

    /// <summary>
    /// True when the percent-encoded bytes decode to UTF-8: decoded by the framework's own URL decoder
    /// (<see cref="System.Net.WebUtility.UrlDecodeToBytes(byte[], int, int)"/>: a % not followed by two hex digits stays
    /// as sent, as ASP.NET Core keeps it), then checked by <see cref="System.Text.Unicode.Utf8.IsValid(ReadOnlySpan{byte})"/>.
    /// </summary>
    private static bool DecodesToUtf8(ReadOnlySpan<byte> encoded) =>
        System.Text.Unicode.Utf8.IsValid(encoded.IndexOf((byte)'%') < 0 ? encoded : System.Net.WebUtility.UrlDecodeToBytes(encoded.ToArray(), 0, encoded.Length));

    /// <summary>The query with its empty values dropped (a parameter with no value left is absent); the same instance when none is empty.</summary>
    public static IQueryCollection WithoutEmpty(IQueryCollection query)
    {
        if (!query.Any(p => p.Value.Any(string.IsNullOrEmpty)))
        {
            return query;
        }

        var kept = new Dictionary<string, StringValues>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in query)
        {
            var nonEmpty = values.Where(v => !string.IsNullOrEmpty(v)).ToArray();
            if (nonEmpty.Length > 0)
            {
                kept[name] = new StringValues(nonEmpty);
            }
        }

        return new QueryCollection(kept);
    }

    /// <summary>
    /// Middleware: under /api and on the dashboard's other GETs (its downloads: /prefectures/13/municipalities.csv,
    /// /changes.csv…; the prefecture page's search, the map's data) the empty values are dropped for the handlers, and a
    /// repeated parameter or one that is not UTF-8 answers problem details; on a page (a GET routed to a Razor component)
    /// either answers a short 400 page that names it and links to the page without it. Sign-in (/auth), OpenID Connect
    /// and static files (no endpoint) keep their own rules.
    /// </summary>
    public static Task Enforce(HttpContext http, RequestDelegate next)
    {
        var request = http.Request;
        var endpoint = http.GetEndpoint();
        if (endpoint is null || !request.QueryString.HasValue)
        {
            return next(http);
        }

        var notUtf8 = FirstNotUtf8(request.QueryString.Value);
        if (request.Path.StartsWithSegments("/api"))
        {
            if (notUtf8 is not null)
            {
                return RefuseNotUtf8(notUtf8).ExecuteAsync(http);
            }

            request.Query = WithoutEmpty(request.Query);
            if (First(request.Query) is { } name)
            {
                return Refuse(name).ExecuteAsync(http);
            }

            if (UnknownParameters.First(endpoint, request.Query) is { } unknown)
            {
                return UnknownParameters.Refuse(endpoint, unknown).ExecuteAsync(http);
            }
        }
        else if (HttpMethods.IsGet(request.Method) && endpoint.Metadata.GetMetadata<ComponentTypeMetadata>() is not null)
        {
            if (notUtf8 is not null)
            {
                return RefuseNotUtf8Page(http, notUtf8);
            }

            if (First(request.Query) is { } name)
            {
                return RefusePage(http, name);
            }
        }
        else if (HttpMethods.IsGet(request.Method) && !request.Path.StartsWithSegments("/auth"))
        {
            // The dashboard's other GETs (its CSV downloads, the prefecture page's search, the map's data): as the API,
            // since a handler binds a repeated value joined ("a,b") and a file that matches nothing looks like an answer.
            // The language switch keeps its own rule for a return address it cannot read: home (RedirectTargetTests).
            if (notUtf8 is not null && !request.Path.StartsWithSegments("/lang"))
            {
                return RefuseNotUtf8(notUtf8).ExecuteAsync(http);
            }

            request.Query = WithoutEmpty(request.Query);
            if (First(request.Query) is { } name)
            {
                return Refuse(name).ExecuteAsync(http);
            }
        }

        return next(http);
    }

    /// <summary>
    /// Answers a page's GET whose query this rule refuses (a parameter given twice, bytes not UTF-8) with the refusal
    /// page, true when it did; false, and nothing written, otherwise. For a page that sends a signed-out person to sign
    /// in first: refused there, not after sign-in, so nothing of the query is remembered or carried into a return URL.
    /// </summary>
    public static async Task<bool> RefusePageAsync(HttpContext http)
    {
        if (!http.Request.QueryString.HasValue)
        {
            return false;
        }

        if (FirstNotUtf8(http.Request.QueryString.Value) is { } notUtf8)
        {
            await RefuseNotUtf8Page(http, notUtf8);
            return true;
        }

        if (First(http.Request.Query) is { } name)
        {
            await RefusePage(http, name);
            return true;
        }

        return false;
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Refuse(string name) => Problems.BadRequest(Problems.Named(name), Code,
        $"クエリパラメーター「{Problems.Shown(name)}」が2回以上指定されています。1回だけ指定してください。",
        $"The query parameter '{Problems.Shown(name)}' is given more than once; give it once.");

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult RefuseNotUtf8(string rawName) => Problems.BadRequest(Problems.Named(rawName), NotUtf8Code,
        $"クエリパラメーター「{Problems.Named(rawName)}」が UTF-8 として正しくないバイト列を含んでいます。UTF-8 でパーセントエンコードしてください。",
        $"The query parameter '{Problems.Named(rawName)}' holds bytes that are not UTF-8; percent-encode UTF-8.");

    // The page without the parameter (its raw pair dropped: its decoded name is not what was sent).
    private static Task RefuseNotUtf8Page(HttpContext http, string rawName)
    {
        var kept = http.Request.QueryString.Value!.TrimStart('?').Split('&').Where(p => (p.IndexOf('=') is var e and >= 0 ? p[..e] : p) != rawName).ToList();
        var without = http.Request.PathBase + http.Request.Path + (kept.Count == 0 ? string.Empty : "?" + string.Join('&', kept));
        var shown = Problems.Named(rawName);
        return Components.Access.FormAnswers.Refusal(http, StatusCodes.Status400BadRequest, "リクエストが正しくありません", "Bad request",
            $"クエリパラメーター「{shown}」が UTF-8 として正しくないバイト列を含んでいます。何も変更していません。",
            $"The query parameter '{shown}' holds bytes that are not UTF-8. Nothing was changed.",
            without, $"「{shown}」を指定せずに開く", $"Open the page without '{shown}'", refused: shown).ExecuteAsync(http);
    }

    // Answered here, not by the page: a Blazor page binds one value of a parameter and cannot tell it was given twice.
    // The dashboard's refusal page (header, language, way back), as every other refusal a person's browser meets.
    private static Task RefusePage(HttpContext http, string name)
    {
        var kept = http.Request.Query.Where(p => !p.Key.Equals(name, StringComparison.OrdinalIgnoreCase))
            .SelectMany(p => p.Value.Select(v => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(v ?? string.Empty))).ToList();
        var without = http.Request.PathBase + http.Request.Path + (kept.Count == 0 ? string.Empty : "?" + string.Join('&', kept));
        var shown = Problems.Shown(name);
        return Components.Access.FormAnswers.Refusal(http, StatusCodes.Status400BadRequest, "リクエストが正しくありません", "Bad request",
            $"クエリパラメーター「{shown}」が2回以上指定されています。1回だけ指定してください。何も変更していません。",
            $"The query parameter '{shown}' is given more than once; give it once. Nothing was changed.",
            without, $"「{shown}」を指定せずに開く", $"Open the page without '{shown}'", refused: Problems.Named(name)).ExecuteAsync(http);
    }
}
