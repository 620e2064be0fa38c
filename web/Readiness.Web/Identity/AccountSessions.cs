using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Readiness.Web.Auth;

namespace Readiness.Web.Identity;

/// <summary>
/// The server-side record of each signed-in session (readiness_sessions). Every account cookie carries its session id
/// as the "sid" claim; a cookie whose session is ended or unknown is refused at its next request, so "sign out
/// everywhere" and deactivation end other browsers' sessions at once (the security stamp check ends them too, within
/// Readiness:Auth:SessionRevalidation, and is what ends streams and tokens: see <see cref="AccountCredentialRevalidator"/>).
/// </summary>
public sealed class AccountSessions(IdentityDb db, TimeProvider time)
{
    /// <summary>The cookie's claim with the session id (OpenID Connect's name for a session).</summary>
    public const string SessionClaim = "sid";

    /// <summary>How stale "last seen" may get before a request writes it (one write a minute per session at most).</summary>
    public static readonly TimeSpan TouchInterval = TimeSpan.FromMinutes(1);

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    public async Task<string> StartAsync(string userId, string? method, string? client, string? userAgent, CancellationToken cancellationToken)
    {
        var session = new AccountSession
        {
            Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            UserId = userId,
            CreatedAtUtc = Now,
            LastSeenAtUtc = Now,
            ClientAddress = client,
            UserAgent = userAgent is { Length: > 512 } ? userAgent[..512] : userAgent,
            Method = method,
        };
        db.Sessions.Add(session);
        await db.SaveChangesAsync(cancellationToken);
        return session.Id;
    }

    /// <summary>True while the session exists, belongs to the user and has not ended; notes the request as "last seen".</summary>
    public async Task<bool> IsActiveAsync(string sessionId, string userId, CancellationToken cancellationToken)
    {
        var session = await db.Sessions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == sessionId, cancellationToken);
        if (session is null || session.UserId != userId || session.EndedAtUtc is not null)
        {
            return false;
        }

        var now = Now;
        if (now - session.LastSeenAtUtc >= TouchInterval)
        {
            await db.Sessions.Where(s => s.Id == sessionId).ExecuteUpdateAsync(s => s.SetProperty(x => x.LastSeenAtUtc, now), cancellationToken);
        }

        return true;
    }

    public async Task EndAsync(string sessionId, CancellationToken cancellationToken)
    {
        var now = Now;
        await db.Sessions.Where(s => s.Id == sessionId && s.EndedAtUtc == null).ExecuteUpdateAsync(s => s.SetProperty(x => x.EndedAtUtc, now), cancellationToken);
    }

    /// <summary>Ends every open session of the user except <paramref name="keep"/> (null: all); returns how many.</summary>
    public async Task<int> EndAllAsync(string userId, string? keep, CancellationToken cancellationToken)
    {
        var now = Now;
        return await db.Sessions.Where(s => s.UserId == userId && s.EndedAtUtc == null && s.Id != keep)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.EndedAtUtc, now), cancellationToken);
    }

    /// <summary>The user's open sessions that are still within the session lifetime, newest first.</summary>
    public async Task<IReadOnlyList<AccountSession>> ListAsync(string userId, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var since = Now - lifetime;
        var open = await db.Sessions.AsNoTracking().Where(s => s.UserId == userId && s.EndedAtUtc == null && s.CreatedAtUtc > since).ToListAsync(cancellationToken);
        return [.. open.OrderByDescending(s => s.LastSeenAtUtc)];
    }

    /// <summary>
    /// Cookie events of the account scheme: a session record at each sign-in (kept across a re-issue of the same
    /// person's cookie), ended at sign-out, and checked at every request after the security stamp.
    /// </summary>
    public static void Attach(CookieAuthenticationEvents events)
    {
        var validate = events.OnValidatePrincipal;
        events.OnValidatePrincipal = async ctx =>
        {
            await validate(ctx);
            if (ctx.Principal is not { } principal)
            {
                return; // the security stamp check refused it already
            }

            var sid = principal.FindFirstValue(SessionClaim);
            var userId = principal.FindFirstValue(ClaimTypes.NameIdentifier);
            var sessions = ctx.HttpContext.RequestServices.GetRequiredService<AccountSessions>();
            if (sid is null || userId is null || !await sessions.IsActiveAsync(sid, userId, ctx.HttpContext.RequestAborted))
            {
                ctx.RejectPrincipal();
                await ctx.HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme);
            }
        };

        var signingIn = events.OnSigningIn;
        events.OnSigningIn = async ctx =>
        {
            await signingIn(ctx);
            if (ctx.Principal?.Identities.FirstOrDefault() is not { } identity || identity.FindFirst(ClaimTypes.NameIdentifier)?.Value is not { } userId)
            {
                return;
            }

            var http = ctx.HttpContext;
            var sessions = http.RequestServices.GetRequiredService<AccountSessions>();
            var (current, currentUser) = Current(http);
            string sid;
            if (current is not null && currentUser == userId && await sessions.IsActiveAsync(current, userId, http.RequestAborted))
            {
                sid = current; // the same person signing in again, or the cookie re-issued (new claims or security stamp): the same session
            }
            else
            {
                // Whoever this browser was signed in as before (any sign-in route: password, second factor, passkey,
                // external provider, a one-time link) is signed out, not switched over silently: their session record
                // ends (the new cookie replaces theirs), and a development token cookie goes (no mixed session).
                if (current is not null)
                {
                    await sessions.EndAsync(current, CancellationToken.None);
                }

                if (http.Request.Cookies.ContainsKey(AuthSetup.CookieName))
                {
                    http.Response.Cookies.Delete(AuthSetup.CookieName);
                }

                sid = await sessions.StartAsync(userId, http.Items[AccountEndpoints.SessionMethodKey] as string ?? "password", http.Connection.RemoteIpAddress?.ToString(), http.Request.Headers.UserAgent.ToString(), http.RequestAborted);
            }

            foreach (var old in identity.FindAll(SessionClaim).ToList())
            {
                identity.RemoveClaim(old);
            }

            identity.AddClaim(new Claim(SessionClaim, sid));
            http.Items[AccountEndpoints.SignedInUserIdKey] = userId;
            http.Items[SignedInSessionKey] = sid;
        };

        var signingOut = events.OnSigningOut;
        events.OnSigningOut = async ctx =>
        {
            await signingOut(ctx);
            await EndCurrentAsync(ctx.HttpContext);
        };
    }

    /// <summary>
    /// HttpContext.Items key: the account session this browser had when it left for an external provider
    /// (<see cref="RequestSession"/>), for the provider's return, which comes without the SameSite=Strict cookie.
    /// </summary>
    public const string PreviousSessionKey = "readiness.previous_session";

    /// <summary>HttpContext.Items key: the session started (or kept) by a sign-in during this request.</summary>
    private const string SignedInSessionKey = "readiness.signed_in_session";

    /// <summary>The request's account session and its user id, (null, null) when it has none.</summary>
    public static (string? SessionId, string? UserId) RequestSession(HttpContext http) =>
        (http.User.FindFirstValue(SessionClaim), http.User.FindFirstValue(ClaimTypes.NameIdentifier));

    /// <summary>
    /// The session this browser is signed in with: the request's account cookie, or, on an external provider's return
    /// (no cookie sent), the one recorded when it left (<see cref="PreviousSessionKey"/>).
    /// </summary>
    private static (string? SessionId, string? UserId) Current(HttpContext http)
    {
        var cookie = RequestSession(http);
        if (cookie.SessionId is not null)
        {
            return cookie;
        }

        return http.Items[PreviousSessionKey] is ValueTuple<string, string> previous ? (previous.Item1, previous.Item2) : (null, null);
    }

    /// <summary>
    /// Ends the session of the request's account cookie, if any, and one signed in during this request (sign-out; a
    /// password sign-in undone because the account must use its passkey).
    /// </summary>
    public static async Task EndCurrentAsync(HttpContext http)
    {
        var sessions = http.RequestServices.GetRequiredService<AccountSessions>();
        if (http.User.FindFirstValue(SessionClaim) is { } sid)
        {
            await sessions.EndAsync(sid, CancellationToken.None);
        }

        if (http.Items[SignedInSessionKey] is string started)
        {
            await sessions.EndAsync(started, CancellationToken.None);
        }
    }
}

