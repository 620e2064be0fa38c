using System.Globalization;
using System.Text.RegularExpressions;
using Readiness.Notifications;

namespace Readiness.Web.Identity;

/// <summary>
/// How the administration log reads on the page: the stored action codes (snake_case, kept as they are in the table
/// and the CSV export for machines) as words in the page's language, and the instants and role names inside the
/// before/after text in Japan time (JST, UTC+9, zone shown) and in words. Pure.
/// </summary>
public static partial class AdminLogView
{
    /// <summary>Every action the product writes to readiness_admin_log (AccountService.LogAsync callers), in Japanese and English.</summary>
    public static IReadOnlyDictionary<string, (string Ja, string En)> Actions { get; } = new Dictionary<string, (string Ja, string En)>(StringComparer.Ordinal)
    {
        ["setup"] = ("初回セットアップ（最初のシステム管理者）", "First-run setup (first system administrator)"),
        ["invite"] = ("招待", "Invitation"),
        ["withdraw_invitation"] = ("招待の取り消し", "Invitation withdrawn"),
        ["request_password_reset"] = ("パスワード再設定の申し込み", "Password reset asked for"),
        ["issue_password_reset"] = ("パスワード再設定リンクの発行（管理者）", "Password reset link issued (administrator)"),
        ["reset_password"] = ("パスワードの再設定", "Password reset"),
        ["change_password"] = ("パスワードの変更（本人）", "Password changed by its owner"),
        ["accept_invitation"] = ("招待の承諾（アカウント作成）", "Invitation accepted (account created)"),
        ["deactivate"] = ("アカウントの無効化", "Account deactivated"),
        ["reactivate"] = ("アカウントの再有効化", "Account reactivated"),
        ["change_role"] = ("役割の変更", "Role changed"),
        ["unlock_account"] = ("アカウントのロック解除（管理者）", "Account unlocked (administrator)"),
        ["enable_mfa"] = ("二要素認証の設定", "Second factor enabled"),
        ["recovery_codes"] = ("回復コードの再発行", "New recovery codes"),
        ["recovery_code_used"] = ("回復コードでサインイン", "Signed in with a recovery code"),
        ["sign_out_everywhere"] = ("他のセッションをすべてサインアウト", "Signed out everywhere else"),
        ["add_passkey"] = ("パスキーの登録", "Passkey added"),
        ["remove_passkey"] = ("パスキーの削除", "Passkey removed"),
        ["link_external_login"] = ("外部 ID プロバイダとの連携", "External sign-in linked"),
        ["create_api_client"] = ("API クライアントの作成", "API client created"),
        ["revoke_api_client"] = ("API クライアントの失効", "API client revoked"),
        ["rotate_api_client_secret"] = ("API クライアントのシークレット再発行", "API client secret renewed"),
        ["revoke_api_client_tokens"] = ("API クライアントのトークン失効（シークレットの保持者の無効化・役割変更）", "API client tokens ended (its secret's holder deactivated or given another role)"),
        ["export_admin_log"] = ("管理操作の記録のダウンロード（CSV）", "Administration log downloaded (CSV)"),
        ["register_webhook"] = ("Webhook の登録", "Webhook registered"),
        ["stop_webhook"] = ("Webhook の停止", "Webhook stopped"),
        ["retry_notification"] = ("通知の再送", "Notification retried"),
        ["send_digest"] = ("都道府県ダイジェストの即時送信", "Prefecture digest sent now"),
        ["take_backup"] = ("バックアップの作成", "Backup taken"),
    };

    /// <summary>The action in words; an action this version does not know (a newer writer) shows as its code.</summary>
    public static string Action(string action, bool english) =>
        Actions.TryGetValue(action, out var label) ? english ? label.En : label.Ja : action;

