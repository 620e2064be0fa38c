namespace Readiness.Web.Notifications;

/// <summary>
/// A delivery's last error (the outbox's lastError, "{ExceptionType}: {message}" as the dispatcher writes it) in plain
/// words for administrators, Japanese and English: what is wrong and where to look. The raw text stays beside it for
/// the details.
/// </summary>
public static class DeliveryFailure
{
    /// <summary>The cause in plain words (ja, en); a general sentence when the error is not one of the known kinds, null when there is none.</summary>
    public static (string Ja, string En)? Explain(string? error)
    {
        if (string.IsNullOrWhiteSpace(error))
        {
            return null;
        }

        // Order matters: a refused target is also an HttpRequestException, a timeout often mentions the connection.
        return error switch
        {
            _ when Has(error, "WebhookTargetRefusedException") =>
                ("受信先のアドレスへの送信は許可されていません（ループバック・リンクローカルなど）。URL を確認するか、Readiness:Webhooks:AllowedNetworks を設定してください。",
                 "Sending to the receiver's address is not allowed (loopback, link-local, …): check the URL or set Readiness:Webhooks:AllowedNetworks."),
            _ when Has(error, "no longer registered") =>
                ("この Webhook は停止されています。", "This webhook has been stopped."),
            _ when Has(error, "SMTP is not configured") =>
                ("メール送信（SMTP）が設定されていません。", "Mail (SMTP) is not configured."),
            _ when Has(error, "Connection refused") || Has(error, "actively refused") =>
                ("受信側が接続を拒否しました。受信サーバーが止まっているか、ポートが違います。", "The receiver refused the connection: its server is down or the port is wrong."),
            _ when Has(error, "Name or service not known") || Has(error, "No such host") || Has(error, "nodename nor servname") || Has(error, "Temporary failure in name resolution") =>
                ("受信先のホスト名が見つかりません（DNS）。URL を確認してください。", "The receiver's host name does not resolve (DNS): check the URL."),
            _ when Has(error, "TimeoutRejectedException") || Has(error, "TaskCanceledException") || Has(error, "timed out") || Has(error, "Timeout") =>
                ("受信側が時間内に応答しませんでした。", "The receiver did not answer in time."),
            _ when Has(error, "SSL") || Has(error, "AuthenticationException") || Has(error, "certificate") =>
                ("受信側との暗号化接続（TLS）を確立できません。証明書を確認してください。", "No secure (TLS) connection to the receiver: check its certificate."),
            _ when Answered(error) is { } status =>
                ($"受信側がエラー（HTTP {status}）を返しました。", $"The receiver answered with an error (HTTP {status})."),
            _ when Has(error, "Smtp") || Has(error, "MailKit") =>
                ("メールサーバーが送信を受け付けませんでした。", "The mail server did not take the message."),
            _ when Has(error, "Connection reset") || Has(error, "network is unreachable") || Has(error, "No route to host") || Has(error, "SocketException") =>
                ("受信側に接続できません（ネットワーク）。", "The receiver cannot be reached (network)."),
            _ => ("送信に失敗しました。詳細は次のエラー文を見てください。", "Sending failed: see the error text for the details."),
        };
    }

    private static bool Has(string error, string part) => error.Contains(part, StringComparison.OrdinalIgnoreCase);

    // WebhookChannel's own message for a non-2xx answer: "The webhook endpoint answered 503."
    private static int? Answered(string error)
    {
        const string marker = "endpoint answered ";
        var at = error.IndexOf(marker, StringComparison.Ordinal);
        return at >= 0 && int.TryParse(error.AsSpan(at + marker.Length, Math.Min(3, error.Length - at - marker.Length)), out var status) ? status : null;
    }
}
