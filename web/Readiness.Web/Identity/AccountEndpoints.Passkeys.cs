using System.Buffers.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Readiness.Rules;

namespace Readiness.Web.Identity;

/// <summary>
/// Passkeys (WebAuthn) on .NET 10 Identity's own support (SignInManager's passkey methods, the EF passkey store in
/// readiness_user_passkeys). The browser step needs script (wwwroot/js/passkeys.js): it posts the form to the
/// options address (JSON answer), runs navigator.credentials.create/get, puts the JSON of the credential in the form's
/// "credential" field and submits the form, which answers like every account form (303 to the next page, or back
/// with ?error=CODE). The challenge lives in Identity's short-lived two-factor cookie between the two requests.
/// </summary>
public static partial class AccountEndpoints
{
    /// <summary>Longest credential JSON read (an attestation with a packed statement is a few kB).</summary>
    private const int MaxCredentialJson = 16 * 1024;

    private static void MapPasskeys(RouteGroupBuilder forms)
    {
        forms.MapPost("/account/passkeys/options", PasskeyCreationOptionsAsync).RequireAuthorization();
        forms.MapPost("/account/passkeys", AddPasskeyAsync).RequireAuthorization();
        forms.MapPost("/account/passkeys/remove", RemovePasskeyAsync).RequireAuthorization();
        forms.MapPost("/account/signin/passkey/options", PasskeyRequestOptionsAsync).WithMetadata(new Auth.FormPageAttribute("/signin"));
        forms.MapPost("/account/signin/passkey", PasskeySignInAsync).WithMetadata(new Auth.FormPageAttribute("/signin"));
    }

    /// <summary>The creation options (JSON for PublicKeyCredential.parseCreationOptionsFromJSON) for the signed-in account.</summary>
    private static async Task<IResult> PasskeyCreationOptionsAsync(HttpContext http, SignInManager<ReadinessUser> signIn)
    {
        var user = await signIn.UserManager.GetUserAsync(http.User);
        if (user is null || await ReadFormAsync(http) is null)
        {
            return Results.Problem(statusCode: 400, title: "フォームが正しくありません / The form is not valid", detail: "bad_form");
        }

        var json = await signIn.MakePasskeyCreationOptionsAsync(new PasskeyUserEntity
        {
            Id = user.Id,
            Name = user.Email ?? user.Id,
            DisplayName = string.IsNullOrWhiteSpace(user.DisplayName) ? user.Email ?? user.Id : user.DisplayName,
        });
        return Results.Content(json, "application/json");
    }

    /// <summary>Checks the new credential (attestation) and stores it for the account; a passkey counts as its second factor.</summary>
    private static async Task<IResult> AddPasskeyAsync(HttpContext http, SignInManager<ReadinessUser> signIn, AccountService accounts)
    {
        var user = await signIn.UserManager.GetUserAsync(http.User);
        if (user is null || await ReadFormAsync(http) is not { } form)
        {
            return SeeOther("/account?error=bad_form");
        }

        var returnUrl = AccountRedirects.Safe(form["returnUrl"].ToString() is { Length: > 0 } r ? r : "/account");
        var back = AccountRedirects.Safe(form["page"].ToString() is { Length: > 0 } p ? p : "/account");
        var credential = form["credential"].ToString();
        var name = form["name"].ToString().Trim();
        if (FreeText.Characters(name) > AccountService.MaxDisplayNameLength)
        {
            return SeeOther($"{back}?error=passkey_name_too_long");
        }

        if (FreeText.Check(name, multiline: false).Fault != FreeTextFault.None)
        {
            return SeeOther($"{back}?error=invalid_passkey_name");
        }

        if (credential.Length is 0 or > MaxCredentialJson)
        {
            return SeeOther($"{back}?error=passkey_failed");
        }

        PasskeyAttestationResult attestation;
        try
        {
            attestation = await signIn.PerformPasskeyAttestationAsync(credential);
        }
        catch (InvalidOperationException e)
        {
            // Identity throws when no registration was begun (no options asked for in this session): a replayed or
            // hand-made post. It is a failed passkey like any other, not a server fault.
            Refused(http, "invalid", 400, $"passkey registration refused: {e.Message} ({user.Email})");
            return SeeOther($"{back}?error=passkey_failed");
        }

        if (!attestation.Succeeded)
        {
            Refused(http, "invalid", 400, $"passkey registration refused: {attestation.Failure?.Message} ({user.Email})");
            return SeeOther($"{back}?error=passkey_failed");
        }

        var passkey = attestation.Passkey;
        passkey.Name = name.Length > 0 ? name : $"パスキー {DateTime.UtcNow.AddHours(9):yyyy/MM/dd HH:mm}";
        var added = await signIn.UserManager.AddOrUpdatePasskeyAsync(user, passkey);
        if (!added.Succeeded)
        {
            return SeeOther($"{back}?error=passkey_failed");
        }

        await accounts.LogAsync(user, "add_passkey", user.Email, user.Tenant, null, $"passkey \"{passkey.Name}\" ({Base64Url.EncodeToString(passkey.CredentialId)[..Math.Min(12, Base64Url.EncodeToString(passkey.CredentialId).Length)]}…)", Client(http), http.RequestAborted);

        // The claims change (the second factor is now there): reissue this session's cookie with them.
        await signIn.RefreshSignInAsync(user);
        return SeeOther(returnUrl == "/account" ? "/account?done=passkey_added" : returnUrl);
    }

