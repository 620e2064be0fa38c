using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Readiness.Grains;
using Xunit.Abstractions;

namespace Readiness.BrowserTests;

/// <summary>Municipal staff report through the municipality page's forms (plain HTML forms, no script needed).</summary>
public sealed class EditTests(DashboardFixture fixture, ITestOutputHelper output) : IClassFixture<DashboardFixture>
{
    private string Url(string path) => new Uri(fixture.BaseAddress, path).ToString();

    [Fact]
    public async Task A_municipal_user_saves_a_system_and_a_national_overview_shows_it_within_two_seconds_without_reload()
    {
        var (code, businessId) = await FindSystemAsync("08", s => !s.NotApplicable && !s.Designated && s.Phase < MigrationPhase.InProduction);
        await using var national = await fixture.NewContextAsync();
        var overview = await national.NewPageAsync();
        var watchOverview = PageWatch.Attach(overview, fixture.BaseAddress);
        await overview.GotoAsync(Url("/"));
        await Assertions.Expect(overview.Locator("[data-live-status]")).ToHaveTextAsync("自動更新中");
        await overview.EvaluateAsync("() => window.__sameDocument = true");
        var before = await FigureAsync(overview, "migratedSystems");

        await using var staff = await fixture.NewContextAsync(user: TestUser.Municipality(code));
        var page = await staff.NewPageAsync();
        var watch = PageWatch.Attach(page, fixture.BaseAddress);
        await page.GotoAsync(Url($"/municipalities/{code}"));
        var version = long.Parse((await page.GetAttributeAsync("[data-municipality]", "data-version"))!, CultureInfo.InvariantCulture);
        Assert.Equal(20, await page.Locator("form[data-edit-form^='system:']").CountAsync());
        Assert.Equal(47, await page.Locator("form[data-edit-form^='security:']").CountAsync());
        await AssertFormsAreLabelledAsync(page);

        // By keyboard: the summary opens with Enter, and the next Tab is the form's first field.
        await page.Locator($"#edit-system-{businessId} > summary").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal($"sys-{businessId}-phase", await page.EvaluateAsync<string>("() => document.activeElement.id"));

        var form = page.Locator($"form[data-edit-form='system:{businessId}']");
        await form.GetByLabel("移行フェーズ").SelectOptionAsync("in_production");
        await form.GetByLabel("稼働環境").SelectOptionAsync("government_cloud");
        await form.GetByLabel("ベンダ（アプリ提供事業者）").FillAsync("株式会社ブラウザ試験");
        await form.GetByLabel("本番稼働予定日").FillAsync("2026-10-01");
        var response = await page.RunAndWaitForResponseAsync(() => form.Locator("button[type=submit]").ClickAsync(), r => r.Request.Method == "POST");
        var saved = Stopwatch.StartNew();
        Assert.Equal(303, response.Status);

        await overview.WaitForFunctionAsync("v => document.querySelector(\"[data-figure='migratedSystems']\").dataset.value === v",
            (before + 1).ToString(CultureInfo.InvariantCulture), new PageWaitForFunctionOptions { Timeout = 2000, PollingInterval = 20 });
        var latency = saved.ElapsedMilliseconds;
        Assert.True(await overview.EvaluateAsync<bool>("() => window.__sameDocument === true"), "the overview reloaded");

        // The person sees the new version, the saved form and the change at the top of the history.
        await page.WaitForUrlAsync($"**/municipalities/{code}?saved=*");
        await Assertions.Expect(page.Locator($"#edit-system-{businessId} [data-saved]")).ToContainTextAsync($"版 {version + 1}");
        Assert.Equal((version + 1).ToString(CultureInfo.InvariantCulture), await page.GetAttributeAsync("[data-municipality]", "data-version"));
        Assert.Equal(await page.Locator($"#edit-system-{businessId}").GetAttributeAsync("open"), string.Empty);
        var latest = await page.Locator(".history-table tbody tr").First.InnerTextAsync();
        Assert.Contains("株式会社ブラウザ試験", latest, StringComparison.Ordinal);
        Assert.Contains(TestUser.Municipality(code).Subject, latest, StringComparison.Ordinal);
        Assert.Contains((version + 1).ToString(CultureInfo.InvariantCulture), latest, StringComparison.Ordinal);
        var row = await page.Locator($"#systems-table tr[data-business='{businessId}']").InnerTextAsync();
        Assert.Contains("株式会社ブラウザ試験", row, StringComparison.Ordinal);
        Assert.Contains("2026/10/01", row, StringComparison.Ordinal);

        // The audit trail names the person from the cookie.
        var history = await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/v1/municipalities/{code}/history?limit=1");
        var entry = history.GetProperty("items")[0];
        Assert.Equal(TestUser.Municipality(code).Subject, entry.GetProperty("subject").GetString());
        Assert.Equal($"system:{businessId}", entry.GetProperty("target").GetString());
        Assert.Equal(version + 1, entry.GetProperty("version").GetInt64());

        var line = $"form save {code}/{businessId}: national overview updated {latency} ms after the 303";
        output.WriteLine(line);
        Console.WriteLine("Dashboard edit: " + line);
        watch.AssertClean();
        watchOverview.AssertClean();
    }

