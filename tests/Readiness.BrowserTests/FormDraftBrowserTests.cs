using Microsoft.Playwright;
using Readiness.Grains;
using Xunit.Abstractions;

namespace Readiness.BrowserTests;

/// <summary>
/// The round trip of a form sent after the sign-in session ended (breaker's M1), in Chromium: the person types, the
/// cookie is gone when they press 保存, the sign-in page says the input was not saved, and after signing in again they
/// are at the form with what they typed, save it, and it is saved. The notices are checked with axe.
/// </summary>
public sealed class FormDraftBrowserTests(DashboardFixture fixture, ITestOutputHelper output) : IClassFixture<DashboardFixture>
{
    private string Url(string path) => new Uri(fixture.BaseAddress, path).ToString();

    [Fact]
    public async Task Input_typed_when_the_session_ended_comes_back_after_signing_in_and_is_saved_when_sent_again()
    {
        var (code, businessId) = await FindSystemAsync("45", s => !s.NotApplicable && !s.Designated && !s.Regression);
        var user = TestUser.Municipality(code);
        var found = new List<string>();
        await using var context = await fixture.NewContextAsync(user: user);
        var page = await context.NewPageAsync();
        await page.GotoAsync(Url($"/municipalities/{code}"));
        await page.Locator($"#edit-system-{businessId} > summary").ClickAsync();
        var form = page.Locator($"form[data-edit-form='system:{businessId}']");
        await form.GetByLabel("ベンダ（アプリ提供事業者）").FillAsync("株式会社下書き試験");

        // While the person types, the sign-in cookie's time runs out (the browser drops it).
        await context.ClearCookiesAsync(new BrowserContextClearCookiesOptions { Name = "readiness.auth" });
        await form.Locator("button[type=submit]").ClickAsync();
        await page.WaitForUrlAsync("**/signin?*unsaved=kept*");
        var notice = page.Locator("[data-unsaved='kept']");
        await Assertions.Expect(notice).ToContainTextAsync("入力内容は保存されていません");
        await Assertions.Expect(notice).ToContainTextAsync("was not saved");
        await page.AxeCheckAsync("ja /signin after a form sent when the session ended", found, output);

        // Signing in again (the token form) leads back to the form with the input, not saved.
        await page.Locator("#token").FillAsync(fixture.Token(user));
        await page.Locator("form[action='/auth/local/signin'] button[type=submit]").ClickAsync();
        await page.WaitForUrlAsync($"**/municipalities/{code}#edit-system-{businessId}");
        form = page.Locator($"form[data-edit-form='system:{businessId}']");
        await Assertions.Expect(form.Locator("[data-failure='Restored']")).ToContainTextAsync("まだ保存されていません");
        await Assertions.Expect(form.GetByLabel("ベンダ（アプリ提供事業者）")).ToHaveValueAsync("株式会社下書き試験");
        var stored = await fixture.Host.Grains.GetGrain<IMunicipalityGrain>(code).GetAsync();
        Assert.NotEqual("株式会社下書き試験", stored.Systems.Single(s => s.BusinessId == businessId).Vendor);
        await page.AxeCheckAsync($"ja municipality {code}: a restored form", found, output);

        var response = await page.RunAndWaitForResponseAsync(() => form.Locator("button[type=submit]").ClickAsync(), r => r.Request.Method == "POST");
        Assert.Equal(303, response.Status);
        await Assertions.Expect(page.Locator($"#edit-system-{businessId} [data-saved]")).ToBeVisibleAsync();
        stored = await fixture.Host.Grains.GetGrain<IMunicipalityGrain>(code).GetAsync();
        Assert.Equal("株式会社下書き試験", stored.Systems.Single(s => s.BusinessId == businessId).Vendor);
        Assert.True(found.Count == 0, string.Join('\n', found));
    }

    /// <summary>
    /// Two tabs, two forms of one page, one ended session (a breaker's finding): signing in from the newer tab's sign-in
    /// page lands at its form's anchor, and that form (in view) has the input back, as does the other, which the landed
    /// form's notice links to; the focus is not pulled to the other form. axe on the page with both restored.
    /// </summary>
    [Fact]
    public async Task Two_tabs_forms_of_one_page_both_come_back_and_the_person_lands_on_a_restored_form()
    {
        var code = Readiness.Catalog.ReadinessCatalog.Instance.MunicipalitiesByPrefecture["46"][0].Code;
        var record = await fixture.Host.Grains.GetGrain<IMunicipalityGrain>(code).GetAsync();
        var ids = record.Systems.Where(s => !s.NotApplicable && !s.Designated && !s.Regression).Select(s => s.BusinessId).Take(2).ToList();
        var user = TestUser.Municipality(code);
        var found = new List<string>();
        await using var context = await fixture.NewContextAsync(user: user);
        var tabs = new[] { await context.NewPageAsync(), await context.NewPageAsync() };
        for (var i = 0; i < 2; i++)
        {
            await tabs[i].GotoAsync(Url($"/municipalities/{code}"));
            await tabs[i].Locator($"#edit-system-{ids[i]} > summary").ClickAsync();
            await tabs[i].Locator($"form[data-edit-form='system:{ids[i]}']").GetByLabel("ベンダ（アプリ提供事業者）").FillAsync($"二つのタブの下書き{i}");
        }

        await context.ClearCookiesAsync(new BrowserContextClearCookiesOptions { Name = "readiness.auth" });
        for (var i = 0; i < 2; i++)
        {
            await tabs[i].Locator($"form[data-edit-form='system:{ids[i]}'] button[type=submit]").ClickAsync();
            await tabs[i].WaitForUrlAsync("**/signin?*unsaved=kept*");
        }

        // Signed in from the newer tab: at its form, in view, with its input; the older tab's form has its input too.
        var page = tabs[1];
        await page.Locator("#token").FillAsync(fixture.Token(user));
        await page.Locator("form[action='/auth/local/signin'] button[type=submit]").ClickAsync();
        await page.WaitForUrlAsync($"**/municipalities/{code}#edit-system-{ids[1]}");
        var landed = page.Locator($"form[data-edit-form='system:{ids[1]}']");
        await Assertions.Expect(landed.Locator("[data-failure='Restored']")).ToBeInViewportAsync();
        await Assertions.Expect(landed.GetByLabel("ベンダ（アプリ提供事業者）")).ToHaveValueAsync("二つのタブの下書き1");
        await Assertions.Expect(landed.Locator("[data-restored-others='1'] ~ ul a")).ToHaveAttributeAsync("href", $"#edit-system-{ids[0]}");
        var other = page.Locator($"form[data-edit-form='system:{ids[0]}']");
        await Assertions.Expect(other.GetByLabel("ベンダ（アプリ提供事業者）")).ToHaveValueAsync("二つのタブの下書き0");
        Assert.False(await other.EvaluateAsync<bool>("f => f.contains(document.activeElement)"), "the focus stays off the other restored form");
        await page.AxeCheckAsync($"ja municipality {code}: two restored forms", found, output);
        Assert.True(found.Count == 0, string.Join('\n', found));
    }

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
