using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using MimeKit;
using Readiness.Grains;
using Readiness.Testing;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;
using Xunit.Abstractions;

namespace Readiness.BrowserTests;

/// <summary>
/// A host on a fresh data folder (no account yet) that mails invitations to a real SMTP server (the SmtpServer
/// package) started here on a free port.
/// </summary>
public sealed class IdentityDashboardFixture : DashboardFixture, IDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly int smtpPort = TestPorts.Free();

    public IdentityDashboardFixture()
    {
        var options = new SmtpServerOptionsBuilder().ServerName("localhost").Endpoint(e => e.Endpoint(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, smtpPort))).Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(Mailbox);
        Running = new SmtpServer.SmtpServer(options, services).StartAsync(stop.Token);
    }

    public Mailbox Mailbox { get; } = new();

    public Task Running { get; }

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Readiness:Smtp:Host"] = "127.0.0.1",
        ["Readiness:Smtp:Port"] = smtpPort.ToString(CultureInfo.InvariantCulture),
        ["Readiness:Smtp:Security"] = "None",
        ["Readiness:Smtp:From"] = "readiness@test.local",
    };

    public void Dispose()
    {
        stop.Cancel();
        stop.Dispose();
    }
}

/// <summary>Every message the SMTP server accepted, parsed with MimeKit.</summary>
public sealed class Mailbox : MessageStore
{
    private readonly ConcurrentQueue<MimeMessage> messages = new();

    public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
    {
        await using var stream = new MemoryStream(buffer.ToArray());
        messages.Enqueue(await MimeMessage.LoadAsync(stream, cancellationToken));
        return SmtpResponse.Ok;
    }

    /// <summary>Waits for the invitation mailed to the address and returns its link.</summary>
    public async Task<string> InvitationLinkAsync(string to)
    {
        for (var i = 0; i < 300; i++)
        {
            var message = messages.FirstOrDefault(m => m.To.Mailboxes.Any(b => b.Address == to));
            if (message is not null)
            {
                var link = Regex.Match(message.TextBody ?? string.Empty, @"http\S+/invitation\?token=[A-Za-z0-9_-]+");
                Assert.True(link.Success, "the invitation mail has no link: " + message.TextBody);
                return link.Value;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"No mail to {to} arrived.");
    }
}

/// <summary>
/// The issue's walk in Chromium: first-run setup → the administrator invites a prefecture administrator → the mail
/// arrives at a real SMTP server → password + TOTP → a municipality administrator → a reporter, who signs in with
/// password + TOTP and reports a change that the history shows under their name, then registers a passkey, signs in
/// with it and reports again; once removed, the passkey no longer signs in.
/// </summary>
public sealed class IdentityFlowTests(IdentityDashboardFixture fixture, ITestOutputHelper output) : IClassFixture<IdentityDashboardFixture>
{
    private const string Password = "長い合言葉 correct horse battery";
    private const string Chiyoda = "131016";

    private string Url(string path) => new Uri(fixture.BaseAddress, path).ToString();

    [Fact]
    public async Task First_run_setup_then_invitations_down_to_a_reporter_who_signs_in_with_TOTP_and_reports()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();

        // 1. The sign-in page points at the console; the console (log) has the one-time setup link.
        await using var adminContext = await fixture.NewAnonymousContextAsync();
        var admin = await adminContext.NewPageAsync();
        var watch = PageWatch.Attach(admin, fixture.BaseAddress);
        await admin.GotoAsync(Url("/signin"));
        await Assertions.Expect(admin.Locator("[data-first-run]")).ToContainTextAsync("コンソール");
        var setupLink = await SetupLinkAsync();
        await admin.GotoAsync(setupLink);
        await admin.GetByLabel("メールアドレス").FillAsync("admin@digital.go.jp");
        await admin.GetByLabel("氏名").FillAsync("デジタル 太郎");
        await admin.Locator("#password").FillAsync(Password);
        await admin.Locator("#confirm").FillAsync(Password);
        await admin.Locator("form[data-form=setup] button[type=submit]").ClickAsync();
        await admin.WaitForUrlAsync("**/account/mfa**");
        var adminKey = await EnrolAsync(admin);
        await admin.WaitForUrlAsync("**/admin/users");

        // 2. The administrator invites a prefecture administrator (Tokyo); the mail arrives at the SMTP server.
        await InviteAsync(admin, "pref.admin@metro.tokyo.lg.jp", "prefecture_administrator", "13");
        var prefLink = await fixture.Mailbox.InvitationLinkAsync("pref.admin@metro.tokyo.lg.jp");

