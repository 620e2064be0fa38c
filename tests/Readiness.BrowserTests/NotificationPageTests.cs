using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using MimeKit;
using Readiness.Notifications;
using Readiness.Web.Identity;
using Readiness.Web.Notifications;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;
using Xunit.Abstractions;

namespace Readiness.BrowserTests;

/// <summary>The dashboard with SMTP pointing at a real SMTP server (SmtpServer package) started here, and fast notification rounds.</summary>
public sealed class NotificationDashboardFixture : DashboardFixture, IDisposable
{
    private readonly CancellationTokenSource stop = new();

    public NotificationDashboardFixture()
    {
        var options = new SmtpServerOptionsBuilder().ServerName("localhost").Endpoint(e => e.Endpoint(new IPEndPoint(IPAddress.Loopback, SmtpPort))).Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(Mailbox);
        _ = new SmtpServer.SmtpServer(options, services).StartAsync(stop.Token);
    }

    public int SmtpPort { get; } = Readiness.Testing.TestPorts.Free();

    public Inbox Mailbox { get; } = new();

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Readiness:Smtp:Host"] = "127.0.0.1",
        ["Readiness:Smtp:Port"] = SmtpPort.ToString(CultureInfo.InvariantCulture),
        ["Readiness:Smtp:Security"] = "None",
        ["Readiness:Smtp:From"] = "readiness@test.local",
        ["Readiness:Notifications:PollInterval"] = "00:00:00.200",
        ["Readiness:Notifications:ScheduleInterval"] = "01:00:00",
        ["Readiness:Webhooks:AllowedNetworks"] = "127.0.0.0/8", // the test receiver listens on loopback
    };

    /// <summary>An active account with an e-mail address (the subject of its token is the address).</summary>
    public async Task AddPersonAsync(string email, AccountRole role, string? tenant)
    {
        using var scope = Host.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ReadinessUser>>();
        var result = await users.CreateAsync(new ReadinessUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = email, AccountRole = role, Tenant = tenant, Active = true, CreatedAtUtc = DateTime.UtcNow });
        Assert.True(result.Succeeded, string.Join(", ", result.Errors.Select(e => e.Description)));
    }

    public void Dispose()
    {
        stop.Cancel();
        stop.Dispose();
    }
}

/// <summary>Every mail the SMTP server accepted, parsed with MimeKit, with its arrival time.</summary>
public sealed class Inbox : MessageStore
{
    private readonly ConcurrentQueue<(MimeMessage Message, DateTimeOffset At)> messages = new();

    public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
    {
        await using var stream = new MemoryStream(buffer.ToArray());
        messages.Enqueue((await MimeMessage.LoadAsync(stream, cancellationToken), DateTimeOffset.UtcNow));
        return SmtpResponse.Ok;
    }

    public async Task<(MimeMessage Message, DateTimeOffset At)> WaitAsync(string to, Func<MimeMessage, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var found = messages.FirstOrDefault(m => m.Message.To.Mailboxes.Any(b => b.Address == to) && match(m.Message));
            if (found.Message is not null)
            {
                return found;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"no matching mail to {to}; got: {string.Join(" | ", messages.Select(m => m.Message.Subject))}");
    }
}

/// <summary>
/// The notification pages in a browser: administrators register and stop a webhook endpoint on /admin/notifications
/// (the secret shown once); axe-core finds no WCAG 2.1 A/AA violation on /notifications, /notifications/unsubscribe
/// and /admin/notifications in Japanese and English; and the issue's "done when" walk: a prefecture user sets up
/// notifications, a municipality of that prefecture moves a phase back on its page, the Japanese mail arrives within a
/// minute and a webhook receiver gets the same event signed.
/// </summary>
public sealed class NotificationPageTests(NotificationDashboardFixture fixture, ITestOutputHelper output) : IClassFixture<NotificationDashboardFixture>
{
    private static readonly TestUser Admin = new(Role.Admin, null, "admin@readiness.test");

    private string Url(string path) => new Uri(fixture.BaseAddress, path).ToString();

