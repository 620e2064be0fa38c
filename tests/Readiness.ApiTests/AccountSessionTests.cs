using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Readiness.Web.Identity;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>An account host whose event streams re-check their credential every second (30 s by default).</summary>
public sealed class SessionHost : AccountHost
{
    protected override IDictionary<string, string?> Settings()
    {
        var settings = base.Settings();
        settings["Readiness:Auth:RevalidationInterval"] = "00:00:01";
        return settings;
    }
}

/// <summary>
/// Server-side sessions (listed, ended by "sign out everywhere"), a deactivated person's open stream and bearer
/// token, and the administration log's CSV export in each administrator's scope, over real HTTP.
/// </summary>
public sealed class AccountSessionTests(SessionHost host, ITestOutputHelper output) : IClassFixture<SessionHost>, IAsyncLifetime
{
    private static readonly SemaphoreSlim Once = new(1, 1);
    private static FormClient? admin;

    private FormClient Admin => admin!;

    public async Task InitializeAsync()
    {
        await Once.WaitAsync();
        try
        {
            admin ??= (await Accounts.SetUpAdministratorAsync(host)).Client;
        }
        finally
        {
            Once.Release();
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Sign_out_everywhere_ends_the_other_sessions_at_once_and_keeps_this_one()
    {
        using var accepted = await NationalStaffAsync("two.browsers@digital.go.jp");
        using var laptop = new FormClient(host.BaseAddress);
        using var phone = new FormClient(host.BaseAddress);
        Assert.Equal("/", (await laptop.SignInAsync("two.browsers@digital.go.jp", AccountHost.Password)).Location);
        Assert.Equal("/", (await phone.SignInAsync("two.browsers@digital.go.jp", AccountHost.Password)).Location);
        var phoneCookie = phone.Cookies.GetCookieHeader(host.BaseAddress);

        // The account page lists both sessions (the accepting one ended with its client), this one marked.
        var (_, page) = await laptop.GetAsync("/account");
        Assert.Contains("data-session=\"current\"", page, StringComparison.Ordinal);
        Assert.Contains("data-session=\"other\"", page, StringComparison.Ordinal);
        await host.WithDbAsync(async db =>
        {
            var id = (await db.Users.SingleAsync(u => u.Email == "two.browsers@digital.go.jp")).Id;
            var open = await db.Sessions.Where(s => s.UserId == id && s.EndedAtUtc == null).ToListAsync();
            Assert.True(open.Count >= 2, $"{open.Count} open sessions");
            Assert.All(open, s => Assert.Equal("127.0.0.1", s.ClientAddress));
        });

        var answer = await laptop.PostAsync("/account", "/account/signout-everywhere", new Dictionary<string, string>());
        Assert.Equal("/account?done=signed_out_others", answer.Location);
        Assert.True(await Accounts.SignedInAsync(laptop), "the session that signed out everywhere else ended too");
        Assert.False(await Accounts.SignedInAsync(phone), "the other session still works");

        // The other session's cookie, replayed as it was, is refused too (its session record has ended).
        using var replay = new HttpClient { BaseAddress = host.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/catalog");
        request.Headers.Add("Cookie", phoneCookie);
        using var refused = await replay.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        using (var still = await laptop.Http.GetAsync("/api/v1/catalog"))
        {
            Assert.Equal(HttpStatusCode.OK, still.StatusCode);
        }

        await host.WithDbAsync(async db => Assert.Contains(await db.AdminLog.Where(e => e.TargetSubject == "two.browsers@digital.go.jp").Select(e => e.Action).ToListAsync(), a => a == "sign_out_everywhere"));
    }

    [Fact]
    public async Task A_deactivated_persons_open_stream_and_bearer_token_stop_within_seconds()
    {
        using var leaver = await NationalStaffAsync("stream.leaver@digital.go.jp");
        using var tokenClient = host.Client(host.Token(Role.National, subject: "stream.leaver@digital.go.jp"));
        using var bystander = host.Client(host.Token(Role.National, subject: "stays@digital.go.jp"));

        using var cookieStream = await OpenStreamAsync(leaver.Http);
        using var tokenStream = await OpenStreamAsync(tokenClient);
        using var otherStream = await OpenStreamAsync(bystander);
        var cookieEnd = ReadToEndAsync(cookieStream, TimeSpan.FromSeconds(30));
        var tokenEnd = ReadToEndAsync(tokenStream, TimeSpan.FromSeconds(30));
        var otherEnd = ReadToEndAsync(otherStream, TimeSpan.FromSeconds(12));

        var id = await host.UserIdAsync("stream.leaver@digital.go.jp");
        var clock = Stopwatch.StartNew();
        var deactivated = await Admin.PostAsync("/admin/users", $"/admin/users/{id}/active", new Dictionary<string, string> { ["active"] = "false" });
        Assert.Equal("/admin/users?done=active", deactivated.Location);

        Assert.True(await cookieEnd, "the deactivated person's stream (account cookie) is still open after 30 s");
        var cookieMs = clock.ElapsedMilliseconds;
        Assert.True(await tokenEnd, "the deactivated person's stream (bearer token) is still open after 30 s");
        var tokenMs = clock.ElapsedMilliseconds;
        Assert.False(await otherEnd, "another person's stream ended too");
        output.WriteLine($"streams ended after deactivation: cookie {cookieMs} ms, bearer token {tokenMs} ms (revalidation every 1 s here, 30 s by default)");

        // New requests with the token are refused; the bystander's token still works.
        using (var again = await tokenClient.GetAsync("/api/v1/catalog"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
        }

        using (var fine = await bystander.GetAsync("/api/v1/catalog"))
        {
            Assert.Equal(HttpStatusCode.OK, fine.StatusCode);
        }

        await host.WithDbAsync(async db => Assert.False(await db.Sessions.AnyAsync(s => s.UserId == id && s.EndedAtUtc == null)));
    }

    [Fact]
    public async Task The_admin_log_exports_as_CSV_in_each_administrators_own_scope()
    {
        // Tokyo (13) with Chiyoda (131016), and Osaka (27) with Osaka City (271004): each with an administrator.
        using var tokyo = await AdministratorAsync(Admin, "csv.pref13@metro.tokyo.lg.jp", "prefecture_administrator", "13");
        using var osaka = await AdministratorAsync(Admin, "csv.pref27@pref.osaka.lg.jp", "prefecture_administrator", "27");
        using var chiyoda = await AdministratorAsync(tokyo, "csv.admin@city.chiyoda.lg.jp", "municipality_administrator", "131016");
        using var osakaCity = await AdministratorAsync(osaka, "csv.admin@city.osaka.lg.jp", "municipality_administrator", "271004");
        Accounts.LinkOf(await Accounts.InviteAsync(chiyoda, "csv.reporter@city.chiyoda.lg.jp", "municipality_reporter", "131016"));
        Accounts.LinkOf(await Accounts.InviteAsync(osakaCity, "csv.reporter@city.osaka.lg.jp", "municipality_reporter", "271004"));

        var all = await ExportAsync(Admin);
        Assert.Equal(AccountEndpoints.AdminLogColumns, all.Header);
        Assert.Contains(all.Rows, r => r["target_subject"] == "csv.reporter@city.chiyoda.lg.jp" && r["action"] == "invite");
        Assert.Contains(all.Rows, r => r["target_subject"] == "csv.reporter@city.osaka.lg.jp" && r["action"] == "invite");
        Assert.Contains(all.Rows, r => r["action"] == "setup");
        Assert.All(all.Rows, r => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", r["at_utc"]));
        // at_jst beside it, the same instant in Japan time (+09:00): failed before, the log had no JST column.
        Assert.True(ExportJapanTimeTests.AssertJapanTime([[.. all.Header], .. all.Rows.Select(r => all.Header.Select(h => r[h]).ToList())], "admin log") > 0);

        // Tokyo sees Tokyo's and Chiyoda's entries and its own actions, nothing of Osaka.
        var tokyoRows = (await ExportAsync(tokyo)).Rows;
        Assert.Contains(tokyoRows, r => r["target_subject"] == "csv.reporter@city.chiyoda.lg.jp");
        Assert.Contains(tokyoRows, r => r["target_subject"] == "csv.admin@city.chiyoda.lg.jp" && r["actor_subject"] == "csv.pref13@metro.tokyo.lg.jp");
        Assert.All(tokyoRows, r => Assert.True(r["target_tenant"].StartsWith("13", StringComparison.Ordinal) || r["actor_subject"] == "csv.pref13@metro.tokyo.lg.jp", $"Tokyo got {r["action"]} {r["target_subject"]} ({r["target_tenant"]})"));

        // Chiyoda sees only Chiyoda; Osaka City only Osaka City.
        var chiyodaRows = (await ExportAsync(chiyoda)).Rows;
        Assert.Contains(chiyodaRows, r => r["target_subject"] == "csv.reporter@city.chiyoda.lg.jp");
        Assert.All(chiyodaRows, r => Assert.True(r["target_tenant"] == "131016" || r["actor_subject"] == "csv.admin@city.chiyoda.lg.jp", $"Chiyoda got {r["action"]} {r["target_subject"]} ({r["target_tenant"]})"));
        var osakaRows = (await ExportAsync(osakaCity)).Rows;
        Assert.Contains(osakaRows, r => r["target_subject"] == "csv.reporter@city.osaka.lg.jp");
        Assert.DoesNotContain(osakaRows, r => r["target_subject"]?.Contains("chiyoda", StringComparison.Ordinal) == true);
        Assert.True(all.Rows.Count > tokyoRows.Count && tokyoRows.Count > chiyodaRows.Count, $"all {all.Rows.Count}, Tokyo {tokyoRows.Count}, Chiyoda {chiyodaRows.Count}");

        // Not an administrator (national staff; an anonymous browser): no export.
        using var staff = await NationalStaffAsync("csv.staff@digital.go.jp");
        using (var refused = await staff.Http.GetAsync(AccountEndpoints.AdminLogCsvPath))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        using var anonymous = new FormClient(host.BaseAddress);
        using (var anon = await anonymous.Http.GetAsync(AccountEndpoints.AdminLogCsvPath))
        {
            Assert.NotEqual(HttpStatusCode.OK, anon.StatusCode);
            Assert.True((int)anon.StatusCode < 500);
        }

        // Each export is itself in the log.
        await host.WithDbAsync(async db => Assert.True(await db.AdminLog.CountAsync(e => e.Action == "export_admin_log") >= 4));
    }

    /// <summary>A national staff account (no second factor required), accepted and signed in.</summary>
    private async Task<FormClient> NationalStaffAsync(string email)
    {
        var link = Accounts.LinkOf(await Accounts.InviteAsync(Admin, email, "national_staff", null));
        var client = new FormClient(host.BaseAddress);
        Assert.Equal("/", (await Accounts.AcceptAsync(client, link)).Location);
        return client;
    }

    private async Task<FormClient> AdministratorAsync(FormClient inviter, string email, string role, string tenant)
    {
        var link = Accounts.LinkOf(await Accounts.InviteAsync(inviter, email, role, tenant));
        var client = new FormClient(host.BaseAddress);
        await Accounts.AcceptAsync(client, link);
        await client.EnrolAsync();
        return client;
    }

    private static async Task<(string[] Header, List<Dictionary<string, string>> Rows)> ExportAsync(FormClient client)
    {
        using var response = await client.Http.GetAsync(AccountEndpoints.AdminLogCsvPath);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("attachment", response.Content.Headers.ContentDisposition?.ToString() ?? response.Headers.GetValues("Content-Disposition").First(), StringComparison.Ordinal);
        var text = Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync()).TrimStart('\uFEFF');
        var records = AuditForgingTests.ParseCsv(text);
        var header = records[0].ToArray();
        var rows = records.Skip(1).Select(r => header.Select((h, i) => (h, v: r[i])).ToDictionary(x => x.h, x => x.v)).ToList();
        return (header, rows);
    }

    private static async Task<HttpResponseMessage> OpenStreamAsync(HttpClient client)
    {
        var response = await client.GetAsync("/api/v1/stream", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return response;
    }

    /// <summary>True when the server ends the body within <paramref name="timeout"/>.</summary>
    private static async Task<bool> ReadToEndAsync(HttpResponseMessage response, TimeSpan timeout)
    {
        await using var body = await response.Content.ReadAsStreamAsync();
        using var cancel = new CancellationTokenSource(timeout);
        var buffer = new byte[16 * 1024];
        try
        {
            while (await body.ReadAsync(buffer, cancel.Token) > 0)
            {
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true; // the server closed the connection
        }
    }

}
