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
    /// <summary>Marks a write whose handler (or filter) compares the conditions with the ETag of <paramref name="target"/> (a GET route).</summary>
    public static TBuilder WritesConditionallyOn<TBuilder>(this TBuilder builder, string target)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new ConditionalWrite(target));

    /// <summary>
    /// Middleware (after authorization, before the media type and the body are read): an /api POST, PUT, PATCH or DELETE
    /// routed to an endpoint with an <c>If-Match</c> or <c>If-None-Match</c> that is not a list of entity tags (or "*")
    /// is 400 naming the header, nothing done, on every write alike (a breaker's finding, round 47: the client secret's
    /// rotation, a webhook's deletion, a digest, an import's apply and the template preview took <c>If-Match: garbage</c>
    /// and acted). Whether the condition holds (412) is the endpoint's to say, against its target's ETag.
    /// </summary>
    public static Task Enforce(HttpContext http, RequestDelegate next)
    {
        var request = http.Request;
        if (request.Path.StartsWithSegments("/api")
            && (HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method) || HttpMethods.IsPatch(request.Method) || HttpMethods.IsDelete(request.Method))
            && http.GetEndpoint() is RouteEndpoint) // not the framework's 405/415 endpoints, which answer themselves
        {
            foreach (var name in new[] { HeaderNames.IfMatch, HeaderNames.IfNoneMatch })
            {
                if (!Preconditions.TryParse(request.Headers[name], out _))
                {
                    return Preconditions.MalformedHeader(name, request.Headers[name]).ExecuteAsync(http);
                }
            }
        }

        return next(http);
    }
}
