using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Deque.AxeCore.Playwright;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Readiness.Testing;
using Readiness.Notifications;
using Readiness.Web.Notifications;
using Xunit.Abstractions;

namespace Readiness.BrowserTests;

/// <summary>
/// A host on a fresh data folder (no account yet, no SMTP: invitation links are shown to the inviter), so the walk
/// below can take the first-run setup, enrol a second factor and use the administration pages as a real system
/// administrator would.
/// </summary>
public sealed class EveryPageFixture : DashboardFixture
{
    /// <summary>The walk's system administrator: set up once (in the first test that needs it), then signed in per language.</summary>
    public const string AdminEmail = "a11y.admin@digital.go.jp";

    public const string Password = "長い合言葉 accessible pages for everyone";

    public SemaphoreSlim SetupGate { get; } = new(1, 1);

    /// <summary>The administrator's authenticator key once set up.</summary>
    public string? AdminKey { get; set; }

    /// <summary>Violations found while setting up (the setup and enrolment pages, both languages), by language.</summary>
    public ConcurrentDictionary<string, List<string>> SetupFindings { get; } = new();
}

/// <summary>
/// WCAG 2.1 A/AA (JIS X 8341-3:2016) with axe-core on EVERY routable page of the app, in Japanese and English, signed in
/// and not, with the forms in their error states: first-run setup, second-factor enrolment and sign-in, the account
/// page, the administration pages (accounts, API clients, notifications), invitations (valid and invalid), the
/// notification pages, the planning pages and the 404 page. <see cref="Coverage"/> names where each page is checked;
/// <see cref="Every_routable_page_of_the_app_has_an_axe_check"/> reads the app's routes (its <c>@page</c> directives)
/// and fails when a page has none, so a new page cannot ship unchecked.
/// </summary>
public sealed class EveryPageAccessibilityTests(EveryPageFixture fixture, ITestOutputHelper output) : IClassFixture<EveryPageFixture>
{
    private const string Here = nameof(EveryPageAccessibilityTests);