    public static IEnumerable<object[]> Languages => [["ja"], ["en"]];

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task Notification_pages_have_no_violations(string language)
    {
        var found = new List<string>();
        var subject = $"a11y-{language}@pref-13.lg.jp";
        await fixture.AddPersonAsync(subject, AccountRole.PrefectureStaff, "13");

        await using (var context = await fixture.NewContextAsync(language, user: new TestUser(Role.Prefecture, "13", subject)))
        {
            var page = await context.NewPageAsync();
            await page.GotoAsync(Url("/notifications"));
            await page.AxeCheckAsync($"{language} prefecture: /notifications", found, output);
            await page.Locator("form[data-form=preferences] button[type=submit]").ClickAsync();
            await page.WaitForUrlAsync("**/notifications?done=1");
            await page.AxeCheckAsync($"{language} prefecture: /notifications saved", found, output);
        }

        await using (var anonymous = await fixture.NewAnonymousContextAsync(language))
        {
            var key = await fixture.Host.Services.GetRequiredService<NotificationStore>().UnsubscribeKeyAsync();
            var token = Uri.EscapeDataString(UnsubscribeTokens.Create(key, subject, NotificationKind.Overdue));
            var page = await anonymous.NewPageAsync();
            await page.GotoAsync(Url($"/notifications/unsubscribe?token={token}"));
            await page.AxeCheckAsync($"{language} anonymous: /notifications/unsubscribe", found, output);
            await page.Locator("form[data-form=unsubscribe] button[type=submit]").ClickAsync();
            await page.WaitForUrlAsync("**done=1*");
            await page.AxeCheckAsync($"{language} anonymous: /notifications/unsubscribe done", found, output);
            await page.GotoAsync(Url("/notifications/unsubscribe?token=forged"));
            await page.AxeCheckAsync($"{language} anonymous: /notifications/unsubscribe invalid", found, output);
        }

        await using (var context = await fixture.NewContextAsync(language, user: Admin))
        {
            var page = await context.NewPageAsync();
            await page.GotoAsync(Url("/admin/notifications"));
            await page.AxeCheckAsync($"{language} admin: /admin/notifications", found, output);
            await page.Locator("#webhook-url").FillAsync("ftp://nowhere.example/");
            await page.Locator("form[data-form=webhook-add] button[type=submit]").ClickAsync();
            await Assertions.Expect(page.Locator("[data-webhook-error=url]")).ToBeVisibleAsync();
            await page.AxeCheckAsync($"{language} admin: /admin/notifications with a refused URL", found, output);
            await page.Locator("#webhook-url").FillAsync($"https://receiver-{language}.example/hook");
            await page.Locator("form[data-form=webhook-add] button[type=submit]").ClickAsync();
            await Assertions.Expect(page.Locator("[data-secret]")).ToBeVisibleAsync();
            await page.AxeCheckAsync($"{language} admin: /admin/notifications with a new secret", found, output);
        }

        Assert.True(found.Count == 0, string.Join('\n', found));
    }

    [Fact]
    public async Task An_administrator_registers_a_webhook_on_the_page_sees_its_secret_once_and_stops_it()
    {
        await using var context = await fixture.NewContextAsync("ja", user: Admin);
        var page = await context.NewPageAsync();
        await page.GotoAsync(Url("/admin/notifications"));
        await Assertions.Expect(page.Locator("h3#webhook-add-heading")).ToHaveTextAsync("Webhook を登録");

        // Bad input: the field is named, nothing is stored, the input is kept.
        var before = (await fixture.Host.Services.GetRequiredService<NotificationStore>().WebhooksAsync()).Count;
        await page.Locator("#webhook-url").FillAsync("https://hooks.example.lg.jp/readiness");
        await page.Locator("#webhook-tenant").FillAsync("99");
        await page.Locator("form[data-form=webhook-add] button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-webhook-error=tenant]")).ToContainTextAsync("都道府県コード");
        Assert.Equal("true", await page.Locator("#webhook-tenant").GetAttributeAsync("aria-invalid"));
        Assert.Equal("https://hooks.example.lg.jp/readiness", await page.Locator("#webhook-url").InputValueAsync());
        Assert.Equal(before, (await fixture.Host.Services.GetRequiredService<NotificationStore>().WebhooksAsync()).Count);

