using Readiness.Web.Notifications;
using Xunit;

namespace Readiness.Tests.Notifications;

/// <summary>
/// The outbox's last errors, as the dispatcher writes them ("{ExceptionType}: {message}"), in plain words for the
/// administrators' page (tester's finding: "HttpRequestException: Connection refused" was the only sign a receiver was down).
/// </summary>
public sealed class DeliveryFailureTests
{
    [Theory]
    [InlineData("HttpRequestException: Connection refused (127.0.0.1:45123)", "受信側が接続を拒否しました", "refused the connection")]
    [InlineData("HttpRequestException: Name or service not known (hooks.example.invalid:443)", "ホスト名が見つかりません", "does not resolve")]
    [InlineData("HttpRequestException: The webhook endpoint answered 503.", "HTTP 503", "HTTP 503")]
    [InlineData("TimeoutRejectedException: The operation didn't complete within the allowed timeout of '00:00:10'.", "時間内に応答しません", "did not answer in time")]
    [InlineData("WebhookTargetRefusedException: localhost resolves only to addresses webhooks may not reach (127.0.0.1)", "許可されていません", "not allowed")]
    [InlineData("HttpRequestException: The SSL connection could not be established, see inner exception.", "TLS", "TLS")]
    [InlineData("InvalidOperationException: Webhook endpoint wh-1 is no longer registered.", "停止されています", "stopped")]
    [InlineData("InvalidOperationException: SMTP is not configured (Readiness:Smtp:Host).", "SMTP", "SMTP")]
    [InlineData("SmtpCommandException: Mailbox unavailable", "メールサーバー", "mail server")]
    [InlineData("NullReferenceException: Object reference not set to an instance of an object.", "送信に失敗しました", "Sending failed")]
    public void A_known_error_is_said_in_plain_words_in_both_languages(string error, string ja, string en)
    {
        var plain = DeliveryFailure.Explain(error);
        Assert.NotNull(plain);
        Assert.Contains(ja, plain.Value.Ja, StringComparison.Ordinal);
        Assert.Contains(en, plain.Value.En, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void No_error_is_nothing_to_say(string? error) => Assert.Null(DeliveryFailure.Explain(error));
}
