namespace Readiness.Web.Api;

/// <summary>
/// <c>X-Request-Id</c> on every /api answer, refusals included (401, 404, 413, 429, a 5xx), so a client can quote one
/// line to the operators: the client's own <c>X-Request-Id</c> echoed when it is well formed (1 to
/// <see cref="MaxLength"/> visible ASCII characters, one value), else the server's trace id (the <c>traceId</c> of a
/// problem answer, W3C traceparent form). A write's answer keeps the change request's id it sets itself (the
/// Idempotency-Key, else a generated <c>req-…</c>), which is the id in the audit trail.
/// </summary>
public static class RequestIds
{
    public const int MaxLength = 128;

    /// <summary>True for 1 to <see cref="MaxLength"/> characters, each visible ASCII (0x21-0x7E).</summary>
    public static bool IsWellFormed(string? id) => id is { Length: > 0 and <= MaxLength } && !id.Any(c => c is < '!' or > '~');

    /// <summary>The id of this request: the client's when well formed, else the server's trace id.</summary>
    public static string For(HttpContext http)
    {
        var sent = http.Request.Headers[WriteApi.RequestIdHeader];
        return sent.Count == 1 && IsWellFormed(sent[0]) ? sent[0]! : System.Diagnostics.Activity.Current?.Id ?? http.TraceIdentifier;
    }

    /// <summary>
    /// Middleware, first in the API's pipeline (before the limits, authentication and rate limits answer): the id is
    /// chosen and written when the answer starts, unless the endpoint wrote its own.
    /// </summary>
    public static Task Enforce(HttpContext http, RequestDelegate next)
    {
        if (!http.Request.Path.StartsWithSegments("/api"))
        {
            return next(http);
        }

        // A static callback with the context as its state: no closure per request on the write path (issue 14
        // counts bytes per change). The id is chosen when the answer starts, which is the same id as now: the
        // request's headers and its activity do not change in between.
        http.Response.OnStarting(static state =>
        {
            var context = (HttpContext)state;
            if (!context.Response.Headers.ContainsKey(WriteApi.RequestIdHeader))
            {
                context.Response.Headers[WriteApi.RequestIdHeader] = For(context);
            }

            return Task.CompletedTask;
        }, http);
        return next(http);
    }
}
