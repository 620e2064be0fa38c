using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Readiness.Testing;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A dashboard form posted after the sign-in session ended (breaker's M1): nothing is saved, the sign-in page says so
/// in Japanese and English, and after signing in again the form comes back with what was typed, for review, with a
/// fresh antiforgery token; saved only when sent again. The draft is the browser's (a protected cookie): used once,
/// never shown to another person, never readable. Real Kestrel, real sign-in cookies, a browser-like cookie jar.
/// </summary>
public sealed partial class FormDraftTests(ApiHost host) : IClassFixture<ApiHost>
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

        // B, of the same municipality (allowed to write this form), signs in on this browser: A's input is not shown.
        var back = await browser.SignInAsync(host.Token(Readiness.Role.Municipality, Code, "draft.b@city.chuo.lg.jp"), "/municipalities/" + Code);
        var page = await browser.FollowAsync(back);
        Assert.DoesNotContain("Aさんの下書き", page, StringComparison.Ordinal);
        Assert.DoesNotContain("data-failure=\"Restored\"", page, StringComparison.Ordinal);
        Assert.DoesNotContain(browser.Cookies, c => c.StartsWith(Draft, StringComparison.Ordinal));
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

        // B, of the same municipality, signs in next: nothing of A's is shown, and the draft is gone.
        var other = await browser.FollowAsync(await browser.SignInAsync(host.Token(Readiness.Role.Municipality, Code, "draft.owner.b@city.chuo.lg.jp"), "/municipalities/" + Code));
        Assert.DoesNotContain("Aさんの期限切れ下書き", other, StringComparison.Ordinal);
        Assert.DoesNotContain(browser.Cookies, c => c.StartsWith(Draft, StringComparison.Ordinal));

        // The same again from A's form, and A signs in: A's input comes back.
        await browser.SignInAsync(host.Token(Readiness.Role.Municipality, Code, "draft.owner.a@city.chuo.lg.jp"), "/municipalities/" + Code);
        var again = Form(await browser.PageAsync("/municipalities/" + Code), Action(id));
        browser.Drop(Readiness.Web.Auth.AuthSetup.CookieName);
        post = await browser.SendAsync(HttpMethod.Post, Action(id), new Dictionary<string, string>(again.Hidden) { ["phase"] = phase, ["vendor"] = "Aさんの期限切れ下書き" });
        Assert.Contains("unsaved=kept", post.Location, StringComparison.Ordinal);
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
            var token = Regex.Match(await browser.PageAsync("/planning/scenarios"), "name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]*)\"").Groups[1].Value;
            browser.Drop(Browser.AuthCookie);
            var post = await browser.SendAsync(HttpMethod.Post, "/planning/scenarios", new Dictionary<string, string>
            {
                ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token), ["name"] = "下書きシナリオ", ["capacity"] = "ベンダＡ＝１２", ["shiftMonths"] = "3",
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
