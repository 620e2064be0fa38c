using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Readiness.Web.Identity;

/// <summary>One message through the "Readiness:Smtp" server (MailKit): the one way account mail and notifications are sent.</summary>
public static class SmtpDelivery
{
    /// <summary>
    /// Connects (15 s timeout; <see cref="SmtpOptions.Security"/> as MailKit's SecureSocketOptions, checked at start),
    /// authenticates when a user is set, sends and disconnects. Throws MailKit's and the socket's exceptions as they come.
    /// </summary>
    public static async Task SendAsync(SmtpOptions smtp, MimeMessage message, CancellationToken cancellationToken)
    {
        using var client = new SmtpClient();
        client.Timeout = 15_000;
        var security = Enum.Parse<SecureSocketOptions>(smtp.Security, ignoreCase: true);
        await client.ConnectAsync(smtp.Host!, smtp.Port, security, cancellationToken);
        if (!string.IsNullOrEmpty(smtp.User))
        {
            await client.AuthenticateAsync(smtp.User, smtp.Password ?? string.Empty, cancellationToken);
        }

        await client.SendAsync(message, cancellationToken);
        await client.DisconnectAsync(true, cancellationToken);
    }
}