    /// <summary>
    /// Every page template and the test class that runs axe on it (both languages). Pages other work adds
    /// (/imports, /reconciliation, /planning/vendors) are listed: the walk checks them when the app has them.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Coverage { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["/"] = nameof(AccessibilityTests),
        ["/prefectures/{Code}"] = nameof(AccessibilityTests),
        ["/municipalities/{Code}"] = nameof(AccessibilityTests),
        ["/municipalities/{Code}/history"] = nameof(AccessibilityTests), // its first page and a refused cursor
        ["/prefectures/{PrefCode}/changes"] = nameof(AccessibilityTests), // the prefecture's and national staff's
        ["/prefectures/{PrefCode}/systems/history"] = nameof(AccessibilityTests), // the prefecture's own systems' history, and a refused cursor
        ["/changes"] = nameof(AccessibilityTests), // its first page and a refused cursor
        ["/planning"] = nameof(AccessibilityTests),
        ["/signin"] = Here, // also AccessibilityTests (the token form and its error)
        ["/signin/mfa"] = Here,
        ["/setup"] = Here,
        ["/invitation"] = Here,
        ["/password/forgot"] = Here,
        ["/password/reset"] = Here,
        ["/account"] = Here,
        ["/account/mfa"] = Here,
        ["/account/password"] = Here,
        ["/admin/users"] = Here,
        ["/admin/clients"] = Here,
        ["/admin/notifications"] = Here,
        ["/notifications"] = Here,
        ["/notifications/unsubscribe"] = Here,
        ["/planning/prefectures/{Code}"] = Here,
        ["/planning/municipalities/{Code}"] = Here,
        ["/planning/scenarios"] = Here,
        ["/not-found"] = Here,
        ["/imports"] = Here,
        ["/reconciliation"] = Here,
        ["/planning/vendors"] = Here,
        ["/imports/{Id}"] = nameof(ImportPageTests), // the preview, a refusal and the applied page
        ["/planning/vendors/{Code}"] = nameof(PlanningBrowserTests),
    };

    public static IEnumerable<object[]> Languages => [["ja"], ["en"]];

    /// <summary>The page templates of the app: every routable Razor component's <c>@page</c> directive.</summary>
    public static IReadOnlyList<string> AppRoutes() => typeof(Program).Assembly.GetTypes()
        .Where(t => typeof(IComponent).IsAssignableFrom(t))
        .SelectMany(t => t.GetCustomAttributes<RouteAttribute>())
        .Select(r => r.Template)
        .Distinct(StringComparer.Ordinal)
        .Order(StringComparer.Ordinal)
        .ToList();

    private string Url(string path) => new Uri(fixture.BaseAddress, path).ToString();

    [Fact]
    public void Every_routable_page_of_the_app_has_an_axe_check()
    {
        var routes = AppRoutes();
        output.WriteLine($"{routes.Count} page templates: {string.Join(", ", routes)}");
        Assert.True(routes.Count >= 19, "the app's pages are found by their @page directives");
        var unchecked_ = routes.Where(r => !Coverage.ContainsKey(r)).ToList();
        Assert.True(unchecked_.Count == 0, $"pages without an axe check (add them to {Here}.Coverage and its walk): {string.Join(", ", unchecked_)}");
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task Every_page_signed_in_and_not_with_forms_and_their_errors_has_no_violations(string language)
    {
        var found = new List<string>();
        var checkedRoutes = new HashSet<string>(StringComparer.Ordinal);
        var routes = AppRoutes().ToHashSet(StringComparer.Ordinal);
        async Task Check(IPage page, string route, string name)
        {
            checkedRoutes.Add(route);
            await page.AxeCheckAsync($"{language} {name}", found, output);
        }

        // ---- Not signed in
        await using (var anonymous = await fixture.NewAnonymousContextAsync(language))
        {
            var page = await PageAsync(anonymous);
            await GoAsync(page, "/signin");
            await Check(page, "/signin", "signed out: /signin");
            await page.Locator("#email").FillAsync(EveryPageFixture.AdminEmail);
            await page.Locator("#password").FillAsync("not the password at all");
            await page.Locator("#password").PressAsync("Enter");
            await page.WaitForUrlAsync("**/signin?*");
            await Check(page, "/signin", "signed out: /signin after a wrong password");

            await GoAsync(page, "/not-found");
            await Check(page, "/not-found", "signed out: /not-found");
            await GoAsync(page, "/no-such-page-at-all");
            await Check(page, "/not-found", "signed out: an unknown address (404)");

            await GoAsync(page, "/setup?token=not-a-setup-token");
            await Check(page, "/setup", "signed out: /setup with an invalid token");
            await GoAsync(page, "/invitation?token=not-an-invitation");
            await Check(page, "/invitation", "signed out: /invitation with an invalid token");
            await GoAsync(page, "/password/forgot");
            await Check(page, "/password/forgot", "signed out: /password/forgot");
            await GoAsync(page, "/password/reset?user=not-a-user&token=not-a-reset-token");
            await Check(page, "/password/reset", "signed out: /password/reset with an invalid link");

            await GoAsync(page, "/notifications/unsubscribe?token=not-a-token");
            await Check(page, "/notifications/unsubscribe", "signed out: unsubscribe with an invalid link");
            var token = UnsubscribeTokens.Create(await fixture.Host.Services.GetRequiredService<NotificationStore>().UnsubscribeKeyAsync(), "staff@city-131016.lg.jp", NotificationKind.Overdue);
            await GoAsync(page, "/notifications/unsubscribe?token=" + Uri.EscapeDataString(token));
            await Check(page, "/notifications/unsubscribe", "signed out: unsubscribe with a valid link");
            await GoAsync(page, "/notifications/unsubscribe?done=1&token=" + Uri.EscapeDataString(token));
            await Check(page, "/notifications/unsubscribe", "signed out: unsubscribe done");
        }

        // ---- The system administrator (a real account: first-run setup, TOTP), on every administration page.
        await EnsureAdministratorAsync();
        found.AddRange(fixture.SetupFindings.GetValueOrDefault(language) ?? []);
        checkedRoutes.UnionWith(["/setup", "/account/mfa"]);
        await using (var adminContext = await fixture.NewAnonymousContextAsync(language))
        {
            var admin = await PageAsync(adminContext);
            await GoAsync(admin, "/signin?returnUrl=%2Faccount");
            await admin.Locator("#email").FillAsync(EveryPageFixture.AdminEmail);
            await admin.Locator("#password").FillAsync(EveryPageFixture.Password);
            await admin.Locator("#password").PressAsync("Enter");
            await admin.WaitForUrlAsync("**/signin/mfa**");
            await Check(admin, "/signin/mfa", "password accepted: /signin/mfa");
            await admin.Locator("#code").FillAsync("000000" == Totp(fixture.AdminKey!) ? "111111" : "000000");
            await admin.Locator("#code").PressAsync("Enter");
            await admin.WaitForUrlAsync("**/signin/mfa?*error*");
            await Check(admin, "/signin/mfa", "/signin/mfa after a wrong code");
            await SecondFactorAsync(admin);
            await admin.WaitForUrlAsync("**/account");

            await Check(admin, "/account", "administrator: /account");
            await admin.Locator("form[action='/account/recovery-codes'] button[type=submit]").ClickAsync();
            await Assertions.Expect(admin.Locator("[data-recovery-codes] li")).ToHaveCountAsync(10);
            await Check(admin, "/account", "administrator: new recovery codes");
            await GoAsync(admin, "/account/mfa");
            await Check(admin, "/account/mfa", "administrator: /account/mfa (enrolled)");
            // The own password change: the page, and refused with every field's fault (no current password: a wrong one
            // would count toward the lockout of the account the walk goes on with).
            await GoAsync(admin, "/account/password");
            await Check(admin, "/account/password", "administrator: /account/password");
            await admin.Locator("#password").FillAsync("short");
            await admin.Locator("#confirm").FillAsync("other");
            await SubmitWithoutBrowserChecksAsync(admin, "form[data-form=change-password]");
            await admin.Locator("[data-field-error]").First.WaitForAsync(); // 422: the form again, each field's fault beside it
            await Check(admin, "/account/password", "administrator: /account/password refused (field errors)");

            // Accounts: the page, the invitation form refused (a tenant that does not fit the role), an invitation sent.
            await GoAsync(admin, "/admin/users");
            await Check(admin, "/admin/users", "administrator: /admin/users");
            await admin.Locator("#invite-email").FillAsync($"pref.{language}@pref.example.lg.jp");
            await admin.Locator("#invite-role").SelectOptionAsync("prefecture_administrator");
            await admin.Locator("#invite-tenant").FillAsync("99");
            await SubmitWithoutBrowserChecksAsync(admin, "form[data-form=invite]");
            await admin.Locator("[data-field-error]").First.WaitForAsync(); // 422: the form again, each field's fault beside it
            await Check(admin, "/admin/users", "administrator: invitation refused (field error)");
            await admin.Locator("#invite-email").FillAsync($"pref.{language}@pref.example.lg.jp");
            await admin.Locator("#invite-role").SelectOptionAsync("prefecture_administrator");
            await admin.Locator("#invite-tenant").FillAsync("13");
            await admin.NavigateAsync(() => admin.Locator("form[data-form=invite] button[type=submit]").ClickAsync());
            var link = Regex.Match(await admin.ContentAsync(), @"http[^""<\s]+/invitation\?token=[A-Za-z0-9_-]+");
            Assert.True(link.Success, "the invitation link is shown when SMTP is off");
            await Check(admin, "/admin/users", "administrator: invitation sent (link shown)");
            await GoAsync(admin, "/admin/users");
            await Check(admin, "/admin/users", "administrator: /admin/users with an open invitation and the log");

            // The invited person's page, and its error state (passwords that differ).
            await using (var invited = await fixture.NewAnonymousContextAsync(language))
            {
                var page = await PageAsync(invited);
                await page.GotoAsync(new Uri(fixture.BaseAddress, new Uri(link.Value).PathAndQuery).ToString());
                await Check(page, "/invitation", "signed out: /invitation with a valid token");
                await page.Locator("#displayName").FillAsync("招待 花子");
                await page.Locator("#password").FillAsync(EveryPageFixture.Password);
                await page.Locator("#confirm").FillAsync(EveryPageFixture.Password + " but different");
                await SubmitWithoutBrowserChecksAsync(page, "form[data-form=invitation]");
                await page.Locator("[data-field-error]").First.WaitForAsync();
                await Check(page, "/invitation", "signed out: /invitation refused (passwords differ)");
            }

            // API clients: the page, a refused form, a created client (its secret shown once).
            await GoAsync(admin, "/admin/clients");
            await Check(admin, "/admin/clients", "administrator: /admin/clients");
            await admin.Locator("#client-name").FillAsync($"a11y {language}");
            await admin.Locator("#client-tenant").FillAsync("13");
            await admin.Locator("#client-expires").FillAsync("2000-01-01");
            await SubmitWithoutBrowserChecksAsync(admin, "form[data-form=new-client]");
            await admin.Locator("[data-field-error]").First.WaitForAsync();
            await Check(admin, "/admin/clients", "administrator: API client refused");
            await admin.Locator("#client-name").FillAsync($"a11y {language}");
            await admin.Locator("#client-tenant").FillAsync("13");
            await admin.Locator("#client-expires").FillAsync(DateTime.UtcNow.AddDays(30).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            var created = await admin.NavigateAsync(() => admin.Locator("form[data-form=new-client] button[type=submit]").ClickAsync());
            Assert.True(created.Status < 400, $"creating a client answered {created.Status}");
            await Check(admin, "/admin/clients", "administrator: API client created (secret shown)");
            await GoAsync(admin, "/admin/clients");
            await Check(admin, "/admin/clients", "administrator: /admin/clients with a client");

            await GoAsync(admin, "/admin/notifications");
            await Check(admin, "/admin/notifications", "administrator: /admin/notifications");
            await GoAsync(admin, "/notifications");
            await Check(admin, "/notifications", "administrator: /notifications");
            await GoAsync(admin, "/no-such-page-at-all");
            await Check(admin, "/not-found", "administrator: an unknown address (404)");
        }

        // ---- National staff (token): notifications, planning and scenarios (with a refused form), and the pages other work adds.
        await using (var national = await fixture.NewContextAsync(language, user: TestUser.National))
        {
            var page = await PageAsync(national);
            await GoAsync(page, "/notifications");
            await Check(page, "/notifications", "national: /notifications");
            // A frequency no option offers (as a tampered form sends it): 422, the form again with the fault beside its field.
            await page.EvaluateAsync("() => { document.querySelector('form[data-form=preferences] select option:checked').value = 'hourly'; }");
            await SubmitWithoutBrowserChecksAsync(page, "form[data-form=preferences]");
            await page.Locator("[data-field-error]").First.WaitForAsync();
            await Check(page, "/notifications", "national: /notifications refused (its errors beside their fields)");
            await GoAsync(page, "/planning/prefectures/13");
            await Check(page, "/planning/prefectures/{Code}", "national: /planning/prefectures/13");
            await GoAsync(page, "/planning/municipalities/131016");
            await Check(page, "/planning/municipalities/{Code}", "national: /planning/municipalities/131016");
            await GoAsync(page, "/planning/scenarios");
            await Check(page, "/planning/scenarios", "national: /planning/scenarios");
            var refused = await page.NavigateAsync(() => page.Locator("form[action='/planning/scenarios'] button[type=submit]").ClickAsync());
            Assert.True(refused.Status is 400 or 422, $"an empty scenario answered {refused.Status}");
            await Check(page, "/planning/scenarios", "national: /planning/scenarios refused (no name)");
            foreach (var added in new[] { "/imports", "/reconciliation", "/planning/vendors" }.Where(routes.Contains))
            {
                await GoAsync(page, added);
                await Check(page, added, $"national: {added}");
            }
        }

        // ---- Municipal staff (token): their planning page and the pages any signed-in person opens.
        await using (var municipal = await fixture.NewContextAsync(language, user: TestUser.Municipality("131016")))
        {
            var page = await PageAsync(municipal);
            await GoAsync(page, "/planning/municipalities/131016");
            await Check(page, "/planning/municipalities/{Code}", "municipality 131016: /planning/municipalities/131016");
            await GoAsync(page, "/planning/municipalities/271004");
            await Check(page, "/planning/municipalities/{Code}", "municipality 131016: another municipality's plan (403)");
            await GoAsync(page, "/notifications");
            await Check(page, "/notifications", "municipality 131016: /notifications");
        }

        // Every page this class owns that the app has was checked in this language.
        var missed = Coverage.Where(c => c.Value == Here && routes.Contains(c.Key) && !checkedRoutes.Contains(c.Key)).Select(c => c.Key).ToList();
        Assert.True(missed.Count == 0, $"{language}: pages in the coverage list that the walk did not check: {string.Join(", ", missed)}");
        output.WriteLine($"{language}: {checkedRoutes.Count} page templates checked here, {found.Count} violations");
        Assert.True(found.Count == 0, string.Join('\n', found));
    }

    /// <summary>
    /// First-run setup in the browser, once for the class: the setup form (and its error state) and the enrolment page
    /// are checked in both languages (the token is single-use, so both languages see the same setup), then the
    /// administrator enrols an authenticator app and keeps the recovery codes.
    /// </summary>
    private async Task EnsureAdministratorAsync()
    {
        await fixture.SetupGate.WaitAsync();
        try
        {
            if (fixture.AdminKey is not null)
            {
                return;
            }

            var link = await SetupLinkAsync();
            await using var context = await fixture.NewAnonymousContextAsync("ja");
            var page = await PageAsync(context);
            foreach (var language in new[] { "ja", "en" })
            {
                await SetLanguageAsync(context, language);
                var found = fixture.SetupFindings.GetOrAdd(language, _ => []);
                await page.GotoAsync(link);
                await page.AxeCheckAsync($"{language} first run: /setup with a valid token", found, output);
                await page.Locator("#email").FillAsync(EveryPageFixture.AdminEmail);
                await page.Locator("#displayName").FillAsync("アクセシビリティ 太郎");
                await page.Locator("#password").FillAsync("short");
                await page.Locator("#confirm").FillAsync("short");
                await SubmitWithoutBrowserChecksAsync(page, "form[data-form=setup]");
                await page.Locator("[data-field-error]").First.WaitForAsync();
                await page.AxeCheckAsync($"{language} first run: /setup refused (password too short)", found, output);
            }

            await SetLanguageAsync(context, "ja");
            await page.GotoAsync(link);
            await page.Locator("#email").FillAsync(EveryPageFixture.AdminEmail);
            await page.Locator("#displayName").FillAsync("アクセシビリティ 太郎");
            await page.Locator("#password").FillAsync(EveryPageFixture.Password);
            await page.Locator("#confirm").FillAsync(EveryPageFixture.Password);
            await page.Locator("form[data-form=setup] button[type=submit]").ClickAsync();
            await page.WaitForUrlAsync("**/account/mfa**");
            var key = (await page.GetAttributeAsync("[data-authenticator-key]", "data-authenticator-key"))!;
            foreach (var language in new[] { "en", "ja" })
            {
                var found = fixture.SetupFindings.GetOrAdd(language, _ => []);
                await SetLanguageAsync(context, language);
                await page.ReloadAsync();
                await page.AxeCheckAsync($"{language} first run: /account/mfa (enrolment: key, otpauth URI)", found, output);
                await page.Locator("#code").FillAsync("000000" == Totp(key) ? "111111" : "000000");
                await page.Locator("form[data-form=mfa-enrol] button[type=submit]").ClickAsync();
                await page.WaitForUrlAsync("**/account/mfa?*error*");
                await page.AxeCheckAsync($"{language} first run: /account/mfa refused (wrong code)", found, output);
            }

            // Enrol (ja is current); the recovery codes page then shows, checked in ja (en: from /account in the walk).
            await page.Locator("#code").FillAsync(Totp(key));
            await page.Locator("form[data-form=mfa-enrol] button[type=submit]").ClickAsync();
            await Assertions.Expect(page.Locator("[data-recovery-codes] li")).ToHaveCountAsync(10);
            await page.AxeCheckAsync("ja first run: recovery codes", fixture.SetupFindings["ja"], output);
            fixture.AdminKey = key;
        }
        finally
        {
            fixture.SetupGate.Release();
        }
    }

    /// <summary>Types the current TOTP code; a code just used (same 30 s step) may be refused as a replay, so waits for the next step once.</summary>
    private async Task SecondFactorAsync(IPage page)
    {
        for (var attempt = 0; attempt < 2; attempt++)
        {
            await page.Locator("#code").FillAsync(Totp(fixture.AdminKey!));
            await page.Locator("#code").PressAsync("Enter");
            try
            {
                await page.WaitForUrlAsync(u => !u.Contains("/signin/mfa", StringComparison.Ordinal), 10_000);
                return;
            }
            catch (TimeoutException)
            {
                await Task.Delay(TimeSpan.FromSeconds(31 - (DateTimeOffset.UtcNow.ToUnixTimeSeconds() % 30)));
            }
        }

        throw new Xunit.Sdk.XunitException("the second factor was refused twice");
    }

    private async Task SetLanguageAsync(IBrowserContext context, string language)
    {
        await context.ClearCookiesAsync(new BrowserContextClearCookiesOptions { Name = DashboardFixture.LanguageCookie });
        if (language == "en")
        {
            await context.AddCookiesAsync([new Cookie { Name = DashboardFixture.LanguageCookie, Value = "en", Url = fixture.BaseAddress.ToString() }]);
        }
    }

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

    /// <summary>Submits the form as a browser without constraint validation would (the server's error state is what is checked).</summary>
    private static async Task SubmitWithoutBrowserChecksAsync(IPage page, string form)
    {
        await page.Locator(form).EvaluateAsync("f => f.noValidate = true");
        await page.Locator(form + " button[type=submit]").ClickAsync();
    }

    /// <summary>A page with room for a loaded shared machine (the planning pages compute forecasts on first view).</summary>
    private static async Task<IPage> PageAsync(IBrowserContext context)
    {
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(120_000);
        page.SetDefaultNavigationTimeout(120_000);
        return page;
    }

    private async Task GoAsync(IPage page, string path) => await page.GotoAsync(Url(path));

    private static string Totp(string key) => AuthenticatorCodes.Next(key);


}
