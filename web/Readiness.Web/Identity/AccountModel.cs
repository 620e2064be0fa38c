using Microsoft.AspNetCore.Identity;

namespace Readiness.Web.Identity;

/// <summary>
/// The tenant roles a person can hold (one per account). Each maps onto the existing authorization roles
/// (<see cref="Role"/> and a tenant code), so a signed-in person carries the same claims a token gives.
/// </summary>
public enum AccountRole
{
    SystemAdministrator,
    NationalStaff,
    PrefectureAdministrator,
    PrefectureStaff,
    MunicipalityAdministrator,
    MunicipalityReporter,
    MunicipalityViewer,
}

/// <summary>A person's account (ASP.NET Core Identity user) with its one tenant role assignment.</summary>
public sealed class ReadinessUser : IdentityUser
{
    public string DisplayName { get; set; } = string.Empty;

    public AccountRole AccountRole { get; set; }

    /// <summary>The 2-digit prefecture code or 6-digit municipality code; null for system administrators and national staff.</summary>
    public string? Tenant { get; set; }

    /// <summary>False once deactivated: sign-in refused, open sessions end at the next security-stamp check.</summary>
    public bool Active { get; set; } = true;

    public DateTime CreatedAtUtc { get; set; }

    public DateTime? LastSignInAtUtc { get; set; }

    /// <summary>Who invited this person (the inviter's e-mail); "setup" for the first administrator.</summary>
    public string? InvitedBy { get; set; }
}

/// <summary>A single-use, expiring invitation: only the SHA-256 of the link's secret is stored.</summary>
public sealed class Invitation
{
    public Guid Id { get; set; }

    public string TokenHash { get; set; } = string.Empty;

    public string Email { get; set; } = string.Empty;

    public AccountRole AccountRole { get; set; }

    public string? Tenant { get; set; }

    public string InvitedBy { get; set; } = string.Empty;

    public DateTime CreatedAtUtc { get; set; }

    public DateTime ExpiresAtUtc { get; set; }

    public DateTime? AcceptedAtUtc { get; set; }

    public DateTime? RevokedAtUtc { get; set; }
}

/// <summary>The first-run setup link's secret (hash only), valid until it expires or is used once.</summary>
public sealed class SetupToken
{
    public Guid Id { get; set; }

    public string TokenHash { get; set; } = string.Empty;

    public DateTime CreatedAtUtc { get; set; }

    public DateTime ExpiresAtUtc { get; set; }

    public DateTime? UsedAtUtc { get; set; }
}

/// <summary>
/// One administrative or account-security action: who (subject and role), what (action, target, before/after),
/// when (UTC) and from where (client address). Append-only: nothing updates or deletes rows.
/// </summary>
public sealed class AdminLogEntry
{
    public long Id { get; set; }

    public DateTime AtUtc { get; set; }

    public string ActorSubject { get; set; } = string.Empty;

    public string? ActorRole { get; set; }

    public string? ActorTenant { get; set; }

    /// <summary>setup, invite, withdraw_invitation, accept_invitation, request_password_reset, issue_password_reset, reset_password, deactivate, reactivate, change_role, enable_mfa, reset_mfa, recovery_codes, sign_out_everywhere; for API clients create_api_client, rotate_api_client_secret, revoke_api_client, revoke_api_client_tokens.</summary>
    public string Action { get; set; } = string.Empty;

    public string? TargetSubject { get; set; }

    /// <summary>The tenant the target belongs to (for listing per tenant).</summary>
    public string? TargetTenant { get; set; }

    public string? Before { get; set; }

    public string? After { get; set; }

    public string? ClientAddress { get; set; }
}

/// <summary>
/// One signed-in session of an account (one per sign-in, carried in the cookie as the "sid" claim): listed on the
/// account page, ended by signing out, "sign out everywhere" or deactivation. A cookie whose session is ended or
/// missing is refused at its next request.
/// </summary>
public sealed class AccountSession
{
    /// <summary>32 hex characters (128 random bits).</summary>
    public string Id { get; set; } = string.Empty;

    public string UserId { get; set; } = string.Empty;

    public DateTime CreatedAtUtc { get; set; }

    /// <summary>The last request seen on this session (updated at most once a minute).</summary>
    public DateTime LastSeenAtUtc { get; set; }

    public string? ClientAddress { get; set; }

    public string? UserAgent { get; set; }

    /// <summary>password, password+totp, passkey, setup, invitation.</summary>
    public string? Method { get; set; }

    public DateTime? EndedAtUtc { get; set; }
}

/// <summary>
/// An account-level count in a fixed window (e.g. reset mails of one account this hour), kept in the identity
/// database so every web node adds to the same count (<see cref="AccountCounters"/>).
/// </summary>
public sealed class AccountCounter
{
    /// <summary>What is counted and for whom, e.g. "password_reset_mail:{user id}".</summary>
    public string Key { get; set; } = string.Empty;

    /// <summary>The window's start in Unix seconds (UTC), a multiple of the window's length.</summary>
    public long WindowStart { get; set; }

    public int Count { get; set; }
}
