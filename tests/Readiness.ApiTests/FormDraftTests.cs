using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Readiness.Testing;
using Readiness.Web.Components.Access;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>
/// A dashboard form posted after the sign-in session ended (breaker's M1): nothing is saved, the sign-in page says so
/// in Japanese and English, and after signing in again the form comes back with what was typed, for review, with a
/// fresh antiforgery token; saved only when sent again. The draft is the browser's (a protected cookie): used once,
/// never shown to another person, never readable. Real Kestrel, real sign-in cookies, a browser-like cookie jar.
/// </summary>
public sealed partial class FormDraftTests(ApiHost host, ITestOutputHelper output) : IClassFixture<ApiHost>
{
    private const string Code = ApiHost.Chuo;

    private static string Action(string businessId) => $"/municipalities/{Code}/systems/{businessId}";

    private async Task<(string Id, string Phase)> PlainSystemAsync(int skip)
    {
        var s = (await host.GetMunicipality(Code)).Body.GetProperty("systems").EnumerateArray()
            .Where(s => !s.GetProperty("designated").GetBoolean() && !s.GetProperty("regression").GetBoolean() && !s.GetProperty("notApplicable").GetBoolean())
            .Skip(skip).First();
        return (s.GetProperty("businessId").GetString()!, s.GetProperty("phase").GetString()!);
    }

    private async Task<string?> VendorAsync(string businessId) =>
        (await host.GetMunicipality(Code)).Body.GetProperty("systems").EnumerateArray()
            .Single(s => s.GetProperty("businessId").GetString() == businessId).GetProperty("vendor") is { ValueKind: JsonValueKind.String } v ? v.GetString() : null;

