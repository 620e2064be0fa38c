using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Readiness.Web.Components.Access;

/// <summary>
/// The one answer every browser form endpoint gives when its post is refused before it is read: a missing or expired
/// antiforgery token (400) and a route value that names nothing (404), as a ja/en page rather than the framework's
/// English text ("A valid antiforgery token was not provided…") or an empty application/problem+json.
/// </summary>
public static class FormAnswers
{
    /// <summary>
    /// After UseAntiforgery: an endpoint that requires the token (the dashboard's forms, the Razor pages' form posts,
    /// the account, import, planning and notification forms) and whose token did not validate gets the 400 page and
    /// is never run, so nothing changes. /api/v1 and the RFC 8058 one-click POST disable antiforgery and are untouched.
    /// </summary>
    public static IApplicationBuilder UseFormAntiforgeryPage(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.Features.Get<IAntiforgeryValidationFeature>() is { IsValid: false }
            && context.GetEndpoint()?.Metadata.GetMetadata<IAntiforgeryMetadata>() is { RequiresValidation: true })
        {
            await ExpiredForm().ExecuteAsync(context);
            return;
        }

        await next(context);
    });

    /// <summary>400: the form's antiforgery token is missing or expired; reloading the page gives a new one.</summary>
    public static RazorComponentResult<FormAnswerDocument> ExpiredForm() => new(new
    {
        Status = StatusCodes.Status400BadRequest,
        TitleJa = "フォームを受け付けられませんでした",
        TitleEn = "The form was not accepted",
        MessageJa = "フォームの有効期限が切れたか、確認用のトークンがありません。何も変更していません。ページを再読み込みしてから、もう一度送信してください。",
        MessageEn = "The form has expired or its verification token is missing. Nothing was changed. Reload the page and send it again.",
    }) { StatusCode = StatusCodes.Status400BadRequest };

    /// <summary>404: <paramref name="field"/> (a route value such as businessId or prefCode) names nothing; the messages say which.</summary>
    public static RazorComponentResult<FormAnswerDocument> NotFound(string field, string value, string messageJa, string messageEn) => new(new
    {
        Status = StatusCodes.Status404NotFound,
        TitleJa = "見つかりません",
        TitleEn = "Not found",
        MessageJa = $"{field}「{value}」: {messageJa} 何も変更していません。",
        MessageEn = $"{field} \"{value}\": {messageEn} Nothing was changed.",
    }) { StatusCode = StatusCodes.Status404NotFound };

    /// <summary>
    /// 400: a form field holds a value the form never sends (a boolean other than its two values, an unknown choice);
    /// refused rather than read as the default, so nothing changes. The messages name the field and say what it takes.
    /// </summary>
    public static RazorComponentResult<FormAnswerDocument> InvalidField(string field, string messageJa, string messageEn) => new(new
    {
        Status = StatusCodes.Status400BadRequest,
        TitleJa = "フォームの内容が正しくありません",
        TitleEn = "The form is not valid",
        MessageJa = $"{field}: {messageJa} 何も変更していません。",
        MessageEn = $"{field}: {messageEn} Nothing was changed.",
    }) { StatusCode = StatusCodes.Status400BadRequest };

    /// <summary>
    /// 303 See Other to <paramref name="location"/>: the answer to every form post (the next page is fetched with GET,
    /// whatever the client; 302 leaves that to the client).
    /// </summary>
    public static IResult SeeOther(string location) => new SeeOtherResult(location);

    private sealed class SeeOtherResult(string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status303SeeOther;
            httpContext.Response.Headers.Location = location;
            return Task.CompletedTask;
        }
    }

    /// <summary>The municipality code of a form's route, or null when it is one (<c>code</c> checked first, as the API does).</summary>
    public static RazorComponentResult<FormAnswerDocument> NoMunicipality(string code) =>
        NotFound("code", code, "この団体コードの市区町村はありません（6桁、末尾は検査数字）。", "There is no municipality with this code (six digits, the last a check digit).");
}
