using Microsoft.AspNetCore.Http.Metadata;

namespace Readiness.Web.Api;

/// <summary>
/// Middleware (after authorization, as <see cref="MediaTypes.Enforce"/>): an /api POST, PUT, PATCH or DELETE whose
/// endpoint takes no body (no <see cref="IAcceptsMetadata"/>, no upload: POST …/admin/backups, …/imports/{id}/apply,
/// …/clients/{id}/secret, …/notifications/{id}/read, DELETE …) reads one it is sent through the common JSON reading
/// (<see cref="JsonBody.ReadNoneAsync"/>): none, an empty one or <c>{}</c> goes on; anything else is the same 4xx any
/// write answers for it and nothing is done (a breaker's <c>{"a":1,"a":2}</c> took a backup). A new endpoint follows it unasked.
/// </summary>
public static class BodylessWrites
{
    // A request this does not apply to (every write that takes a body) goes on without an async frame of its own
    // (issue 14's allocation per change).
    public static Task Enforce(HttpContext http, RequestDelegate next)
    {
        var request = http.Request;
        return request.Path.StartsWithSegments("/api")
            && (HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method) || HttpMethods.IsPatch(request.Method) || HttpMethods.IsDelete(request.Method))
            && (request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0))
            && http.GetEndpoint() is RouteEndpoint { Metadata: var metadata } // not the framework's 405/415 endpoints, which answer themselves
            && metadata.GetMetadata<IAcceptsMetadata>() is null
            && metadata.GetMetadata<Imports.UploadLimit>() is null
                ? ReadNoneAsync(http, next)
                : next(http);
    }

    private static async Task ReadNoneAsync(HttpContext http, RequestDelegate next)
    {
        if (await JsonBody.ReadNoneAsync(http.Request, http.RequestAborted) is { } problem)
        {
            await problem.ExecuteAsync(http);
            return;
        }

        await next(http);
    }
}