    [Fact]
    public async Task A_form_posted_after_the_session_ended_is_not_saved_says_so_and_comes_back_after_signing_in_again()
    {
        var (id, phase) = await PlainSystemAsync(0);
        using var browser = new Browser(host.BaseAddress);
        await browser.SignInAsync(host.Token(Readiness.Role.Municipality, Code, "draft.tanaka@city.chuo.lg.jp"), "/municipalities/" + Code);
        var opened = Form(await browser.PageAsync("/municipalities/" + Code), Action(id));

        // The cookie's time is up (the browser drops an expired cookie); the person presses 保存.
        browser.Drop(Browser.AuthCookie);
        var typed = new Dictionary<string, string>(opened.Hidden) { ["phase"] = phase, ["vendor"] = "下書きベンダ株式会社", ["regressionReason"] = "入力途中の理由" };
        var post = await browser.SendAsync(HttpMethod.Post, Action(id), typed);
        Assert.Equal(HttpStatusCode.Redirect, post.Status);
        Assert.StartsWith("/signin?", post.Location, StringComparison.Ordinal);
        Assert.Contains("unsaved=kept", post.Location, StringComparison.Ordinal);
        Assert.NotEqual("下書きベンダ株式会社", await VendorAsync(id));

        // The draft is not readable in the browser (protected), and nothing of it is in the address.
        Assert.DoesNotContain("下書き", string.Join(";", post.SetCookies.Select(Uri.UnescapeDataString)), StringComparison.Ordinal);
        Assert.DoesNotContain("%E4%B8%8B", post.Location, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(browser.Cookies, c => c.StartsWith(Draft, StringComparison.Ordinal));

        // The sign-in page says, Japanese first, that the input was not saved, and that it will come back.
        var signIn = await browser.SendAsync(HttpMethod.Get, post.Location!);
        Assert.Equal(HttpStatusCode.OK, signIn.Status);
        Assert.Contains("data-unsaved=\"kept\"", signIn.Html, StringComparison.Ordinal);
        Assert.Contains("入力内容は保存されていません", signIn.Html, StringComparison.Ordinal);
        Assert.Contains("was not saved", signIn.Html, StringComparison.Ordinal);
        Assert.True(signIn.Html.IndexOf("保存されていません", StringComparison.Ordinal) < signIn.Html.IndexOf("was not saved", StringComparison.Ordinal), "Japanese first");

        // Signed in again, the person is sent back to the form with what they typed, not applied.
        var returnUrl = WebUtility.UrlDecode(Regex.Match(post.Location!, "ReturnUrl=([^&]+)").Groups[1].Value);
        var back = await browser.SignInAsync(host.Token(Readiness.Role.Municipality, Code, "draft.tanaka@city.chuo.lg.jp"), returnUrl);
        var page = await browser.FollowAsync(back);
        var restored = Form(page, Action(id));
        Assert.Contains("data-failure=\"Restored\"", restored.Html, StringComparison.Ordinal);
        Assert.Contains("value=\"下書きベンダ株式会社\"", restored.Html, StringComparison.Ordinal);
        Assert.Contains("入力途中の理由</textarea>", restored.Html, StringComparison.Ordinal);
        Assert.Contains("まだ保存されていません", restored.Html, StringComparison.Ordinal);
        Assert.Equal(opened.Hidden["version"], restored.Hidden["version"]);
        Assert.NotEqual(opened.Hidden["__RequestVerificationToken"], restored.Hidden["__RequestVerificationToken"]);
        Assert.NotEqual("下書きベンダ株式会社", await VendorAsync(id));
        Assert.DoesNotContain(browser.Cookies, c => c.StartsWith(Draft, StringComparison.Ordinal));

        // Used once: a reload shows the stored values, not the draft.
        var reloaded = Form(await browser.PageAsync("/municipalities/" + Code), Action(id));
        Assert.DoesNotContain("下書きベンダ株式会社", reloaded.Html, StringComparison.Ordinal);

        // Sent again with the restored form's fresh token: saved under the normal rules.
        var again = new Dictionary<string, string>(restored.Hidden) { ["phase"] = phase, ["vendor"] = "下書きベンダ株式会社", ["regressionReason"] = "入力途中の理由" };
        var saved = await browser.SendAsync(HttpMethod.Post, Action(id), again);
        Assert.True(saved.Status == HttpStatusCode.SeeOther, $"{saved.Status} {saved.Location}");
        Assert.Equal("下書きベンダ株式会社", await VendorAsync(id));
    }

    [Fact]
    public async Task A_draft_is_not_shown_to_another_person_signing_in_on_the_same_browser()
    {
        var (id, phase) = await PlainSystemAsync(1);
        using var browser = new Browser(host.BaseAddress);
        // A session cookie that the browser still sends after its time on the server is up (as an account's is).
        await browser.SignInAsync(host.Token(Readiness.Role.Municipality, Code, "draft.a@city.chuo.lg.jp", TimeSpan.FromHours(1), DateTimeOffset.UtcNow - TimeSpan.FromHours(1) + TimeSpan.FromSeconds(4)), "/municipalities/" + Code);
        var opened = Form(await browser.PageAsync("/municipalities/" + Code), Action(id));
        await Task.Delay(TimeSpan.FromSeconds(5));
        var post = await browser.SendAsync(HttpMethod.Post, Action(id), new Dictionary<string, string>(opened.Hidden) { ["phase"] = phase, ["vendor"] = "Aさんの下書き" });
        Assert.Equal(HttpStatusCode.Redirect, post.Status);
        Assert.Contains("unsaved=kept", post.Location, StringComparison.Ordinal);

        // B, of the same municipality (allowed to write this form), signs in on this browser: A's input is not shown,
        // B is told one was kept for someone else, and it stays for A.
        var back = await browser.SignInAsync(host.Token(Readiness.Role.Municipality, Code, "draft.b@city.chuo.lg.jp"), "/municipalities/" + Code);
        var page = await browser.FollowAsync(back);
        Assert.DoesNotContain("Aさんの下書き", page, StringComparison.Ordinal);
        Assert.DoesNotContain("data-failure=\"Restored\"", page, StringComparison.Ordinal);
        Assert.Contains("data-drafts-kept-for-others=\"1\"", page, StringComparison.Ordinal);
        Assert.Contains(browser.Cookies, c => c.StartsWith(Draft, StringComparison.Ordinal));
    }

    /// <summary>
    /// The usual ending: the sign-in cookie expired, so the browser no longer sends it and the post names nobody. The
    /// draft still goes back only to the person the form was shown to (its protected owner field), not to whoever of the
    /// municipality signs in next on that browser (a breaker's finding: B was shown A's input and saved it as B's).
    /// </summary>
    [Fact]
    public async Task A_draft_kept_after_the_cookie_expired_goes_back_to_the_person_the_form_was_shown_to_only()
    {
        var (id, phase) = await PlainSystemAsync(2);
        using var browser = new Browser(host.BaseAddress);
        await browser.SignInAsync(host.Token(Readiness.Role.Municipality, Code, "draft.owner.a@city.chuo.lg.jp"), "/municipalities/" + Code);
        var opened = Form(await browser.PageAsync("/municipalities/" + Code), Action(id));
        Assert.True(opened.Hidden.ContainsKey("draftOwner"), "the form names its person");
        Assert.DoesNotContain("draft.owner.a", opened.Hidden["draftOwner"], StringComparison.Ordinal); // protected, not readable

        browser.Drop(Readiness.Web.Auth.AuthSetup.CookieName); // what a browser does with an expired cookie
        var post = await browser.SendAsync(HttpMethod.Post, Action(id), new Dictionary<string, string>(opened.Hidden) { ["phase"] = phase, ["vendor"] = "Aさんの期限切れ下書き" });
        Assert.Equal(HttpStatusCode.Redirect, post.Status);
        Assert.Contains("unsaved=kept", post.Location, StringComparison.Ordinal);

        // B, of the same municipality, signs in next: nothing of A's is shown; the draft stays for A.
        var other = await browser.FollowAsync(await browser.SignInAsync(host.Token(Readiness.Role.Municipality, Code, "draft.owner.b@city.chuo.lg.jp"), "/municipalities/" + Code));
        Assert.DoesNotContain("Aさんの期限切れ下書き", other, StringComparison.Ordinal);
        Assert.Contains(browser.Cookies, c => c.StartsWith(Draft, StringComparison.Ordinal));

        // A signs in: A's input comes back.
        var mine = await browser.FollowAsync(await browser.SignInAsync(host.Token(Readiness.Role.Municipality, Code, "draft.owner.a@city.chuo.lg.jp"), "/municipalities/" + Code));
        Assert.Contains("value=\"Aさんの期限切れ下書き\"", mine, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_draft_over_the_size_limit_is_not_kept_and_the_sign_in_page_says_so()
    {
        var (id, phase) = await PlainSystemAsync(2);
        using var browser = new Browser(host.BaseAddress);
        await browser.SignInAsync(host.Token(Readiness.Role.Municipality, Code, "draft.big@city.chuo.lg.jp"), "/municipalities/" + Code);
        var opened = Form(await browser.PageAsync("/municipalities/" + Code), Action(id));
        browser.Drop(Browser.AuthCookie);
        var post = await browser.SendAsync(HttpMethod.Post, Action(id), new Dictionary<string, string>(opened.Hidden) { ["phase"] = phase, ["regressionReason"] = new string('長', 2500) });
        Assert.Equal(HttpStatusCode.Redirect, post.Status);
        Assert.Contains("unsaved=too_large", post.Location, StringComparison.Ordinal);
        Assert.DoesNotContain(browser.Cookies, c => c.StartsWith(Draft, StringComparison.Ordinal));
        var signIn = await browser.SendAsync(HttpMethod.Get, post.Location!);
        Assert.Contains("data-unsaved=\"too_large\"", signIn.Html, StringComparison.Ordinal);
        Assert.Contains("大きすぎる", signIn.Html, StringComparison.Ordinal);
        Assert.Contains("too large", signIn.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_scenario_editor_and_the_prefecture_s_own_systems_put_a_draft_back_too()
    {
        // The scenario editor (national staff): a page whose form posts to its own address.
        using (var browser = new Browser(host.BaseAddress))
        {
            await browser.SignInAsync(host.Token(Readiness.Role.National, null, "draft.national@digital.go.jp"), "/planning/scenarios");
            var editor = await browser.PageAsync("/planning/scenarios");
            var token = Regex.Match(editor, "name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]*)\"").Groups[1].Value;
            var owner = Regex.Match(editor, "name=\"draftOwner\"[^>]*value=\"([^\"]*)\"").Groups[1].Value;
            Assert.NotEmpty(owner); // the person the editor was shown to: a draft names them, or it is not kept
            browser.Drop(Browser.AuthCookie);
            var post = await browser.SendAsync(HttpMethod.Post, "/planning/scenarios", new Dictionary<string, string>
            {
                ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token), ["draftOwner"] = WebUtility.HtmlDecode(owner), ["name"] = "下書きシナリオ", ["capacity"] = "ベンダＡ＝１２", ["shiftMonths"] = "3",
            });
            Assert.Contains("unsaved=kept", post.Location, StringComparison.Ordinal);
            var page = await browser.FollowAsync(await browser.SignInAsync(host.Token(Readiness.Role.National, null, "draft.national@digital.go.jp"), "/planning/scenarios"));
            Assert.Contains("data-failure=\"Restored\"", page, StringComparison.Ordinal);
            Assert.Contains("value=\"下書きシナリオ\"", page, StringComparison.Ordinal);
            Assert.Contains("ベンダＡ＝１２</textarea>", page, StringComparison.Ordinal);
            Assert.DoesNotContain("下書きシナリオ", await browser.PageAsync("/planning/scenarios"), StringComparison.Ordinal);
        }

        // A prefecture's form for a business it runs itself.
        using (var browser = new Browser(host.BaseAddress))
        {
            const string Pref = "13";
            await browser.SignInAsync(host.Token(Readiness.Role.Prefecture, Pref, "draft.pref@metro.tokyo.lg.jp"), "/prefectures/" + Pref);
            var action = $"/prefectures/{Pref}/systems/public_assistance";
            var opened = Form(await browser.PageAsync("/prefectures/" + Pref), action);
            browser.Drop(Browser.AuthCookie);
            var post = await browser.SendAsync(HttpMethod.Post, action, new Dictionary<string, string>(opened.Hidden) { ["phase"] = "testing", ["vendor"] = "県の下書きベンダ" });
            Assert.Contains("unsaved=kept", post.Location, StringComparison.Ordinal);
            var page = await browser.FollowAsync(await browser.SignInAsync(host.Token(Readiness.Role.Prefecture, Pref, "draft.pref@metro.tokyo.lg.jp"), "/prefectures/" + Pref));
            var restored = Form(page, action);
            Assert.Contains("data-failure=\"Restored\"", restored.Html, StringComparison.Ordinal);
            Assert.Contains("value=\"県の下書きベンダ\"", restored.Html, StringComparison.Ordinal);
            Assert.NotEqual(opened.Hidden["__RequestVerificationToken"], restored.Hidden["__RequestVerificationToken"]);
        }
    }

    [Fact]
    public async Task A_form_whose_input_cannot_be_kept_still_says_it_was_not_saved()
    {
        using var browser = new Browser(host.BaseAddress);
        var post = await browser.SendAsync(HttpMethod.Post, "/admin/invitations", new Dictionary<string, string> { ["email"] = "someone@city.chuo.lg.jp", ["role"] = "municipality_viewer", ["tenant"] = Code });
        Assert.Equal(HttpStatusCode.Redirect, post.Status);
        Assert.Contains("unsaved=not_kept", post.Location, StringComparison.Ordinal);
        Assert.DoesNotContain(browser.Cookies, c => c.StartsWith(Draft, StringComparison.Ordinal));
        var signIn = await browser.SendAsync(HttpMethod.Get, post.Location!);
        Assert.Contains("data-unsaved=\"not_kept\"", signIn.Html, StringComparison.Ordinal);
        Assert.Contains("保存されていません", signIn.Html, StringComparison.Ordinal);
        Assert.Contains("cannot be kept", signIn.Html, StringComparison.Ordinal);
    }

    /// <summary>
    /// A post that names nobody (no ended sign-in cookie, no draftOwner: what another site's page posting to this
    /// address sends, without the SameSite cookies) keeps nothing (a breaker's finding: such a draft was kept, bound to
    /// nobody, and shown as "what you typed" to the next person who signed in on that browser). As a kind: every form
    /// that keeps drafts.
    /// </summary>
    [Fact]
    public async Task A_post_naming_nobody_keeps_no_draft_on_any_form_that_keeps_drafts()
    {
        var (id, _) = await PlainSystemAsync(0);
        var forms = new[]
        {
            (Action(id), new Dictionary<string, string> { ["phase"] = "contract", ["vendor"] = "攻撃者ベンダー", ["version"] = "0" }),
            ($"/municipalities/{Code}/security/SEC-1-01", new Dictionary<string, string> { ["status"] = "implemented", ["version"] = "0" }),
            ("/prefectures/01/systems/public_assistance", new Dictionary<string, string> { ["phase"] = "contract", ["vendor"] = "攻撃者ベンダー", ["version"] = "0" }),
            ("/planning/scenarios", new Dictionary<string, string> { ["name"] = "攻撃者", ["version"] = "0" }),
        };
        foreach (var (action, fields) in forms)
        {
            using var other = new Browser(host.BaseAddress);
            var post = await other.SendAsync(HttpMethod.Post, action, fields);
            Assert.True(post.Status is HttpStatusCode.Redirect or HttpStatusCode.SeeOther, $"{action}: {post.Status}");
            Assert.Contains("unsaved=not_kept", post.Location, StringComparison.Ordinal);
            Assert.DoesNotContain(other.Cookies, c => c.StartsWith(Draft, StringComparison.Ordinal));
        }

        // Signing in on that browser afterwards shows the stored values, not the planted ones.
        using var browser = new Browser(host.BaseAddress);
        await browser.SendAsync(HttpMethod.Post, Action(id), forms[0].Item2);
        await browser.SignInAsync(host.Token(Readiness.Role.Municipality, Code, "draft.planted@city.chuo.lg.jp"), "/municipalities/" + Code);
        var page = await browser.PageAsync("/municipalities/" + Code);
        Assert.DoesNotContain("攻撃者ベンダー", page, StringComparison.Ordinal);
        Assert.DoesNotContain("data-failure=\"Restored\"", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tampered_draft_is_dropped_unread()
    {
        var (id, _) = await PlainSystemAsync(0);
        using var browser = new Browser(host.BaseAddress);
        await browser.SignInAsync(host.Token(Readiness.Role.Municipality, Code, "draft.c@city.chuo.lg.jp"), "/municipalities/" + Code);
        browser.Set(Draft, "CfDJ8" + new string('A', 200));
        var page = await browser.PageAsync("/municipalities/" + Code);
        Assert.DoesNotContain("data-failure=\"Restored\"", page, StringComparison.Ordinal);
        Assert.Contains($"action=\"{Action(id)}\"", page, StringComparison.Ordinal);
        Assert.DoesNotContain(browser.Cookies, c => c.StartsWith(Draft, StringComparison.Ordinal));
    }

    /// <summary>
    /// Two tabs, two forms, one ended session (a breaker's finding: one draft cookie per browser, so the second tab's
    /// post replaced the first tab's draft although the first sign-in page had said 「保持」/"kept"). Each form
    /// address keeps its own draft: after signing in, both come back, each on its own form, once each.
    /// </summary>
    [Fact]
    public async Task Two_tabs_drafts_both_come_back_each_on_its_own_form_once_each()
    {
        var (first, phase1) = await PlainSystemAsync(3);
        var (second, phase2) = await PlainSystemAsync(4);
        using var browser = new Browser(host.BaseAddress);
        await browser.SignInAsync(host.Token(Readiness.Role.Municipality, Code, "draft.tabs@city.chuo.lg.jp"), "/municipalities/" + Code);
        var page = await browser.PageAsync("/municipalities/" + Code);
        var (tab1, tab2) = (Form(page, Action(first)), Form(page, Action(second)));

        browser.Drop(Browser.AuthCookie);
        var post1 = await browser.SendAsync(HttpMethod.Post, Action(first), new Dictionary<string, string>(tab1.Hidden) { ["phase"] = phase1, ["vendor"] = "タブ1の下書き" });
        var post2 = await browser.SendAsync(HttpMethod.Post, Action(second), new Dictionary<string, string>(tab2.Hidden) { ["phase"] = phase2, ["vendor"] = "タブ2の下書き" });
        Assert.Contains("unsaved=kept", post1.Location, StringComparison.Ordinal);
        Assert.Contains("unsaved=kept", post2.Location, StringComparison.Ordinal);
        Assert.DoesNotContain(DroppedQuery, post2.Location, StringComparison.Ordinal); // nothing was dropped, so nothing is said

        // Signed in again from the first tab's sign-in page: both forms of the page have their input, at once.
        var back = await browser.FollowAsync(await browser.SignInAsync(host.Token(Readiness.Role.Municipality, Code, "draft.tabs@city.chuo.lg.jp"), ReturnUrl(post1)));
        Assert.Contains("value=\"タブ1の下書き\"", Form(back, Action(first)).Html, StringComparison.Ordinal);
        Assert.Contains("data-failure=\"Restored\"", Form(back, Action(first)).Html, StringComparison.Ordinal);
        Assert.Contains("value=\"タブ2の下書き\"", Form(back, Action(second)).Html, StringComparison.Ordinal);
        Assert.Contains("data-failure=\"Restored\"", Form(back, Action(second)).Html, StringComparison.Ordinal);

        var third = await browser.PageAsync("/municipalities/" + Code);
        Assert.DoesNotContain("の下書き", third, StringComparison.Ordinal);
        Assert.DoesNotContain("data-failure=\"Restored\"", third, StringComparison.Ordinal);
        Assert.DoesNotContain(browser.Cookies, c => c.StartsWith(Draft, StringComparison.Ordinal));
    }

    /// <summary>
    /// The drafts a browser keeps are bounded (<see cref="FormDrafts.MaxDrafts"/> forms): keeping one more drops the
    /// oldest, and that post's sign-in page says so (draftsDropped, ja/en), since the dropped one's page had said
    /// "kept". The same form sent again replaces its draft, and that is said too. What is kept comes back, once.
    /// </summary>
    [Fact]
    public async Task A_browser_keeps_a_bounded_number_of_drafts_and_the_sign_in_page_says_when_an_earlier_one_was_dropped()
    {
        var systems = (await host.GetMunicipality(Code)).Body.GetProperty("systems").EnumerateArray()
            .Select(s => (Id: s.GetProperty("businessId").GetString()!, Phase: s.GetProperty("phase").GetString()!)).Skip(5).Take(FormDrafts.MaxDrafts + 1).ToList();
        using var browser = new Browser(host.BaseAddress);
        await browser.SignInAsync(host.Token(Readiness.Role.Municipality, Code, "draft.many@city.chuo.lg.jp"), "/municipalities/" + Code);
        var page = await browser.PageAsync("/municipalities/" + Code);
        var forms = systems.Select(s => Form(page, Action(s.Id))).ToList();
        browser.Drop(Browser.AuthCookie);

        Answer? post = null;
        for (var i = 0; i < systems.Count; i++)
        {
            post = await browser.SendAsync(HttpMethod.Post, Action(systems[i].Id), new Dictionary<string, string>(forms[i].Hidden) { ["phase"] = systems[i].Phase, ["vendor"] = $"束の下書き{i}" });
            Assert.Contains("unsaved=kept", post.Location, StringComparison.Ordinal);
            Assert.True(post.Location!.Contains($"{DroppedQuery}1", StringComparison.Ordinal) == (i == FormDrafts.MaxDrafts), $"post {i}: {post.Location}");
        }

        // The post that dropped the oldest says so on its sign-in page, Japanese first.
        var signIn = await browser.SendAsync(HttpMethod.Get, post!.Location!);
        Assert.Contains("data-drafts-dropped=\"1\"", signIn.Html, StringComparison.Ordinal);
        Assert.Contains("破棄しました", signIn.Html, StringComparison.Ordinal);
        Assert.Contains("were dropped", signIn.Html, StringComparison.Ordinal);
        Assert.Equal(FormDrafts.MaxDrafts, browser.Cookies.Count(c => c.StartsWith(Draft + ".", StringComparison.Ordinal) && c.Length == Draft.Length + 1 + FormDrafts.KeyLength));

        // The newest form sent again: its draft is replaced (the earlier one will not come back), and that is said.
        var last = systems.Count - 1;
        var resent = await browser.SendAsync(HttpMethod.Post, Action(systems[last].Id), new Dictionary<string, string>(forms[last].Hidden) { ["phase"] = systems[last].Phase, ["vendor"] = $"束の下書き{last}改" });
        Assert.Contains($"{DroppedQuery}1", resent.Location, StringComparison.Ordinal);

        // Signed in: the kept ones all come back, each on its own form, the first time the page is shown; the dropped one never.
        await browser.SignInAsync(host.Token(Readiness.Role.Municipality, Code, "draft.many@city.chuo.lg.jp"), "/municipalities/" + Code);
        var shown = await browser.PageAsync("/municipalities/" + Code);
        for (var i = 1; i < systems.Count; i++)
        {
            var expected = i == last ? $"束の下書き{last}改" : $"束の下書き{i}";
            Assert.Contains($"value=\"{expected}\"", Form(shown, Action(systems[i].Id)).Html, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("束の下書き0", shown, StringComparison.Ordinal);

        Assert.DoesNotContain("束の下書き", await browser.PageAsync("/municipalities/" + Code), StringComparison.Ordinal);
        Assert.DoesNotContain(browser.Cookies, c => c.StartsWith(Draft, StringComparison.Ordinal));
    }

    /// <summary>
    /// Large drafts: two near the field limit fit together; a third drops the oldest (the browser sends every draft with
    /// each request, and all headers together are bounded), and the sign-in page says so. The drafts' cookies stay
    /// within <see cref="FormDrafts.MaxCookieBytes"/>.
    /// </summary>
    [Fact]
    public async Task Large_drafts_stay_within_the_cookie_budget_and_the_oldest_is_dropped_with_a_word()
    {
        var systems = (await host.GetMunicipality(Code)).Body.GetProperty("systems").EnumerateArray()
            .Select(s => (Id: s.GetProperty("businessId").GetString()!, Phase: s.GetProperty("phase").GetString()!)).Skip(10).Take(3).ToList();
        using var browser = new Browser(host.BaseAddress);
        await browser.SignInAsync(host.Token(Readiness.Role.Municipality, Code, "draft.large@city.chuo.lg.jp"), "/municipalities/" + Code);
        var page = await browser.PageAsync("/municipalities/" + Code);
        var forms = systems.Select(s => Form(page, Action(s.Id))).ToList();
        browser.Drop(Browser.AuthCookie);
        var bytes = new List<int>();
        for (var i = 0; i < systems.Count; i++)
        {
            // 1,900 kanji: 5,700 UTF-8 bytes, under the 6 KB field limit.
            var post = await browser.SendAsync(HttpMethod.Post, Action(systems[i].Id), new Dictionary<string, string>(forms[i].Hidden)
            {
                ["phase"] = systems[i].Phase, ["vendor"] = $"大きな下書き{i}", ["regressionReason"] = new string('長', 1900),
            });
            Assert.Contains("unsaved=kept", post.Location, StringComparison.Ordinal);
            Assert.True(post.Location!.Contains($"{DroppedQuery}1", StringComparison.Ordinal) == (i == 2), $"post {i}: {post.Location}");
            bytes.Add(browser.DraftBytes);
            Assert.True(browser.DraftBytes <= FormDrafts.MaxCookieBytes, $"{browser.DraftBytes} bytes of draft cookies");
        }

        output.WriteLine($"draft cookie bytes after each post: {string.Join(", ", bytes)}");
        await browser.SignInAsync(host.Token(Readiness.Role.Municipality, Code, "draft.large@city.chuo.lg.jp"), "/municipalities/" + Code);
        var restored = await browser.PageAsync("/municipalities/" + Code);
        Assert.Contains("value=\"大きな下書き1\"", restored, StringComparison.Ordinal);
        Assert.Contains("value=\"大きな下書き2\"", restored, StringComparison.Ordinal);
        Assert.DoesNotContain("大きな下書き", await browser.PageAsync("/municipalities/" + Code), StringComparison.Ordinal);
    }

    /// <summary>
    /// After signing in again the person is at the page that shows the form, at the form (its anchor), in one step:
    /// not at the form's POST address, which a GET answers with a redirect to the page (a breaker's finding) or 405.
    /// Every form that keeps drafts.
    /// </summary>
    [Fact]
    public async Task The_sign_in_page_returns_to_the_form_s_own_page_for_every_form_that_keeps_drafts()
    {
        using var municipal = new Browser(host.BaseAddress);
        await municipal.SignInAsync(host.Token(Readiness.Role.Municipality, Code, "draft.return@city.chuo.lg.jp"), "/municipalities/" + Code);
        var page = await municipal.PageAsync("/municipalities/" + Code);
        var (id, _) = await PlainSystemAsync(0);
        var item = Regex.Match(page, $"action=\"/municipalities/{Code}/security/([^\"]+)\"").Groups[1].Value;
        Assert.NotEqual(string.Empty, item);
        using var prefectural = new Browser(host.BaseAddress);
        await prefectural.SignInAsync(host.Token(Readiness.Role.Prefecture, "13", "draft.return@metro.tokyo.lg.jp"), "/prefectures/13");
        using var national = new Browser(host.BaseAddress);
        await national.SignInAsync(host.Token(Readiness.Role.National, null, "draft.return@digital.go.jp"), "/planning/scenarios");

        var failures = new List<string>();
        foreach (var (browser, action, expected) in new[]
        {
            (municipal, Action(id), $"/municipalities/{Code}#edit-system-{id}"),
            (municipal, $"/municipalities/{Code}/security/{item}", $"/municipalities/{Code}#edit-security-{item}"),
            (prefectural, "/prefectures/13/systems/public_assistance", "/prefectures/13#prefecture-run-public_assistance"),
            (national, "/planning/scenarios", "/planning/scenarios"),
        })
        {
            using var ended = new Browser(host.BaseAddress);
            var post = await ended.SendAsync(HttpMethod.Post, action, new Dictionary<string, string> { ["vendor"] = "戻り先" });
            var returnUrl = ReturnUrl(post);
            if (returnUrl != expected)
            {
                failures.Add($"{action}: ReturnUrl {returnUrl}, expected {expected}");
                continue;
            }

            // The page itself answers, no hop: what the sign-in's redirect leads to is the page.
            var shown = await browser.SendAsync(HttpMethod.Get, returnUrl.Split('#')[0]);
            if (shown.Status != HttpStatusCode.OK || !shown.Html.Contains($"action=\"{action}\"", StringComparison.Ordinal))
            {
                failures.Add($"{action}: GET {returnUrl} answered {(int)shown.Status} {shown.Location}, or without the form");
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    /// <summary>
    /// Every form of the dashboard's pages (those that keep drafts and those that do not), posted after the session
    /// ended, leads back after signing in to the page the form is on (a page answering 200), never to its POST address
    /// (405, a redirect, or another page such as /imports/{id} for /imports/upload) nor to the home page. Found by
    /// reading each page's forms, so a new form is covered unasked.
    /// </summary>
    [Fact]
    public async Task Every_form_of_the_dashboard_returns_after_signing_in_again_to_the_page_it_is_on()
    {
        var pages = new (Readiness.Role Role, string? Tenant, string Page)[]
        {
            (Readiness.Role.Municipality, Code, "/municipalities/" + Code),
            (Readiness.Role.Municipality, Code, "/notifications"),
            (Readiness.Role.Prefecture, "13", "/prefectures/13"),
            (Readiness.Role.National, null, "/planning/scenarios"),
            (Readiness.Role.National, null, "/imports"),
            (Readiness.Role.Admin, null, "/admin/users"),
            (Readiness.Role.Admin, null, "/admin/clients"),
            (Readiness.Role.Admin, null, "/admin/notifications"),
            (Readiness.Role.Admin, null, "/account"),
        };
        var failures = new List<string>();
        var checkedForms = new List<string>();
        foreach (var (role, tenant, path) in pages)
        {
            using var browser = new Browser(host.BaseAddress);
            await browser.SignInAsync(host.Token(role, tenant, $"draft.forms.{role}@example.lg.jp".ToLowerInvariant()), path);
            var shown = await browser.SendAsync(HttpMethod.Get, path);
            if (shown.Status != HttpStatusCode.OK)
            {
                output.WriteLine($"{path} as {role}: {(int)shown.Status}, not read"); // a page this kind of sign-in does not get
                continue;
            }

            var html = shown.Html;
            foreach (var action in FormTag().Matches(html).Select(m => m.Value)
                .Where(f => f.Contains("method=\"post\"", StringComparison.OrdinalIgnoreCase))
                .Select(f => Regex.Match(f, "action=\"([^\"]*)\"") is { Success: true } a ? WebUtility.HtmlDecode(a.Groups[1].Value) : path)
                .Where(a => a.StartsWith('/')).Distinct())
            {
                using var ended = new Browser(host.BaseAddress);
                var post = await ended.SendAsync(HttpMethod.Post, action, new Dictionary<string, string>());
                if (post.Location?.StartsWith("/signin?ReturnUrl=", StringComparison.Ordinal) != true)
                {
                    continue; // a form for anyone (sign-out's own "/signin?returnUrl=", federation): no session to end
                }

                checkedForms.Add(action);
                var returnUrl = ReturnUrl(post);
                var returned = returnUrl.Split('#')[0];
                var answer = await browser.SendAsync(HttpMethod.Get, returned);
                if (returned != path || answer.Status != HttpStatusCode.OK)
                {
                    failures.Add($"{path}: the form to {action} returns to {returnUrl} ({(int)answer.Status} {answer.Location})");
                }
            }
        }

        output.WriteLine($"forms checked: {string.Join(", ", checkedForms)}");
        Assert.Contains(checkedForms, a => a.StartsWith($"/municipalities/{Code}/systems/", StringComparison.Ordinal));
        Assert.Contains("/imports/upload", checkedForms); // /admin/users needs an account sign-in: AccountTests covers its forms
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    /// <summary>
    /// Two forms of one page sent after the session ended (a breaker's finding): sign-in returns to the newest form's
    /// anchor, yet only the oldest draft came back, so the person landed on a form showing nothing restored. Now every
    /// draft of the page comes back at once, each on its own form, and each restored form names the others (ja/en) with
    /// a link. Every page whose forms keep drafts: the municipality's (systems and checklist) and the prefecture's own.
    /// </summary>
    [Fact]
    public async Task Every_draft_of_a_page_comes_back_at_once_where_sign_in_returns_and_each_names_the_others()
    {
        var systems = (await host.GetMunicipality(Code)).Body.GetProperty("systems").EnumerateArray()
            .Select(s => (Id: s.GetProperty("businessId").GetString()!, Phase: s.GetProperty("phase").GetString()!)).Skip(14).Take(2).ToList();
        var security = $"/municipalities/{Code}/security/SEC-1-01";
        using (var browser = new Browser(host.BaseAddress))
        {
            var person = host.Token(Readiness.Role.Municipality, Code, "draft.together@city.chuo.lg.jp");
            await browser.SignInAsync(person, "/municipalities/" + Code);
            var page = await browser.PageAsync("/municipalities/" + Code);
            var (a, b, c) = (Form(page, Action(systems[0].Id)), Form(page, Action(systems[1].Id)), Form(page, security));
            browser.Drop(Browser.AuthCookie);
            await browser.SendAsync(HttpMethod.Post, Action(systems[0].Id), new Dictionary<string, string>(a.Hidden) { ["phase"] = systems[0].Phase, ["vendor"] = "一緒の下書きA" });
            await browser.SendAsync(HttpMethod.Post, security, new Dictionary<string, string>(c.Hidden) { ["status"] = "partial", ["evidence"] = "一緒の下書きC" });
            var newest = await browser.SendAsync(HttpMethod.Post, Action(systems[1].Id), new Dictionary<string, string>(b.Hidden) { ["phase"] = systems[1].Phase, ["vendor"] = "一緒の下書きB" });
            Assert.EndsWith("#" + Readiness.Web.Components.Edit.EditAnchors.System(systems[1].Id), ReturnUrl(newest), StringComparison.Ordinal);

            // Signed in from the newest post's sign-in page: its form (where the person lands) and the others all have their input.
            var back = await browser.FollowAsync(await browser.SignInAsync(person, ReturnUrl(newest)));
            var landed = Form(back, Action(systems[1].Id)).Html;
            Assert.Contains("value=\"一緒の下書きB\"", landed, StringComparison.Ordinal);
            Assert.Contains("data-failure=\"Restored\"", landed, StringComparison.Ordinal);
            Assert.Contains("value=\"一緒の下書きA\"", Form(back, Action(systems[0].Id)).Html, StringComparison.Ordinal);
            Assert.Contains("一緒の下書きC</textarea>", Form(back, security).Html, StringComparison.Ordinal);

            // The form landed on says that two more forms of this page have their input back, and links to them.
            Assert.Contains("data-restored-others=\"2\"", landed, StringComparison.Ordinal);
            Assert.Contains("他に 2 件", landed, StringComparison.Ordinal);
            Assert.Contains("2 other form", landed, StringComparison.Ordinal);
            Assert.Contains($"href=\"#{Readiness.Web.Components.Edit.EditAnchors.System(systems[0].Id)}\"", landed, StringComparison.Ordinal);
            Assert.Contains($"href=\"#{Readiness.Web.Components.Edit.EditAnchors.Security("SEC-1-01")}\"", landed, StringComparison.Ordinal);
            Assert.DoesNotContain(browser.Cookies, k => k.StartsWith(Draft, StringComparison.Ordinal));
            Assert.DoesNotContain("一緒の下書き", await browser.PageAsync("/municipalities/" + Code), StringComparison.Ordinal);
        }

        // The prefecture's own forms: both of its businesses.
        using (var browser = new Browser(host.BaseAddress))
        {
            const string Pref = "14";
            var person = host.Token(Readiness.Role.Prefecture, Pref, "draft.together@pref.kanagawa.lg.jp");
            await browser.SignInAsync(person, "/prefectures/" + Pref);
            var page = await browser.PageAsync("/prefectures/" + Pref);
            var (first, second) = ($"/prefectures/{Pref}/systems/child_rearing_allowance", $"/prefectures/{Pref}/systems/public_assistance");
            var (a, b) = (Form(page, first), Form(page, second));
            browser.Drop(Browser.AuthCookie);
            await browser.SendAsync(HttpMethod.Post, first, new Dictionary<string, string>(a.Hidden) { ["phase"] = "testing", ["vendor"] = "県の一緒の下書きA" });
            var newest = await browser.SendAsync(HttpMethod.Post, second, new Dictionary<string, string>(b.Hidden) { ["phase"] = "testing", ["vendor"] = "県の一緒の下書きB" });
            var back = await browser.FollowAsync(await browser.SignInAsync(person, ReturnUrl(newest)));
            Assert.Contains("value=\"県の一緒の下書きB\"", Form(back, second).Html, StringComparison.Ordinal);
            Assert.Contains("value=\"県の一緒の下書きA\"", Form(back, first).Html, StringComparison.Ordinal);
            Assert.Contains("data-restored-others=\"1\"", Form(back, second).Html, StringComparison.Ordinal);
            Assert.DoesNotContain(browser.Cookies, k => k.StartsWith(Draft, StringComparison.Ordinal));
        }
    }

    /// <summary>
    /// A shared browser (a breaker's finding): person B signing in after A's session ended destroyed A's kept draft
    /// without a word. A's input is still never shown to B, but it stays for A until it expires, B's page says plainly
    /// (ja/en) that an input kept for someone else was not shown, B signing out leaves it, and A signing in gets it back.
    /// Every form that keeps drafts: a municipality's, a prefecture's own, the scenario editor.
    /// </summary>
    [Fact]
    public async Task A_colleague_s_sign_in_leaves_the_first_person_s_draft_for_them_and_says_one_was_not_shown()
    {
        var (id, phase) = await PlainSystemAsync(1);
        await KeptForItsOwnerAsync("/municipalities/" + Code, Action(id),
            host.Token(Readiness.Role.Municipality, Code, "draft.shared.a@city.chuo.lg.jp"), host.Token(Readiness.Role.Municipality, Code, "draft.shared.b@city.chuo.lg.jp"),
            new() { ["phase"] = phase, ["vendor"] = "共用PCのAさんの下書き" }, "value=\"共用PCのAさんの下書き\"");
        await KeptForItsOwnerAsync("/prefectures/13", "/prefectures/13/systems/child_rearing_allowance",
            host.Token(Readiness.Role.Prefecture, "13", "draft.shared.a@metro.tokyo.lg.jp"), host.Token(Readiness.Role.Prefecture, "13", "draft.shared.b@metro.tokyo.lg.jp"),
            new() { ["phase"] = "testing", ["vendor"] = "共用PCの県Aさんの下書き" }, "value=\"共用PCの県Aさんの下書き\"");
        await KeptForItsOwnerAsync("/planning/scenarios", "/planning/scenarios",
            host.Token(Readiness.Role.National, null, "draft.shared.a@digital.go.jp"), host.Token(Readiness.Role.National, null, "draft.shared.b@digital.go.jp"),
            new() { ["name"] = "共用PCのAさんのシナリオ", ["shiftMonths"] = "2" }, "value=\"共用PCのAさんのシナリオ\"");
    }

    private async Task KeptForItsOwnerAsync(string pagePath, string action, string tokenA, string tokenB, Dictionary<string, string> typed, string shown)
    {
        using var browser = new Browser(host.BaseAddress);
        await browser.SignInAsync(tokenA, pagePath);
        var opened = Form(await browser.PageAsync(pagePath), action);
        browser.Drop(Browser.AuthCookie); // A's cookie expired: the browser no longer sends it
        var post = await browser.SendAsync(HttpMethod.Post, action, new Dictionary<string, string>(opened.Hidden).Concat(typed).ToDictionary());
        Assert.Contains("unsaved=kept", post.Location, StringComparison.Ordinal);

        // B signs in on this browser and opens the page: A's input is not shown, and B is told one was kept for someone else.
        var other = await browser.FollowAsync(await browser.SignInAsync(tokenB, pagePath));
        Assert.DoesNotContain(shown, other, StringComparison.Ordinal);
        Assert.DoesNotContain("data-failure=\"Restored\"", other, StringComparison.Ordinal);
        Assert.Contains("data-drafts-kept-for-others=\"1\"", other, StringComparison.Ordinal);
        Assert.Contains("別の人", other, StringComparison.Ordinal);
        Assert.Contains("someone else", other, StringComparison.Ordinal);
        Assert.Contains(browser.Cookies, k => k.StartsWith(Draft, StringComparison.Ordinal));

        // Shown again to B, still not A's input; B signs out; A signs in: A's input is back, once.
        Assert.DoesNotContain(shown, await browser.PageAsync(pagePath), StringComparison.Ordinal);
        await browser.SendAsync(HttpMethod.Post, "/auth/signout", new Dictionary<string, string>());
        Assert.Contains(browser.Cookies, k => k.StartsWith(Draft, StringComparison.Ordinal));
        var mine = await browser.FollowAsync(await browser.SignInAsync(tokenA, pagePath));
        Assert.Contains(shown, mine, StringComparison.Ordinal);
        Assert.Contains("data-failure=\"Restored\"", mine, StringComparison.Ordinal);
        Assert.DoesNotContain("data-drafts-kept-for-others", mine, StringComparison.Ordinal);
        Assert.DoesNotContain(browser.Cookies, k => k.StartsWith(Draft, StringComparison.Ordinal));
    }

    /// <summary>
    /// A shared browser, one form, two people whose sessions ended in turn: B's post of the same form replaced A's kept
    /// draft (one cookie per form address), and B's sign-in page called it "this same form's" input dropped, as if it
    /// were B's own; A's was lost unseen. Each person's draft of a form is kept apart: B's is B's, A's stays for A.
    /// </summary>
    [Fact]
    public async Task The_same_form_sent_by_two_people_keeps_each_person_s_draft()
    {
        var (id, phase) = await PlainSystemAsync(2);
        var (tokenA, tokenB) = (host.Token(Readiness.Role.Municipality, Code, "draft.same.a@city.chuo.lg.jp"), host.Token(Readiness.Role.Municipality, Code, "draft.same.b@city.chuo.lg.jp"));
        using var browser = new Browser(host.BaseAddress);
        await browser.SignInAsync(tokenA, "/municipalities/" + Code);
        var formA = Form(await browser.PageAsync("/municipalities/" + Code), Action(id));
        browser.Drop(Browser.AuthCookie);
        Assert.Contains("unsaved=kept", (await browser.SendAsync(HttpMethod.Post, Action(id), new Dictionary<string, string>(formA.Hidden) { ["phase"] = phase, ["vendor"] = "同じフォームのAさん" })).Location, StringComparison.Ordinal);

        await browser.SignInAsync(tokenB, "/municipalities/" + Code);
        var formB = Form(await browser.PageAsync("/municipalities/" + Code), Action(id));
        browser.Drop(Browser.AuthCookie);
        var postB = await browser.SendAsync(HttpMethod.Post, Action(id), new Dictionary<string, string>(formB.Hidden) { ["phase"] = phase, ["vendor"] = "同じフォームのBさん" });
        Assert.Contains("unsaved=kept", postB.Location, StringComparison.Ordinal);
        Assert.DoesNotContain(DroppedQuery, postB.Location, StringComparison.Ordinal); // nothing of anyone's was dropped

        var pageB = await browser.FollowAsync(await browser.SignInAsync(tokenB, ReturnUrl(postB)));
        Assert.Contains("value=\"同じフォームのBさん\"", Form(pageB, Action(id)).Html, StringComparison.Ordinal);
        Assert.DoesNotContain("同じフォームのAさん", pageB, StringComparison.Ordinal);
        Assert.Contains("data-drafts-kept-for-others=\"1\"", pageB, StringComparison.Ordinal);

        var pageA = await browser.FollowAsync(await browser.SignInAsync(tokenA, "/municipalities/" + Code));
        Assert.Contains("value=\"同じフォームのAさん\"", Form(pageA, Action(id)).Html, StringComparison.Ordinal);
        Assert.DoesNotContain("同じフォームのBさん", pageA, StringComparison.Ordinal);
        Assert.DoesNotContain(browser.Cookies, k => k.StartsWith(Draft, StringComparison.Ordinal));
    }

    /// <summary>
    /// A restored draft is not a way around the conflict rule: it carries the version its form was opened at, so when
    /// someone else saved that very system in the meantime, sending it again is refused (409) with who changed it and
    /// what is stored now, and the other person's save stands.
    /// </summary>
    [Fact]
    public async Task A_restored_draft_does_not_overwrite_a_save_made_meanwhile_by_someone_else()
    {
        var system = (await host.GetMunicipality(Code)).Body.GetProperty("systems").EnumerateArray()
            .Select(s => (Id: s.GetProperty("businessId").GetString()!, Phase: s.GetProperty("phase").GetString()!)).Skip(17).First();
        using var browser = new Browser(host.BaseAddress);
        var person = host.Token(Readiness.Role.Municipality, Code, "draft.late@city.chuo.lg.jp");
        await browser.SignInAsync(person, "/municipalities/" + Code);
        var opened = Form(await browser.PageAsync("/municipalities/" + Code), Action(system.Id));
        browser.Drop(Browser.AuthCookie);
        var post = await browser.SendAsync(HttpMethod.Post, Action(system.Id), new Dictionary<string, string>(opened.Hidden) { ["phase"] = system.Phase, ["vendor"] = "遅れた下書きベンダ" });
        Assert.Contains("unsaved=kept", post.Location, StringComparison.Ordinal);

        // Meanwhile a colleague saves the same system.
        using (var colleague = host.Municipality(Code, "draft.colleague@city.chuo.lg.jp"))
        {
            await host.PutSystem(colleague, Code, system.Id, """{"vendor":"同僚が先に保存したベンダ"}""");
        }

        var back = await browser.FollowAsync(await browser.SignInAsync(person, ReturnUrl(post)));
        var restored = Form(back, Action(system.Id));
        Assert.Contains("value=\"遅れた下書きベンダ\"", restored.Html, StringComparison.Ordinal);
        Assert.Equal(opened.Hidden["version"], restored.Hidden["version"]);
        var again = await browser.SendAsync(HttpMethod.Post, Action(system.Id), new Dictionary<string, string>(restored.Hidden) { ["phase"] = system.Phase, ["vendor"] = "遅れた下書きベンダ" });
        Assert.Equal(HttpStatusCode.Conflict, again.Status);
        Assert.Contains("draft.colleague@city.chuo.lg.jp", again.Html, StringComparison.Ordinal);
        Assert.Contains("data-stored-now", again.Html, StringComparison.Ordinal);
        Assert.Equal("同僚が先に保存したベンダ", await VendorAsync(system.Id));
    }

    private const string DroppedQuery = FormDrafts.DroppedQueryName + "=";

    private static string ReturnUrl(Answer post) =>
        WebUtility.UrlDecode(Regex.Match(post.Location ?? string.Empty, "ReturnUrl=([^&]+)").Groups[1].Value);

    [GeneratedRegex("<form\\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex FormTag();

    private const string Draft = "readiness.draft";

    private static (string Html, Dictionary<string, string> Hidden) Form(string page, string action)
    {
        var start = page.IndexOf($"action=\"{action}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no form for {action}");
        var html = page[start..page.IndexOf("</form>", start, StringComparison.Ordinal)];
        var hidden = new Dictionary<string, string>();
        foreach (var name in new[] { "__RequestVerificationToken", "version", "requestId", "draftOwner" })
        {
            // draftOwner: the protected person a kept draft goes back to (absent from a form that keeps no draft).
            if (Input().Matches(html).Select(m => m.Value).FirstOrDefault(i => i.Contains($"name=\"{name}\"", StringComparison.Ordinal)) is { } input)
            {
                hidden[name] = WebUtility.HtmlDecode(Value().Match(input).Groups[1].Value);
            }
        }

        return (html, hidden);
    }

    [GeneratedRegex("<input[^>]*>")]
    private static partial Regex Input();

    [GeneratedRegex("value=\"([^\"]*)\"")]
    private static partial Regex Value();

    /// <summary>A browser's cookie jar that keeps cookies until told otherwise (<see cref="Drop"/>) or deleted by the server.</summary>
    private sealed class Browser(Uri baseAddress) : IDisposable
    {
        public const string AuthCookie = "readiness.auth";

        private readonly Dictionary<string, string> jar = [];
        private readonly HttpClient http = new(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2) };

        public IEnumerable<string> Cookies => jar.Keys;

        /// <summary>The bytes of the draft cookies' values (chunks included) this browser sends with every request.</summary>
        public int DraftBytes => jar.Where(c => c.Key.StartsWith(Draft, StringComparison.Ordinal)).Sum(c => c.Value.Length);

        public void Drop(string name) => jar.Remove(name);

        public void Set(string name, string value) => jar[name] = value;

        public async Task<Answer> SendAsync(HttpMethod method, string path, IDictionary<string, string>? form = null)
        {
            using var request = new HttpRequestMessage(method, path);
            if (form is not null)
            {
                request.Content = new FormUrlEncodedContent(form);
            }

            request.Headers.Accept.ParseAdd("text/html");
            if (jar.Count > 0)
            {
                request.Headers.Add("Cookie", string.Join("; ", jar.Select(c => c.Key + "=" + c.Value)));
            }

            using var response = await http.SendAsync(request);
            var set = response.Headers.TryGetValues("Set-Cookie", out var values) ? values.ToList() : [];
            foreach (var cookie in set)
            {
                var pair = cookie.Split(';')[0];
                var (name, value) = (pair[..pair.IndexOf('=')], pair[(pair.IndexOf('=') + 1)..]);
                if (value.Length == 0 || cookie.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase))
                {
                    jar.Remove(name);
                }
                else
                {
                    jar[name] = value;
                }
            }

            return new Answer(response.StatusCode, response.Headers.Location?.OriginalString, await response.Content.ReadAsStringAsync(), set);
        }

        public async Task<Answer> SignInAsync(string token, string returnUrl)
        {
            var answer = await SendAsync(HttpMethod.Post, "/auth/local/signin", new Dictionary<string, string> { ["token"] = token, ["returnUrl"] = returnUrl });
            Assert.True(answer.Status is HttpStatusCode.SeeOther or HttpStatusCode.Redirect, $"sign-in: {answer.Status}");
            Assert.True(jar.ContainsKey(AuthCookie), "signed in");
            return answer;
        }

        /// <summary>Follows redirects from <paramref name="answer"/> with GET to a 200 page; its HTML.</summary>
        public async Task<string> FollowAsync(Answer answer)
        {
            for (var i = 0; i < 5 && answer.Location is { } location; i++)
            {
                answer = await SendAsync(HttpMethod.Get, location.Split('#')[0]);
            }

            Assert.True(answer.Status == HttpStatusCode.OK, $"followed to {answer.Status}");
            return answer.Html;
        }

        public async Task<string> PageAsync(string path)
        {
            var answer = await SendAsync(HttpMethod.Get, path);
            Assert.True(answer.Status == HttpStatusCode.OK, $"{path}: {answer.Status}");
            return answer.Html;
        }

        public void Dispose() => http.Dispose();
    }

    private sealed record Answer(HttpStatusCode Status, string? Location, string Html, IReadOnlyList<string> SetCookies);
}
