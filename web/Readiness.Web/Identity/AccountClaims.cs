using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Readiness.Web.Auth;

namespace Readiness.Web.Identity;

/// <summary>
/// The claims a signed-in person carries: the same "sub", "role" and "tenant" a token gives (so every policy, the
/// audit trail and the rate limits treat both alike), plus "account_role" and, for viewers, "read_only". Someone whose
/// role needs a second factor and who has not enrolled one gets no role claim: they can do nothing but enrol.
/// </summary>
public sealed class AccountClaimsFactory(
    UserManager<ReadinessUser> userManager,
    IOptions<IdentityOptions> identityOptions,
    IOptions<ReadinessAuthOptions> authOptions,
    IOptions<AccountOptions> accountOptions,
    IHttpContextAccessor httpContext)
    : UserClaimsPrincipalFactory<ReadinessUser>(userManager, identityOptions)
{
    public const string AccountRoleClaim = "account_role";
    public const string ReadOnlyClaim = "read_only";
    public const string MfaPendingClaim = "mfa_pending";

    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(ReadinessUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        var auth = authOptions.Value;
        identity.AddClaim(new Claim(auth.SubjectClaim, user.Email ?? user.UserName ?? user.Id));
        identity.AddClaim(new Claim("name", string.IsNullOrWhiteSpace(user.DisplayName) ? user.Email ?? user.Id : user.DisplayName));
        identity.AddClaim(new Claim(AccountRoleClaim, AccountRules.Name(user.AccountRole)));
        // An external sign-in whose provider asserted MFA (see FederationOptions.TrustMfa) counts as the second factor.
        var idpMfa = httpContext.HttpContext?.Items[FederationSetup.IdpMfaItem] is true;
        if (idpMfa)
        {
            identity.AddClaim(new Claim(FederationSetup.IdpMfaClaim, "true"));
        }

        if (MfaPending(user, accountOptions.Value, await HasPasskeyAsync(UserManager, user)) && !idpMfa)
        {
            identity.AddClaim(new Claim(MfaPendingClaim, "true"));
            return identity;
        }

        identity.AddClaim(new Claim(auth.RoleClaim, Wire.Name(AccountRules.ApiRole(user.AccountRole))));
        if (user.Tenant is not null)
        {
            identity.AddClaim(new Claim(auth.TenantClaim, user.Tenant));
        }

        if (AccountRules.IsReadOnly(user.AccountRole))
        {
            identity.AddClaim(new Claim(ReadOnlyClaim, "true"));
        }

        return identity;
    }

    /// <summary>
    /// True while the account's role needs a second factor (and RequireMfa is on) and it has neither an authenticator
    /// app nor a passkey. A passkey counts: it is possession of a device key plus user verification (PIN or biometrics)
    /// on that device, and phishing-resistant (bound to this site's origin).
    /// </summary>
    public static bool MfaPending(ReadinessUser user, AccountOptions options, bool hasPasskey) =>
        options.RequireMfa && AccountRules.RequiresMfa(user.AccountRole) && !user.TwoFactorEnabled && !hasPasskey;

    public static async Task<bool> MfaPendingAsync(UserManager<ReadinessUser> users, ReadinessUser user, AccountOptions options) =>
        MfaPending(user, options, await HasPasskeyAsync(users, user));

    public static async Task<bool> HasPasskeyAsync(UserManager<ReadinessUser> users, ReadinessUser user) =>
        (await users.GetPasskeysAsync(user)).Count > 0;
}