        // 3. Accept with password + TOTP; then invite a municipality administrator (Chiyoda).
        await using var prefContext = await fixture.NewAnonymousContextAsync();
        var pref = await AcceptAsync(prefContext, prefLink, "東京 花子");
        await pref.GotoAsync(Url("/admin/users"));
        await InviteAsync(pref, "admin@city.chiyoda.lg.jp", "municipality_administrator", Chiyoda);
        var muniLink = await fixture.Mailbox.InvitationLinkAsync("admin@city.chiyoda.lg.jp");

        // 4. The municipality administrator accepts and invites a reporter.
        await using var muniContext = await fixture.NewAnonymousContextAsync();
        var muni = await AcceptAsync(muniContext, muniLink, "千代田 一郎");
        await muni.GotoAsync(Url("/admin/users"));
        await InviteAsync(muni, "reporter@city.chiyoda.lg.jp", "municipality_reporter", Chiyoda);
        var reporterLink = await fixture.Mailbox.InvitationLinkAsync("reporter@city.chiyoda.lg.jp");

        // 5. The reporter accepts (password + TOTP), signs out, and signs in again with password + TOTP, by keyboard.
        await using var reporterContext = await fixture.NewAnonymousContextAsync();
        var reporter = await AcceptAsync(reporterContext, reporterLink, "報告 次郎");
        var reporterKey = lastKey;
        await reporter.Locator(".signout-form button").ClickAsync();
        await reporter.GotoAsync(Url($"/municipalities/{Chiyoda}"));
        Assert.Equal("/signin", new Uri(reporter.Url).AbsolutePath);
        await reporter.Locator("#email").FillAsync("reporter@city.chiyoda.lg.jp");
        await reporter.Locator("#password").FillAsync(Password);
        await reporter.Keyboard.PressAsync("Enter");
        await reporter.WaitForUrlAsync("**/signin/mfa**");
        Assert.Equal("code", await reporter.EvaluateAsync<string>("() => document.activeElement.id"));
        await reporter.Keyboard.TypeAsync(Totp(reporterKey));
        await reporter.Keyboard.PressAsync("Enter");
        await reporter.WaitForUrlAsync($"**/municipalities/{Chiyoda}");
        await Assertions.Expect(reporter.Locator("[data-signed-in]")).ToContainTextAsync("reporter@city.chiyoda.lg.jp");

        // 6. The reporter reports a change; the history shows it under their name.
        var (businessId, phase) = await FindSystemAsync();
        await reporter.Locator($"#edit-system-{businessId} > summary").ClickAsync();
        var form = reporter.Locator($"form[data-edit-form='system:{businessId}']");
        await form.GetByLabel("移行フェーズ").SelectOptionAsync(phase);
        await form.GetByLabel("稼働環境").SelectOptionAsync("government_cloud");
        await form.GetByLabel("ベンダ（アプリ提供事業者）").FillAsync("株式会社アカウント試験");
        await form.GetByLabel("本番稼働予定日").FillAsync("2026-10-01");
        var response = await reporter.RunAndWaitForResponseAsync(() => form.Locator("button[type=submit]").ClickAsync(), r => r.Request.Method == "POST");
        Assert.Equal(303, response.Status);
        await reporter.WaitForUrlAsync($"**/municipalities/{Chiyoda}?saved=*");
        var latest = await reporter.Locator(".history-table tbody tr").First.InnerTextAsync();
        Assert.Contains("株式会社アカウント試験", latest, StringComparison.Ordinal);
        Assert.Contains("reporter@city.chiyoda.lg.jp", latest, StringComparison.Ordinal);
        var history = await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/v1/municipalities/{Chiyoda}/history?limit=1");
        Assert.Equal("reporter@city.chiyoda.lg.jp", history.GetProperty("items")[0].GetProperty("subject").GetString());