    /// <summary>
    /// The before/after text for reading: ISO 8601 instants (e.g. "2026-12-07T04:00:00.0000000Z") as Japan time
    /// ("2026/12/07 13:00 JST"), account role codes as their labels, "until" and "deactivated" in the page's language.
    /// Null stays null.
    /// </summary>
    public static string? Detail(string? text, bool english)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }

        var result = Instant().Replace(text, m => DateTimeOffset.TryParse(m.Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? Components.UiText.DateTimeJst(at)
            : m.Value);
        foreach (var role in Enum.GetValues<AccountRole>())
        {
            result = Regex.Replace(result, $@"\b{AccountRules.Name(role)}\b", AccountRules.Label(role, english));
        }

        if (!english)
        {
            foreach (var (pattern, ja) in Phrases)
            {
                result = Regex.Replace(result, pattern, ja);
            }
        }

        return result;
    }

    /// <summary>The fixed English phrases the writers put in before/after texts (AccountService, AccountEndpoints, ClientService), in Japanese.</summary>
    private static readonly (string Pattern, string Ja)[] Phrases =
    [
        (@"\b10 new recovery codes \(old ones void\)", "回復コード10個を新規発行（旧コードは無効）"),
        (@"\bmfa on \(authenticator app\)", "二要素認証 有効（認証アプリ）"),
        (@"\bmfa off\b", "二要素認証 未設定"),
        (@"\b(\d+) other sessions ended\b", "他のセッション$1件を終了"),
        (@"\b(\d+) entries\b", "$1件"),
        (@"\b(\d+) left\b", "残り$1個"),
        (@"\bpassword reset by a link shown to an administrator\b", "管理者に表示したリンクでパスワードを再設定"),
        (@"\bpassword reset by mailed link\b", "メールで送ったリンクでパスワードを再設定"),
        (@"\b(\d+) sessions ended\b", "セッション$1件を終了"),
        (@"\blockout cleared\b", "ロック解除"),
        (@"\blocked out\b", "ロック中"),
        (@"\bsecond factor kept\b", "二要素認証は維持"),
        (@"\bsecond factor not set\b", "二要素認証は未設定"),
        (@"\breset link valid\b", "再設定リンク"),
        (@"^link mailed, valid until\b", "リンクをメールで送付、期限"),
        (@"^the mail could not be sent$", "メールを送信できませんでした"),
        (@"^refused: account deactivated \(no mail\)$", "受け付けず: アカウントは無効（メールは送らず）"),
        (@"^refused: more than (\d+) reset mails this hour \(no mail\)$", "受け付けず: 1時間あたりの再設定メール$1通を超過（メールは送らず）"),
        (@" ?\(shown to the administrator; the mail could not be sent\)", "（メールを送信できず、管理者の画面に表示）"),
        (@" ?\(link shown; the mail could not be sent\)", "（メールを送信できず、リンクを画面に表示）"),
        (@" ?\(shown to the administrator\)", "（管理者の画面に表示）"),
        (@" ?\(link shown\)", "（リンクを画面に表示）"),
        (@" ?\(mailed\)", "（メールで送付）"),
        (@"\bnew secret\b", "新しいシークレット"),
        (@"\b(\d+) token\(s\) revoked\b", "トークン$1件を失効"),
        (@"\bsecret held by\b", "シークレットの保持者"),
        (@"\bholder deactivated\b", "保持者を無効化"),
        (@"\bholder's role changed\b", "保持者の役割を変更"),
        (@"\bthe account has no second factor\b", "このアカウントは二要素認証が未設定"),
        (@"\bdeactivated\b", "無効"),
        (@"\brevoked\b", "失効"),
        (@"\buntil\b", "期限"),
    ];

    /// <summary>A notification kind in words (the dead-letter table).</summary>
    public static string Kind(NotificationKind kind, bool english)
    {
        var (ja, en) = Readiness.Web.Notifications.NotificationMessages.KindLabel(kind);
        return english ? en : ja;
    }

    /// <summary>A delivery channel in words.</summary>
    public static string Channel(NotificationChannel channel, bool english) => channel switch
    {
        NotificationChannel.Mail => english ? "E-mail" : "メール",
        NotificationChannel.InApp => english ? "In the app" : "画面内",
        _ => "Webhook",
    };

    /// <summary>
    /// An outbox status (<see cref="Readiness.Web.Notifications.NotificationStore.Statuses"/>) in words, as the
    /// administrators' notifications page shows it; an unknown one as it is.
    /// </summary>
    public static string OutboxStatus(string status, bool english) => status switch
    {
        Readiness.Web.Notifications.NotificationStore.Pending => english ? "Pending (to be sent or retried)" : "配信待ち（送信・再試行待ち）",
        Readiness.Web.Notifications.NotificationStore.Held => english ? "Held for a summary" : "まとめ配信待ち",
        Readiness.Web.Notifications.NotificationStore.Delivered => english ? "Delivered" : "配信済み",
        Readiness.Web.Notifications.NotificationStore.Digested => english ? "Sent in a summary" : "まとめて配信済み",
        Readiness.Web.Notifications.NotificationStore.Dead => english ? "Failed (stopped after every retry)" : "配信失敗（再試行を終了）",
        _ => status,
    };

    [GeneratedRegex(@"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})")]
    private static partial Regex Instant();
}
