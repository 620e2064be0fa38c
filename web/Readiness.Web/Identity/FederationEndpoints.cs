using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Readiness.Web.Api;
using Readiness.Web.Auth;
using Readiness.Web.Identity.Pages;

namespace Readiness.Web.Identity;

/// <summary>Why an external sign-in was refused (the refusal page's reason code).</summary>
public static class FederationRefusal
{
    public const string Off = "federation_off";
    public const string Unverified = "email_unverified";
    public const string Unlinked = "no_account";
    public const string LinkedElsewhere = "linked_elsewhere";
    public const string NotAllowed = "not_allowed";
    public const string LockedOut = "locked_out";
    public const string SessionExpired = "session_expired";
    public const string RemoteFailure = "remote_failure";
    public const string InvalidSubject = "invalid_subject";

    /// <summary>The message for each reason, in Japanese and English.</summary>
    public static (string Ja, string En) Message(string? reason) => reason switch
    {
        Off => ("外部IDプロバイダーによるサインインは設定されていません。", "Sign-in with an external identity provider is not configured."),
        Unverified => ("IDプロバイダーがこのメールアドレスを確認済み（email_verified）としていないため、サインインできません。IDプロバイダー側でメールアドレスを確認してからやり直してください。",
            "The identity provider does not say this e-mail address is verified (email_verified), so you cannot sign in with it. Verify the address with the provider and try again."),
        Unlinked => ("このメールアドレスのアカウントはありません。Readinessのアカウントは管理者の招待で作成します。招待を受けたメールアドレスでIDプロバイダーにサインインしてください。",
            "There is no account for this e-mail address. Readiness accounts are created from an administrator's invitation: sign in at the provider with the address you were invited with."),
        LinkedElsewhere => ("このアカウントは、IDプロバイダーの別のIDにすでに関連付けられています。管理者に連絡してください。",
            "This account is already linked to another identity at the provider. Contact your administrator."),
        NotAllowed => ("このアカウントではサインインできません（無効化されています）。管理者に連絡してください。", "This account cannot sign in (it has been deactivated). Contact your administrator."),
        LockedOut => ("このアカウントは一時的にロックされています。しばらく待ってからやり直してください。", "This account is locked for a while. Try again later."),
        InvalidSubject => ("IDプロバイダーが示した利用者ID（sub）を記録できないため、サインインできません（1〜255文字、前後の空白・制御文字・不可視文字なし）。IDプロバイダーの管理者に連絡してください。",
            "The identity provider's subject (sub) cannot be recorded (1 to 255 characters, no white space at either end, no control or invisible characters), so you cannot sign in with it. Contact the provider's administrator."),
        SessionExpired => ("サインインの手続きが時間切れになったか、途中の情報が失われました。もう一度サインインしてください。", "The sign-in timed out or its state was lost. Sign in again."),
        _ => ("IDプロバイダーでのサインインが完了しませんでした。もう一度やり直してください。", "The sign-in at the identity provider did not complete. Try again."),
    };
}

/// <summary>
/// The external sign-in: a form posts to <see cref="ChallengePath"/> (antiforgery, like the other account forms), the
/// provider sends the browser back to its callback (handled by the OpenID Connect handler), which hands over to
/// <see cref="CallbackPath"/>. There the external identity is found by its login (provider + subject) or, the first
/// time, linked to the account with the same e-mail, which the provider must say is verified. No account is ever
/// created here; refusals are a page in Japanese and English.
/// </summary>
public static class FederationEndpoints
{
    public const string ChallengePath = "/account/external/oidc";
    public const string CallbackPath = "/account/external/callback";
    public const string RefusedPath = "/account/external/refused";

    /// <summary>The sign-in state's item with the account session ("sid userId") the browser had at the challenge.</summary>
    private const string PreviousSessionItem = "readiness.previous_session";

