using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Readiness.Web.Components.Access;

namespace Readiness.Web.Api;

/// <summary>
/// A request that needs a grain whose stored state cannot be read (<see cref="UnreadableStateException"/>: damaged, or
/// written by a newer version) is answered 500 as problem details naming the data (RFC 9457, Japanese and English),
/// not a bare "An error occurred"; a browser's page or form gets the same words as a page
/// (<see cref="FormAnswerDocument"/>). 500, not 503 with Retry-After: asking again reads the same bytes, and the data
/// stays unavailable until the operators restore it from a backup. Readiness, the metrics and the alerts say the same
/// to the operators (deploy/README.md, "Health").
/// </summary>
public sealed class UnreadableStateHandler(ILogger<UnreadableStateHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (UnreadableStateException.Find(exception) is not { } unreadable || httpContext.Response.HasStarted)
        {
            return false;
        }

        logger.LogError("{Method} {Path} needs a stored state that cannot be read: {Reason}", httpContext.Request.Method, httpContext.Request.Path, unreadable.Message);
        var (ja, en) = Messages(unreadable.StateKey);
        if (PageAuthorizationResultHandler.IsBrowserPage(httpContext.Request))
        {
            // A fresh scope: the failed page's own Blazor services (its navigation manager) are already initialized.
            await FormAnswers.ExecuteInFreshScopeAsync(new RazorComponentResult<FormAnswerDocument>(new
            {
                Status = StatusCodes.Status500InternalServerError,
                TitleJa = "保存データを読み取れません",
                TitleEn = "Stored data cannot be read",
                MessageJa = ja,
                MessageEn = en,
            }) { StatusCode = StatusCodes.Status500InternalServerError }, httpContext);
            return true;
        }

        await Problem(unreadable.StateKey).ExecuteAsync(httpContext);
        return true;
    }

    /// <summary>The answer for the state <paramref name="stateKey"/> (<c>grain type/key/state name</c>).</summary>
    public static ProblemHttpResult Problem(string stateKey)
    {
        var (ja, en) = Messages(stateKey);
        var result = Problems.Create(StatusCodes.Status500InternalServerError, "Stored data cannot be read", "storage", "unreadable", ja, en);
        result.ProblemDetails.Extensions["state"] = stateKey;
        return result;
    }

    private static (string Ja, string En) Messages(string stateKey) => (
        $"保存データ（{stateKey}）を読み取れません（破損しているか、より新しい版で書かれています）。運用担当者がバックアップから復元するまで、このデータの表示と更新はできません。運用担当者に連絡してください。",
        $"The stored data ({stateKey}) cannot be read (damaged, or written by a newer version). It cannot be shown or changed until the operators restore it from a backup; please tell them.");
}
