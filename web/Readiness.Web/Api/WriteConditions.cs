using Microsoft.Net.Http.Headers;

namespace Readiness.Web.Api;

/// <summary>
/// Endpoint metadata of a write under /api that answers If-Match and If-None-Match against its target's ETag (RFC 9110
/// §13.1): <see cref="Target"/> names the GET whose ETag it is (the target itself, or the resource the write acts on:
/// an import's apply, a client's secret, the outbox a digest joins). Every write under /api carries it
/// (<c>WriteConditionsTests</c> walks the endpoint list), so none answers a condition by ignoring it.
/// </summary>
public sealed record ConditionalWrite(string Target);

public static class WriteConditions
{
    // ASP.NET Core's AcceptsMatcherPolicy names the endpoint it routes a refused media type to so (it is no RouteEndpoint).
    private const string UnsupportedMediaTypeEndpoint = "415 HTTP Unsupported Media Type";

    /// <summary>Marks a write whose handler (or filter) compares the conditions with the ETag of <paramref name="target"/> (a GET route).</summary>
    public static TBuilder WritesConditionallyOn<TBuilder>(this TBuilder builder, string target)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new ConditionalWrite(target));

    /// <summary>
    /// Middleware (after authorization, before the media type and the body are read): an /api POST, PUT, PATCH or DELETE
    /// routed to an endpoint with an <c>If-Match</c> or <c>If-None-Match</c> that is not a list of entity tags (or "*")
    /// is 400 naming the header, nothing done, on every write alike (a breaker's finding, round 47: the client secret's
    /// rotation, a webhook's deletion, a digest, an import's apply and the template preview took <c>If-Match: garbage</c>
    /// and acted). Whether the condition holds (412) is the endpoint's to say, against its target's ETag. Routing answers a
    /// JSON write whose media type its Accepts does not take with its own 415 endpoint: the malformed condition is told
    /// there too, first, as docs/api.md orders it (round 48: the 415 came first). The framework's 405 endpoint is left
    /// alone (no write of that method is there to condition). The parse is kept on the request (<see cref="Preconditions.Conditions"/>).
    /// </summary>
    public static Task Enforce(HttpContext http, RequestDelegate next)
    {
        var request = http.Request;
        if (request.Path.StartsWithSegments("/api")
            && (HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method) || HttpMethods.IsPatch(request.Method) || HttpMethods.IsDelete(request.Method))
            && http.GetEndpoint() is { } endpoint && (endpoint is RouteEndpoint || endpoint.DisplayName == UnsupportedMediaTypeEndpoint))
        {
            // Parsed once here and kept on the request (Preconditions.Conditions): the endpoint compares the same parse.
            var conditions = Preconditions.Conditions(http);
            if (!conditions.Valid)
            {
                var name = conditions.IfMatchValid ? HeaderNames.IfNoneMatch : HeaderNames.IfMatch;
                return Preconditions.MalformedHeader(name, request.Headers[name]).ExecuteAsync(http);
            }
        }

        return next(http);
    }
}
