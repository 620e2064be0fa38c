using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Readiness.Catalog;
using Readiness.Notifications;
using Readiness.Testing;
using Readiness.Web.Identity;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>
/// Reconciliation differences after an official import, end to end: three municipalities reported systems themselves
/// that MIC's tally (generated in the official layout) then contradicts; the tally is uploaded and applied on the
/// dashboard page (/imports/{id}, the 適用する form); each prefecture user who subscribed gets one mail per differing
/// municipality of their prefecture (real SMTP server, parsed: recipient, Japanese subject naming the municipality,
/// body, unsubscribe), the same in the app, and the 東京都 webhook receives each signed; a municipality without
/// differences, other prefectures' people and municipal staff get nothing. The same file imported again (upload and
/// apply through the API) sends nothing new.
/// </summary>
public sealed partial class ReconciliationNotificationTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Pref13 = "recon-pref13@test.local";
    private const string Pref27 = "recon-pref27@test.local";
    private const string ChiyodaStaff = "recon-chiyoda@test.local";
    private const string Kind = "reconciliation_differences";
    private const string Chiyoda = "131016";   // reports koseki decommissioned; the tally says 10 of 40 steps
    private const string Chuo = "131024";      // reports 住民記録 in testing; the tally says 40 of 40
    private const string Minato = "131032";    // reports nothing itself: no difference
    private const string Osaka = "271004";     // reports koseki decommissioned; the tally says 10 of 40 (大阪府's staff)

    private readonly TestMailServer smtp = new();
    private readonly WebhookReceiver receiver = new();
    private NotificationHost host = null!;

    public async Task InitializeAsync()
    {
        smtp.Start();
        await receiver.StartAsync();
        host = new NotificationHost(Directory.CreateTempSubdirectory("readiness-recon-notify-").FullName, smtp.Port);
        await host.InitializeAsync();
        await host.AddPersonAsync(Pref13, AccountRole.PrefectureStaff, "13");
        await host.AddPersonAsync(Pref27, AccountRole.PrefectureStaff, "27");
        await host.AddPersonAsync(ChiyodaStaff, AccountRole.MunicipalityReporter, Chiyoda);
        using var admin = host.Client(host.Token(Role.Admin));
        using var response = await admin.PostAsJsonAsync("/api/v1/admin/webhooks", new { url = receiver.Url.ToString(), tenant = "13" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        receiver.Secret = (await ApiHost.Json(response)).GetProperty("secret").GetString();
    }

    [Fact]
    public async Task An_applied_import_tells_each_prefecture_its_differing_municipalities_once_and_a_reimport_nothing_new()
    {
        // The prefecture users subscribe to this kind: mail and in the app, immediately.
        foreach (var (subject, pref) in new[] { (Pref13, "13"), (Pref27, "27") })
        {
            using var me = host.Client(host.Token(Role.Prefecture, pref, subject));
            using var put = await me.PutAsJsonAsync("/api/v1/notifications/preferences", new { items = new[] { new { kind = Kind, mail = true, inApp = true, frequency = "immediately" } } });
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        // The municipalities' own reports (after the tally's month, so the import keeps them).
        foreach (var (code, business, json) in new[]
        {
            (Chiyoda, "koseki", """{"phase":"legacy_decommissioned","designated":false}"""),
            (Chuo, "resident_registry", """{"phase":"testing","designated":false,"regressionReason":"再テストのため"}"""),
            (Osaka, "koseki", """{"phase":"legacy_decommissioned","designated":false}"""),
        })
        {
            using var reporter = host.Municipality(code, $"reporter@{code}");
            await host.PutSystem(reporter, code, business, json);
        }

        // MIC's tally for February 2026 (as of 2026-02-28): koseki at 10 of 40 steps, everything else as the baseline.
        var file = Tally();
        using var national = host.Client(host.Token(Role.National, subject: "import@digital.go.jp"));
        using var upload = await ApiHost.PostImportAsync(national, file, "令和8年2月_進捗状況.xlsx");
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        var id = (await ApiHost.Json(upload)).GetProperty("id").GetString()!;

        // Applied on the dashboard page, as national staff do.
        var applying = DateTimeOffset.UtcNow;
        await ApplyOnPageAsync(id);

        // 東京都's user: one mail each for 千代田区 and 中央区 (not 港区), Japanese, with the one-click unsubscribe.
        var chiyoda = await smtp.Mailbox.WaitAsync(Pref13, m => IsReconciliation(m) && (m.Subject ?? string.Empty).Contains("千代田区", StringComparison.Ordinal));
        var chuo = await smtp.Mailbox.WaitAsync(Pref13, m => IsReconciliation(m) && (m.Subject ?? string.Empty).Contains("中央区", StringComparison.Ordinal));
        var osaka = await smtp.Mailbox.WaitAsync(Pref27, m => IsReconciliation(m) && (m.Subject ?? string.Empty).Contains("大阪市", StringComparison.Ordinal));
        Assert.Equal("【Readiness】東京都千代田区：公式データとの差異（取込み後） / Differences from the official data (after an import)", chiyoda.Message.Subject);
        Assert.Contains("東京都千代田区の報告と公式データに差異があります", chiyoda.Message.TextBody, StringComparison.Ordinal);
        Assert.Contains("koseki=reported_in_production_steps_low", chiyoda.Message.TextBody, StringComparison.Ordinal);
        Assert.Contains("resident_registry=official_complete_reported_earlier", chuo.Message.TextBody, StringComparison.Ordinal);
        Assert.Contains("/notifications/unsubscribe?token=", chiyoda.Message.TextBody, StringComparison.Ordinal);
        Assert.StartsWith("<http", chiyoda.Message.Headers["List-Unsubscribe"], StringComparison.Ordinal);
        Assert.Equal("List-Unsubscribe=One-Click", chiyoda.Message.Headers["List-Unsubscribe-Post"]);
        output.WriteLine($"Apply on the page (4 municipalities) posted at {applying:HH:mm:ss.fff}; reconciliation mails received {(chiyoda.At - applying).TotalSeconds:F2} s (千代田区), "
            + $"{(chuo.At - applying).TotalSeconds:F2} s (中央区) after, to 東京都's user; {(osaka.At - applying).TotalSeconds:F2} s (大阪市) to 大阪府's user");

        // The 東京都 webhook: the same two events, each signed (the receiver verifies every request).
        var hookChiyoda = await receiver.WaitAsync(b => b.GetProperty("type").GetString() == Kind && b.GetProperty("data").GetProperty("municipalityCode").GetString() == Chiyoda);
        var hookChuo = await receiver.WaitAsync(b => b.GetProperty("type").GetString() == Kind && b.GetProperty("data").GetProperty("municipalityCode").GetString() == Chuo);
        Assert.Equal("千代田区", hookChiyoda.Body.GetProperty("data").GetProperty("municipalityName").GetString());
        Assert.Equal(0, receiver.Rejected);

        // In the app: 東京都's user sees the two, 大阪府's user 大阪市 only.
        Assert.Equal([Chiyoda, Chuo], await InAppAsync(Pref13, "13"));
        Assert.Equal([Osaka], await InAppAsync(Pref27, "27"));

        // Exactly: once per municipality per import, nothing for 港区, nothing for municipal staff or across prefectures.
        var before = Counts();
        Assert.Equal(2, before.Pref13);
        Assert.Equal(1, before.Pref27);
        Assert.Equal(0, before.Municipal);
        Assert.Equal(2, before.Hooks);
        Assert.DoesNotContain(smtp.Mailbox.All, m => IsReconciliation(m.Message) && (m.Message.Subject ?? string.Empty).Contains("港区", StringComparison.Ordinal));
        var outboxBefore = await ReconciliationRowsAsync();

        // The same file again: the same dataset; applying it again (API) sends nothing new.
        using var again = await ApiHost.PostImportAsync(national, file, "copy of 令和8年2月_進捗状況.xlsx");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(id, (await ApiHost.Json(again)).GetProperty("id").GetString());
        using (var reapply = await national.PostAsync(new Uri($"/api/v1/imports/{id}/apply", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.OK, reapply.StatusCode);
        }

        Assert.Equal(outboxBefore, await ReconciliationRowsAsync()); // the rows are written during the apply: none was added

        // Another dataset that leaves every difference as it was (the same figures as of January: older, it changes
        // nothing) tells nothing either (a tester's finding: each such apply sent every prefecture the same notices again).
        using (var older = await ApiHost.PostImportAsync(national, Tally("令和8年1月_進捗状況"), "令和8年1月_進捗状況.xlsx"))
        {
            Assert.Equal(HttpStatusCode.Created, older.StatusCode);
            var olderId = (await ApiHost.Json(older)).GetProperty("id").GetString()!;
            Assert.NotEqual(id, olderId);
            using var apply = await national.PostAsync(new Uri($"/api/v1/imports/{olderId}/apply", UriKind.Relative), null);
            Assert.Equal(HttpStatusCode.OK, apply.StatusCode);
        }

        Assert.Equal(outboxBefore, await ReconciliationRowsAsync());

        // A barrier: a later event to 東京都's user arrives, and still only the two reconciliation mails did.
        await host.RegressAsync(Minato, "koseki");
        await smtp.Mailbox.WaitAsync(Pref13, m => (m.Subject ?? string.Empty).Contains("港区 戸籍：フェーズの後退", StringComparison.Ordinal));
        await receiver.WaitAsync(b => b.GetProperty("type").GetString() == "regression" && b.GetProperty("data").GetProperty("municipalityCode").GetString() == Minato);
        Assert.Equal(before, Counts());

        // A process killed after applying the import and before writing its events leaves the import applied, no rows
        // and no mark: the schedule's next tick tells them, with the same ids; the tick after that adds nothing.
        await ForgetToldAsync(id);
        Assert.Equal(string.Empty, await ReconciliationRowsAsync());
        var schedule = host.Services.GetRequiredService<IGrainFactory>().GetGrain<INotificationScheduleGrain>(INotificationScheduleGrain.Key);
        Assert.True(await schedule.TickAsync() > 0);
        Assert.Equal(outboxBefore, await ReconciliationRowsAsync());
        await schedule.TickAsync();
        Assert.Equal(outboxBefore, await ReconciliationRowsAsync());
    }

    /// <summary>Deletes the import's reconciliation rows and its "told" mark from the product's SQLite file (the state a kill between apply and outbox commit leaves).</summary>
    private async Task ForgetToldAsync(string datasetId)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(host.DataPath, Readiness.Hosting.SqliteSchema.DatabaseFileName)};Pooling=False;Default Timeout=30");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"DELETE FROM readiness_notification_outbox WHERE kind = '{Kind}'; DELETE FROM readiness_notification_state WHERE name IN ('{Readiness.Web.Imports.ReconciliationNotifier.ToldName(datasetId)}', '{Readiness.Web.Imports.ReconciliationNotifier.DifferencesToldName}');";
        Assert.True(await command.ExecuteNonQueryAsync() > 0);
    }

    private static bool IsReconciliation(MimeKit.MimeMessage m) => (m.Subject ?? string.Empty).Contains("公式データとの差異", StringComparison.Ordinal);

    private (int Pref13, int Pref27, int Municipal, int Hooks) Counts() => (
        smtp.Mailbox.To(Pref13).Count(m => IsReconciliation(m.Message)),
        smtp.Mailbox.To(Pref27).Count(m => IsReconciliation(m.Message)),
        smtp.Mailbox.To(ChiyodaStaff).Count(m => IsReconciliation(m.Message)),
        receiver.Verified.Count(v => JsonDocument.Parse(v.Body).RootElement.GetProperty("type").GetString() == Kind));

    /// <summary>The municipality codes of the person's in-app reconciliation notifications, sorted.</summary>
    private async Task<string[]> InAppAsync(string subject, string pref)
    {
        using var me = host.Client(host.Token(Role.Prefecture, pref, subject));
        var items = JsonDocument.Parse(await me.GetStringAsync("/api/v1/notifications")).RootElement.GetProperty("items").EnumerateArray()
            .Where(i => i.GetProperty("kind").GetString() == Kind).ToList();
        return [.. items.Select(i => i.GetProperty("municipalityCode").GetString()!).Order(StringComparer.Ordinal)];
    }

    /// <summary>Every reconciliation row in the outbox (any status), through the administrators' API.</summary>
    private async Task<string> ReconciliationRowsAsync()
    {
        var ids = new List<string>();
        foreach (var status in new[] { "pending", "delivered", "dead", "held" })
        {
            var rows = await host.OutboxAsync(status);
            ids.AddRange(rows.GetProperty("items").EnumerateArray().Where(r => r.GetProperty("kind").GetString() == Kind)
                .Select(r => $"{r.GetProperty("id").GetString()} {r.GetProperty("channel").GetString()} {r.GetProperty("recipient").GetString()}"));
        }

        return string.Join("\n", ids.Distinct().Order(StringComparer.Ordinal));
    }

    /// <summary>Signs in as national staff (cookie) and posts the 適用する form of /imports/{id} with its antiforgery token.</summary>
    private async Task ApplyOnPageAsync(string id)
    {
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        using (var signIn = await browser.PostAsync("/auth/local/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = host.Token(Role.National, subject: "import@digital.go.jp"),
            ["returnUrl"] = $"/imports/{id}",
        })))
        {
            Assert.True(signIn.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.SeeOther or HttpStatusCode.OK, $"sign-in: {signIn.StatusCode}");
        }

        var html = await browser.GetStringAsync($"/imports/{id}");
        var action = $"action=\"/imports/{id}/apply\"";
        var start = html.IndexOf(action, StringComparison.Ordinal);
        Assert.True(start >= 0, "no 適用する form on the import page");
        var form = html[start..html.IndexOf("</form>", start, StringComparison.Ordinal)];
        var match = AntiforgeryValue().Match(form);
        var token = WebUtility.HtmlDecode(match.Groups[1].Success ? match.Groups[1].Value : match.Groups[2].Value);
        Assert.False(string.IsNullOrEmpty(token), "no antiforgery token in the form");
        using var apply = await browser.PostAsync($"/imports/{id}/apply", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));
        Assert.Equal(HttpStatusCode.SeeOther, apply.StatusCode);
        Assert.Contains("data-applied", await browser.GetStringAsync($"/imports/{id}"), StringComparison.Ordinal);
    }

    /// <summary>MIC's tally in the published layout: the four municipalities at their baseline rates, except koseki at 10 of 40 steps (千代田区, 大阪市) and 住民記録 at 40 of 40.</summary>
    private static byte[] Tally(string title = "令和8年2月_進捗状況")
    {
        var catalog = ReadinessCatalog.Instance;
        var labels = catalog.BusinessSystems.Select(b => b.SoumuLabel).ToArray();
        var rows = new[] { Chiyoda, Chuo, Minato, Osaka }.Select(code =>
        {
            var m = catalog.MunicipalitiesByCode[code];
            var steps = catalog.BaselineSteps[code];
            var rates = catalog.BusinessSystems.Select((b, i) => (b.SoumuLabel, Rate: b.Id == "koseki" && code is Chiyoda or Osaka ? 0.25m : b.Id == "resident_registry" ? 1m : steps[i]))
                .ToDictionary(x => x.SoumuLabel, x => x.Rate);
            return new MicRow(catalog.PrefecturesByCode[m.PrefectureCode].Name, m.Name, rates);
        }).ToList();
        return OfficialWorkbooks.MicProgress(title, labels, rows);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]*)\"|value=\"([^\"]*)\"[^>]*name=\"__RequestVerificationToken\"")]
    private static partial Regex AntiforgeryValue();

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)host).DisposeAsync();
        await receiver.DisposeAsync();
        smtp.Dispose();
    }
}