    [Fact]
    public async Task A_municipal_user_sees_no_form_for_another_municipality_and_a_forged_post_is_refused_and_changes_nothing()
    {
        const string own = "131016";  // 千代田区
        const string other = "131024"; // 中央区, same prefecture
        await using var context = await fixture.NewContextAsync(user: TestUser.Municipality(own));
        var page = await context.NewPageAsync();
        var watch = PageWatch.Attach(page, fixture.BaseAddress).Expect(403, $"/municipalities/{other}");
        await page.GotoAsync(Url($"/municipalities/{own}"));
        var antiforgery = await page.Locator("form[data-edit-form='system:koseki'] input[name=__RequestVerificationToken]").InputValueAsync();
        Assert.False(string.IsNullOrEmpty(antiforgery));

        var otherPage = await page.GotoAsync(Url($"/municipalities/{other}"));
        Assert.Equal(403, otherPage!.Status);
        Assert.Equal(0, await page.Locator("form[data-edit-form]").CountAsync());

        var grain = fixture.Host.Grains.GetGrain<IMunicipalityGrain>(other);
        var before = await grain.GetAsync();
        var auditBefore = await AuditTotalAsync(other);

        // The user's own cookie and a valid antiforgery token, sent to the other municipality's endpoints.
        foreach (var path in new[] { $"/municipalities/{other}/systems/koseki", $"/municipalities/{other}/security/SEC-1-01" })
        {
            var forged = await context.APIRequest.PostAsync(Url(path), new APIRequestContextOptions
            {
                Form = context.APIRequest.CreateFormData()
                    .Set("__RequestVerificationToken", antiforgery).Set("version", before.Version.ToString(CultureInfo.InvariantCulture))
                    .Set("requestId", Guid.NewGuid().ToString("N")).Set("phase", "in_production").Set("hosting", "government_cloud").Set("status", "implemented")
                    .Set("code", own).Set("tenant", own),
                MaxRedirects = 0,
            });
            Assert.Equal(403, forged.Status);
            Assert.Contains("権限がありません", await forged.TextAsync(), StringComparison.Ordinal);
        }

        // A prefecture that may read the municipality may not report for it either.
        await using var prefecture = await fixture.NewContextAsync(user: TestUser.Prefecture("13"));
        var prefecturePage = await prefecture.NewPageAsync();
        await prefecturePage.GotoAsync(Url($"/municipalities/{other}"));
        Assert.Equal(0, await prefecturePage.Locator("form[data-edit-form]").CountAsync());
        var prefectureForged = await prefecture.APIRequest.PostAsync(Url($"/municipalities/{other}/systems/koseki"), new APIRequestContextOptions
        {
            Form = prefecture.APIRequest.CreateFormData().Set("version", before.Version.ToString(CultureInfo.InvariantCulture)).Set("phase", "in_production"),
            MaxRedirects = 0,
        });
        Assert.Equal(403, prefectureForged.Status);

        // The own endpoint without the antiforgery token: refused too (400), nothing saved.
        var ownBefore = await fixture.Host.Grains.GetGrain<IMunicipalityGrain>(own).GetAsync();
        var noToken = await context.APIRequest.PostAsync(Url($"/municipalities/{own}/systems/koseki"), new APIRequestContextOptions
        {
            Form = context.APIRequest.CreateFormData().Set("version", ownBefore.Version.ToString(CultureInfo.InvariantCulture)).Set("phase", "in_production"),
            MaxRedirects = 0,
        });
        Assert.Equal(400, noToken.Status);

        var after = await grain.GetAsync();
        Assert.Equal(before.Version, after.Version);
        Assert.Equal(before.FindSystem("koseki"), after.FindSystem("koseki"));
        Assert.Equal(auditBefore, await AuditTotalAsync(other));
        Assert.Equal(ownBefore.Version, (await fixture.Host.Grains.GetGrain<IMunicipalityGrain>(own).GetAsync()).Version);
        watch.AssertClean();
    }

