using Readiness.Web.Components.Access;

namespace Readiness.Web.Api;

/// <summary>
/// The one rule for a refused download (a CSV or .xlsx: every route whose pattern ends in <c>.csv</c> or <c>.xlsx</c>,
/// the dashboard's and the API's that the dashboard links to): a browser navigation, whose Accept prefers text/html
/// (<see cref="FormAnswers.PrefersHtml"/>), is shown the dashboard's ja/en page with the same status, each fault's
/// words and the refused field (data-refused), instead of a raw <c>{"type":…}</c> in the tab; anything else (curl,
/// scripts, the API's clients: no Accept, <c>*/*</c>, JSON) keeps application/problem+json. A problem details writer ahead
/// of the default one, so every refusal written as problem details takes it: the handler's, the query and header
/// rules', authorization's. A breaker's finding (round 46, low): a 400/403/404 download link opened in a tab showed JSON;
/// likewise the API's documentation page (/api/docs), a page a browser opens (round 47).
/// </summary>
public sealed class DownloadRefusalPage : IProblemDetailsWriter
{
    /// <summary>Whether the request is for a download: its endpoint's route ends in .csv or .xlsx.</summary>
    public static bool IsDownload(HttpContext http) =>
        http.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } pattern }
        && (pattern.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || pattern.EndsWith(".xlsx", StringComparison.OrdinalIgnoreCase));

    /// <summary>Whether the request is for the API's documentation page (/api/docs: HTML a browser opens, not the API).</summary>
    public static bool IsDocsPage(HttpContext http) => http.Request.Path.StartsWithSegments("/api/docs", StringComparison.OrdinalIgnoreCase);

    public bool CanWrite(ProblemDetailsContext context) =>
        context.ProblemDetails.Status is >= 400 and < 600 && (IsDownload(context.HttpContext) || IsDocsPage(context.HttpContext))
        && FormAnswers.PrefersHtml(context.HttpContext.Request);

    public async ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var http = context.HttpContext;
        var problem = context.ProblemDetails;
        var status = problem.Status ?? http.Response.StatusCode;
        var errors = problem.Extensions.TryGetValue("errors", out var listed) && listed is IEnumerable<ProblemError> e ? e.ToList() : [];
        var reason = Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);
        var (ja, en) = errors.Count > 0
            ? (string.Join(" ", errors.Select(x => x.MessageJa)), string.Join(" ", errors.Select(x => x.MessageEn)))
            : ($"このダウンロードには応じられません（{status} {reason}）。", $"This download cannot be answered ({status} {reason}).");
        var (titleJa, titleEn) = IsDocsPage(http) ? ("ページを開けませんでした", "The page was refused") : ("ダウンロードできませんでした", "The download was refused");
        var page = FormAnswers.Refusal(http, status, titleJa, titleEn,
            $"{ja} 何も変更していません。", $"{en} Nothing was changed.", refused: errors.FirstOrDefault()?.Field);
        http.Response.ContentType = null;
        await FormAnswers.ExecuteInFreshScopeAsync(page, http);
    }
}
