using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Readiness.Web.Api;
using Readiness.Web.Auth;

namespace Readiness.Web.Components.Access;

/// <summary>
/// How a refusal looks outside the API. The decision itself is the API's: the same policies and the same
/// <see cref="TenantAuthorizationHandler"/> guard the pages, the event stream and the edit forms. A browser that is
/// not signed in is sent to the sign-in page with its return URL; a signed-in person who may not see a page gets a
/// 403 page in Japanese and English; scripts (map data, CSV) get problem details. /api and /auth keep the API's answers.
/// </summary>
public sealed class PageAuthorizationResultHandler(
    IAuthorizationMiddlewareResultHandler api, SecurityLog securityLog, IOptions<ReadinessAuthOptions> options) : IAuthorizationMiddlewareResultHandler
{
    // An authorized request (and every /api or /auth one) goes on without an async frame of its own (issue 14).
    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        var path = context.Request.Path;
        return authorizeResult.Succeeded || path.StartsWithSegments("/api") || path.StartsWithSegments("/auth")
            ? api.HandleAsync(next, context, policy, authorizeResult)
            : RefuseAsync(context, authorizeResult);
    }

    private async Task RefuseAsync(HttpContext context, PolicyAuthorizationResult authorizeResult)
    {
        var caller = ReadinessCaller.From(context.User, options.Value);
        var browser = IsBrowserPage(context.Request);
        if (authorizeResult.Challenged)
        {
            securityLog.Refused(context, caller, "unauthenticated", browser ? StatusCodes.Status302Found : StatusCodes.Status401Unauthorized, "dashboard without sign-in");
            if (browser)
            {
                await context.ChallengeAsync(CookieAuthenticationDefaults.AuthenticationScheme); // redirects to the sign-in page with ReturnUrl
                return;
            }

            context.Response.Headers.WWWAuthenticate = "Bearer"; // RFC 9110 §15.5.2: a 401 names the scheme to use
            await Problems.Create(StatusCodes.Status401Unauthorized, "Unauthorized", "Authorization", "missing_token",
                "サインインが必要です。", "Sign-in required.").ExecuteAsync(context);
            return;
        }

        var reason = authorizeResult.AuthorizationFailure?.FailureReasons.OfType<TenantFailureReason>().FirstOrDefault();
        securityLog.Refused(context, caller, "forbidden", StatusCodes.Status403Forbidden, reason?.Message ?? "policy not satisfied");
        // A form sent is refused as a change, a page opened as a view (both said "open this page").
        var change = !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method);
        var ja = reason?.MessageJa ?? (change ? "この操作を行う権限がありません。" : "このページを表示する権限がありません。");
        var en = reason?.Message ?? (change ? "You may not do this." : "You may not open this page.");
        if (browser)
        {
            await new RazorComponentResult<AccessDeniedDocument>(new { MessageJa = ja, MessageEn = en }) { StatusCode = StatusCodes.Status403Forbidden }
                .ExecuteAsync(context);
            return;
        }

        await Problems.Create(StatusCodes.Status403Forbidden, "Forbidden", reason?.Field ?? "role", reason?.Code ?? "forbidden", ja, en).ExecuteAsync(context);
    }

    /// <summary>A page a person opened or a form they sent (as opposed to a script's fetch).</summary>
    public static bool IsBrowserPage(HttpRequest request) =>
        request.HasFormContentType || request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);
}
