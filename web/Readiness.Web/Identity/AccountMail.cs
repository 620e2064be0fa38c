using Microsoft.Extensions.Options;
using MimeKit;

namespace Readiness.Web.Identity;

/// <summary>
/// The account mails (invitations, password reset links, "your password was changed") through the configured SMTP
/// server (MailKit). Without Readiness:Smtp:Host nothing is sent.
/// </summary>
public sealed class AccountMail(IOptions<SmtpOptions> options, ILogger<AccountMail> logger)
{
    public bool Configured => !string.IsNullOrWhiteSpace(options.Value.Host);

    /// <summary>Returns false (and logs) when the mail could not be sent: the inviter is then shown the link.</summary>
    public Task<bool> SendInvitationAsync(string to, string inviterName, string roleJa, string roleEn, Uri link, DateTime expiresAtUtc, CancellationToken cancellationToken)
    {
        var expires = UiTextDate(expiresAtUtc);
        return SendAsync(to, "自治体システム標準化ダッシュボードへの招待 / Invitation to the Readiness dashboard", $"""
            {inviterName} さんから、自治体システム標準化 移行状況ダッシュボードに「{roleJa}」として招待されました。
            次のリンクを開き、パスワードと二要素認証を設定してください（1回限り、{expires} まで有効）。

            {link}

            {inviterName} invited you to the Municipal System Standardization Dashboard as {roleEn}.
            Open the link above to set your password and second factor (single use, valid until {expires}).
            """, cancellationToken);
    }

    /// <summary>
    /// The password reset link (single use, valid until <paramref name="expiresAtUtc"/>); false when it could not be sent.
    /// <paramref name="secondFactor"/>: whether the account has one (an authenticator app or a passkey); only then does the
    /// mail say it is still asked for at the next sign-in (a reset keeps it; an account without one would be misled).
    /// </summary>
    public Task<bool> SendPasswordResetAsync(string to, Uri link, DateTime expiresAtUtc, bool secondFactor, CancellationToken cancellationToken)
    {
        var expires = UiTextDate(expiresAtUtc);
        var keptJa = secondFactor ? "\n次回のサインインでも二要素認証（認証アプリ・パスキー・リカバリーコード）は必要です。" : string.Empty;
        var keptEn = secondFactor ? "\nYour second factor is still asked for at the next sign-in." : string.Empty;
        return SendAsync(to, "パスワードの再設定 / Reset your password", $"""
            自治体システム標準化 移行状況ダッシュボードのパスワード再設定が申し込まれました。
            次のリンクを開いて新しいパスワードを設定してください（1回限り、{expires} まで有効）。{keptJa}

            {link}

            心当たりがない場合は、このメールを無視してください。パスワードは変わりません。

            Someone asked to reset your password for the Municipal System Standardization Dashboard.
            Open the link above to choose a new password (single use, valid until {expires}).{keptEn}
            If this was not you, ignore this mail: your password stays as it is.
            """, cancellationToken);
    }

    /// <summary>The notice after a password change, so that a change the person did not make is noticed.</summary>
    public Task<bool> SendPasswordChangedAsync(string to, DateTime atUtc, string? client, CancellationToken cancellationToken, bool byOwner = false)
    {
        var at = UiTextDate(atUtc);
        var (verbJa, verbEn) = byOwner ? ("変更", "changed") : ("再設定", "reset");
        return SendAsync(to, "パスワードが変更されました / Your password was changed", $"""
            自治体システム標準化 移行状況ダッシュボードのパスワードが {at} に{verbJa}されました（接続元 {client ?? "不明"}）。
            ほかの端末のセッションはすべてサインアウトされました。
            心当たりがない場合は、すぐに管理者に連絡してください。

            The password of your account on the Municipal System Standardization Dashboard was {verbEn} at {at} (from {client ?? "unknown"}).
            Every other session was signed out. If this was not you, contact your administrator at once.
            """, cancellationToken);
    }

    private async Task<bool> SendAsync(string to, string subject, string text, CancellationToken cancellationToken)
    {
        var smtp = options.Value;
        if (!Configured)
        {
            return false;
        }

        var message = new MimeMessage();
        message.From.Add(new MailboxAddress(smtp.FromName, smtp.From));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = text };
        try
        {
            await SmtpDelivery.SendAsync(smtp, message, cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Account mail ({Subject}) to {To} could not be sent through {Host}:{Port}", subject, to, smtp.Host, smtp.Port);
            return false;
        }
    }

    private static string UiTextDate(DateTime utc) => Components.UiText.DateTimeJst(new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)));
}
