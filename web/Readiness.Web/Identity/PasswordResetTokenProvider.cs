using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Readiness.Web.Identity;

/// <summary>
/// Identity's data-protection token provider for password reset links only, with its own lifetime
/// (<see cref="AccountOptions.PasswordResetLifetime"/>, default an hour; the shared default provider keeps Identity's
/// day). A token carries the account's security stamp, which the reset renews: it works once.
/// </summary>
public sealed class PasswordResetTokenProvider(IDataProtectionProvider protection, IOptions<PasswordResetTokenProviderOptions> options, ILogger<DataProtectorTokenProvider<ReadinessUser>> logger)
    : DataProtectorTokenProvider<ReadinessUser>(protection, options, logger)
{
    /// <summary>The provider's name in <see cref="TokenOptions.PasswordResetTokenProvider"/> (also the data protector's purpose).</summary>
    public const string ProviderName = "PasswordReset";

    /// <summary>
    /// The purpose sealed into a link shown to an administrator (no mail) instead of Identity's "ResetPassword": it resets
    /// a password the same way, and the reset is logged as made with a shown link, not a mailed one.
    /// </summary>
    public const string ShownPurpose = "ResetPassword:shown";

    /// <summary>A reset token (Identity's purpose) is valid when sealed for that purpose or as a shown link's.</summary>
    public override async Task<bool> ValidateAsync(string purpose, string token, UserManager<ReadinessUser> manager, ReadinessUser user) =>
        await base.ValidateAsync(purpose, token, manager, user)
        || (purpose == UserManager<ReadinessUser>.ResetPasswordTokenPurpose && await base.ValidateAsync(ShownPurpose, token, manager, user));
}

/// <summary>The options of <see cref="PasswordResetTokenProvider"/> (a type of their own, so the default provider's stay as they are).</summary>
public sealed class PasswordResetTokenProviderOptions : DataProtectionTokenProviderOptions
{
    public PasswordResetTokenProviderOptions()
    {
        Name = PasswordResetTokenProvider.ProviderName;
    }
}
