using Readiness.Hosting;

namespace Readiness.Web.Identity;

/// <summary>The account settings in the "Readiness:Auth" section (env Readiness__Auth__RequireMfa, ...).</summary>
public sealed class AccountOptions
{
    public const string Section = "Readiness:Auth";

    /// <summary>A second factor for every role that writes municipal data or administers users (default true; false for a demo).</summary>
    public bool RequireMfa { get; set; } = true;

    /// <summary>How often an open session is checked against the account (deactivation, role change, sign out everywhere); at most a minute.</summary>
    public TimeSpan SessionRevalidation { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a session lasts after sign-in (not sliding).</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>How long the first-run setup link printed to the console stays valid.</summary>
    public TimeSpan SetupLinkLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long an invitation link stays valid.</summary>
    public TimeSpan InvitationLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long a mailed password reset link stays valid (Identity's default for its tokens is a day: too long for a link that replaces a password).</summary>
    public TimeSpan PasswordResetLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Reset mails one address can be sent per hour (however many people ask): a mailbox is not flooded.</summary>
    public int PasswordResetMailsPerHour { get; set; } = 3;

    /// <summary>Minimum password length (NIST SP 800-63B: length and a breached-password list, no composition rules).</summary>
    public int PasswordMinLength { get; set; } = 12;

    /// <summary>Wrong passwords before the account is locked, and for how long.</summary>
    public int MaxFailedAccessAttempts { get; set; } = 5;

    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The site's public address for links in e-mails and the console (e.g. https://readiness.example.lg.jp); default: the first address the server listens on (never a request's Host header: see ServerSite).</summary>
    public string? PublicUrl { get; set; }

    /// <summary>The `token` command is refused in the Production environment unless this is true.</summary>
    public bool AllowTokenCommandInProduction { get; set; }

    /// <summary>The settings the product cannot work with (a public address links cannot be made from, a lifetime of zero or less).</summary>
    public IEnumerable<string> Problems()
    {
        if (!string.IsNullOrWhiteSpace(PublicUrl)
            && !(Uri.TryCreate(PublicUrl, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)))
        {
            yield return $"{Section}:PublicUrl = '{PublicUrl}': http:// か https:// で始まる絶対 URL を指定してください / must be an absolute http or https URL (e.g. https://readiness.example.lg.jp).";
        }

        if (SessionRevalidation <= TimeSpan.Zero || SessionRevalidation > TimeSpan.FromMinutes(1))
        {
            yield return OptionsProblems.Setting($"{Section}:{nameof(SessionRevalidation)}", SessionRevalidation,
                "0 より長く 00:01:00 以下の時間を指定してください（無効にした利用者のセッションは 1 分以内に止まる必要があります）",
                "must be more than zero and at most 00:01:00 (a deactivated user's sessions must stop within a minute).");
        }

        foreach (var (name, value) in new[] { (nameof(SessionLifetime), SessionLifetime), (nameof(SetupLinkLifetime), SetupLinkLifetime), (nameof(InvitationLifetime), InvitationLifetime), (nameof(PasswordResetLifetime), PasswordResetLifetime), (nameof(LockoutDuration), LockoutDuration) })
        {
            if (value <= TimeSpan.Zero)
            {
                yield return $"{Section}:{name} = {value}: 0 より長い時間を指定してください / must be longer than zero.";
            }
        }

        foreach (var (name, value, least) in new[] { (nameof(PasswordMinLength), PasswordMinLength, 1), (nameof(MaxFailedAccessAttempts), MaxFailedAccessAttempts, 1), (nameof(PasswordResetMailsPerHour), PasswordResetMailsPerHour, 0) })
        {
            if (value < least)
            {
                yield return $"{Section}:{name} = {value}: {least} 以上を指定してください / must be at least {least}.";
            }
        }
    }
}

/// <summary>
/// The "Readiness:Smtp" section: where account mail (invitations, password resets) goes. Without a host an invitation
/// link is shown to the inviter instead, and a password reset is refused with "ask an administrator".
/// </summary>
public sealed class SmtpOptions
{
    public const string Section = "Readiness:Smtp";

    public string? Host { get; set; }

    public int Port { get; set; } = 587;

    public string? User { get; set; }

    public string? Password { get; set; }

    /// <summary>None, Auto, SslOnConnect, StartTls, StartTlsWhenAvailable (MailKit's SecureSocketOptions).</summary>
    public string Security { get; set; } = "Auto";

    /// <summary>The settings mail cannot be sent with: a port out of range, a security mode MailKit does not know (once read as Auto in silence).</summary>
    public IEnumerable<string> Problems()
    {
        if (Port is < 1 or > 65535)
        {
            yield return $"{Section}:Port = {Port}: 1〜65535 を指定してください / must be 1-65535.";
        }

        if (!Enum.GetNames<MailKit.Security.SecureSocketOptions>().Contains(Security, StringComparer.OrdinalIgnoreCase))
        {
            yield return $"{Section}:Security = '{Security}': {string.Join(", ", Enum.GetNames<MailKit.Security.SecureSocketOptions>())} のいずれかを指定してください / must be one of these.";
        }
    }

    public string From { get; set; } = "readiness@localhost";

    public string FromName { get; set; } = "Readiness";
}
