using System.Net.Mail;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Readiness.Rules;
using Readiness.Web.Components;

namespace Readiness.Web.Identity;

/// <summary>
/// The outcome of an account operation: success, or its faults, every field's at once (<see cref="Faults"/>, in form
/// order; <see cref="Field"/> and <see cref="Code"/> name the first).
/// </summary>
public sealed record AccountResult(bool Succeeded, string? Field = null, string? Code = null, string? Detail = null)
{
    public static AccountResult Ok { get; } = new(true);

    /// <summary>Every fault of a refused operation, in form order (one when it names no form field: a link, a person).</summary>
    public IReadOnlyList<FieldFault> Faults { get; init; } = [];

    public static AccountResult Fail(string field, string code, string? detail = null) => new(false, field, code, detail) { Faults = [new(field, code, detail)] };

    /// <summary>A refusal with every one of <paramref name="faults"/> (at least one).</summary>
    public static AccountResult Fail(IReadOnlyList<FieldFault> faults) =>
        new(false, faults[0].Field, faults[0].Code, faults[0].Detail) { Faults = faults };

    /// <summary>Nothing to do: the account or invitation is already so (the code says how: already_withdrawn, ...); nothing written or logged.</summary>
    public static AccountResult Unchanged(string code) => new(true, null, code);
}

/// <summary>An invitation made: mailed, or its link shown to the inviter (MailFailed: SMTP is set up but the send failed; else there is no SMTP).</summary>
public sealed record InvitationSent(Invitation Invitation, Uri Link, bool Mailed, bool MailFailed = false);

/// <summary>
/// A reset link an administrator issued: mailed to the person, or shown to the administrator (MailFailed: SMTP is set
/// up but the send failed; else there is no SMTP).
/// </summary>
/// <summary>
/// A reset link made: mailed, or shown to the administrator (MailFailed: SMTP is set up but the send failed). SecondFactor:
/// whether the account has one (an authenticator app or a passkey); without one, whoever uses the link can sign in as
/// the person and set up a second factor of their own, so the administrator is told so.
/// </summary>
public sealed record PasswordResetIssued(string Email, Uri Link, DateTime ExpiresAtUtc, bool Mailed, bool MailFailed = false, bool SecondFactor = true);

/// <summary>Whether an invitation (or setup) link can still be used, and why not.</summary>
public enum LinkState
{
    Valid,
    Unknown,
    Expired,
    Used,

    /// <summary>An administrator withdrew the invitation before it was accepted.</summary>
    Withdrawn,

    /// <summary>An account with the invitation's address exists (made by another invitation): the link can create nothing.</summary>
    AccountExists,
}

