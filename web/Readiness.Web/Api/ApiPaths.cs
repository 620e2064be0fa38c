using System.Text.RegularExpressions;

namespace Readiness.Web.Api;

/// <summary>
/// A path that is an API path once its slashes are merged and an encoded slash (<c>%2F</c>) is read as one
/// (<c>//api/v1/catalog</c>, <c>/api//v1/catalog</c>, <c>/api%2Fv1/catalog</c>) but is not written so is 404
/// <c>not_found</c> problem details naming the canonical path, never the dashboard's HTML not-found page (which a
/// client's JSON parser fails on) nor a 5xx. Not routed to the canonical path: a proxy or a rule in front that matched
/// the written path would be bypassed. A startup filter, so it answers before routing and the pages' status pages.
/// </summary>
public sealed partial class ApiPaths : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(Refuse);
        next(app);
    };

    /// <summary>
    /// The canonical path when <paramref name="path"/> is an API path written with repeated or encoded slashes, else
    /// null: under /api, an empty segment (<c>//</c>; no route has one); outside it, a path that is under /api once runs of
    /// slashes and <c>%2F</c> are one slash. An encoded slash inside an /api path's segment is left to its route (a
    /// scenario's name may hold one).
    /// </summary>
    public static string? Misspelt(string path)
    {
        if (new PathString(path).StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase))
        {
            return path.Contains("//", StringComparison.Ordinal) ? RepeatedSlashes().Replace(path, "/") : null;
        }

        var canonical = Slashes().Replace(path, "/");
        return canonical != path && new PathString(canonical).StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase) ? canonical : null;
    }

    private static Task Refuse(HttpContext http, RequestDelegate next)
    {
        // PathBase and Path as the server decoded them; Kestrel leaves %2F encoded in Path.
        if (Misspelt(http.Request.PathBase.Add(http.Request.Path).ToString()) is not { } canonical)
        {
            return next(http);
        }

        http.Response.Headers[WriteApi.RequestIdHeader] = RequestIds.For(http);
        return Problems.Create(StatusCodes.Status404NotFound, "Not found", "path", "not_found",
            $"この URL の API はありません。スラッシュを重ねたり %2F と書いたりせず、{Shown(canonical)} のように送ってください。",
            $"There is no API at this URL: send it without repeated or encoded slashes, as {Shown(canonical)}.").ExecuteAsync(http);
    }

    /// <summary>
    /// After routing, under /api: a path routed to an endpoint but not written as its route is (a trailing slash,
    /// <c>/api/v1/nation/</c>; a literal segment in another case, <c>/API/v1/Nation</c>) is 404 <c>not_found</c> naming
    /// the canonical path, as a path with repeated slashes is, for the same reason: routing matches literals ignoring case
    /// and takes a trailing slash, a proxy's rule in front (nginx's <c>location</c> is case-sensitive) does not. Route
    /// values keep their case (they are checked by <see cref="PathValues"/>); a route with a catch-all is left alone.
    /// </summary>
    public static Task RefuseNotCanonical(HttpContext http, RequestDelegate next)
    {
        // /api/docs is the documentation's HTML page (Scalar serves it at /api/docs/), not the API.
        if (!http.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase)
            || http.Request.Path.StartsWithSegments("/api/docs", StringComparison.OrdinalIgnoreCase)
            || http.GetEndpoint() is not RouteEndpoint endpoint
            || Canonical(http.Request.Path.Value ?? "/", endpoint.RoutePattern) is not { } canonical)
        {
            return next(http);
        }

        return Problems.Create(StatusCodes.Status404NotFound, "Not found", "path", "not_found",
            $"この URL の API はありません。末尾のスラッシュを付けず、大文字・小文字も変えずに {Shown(canonical)} のように送ってください。",
            $"There is no API at this URL: send it without a trailing slash and in its own case, as {Shown(canonical)}.").ExecuteAsync(http);
    }

    /// <summary>The API's one version: the name of its OpenAPI document (/openapi/v1.json) and of its documentation page.</summary>
    public const string DocumentName = "v1";

    /// <summary>
    /// After routing: the OpenAPI document (<c>/openapi/{documentName}.json</c>) and its documentation page
    /// (<c>/api/docs/{documentName}</c>) for a version other than <see cref="DocumentName"/> are 404 <c>not_found</c>
    /// naming "documentName" and saying which version there is, without the name asked for: the framework's answer
    /// repeated it as sent ("No OpenAPI document with the name '&lt;script&gt;…' was found", text/plain), and the page
    /// rendered it into its script. A browser at /api/docs gets the dashboard's page (<see cref="DownloadRefusalPage"/>).
    /// </summary>
    public static Task RefuseUnknownDocument(HttpContext http, RequestDelegate next)
    {
        if (http.GetEndpoint() is not RouteEndpoint { RoutePattern.RawText: { } pattern }
            || !(pattern.StartsWith("/openapi/", StringComparison.Ordinal) || pattern.StartsWith("/api/docs/{", StringComparison.Ordinal))
            || http.Request.RouteValues.TryGetValue("documentName", out var asked) is false
            || asked is not string { Length: > 0 } name
            || name == DocumentName)
        {
            return next(http);
        }

        return Problems.Create(StatusCodes.Status404NotFound, "Not found", "documentName", "not_found",
            $"その版の API 文書はありません。API の版は {DocumentName} だけです（/openapi/{DocumentName}.json、説明は /api/docs/）。",
            $"There is no API document of that version. The API has one version, {DocumentName} (/openapi/{DocumentName}.json, described at /api/docs/).").ExecuteAsync(http);
    }

    /// <summary>
    /// The path as <paramref name="pattern"/> writes it when <paramref name="path"/> (which routing matched to it) is
    /// written otherwise (a trailing slash, a literal in another case), else null. Route values are kept as sent.
    /// </summary>
    public static string? Canonical(string path, Microsoft.AspNetCore.Routing.Patterns.RoutePattern pattern)
    {
        for (var i = 0; i < pattern.Parameters.Count; i++)
        {
            if (pattern.Parameters[i].IsCatchAll)
            {
                return null;
            }
        }

        // Every API request asks; almost all are written as the pattern writes them, told without a string made.
        if (WrittenAsPattern(path, pattern))
        {
            return null;
        }

        var segments = path.Trim('/').Split('/');
        for (var i = 0; i < segments.Length && i < pattern.PathSegments.Count; i++)
        {
            var parts = pattern.PathSegments[i].Parts;
            if (parts is [Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart only])
            {
                segments[i] = only.Content;
                continue;
            }

            // A segment mixing a value and a literal ({layer}.json, {code}.csv): the literal at either end in its own case.
            if (parts[^1] is Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart last && segments[i].EndsWith(last.Content, StringComparison.OrdinalIgnoreCase))
            {
                segments[i] = segments[i][..^last.Content.Length] + last.Content;
            }

            if (parts[0] is Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart first && segments[i].StartsWith(first.Content, StringComparison.OrdinalIgnoreCase))
            {
                segments[i] = first.Content + segments[i][first.Content.Length..];
            }
        }

        var canonical = "/" + string.Join('/', segments);
        return canonical == path ? null : canonical;
    }

    /// <summary>
    /// Whether <see cref="Canonical"/> would find nothing to rewrite, read in place: one leading slash, none trailing, and
    /// each literal (a whole segment's, or one at either end of a mixed segment) in the pattern's own case. False sends the
    /// path to the full rewrite, which decides.
    /// </summary>
    private static bool WrittenAsPattern(string path, Microsoft.AspNetCore.Routing.Patterns.RoutePattern pattern)
    {
        if (path.Length < 2 || path[0] != '/' || path[1] == '/' || path[^1] == '/')
        {
            return false;
        }

        var rest = path.AsSpan(1);
        for (var i = 0; ; i++)
        {
            var slash = rest.IndexOf('/');
            var segment = slash < 0 ? rest : rest[..slash];
            if (i < pattern.PathSegments.Count)
            {
                var parts = pattern.PathSegments[i].Parts;
                if (parts is [Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart only])
                {
                    if (!segment.SequenceEqual(only.Content))
                    {
                        return false;
                    }
                }
                else if ((parts[^1] is Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart last && segment.EndsWith(last.Content, StringComparison.OrdinalIgnoreCase) && !segment.EndsWith(last.Content, StringComparison.Ordinal))
                    || (parts[0] is Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart first && segment.StartsWith(first.Content, StringComparison.OrdinalIgnoreCase) && !segment.StartsWith(first.Content, StringComparison.Ordinal)))
                {
                    return false;
                }
            }

            if (slash < 0)
            {
                return true;
            }

            rest = rest[(slash + 1)..];
        }
    }

    private static string Shown(string path) => Auth.SecurityLog.Printable(path, 80) ?? string.Empty;

    [GeneratedRegex("(?:/|%2[Ff])+", RegexOptions.CultureInvariant)]
    private static partial Regex Slashes();

    [GeneratedRegex("/{2,}", RegexOptions.CultureInvariant)]
    private static partial Regex RepeatedSlashes();
}