    public static IEndpointRouteBuilder MapFederationEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(string.Empty).ExcludeFromDescription().RequireRateLimiting(RateLimits.WritesPolicy);
        group.MapPost(ChallengePath, ChallengeAsync).WithMetadata(new RequireAntiforgeryTokenAttribute(), new Auth.FormPageAttribute("/signin"));
        group.MapGet(CallbackPath, CallbackAsync);
        group.MapGet(RefusedPath, (HttpContext http, string? reason) => Refused(http, reason ?? FederationRefusal.RemoteFailure, null));
        return app;
    }

    private static async Task<IResult> ChallengeAsync(HttpContext http, SignInManager<ReadinessUser> signIn, IOptions<FederationOptions> options)
    {
        if (!options.Value.Enabled)
        {
            return Refused(http, FederationRefusal.Off, null);
        }

        if (http.Features.Get<IAntiforgeryValidationFeature>() is not { IsValid: true } || !http.Request.HasFormContentType)
        {
            return new SeeOther("/signin?error=bad_form");
        }

        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var returnUrl = AccountRedirects.Safe(form["returnUrl"]);
        var properties = signIn.ConfigureExternalAuthenticationProperties(FederationOptions.Scheme, $"{CallbackPath}?returnUrl={Uri.EscapeDataString(returnUrl)}");
        if (AccountSessions.RequestSession(http) is ({ } sid, { } userId))
        {
            // The provider's return comes without this browser's SameSite=Strict cookie: the session it is signed in
            // with travels in the (protected) sign-in state, so that the sign-in there ends it or, for the same person, keeps it.
            properties.Items[PreviousSessionItem] = $"{sid} {userId}";
        }

        return Results.Challenge(properties, [FederationOptions.Scheme]);
    }

    private static async Task<IResult> CallbackAsync(HttpContext http, string? returnUrl, SignInManager<ReadinessUser> signIn, AccountService accounts, IOptions<FederationOptions> options)
    {
        returnUrl = AccountRedirects.Safe(returnUrl);
        var info = await signIn.GetExternalLoginInfoAsync();
        if (info is null)
        {
            return Refused(http, FederationRefusal.SessionExpired, null);
        }

        // What the product trusts from the provider: the subject, and the e-mail only when verified. A subject the
        // product could not store or show (the rule of a token's sub) links nothing.
        if (!ReadinessCaller.IsValidIdentifier(info.ProviderKey))
        {
            return await EndAsync(http, FederationRefusal.InvalidSubject, null);
        }

        var users = signIn.UserManager;
        var user = await users.FindByLoginAsync(info.LoginProvider, info.ProviderKey);
        if (user is null)
        {
            var email = AccountService.NormalizeEmail(info.Principal.FindFirst("email")?.Value);
            if (email is null || !info.Principal.HasClaim(FederationSetup.EmailVerifiedClaim, "true"))
            {
                return await EndAsync(http, FederationRefusal.Unverified, email);
            }

            user = await users.FindByEmailAsync(email);
            if (user is null)
            {
                return await EndAsync(http, FederationRefusal.Unlinked, email);
            }

            if ((await users.GetLoginsAsync(user)).Any(l => l.LoginProvider == info.LoginProvider))
            {
                return await EndAsync(http, FederationRefusal.LinkedElsewhere, email);
            }

            if (!user.Active)
            {
                return await EndAsync(http, FederationRefusal.NotAllowed, email);
            }

            var linked = await users.AddLoginAsync(user, new UserLoginInfo(info.LoginProvider, info.ProviderKey, options.Value.DisplayName));
            if (!linked.Succeeded)
            {
                return await EndAsync(http, FederationRefusal.LinkedElsewhere, email);
            }

            await accounts.LogAsync(user, "link_external_login", user.Email, user.Tenant, null,
                $"{info.LoginProvider} ({options.Value.DisplayName}) subject {info.ProviderKey}", Client(http), http.RequestAborted);
        }

        if (info.AuthenticationProperties?.Items.TryGetValue(PreviousSessionItem, out var previous) == true && previous?.Split(' ') is [var previousSid, var previousUser])
        {
            http.Items[AccountSessions.PreviousSessionKey] = (previousSid, previousUser);
        }

        var idpMfa = options.Value.TrustMfa && info.Principal.HasClaim(FederationSetup.IdpMfaClaim, "true");
        http.Items[FederationSetup.IdpMfaItem] = idpMfa;
        var result = await signIn.ExternalLoginSignInAsync(info.LoginProvider, info.ProviderKey, isPersistent: false, bypassTwoFactor: idpMfa);
        await http.SignOutAsync(IdentityConstants.ExternalScheme);
        if (result.RequiresTwoFactor)
        {
            return Continue($"/signin/mfa?returnUrl={Uri.EscapeDataString(returnUrl)}");
        }

        if (!result.Succeeded)
        {
            return await EndAsync(http, result.IsLockedOut ? FederationRefusal.LockedOut : FederationRefusal.NotAllowed, user.Email);
        }

        await accounts.RecordSignInAsync(user, http.RequestAborted);
        return Continue(await AccountClaimsFactory.MfaPendingAsync(users, user, http.RequestServices.GetRequiredService<IOptions<AccountOptions>>().Value) && !idpMfa
            ? $"/account/mfa?returnUrl={Uri.EscapeDataString(returnUrl)}"
            : returnUrl);
    }

    /// <summary>Refuses: the external cookie goes (nothing of the identity is kept), the refusal is logged.</summary>
    private static async Task<IResult> EndAsync(HttpContext http, string reason, string? email)
    {
        await http.SignOutAsync(IdentityConstants.ExternalScheme);
        http.RequestServices.GetRequiredService<Auth.SecurityLog>().Refused(http, null, "unauthenticated", 403, $"external sign-in refused: {reason} ({email ?? "no e-mail"})");
        return Refused(http, reason, email);
    }

    private static RazorComponentResult<AccountDocument> Refused(HttpContext http, string reason, string? email) =>
        new(new
        {
            Page = typeof(FederationRefusedView),
            Parameters = new Dictionary<string, object?> { ["Reason"] = reason, ["Email"] = email },
        })
        {
            StatusCode = reason is FederationRefusal.SessionExpired or FederationRefusal.RemoteFailure ? StatusCodes.Status400BadRequest
                : reason == FederationRefusal.Off ? StatusCodes.Status404NotFound : StatusCodes.Status403Forbidden,
        };

    /// <summary>
    /// A page that moves on by itself (meta refresh) rather than a redirect: the provider started this chain of
    /// redirects from another site, so a browser would not send the SameSite=Strict session cookie on a redirect's
    /// target; a navigation started by this page is same-site.
    /// </summary>
    private static RazorComponentResult<AccountDocument> Continue(string target) =>
        new(new
        {
            Page = typeof(FederationContinueView),
            Parameters = new Dictionary<string, object?> { ["Target"] = AccountRedirects.Safe(target) },
        });

    private static string? Client(HttpContext http) => http.Connection.RemoteIpAddress?.ToString();

    private sealed class SeeOther(string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status303SeeOther;
            httpContext.Response.Headers.Location = location;
            return Task.CompletedTask;
        }
    }
}