        // 7. The reporter registers a passkey (Chromium's virtual authenticator over CDP) on their account page, signs
        //    out, signs in with the passkey alone, and reports again; the history shows it under their name. WebAuthn
        //    needs a domain (not an IP address) for its relying party id: this browser uses localhost.
        await using var deviceContext = await fixture.NewAnonymousContextAsync();
        var device = await deviceContext.NewPageAsync();
        var cdp = await deviceContext.NewCDPSessionAsync(device);
        await cdp.SendAsync("WebAuthn.enable");
        await cdp.SendAsync("WebAuthn.addVirtualAuthenticator", new Dictionary<string, object>
        {
            ["options"] = new Dictionary<string, object>
            {
                ["protocol"] = "ctap2", ["transport"] = "internal", ["hasResidentKey"] = true,
                ["hasUserVerification"] = true, ["isUserVerified"] = true, ["automaticPresenceSimulation"] = true,
            },
        });
        var local = new UriBuilder(fixture.BaseAddress) { Host = "localhost" }.Uri;
        string Local(string path) => new Uri(local, path).ToString();
        await device.GotoAsync(Local("/signin?returnUrl=%2Faccount"));
        await device.Locator("#email").FillAsync("reporter@city.chiyoda.lg.jp");
        await device.Locator("#password").FillAsync(Password);
        await device.Keyboard.PressAsync("Enter");
        await device.WaitForUrlAsync("**/signin/mfa**");
        await device.Locator("#code").FillAsync(Totp(reporterKey));
        await device.Keyboard.PressAsync("Enter");
        await device.WaitForUrlAsync("**/account");
        await Assertions.Expect(device.Locator("[data-passkeys]")).ToHaveAttributeAsync("data-passkeys", "0");
        await device.Locator("#passkey-name").FillAsync("庁舎のPC");
        await device.Locator("#passkey-name").PressAsync("Enter"); // keyboard: the name field submits the registration
        await device.WaitForUrlAsync("**/account?done=passkey_added");
        await Assertions.Expect(device.Locator("[data-passkey-id]")).ToHaveCountAsync(1);
        await Assertions.Expect(device.Locator("[data-passkey-id] td").First).ToHaveTextAsync("庁舎のPC");
        await device.Locator(".signout-form button").ClickAsync();

        var passkeyClock = System.Diagnostics.Stopwatch.StartNew();
        await device.GotoAsync(Local($"/municipalities/{Chiyoda}"));
        Assert.Equal("/signin", new Uri(device.Url).AbsolutePath);
        await device.Locator("form[data-form=passkey-signin] button").FocusAsync();
        await device.Keyboard.PressAsync("Enter");
        await device.WaitForUrlAsync($"**/municipalities/{Chiyoda}");
        output.WriteLine($"passkey sign-in (sign-in page → municipality page): {passkeyClock.ElapsedMilliseconds} ms");
        await Assertions.Expect(device.Locator("[data-signed-in]")).ToContainTextAsync("reporter@city.chiyoda.lg.jp");

        var (secondId, secondPhase) = await FindSystemAsync();
        await device.Locator($"#edit-system-{secondId} > summary").ClickAsync();
        var passkeyForm = device.Locator($"form[data-edit-form='system:{secondId}']");
        await passkeyForm.GetByLabel("移行フェーズ").SelectOptionAsync(secondPhase);
        await passkeyForm.GetByLabel("稼働環境").SelectOptionAsync("government_cloud");
        await passkeyForm.GetByLabel("ベンダ（アプリ提供事業者）").FillAsync("株式会社パスキー試験");
        await passkeyForm.GetByLabel("本番稼働予定日").FillAsync("2026-11-01");
        var passkeyWrite = await device.RunAndWaitForResponseAsync(() => passkeyForm.Locator("button[type=submit]").ClickAsync(), r => r.Request.Method == "POST");
        Assert.Equal(303, passkeyWrite.Status);
        await device.WaitForUrlAsync($"**/municipalities/{Chiyoda}?saved=*");
        var passkeyLatest = await device.Locator(".history-table tbody tr").First.InnerTextAsync();
        Assert.Contains("株式会社パスキー試験", passkeyLatest, StringComparison.Ordinal);
        Assert.Contains("reporter@city.chiyoda.lg.jp", passkeyLatest, StringComparison.Ordinal);
        var passkeyHistory = await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/v1/municipalities/{Chiyoda}/history?limit=1");
        Assert.Equal("reporter@city.chiyoda.lg.jp", passkeyHistory.GetProperty("items")[0].GetProperty("subject").GetString());

        // The account page lists this session as a passkey sign-in.
        await device.GotoAsync(Local("/account"));
        await Assertions.Expect(device.Locator("[data-session=current]")).ToContainTextAsync("passkey");

