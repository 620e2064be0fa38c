using Microsoft.AspNetCore.Identity;
using OtpNet;

namespace Readiness.Web.Identity;

/// <summary>
/// The authenticator app's codes (RFC 6238 TOTP, as ASP.NET Core Identity checks them: SHA-1, 30 s steps, 6 digits, two
/// steps either side) accepted once each: a code at or before the last step accepted for the person is refused, as NIST
/// SP 800-63B §5.1.4.2 requires of a one-time password (the same code from two password sign-ins within its 30 s gave
/// two sessions). The last step is kept with the person's other tokens (AspNetUserTokens); two requests racing with
/// one code meet the user's concurrency stamp, and the second is refused.
/// </summary>
public sealed class SingleUseAuthenticatorTokenProvider : AuthenticatorTokenProvider<ReadinessUser>
{
    private const string LoginProvider = "Readiness";
    private const string LastStepName = "AuthenticatorLastStep";

    public override async Task<bool> ValidateAsync(string purpose, string token, UserManager<ReadinessUser> manager, ReadinessUser user)
    {
        if (!await base.ValidateAsync(purpose, token, manager, user) || await manager.GetAuthenticatorKeyAsync(user) is not { Length: > 0 } key)
        {
            return false;
        }

        var code = token.Replace(" ", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal);
        if (!new Totp(Base32Encoding.ToBytes(key)).VerifyTotp(DateTime.UtcNow, code, out var step, new VerificationWindow(previous: 2, future: 2)))
        {
            return false;
        }

        var last = await manager.GetAuthenticationTokenAsync(user, LoginProvider, LastStepName);
        if (long.TryParse(last, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var lastStep) && step <= lastStep)
        {
            return false;
        }

        var saved = await manager.SetAuthenticationTokenAsync(user, LoginProvider, LastStepName, step.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return saved.Succeeded;
    }
}
