using Microsoft.AspNetCore.Diagnostics;
using Readiness.Hosting;

namespace Readiness.Web.Api;

/// <summary>
/// A grain call that still fails after its retries (a silo died mid-call, storage is down) is the service being
/// unavailable, not a bug: answer 503 with Retry-After, so clients retry (writes are idempotent) instead of giving up.
/// </summary>
public sealed class TransientFailureHandler(IProblemDetailsService problems, ILogger<TransientFailureHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        // A grain activation cancelled (the silo overloaded or stopping) while the client still waits is the service
        // being unavailable too, not a bug.
        var cancelledByUs = exception is OperationCanceledException && !httpContext.RequestAborted.IsCancellationRequested;
        if (!(GrainCalls.IsTransient(exception) || cancelledByUs) || httpContext.Response.HasStarted)
        {
            return false;
        }

        logger.LogWarning(exception, "Service unavailable for {Method} {Path}", httpContext.Request.Method, httpContext.Request.Path);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = "2";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Service unavailable",
                Detail = "一時的に処理できません。しばらくしてから同じ要求を再送してください（再送しても二重に反映されません）。 / Temporarily unavailable; send the same request again shortly (a repeat is never applied twice).",
                Extensions = { ["errors"] = new[] { new { field = "service", code = "unavailable", messageJa = "一時的に処理できません。", messageEn = "Temporarily unavailable." } } },
            },
        });
    }
}