        await page.Locator("#webhook-tenant").FillAsync("13");
        await page.Locator("form[data-form=webhook-add] button[type=submit]").ClickAsync();
        var created = page.Locator("[data-webhook-created]");
        await Assertions.Expect(created).ToContainTextAsync("一度だけ");
        var id = (await created.GetAttributeAsync("data-webhook-created"))!;
        var secret = await page.Locator("[data-secret]").InnerTextAsync();
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        var stored = (await fixture.Host.Services.GetRequiredService<NotificationStore>().WebhooksAsync()).Single(w => w.Id == id);
        Assert.Equal(secret, stored.Secret);
        Assert.Equal("13", stored.Tenant);
        Assert.Equal("https://hooks.example.lg.jp/readiness", stored.Url);
        Assert.Equal(Admin.Subject, stored.CreatedBy);
        await Assertions.Expect(page.Locator($"tr[data-webhook='{id}']")).ToContainTextAsync("https://hooks.example.lg.jp/readiness");

        // Shown once: the list (and a reload) never shows it again.
        await page.GotoAsync(Url("/admin/notifications"));
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);
        await Assertions.Expect(page.Locator($"tr[data-webhook='{id}']")).ToBeVisibleAsync();

        await page.Locator($"tr[data-webhook='{id}'] form[data-form=webhook-remove] button").ClickAsync();
        await Assertions.Expect(page.Locator("[data-webhook-removed]")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator($"tr[data-webhook='{id}']")).ToHaveCountAsync(0);
        Assert.False((await fixture.Host.Services.GetRequiredService<NotificationStore>().WebhooksAsync()).Single(w => w.Id == id).Active);

        // Other roles cannot open the page.
        await using var staff = await fixture.NewContextAsync("ja", user: TestUser.Prefecture("13"));
        var denied = await (await staff.NewPageAsync()).GotoAsync(Url("/admin/notifications"));
        Assert.Equal(403, denied!.Status);
    }

    [Fact]
    public async Task Done_when_a_phase_moved_back_reaches_the_prefecture_user_by_Japanese_mail_within_a_minute_and_the_webhook_signed()
    {
        const string code = "131016"; // 東京都千代田区
        const string businessId = "fixed_asset_tax";
        var person = "walk@pref-13.lg.jp";
        await fixture.AddPersonAsync(person, AccountRole.PrefectureStaff, "13");
        await using var receiver = new Receiver();
        await receiver.StartAsync();

        // The prefecture user sets up notifications: regression by mail, immediately; the weekly digest off.
        await using (var context = await fixture.NewContextAsync("ja", user: new TestUser(Role.Prefecture, "13", person)))
        {
            var page = await context.NewPageAsync();
            await page.GotoAsync(Url("/notifications"));
            await page.Locator("#regression-mail").SetCheckedAsync(true);
            await page.Locator("select[name='regression.frequency']").SelectOptionAsync("immediately");
            await page.Locator("#digest-mail").SetCheckedAsync(false);
            await page.Locator("form[data-form=preferences] button[type=submit]").ClickAsync();
            await page.WaitForUrlAsync("**/notifications?done=1");
            Assert.False(await page.Locator("#digest-mail").IsCheckedAsync());
        }

        // An administrator registers the prefecture's webhook receiver on the page.
        await using (var context = await fixture.NewContextAsync("ja", user: Admin))
        {
            var page = await context.NewPageAsync();
            await page.GotoAsync(Url("/admin/notifications"));
            await page.Locator("#webhook-url").FillAsync(receiver.Url.ToString());
            await page.Locator("#webhook-tenant").FillAsync("13");
            await page.Locator("form[data-form=webhook-add] button[type=submit]").ClickAsync();
            receiver.Secret = await page.Locator("[data-secret]").InnerTextAsync();
        }

        // 千代田区 is in production for the business, then moves it back to testing on its own page.
        using (var api = fixture.CreateHttpClient(user: TestUser.Municipality(code)))
        {
            var current = await api.GetAsync($"/api/v1/municipalities/{code}");
            using var put = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/municipalities/{code}/systems/{businessId}") { Content = new StringContent("""{"phase":"in_production","designated":false}""", System.Text.Encoding.UTF8, "application/json") };
            put.Headers.TryAddWithoutValidation("If-Match", current.Headers.ETag!.Tag);
            Assert.True((await api.SendAsync(put)).IsSuccessStatusCode);
        }

        DateTimeOffset saved;
        await using (var context = await fixture.NewContextAsync("ja", user: TestUser.Municipality(code)))
        {
            var page = await context.NewPageAsync();
            await page.GotoAsync(Url($"/municipalities/{code}"));
            await page.Locator($"#edit-system-{businessId} > summary").ClickAsync();
            var form = page.Locator($"form[data-edit-form='system:{businessId}']");
            await form.Locator("select[name=phase]").SelectOptionAsync("testing");
            await form.Locator($"#sys-{businessId}-regressionReason").FillAsync("標準準拠システムの不具合のため切り戻し");
            var response = await page.RunAndWaitForResponseAsync(() => form.Locator("button[type=submit]").ClickAsync(), r => r.Request.Method == "POST");
            Assert.Equal(303, response.Status);
            saved = DateTimeOffset.UtcNow;
        }

        var (mail, at) = await fixture.Mailbox.WaitAsync(person, m => (m.Subject ?? string.Empty).Contains("千代田区", StringComparison.Ordinal) && (m.Subject ?? string.Empty).Contains("フェーズの後退", StringComparison.Ordinal), TimeSpan.FromMinutes(1));
        var latency = at - saved;
        output.WriteLine($"Delivery latency (phase moved back on the page → Japanese mail received by the SMTP server): {latency.TotalMilliseconds:F0} ms");
        Assert.True(latency < TimeSpan.FromMinutes(1));
        Assert.StartsWith("【Readiness】東京都千代田区 ", mail.Subject, StringComparison.Ordinal);
        Assert.Contains("に戻りました。理由：標準準拠システムの不具合のため切り戻し", mail.TextBody ?? string.Empty, StringComparison.Ordinal);
        Assert.Contains("unsubscribe?token=", mail.Headers["List-Unsubscribe"] ?? string.Empty, StringComparison.Ordinal);

        var (webhookId, body) = await receiver.WaitAsync(b => b.GetProperty("type").GetString() == "regression" && b.GetProperty("data").GetProperty("businessId").GetString() == businessId, TimeSpan.FromMinutes(1));
        output.WriteLine($"Webhook verified (Standard Webhooks signature) {(receiver.ArrivedAt(webhookId) - saved).TotalMilliseconds:F0} ms after the save: {webhookId}");
        Assert.Equal(code, body.GetProperty("data").GetProperty("municipalityCode").GetString());
        Assert.Equal("標準準拠システムの不具合のため切り戻し", body.GetProperty("data").GetProperty("reason").GetString());
        Assert.Equal(0, receiver.Rejected);
    }


    /// <summary>A webhook receiver on real Kestrel that verifies each request with the StandardWebhooks package.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication app;
        private readonly ConcurrentQueue<(string Id, string Body, DateTimeOffset At)> verified = new();
        private int rejected;

        public Receiver()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            app = builder.Build();
            app.MapPost("/hook", async (HttpContext http) =>
            {
                using var reader = new StreamReader(http.Request.Body);
                var body = await reader.ReadToEndAsync();
                try
                {
                    new StandardWebhook(Secret ?? throw new WebhookVerificationException("no secret")).Verify(body, http.Request.Headers);
                }
                catch (WebhookVerificationException)
                {
                    Interlocked.Increment(ref rejected);
                    return Results.StatusCode(401);
                }

                verified.Enqueue((http.Request.Headers["webhook-id"].ToString(), body, DateTimeOffset.UtcNow));
                return Results.NoContent();
            });
        }

        public string? Secret { get; set; }

        public Uri Url { get; private set; } = null!;

        public int Rejected => Volatile.Read(ref rejected);

        public async Task StartAsync()
        {
            await app.StartAsync();
            Url = new Uri(new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()), "/hook");
        }

        public DateTimeOffset ArrivedAt(string id) => verified.First(v => v.Id == id).At;

        public async Task<(string Id, JsonElement Body)> WaitAsync(Func<JsonElement, bool> match, TimeSpan timeout)
        {
            var waited = Stopwatch.StartNew();
            while (waited.Elapsed < timeout)
            {
                foreach (var (id, body, _) in verified)
                {
                    var json = JsonDocument.Parse(body).RootElement.Clone();
                    if (match(json))
                    {
                        return (id, json);
                    }
                }

                await Task.Delay(50);
            }

            throw new TimeoutException($"no matching webhook; rejected {Rejected}");
        }

        public async ValueTask DisposeAsync() => await app.DisposeAsync();
    }
}