        // 8. Removed, the passkey no longer signs in (the authenticator still offers it; the server refuses it).
        await device.Locator("[data-passkey-remove]").ClickAsync();
        await device.WaitForUrlAsync("**/account?done=passkey_removed");
        await Assertions.Expect(device.Locator("[data-passkey-id]")).ToHaveCountAsync(0);
        await device.Locator(".signout-form button").ClickAsync();
        await device.GotoAsync(Local("/signin"));
        await device.Locator("form[data-form=passkey-signin] button").ClickAsync();
        await device.WaitForUrlAsync("**/signin?error=passkey_failed**");
        await Assertions.Expect(device.Locator("[data-error=passkey_failed]")).ToBeVisibleAsync();
        await device.GotoAsync(Local($"/municipalities/{Chiyoda}"));
        Assert.Equal("/signin", new Uri(device.Url).AbsolutePath);

        // 7. The administrator sees everyone, with MFA on, and the log of what was done.
        await admin.GotoAsync(Url("/admin/users"));
        foreach (var email in new[] { "pref.admin@metro.tokyo.lg.jp", "admin@city.chiyoda.lg.jp", "reporter@city.chiyoda.lg.jp" })
        {
            Assert.Equal("on", await admin.Locator($"tr[data-user='{email}'] td[data-mfa]").GetAttributeAsync("data-mfa"));
        }

        Assert.True(await admin.Locator("[data-log-action=invite]").CountAsync() >= 1);
        await admin.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(DashboardFixture.ScreenshotFolder, "admin-users.png"), FullPage = true });
        Assert.False(string.IsNullOrEmpty(adminKey));
        output.WriteLine($"setup → 3 invitations by mail → reporter's report: {started.ElapsedMilliseconds} ms");
        watch.AssertClean();
    }

    private string lastKey = string.Empty;

    private async Task<string> SetupLinkAsync()
    {
        for (var i = 0; i < 300; i++)
        {
            var line = fixture.Host.SetupLog.FirstOrDefault(l => l.Contains("/setup?token=", StringComparison.Ordinal));
            if (line is not null)
            {
                return Regex.Match(line, @"http\S+/setup\?token=\S+").Value;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("No setup link was announced.");
    }

    /// <summary>On /account/mfa: reads the key (shown as text with the otpauth URI), types a code, keeps the recovery codes page, continues.</summary>
    private async Task<string> EnrolAsync(IPage page)
    {
        await Assertions.Expect(page.Locator("[data-otpauth-uri]")).ToContainTextAsync("otpauth://totp/");
        var key = (await page.GetAttributeAsync("[data-authenticator-key]", "data-authenticator-key"))!;
        await page.Locator("#code").FillAsync(Totp(key));
        await page.Locator("form[data-form=mfa-enrol] button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-recovery-codes] li")).ToHaveCountAsync(10);
        await page.Locator("[data-continue]").ClickAsync();
        lastKey = key;
        return key;
    }

    private async Task InviteAsync(IPage page, string email, string role, string tenant)
    {
        await page.Locator("#invite-email").FillAsync(email);
        await page.Locator("#invite-role").SelectOptionAsync(role);
        await page.Locator("#invite-tenant").FillAsync(tenant);
        await page.Locator("form[data-form=invite] button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-mailed]")).ToBeVisibleAsync();
    }

    private async Task<IPage> AcceptAsync(IBrowserContext context, string link, string name)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync(link);
        await page.GetByLabel("氏名").FillAsync(name);
        await page.Locator("#password").FillAsync(Password);
        await page.Locator("#confirm").FillAsync(Password);
        await page.Locator("form[data-form=invitation] button[type=submit]").ClickAsync();
        await page.WaitForUrlAsync("**/account/mfa**");
        await EnrolAsync(page);
        return page;
    }

    /// <summary>
    /// A system of Chiyoda the reporter can report as in production (applicable, not designated), with the phase to
    /// choose: in production, or the phase it already has when it is further on (decommissioned legacy). The baseline
    /// has most of Chiyoda's systems migrated, so the report changes the vendor in every case.
    /// </summary>
    private async Task<(string BusinessId, string Phase)> FindSystemAsync()
    {
        var record = await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/v1/municipalities/{Chiyoda}");
        foreach (var s in record.GetProperty("systems").EnumerateArray())
        {
            var phase = s.GetProperty("phase").GetString();
            if (!s.GetProperty("notApplicable").GetBoolean() && !s.GetProperty("designated").GetBoolean())
            {
                return (s.GetProperty("businessId").GetString()!, phase == "legacy_decommissioned" ? phase : "in_production");
            }
        }

        throw new InvalidOperationException("Chiyoda has no applicable system without a designation.");
    }

    private static string Totp(string key) => AuthenticatorCodes.Next(key);

}
