using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.Extensions.Primitives;

namespace Readiness.Web.Api;

/// <summary>
/// One rule for the query string, on every /api endpoint and every dashboard page: a parameter given twice
/// (<c>?prefecture=13&amp;prefecture=14</c>, <c>?limit=10&amp;limit=20</c>, names compared ignoring case as binding does)
/// is 400 <c>repeated_parameter</c> naming it, never one of the values taken in silence; an empty value
/// (<c>?limit=</c>) is as if absent; under /api a name the endpoint does not take is 400 <c>unknown_parameter</c>
/// (<see cref="UnknownParameters"/>). Applied once, after authorization, so a new endpoint or page follows it unasked.
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
    /// Middleware: under /api the empty values are dropped for the handlers, and a repeated parameter answers problem
    /// details; on a page (a GET routed to a Razor component) a repeated parameter answers a short 400 page that names it
    /// and links to the page without it. Other paths (sign-in, OpenID Connect, static files) keep their own rules.
    /// </summary>
    public static Task Enforce(HttpContext http, RequestDelegate next)
    {
        var request = http.Request;
        var endpoint = http.GetEndpoint();
        if (endpoint is null || !request.QueryString.HasValue)
        {
            return next(http);
        }

        if (request.Path.StartsWithSegments("/api"))
        {
            request.Query = WithoutEmpty(request.Query);
            if (First(request.Query) is { } name)
            {
                return Problems.BadRequest(Problems.Escaped(name), Code,
                    $"クエリパラメーター「{Problems.Shown(name)}」が2回以上指定されています。1回だけ指定してください。",
                    $"The query parameter '{Problems.Shown(name)}' is given more than once; give it once.").ExecuteAsync(http);
            }

            if (UnknownParameters.First(endpoint, request.Query) is { } unknown)
            {
                return UnknownParameters.Refuse(endpoint, unknown).ExecuteAsync(http);
            }
        }
        else if (HttpMethods.IsGet(request.Method) && endpoint.Metadata.GetMetadata<ComponentTypeMetadata>() is not null && First(request.Query) is { } name)
        {
            return RefusePage(http, name);
        }

        return next(http);
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
            without, $"「{shown}」を指定せずに開く", $"Open the page without '{shown}'", refused: name).ExecuteAsync(http);
    }
}