    [Fact]
    public async Task When_someone_else_saved_first_the_form_says_so_keeps_the_input_and_saves_on_the_second_try()
    {
        var (code, businessId) = await FindSystemAsync("09", s => !s.NotApplicable && !s.Designated && s.Phase < MigrationPhase.InProduction);
        await using var context = await fixture.NewContextAsync(user: TestUser.Municipality(code));
        var page = await context.NewPageAsync();
        var path = $"/municipalities/{code}/systems/{businessId}";
        var watch = PageWatch.Attach(page, fixture.BaseAddress).Expect(409, path);
        await page.GotoAsync(Url($"/municipalities/{code}#edit-system-{businessId}"));
        var version = long.Parse((await page.GetAttributeAsync("[data-municipality]", "data-version"))!, CultureInfo.InvariantCulture);
        await page.Locator($"#edit-system-{businessId} > summary").ClickAsync();
        var form = page.Locator($"form[data-edit-form='system:{businessId}']");
        await form.GetByLabel("移行フェーズ").SelectOptionAsync("in_production");
        await form.GetByLabel("ベンダ（アプリ提供事業者）").FillAsync("入力を残す株式会社");

        // Meanwhile a colleague saves the same system (through the grain, as the API would).
        var grain = fixture.Host.Grains.GetGrain<IMunicipalityGrain>(code);
        var current = (await grain.GetAsync()).FindSystem(businessId)!;
        var colleague = await grain.ApplyAsync(new ChangeRequest
        {
            RequestId = Guid.NewGuid().ToString("N"),
            Actor = new Actor("colleague@example.lg.jp", Role.Municipality, code),
            ExpectedVersion = version,
            Systems = [new SystemChange { BusinessId = businessId, Phase = current.Phase, Vendor = "先に保存した株式会社", Hosting = HostingKind.OnPremises }],
        });
        Assert.Equal(ChangeStatus.Accepted, colleague.Status);

        var response = await page.NavigateAsync(() => form.Locator("button[type=submit]").ClickAsync());
        Assert.Equal(409, response.Status);
        form = page.Locator($"form[data-edit-form='system:{businessId}']");
        var alert = page.Locator($"#sys-{businessId}-alert");
        await Assertions.Expect(alert).ToContainTextAsync("他の人が先に更新しました");
        await Assertions.Expect(alert).ToContainTextAsync("Someone else changed this first");
        Assert.Equal("VersionConflict", await alert.GetAttributeAsync("data-failure"));
        Assert.Equal($"sys-{businessId}-alert", await page.EvaluateAsync<string>("() => document.activeElement.id"));
        Assert.Equal("入力を残す株式会社", await form.GetByLabel("ベンダ（アプリ提供事業者）").InputValueAsync());
        Assert.Equal("in_production", await form.GetByLabel("移行フェーズ").InputValueAsync());
        Assert.Equal((version + 1).ToString(CultureInfo.InvariantCulture), await form.Locator("input[name=version]").InputValueAsync());
        Assert.Contains("先に保存した株式会社", await page.Locator($"#systems-table tr[data-business='{businessId}']").InnerTextAsync(), StringComparison.Ordinal);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(DashboardFixture.ScreenshotFolder, "edit-conflict-ja.png"), FullPage = false });

        var record = await grain.GetAsync();
        Assert.Equal(version + 1, record.Version);
        Assert.Equal("先に保存した株式会社", record.FindSystem(businessId)!.Vendor);

        // Having seen the newer data, the person saves again on top of it.
        var second = await page.RunAndWaitForResponseAsync(() => form.Locator("button[type=submit]").ClickAsync(), r => r.Request.Method == "POST");
        Assert.Equal(303, second.Status);
        await page.WaitForUrlAsync($"**/municipalities/{code}?saved=*");
        await Assertions.Expect(page.Locator($"#edit-system-{businessId} [data-saved]")).ToContainTextAsync($"版 {version + 2}");
        Assert.Equal("入力を残す株式会社", (await grain.GetAsync()).FindSystem(businessId)!.Vendor);
        watch.AssertClean();
    }

    [Fact]
    public async Task A_backward_move_without_a_reason_is_refused_next_to_the_reason_field_and_changes_nothing()
    {
        var (code, businessId) = await FindSystemAsync("10", s => !s.NotApplicable && !s.Designated && s.Phase >= MigrationPhase.ProjectSetup && !s.Regression);

        // The municipality reports that phase first: below an estimate it never reported, a move is a correction, not a regression.
        var reporter = fixture.Host.Grains.GetGrain<IMunicipalityGrain>(code);
        var reported = await reporter.ApplyAsync(new ChangeRequest
        {
            RequestId = Guid.NewGuid().ToString("N"),
            Actor = new Actor("reporter@example.lg.jp", Role.Municipality, code),
            Systems = [new SystemChange { BusinessId = businessId, Phase = (await reporter.GetAsync()).FindSystem(businessId)!.Phase, Vendor = "報告済み株式会社" }],
        });
        Assert.Equal(ChangeStatus.Accepted, reported.Status);
        Assert.NotNull(reported.Record.FindSystem(businessId)!.ReportedAt);
        foreach (var language in new[] { "ja", "en" })
        {
            await using var context = await fixture.NewContextAsync(language, user: TestUser.Municipality(code));
            var page = await context.NewPageAsync();
            var path = $"/municipalities/{code}/systems/{businessId}";
            var watch = PageWatch.Attach(page, fixture.BaseAddress).Expect(422, path);
            await page.GotoAsync(Url($"/municipalities/{code}"));
            var grain = fixture.Host.Grains.GetGrain<IMunicipalityGrain>(code);
            var before = await grain.GetAsync();
            var auditBefore = await AuditTotalAsync(code);

            await page.Locator($"#edit-system-{businessId} > summary").ClickAsync();
            var form = page.Locator($"form[data-edit-form='system:{businessId}']");
            await form.Locator("select[name=phase]").SelectOptionAsync("not_started");
            await form.Locator("input[name=vendor]").FillAsync("残る入力");
            var response = await page.NavigateAsync(() => form.Locator("button[type=submit]").ClickAsync());
            Assert.Equal(422, response.Status);

            var reason = page.Locator($"#sys-{businessId}-regressionReason");
            var error = page.Locator($"#sys-{businessId}-regressionReason-error");
            await Assertions.Expect(error).ToContainTextAsync("フェーズを戻す場合は後退理由を入力してください。");
            await Assertions.Expect(error).ToContainTextAsync("Moving a phase backwards requires a regression reason.");
            Assert.Equal("true", await reason.GetAttributeAsync("aria-invalid"));
            Assert.Contains($"sys-{businessId}-regressionReason-error", await reason.GetAttributeAsync("aria-describedby"), StringComparison.Ordinal);
            Assert.True(await page.EvaluateAsync<bool>("id => document.getElementById(id).closest('.field').contains(document.getElementById(id + '-error'))", $"sys-{businessId}-regressionReason"),
                "the message sits with the reason field");
            Assert.Equal($"sys-{businessId}-regressionReason", await page.EvaluateAsync<string>("() => document.activeElement.id"));
            Assert.Equal(1, await page.Locator("[data-field-error]").CountAsync()); // only the field at fault
            Assert.Equal("not_started", await page.Locator($"#sys-{businessId}-phase").InputValueAsync());
            Assert.Equal("残る入力", await page.Locator($"#sys-{businessId}-vendor").InputValueAsync());
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(DashboardFixture.ScreenshotFolder, $"edit-validation-{language}.png"), FullPage = false });

            var after = await grain.GetAsync();
            Assert.Equal(before.Version, after.Version);
            Assert.Equal(before.FindSystem(businessId), after.FindSystem(businessId));
            Assert.Equal(auditBefore, await AuditTotalAsync(code));
            watch.AssertClean();
        }

        // With a reason it is saved, and shown as a regression.
        await using var again = await fixture.NewContextAsync(user: TestUser.Municipality(code));
        var retry = await again.NewPageAsync();
        await retry.GotoAsync(Url($"/municipalities/{code}"));
        await retry.Locator($"#edit-system-{businessId} > summary").ClickAsync();
        var retryForm = retry.Locator($"form[data-edit-form='system:{businessId}']");
        await retryForm.Locator("select[name=phase]").SelectOptionAsync("not_started");
        await retryForm.GetByLabel("後退理由").FillAsync("ベンダが撤退したため");
        var ok = await retry.RunAndWaitForResponseAsync(() => retryForm.Locator("button[type=submit]").ClickAsync(), r => r.Request.Method == "POST");
        Assert.Equal(303, ok.Status);
        await retry.WaitForUrlAsync($"**/municipalities/{code}?saved=*");
        Assert.Contains("後退：ベンダが撤退したため", await retry.Locator($"#systems-table tr[data-business='{businessId}']").InnerTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_checklist_item_is_saved_with_its_evidence_and_a_future_review_date_is_refused()
    {
        const string code = "011002"; // 札幌市
        await using var context = await fixture.NewContextAsync(user: TestUser.Municipality(code));
        var page = await context.NewPageAsync();
        var watch = PageWatch.Attach(page, fixture.BaseAddress).Expect(422, $"/municipalities/{code}/security/SEC-6-01");
        await page.GotoAsync(Url($"/municipalities/{code}"));
        var item = page.Locator("#edit-security-SEC-6-01");
        await item.Locator("xpath=ancestor::details[1]/summary").ClickAsync();
        await item.GetByLabel("対応状況").SelectOptionAsync("partial");
        await item.GetByLabel("根拠・証跡（メモまたはリンク）").FillAsync("https://example.lg.jp/policy/6-01");
        await item.GetByLabel("最終確認日").FillAsync("2039-01-01");
        var refused = await page.NavigateAsync(() => item.Locator("button[type=submit]").ClickAsync());
        Assert.Equal(422, refused.Status);
        await Assertions.Expect(page.Locator("#sec-SEC-6-01-lastReviewed-error")).ToContainTextAsync("最終確認日は");
        Assert.Equal("sec-SEC-6-01-lastReviewed", await page.EvaluateAsync<string>("() => document.activeElement.id"));

        item = page.Locator("#edit-security-SEC-6-01");
        await item.GetByLabel("最終確認日").FillAsync("2026-01-15");
        var saved = await page.RunAndWaitForResponseAsync(() => item.Locator("button[type=submit]").ClickAsync(), r => r.Request.Method == "POST");
        Assert.Equal(303, saved.Status);
        await page.WaitForUrlAsync($"**/municipalities/{code}?saved=*");
        var row = await page.Locator("tr[data-item='SEC-6-01']").InnerTextAsync();
        Assert.Contains("一部実施", row, StringComparison.Ordinal);
        Assert.Contains("https://example.lg.jp/policy/6-01", row, StringComparison.Ordinal);
        Assert.Contains("2026/01/15", row, StringComparison.Ordinal);
        watch.AssertClean();
    }

    /// <summary>Every visible control of every edit form has a label, and nothing reorders the tab sequence.</summary>
    private static async Task AssertFormsAreLabelledAsync(IPage page)
    {
        var unlabelled = await page.EvaluateAsync<string[]>(@"() => [...document.querySelectorAll('form[data-edit-form] :is(input:not([type=hidden]), select, textarea)')]
            .filter(el => !el.labels || el.labels.length === 0).map(el => el.id || el.name)");
        Assert.Empty(unlabelled);
        Assert.Equal(0, await page.Locator("[tabindex]:not([tabindex='-1']):not([tabindex='0'])").CountAsync());
    }

    private async Task<long> AuditTotalAsync(string code) =>
        (await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/v1/municipalities/{code}/history?limit=1")).GetProperty("total").GetInt64();

    private static async Task<int> FigureAsync(IPage page, string key) =>
        int.Parse((await page.Locator($"[data-figure='{key}']").First.GetAttributeAsync("data-value"))!, CultureInfo.InvariantCulture);

    private async Task<(string Code, string BusinessId)> FindSystemAsync(string prefecture, Func<SystemStatus, bool> match)
    {
        foreach (var m in Readiness.Catalog.ReadinessCatalog.Instance.MunicipalitiesByPrefecture[prefecture])
        {
            var record = await fixture.Host.Grains.GetGrain<IMunicipalityGrain>(m.Code).GetAsync();
            if (record.Systems.FirstOrDefault(match) is { } found)
            {
                return (m.Code, found.BusinessId);
            }
        }

        throw new InvalidOperationException($"No matching system in prefecture {prefecture}.");
    }
}
