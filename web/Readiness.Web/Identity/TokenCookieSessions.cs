using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Readiness.Web.Auth;

namespace Readiness.Web.Identity;

/// <summary>
/// The development token cookie (<see cref="AuthSetup.CookieName"/>, made by pasting a token on the sign-in page) as a
/// server-side session, as the account cookie is (<see cref="AccountSessions"/>): its sign-in starts a record (user id
/// "token:" + the subject, method "token"), its "sid" claim names it, every request checks it, and sign-out ends it, so
/// a copy of the cookie kept from before the sign-out is refused (401) afterwards. A cookie without a record (made
/// before this, or its record ended) is refused and deleted: the person pastes the token again.
/// </summary>
public static class TokenCookieSessions
{
    /// <summary>The session records' user id of a token cookie: never an account's (those are GUIDs).</summary>
    public static string UserId(string subject) => "token:" + subject;

    public static void Attach(CookieAuthenticationEvents events)
    {
        var signingIn = events.OnSigningIn;
        events.OnSigningIn = async ctx =>
        {
            await signingIn(ctx);
            if (ctx.Principal?.Identities.FirstOrDefault() is not { } identity || identity.Name is not { } subject)
            {
                return;
            }

            var http = ctx.HttpContext;
            var sid = await http.RequestServices.GetRequiredService<AccountSessions>().StartAsync(UserId(subject), "token",
                http.Connection.RemoteIpAddress?.ToString(), http.Request.Headers.UserAgent.ToString(), http.RequestAborted);
            foreach (var old in identity.FindAll(AccountSessions.SessionClaim).ToList())
            {
                identity.RemoveClaim(old);
            }

            identity.AddClaim(new Claim(AccountSessions.SessionClaim, sid));
        };

        var validate = events.OnValidatePrincipal;
        events.OnValidatePrincipal = async ctx =>
        {
            await validate(ctx);
            if (ctx.Principal is not { } principal)
            {
                return;
            }

            var sid = principal.FindFirstValue(AccountSessions.SessionClaim);
            var subject = principal.Identity?.Name;
            if (sid is null || subject is null
                || !await ctx.HttpContext.RequestServices.GetRequiredService<AccountSessions>().IsActiveAsync(sid, UserId(subject), ctx.HttpContext.RequestAborted))
            {
                ctx.RejectPrincipal();
                await ctx.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            }
        };
    }

    /// <summary>
    /// Ends every way this browser is signed in, each through its own handler: the token cookie and its session record,
    /// the account cookie and its record (the token scheme's sign-out event), a half-finished second factor, an
    /// external provider's pending return and a remembered second factor.
    /// </summary>
    public static async Task SignOutEverywayAsync(HttpContext http)
    {
        // The token cookie's own record, even when the account cookie won the request (then http.User is the account's).
        if ((await http.AuthenticateAsync(CookieAuthenticationDefaults.AuthenticationScheme)).Principal?.FindFirstValue(AccountSessions.SessionClaim) is { } sid)
        {
            await http.RequestServices.GetRequiredService<AccountSessions>().EndAsync(sid, CancellationToken.None);
        }

        await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        await http.SignOutAsync(IdentityConstants.ApplicationScheme);
        await http.SignOutAsync(IdentityConstants.TwoFactorUserIdScheme);
        await http.SignOutAsync(IdentityConstants.ExternalScheme);
        await http.SignOutAsync(IdentityConstants.TwoFactorRememberMeScheme);
    }
}
