namespace Readiness.Web.Api;

/// <summary>
/// HEAD on every GET resource of the API (RFC 9110 §9.3.2: the same header fields as GET, no content). Minimal-API
/// routes match only the methods they map, so a HEAD under /api is routed, authorized and answered exactly as the
/// GET, and its content is discarded here. Registered as a startup filter so it runs before routing.
/// </summary>
public sealed class HeadRequests : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(AsGet);
        next(app);
    };

    private static async Task AsGet(HttpContext http, RequestDelegate next)
    {
        // The event stream never ends: a HEAD there is left to routing (405).
        if (!HttpMethods.IsHead(http.Request.Method) || !http.Request.Path.StartsWithSegments("/api") || http.Request.Path.StartsWithSegments("/api/v1/stream"))
        {
            await next(http);
            return;
        }

        http.Request.Method = HttpMethods.Get;
        var body = http.Response.Body;
        http.Response.Body = Stream.Null;
        try
        {
            await next(http);
        }
        finally
        {
            http.Response.Body = body;
            http.Request.Method = HttpMethods.Head;
        }
    }
}
