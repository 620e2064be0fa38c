using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The account host with SMTP set up but not answering (a loopback port nothing listens on, so every send is refused
/// at once): the product falls back to showing links, and has to say that the mail failed rather than that there is no SMTP.
/// </summary>
public sealed class UndeliveredMailAccountHost : AccountHost
{
    protected override IDictionary<string, string?> Settings()
    {
        var settings = base.Settings();
        settings["Readiness:Smtp:Host"] = "127.0.0.1";
        settings["Readiness:Smtp:Port"] = ClosedPort().ToString(CultureInfo.InvariantCulture);
        settings["Readiness:Smtp:Security"] = "None";
        settings["Readiness:Smtp:From"] = "readiness@test.local";
        return settings;
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>
/// When the invitation or reset mail cannot be sent, the administrator is shown the link, and the page and the
/// administration log say that the mail failed (not "no SMTP", not "mailed"); the reset made with that link is logged
/// as made with a shown link.
/// </summary>
public sealed class UndeliveredMailTests(UndeliveredMailAccountHost host) : IClassFixture<UndeliveredMailAccountHost>
{
    /// <summary>
    /// Failed before: the log said "(link shown)" / "(shown to the administrator)" as without SMTP, and both pages said
    /// "Mail (SMTP) is not configured or failed", so nobody could tell that the SMTP server needed looking into.
    /// </summary>
    [Fact]
    public async Task A_mail_that_could_not_be_sent_is_logged_and_shown_as_failed_and_the_link_still_works()
    {
        var (administrator, _) = await Accounts.SetUpAdministratorAsync(host);
        using var admin = administrator;
        const string email = "undelivered@digital.go.jp";
        var invited = await Accounts.InviteAsync(admin, email, "national_staff", null);
        Assert.Contains("data-mail=\"failed\"", invited.Html, StringComparison.Ordinal);
        Assert.Contains("招待メールを送信できませんでした", invited.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("設定されていません", invited.Html, StringComparison.Ordinal);
        using (var invitee = new FormClient(host.BaseAddress))
        {
            Assert.Equal("/", (await Accounts.AcceptAsync(invitee, Accounts.LinkOf(invited))).Location);
        }

        string id = string.Empty;
        await host.WithDbAsync(async db => id = (await db.Users.SingleAsync(u => u.Email == email)).Id);
        var issued = await admin.PostAsync("/admin/users", $"/admin/users/{id}/password-reset", new Dictionary<string, string>());
        Assert.Equal(HttpStatusCode.OK, issued.Status);
        Assert.Contains("data-mail=\"failed\"", issued.Html, StringComparison.Ordinal);
        Assert.Contains("再設定メールを送信できませんでした", issued.Html, StringComparison.Ordinal);
        var reset = new Uri(WebUtility.HtmlDecode(Regex.Match(issued.Html, "data-reset-link[^>]*>([^<]+)<").Groups[1].Value));
        var query = System.Web.HttpUtility.ParseQueryString(reset.Query);
        using var person = new FormClient(host.BaseAddress);
        var fields = new Dictionary<string, string> { ["user"] = query["user"]!, ["token"] = query["token"]!, ["password"] = "a refused mail's new passphrase", ["confirm"] = "a refused mail's new passphrase" };
        var done = await person.PostAsync(reset.PathAndQuery, "/account/password/reset", fields);
        Assert.True(done.Location == "/signin?done=password_reset", $"reset: {done.Status} {done.Location}");

        var rows = (await admin.Http.GetStringAsync("/admin/log.csv")).Split("\r\n").Where(l => l.Contains(email, StringComparison.Ordinal)).ToList();
        Assert.Contains("(link shown; the mail could not be sent)", rows.Single(l => l.Contains(",invite,", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Contains("(shown to the administrator; the mail could not be sent)", rows.Single(l => l.Contains(",issue_password_reset,", StringComparison.Ordinal)), StringComparison.Ordinal);
        var resetRow = rows.Single(l => l.Contains(",reset_password,", StringComparison.Ordinal));
        Assert.Contains("password reset by a link shown to an administrator", resetRow, StringComparison.Ordinal);
        Assert.DoesNotContain("mailed", resetRow, StringComparison.Ordinal);
        var (_, page) = await admin.GetAsync("/admin/users");
        Assert.Contains("（メールを送信できず、リンクを画面に表示）", page, StringComparison.Ordinal);
        Assert.Contains("（メールを送信できず、管理者の画面に表示）", page, StringComparison.Ordinal);
    }
}
