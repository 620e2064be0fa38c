namespace Readiness.Web.Identity;

/// <summary>The message for each fixed error code of the account pages, in Japanese and English (one place, one wording).</summary>
public static class AccountMessages
{
    public static (string Ja, string En)? For(string? code) => code switch
    {
        "invalid_credentials" => ("メールアドレスまたはパスワードが正しくありません。続けて間違えた場合は、しばらくサインインできなくなります。", "The e-mail address or password is not correct. After several wrong tries, sign-in is blocked for a while."),
        "locked_out" => ("パスワードを続けて間違えたため、このアカウントは一時的にロックされています。しばらく待ってからやり直してください。", "This account is locked for a while after too many wrong passwords. Try again later."),
        "not_allowed" => ("このアカウントではサインインできません（無効化されています）。管理者に連絡してください。", "This account cannot sign in (it has been deactivated). Contact your administrator."),
        "invalid_code" => ("確認コードが正しくないか、期限切れです。認証アプリに表示されている最新の6桁を入力してください。", "The code is not correct or has expired. Enter the current 6 digits from your authenticator app."),
        "invalid_recovery_code" => ("リカバリーコードが正しくないか、使用済みです。", "The recovery code is not correct or has been used."),
        "mfa_session_expired" => ("サインインの手続きが時間切れになりました。もう一度パスワードから入力してください。", "The sign-in has timed out. Start again with your password."),
        "link_unknown" => ("このリンクは無効です。リンクを最後まで正しくコピーしたか確認してください。", "This link is not valid. Check that you copied the whole link."),
        "link_expired" => ("このリンクは有効期限が切れています。新しいリンクを発行してもらってください。", "This link has expired. Ask for a new one."),
        "link_used" => ("このリンクはすでに使用されています（1回限り有効です）。", "This link has already been used (it works once)."),
        "link_withdrawn" => ("この招待は取り消されました。", "This invitation was withdrawn."),
        "forbidden_invitation" => ("この招待を取り消す権限がありません（見つからないか、この役割・団体の招待を行えません）。", "You may not withdraw this invitation (not found, or you may not invite for this role and tenant)."),
        "invitation_accepted" => ("この招待はすでに承諾され、アカウントが作成されています。取り消す場合はアカウントを無効にしてください。", "This invitation was already accepted and the account exists: deactivate the account instead."),
        "reset_link_invalid" => ("このパスワード再設定リンクは使えません（有効期限切れ、使用済み、またはリンクが正しくありません）。リンクは1回限り・期限付きです。もう一度再設定を申し込んでください。",
            "This password reset link cannot be used (expired, already used, or not a valid link). A link works once and expires. Ask for a new one."),
        "reset_needs_mail" => ("パスワードの再設定にはメールの送信が必要ですが、このサーバーではメールが設定されていません。管理者に連絡してください。",
            "A password reset needs mail, and this server has no mail set up. Contact your administrator."),
        "user_deactivated" => ("無効にされたアカウントにはパスワード再設定リンクを発行できません。先に有効に戻してください。", "A deactivated account gets no reset link: reactivate it first."),
        "invalid_email" => ("メールアドレスの形式が正しくありません。", "The e-mail address is not valid."),
        "email_taken" => ("このメールアドレスのアカウントはすでにあります。", "An account with this e-mail address already exists."),
        "invalid_name" => ("氏名を制御文字・不可視文字を含まない100文字以内で入力してください。", "Enter a name of up to 100 characters, none of them control or invisible characters."),
        "password_required" => ("パスワードを入力してください。", "Enter a password."),
        "password_mismatch" => ("確認用のパスワードが一致しません。", "The two passwords do not match."),
        "password_too_short" => ("パスワードが短すぎます。12文字以上にしてください（長い文やフレーズがおすすめです）。", "The password is too short: use at least 12 characters (a long phrase is best)."),
        "password_too_long" => ($"パスワードが長すぎます。{CommonPasswordValidator.MaxLength}文字以内にしてください。", $"The password is too long: use at most {CommonPasswordValidator.MaxLength} characters."),
        "common_password" => ("このパスワードはよく使われる・漏えいしたパスワードの一覧にあります。別のパスワードにしてください。", "This password is on a list of common or breached passwords. Choose another."),
        "password_contains_email" => ("パスワードにメールアドレスを含めないでください。", "The password must not contain your e-mail address."),
        "password_weak" => ("このパスワードは使えません。別のパスワードにしてください。", "This password cannot be used. Choose another."),
        "invalid_role" => ("役割を選んでください。", "Choose a role."),
        "invalid_tenant" => ("団体コードが正しくありません（都道府県は2桁、市区町村は6桁）。", "The tenant code is not valid (2 digits for a prefecture, 6 for a municipality)."),
        "forbidden_role" => ("この役割・団体の招待や変更を行う権限がありません。", "You may not invite or assign this role for this tenant."),
        "forbidden_user" => ("このアカウントを管理する権限がありません。", "You may not manage this account."),
        "self" => ("自分自身のアカウントはここでは変更できません。", "You cannot change your own account here."),
        "bad_form" => ("フォームの有効期限が切れたか、内容が正しくありません。ページを再読み込みしてからやり直してください。", "The form has expired or is not valid. Reload the page and try again."),
        "passkey_required" => ("このアカウントはパスキーで二要素認証を行います。「パスキーでサインイン」を使ってください。", "This account's second factor is its passkey: use “Sign in with a passkey”."),
        "passkey_failed" => ("パスキーを確認できませんでした（登録されていない・削除された・取り消された可能性があります）。もう一度お試しください。", "The passkey could not be verified (not registered, removed, or cancelled). Try again."),
        "passkey_unknown" => ("このパスキーは見つかりません（すでに削除されています）。", "This passkey was not found (it has already been removed)."),
        "invalid_passkey_name" => ("パスキーの名前は制御文字・不可視文字を含まない100文字以内にしてください。", "Keep the passkey name to 100 characters, none of them control or invisible characters."),
        _ => null,
    };
}
