namespace Readiness.Web.Api;

/// <summary>
/// HEAD on every GET resource (RFC 9110 §9.1: a general-purpose server supports GET and HEAD; §9.3.2: the same header
/// fields as GET, no content): the API, the dashboard's pages, the map data, the exports, the OpenAPI document.
/// Uptime monitors and link checkers send HEAD. Minimal-API and page routes match only the methods they map, so a HEAD
/// is routed, authorized and answered exactly as the GET, and its content is discarded here. Registered as a startup
/// filter so it runs before routing. <see cref="NotHeadPaths"/> are the exceptions.
/// </summary>
public sealed class HeadRequests : IStartupFilter
{
    /// <summary>The event stream never ends, so a HEAD there is left to routing (405).</summary>
    public const string EventStreamPath = "/api/v1/stream";

    /// <summary>
    /// GET routes a HEAD is not turned into, so it is left to routing (405): those that never end (the event stream,
    /// the Orleans Dashboard's live trace) and the one whose GET changes state (signing out), because HEAD is safe
    /// (RFC 9110 §9.2.1) and a link checker's HEAD must not sign anyone out.
    /// </summary>
    public static IReadOnlyList<string> NotHeadPaths { get; } = [EventStreamPath, Operations.OperationsApi.DashboardPath + "/Trace", "/auth/signout"];

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(AsGet);
        next(app);
    };

    // Any other request goes on without an async frame of its own (issue 14's allocation per change).
    private static Task AsGet(HttpContext http, RequestDelegate next) =>
        !HttpMethods.IsHead(http.Request.Method) || IsNotHead(http.Request.Path) ? next(http) : HeadAsGetAsync(http, next);

    private static async Task HeadAsGetAsync(HttpContext http, RequestDelegate next)
    {
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

    /// <summary>
    /// A 405's <c>Allow</c> (RFC 9110 §10.2.1: the methods the resource supports) lists HEAD wherever it lists GET and a
    /// HEAD is answered there: routing lists only the methods an endpoint maps, and HEAD is answered by this filter, not
    /// mapped. Left as routing wrote it on <see cref="NotHeadPaths"/>.
    /// </summary>
    public static void CompleteAllow(HttpContext http)
    {
        var allow = http.Response.Headers.Allow;
        if (allow.Count == 0 || IsNotHead(http.Request.Path))
        {
            return;
        }

        var methods = allow.SelectMany(a => (a ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();
        if (methods.Contains(HttpMethods.Get, StringComparer.OrdinalIgnoreCase) && !methods.Contains(HttpMethods.Head, StringComparer.OrdinalIgnoreCase))
        {
            methods.Insert(methods.FindIndex(m => HttpMethods.IsGet(m)) + 1, HttpMethods.Head);
            http.Response.Headers.Allow = string.Join(", ", methods);
        }
    }

    private static bool IsNotHead(PathString path)
    {
        foreach (var p in NotHeadPaths)
        {
            if (path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