/// <summary>
/// Keeps a long-lived connection (the event stream) open only while its credential holds: for an account session,
/// the account is active, its security stamp unchanged and the session not ended; for a bearer token whose subject is
/// an account's e-mail, that account is active. Checked every Readiness:Auth:RevalidationInterval by
/// <see cref="CredentialWatch"/>.
/// </summary>
public sealed class AccountCredentialRevalidator(IServiceScopeFactory scopes, IOptions<ReadinessAuthOptions> auth, IOptions<IdentityOptions> identity) : ICredentialRevalidator
{
    public async ValueTask<bool> IsStillValidAsync(ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ReadinessUser>>();
        var sid = user.FindFirstValue(AccountSessions.SessionClaim);
        var userId = user.FindFirstValue(ClaimTypes.NameIdentifier);
        if (sid is not null && userId is not null)
        {
            var account = await users.FindByIdAsync(userId);
            return account is { Active: true }
                && account.SecurityStamp == user.FindFirstValue(identity.Value.ClaimsIdentity.SecurityStampClaimType)
                && await scope.ServiceProvider.GetRequiredService<AccountSessions>().IsActiveAsync(sid, userId, cancellationToken);
        }

        return user.FindFirstValue(auth.Value.SubjectClaim) is not { } subject
            || await scope.ServiceProvider.GetRequiredService<DeactivatedAccounts>().IsDeactivatedAsync(subject, cancellationToken) is false;
    }
}

/// <summary>
/// The e-mail addresses of deactivated accounts, read at most every <see cref="MaxAge"/>: a bearer token whose
/// subject is one of them is refused (a deactivated person's tokens stop working within that time).
/// </summary>
public sealed class DeactivatedAccounts(IServiceScopeFactory scopes, TimeProvider time)
{
    /// <summary>How old the list may be (well inside the minute the issue allows).</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(20);

    private readonly SemaphoreSlim gate = new(1, 1);
    private HashSet<string> subjects = new(StringComparer.OrdinalIgnoreCase);
    private DateTimeOffset readAt = DateTimeOffset.MinValue;

    public async Task<bool> IsDeactivatedAsync(string subject, CancellationToken cancellationToken)
    {
        if (time.GetUtcNow() - readAt >= MaxAge)
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                if (time.GetUtcNow() - readAt >= MaxAge)
                {
                    try
                    {
                        await using var scope = scopes.CreateAsyncScope();
                        var db = scope.ServiceProvider.GetRequiredService<IdentityDb>();
                        var list = await db.Users.AsNoTracking().Where(u => !u.Active && u.Email != null).Select(u => u.Email!).ToListAsync(cancellationToken);
                        subjects = new HashSet<string>(list, StringComparer.OrdinalIgnoreCase);
                        readAt = time.GetUtcNow();
                    }
                    catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException)
                    {
                        // A busy database must not fail every bearer request: keep the last list, read again next time.
                    }
                }
            }
            finally
            {
                gate.Release();
            }
        }

        return subjects.Contains(subject);
    }

    /// <summary>Forgets the list (after a deactivation on this node, so it applies at once here).</summary>
    public void Invalidate() => readAt = DateTimeOffset.MinValue;
}
