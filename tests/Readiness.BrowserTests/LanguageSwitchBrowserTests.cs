using System.Globalization;
using Microsoft.Playwright;
using Readiness.Grains;
using Readiness.Testing;

namespace Readiness.BrowserTests;

/// <summary>
/// The header's language switch on a page that answers a post keeps the work, in Chromium (a breaker's finding: on the
/// Excel preview and on a form shown again with its 409, 「English」 was a GET of the post's address: 405, or the page
/// without the input). There it posts the kept state back: the same preview, the same kept input, in English.
/// </summary>
public sealed class LanguageSwitchBrowserTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    private const string Chiyoda = "131016"; // 千代田区: none of its systems is designated

    private string Url(string path) => new Uri(fixture.BaseAddress, path).ToString();

    [Fact]
    public async Task The_excel_preview_switched_to_english_is_still_the_preview_with_the_same_rows_and_applies()
    {
        await using var staff = await fixture.NewContextAsync(user: TestUser.Municipality(Chiyoda));
        var page = await staff.NewPageAsync();
        var watch = PageWatch.Attach(page, fixture.BaseAddress);
        await page.GotoAsync(Url($"/municipalities/{Chiyoda}"));
        var version = long.Parse((await page.GetAttributeAsync("[data-municipality]", "data-version"))!, CultureInfo.InvariantCulture);
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("[data-template-download]").ClickAsync());
        var template = await File.ReadAllBytesAsync((await download.PathAsync())!);
        var file = TemplateCells.Edit(template, ("業務システム", "E6", "株式会社言語切替"), ("セキュリティ", "D6", "一部実施"));
        await page.Locator("#template-file").SetInputFilesAsync(new FilePayload
        {
            Name = "報告.xlsx",
            MimeType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Buffer = file,
        });
        await page.NavigateAsync(() => page.Locator("form[data-template-upload] button[type=submit]").ClickAsync());
        await Assertions.Expect(page.Locator("#template-changes")).ToHaveAttributeAsync("data-change-count", "2");
        var rowsJa = await page.Locator("#template-changes tr[data-cell]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.cell)");

        var switched = await page.NavigateAsync(() => page.Locator("button[form=language-switch]").ClickAsync());
        Assert.Equal(200, switched.Status);
        Assert.Equal("en", await page.GetAttributeAsync("html", "lang"));
        await Assertions.Expect(page.Locator("#template-changes")).ToHaveAttributeAsync("data-change-count", "2");
        Assert.Equal(rowsJa, await page.Locator("#template-changes tr[data-cell]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.cell)"));
        Assert.Equal(version, (await fixture.Host.Grains.GetGrain<IMunicipalityGrain>(Chiyoda).GetAsync()).Version);

        // The work goes on from the English preview: applying it saves the file's two changes.
        await page.NavigateAsync(() => page.Locator("form[data-template-apply] button[type=submit]").ClickAsync());
        await Assertions.Expect(page.Locator("[data-template-saved]")).ToContainTextAsync((version + 1).ToString(CultureInfo.InvariantCulture));
        Assert.Equal(version + 1, (await fixture.Host.Grains.GetGrain<IMunicipalityGrain>(Chiyoda).GetAsync()).Version);
        watch.AssertClean();
    }

    [Fact]
    public async Task A_409_form_switched_to_english_keeps_the_input()
    {
        var (code, businessId) = await FindSystemAsync("10", s => !s.NotApplicable && !s.Designated && s.Phase < MigrationPhase.InProduction);
        await using var context = await fixture.NewContextAsync(user: TestUser.Municipality(code));
        var page = await context.NewPageAsync();
        var path = $"/municipalities/{code}/systems/{businessId}";
        var watch = PageWatch.Attach(page, fixture.BaseAddress).Expect(409, path);
        await page.GotoAsync(Url($"/municipalities/{code}#edit-system-{businessId}"));
        var version = long.Parse((await page.GetAttributeAsync("[data-municipality]", "data-version"))!, CultureInfo.InvariantCulture);
        await page.Locator($"#edit-system-{businessId} > summary").ClickAsync();
        var form = page.Locator($"form[data-edit-form='system:{businessId}']");
        await form.GetByLabel("ベンダ（アプリ提供事業者）").FillAsync("切替でも残す株式会社");

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
        Assert.Equal(409, (await page.NavigateAsync(() => form.Locator("button[type=submit]").ClickAsync())).Status);

        var switched = await page.NavigateAsync(() => page.Locator("button[form=language-switch]").ClickAsync());
        Assert.Equal(409, switched.Status);
        Assert.Equal("en", await page.GetAttributeAsync("html", "lang"));
        form = page.Locator($"form[data-edit-form='system:{businessId}']");
        Assert.Equal("切替でも残す株式会社", await form.Locator("input[name=vendor]").InputValueAsync());
        await Assertions.Expect(page.Locator($"#sys-{businessId}-alert")).ToContainTextAsync("Someone else changed this first");
        Assert.Equal("先に保存した株式会社", (await grain.GetAsync()).FindSystem(businessId)!.Vendor);

        // Back to Japanese from the English page: the same form, the input still there.
        Assert.Equal(409, (await page.NavigateAsync(() => page.Locator("button[form=language-switch]").ClickAsync())).Status);
        Assert.Equal("ja", await page.GetAttributeAsync("html", "lang"));
        Assert.Equal("切替でも残す株式会社", await page.Locator($"form[data-edit-form='system:{businessId}'] input[name=vendor]").InputValueAsync());
        watch.AssertClean();
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
