using System.Text.RegularExpressions;
using Readiness.Web.Identity;
using Xunit;
using Readiness.Testing;

namespace Readiness.ApiTests;

/// <summary>
/// The administration log reads in the page's language: every action the product writes has a Japanese and an English
/// label (found in the source, so a new action without one fails here), and instants and role codes in the before/after
/// text show as Japan time with its zone and as words.
/// </summary>
public sealed partial class AdminLogViewTests
{
    [Fact]
    public void Every_action_written_to_the_administration_log_has_a_label_in_both_languages()
    {
        var web = Path.Combine(RepositoryFolder.Root, "web", "Readiness.Web");
        var written = Directory.GetFiles(web, "*.cs", SearchOption.AllDirectories)
            .SelectMany(f => LogCall().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))
            .ToHashSet(StringComparer.Ordinal);
        Assert.True(written.Count >= 15, $"found {written.Count} actions: {string.Join(", ", written)}");
        Assert.Contains("invite", written);
        var unlabelled = written.Where(a => !AdminLogView.Actions.ContainsKey(a)).ToList();
        Assert.True(unlabelled.Count == 0, $"actions without a label in AdminLogView.Actions: {string.Join(", ", unlabelled)}");
        Assert.All(AdminLogView.Actions.Values, l => Assert.True(l.Ja.Any(c => c > 0x3000) && !string.IsNullOrWhiteSpace(l.En)));
        Assert.Equal("招待", AdminLogView.Action("invite", english: false));
        Assert.Equal("Invitation", AdminLogView.Action("invite", english: true));
        Assert.Equal("some_future_action", AdminLogView.Action("some_future_action", english: false));
    }

    [Fact]
    public void Instants_and_role_codes_in_the_details_read_as_Japan_time_and_words()
    {
        const string after = "prefecture_administrator 13 until 2026-12-07T04:05:00.0000000Z (mailed)";
        Assert.Equal("都道府県管理者 13 期限 2026/12/07 13:05 JST（メールで送付）", AdminLogView.Detail(after, english: false));
        Assert.Equal("Prefecture administrator 13 until 2026/12/07 13:05 JST (mailed)", AdminLogView.Detail(after, english: true));
        Assert.Equal("市区町村報告担当 131016 無効", AdminLogView.Detail("municipality_reporter 131016 deactivated", english: false));
        Assert.Equal("2026/01/01 08:59 JST", AdminLogView.Detail("2025-12-31T23:59:59+00:00", english: true));
        Assert.Null(AdminLogView.Detail(null, english: false));
    }

    /// <summary>An API client's secret and tokens read in Japanese: its holder, a new secret, tokens ended and why. Failed before: English on the Japanese page.</summary>
    [Theory]
    [InlineData("new secret; 2 token(s) revoked", "新しいシークレット; トークン2件を失効")]
    [InlineData("holder deactivated; 1 token(s) revoked", "保持者を無効化; トークン1件を失効")]
    [InlineData("holder's role changed; 0 token(s) revoked", "保持者の役割を変更; トークン0件を失効")]
    [InlineData("feed: write 131016; secret held by a@city.example.lg.jp", "feed: write 131016; シークレットの保持者 a@city.example.lg.jp")]
    [InlineData("reset link valid until 2026-12-07T04:05:00.0000000Z (shown to the administrator); the account has no second factor", "再設定リンク 期限 2026/12/07 13:05 JST（管理者の画面に表示）; このアカウントは二要素認証が未設定")]
    public void An_API_clients_secret_and_tokens_read_in_Japanese(string text, string japanese) =>
        Assert.Equal(japanese, AdminLogView.Detail(text, english: false));

    /// <summary>A visitor's reset request reads in Japanese whatever became of it. Failed before: these stayed in English on the Japanese page.</summary>
    [Theory]
    [InlineData("link mailed, valid until 2026-12-07T04:05:00.0000000Z", "リンクをメールで送付、期限 2026/12/07 13:05 JST")]
    [InlineData("the mail could not be sent", "メールを送信できませんでした")]
    [InlineData("refused: account deactivated (no mail)", "受け付けず: アカウントは無効（メールは送らず）")]
    [InlineData("refused: more than 5 reset mails this hour (no mail)", "受け付けず: 1時間あたりの再設定メール5通を超過（メールは送らず）")]
    [InlineData("national_staff  until 2026-12-07T04:05:00.0000000Z (link shown; the mail could not be sent)", "国の職員  期限 2026/12/07 13:05 JST（メールを送信できず、リンクを画面に表示）")]
    [InlineData("reset link valid until 2026-12-07T04:05:00.0000000Z (shown to the administrator; the mail could not be sent)", "再設定リンク 期限 2026/12/07 13:05 JST（メールを送信できず、管理者の画面に表示）")]
    public void A_reset_request_and_an_undelivered_mail_read_in_Japanese(string after, string japanese) =>
        Assert.Equal(japanese, AdminLogView.Detail(after, english: false));

    /// <summary>An administrator's unlock reads in Japanese, the lockout's end in Japan time. Failed before: "locked out" stayed English.</summary>
    [Fact]
    public void An_unlock_reads_in_Japanese()
    {
        Assert.Equal("ロック中 期限 2026/12/07 13:05 JST", AdminLogView.Detail("locked out until 2026-12-07T04:05:00.0000000Z", english: false));
        Assert.Equal("locked out until 2026/12/07 13:05 JST", AdminLogView.Detail("locked out until 2026-12-07T04:05:00.0000000Z", english: true));
        Assert.Equal("ロック解除", AdminLogView.Detail("lockout cleared", english: false));
        Assert.Equal("アカウントのロック解除（管理者）", AdminLogView.Action("unlock_account", english: false));
    }

    [GeneratedRegex(@"LogAsync\([^;]*?""([a-z_]+)""")]
    private static partial Regex LogCall();
}
