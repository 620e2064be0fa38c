using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Readiness.Web.Api;

/// <summary>
/// A request body Kestrel could not deliver (<see cref="BadHttpRequestException"/>: shorter than its Content-Length
/// because the client went away, slower than the minimum data rate, over the size limit, bad chunking) is the client's
/// fault: wherever a body is read, the answer is that status as problem details naming "body" (RFC 9457), never a 500,
/// and the log says it at Information, without a stack trace (a client that sends half bodies on purpose must not
/// flood the log with errors).
/// </summary>
public sealed class UnreadBody(ILogger<UnreadBody> logger) : IExceptionHandler
{
    /// <summary>The answer to <paramref name="exception"/>: its own 4xx status (400 when it names none).</summary>
    public static ProblemHttpResult Problem(BadHttpRequestException exception)
    {
        var (code, ja, en) = Describe(exception);
        return Problems.Create(Status(exception), Title(exception), "body", code, ja, en);
    }

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad || httpContext.Response.HasStarted)
        {
            return false;
        }

        logger.LogInformation("Request body not read for {Method} {Path}: {Status} {Reason}", httpContext.Request.Method, httpContext.Request.Path, Status(bad), bad.Message);
        await Problem(bad).ExecuteAsync(httpContext);
        return true;
    }

    private static int Status(BadHttpRequestException exception) => exception.StatusCode is >= 400 and < 500 ? exception.StatusCode : StatusCodes.Status400BadRequest;

    private static string Title(BadHttpRequestException exception) => Status(exception) switch
    {
        StatusCodes.Status408RequestTimeout => "Request timeout",
        StatusCodes.Status413PayloadTooLarge => "Payload too large",
        _ => "Bad request",
    };

    private static (string Code, string Ja, string En) Describe(BadHttpRequestException exception) => Status(exception) switch
    {
        StatusCodes.Status408RequestTimeout => ("body_timeout",
            "本文の受信が時間内に終わりませんでした（送信が遅すぎるか、Content-Length より短い本文です）。",
            "The body did not arrive in time (sent too slowly, or shorter than its Content-Length)."),
        StatusCodes.Status413PayloadTooLarge => ("too_large", "本文が大きすぎます。", "The body is too large."),
        _ => ("body_incomplete",
            "本文を最後まで受信できませんでした（Content-Length より短いか、チャンク形式が正しくありません）。",
            "The body could not be read to its end (shorter than its Content-Length, or malformed chunks)."),
    };
}
