using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Readiness.Web.Identity;

/// <summary>Sends invitation links through the configured SMTP server (MailKit). Without Readiness:Smtp:Host nothing is sent.</summary>
public sealed class InvitationMail(IOptions<SmtpOptions> options, ILogger<InvitationMail> logger)
{
    public bool Configured => !string.IsNullOrWhiteSpace(options.Value.Host);

    /// <summary>Returns false (and logs) when the mail could not be sent: the inviter is then shown the link.</summary>
    public async Task<bool> SendAsync(string to, string inviterName, string roleJa, string roleEn, Uri link, DateTime expiresAtUtc, CancellationToken cancellationToken)
    {
        var smtp = options.Value;
        if (!Configured)
        {
            return false;
        }

        var message = new MimeMessage();
        message.From.Add(new MailboxAddress(smtp.FromName, smtp.From));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = "自治体システム標準化ダッシュボードへの招待 / Invitation to the Readiness dashboard";
        var expires = UiTextDate(expiresAtUtc);
        message.Body = new TextPart("plain")
        {
            Text = $"""
                {inviterName} さんから、自治体システム標準化 移行状況ダッシュボードに「{roleJa}」として招待されました。
                次のリンクを開き、パスワードと二要素認証を設定してください（1回限り、{expires} まで有効）。

                {link}

                {inviterName} invited you to the Municipal System Standardization Dashboard as {roleEn}.
                Open the link above to set your password and second factor (single use, valid until {expires}).
                """,
        };
        try
        {
            using var client = new SmtpClient();
            client.Timeout = 15_000;
            var security = Enum.TryParse<SecureSocketOptions>(smtp.Security, ignoreCase: true, out var s) ? s : SecureSocketOptions.Auto;
            await client.ConnectAsync(smtp.Host!, smtp.Port, security, cancellationToken);
            if (!string.IsNullOrEmpty(smtp.User))
            {
                await client.AuthenticateAsync(smtp.User, smtp.Password ?? string.Empty, cancellationToken);
            }

            await client.SendAsync(message, cancellationToken);
            await client.DisconnectAsync(true, cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Invitation mail to {To} could not be sent through {Host}:{Port}", to, smtp.Host, smtp.Port);
            return false;
        }
    }

    private static string UiTextDate(DateTime utc) => Components.UiText.DateTimeJst(new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)));
}
