using System.Net;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>First run on an empty identity store: the printed setup link creates the first administrator, once.</summary>
public sealed class FirstRunSetupTests(AccountHost host) : IClassFixture<AccountHost>
{
    [Fact]
    public async Task The_setup_token_is_on_the_console_only_never_in_the_log()
    {
        var link = await host.SetupLinkAsync();
        var token = System.Web.HttpUtility.ParseQueryString(link.Query)["token"]!;
        Assert.Contains(host.SetupLog, l => l.Contains("First-run setup link printed to the console", StringComparison.Ordinal));
        Assert.DoesNotContain(host.SetupLog, l => l.Contains(token, StringComparison.Ordinal) || l.Contains("/setup?token=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_setup_link_creates_one_administrator_with_a_strong_password_and_is_dead_afterwards()
    {
        var link = await host.SetupLinkAsync();
        var token = System.Web.HttpUtility.ParseQueryString(link.Query)["token"]!;
        using var browser = new FormClient(host.BaseAddress);

        // The sign-in page tells the reader to look in the console; nobody has an account yet.
        var (_, signIn) = await browser.GetAsync("/signin");
        Assert.Contains("data-first-run", signIn, StringComparison.Ordinal);
        Assert.Contains("コンソール", signIn, StringComparison.Ordinal);

        // A wrong or truncated token shows no form.
        var (wrongStatus, wrong) = await browser.GetAsync("/setup?token=" + token[..^2]);
        Assert.Equal(HttpStatusCode.BadRequest, wrongStatus); // never a link: 400 (was 200)
        Assert.Contains("data-error=\"link_unknown\"", wrong, StringComparison.Ordinal);
        Assert.DoesNotContain("data-form=\"setup\"", wrong, StringComparison.Ordinal);

        // Weak passwords are refused and create nothing; the link stays usable.
        Dictionary<string, string> Form(string password, string? confirm = null, string email = "first.admin@digital.go.jp") => new()
        {
            ["token"] = token, ["email"] = email, ["displayName"] = "最初の管理者", ["password"] = password, ["confirm"] = confirm ?? password,
        };
        foreach (var (password, code) in new[] { ("short pass", "password_too_short"), ("password1234", "common_password"), ("111111111111", "common_password"), ("first.admin-secret!", "password_contains_email") })
        {
            var refused = await browser.PostAsync(link.PathAndQuery, "/account/setup", Form(password));
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Status);
            Assert.Equal(code, refused.Error);
        }

        // Every field's fault at once, each beside its field in both languages; what was typed is kept, the passwords
        // are not, and the form still carries its link's token (in its hidden field and in the address it posts to).
        var all = await browser.PostAsync(link.PathAndQuery, "/account/setup", new Dictionary<string, string>
        {
            ["token"] = token, ["email"] = "not-an-address", ["displayName"] = "最初の\n管理者", ["password"] = "short pass", ["confirm"] = "another short",
        });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, all.Status);
        Assert.Equal(["email", "displayName", "password", "confirm"], all.Faults.Keys);
        Assert.Equal(["invalid_email"], all.Faults["email"]);
        Assert.Equal(["invalid_name"], all.Faults["displayName"]);
        Assert.Equal(["password_too_short"], all.Faults["password"]);
        Assert.Equal(["password_mismatch"], all.Faults["confirm"]);
        Assert.Contains("メールアドレスの形式が正しくありません。", all.Html, StringComparison.Ordinal);
        Assert.Contains("The e-mail address is not valid.", all.Html, StringComparison.Ordinal);
        Assert.Contains("The two passwords do not match.", all.Html, StringComparison.Ordinal);
        Assert.Contains("value=\"not-an-address\"", all.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("short pass", all.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("another short", all.Html, StringComparison.Ordinal);
        Assert.Contains($"name=\"token\" value=\"{token}\"", all.Html, StringComparison.Ordinal);
        Assert.Contains($"action=\"/account/setup?token={token}\"", all.Html, StringComparison.Ordinal);
        Assert.Contains("aria-describedby=\"email-error\"", all.Html, StringComparison.Ordinal);

        // One limit per concept, said as too long with it (round 49: a 255-character address was "not valid"): the
        // e-mail at RFC 5321's 254 and the name at 100 are taken (no fault beside them), one more of each is too long.
        var atLimit = new string('a', 64) + "@" + new string('b', 63) + "." + new string('c', 63) + "." + new string('d', 50) + ".example.jp";
        var taken = await browser.PostAsync(link.PathAndQuery, "/account/setup", new Dictionary<string, string>
        {
            ["token"] = token, ["email"] = atLimit, ["displayName"] = new string('名', 100), ["password"] = "short pass", ["confirm"] = "short pass",
        });
        Assert.Equal(["password"], taken.Faults.Keys);
        var over = await browser.PostAsync(link.PathAndQuery, "/account/setup", new Dictionary<string, string>
        {
            ["token"] = token, ["email"] = "e" + atLimit, ["displayName"] = new string('名', 101), ["password"] = AccountHost.Password, ["confirm"] = AccountHost.Password,
        });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, over.Status);
        Assert.Equal(["email_too_long"], over.Faults["email"]);
        Assert.Equal(["name_too_long"], over.Faults["displayName"]);
        Assert.Contains("メールアドレスが長すぎます（最大254文字）。", over.Html, StringComparison.Ordinal);
        Assert.Contains("The name is too long (max 100 characters).", over.Html, StringComparison.Ordinal);
        Assert.Contains($"value=\"e{atLimit}\"", over.Html, StringComparison.Ordinal);

        Assert.Equal("password_mismatch", (await browser.PostAsync(link.PathAndQuery, "/account/setup", Form(AccountHost.Password, "something else entirely"))).Error);
        Assert.Equal("invalid_email", (await browser.PostAsync(link.PathAndQuery, "/account/setup", Form(AccountHost.Password, email: "not-an-address"))).Error);
        await host.WithDbAsync(async db => Assert.Equal(0, await db.Users.CountAsync()));

        // Without the form's antiforgery token nothing is read: the shared ja/en 400 page of every form (FormAnswers).
        using (var forged = await browser.Http.PostAsync("/account/setup", new FormUrlEncodedContent(Form(AccountHost.Password))))
        {
            Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
            var page = await forged.Content.ReadAsStringAsync();
            Assert.Contains("ページを再読み込み", page, StringComparison.Ordinal);
            Assert.Contains("Reload the page", page, StringComparison.Ordinal);
        }

        await host.WithDbAsync(async db => Assert.Equal(0, await db.Users.CountAsync()));

        // The right form creates the administrator and leads to the second factor, which is required before anything else.
        var created = await browser.PostAsync(link.PathAndQuery, "/account/setup", Form(AccountHost.Password));
        Assert.Equal(HttpStatusCode.SeeOther, created.Status);
        Assert.StartsWith("/account/mfa", created.Location, StringComparison.Ordinal);
        var (pending, _) = await browser.GetAsync("/admin/users");
        Assert.Equal(HttpStatusCode.Forbidden, pending);
        using (var api = await browser.Http.GetAsync("/api/v1/catalog"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, api.StatusCode); // signed in, but no role until MFA is set up
        }

        await browser.EnrolAsync();
        var (admin, users) = await browser.GetAsync("/admin/users");
        Assert.Equal(HttpStatusCode.OK, admin);
        Assert.Contains("data-user=\"first.admin@digital.go.jp\"", users, StringComparison.Ordinal);
        Assert.Contains("data-log-action=\"setup\"", users, StringComparison.Ordinal);
        Assert.Contains("data-log-action=\"enable_mfa\"", users, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", users, StringComparison.Ordinal); // the client address is recorded

        // The link is dead: the page says so and a replayed form (even with a fresh antiforgery token) creates nobody.
        using var other = new FormClient(host.BaseAddress);
        var (usedStatus, used) = await other.GetAsync(link.PathAndQuery);
        Assert.Equal(HttpStatusCode.Gone, usedStatus); // a link that no longer works: 410 (was 200)
        Assert.Contains("data-error=\"link_used\"", used, StringComparison.Ordinal);
        var replay = await other.PostAsync("/signin", "/account/setup", Form(AccountHost.Password, email: "second.admin@digital.go.jp"));
        Assert.Equal("link_used", replay.Error);
        await host.WithDbAsync(async db => Assert.Equal(1, await db.Users.CountAsync()));
        var (_, signInAfter) = await other.GetAsync("/signin");
        Assert.DoesNotContain("data-first-run", signInAfter, StringComparison.Ordinal);
    }
}