    private static async Task<IResult> RemovePasskeyAsync(HttpContext http, SignInManager<ReadinessUser> signIn, AccountService accounts)
    {
        var user = await signIn.UserManager.GetUserAsync(http.User);
        if (user is null || await ReadFormAsync(http) is not { } form)
        {
            return SeeOther("/account?error=bad_form");
        }

        byte[] id;
        try
        {
            id = Base64Url.DecodeFromChars(form["id"].ToString());
        }
        catch (FormatException)
        {
            return SeeOther("/account?error=passkey_unknown");
        }

        var passkey = id.Length == 0 ? null : await signIn.UserManager.GetPasskeyAsync(user, id);
        if (passkey is null)
        {
            return SeeOther("/account?error=passkey_unknown");
        }

        var removed = await signIn.UserManager.RemovePasskeyAsync(user, id);
        if (!removed.Succeeded)
        {
            return SeeOther("/account?error=passkey_unknown");
        }

        await accounts.LogAsync(user, "remove_passkey", user.Email, user.Tenant, $"passkey \"{passkey.Name}\"", null, Client(http), http.RequestAborted);
        await signIn.RefreshSignInAsync(user);
        return SeeOther("/account?done=passkey_removed");
    }

    /// <summary>The request options (JSON for PublicKeyCredential.parseRequestOptionsFromJSON): any of this site's discoverable passkeys.</summary>
    private static async Task<IResult> PasskeyRequestOptionsAsync(HttpContext http, SignInManager<ReadinessUser> signIn)
    {
        if (await ReadFormAsync(http) is null)
        {
            return Results.Problem(statusCode: 400, title: "フォームが正しくありません / The form is not valid", detail: "bad_form");
        }

        return Results.Content(await signIn.MakePasskeyRequestOptionsAsync(null), "application/json");
    }

    /// <summary>Signs in with a passkey (assertion checked against the stored public key; the signature counter is updated).</summary>
    private static async Task<IResult> PasskeySignInAsync(HttpContext http, SignInManager<ReadinessUser> signIn, AccountService accounts)
    {
        if (await ReadFormAsync(http) is not { } form)
        {
            return Back("/signin", "bad_form", null);
        }

        var returnUrl = AccountRedirects.Safe(form["returnUrl"]);
        var credential = form["credential"].ToString();
        if (credential.Length is 0 or > MaxCredentialJson)
        {
            return Back("/signin", "passkey_failed", returnUrl);
        }

        http.Items[SessionMethodKey] = "passkey";
        SignInResult result;
        try
        {
            result = await signIn.PasskeySignInAsync(credential);
        }
        catch (InvalidOperationException e)
        {
            // No sign-in ceremony underway (no options asked for): as the registration above.
            Refused(http, "unauthenticated", 401, $"passkey sign-in refused: {e.Message}");
            return Back("/signin", "passkey_failed", returnUrl);
        }

        if (result.RequiresTwoFactor)
        {
            return SeeOther($"/signin/mfa?returnUrl={Uri.EscapeDataString(returnUrl)}");
        }

        if (!result.Succeeded)
        {
            var code = result.IsLockedOut ? "locked_out" : result.IsNotAllowed ? "not_allowed" : "passkey_failed";
            Refused(http, code == "passkey_failed" ? "unauthenticated" : code, 401, $"passkey sign-in refused: {code}");
            return Back("/signin", code, returnUrl);
        }

        // The person the passkey signed in, not the one this browser was signed in as before (http.User is still that one).
        var user = await UserOfNewSessionAsync(http, signIn);
        if (user is not null)
        {
            await accounts.RecordSignInAsync(user, http.RequestAborted);
        }

        return SeeOther(returnUrl);
    }

    /// <summary>The user just signed in within this request (http.User is still whoever was signed in before: no one, or another person).</summary>
    private static async Task<ReadinessUser?> UserOfNewSessionAsync(HttpContext http, SignInManager<ReadinessUser> signIn) =>
        http.Items[SignedInUserIdKey] is string id ? await signIn.UserManager.FindByIdAsync(id) : null;
}
