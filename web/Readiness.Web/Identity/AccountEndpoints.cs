using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Readiness.Web.Api;
using Readiness.Web.Identity.Pages;
using Readiness.Web.Components;
using Readiness.Web.Clients;

namespace Readiness.Web.Identity;

/// <summary>
/// The account forms post here (plain HTML forms with an antiforgery token: no script needed), never to a page's own
/// address (a routed Razor page answers POST too, and the match would be ambiguous). Success: 303 to the
/// next page. A refusal: 303 back to the form's page with ?error=CODE (messages in <see cref="AccountMessages"/>).
/// Pages that show a secret once (recovery codes, an invitation link without SMTP) are rendered as the POST's answer.
/// </summary>
public static partial class AccountEndpoints
{
    /// <summary>HttpContext.Items key: how this request signs in (recorded with the new session).</summary>
    public const string SessionMethodKey = "readiness.signin_method";

    /// <summary>HttpContext.Items key: the id of the account signed in during this request.</summary>
    public const string SignedInUserIdKey = "readiness.signed_in_user";

    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        var forms = app.MapGroup(string.Empty).ExcludeFromDescription().RequireRateLimiting(RateLimits.WritesPolicy)
            .WithMetadata(new RequireAntiforgeryTokenAttribute());
        // The pages before signing in live outside /account (the walk up from /account/signin would find /account).
        forms.MapPost("/account/signin", SignInAsync).WithMetadata(new Auth.FormPageAttribute("/signin"));
        forms.MapPost("/account/signin/mfa", SecondFactorAsync).WithMetadata(new Auth.FormPageAttribute("/signin/mfa"));
        forms.MapPost("/account/setup", SetupAsync).WithMetadata(new Auth.FormPageAttribute("/setup"));
        forms.MapPost("/account/invitation", AcceptInvitationAsync).WithMetadata(new Auth.FormPageAttribute("/invitation"));
        forms.MapPost("/account/password/forgot", ForgotPasswordAsync).WithMetadata(new Auth.FormPageAttribute("/password/forgot"));
        forms.MapPost("/account/password/reset", ResetPasswordAsync).WithMetadata(new Auth.FormPageAttribute("/password/reset"));
        forms.MapPost("/account/mfa/enable", EnableMfaAsync).RequireAuthorization();
        forms.MapPost("/account/recovery-codes", RecoveryCodesAsync).RequireAuthorization();
        forms.MapPost("/account/signout-everywhere", SignOutEverywhereAsync).RequireAuthorization();
        forms.MapPost("/account/password", ChangePasswordAsync).RequireAuthorization().WithMetadata(new Auth.FormPageAttribute("/account/password"));
        // Both forms are on the accounts page (no page lives at /admin or /admin/invitations).
        forms.MapPost("/admin/invitations", InviteAsync).RequireAuthorization().WithMetadata(new Auth.FormPageAttribute("/admin/users"));
        forms.MapPost("/admin/invitations/{id}/withdraw", WithdrawInvitationAsync).RequireAuthorization().WithMetadata(new Auth.FormPageAttribute("/admin/users"));
        // Every action on a person: an id that names no account is the 404 page, before anything else is looked at
        // (a new action here is covered unasked); one outside the administrator's scope stays ?error=forbidden_user.
        var person = forms.MapGroup("/admin/users/{id}").RequireAuthorization().AddEndpointFilter(KnownPersonAsync);
        person.MapPost("/active", SetActiveAsync);
        person.MapPost("/role", ChangeRoleAsync);
        person.MapPost("/password-reset", IssuePasswordResetAsync);
        person.MapPost("/unlock", UnlockAsync);
        MapPasskeys(forms);
        MapAdminLog(app);
        return app;
    }

    private static async Task<IResult> SignInAsync(HttpContext http, SignInManager<ReadinessUser> signIn, AccountService accounts, IOptions<AccountOptions> options)
    {
        if (await ReadFormAsync(http) is not { } form)
        {
            return Back("/signin", "bad_form", null);
        }

        var returnUrl = AccountRedirects.Safe(form["returnUrl"]);
        var email = AccountService.NormalizeEmail(TypedInput.Text(form["email"]));
        var password = form["password"].ToString();
        if (AccountService.EmailFault(TypedInput.Text(form["email"])) is { Code: "email_too_long" })
        {
            // No account can have such an address: said as too long (before: "wrong e-mail or password"), no password checked.
            Refused(http, "invalid", 400, "password sign-in: e-mail too long");
            return Back("/signin", "email_too_long", returnUrl);
        }

        var user = email is null ? null : await signIn.UserManager.FindByEmailAsync(email);
        if (user is null)
        {
            // The same answer as a wrong password, after the same work (one password hash check).
            DummyPasswordCheck(signIn.UserManager, password);
            Refused(http, "unauthenticated", 401, "password sign-in: unknown e-mail");
            return Back("/signin", "invalid_credentials", returnUrl);
        }

        // An account whose second factor is its passkey never signs in with its password: the password is only checked
        // (the same lockout counting), so that refusing it leaves whoever is signed in on this browser signed in.
        var passkeyOnly = options.Value.RequireMfa && AccountRules.RequiresMfa(user.AccountRole) && !user.TwoFactorEnabled
            && await AccountClaimsFactory.HasPasskeyAsync(signIn.UserManager, user);
        var result = passkeyOnly
            ? await signIn.CheckPasswordSignInAsync(user, password, lockoutOnFailure: true)
            : await signIn.PasswordSignInAsync(user, password, isPersistent: false, lockoutOnFailure: true);
        if (result.IsLockedOut || (result.IsNotAllowed && await signIn.UserManager.IsLockedOutAsync(user)))
        {
            // Identity answers a locked account before checking the password: hash once as the other answers do, and
            // answer as for a wrong password, so a lockout does not tell a stranger that the address has an account.
            DummyPasswordCheck(signIn.UserManager, password);
            Refused(http, "locked_out", 401, $"password sign-in refused: locked_out ({user.Email})");
            return Back("/signin", "invalid_credentials", returnUrl);
        }

        if (result.IsNotAllowed)
        {
            // Deactivated (Identity answers before the password): only the right password learns that; a wrong one
            // counts towards the lockout and gets the answer an unknown address gets.
            var right = await signIn.UserManager.CheckPasswordAsync(user, password);
            if (!right)
            {
                await signIn.UserManager.AccessFailedAsync(user);
            }

            Refused(http, right ? "not_allowed" : "unauthenticated", 401, $"password sign-in refused: {(right ? "not_allowed" : "invalid_credentials, deactivated")} ({user.Email})");
            return Back("/signin", right ? "not_allowed" : "invalid_credentials", returnUrl);
        }

        if (result.RequiresTwoFactor)
        {
            return SeeOther($"/signin/mfa?returnUrl={Uri.EscapeDataString(returnUrl)}");
        }

        if (!result.Succeeded)
        {
            Refused(http, "unauthenticated", 401, $"password sign-in refused: invalid_credentials ({user.Email})");
            return Back("/signin", "invalid_credentials", returnUrl);
        }

        if (passkeyOnly)
        {
            // The second factor of this account is its passkey: a password alone is not enough, and a passkey sign-in
            // is a complete one (device key + PIN or biometrics), so the person signs in with the passkey instead.
            Refused(http, "unauthenticated", 401, $"password sign-in refused: passkey_required ({user.Email})");
            return Back("/signin", "passkey_required", returnUrl);
        }

        await accounts.RecordSignInAsync(user, http.RequestAborted);
        return await AccountClaimsFactory.MfaPendingAsync(signIn.UserManager, user, options.Value)
            ? SeeOther($"/account/mfa?returnUrl={Uri.EscapeDataString(returnUrl)}")
            : SeeOther(returnUrl);
    }

    private static async Task<IResult> SecondFactorAsync(HttpContext http, SignInManager<ReadinessUser> signIn, AccountService accounts)
    {
        if (await ReadFormAsync(http) is not { } form)
        {
            return Back("/signin/mfa", "bad_form", null);
        }

        var returnUrl = AccountRedirects.Safe(form["returnUrl"]);
        var user = await signIn.GetTwoFactorAuthenticationUserAsync();
        if (user is null)
        {
            return Back("/signin", "mfa_session_expired", returnUrl);
        }

        if (form["method"].ToString() is not ("authenticator" or "recovery"))
        {
            return Components.Access.FormAnswers.InvalidField("method", "authenticator か recovery にしてください。", "must be authenticator or recovery.");
        }

        var recovery = form["method"] == "recovery";
        // Authenticator codes are typed with spaces at times, and in full width with an input method on; recovery codes
        // also in lower case or without their dash, and are put back into the stored form XXXXX-XXXXX.
        var code = recovery ? TypedInput.RecoveryCode(form["code"]) : TypedInput.Code(form["code"]);
        http.Items[SessionMethodKey] = recovery ? "password+recovery_code" : "password+totp";
        var result = recovery
            ? await signIn.TwoFactorRecoveryCodeSignInAsync(code)
            : await signIn.TwoFactorAuthenticatorSignInAsync(code, isPersistent: false, rememberClient: false);
        if (!result.Succeeded)
        {
            var error = result.IsLockedOut ? "locked_out" : result.IsNotAllowed ? "not_allowed" : recovery ? "invalid_recovery_code" : "invalid_code";
            Refused(http, error == "locked_out" ? "locked_out" : "unauthenticated", 401, $"second factor refused: {error} ({user.Email})");
            return error is "locked_out" or "not_allowed" ? Back("/signin", error, returnUrl) : Back("/signin/mfa", error, returnUrl);
        }

        await accounts.RecordSignInAsync(user, http.RequestAborted);
        if (recovery)
        {
            await accounts.LogAsync(user, "recovery_code_used", user.Email, user.Tenant, null, $"{await signIn.UserManager.CountRecoveryCodesAsync(user)} left", Client(http), http.RequestAborted);
        }

        return SeeOther(returnUrl);
    }

    private static async Task<IResult> SetupAsync(HttpContext http, AccountService accounts, SignInManager<ReadinessUser> signIn, IOptions<AccountOptions> options)
    {
        if (await ReadFormAsync(http) is not { } form)
        {
            return SeeOther("/setup?error=bad_form");
        }

        var token = Posted(http, form, "token");
        var (result, user) = await accounts.SetupAsync(token, TypedInput.Text(form["email"]), form["displayName"], form["password"], form["confirm"], Client(http), http.RequestAborted);
        if (!result.Succeeded)
        {
            Refused(http, "invalid", 400, $"setup refused: {string.Join(',', result.Faults.Select(f => f.Code))}");
            return result.Field == "token"
                ? SeeOther($"/setup?token={Uri.EscapeDataString(token)}&error={result.Code}")
                : ShownAgain(http, typeof(SetupPage), form, result);
        }

        await SignOutCurrentAsync(http, signIn);
        http.Items[SessionMethodKey] = "setup";
        await signIn.SignInAsync(user!, isPersistent: false);
        await accounts.RecordSignInAsync(user!, http.RequestAborted);
        return await AccountClaimsFactory.MfaPendingAsync(signIn.UserManager, user!, options.Value) ? SeeOther("/account/mfa?returnUrl=%2Fadmin%2Fusers") : SeeOther("/admin/users");
    }

    private static async Task<IResult> AcceptInvitationAsync(HttpContext http, AccountService accounts, SignInManager<ReadinessUser> signIn, IOptions<AccountOptions> options)
    {
        if (await ReadFormAsync(http) is not { } form)
        {
            return SeeOther("/invitation?error=bad_form");
        }

        var token = Posted(http, form, "token");
        var (result, user) = await accounts.AcceptAsync(token, form["displayName"], form["password"], form["confirm"], Client(http), http.RequestAborted);
        if (!result.Succeeded)
        {
            Refused(http, "invalid", 400, $"invitation refused: {string.Join(',', result.Faults.Select(f => f.Code))}");
            return result.Field == "token"
                ? SeeOther($"/invitation?token={Uri.EscapeDataString(token)}&error={result.Code}")
                : ShownAgain(http, typeof(InvitationPage), form, result);
        }

        await SignOutCurrentAsync(http, signIn); // whoever was signed in here (the page said so): not switched over silently
        http.Items[SessionMethodKey] = "invitation";
        await signIn.SignInAsync(user!, isPersistent: false);
        await accounts.RecordSignInAsync(user!, http.RequestAborted);
        var home = Home(user!);
        return await AccountClaimsFactory.MfaPendingAsync(signIn.UserManager, user!, options.Value) ? SeeOther($"/account/mfa?returnUrl={Uri.EscapeDataString(home)}") : SeeOther(home);
    }

    /// <summary>
    /// "Forgot your password?": the same answer (303 to /password/forgot?sent=1), at once, for every well-formed
    /// address, with an account or not, active or not; the mail (if any) goes out afterwards (<see cref="PasswordResetMailer"/>).
    /// Without SMTP: 303 ?error=reset_needs_mail (again the same for every address): a reset needs mail.
    /// </summary>
    private static async Task<IResult> ForgotPasswordAsync(HttpContext http, AccountMail mail, PasswordResetMailer mailer)
    {
        if (await ReadFormAsync(http) is not { } form)
        {
            return SeeOther("/password/forgot?error=bad_form");
        }

        if (AccountService.NormalizeEmail(TypedInput.Text(form["email"])) is not { } email)
        {
            return SeeOther($"/password/forgot?error={AccountService.EmailFault(TypedInput.Text(form["email"]))!.Code}");
        }

        if (!mail.Configured)
        {
            return SeeOther("/password/forgot?error=reset_needs_mail");
        }

        mailer.Enqueue(email, Client(http));
        return SeeOther("/password/forgot?sent=1");
    }

    /// <summary>
    /// The new password from a reset link. Success: 303 to /signin?done=password_reset (the person signs in with the new
    /// password and the second factor; nothing is signed in here, and whoever this browser was signed in as is signed out). A dead link: 303 /password/reset?error=reset_link_... (the page answers
    /// as the link itself would: 400 never a link, 410 expired, used or the account deactivated).
    /// </summary>
    private static async Task<IResult> ResetPasswordAsync(HttpContext http, AccountService accounts, SignInManager<ReadinessUser> signIn)
    {
        if (await ReadFormAsync(http) is not { } form)
        {
            return SeeOther("/password/forgot?error=bad_form");
        }

        var userId = Posted(http, form, "user");
        var token = Posted(http, form, "token");
        var result = await accounts.ResetPasswordAsync(userId, token, form["password"], form["confirm"], Client(http), http.RequestAborted);
        if (!result.Succeeded)
        {
            Refused(http, "invalid", 400, $"password reset refused: {string.Join(',', result.Faults.Select(f => f.Code))}");
            return result.Code is "reset_link_invalid" or "reset_link_expired" or "reset_link_used" or "reset_link_withdrawn"
                ? SeeOther($"/password/reset?error={result.Code}")
                : ShownAgain(http, typeof(ResetPasswordPage), form, result);
        }

        // Whoever was signed in on this browser (the page said so) is signed out: the person signs in afresh as the link's account.
        await SignOutCurrentAsync(http, signIn);
        return SeeOther("/signin?done=password_reset");
    }

    /// <summary>Turns on the authenticator app after checking one code from it; answers with the recovery codes (shown once).</summary>
    private static async Task<IResult> EnableMfaAsync(HttpContext http, SignInManager<ReadinessUser> signIn, AccountService accounts, FormReplays replays)
    {
        var user = await signIn.UserManager.GetUserAsync(http.User);
        if (user is null)
        {
            return SeeOther("/signin?returnUrl=%2Faccount%2Fmfa");
        }

        if (await ReadFormAsync(http) is not { } form)
        {
            return SeeOther("/account/mfa?error=bad_form");
        }

        var returnUrl = AccountRedirects.Safe(form["returnUrl"]);
        if (!await replays.FirstAsync(http, user.Id, form, http.RequestAborted))
        {
            return SeeOther($"/account?error={FormReplays.ReplayedCode}"); // a reload of the recovery codes page: no new codes
        }

        var code = new string(TypedInput.Code(form["code"]).Where(char.IsAsciiDigit).ToArray());
        var valid = await signIn.UserManager.VerifyTwoFactorTokenAsync(user, signIn.UserManager.Options.Tokens.AuthenticatorTokenProvider, code);
        if (!valid)
        {
            return SeeOther($"/account/mfa?error=invalid_code&returnUrl={Uri.EscapeDataString(returnUrl)}");
        }

        await signIn.UserManager.SetTwoFactorEnabledAsync(user, true);
        var codes = await signIn.UserManager.GenerateNewTwoFactorRecoveryCodesAsync(user, 10) ?? [];
        await signIn.SignInAsync(user, isPersistent: false, authenticationMethod: "mfa"); // the new security stamp, now with the role claims
        await accounts.LogAsync(user, "enable_mfa", user.Email, user.Tenant, "mfa off", "mfa on (authenticator app)", Client(http), http.RequestAborted);
        http.Response.Headers.CacheControl = "no-store"; // it shows the recovery codes
        return new RazorComponentResult<AccountDocument>(new
        {
            Page = typeof(RecoveryCodesView),
            Parameters = new Dictionary<string, object?> { ["Codes"] = codes.ToList(), ["ContinueUrl"] = returnUrl },
        });
    }

    private static async Task<IResult> RecoveryCodesAsync(HttpContext http, SignInManager<ReadinessUser> signIn, AccountService accounts, FormReplays replays)
    {
        var user = await signIn.UserManager.GetUserAsync(http.User);
        if (user is null || !user.TwoFactorEnabled || await ReadFormAsync(http) is not { } form)
        {
            return SeeOther("/account?error=bad_form");
        }

        // A reload of the codes page would void the codes just shown.
        if (!await replays.FirstAsync(http, user.Id, form, http.RequestAborted))
        {
            return SeeOther($"/account?error={FormReplays.ReplayedCode}");
        }

        var codes = await signIn.UserManager.GenerateNewTwoFactorRecoveryCodesAsync(user, 10) ?? [];
        await signIn.RefreshSignInAsync(user);
        await accounts.LogAsync(user, "recovery_codes", user.Email, user.Tenant, null, "10 new recovery codes (old ones void)", Client(http), http.RequestAborted);
        http.Response.Headers.CacheControl = "no-store"; // it shows the recovery codes
        return new RazorComponentResult<AccountDocument>(new
        {
            Page = typeof(RecoveryCodesView),
            Parameters = new Dictionary<string, object?> { ["Codes"] = codes.ToList(), ["ContinueUrl"] = "/account" },
        });
    }

    /// <summary>
    /// Ends every other session of this account at once (their records end; their cookies are refused at the next
    /// request) and renews the security stamp (streams and anything else holding the old stamp end at the next check).
    /// This session stays, with a cookie re-issued for the new stamp.
    /// </summary>
    private static async Task<IResult> SignOutEverywhereAsync(HttpContext http, SignInManager<ReadinessUser> signIn, AccountService accounts, AccountSessions sessions)
    {
        var user = await signIn.UserManager.GetUserAsync(http.User);
        if (user is null || await ReadFormAsync(http) is null)
        {
            return SeeOther("/account?error=bad_form");
        }

        var ended = await sessions.EndAllAsync(user.Id, http.User.FindFirst(AccountSessions.SessionClaim)?.Value, http.RequestAborted);
        await signIn.UserManager.UpdateSecurityStampAsync(user);
        await signIn.RefreshSignInAsync(user);
        await accounts.LogAsync(user, "sign_out_everywhere", user.Email, user.Tenant, null, $"{ended} other sessions ended", Client(http), http.RequestAborted);
        return SeeOther("/account?done=signed_out_others");
    }

    /// <summary>
    /// The signed-in person's own password change (the form at /account/password): 422 with every field's fault beside it
    /// and nothing changed; done, this session is renewed (the new security stamp) and every other one has ended.
    /// </summary>
    private static async Task<IResult> ChangePasswordAsync(HttpContext http, SignInManager<ReadinessUser> signIn, AccountService accounts)
    {
        var user = await signIn.UserManager.GetUserAsync(http.User);
        if (user is null)
        {
            return SeeOther("/account/password"); // a token, not an account: the page says it has no password
        }

        if (await ReadFormAsync(http) is not { } form)
        {
            return SeeOther("/account/password?error=bad_form");
        }

        var result = await accounts.ChangePasswordAsync(
            user, form["currentPassword"], form["password"], form["confirm"], http.User.FindFirst(AccountSessions.SessionClaim)?.Value, Client(http), http.RequestAborted);
        if (!result.Succeeded)
        {
            Refused(http, result.Code == "locked_out" ? "locked_out" : "invalid", 400, $"password change refused: {string.Join(',', result.Faults.Select(f => f.Code))} ({user.Email})");
            return ShownAgain(http, typeof(ChangePasswordPage), form, result);
        }

        await signIn.RefreshSignInAsync(user);
        return SeeOther("/account?done=password_changed");
    }

    private static async Task<IResult> InviteAsync(
        HttpContext http, SignInManager<ReadinessUser> signIn, AccountService accounts, IOptions<AccountOptions> options, Microsoft.AspNetCore.Hosting.Server.IServer server, FormReplays replays)
    {
        var actor = await AdministratorAsync(http, signIn);
        if (actor is null)
        {
            return Forbidden(http);
        }

        if (await ReadFormAsync(http) is not { } form)
        {
            return SeeOther("/admin/users?error=bad_form");
        }

        // A reload of the answer page sends this form again: it would be refused as "an open invitation exists".
        if (!await replays.FirstAsync(http, actor.Id, form, http.RequestAborted))
        {
            return SeeOther($"/admin/users?error={FormReplays.ReplayedCode}");
        }

        var (result, sent) = await accounts.InviteAsync(actor, TypedInput.Text(form["email"]), form["role"], TypedInput.Text(form["tenant"]), ServerSite.Of(server, options.Value), Client(http), http.RequestAborted);
        if (!result.Succeeded)
        {
            Refused(http, "invalid", 400, $"invitation refused: {string.Join(',', result.Faults.Select(f => f.Code))}");
            // The page shows the form again with every field's fault and what was typed; for an open invitation it names
            // who sent it and when (from its own list, so only within the actor's scope).
            return ShownAgain(http, typeof(UsersPage), form, result, "invite");
        }

        http.Response.Headers.CacheControl = "no-store"; // it may show the invitation link
        return new RazorComponentResult<AccountDocument>(new
        {
            Page = typeof(InvitationSentView),
            Parameters = new Dictionary<string, object?> { ["Sent"] = sent },
        });
    }

    private static async Task<IResult> WithdrawInvitationAsync(HttpContext http, string id, SignInManager<ReadinessUser> signIn, AccountService accounts)
    {
        var actor = await AdministratorAsync(http, signIn);
        if (actor is null)
        {
            return Forbidden(http);
        }

        if (await ReadFormAsync(http) is null)
        {
            return SeeOther("/admin/users?error=bad_form");
        }

        var result = await accounts.WithdrawInvitationAsync(actor, id, Client(http), http.RequestAborted);
        if (!result.Succeeded)
        {
            return RefusedAction(http, id, result, "invitation withdrawal");
        }

        return SeeOther($"/admin/users?done={result.Code ?? "withdrawn"}");
    }

    /// <summary>An administrator's reset link for someone it manages: mailed (303 ?done=reset_mailed), or shown on the answer page without SMTP.</summary>
    private static async Task<IResult> IssuePasswordResetAsync(
        HttpContext http, string id, SignInManager<ReadinessUser> signIn, AccountService accounts, IOptions<AccountOptions> options, Microsoft.AspNetCore.Hosting.Server.IServer server, FormReplays replays)
    {
        var actor = await AdministratorAsync(http, signIn);
        if (actor is null)
        {
            return Forbidden(http);
        }

        if (await ReadFormAsync(http) is not { } form)
        {
            return SeeOther("/admin/users?error=bad_form");
        }

        // A reload of the page showing the link would issue another one.
        if (!await replays.FirstAsync(http, actor.Id, form, http.RequestAborted))
        {
            return SeeOther($"/admin/users?error={FormReplays.ReplayedCode}");
        }

        var (result, issued) = await accounts.IssuePasswordResetAsync(actor, id, ServerSite.Of(server, options.Value), Client(http), http.RequestAborted);
        if (!result.Succeeded)
        {
            return RefusedAction(http, id, result, "password reset link");
        }

        if (issued!.Mailed)
        {
            return SeeOther("/admin/users?done=reset_mailed");
        }

        http.Response.Headers.CacheControl = "no-store"; // it shows the link
        return new RazorComponentResult<AccountDocument>(new
        {
            Page = typeof(PasswordResetIssuedView),
            Parameters = new Dictionary<string, object?> { ["Issued"] = issued },
        });
    }

    /// <summary>
    /// Ends a person's lockout (and failed-attempt count) so that they can sign in now: 303 ?done=unlocked, or
    /// ?done=not_locked when the account was not locked out (nothing changed); ?error=forbidden_user (403 in the
    /// security log) for an account the administrator does not manage, self for its own; 404 page for an unknown id.
    /// </summary>
    private static async Task<IResult> UnlockAsync(HttpContext http, string id, SignInManager<ReadinessUser> signIn, AccountService accounts)
    {
        var actor = await AdministratorAsync(http, signIn);
        if (actor is null)
        {
            return Forbidden(http);
        }

        if (await ReadFormAsync(http) is null)
        {
            return SeeOther("/admin/users?error=bad_form");
        }

        var result = await accounts.UnlockAsync(actor, id, Client(http), http.RequestAborted);
        if (!result.Succeeded)
        {
            return RefusedAction(http, id, result, "account unlock");
        }

        return SeeOther($"/admin/users?done={result.Code ?? "unlocked"}");
    }

    private static async Task<IResult> SetActiveAsync(HttpContext http, string id, SignInManager<ReadinessUser> signIn, AccountService accounts, ClientService clients)
    {
        var actor = await AdministratorAsync(http, signIn);
        if (actor is null)
        {
            return Forbidden(http);
        }

        if (await ReadFormAsync(http) is not { } form)
        {
            return SeeOther("/admin/users?error=bad_form");
        }

        // Only the two values the form sends: anything else ("maybe", "", "TRUE") is refused, never read as false.
        if (form["active"].ToString() is not ("true" or "false"))
        {
            Refused(http, "invalid", 400, "account activation refused: active not true or false");
            return Components.Access.FormAnswers.InvalidField("active", "true（有効にする）か false（無効にする）にしてください。", "must be true (reactivate) or false (deactivate).");
        }

        var active = form["active"] == "true";
        var result = await accounts.SetActiveAsync(actor, id, active, Client(http), http.RequestAborted);
        if (!result.Succeeded)
        {
            return RefusedAction(http, id, result, active ? "account reactivation" : "account deactivation");
        }

        if (!active)
        {
            await EndClientTokensAsync(http, actor, id, "holder deactivated", accounts, clients);
        }

        return SeeOther($"/admin/users?done={result.Code ?? "active"}");
    }

    private static async Task<IResult> ChangeRoleAsync(HttpContext http, string id, SignInManager<ReadinessUser> signIn, AccountService accounts, ClientService clients)
    {
        var actor = await AdministratorAsync(http, signIn);
        if (actor is null)
        {
            return Forbidden(http);
        }

        if (await ReadFormAsync(http) is not { } form)
        {
            return SeeOther("/admin/users?error=bad_form");
        }

        var result = await accounts.ChangeRoleAsync(actor, id, form["role"], TypedInput.Text(form["tenant"]), Client(http), http.RequestAborted);
        if (!result.Succeeded)
        {
            if (result.Field is "role" or "tenant")
            {
                // A field's fault: the accounts page again, with the faults beside this person's role form and what was typed.
                Refused(http, "invalid", 400, $"role change refused: {string.Join(',', result.Faults.Select(f => f.Code))}");
                return ShownAgain(http, typeof(UsersPage), form, result, id);
            }

            return RefusedAction(http, id, result, "role change");
        }

        if (result.Code is null)
        {
            await EndClientTokensAsync(http, actor, id, "holder's role changed", accounts, clients);
        }

        return SeeOther($"/admin/users?done={result.Code ?? "role"}");
    }

    /// <summary>
    /// Endpoint filter of the actions on a person (/admin/users/{id}/…): for an administrator's valid form, an id that
    /// names no account answers the 404 page at once (<see cref="RefusedAction"/>'s answer), whatever the fields; a
    /// non-administrator or an expired form goes on to the action's own refusal, so an id's existence is told to no one else.
    /// </summary>
    private static async ValueTask<object?> KnownPersonAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (http.GetRouteValue("id") is string id
            && http.Features.Get<IAntiforgeryValidationFeature>() is { IsValid: true }
            && await AdministratorAsync(http, http.RequestServices.GetRequiredService<SignInManager<ReadinessUser>>()) is not null
            && await http.RequestServices.GetRequiredService<AccountService>().FindByIdAsync(id) is null)
        {
            return RefusedAction(http, id, AccountResult.Fail("user", AccountService.UnknownUser), "action on a person");
        }

        return await next(context);
    }

    /// <summary>
    /// The answer to a refused administrator's action on a person or an invitation: an id that names no account
    /// (unknown_user) is the 404 page in Japanese and English naming the id; any other refusal goes back to
    /// /admin/users with ?error=CODE,
    /// one for someone the administrator does not manage logged as 403.
    /// </summary>
    private static IResult RefusedAction(HttpContext http, string id, AccountResult result, string action)
    {
        if (result.Code == AccountService.UnknownUser)
        {
            Refused(http, "not_found", 404, $"{action} refused: {result.Code}");
            var (ja, en) = AccountMessages.For(result.Code)!.Value;
            return Components.Access.FormAnswers.NotFound("id", id, ja, en);
        }

        var forbidden = result.Code is "forbidden_user" or "forbidden_invitation";
        Refused(http, forbidden ? "forbidden" : "invalid", forbidden ? 403 : 400, $"{action} refused: {result.Code}");
        return SeeOther($"/admin/users?error={result.Code}");
    }

    /// <summary>
    /// After a person is deactivated or given another role: the API clients whose secret that person holds lose their
    /// tokens at once, so a client never goes on acting for someone who may no longer do what it does
    /// (ClientService.EndTokensHeldByAsync; the token endpoint then refuses a deactivated holder's clients).
    /// </summary>
    private static async Task EndClientTokensAsync(HttpContext http, ReadinessUser actor, string targetId, string reason, AccountService accounts, ClientService clients)
    {
        if (await accounts.FindByIdAsync(targetId) is { } target)
        {
            await clients.EndTokensHeldByAsync(new ClientAdministrator(actor.Email!, actor.AccountRole, actor.Tenant), target, reason, Client(http), http.RequestAborted);
        }
    }

    /// <summary>
    /// Before a one-time link's form signs someone in (invitation, setup) or resets a password: whoever this browser is
    /// signed in as is signed out first, as the link's page says (<see cref="SignedInNotice"/>), so that person's session
    /// is not left open behind the new one (its record ended: it no longer shows on their /account) nor mixed with it
    /// (a development token cookie beside the account cookie). No one signed in: nothing happens.
    /// </summary>
    private static async Task SignOutCurrentAsync(HttpContext http, SignInManager<ReadinessUser> signIn)
    {
        if (http.Request.Cookies.ContainsKey(IdentitySetup.CookieName))
        {
            await signIn.SignOutAsync(); // AccountSessions ends the session's record
        }

        if (http.Request.Cookies.ContainsKey(Auth.AuthSetup.CookieName))
        {
            // Deleted rather than signed out through its scheme: that scheme's sign-out also deletes the account cookie a sign-in here is about to set.
            http.Response.Cookies.Delete(Auth.AuthSetup.CookieName);
        }
    }

    /// <summary>The signed-in account if it is an active administrator that has completed MFA where required.</summary>
    public static async Task<ReadinessUser?> AdministratorAsync(HttpContext http, SignInManager<ReadinessUser> signIn)
    {
        if (http.User.HasClaim(AccountClaimsFactory.MfaPendingClaim, "true"))
        {
            return null;
        }

        var user = await signIn.UserManager.GetUserAsync(http.User);
        return user is { Active: true } && AccountRules.IsAdministrator(user.AccountRole) ? user : null;
    }

    /// <summary>Where a person lands after accepting an invitation: their own municipality or prefecture, or the overview.</summary>
    public static string Home(ReadinessUser user) => AccountRules.ApiRole(user.AccountRole) switch
    {
        Role.Municipality => $"/municipalities/{user.Tenant}",
        Role.Prefecture => $"/prefectures/{user.Tenant}",
        _ => "/",
    };

    /// <summary>A password hash made once per process, for checks that must cost what a real account's does.</summary>
    private static string? dummyHash;

    /// <summary>Verifies <paramref name="password"/> against a hash of a random password (always false): a password check's cost, no account's.</summary>
    private static void DummyPasswordCheck(UserManager<ReadinessUser> users, string password)
    {
        var nobody = new ReadinessUser();
        dummyHash ??= users.PasswordHasher.HashPassword(nobody, AccountService.NewSecret());
        users.PasswordHasher.VerifyHashedPassword(nobody, dummyHash, password);
    }

    private static string? Client(HttpContext http) => http.Connection.RemoteIpAddress?.ToString();

    private static async Task<IFormCollection?> ReadFormAsync(HttpContext http)
    {
        // Without a valid antiforgery token the form is not read.
        if (http.Features.Get<IAntiforgeryValidationFeature>() is not { IsValid: true } || !http.Request.HasFormContentType)
        {
            return null;
        }

        try
        {
            return await http.Request.ReadFormAsync(http.RequestAborted);
        }
        catch (Exception ex) when (ex is BadHttpRequestException or InvalidDataException)
        {
            return null;
        }
    }

    private static void Refused(HttpContext http, string reason, int status, string detail) =>
        http.RequestServices.GetRequiredService<Auth.SecurityLog>().Refused(http, null, reason, status, detail);

    private static RazorComponentResult<Components.Access.AccessDeniedDocument> Forbidden(HttpContext http)
    {
        Refused(http, "forbidden", 403, "account administration by a non-administrator");
        return new RazorComponentResult<Components.Access.AccessDeniedDocument>(new
        {
            MessageJa = "アカウントを管理する権限がありません（管理者のみ。二要素認証の設定が必要な場合があります）。",
            MessageEn = "You may not administer accounts (administrators only; a second factor may be required first).",
        }) { StatusCode = StatusCodes.Status403Forbidden };
    }

    /// <summary>
    /// A refused form's page as the post's answer, 422: <paramref name="page"/> given the faults and what was typed
    /// (<see cref="FormState"/>: passwords never shown again). Not stored (no-store): it holds what was typed.
    /// <paramref name="target"/> names which of the page's forms was sent (invite, or a person's id for the role form).
    /// </summary>
    private static RazorComponentResult<AccountDocument> ShownAgain(HttpContext http, Type page, IFormCollection form, AccountResult result, string? target = null)
    {
        http.Response.Headers.CacheControl = "no-store";
        return new RazorComponentResult<AccountDocument>(new
        {
            Page = page,
            Parameters = new Dictionary<string, object?> { ["Posted"] = FormState.From(form, result, Components.FormFieldLimits.Account, target) },
        }) { StatusCode = StatusCodes.Status422UnprocessableEntity };
    }

    /// <summary>A link's value (token, user) from the form's hidden field, else from the address the form posted to (the page's form sends both).</summary>
    private static string Posted(HttpContext http, IFormCollection form, string name) =>
        form[name].ToString() is { Length: > 0 } value ? value : http.Request.Query[name].ToString();

    private static SeeOtherResult Back(string page, string error, string? returnUrl) =>
        SeeOther($"{page}?error={error}{(returnUrl is null ? string.Empty : "&returnUrl=" + Uri.EscapeDataString(returnUrl))}");

    private static SeeOtherResult SeeOther(string location) => new(location);

    private sealed class SeeOtherResult(string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status303SeeOther;
            httpContext.Response.Headers.Location = location;
            return Task.CompletedTask;
        }
    }
}

/// <summary>
/// The return-URL check of the account forms: a path on this site, judged as a browser reads it (browsers drop tabs
/// and newlines and treat '\' as '/'), else the home page. The shared redirect check of issue 10 item 7 replaces this.
/// </summary>
public static class AccountRedirects
{
    public static string Safe(string? url)
    {
        if (string.IsNullOrEmpty(url))
        {
            return "/";
        }

        var seen = new string(url.Where(c => c is not ('\t' or '\n' or '\r')).ToArray()).Replace('\\', '/');
        return seen.Length > 0 && seen[0] == '/' && (seen.Length == 1 || seen[1] != '/') && !seen.Any(char.IsControl) && !seen.Contains("://", StringComparison.Ordinal)
            ? seen
            : "/";
    }
}
