using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using MimeKit;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using Readiness.Notifications;
using Readiness.Web.Identity;
using StandardWebhooks;

namespace Readiness.Web.Notifications;

/// <summary>
/// The signed one-click unsubscribe token: base64url("subject\nkind") + "." + base64url(HMAC-SHA256 of that with the
/// database's unsubscribe key). It names one person and one kind, works without signing in, and cannot be made for
/// anyone else without the key. Pure.
/// </summary>
public static class UnsubscribeTokens
{
    public static string Create(byte[] key, string subject, NotificationKind kind)
    {
        var body = WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes($"{subject}\n{Wire.Name(kind)}"));
        return body + "." + WebEncoders.Base64UrlEncode(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(body)));
    }

    public static bool TryRead(byte[] key, string? token, out string subject, out NotificationKind kind)
    {
        subject = string.Empty;
        kind = default;
        var dot = token?.IndexOf('.', StringComparison.Ordinal) ?? -1;
        if (token is null || dot <= 0)
        {
            return false;
        }

        var body = token[..dot];
        byte[] signature;
        byte[] text;
        try
        {
            signature = WebEncoders.Base64UrlDecode(token[(dot + 1)..]);
            text = WebEncoders.Base64UrlDecode(body);
        }
        catch (FormatException)
        {
            return false;
        }

        if (!CryptographicOperations.FixedTimeEquals(signature, HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(body))))
        {
            return false;
        }

        var parts = Encoding.UTF8.GetString(text).Split('\n');
        if (parts.Length != 2 || !Wire.TryParse(parts[1], out kind))
        {
            return false;
        }

        subject = parts[0];
        return true;
    }
}

/// <summary>The site's address for links in mails: Readiness:Auth:PublicUrl, else the first address the server listens on.</summary>
public sealed class SiteLinks(IOptions<AccountOptions> options, IServer server)
{
    // With a trailing slash, so that relative paths resolve under it (a PublicUrl may carry a path).
    public Uri Base => new(ServerSite.Of(server, options.Value).ToString().TrimEnd('/') + "/");

    /// <summary>The confirmation page (the link in the mail's text).</summary>
    public Uri Unsubscribe(string token) => new(Base, "notifications/unsubscribe?token=" + Uri.EscapeDataString(token));

    /// <summary>The one-click address (RFC 8058) for the List-Unsubscribe header.</summary>
    public Uri OneClick(string token) => new(Base, NotificationApi.OneClickPath.TrimStart('/') + "?token=" + Uri.EscapeDataString(token));

    public Uri Page(string path) => new(Base, path.TrimStart('/'));
}

/// <summary>Sends a notification mail over SMTP with MailKit (the same Readiness:Smtp settings as invitations). Throws when it was not accepted.</summary>
public sealed class NotificationMailer(IOptions<SmtpOptions> options)
{
    public bool Configured => !string.IsNullOrWhiteSpace(options.Value.Host);

    /// <summary>
    /// A multipart/alternative mail (plain text and HTML) with List-Unsubscribe (the one-click URL) and
    /// List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058), and the delivery's stable id as Message-ID, so a
    /// mail sent again after a crash is recognisably the same mail.
    /// </summary>
    public MimeMessage Compose(string deliveryId, string to, string subject, string text, string html, Uri oneClick)
    {
        var smtp = options.Value;
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress(smtp.FromName, smtp.From));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        var domain = smtp.From.Contains('@', StringComparison.Ordinal) ? smtp.From[(smtp.From.IndexOf('@', StringComparison.Ordinal) + 1)..] : "readiness.local";
        message.MessageId = $"{deliveryId}@{domain}";
        message.Headers.Add("X-Readiness-Notification-Id", deliveryId);
        message.Headers.Add("List-Unsubscribe", $"<{oneClick}>");
        message.Headers.Add("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
        message.Body = new BodyBuilder { TextBody = text, HtmlBody = html }.ToMessageBody();
        return message;
    }

    public Task SendAsync(MimeMessage message, CancellationToken cancellationToken) => SmtpDelivery.SendAsync(options.Value, message, cancellationToken);
}

/// <summary>
/// Posts an event to a webhook endpoint, signed as the Standard Webhooks specification says (StandardWebhooks package:
/// webhook-id = the delivery's stable id, webhook-timestamp, webhook-signature "v1,…" with the endpoint's own secret).
/// Within one attempt a Polly pipeline gives each request 10 s and tries a failed one twice more after 200 ms and 400 ms;
/// the outbox's stored backoff takes over after that.
/// </summary>
public sealed class WebhookSender(IHttpClientFactory clients, TimeProvider time)
{
    public const string ClientName = "readiness-webhooks";

    private static readonly ResiliencePipeline<HttpResponseMessage> Pipeline = new ResiliencePipelineBuilder<HttpResponseMessage>()
        .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
        {
            MaxRetryAttempts = 2,
            Delay = TimeSpan.FromMilliseconds(200),
            BackoffType = DelayBackoffType.Exponential,
            // A refused address stays refused within the attempt: no quick retries (the outbox retries later).
            ShouldHandle = new PredicateBuilder<HttpResponseMessage>().Handle<HttpRequestException>(e => e.InnerException is not WebhookTargetRefusedException).Handle<TimeoutRejectedException>()
                .HandleResult(r => (int)r.StatusCode >= 500 || r.StatusCode == System.Net.HttpStatusCode.TooManyRequests),
        })
        .AddTimeout(TimeSpan.FromSeconds(10))
        .Build();

    /// <summary>A new endpoint secret: "whsec_" + base64 of 32 random bytes.</summary>
    public static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public async Task SendAsync(string url, string secret, string deliveryId, string payload, CancellationToken cancellationToken)
    {
        var webhook = new StandardWebhook(secret);
        var client = clients.CreateClient(ClientName);
        HttpResponseMessage answered;
        try
        {
            answered = await Pipeline.ExecuteAsync(async token =>
            {
                var timestamp = time.GetUtcNow();
                var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(payload, Encoding.UTF8, "application/json") };
                request.Headers.TryAddWithoutValidation("webhook-id", deliveryId);
                request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
                request.Headers.TryAddWithoutValidation("webhook-signature", webhook.Sign(deliveryId, timestamp, payload));
                return await client.SendAsync(request, token);
            }, cancellationToken);
        }
        catch (HttpRequestException ex) when (ex.InnerException is WebhookTargetRefusedException refused)
        {
            // The outbox records the refusal itself (which address, why, the setting), not the handler's wrapper.
            throw new WebhookTargetRefusedException(refused.Message);
        }

        using var response = answered;
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"The webhook endpoint answered {(int)response.StatusCode}.", null, response.StatusCode);
        }
    }
}