/// <summary>
/// First-run setup, invitations and account administration on the Identity store. Every change of an account is
/// written to the admin log (<see cref="AdminLogEntry"/>) in the same request, with who, what, when and from where.
/// </summary>
public sealed class AccountService(
    IdentityDb db,
    UserManager<ReadinessUser> users,
    AccountMail mail,
    AccountSessions sessions,
    DeactivatedAccounts deactivated,
    IOptions<AccountOptions> options,
    IOptions<PasswordResetTokenProviderOptions> resetTokens,
    Microsoft.AspNetCore.DataProtection.IDataProtectionProvider protection,
    TimeProvider time)
{
    public const string SetupActor = "setup";

    /// <summary>The longest e-mail address taken, in UTF-16 units (RFC 5321 §4.5.3.1.3: a path of 256 octets less its angle brackets).</summary>
    public const int MaxEmailLength = 254;

    /// <summary>The longest display name taken, in characters (code points, trimmed).</summary>
    public const int MaxDisplayNameLength = 100;

    /// <summary>The first key of PostgreSQL's two-key advisory locks taken on an invited address (any constant the product uses nowhere else).</summary>
    private const int InvitationLockSpace = 0x52696E76;

    /// <summary>A URL-safe secret of 256 bits; only its SHA-256 is stored.</summary>
    public static string NewSecret() => Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    public Task<bool> AnyUserAsync(CancellationToken cancellationToken = default) => db.Users.AnyAsync(cancellationToken);

    /// <summary>On an empty store: a new setup secret (earlier unused ones are withdrawn). Null when someone already has an account.</summary>
    public async Task<(string Secret, DateTime ExpiresAtUtc)?> NewSetupSecretAsync(CancellationToken cancellationToken = default)
    {
        if (await AnyUserAsync(cancellationToken))
        {
            return null;
        }

        var now = Now;
        await db.SetupTokens.Where(t => t.UsedAtUtc == null).ExecuteUpdateAsync(s => s.SetProperty(t => t.ExpiresAtUtc, now), cancellationToken);
        var secret = NewSecret();
        var expires = now + options.Value.SetupLinkLifetime;
        db.SetupTokens.Add(new SetupToken { Id = Guid.NewGuid(), TokenHash = Hash(secret), CreatedAtUtc = now, ExpiresAtUtc = expires });
        await db.SaveChangesAsync(cancellationToken);
        return (secret, expires);
    }

    public async Task<LinkState> SetupStateAsync(string? secret, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(secret) || secret.Length > 100)
        {
            return LinkState.Unknown;
        }

        var hash = Hash(secret);
        var token = await db.SetupTokens.AsNoTracking().FirstOrDefaultAsync(t => t.TokenHash == hash, cancellationToken);
        return token is null ? LinkState.Unknown
            : token.UsedAtUtc is not null || await AnyUserAsync(cancellationToken) ? LinkState.Used
            : token.ExpiresAtUtc <= Now ? LinkState.Expired
            : LinkState.Valid;
    }

    /// <summary>Creates the first system administrator with the setup link; the link is spent in the same step.</summary>
    public async Task<(AccountResult Result, ReadinessUser? User)> SetupAsync(string? secret, string? email, string? displayName, string? password, string? confirm, string? client, CancellationToken cancellationToken)
    {
        var state = await SetupStateAsync(secret, cancellationToken);
        if (state != LinkState.Valid)
        {
            return (AccountResult.Fail("token", state == LinkState.Expired ? "link_expired" : state == LinkState.Used ? "link_used" : "link_unknown"), null);
        }

        var check = await CheckNewAccountAsync(email, displayName, password, confirm);
        if (!check.Succeeded)
        {
            return (check, null);
        }

        // Spend the link first, atomically: of two simultaneous uses only one gets past this line.
        var hash = Hash(secret!);
        var now = Now;
        var spent = await db.SetupTokens.Where(t => t.TokenHash == hash && t.UsedAtUtc == null && t.ExpiresAtUtc > now)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.UsedAtUtc, now), cancellationToken);
        if (spent != 1)
        {
            return (AccountResult.Fail("token", "link_used"), null);
        }

        var user = NewUser(email!, displayName!, AccountRole.SystemAdministrator, null, SetupActor);
        var created = await users.CreateAsync(user, password!);
        if (!created.Succeeded)
        {
            // The link stays usable for another try (the person made a mistake, nothing was created).
            await db.SetupTokens.Where(t => t.TokenHash == hash).ExecuteUpdateAsync(s => s.SetProperty(t => t.UsedAtUtc, (DateTime?)null), cancellationToken);
            return (FromIdentity(created), null);
        }

        await LogAsync(SetupActor, null, null, "setup", user.Email, null, null, Describe(user), client, cancellationToken);
        return (AccountResult.Ok, user);
    }

    /// <summary>Invites a person: the actor must be allowed to give the role for the tenant (<see cref="AccountRules.CanAssign"/>).</summary>
    public async Task<(AccountResult Result, InvitationSent? Sent)> InviteAsync(ReadinessUser actor, string? email, string? roleText, string? tenant, Uri site, string? client, CancellationToken cancellationToken)
    {
        // Every field's fault at once: the address, the role and the tenant code are judged apart.
        List<FieldFault> faults = [];
        if (EmailFault(email) is { } emailFault)
        {
            faults.Add(emailFault);
        }

        email = NormalizeEmail(email);

        // The role is judged before the code, whose meaning depends on it: a role the actor may not give is its fault
        // (forbidden_role), and the code beside it is judged as the code of no role (a breaker found the code's fault
        // told alone, for a role that could not be given anyway).
        var parsed = AccountRules.TryParse(roleText, out var role);
        var assignable = parsed && AccountRules.Assignable(actor.AccountRole).Contains(role);
        if (!parsed)
        {
            faults.Add(new("role", "invalid_role"));
        }
        else if (!assignable)
        {
            faults.Add(new("role", "forbidden_role"));
        }

        // A tenant code given with a national or system role is refused, not dropped: the inviter meant something else.
        tenant = string.IsNullOrWhiteSpace(tenant) ? null : tenant.Trim();
        if (assignable ? !AccountRules.IsValidTenant(role, tenant) : tenant is not null && !AccountRules.IsKnownTenant(tenant))
        {
            faults.Add(AccountRules.TenantFault(assignable ? role : null));
        }

        if (faults.Count == 0 && AccountRules.AssignRefusal(actor.AccountRole, actor.Tenant, role, tenant) is { } refusal)
        {
            faults.AddRange(refusal.Faults);
        }

        if (faults.Count > 0)
        {
            return (AccountResult.Fail(faults), null);
        }

        if (await users.FindByEmailAsync(email!) is not null)
        {
            return (AccountResult.Fail("email", "email_taken"), null);
        }

        var now = Now;
        // One open invitation per address: of two, only the first accepted could make the account and the other link
        // would stay "open" without ever working. The inviter withdraws the open one first to send another.
        // Looked for and added in one transaction that holds the address: two administrators inviting it at the same
        // instant would otherwise both find none open and both add one. SQLite's transaction takes the write lock as it
        // begins (BEGIN IMMEDIATE); PostgreSQL's holds an advisory lock on the address until it ends.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({InvitationLockSpace}, hashtext({email}))", cancellationToken);
        }

        var open = await db.Invitations.AsNoTracking()
            .Where(i => i.Email == email && i.AcceptedAtUtc == null && i.RevokedAtUtc == null && i.ExpiresAtUtc > now)
            .OrderBy(i => i.CreatedAtUtc).FirstOrDefaultAsync(cancellationToken);
        if (open is not null)
        {
            return (AccountResult.Fail("email", "invitation_open", $"{open.InvitedBy} {open.CreatedAtUtc:O}"), null);
        }

        var secret = NewSecret();
        var invitation = new Invitation
        {
            Id = Guid.NewGuid(),
            TokenHash = Hash(secret),
            Email = email!,
            AccountRole = role,
            Tenant = tenant,
            InvitedBy = actor.Email!,
            CreatedAtUtc = now,
            ExpiresAtUtc = now + options.Value.InvitationLifetime,
        };
        db.Invitations.Add(invitation);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        var link = new Uri(site, "/invitation?token=" + secret);
        var mailed = await mail.SendInvitationAsync(email!, string.IsNullOrWhiteSpace(actor.DisplayName) ? actor.Email! : actor.DisplayName,
            AccountRules.Label(role, false) + (tenant is null ? string.Empty : $"（{tenant}）"), AccountRules.Label(role, true) + (tenant is null ? string.Empty : $" ({tenant})"),
            link, invitation.ExpiresAtUtc, cancellationToken);
        // The log says why a link was shown: no SMTP, or a send that failed (which the operator has to look into).
        var failed = !mailed && mail.Configured;
        await LogAsync(actor, "invite", email, tenant, null,
            $"{AccountRules.Name(role)} {tenant} until {invitation.ExpiresAtUtc:O}{(mailed ? " (mailed)" : failed ? " (link shown; the mail could not be sent)" : " (link shown)")}", client, cancellationToken);
        return (AccountResult.Ok, new InvitationSent(invitation, link, mailed, failed));
    }

    public async Task<(LinkState State, Invitation? Invitation)> FindInvitationAsync(string? secret, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(secret) || secret.Length > 100)
        {
            return (LinkState.Unknown, null);
        }

        var hash = Hash(secret);
        var invitation = await db.Invitations.AsNoTracking().FirstOrDefaultAsync(i => i.TokenHash == hash, cancellationToken);
        return invitation is null ? (LinkState.Unknown, null)
            : invitation.RevokedAtUtc is not null ? (LinkState.Withdrawn, invitation)
            : invitation.AcceptedAtUtc is not null ? (LinkState.Used, invitation)
            : invitation.ExpiresAtUtc <= Now ? (LinkState.Expired, invitation)
            // Another invitation for the same address was accepted first: this link can only fail, so it is not offered.
            : await users.FindByEmailAsync(invitation.Email) is not null ? (LinkState.AccountExists, invitation)
            : (LinkState.Valid, invitation);
    }

    /// <summary>Creates the invited account (e-mail fixed by the invitation, counted as verified); the link is spent once.</summary>
    public async Task<(AccountResult Result, ReadinessUser? User)> AcceptAsync(string? secret, string? displayName, string? password, string? confirm, string? client, CancellationToken cancellationToken)
    {
        var (state, invitation) = await FindInvitationAsync(secret, cancellationToken);
        if (state != LinkState.Valid)
        {
            return (AccountResult.Fail("token", LinkError(state)), null);
        }

        var check = await CheckNewAccountAsync(invitation!.Email, displayName, password, confirm);
        if (!check.Succeeded)
        {
            return (check, null);
        }

        var now = Now;
        // Withdrawn between the check and here: not spent either (the withdrawal and the acceptance cannot both win).
        var spent = await db.Invitations.Where(i => i.Id == invitation.Id && i.AcceptedAtUtc == null && i.RevokedAtUtc == null && i.ExpiresAtUtc > now)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.AcceptedAtUtc, now), cancellationToken);
        if (spent != 1)
        {
            var (after, _) = await FindInvitationAsync(secret, cancellationToken);
            return (AccountResult.Fail("token", after == LinkState.Withdrawn ? "link_withdrawn" : "link_used"), null);
        }

        var user = NewUser(invitation.Email, displayName!, invitation.AccountRole, invitation.Tenant, invitation.InvitedBy);
        var created = await users.CreateAsync(user, password!);
        if (!created.Succeeded)
        {
            await db.Invitations.Where(i => i.Id == invitation.Id).ExecuteUpdateAsync(s => s.SetProperty(i => i.AcceptedAtUtc, (DateTime?)null), cancellationToken);
            return (FromIdentity(created), null);
        }

        await LogAsync(user.Email!, null, null, "accept_invitation", user.Email, user.Tenant, null, Describe(user), client, cancellationToken);
        return (AccountResult.Ok, user);
    }

    /// <summary>The error code of a link that cannot be used (see <see cref="AccountMessages"/>).</summary>
    public static string LinkError(LinkState state) => state switch
    {
        LinkState.Expired => "link_expired",
        LinkState.Used => "link_used",
        LinkState.Withdrawn => "link_withdrawn",
        LinkState.AccountExists => "link_account_exists",
        _ => "link_unknown",
    };

    /// <summary>
    /// Withdraws an invitation not yet accepted: its link then answers "withdrawn" and creates nothing. Only an
    /// administrator who may issue that invitation (<see cref="AccountRules.CanAssign"/>) may withdraw it; its inviter
    /// no longer allowed to is refused like anyone else.
    /// </summary>
    public async Task<AccountResult> WithdrawInvitationAsync(ReadinessUser actor, string? id, string? client, CancellationToken cancellationToken)
    {
        var invitation = Guid.TryParse(id, out var key) ? await db.Invitations.AsNoTracking().FirstOrDefaultAsync(i => i.Id == key, cancellationToken) : null;
        if (invitation is null || !AccountRules.CanAssign(actor.AccountRole, actor.Tenant, invitation.AccountRole, invitation.Tenant))
        {
            return AccountResult.Fail("invitation", "forbidden_invitation");
        }

        if (invitation.AcceptedAtUtc is not null)
        {
            return AccountResult.Fail("invitation", "invitation_accepted");
        }

        if (invitation.RevokedAtUtc is not null)
        {
            return AccountResult.Unchanged("already_withdrawn");
        }

        var now = Now;
        var withdrawn = await db.Invitations.Where(i => i.Id == invitation.Id && i.AcceptedAtUtc == null && i.RevokedAtUtc == null)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.RevokedAtUtc, now), cancellationToken);
        if (withdrawn == 1)
        {
            await LogAsync(actor, "withdraw_invitation", invitation.Email, invitation.Tenant,
                $"{AccountRules.Name(invitation.AccountRole)} {invitation.Tenant} invited by {invitation.InvitedBy} until {invitation.ExpiresAtUtc:O}", "withdrawn", client, cancellationToken);
            return AccountResult.Ok;
        }

        // Accepted in the meantime, or withdrawn by someone else in the meantime (logged once, by that withdrawal).
        var current = await db.Invitations.AsNoTracking().FirstAsync(i => i.Id == invitation.Id, cancellationToken);
        return current.AcceptedAtUtc is not null ? AccountResult.Fail("invitation", "invitation_accepted") : AccountResult.Unchanged("already_withdrawn");
    }

    /// <summary>The page a reset token is used on: /password/reset?user=ID&amp;token=TOKEN under <paramref name="site"/>.</summary>
    public static Uri ResetLink(Uri site, string userId, string token) =>
        new(site, $"/password/reset?user={Uri.EscapeDataString(userId)}&token={Uri.EscapeDataString(token)}");

    /// <summary>
    /// An administrator's reset link for an active account it manages (the person forgot the password and the server
    /// has no mail, or the mail did not arrive): mailed when SMTP works, else returned for the administrator to pass
    /// on. The same single-use, expiring token as a mailed one. Errors: user unknown_user, self, forbidden_user, user_deactivated.
    /// </summary>
    public async Task<(AccountResult Result, PasswordResetIssued? Issued)> IssuePasswordResetAsync(ReadinessUser actor, string targetId, Uri site, string? client, CancellationToken cancellationToken)
    {
        var (target, refusal) = await ManagedAsync(actor, targetId);
        if (target is null)
        {
            return (refusal, null);
        }

        if (!target.Active)
        {
            return (AccountResult.Fail("user", "user_deactivated"), null);
        }

        var expires = Now + options.Value.PasswordResetLifetime;
        var secondFactor = target.TwoFactorEnabled || await AccountClaimsFactory.HasPasskeyAsync(users, target);
        var link = ResetLink(site, target.Id, await users.GeneratePasswordResetTokenAsync(target));
        var mailed = mail.Configured && await mail.SendPasswordResetAsync(target.Email!, link, expires, secondFactor, cancellationToken);
        if (!mailed)
        {
            // The link the administrator is shown is sealed as such, so that the reset it makes is logged as what it was.
            link = ResetLink(site, target.Id, await users.GenerateUserTokenAsync(target, users.Options.Tokens.PasswordResetTokenProvider, PasswordResetTokenProvider.ShownPurpose));
        }

        await LogAsync(actor, "issue_password_reset", target.Email, target.Tenant, null,
            $"reset link valid until {expires:O}{(mailed ? " (mailed)" : mail.Configured ? " (shown to the administrator; the mail could not be sent)" : " (shown to the administrator)")}{(secondFactor ? "" : "; the account has no second factor")}", client, cancellationToken);
        return (AccountResult.Ok, new PasswordResetIssued(target.Email!, link, expires, mailed, !mailed && mail.Configured, secondFactor));
    }

    /// <summary>
    /// The account a reset link is for, while the link is valid and the account active; otherwise why not: Unknown (never
    /// a link of this server for this account: malformed, forged, another account's), Expired (older than
    /// <see cref="AccountOptions.PasswordResetLifetime"/>), Used (the account's security stamp changed since: the link was
    /// used, or a later change voided it), Withdrawn (the account was deactivated).
    /// </summary>
    public async Task<(LinkState State, ReadinessUser? User)> FindResetAsync(string? userId, string? token)
    {
        if (string.IsNullOrEmpty(userId) || userId.Length > 100 || string.IsNullOrEmpty(token) || token.Length > 2000)
        {
            return (LinkState.Unknown, null);
        }

        var user = await users.FindByIdAsync(userId);
        if (user is null)
        {
            return (LinkState.Unknown, null);
        }

        if (await users.VerifyUserTokenAsync(user, users.Options.Tokens.PasswordResetTokenProvider, UserManager<ReadinessUser>.ResetPasswordTokenPurpose, token))
        {
            return user.Active ? (LinkState.Valid, user) : (LinkState.Withdrawn, null);
        }

        // A genuine link of a deactivated account says so, whatever else voided it (deactivation renews the stamp, which
        // alone would read as "used"): the link and its form post then give the same 410 and message.
        var state = ResetTokenState(user.Id, token);
        return (state != LinkState.Unknown && !user.Active ? LinkState.Withdrawn : state, null);
    }

    /// <summary>Why a reset token Identity refused is refused: opened as Identity's DataProtectorTokenProvider seals it (time, user id, purpose, stamp).</summary>
    private LinkState ResetTokenState(string userId, string token)
    {
        try
        {
            var sealedBytes = Convert.FromBase64String(token);
            var bytes = protection.CreateProtector(resetTokens.Value.Name).Unprotect(sealedBytes);
            using var reader = new BinaryReader(new MemoryStream(bytes), new UTF8Encoding(false, true));
            var created = new DateTimeOffset(reader.ReadInt64(), TimeSpan.Zero);
            var forUser = reader.ReadString();
            var purpose = reader.ReadString();
            if (forUser != userId || purpose is not (UserManager<ReadinessUser>.ResetPasswordTokenPurpose or PasswordResetTokenProvider.ShownPurpose))
            {
                return LinkState.Unknown;
            }

            return created + resetTokens.Value.TokenLifespan < time.GetUtcNow() ? LinkState.Expired : LinkState.Used;
        }
        catch (Exception ex) when (ex is FormatException or System.Security.Cryptography.CryptographicException or EndOfStreamException or IOException or DecoderFallbackException)
        {
            return LinkState.Unknown;
        }
    }

    /// <summary>The error code of a reset link that cannot be used (see <see cref="AccountMessages"/>).</summary>
    public static string ResetLinkError(LinkState state) => state switch
    {
        LinkState.Expired => "reset_link_expired",
        LinkState.Used => "reset_link_used",
        LinkState.Withdrawn => "reset_link_withdrawn",
        _ => "reset_link_invalid",
    };

    /// <summary>
    /// The HTTP status of a page for a link that cannot be used (reset, invitation, setup): 400 for one that never was a
    /// link (malformed, unknown, forged), 410 Gone for one that was and no longer works (expired, used, withdrawn); 200 while valid.
    /// </summary>
    public static int LinkStatus(LinkState state) => state switch
    {
        LinkState.Valid => StatusCodes.Status200OK,
        LinkState.Unknown => StatusCodes.Status400BadRequest,
        _ => StatusCodes.Status410Gone,
    };

    /// <summary>
    /// Sets a new password with a mailed reset link (same rules as a new account). The new security stamp spends the
    /// link and ends every other credential at its next check; the session records end at once; the lockout is
    /// cleared; the second factor stays (the person signs in again, with it). Logged, and the person gets a notice mail.
    /// Errors: token reset_link_invalid (never a link), reset_link_expired, reset_link_used, reset_link_withdrawn (the account is deactivated); password password_required, password_too_short, common_password, ...; confirm password_mismatch.
    /// </summary>
    public async Task<AccountResult> ResetPasswordAsync(string? userId, string? token, string? password, string? confirm, string? client, CancellationToken cancellationToken)
    {
        var (state, user) = await FindResetAsync(userId, token);
        if (user is null)
        {
            return AccountResult.Fail("token", ResetLinkError(state));
        }

        // Known before the reset renews the stamp: a link an administrator was shown is sealed with a purpose of its own.
        var shown = await users.VerifyUserTokenAsync(user, users.Options.Tokens.PasswordResetTokenProvider, PasswordResetTokenProvider.ShownPurpose, token!);

        if (await PasswordFaultsAsync(user, password, confirm) is { Count: > 0 } faults)
        {
            return AccountResult.Fail(faults);
        }

        // Checks the token again (a second use in the meantime has renewed the stamp) and the password rules.
        var reset = await users.ResetPasswordAsync(user, token!, password!);
        if (!reset.Succeeded)
        {
            return reset.Errors.Any(e => e.Code == nameof(IdentityErrorDescriber.InvalidToken)) ? AccountResult.Fail("token", "reset_link_used") : FromIdentity(reset);
        }

        var ended = await sessions.EndAllAsync(user.Id, null, cancellationToken);
        await users.SetLockoutEndDateAsync(user, null);
        await users.ResetAccessFailedCountAsync(user);
        await LogAsync(user.Email!, AccountRules.Name(user.AccountRole), user.Tenant, "reset_password", user.Email, user.Tenant, null,
            $"password reset by {(shown ? "a link shown to an administrator" : "mailed link")}; {ended} sessions ended; lockout cleared; second factor {(user.TwoFactorEnabled ? "kept" : "not set")}", client, cancellationToken);
        await mail.SendPasswordChangedAsync(user.Email!, Now, client, cancellationToken);
        return AccountResult.Ok;
    }

    /// <summary>
    /// A signed-in person's own password change (OWASP ASVS 2.1.5/2.1.6: the current password, then the new one twice).
    /// Every fault at once, nothing written: currentPassword current_password_required or current_password_wrong (which counts
    /// toward the lockout as a wrong sign-in does) or locked_out; password password_required, password_too_short,
    /// common_password, ... or password_unchanged (the new one is the current one); confirm password_mismatch. On success
    /// the hash and the security stamp are renewed, every session but <paramref name="keepSession"/> ends, the change is in
    /// the administration log and a notice is mailed to the account's address (when mail is set up).
    /// </summary>
    public async Task<AccountResult> ChangePasswordAsync(
        ReadinessUser user, string? current, string? password, string? confirm, string? keepSession, string? client, CancellationToken cancellationToken)
    {
        List<FieldFault> faults = [];
        var currentRight = false;
        if (string.IsNullOrEmpty(current))
        {
            faults.Add(new("currentPassword", "current_password_required"));
        }
        else if (await users.IsLockedOutAsync(user))
        {
            faults.Add(new("currentPassword", "locked_out"));
        }
        else if (!(currentRight = await users.CheckPasswordAsync(user, current)))
        {
            // A stolen session must not become a free password-guessing oracle: wrong tries lock as sign-in's do.
            await users.AccessFailedAsync(user);
            faults.Add(new("currentPassword", await users.IsLockedOutAsync(user) ? "locked_out" : "current_password_wrong"));
        }

        faults.AddRange(await PasswordFaultsAsync(user, password, confirm));
        if (currentRight && password == current && !faults.Any(f => f.Field == "password"))
        {
            faults.Add(new("password", "password_unchanged"));
        }

        if (faults.Count > 0)
        {
            return AccountResult.Fail(faults);
        }

        var changed = await users.ChangePasswordAsync(user, current!, password!);
        if (!changed.Succeeded)
        {
            return FromIdentity(changed);
        }

        await users.ResetAccessFailedCountAsync(user);
        var ended = await sessions.EndAllAsync(user.Id, keepSession, cancellationToken);
        await LogAsync(user, "change_password", user.Email, user.Tenant, null,
            $"password changed by its owner; {ended} other sessions ended; second factor {(user.TwoFactorEnabled ? "kept" : "not set")}", client, cancellationToken);
        await mail.SendPasswordChangedAsync(user.Email!, Now, client, cancellationToken, byOwner: true);
        return AccountResult.Ok;
    }

    /// <summary>The accounts the actor manages, newest first.</summary>
    public async Task<IReadOnlyList<ReadinessUser>> ListAsync(ReadinessUser actor, CancellationToken cancellationToken)
    {
        IQueryable<ReadinessUser> query = db.Users.AsNoTracking();
        if (actor.AccountRole != AccountRole.SystemAdministrator)
        {
            var prefix = actor.Tenant ?? "\0";
            query = query.Where(u => u.Tenant != null && u.Tenant.StartsWith(prefix));
        }

        var all = await query.ToListAsync(cancellationToken);
        return [.. all.Where(u => u.Id == actor.Id || AccountRules.CanManage(actor.AccountRole, actor.Tenant, u.AccountRole, u.Tenant)).OrderBy(u => u.Tenant).ThenBy(u => u.Email)];
    }

    public async Task<IReadOnlyList<Invitation>> PendingInvitationsAsync(ReadinessUser actor, CancellationToken cancellationToken)
    {
        var now = Now;
        var open = await db.Invitations.AsNoTracking().Where(i => i.AcceptedAtUtc == null && i.RevokedAtUtc == null && i.ExpiresAtUtc > now).ToListAsync(cancellationToken);
        // An invitation whose address has an account meanwhile (another invitation was accepted) can never be accepted: not open.
        var addresses = open.Select(i => i.Email).Distinct().ToList();
        var taken = (await db.Users.AsNoTracking().Where(u => u.Email != null && addresses.Contains(u.Email)).Select(u => u.Email!).ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
        return [.. open.Where(i => !taken.Contains(i.Email) && (AccountRules.CanManage(actor.AccountRole, actor.Tenant, i.AccountRole, i.Tenant) || i.InvitedBy == actor.Email)).OrderByDescending(i => i.CreatedAtUtc)];
    }

    public async Task<IReadOnlyList<AdminLogEntry>> LogEntriesAsync(ReadinessUser actor, int limit, CancellationToken cancellationToken)
    {
        IQueryable<AdminLogEntry> query = db.AdminLog.AsNoTracking();
        if (actor.AccountRole != AccountRole.SystemAdministrator)
        {
            var prefix = actor.Tenant ?? "\0";
            var email = actor.Email;
            // A role change is in the scope of the tenant it left as well as the one it gave (target_tenant): its before
            // text is Describe's "role tenant[ deactivated]", and role names hold no space, so " 13" there is tenant 13...
            // The only action whose before and after tenants can differ (an invitation, a client keeps its tenant).
            var left = " " + prefix;
            query = query.Where(e => (e.TargetTenant != null && e.TargetTenant.StartsWith(prefix)) || e.ActorSubject == email
                || (e.Action == "change_role" && e.Before != null && e.Before.Contains(left)));
        }

        return await query.OrderByDescending(e => e.Id).Take(limit).ToListAsync(cancellationToken);
    }

    /// <summary>Deactivates (or reactivates) an account the actor manages. A new security stamp ends open sessions at their next check.</summary>
    public async Task<AccountResult> SetActiveAsync(ReadinessUser actor, string targetId, bool active, string? client, CancellationToken cancellationToken)
    {
        var (target, refusal) = await ManagedAsync(actor, targetId);
        if (target is null)
        {
            return refusal;
        }

        if (target.Active == active)
        {
            return AccountResult.Unchanged(active ? "already_active" : "already_inactive");
        }

        var before = Describe(target);
        target.Active = active;
        await users.UpdateAsync(target);
        await users.UpdateSecurityStampAsync(target);
        if (!active)
        {
            // Its sessions end now (cookies refused at the next request); streams at their next check.
            await sessions.EndAllAsync(target.Id, null, cancellationToken);
        }

        deactivated.Invalidate();
        await LogAsync(actor, active ? "reactivate" : "deactivate", target.Email, target.Tenant, before, Describe(target), client, cancellationToken);
        return AccountResult.Ok;
    }

    /// <summary>Gives an account another role (and tenant), within what the actor may assign.</summary>
    public async Task<AccountResult> ChangeRoleAsync(ReadinessUser actor, string targetId, string? roleText, string? tenant, string? client, CancellationToken cancellationToken)
    {
        var (target, refusal) = await ManagedAsync(actor, targetId);
        if (target is null)
        {
            return refusal;
        }

        // Both fields judged at once, the role first: a bad role, or one the actor may not give, and a bad tenant code
        // are told together (the code judged as the code of no role, for its meaning depends on the role).
        var parsed = AccountRules.TryParse(roleText, out var role);
        if (!parsed || !AccountRules.Assignable(actor.AccountRole).Contains(role))
        {
            FieldFault roleFault = new("role", parsed ? "forbidden_role" : "invalid_role");
            var tenantFault = !string.IsNullOrWhiteSpace(tenant) && !AccountRules.IsKnownTenant(tenant.Trim());
            return AccountResult.Fail(tenantFault ? [roleFault, AccountRules.TenantFault(null)] : [roleFault]);
        }

        // Empty keeps the account's tenant for a role that has one; a code given with a national or system role is
        // refused (invalid_tenant), never dropped.
        var national = AccountRules.ApiRole(role) is Role.Admin or Role.National;
        tenant = string.IsNullOrWhiteSpace(tenant) ? national ? null : target.Tenant : tenant.Trim();
        if (!AccountRules.IsValidTenant(role, tenant))
        {
            return AccountResult.Fail([AccountRules.TenantFault(role)]);
        }

        if (AccountRules.AssignRefusal(actor.AccountRole, actor.Tenant, role, tenant) is { } assignRefusal)
        {
            return assignRefusal;
        }

        if (target.AccountRole == role && target.Tenant == tenant)
        {
            // Not a change: no new security stamp (that would end the person's sessions) and no log row.
            return AccountResult.Unchanged("role_unchanged");
        }

        var before = Describe(target);
        target.AccountRole = role;
        target.Tenant = tenant;
        await users.UpdateAsync(target);
        await users.UpdateSecurityStampAsync(target); // open sessions end at their next check; the next sign-in carries the new role
        await LogAsync(actor, "change_role", target.Email, tenant, before, Describe(target), client, cancellationToken);
        return AccountResult.Ok;
    }

    /// <summary>
    /// Ends the lockout of an account the actor manages (Identity locks an account for
    /// <see cref="AccountOptions.LockoutDuration"/> after <see cref="AccountOptions.MaxFailedAccessAttempts"/> wrong
    /// passwords or second-factor codes in a row) and sets its failed-attempt count back to 0, so the person can sign
    /// in at once instead of waiting. Logged as unlock_account with the lockout's end. Unchanged not_locked (nothing
    /// written or logged) when the account is not locked out now. Errors: user unknown_user, self, forbidden_user.
    /// </summary>
    public async Task<AccountResult> UnlockAsync(ReadinessUser actor, string targetId, string? client, CancellationToken cancellationToken)
    {
        var (target, refusal) = await ManagedAsync(actor, targetId);
        if (target is null)
        {
            return refusal;
        }

        if (LockedUntil(target, time.GetUtcNow()) is not { } until)
        {
            return AccountResult.Unchanged("not_locked");
        }

        await users.SetLockoutEndDateAsync(target, null);
        await users.ResetAccessFailedCountAsync(target);
        await LogAsync(actor, "unlock_account", target.Email, target.Tenant, $"locked out until {until.UtcDateTime:O}", "lockout cleared", client, cancellationToken);
        return AccountResult.Ok;
    }

    /// <summary>When the account's lockout ends, if it is locked out at <paramref name="now"/>; null when it is not.</summary>
    public static DateTimeOffset? LockedUntil(ReadinessUser user, DateTimeOffset now) =>
        user.LockoutEnabled && user.LockoutEnd is { } end && end > now ? end : null;

    /// <summary>Refusal code of an action on a person whose id names no account (the form endpoints answer 404).</summary>
    public const string UnknownUser = "unknown_user";

    /// <summary>
    /// The one rule of every administrator's action on a person (deactivate, change role, reset link, unlock): an
    /// account the actor manages (<see cref="AccountRules.CanManage"/>), never the actor's own. Target null with the
    /// refusal when not allowed: user unknown_user (no account has this id), forbidden_user (one the actor does not
    /// manage), self.
    /// </summary>
    private async Task<(ReadinessUser? Target, AccountResult Refusal)> ManagedAsync(ReadinessUser actor, string targetId)
    {
        var target = await users.FindByIdAsync(targetId);
        return target is null ? (null, AccountResult.Fail("user", UnknownUser))
            : target.Id == actor.Id ? (null, AccountResult.Fail("user", "self"))
            : !AccountRules.CanManage(actor.AccountRole, actor.Tenant, target.AccountRole, target.Tenant) ? (null, AccountResult.Fail("user", "forbidden_user"))
            : (target, AccountResult.Ok);
    }

    public async Task RecordSignInAsync(ReadinessUser user, CancellationToken cancellationToken)
    {
        var now = Now;
        await db.Users.Where(u => u.Id == user.Id).ExecuteUpdateAsync(s => s.SetProperty(u => u.LastSignInAtUtc, now), cancellationToken);
    }

    /// <summary>The admin log's actions that hand a client's secret to a person: creating it and issuing a new secret.</summary>
    public static readonly string[] ClientSecretActions = ["create_api_client", "rotate_api_client_secret"];

    /// <summary>
    /// Per client id of <paramref name="clientIds"/>, the admin log's latest entry that handed out its secret
    /// (<see cref="ClientSecretActions"/>): whoever it names holds the secret now. A client with no such entry is absent.
    /// </summary>
    public async Task<Dictionary<string, AdminLogEntry>> ClientSecretIssuesAsync(IReadOnlyCollection<string> clientIds, CancellationToken cancellationToken)
    {
        var entries = await db.AdminLog.AsNoTracking()
            .Where(e => ClientSecretActions.Contains(e.Action) && e.TargetSubject != null && clientIds.Contains(e.TargetSubject))
            .ToListAsync(cancellationToken);
        return entries.GroupBy(e => e.TargetSubject!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.MaxBy(e => e.Id)!, StringComparer.Ordinal);
    }

    /// <summary>
    /// How many secrets each client has been handed (its create_api_client and rotate_api_client_secret entries, 1 and
    /// up; absent: none on record): the client's secret version, which each rotation raises.
    /// </summary>
    public async Task<Dictionary<string, int>> ClientSecretIssueCountsAsync(IReadOnlyCollection<string> clientIds, CancellationToken cancellationToken) =>
        await db.AdminLog.AsNoTracking()
            .Where(e => ClientSecretActions.Contains(e.Action) && e.TargetSubject != null && clientIds.Contains(e.TargetSubject))
            .GroupBy(e => e.TargetSubject!)
            .Select(g => new { Client = g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.Client, g => g.Count, StringComparer.Ordinal, cancellationToken);

    /// <summary>The client ids whose secret <paramref name="email"/> was the last to be handed (by creating the client or issuing a new secret).</summary>
    public async Task<IReadOnlyList<string>> ClientSecretsHeldByAsync(string email, CancellationToken cancellationToken)
    {
        var touched = await db.AdminLog.AsNoTracking()
            .Where(e => ClientSecretActions.Contains(e.Action) && e.TargetSubject != null && e.ActorSubject == email)
            .Select(e => e.TargetSubject!).Distinct().ToListAsync(cancellationToken);
        var latest = await ClientSecretIssuesAsync(touched, cancellationToken);
        return [.. latest.Values.Where(e => string.Equals(e.ActorSubject, email, StringComparison.OrdinalIgnoreCase)).Select(e => e.TargetSubject!)];
    }

    /// <summary>The account of an e-mail address (an admin log's actor), or null for an actor that is no account (an admin token).</summary>
    public Task<ReadinessUser?> FindByEmailAsync(string email) => users.FindByEmailAsync(email);

    /// <summary>The account of an id, or null.</summary>
    public Task<ReadinessUser?> FindByIdAsync(string id) => users.FindByIdAsync(id);

    public Task LogAsync(ReadinessUser actor, string action, string? targetSubject, string? targetTenant, string? before, string? after, string? client, CancellationToken cancellationToken) =>
        LogAsync(actor.Email!, AccountRules.Name(actor.AccountRole), actor.Tenant, action, targetSubject, targetTenant, before, after, client, cancellationToken);

    public async Task LogAsync(string actor, string? actorRole, string? actorTenant, string action, string? targetSubject, string? targetTenant, string? before, string? after, string? client, CancellationToken cancellationToken)
    {
        db.AdminLog.Add(new AdminLogEntry
        {
            AtUtc = Now,
            ActorSubject = actor,
            ActorRole = actorRole,
            ActorTenant = actorTenant,
            Action = action,
            TargetSubject = targetSubject,
            TargetTenant = targetTenant,
            Before = before,
            After = after,
            ClientAddress = client,
        });
        await db.SaveChangesAsync(cancellationToken);
    }

    public static string Describe(ReadinessUser user) =>
        $"{AccountRules.Name(user.AccountRole)}{(user.Tenant is null ? string.Empty : " " + user.Tenant)}{(user.Active ? string.Empty : " deactivated")}";

    /// <summary>
    /// An e-mail address as stored and compared: NFKC (a Japanese input method's full-width ａ and ＠ are ASCII), trimmed,
    /// lower case; null when it is not one address of up to 254 characters.
    /// </summary>
    public static string? NormalizeEmail(string? email)
    {
        try
        {
            email = email is null ? null : FreeText.Normalized(email, NormalizationForm.FormKC).Trim();
        }
        catch (ArgumentException)
        {
            return null; // an unpaired surrogate: not an address
        }

        if (string.IsNullOrEmpty(email) || email.Length > MaxEmailLength || !MailAddress.TryCreate(email, out var parsed) || parsed.Address != email || !email.Contains('@', StringComparison.Ordinal))
        {
            return null;
        }

        return email.ToLowerInvariant();
    }

    /// <summary>
    /// The fault of an e-mail address as typed, judged as <see cref="NormalizeEmail"/> reads it: null when it is one;
    /// email_too_long when its stored form (NFKC, trimmed) is over <see cref="MaxEmailLength"/> (said as such, never
    /// cut); invalid_email otherwise. One rule for setup, invitations, sign-in and the reset request.
    /// </summary>
    public static FieldFault? EmailFault(string? email)
    {
        if (NormalizeEmail(email) is not null)
        {
            return null;
        }

        int length;
        try
        {
            length = email is null ? 0 : FreeText.Normalized(email, NormalizationForm.FormKC).Trim().Length;
        }
        catch (ArgumentException)
        {
            length = email!.Length; // an unpaired surrogate: judged as typed
        }

        return new("email", length > MaxEmailLength ? "email_too_long" : "invalid_email");
    }

    /// <summary>Every fault of a new account's fields at once, in form order: e-mail, name, password (its rules too), confirmation.</summary>
    private async Task<AccountResult> CheckNewAccountAsync(string? email, string? displayName, string? password, string? confirm)
    {
        List<FieldFault> faults = [];
        var normalized = NormalizeEmail(email);
        if (EmailFault(email) is { } emailFault)
        {
            faults.Add(emailFault);
        }

        // Over the limit is said as such (name_too_long, "max 100"), never cut; a control character (a NUL, which
        // PostgreSQL text refuses; a line break, which forges a line of a mail or log) or an empty name is invalid_name.
        if (!string.IsNullOrWhiteSpace(displayName) && FreeText.Characters(displayName.Trim()) > MaxDisplayNameLength)
        {
            faults.Add(new("displayName", "name_too_long"));
        }
        else if (string.IsNullOrWhiteSpace(displayName) || FreeText.Check(displayName, multiline: false).Fault != FreeTextFault.None)
        {
            faults.Add(new("displayName", "invalid_name"));
        }

        faults.AddRange(await PasswordFaultsAsync(new ReadinessUser { Email = normalized, UserName = normalized }, password, confirm));
        return faults.Count == 0 ? AccountResult.Ok : AccountResult.Fail(faults);
    }

    /// <summary>
    /// The password's faults, all at once: empty, each rule Identity's validators refuse (length, common, containing the
    /// address), and a confirmation that differs. Nothing is written.
    /// </summary>
    private async Task<List<FieldFault>> PasswordFaultsAsync(ReadinessUser user, string? password, string? confirm)
    {
        List<FieldFault> faults = [];
        if (string.IsNullOrEmpty(password))
        {
            faults.Add(new("password", "password_required"));
        }
        else
        {
            foreach (var validator in users.PasswordValidators)
            {
                var checkedPassword = await validator.ValidateAsync(users, user, password);
                faults.AddRange(checkedPassword.Errors.Select(ToFault).Where(f => f.Field == "password"));
            }
        }

        if (!string.IsNullOrEmpty(password) && password != confirm)
        {
            faults.Add(new("confirm", "password_mismatch"));
        }

        // One message per code (two validators may refuse for the same reason).
        return [.. faults.DistinctBy(f => (f.Field, f.Code))];
    }

    private ReadinessUser NewUser(string email, string displayName, AccountRole role, string? tenant, string invitedBy)
    {
        email = NormalizeEmail(email)!;
        return new ReadinessUser
        {
            UserName = email,
            Email = email,
            EmailConfirmed = true,
            DisplayName = displayName.Trim(),
            AccountRole = role,
            Tenant = tenant,
            Active = true,
            CreatedAtUtc = Now,
            InvitedBy = invitedBy,
            LockoutEnabled = true,
        };
    }

    private static AccountResult FromIdentity(IdentityResult result) =>
        AccountResult.Fail([.. result.Errors.Select(ToFault).DistinctBy(f => (f.Field, f.Code))]);

    private static FieldFault ToFault(IdentityError error)
    {
        var field = error.Code.StartsWith("Password", StringComparison.Ordinal) || error.Code is "common_password" or "contains_email" or "password_too_long" ? "password" : "email";
        var code = error.Code switch
        {
            "PasswordTooShort" => "password_too_short",
            "common_password" => "common_password",
            "password_too_long" => "password_too_long",
            "contains_email" => "password_contains_email",
            "DuplicateEmail" or "DuplicateUserName" => "email_taken",
            _ when field == "password" => "password_weak",
            _ => "invalid_email",
        };
        return new FieldFault(field, code, error.Description);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
