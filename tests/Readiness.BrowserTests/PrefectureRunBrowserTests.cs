using System.Globalization;
using Microsoft.Playwright;
using Readiness.Grains;
using Readiness.Testing;
using Xunit.Abstractions;

namespace Readiness.BrowserTests;

/// <summary>
/// The prefecture page's 「都道府県が実施する事務」 section in a real browser (Chromium): a prefecture's staff report
/// 生活保護 through the form (a refused form first: the message next to the field, nothing saved), the section shows it
/// counted; other roles see no form. axe-core (WCAG 2.1 A/AA) on the changed page, with the form, a refusal and the
/// saved state, in Japanese and English: 0 violations.
/// </summary>
public sealed class PrefectureRunBrowserTests(DashboardFixture fixture, ITestOutputHelper output) : IClassFixture<DashboardFixture>
{
    private const string Kagawa = "37"; // 香川県: no row on the December 2025 designation list

    private string Url(string path) => new Uri(fixture.BaseAddress, path).ToString();

    public static IEnumerable<object[]> Languages => [["ja"], ["en"]];

    [Fact]
    public async Task Prefecture_staff_report_public_assistance_through_the_prefecture_page()
    {
        await using var staff = await fixture.NewContextAsync(user: TestUser.Prefecture(Kagawa));
        var page = await staff.NewPageAsync();
        await page.GotoAsync(Url($"/prefectures/{Kagawa}"));
        var section = page.Locator("#prefecture-run");
        await Assertions.Expect(section.Locator("h2")).ToHaveTextAsync("都道府県が実施する事務");
        await Assertions.Expect(section.Locator("tr[data-business='public_assistance']")).ToHaveAttributeAsync("data-counted", "false");
        var before = (await fixture.Host.Grains.GetGrain<IPrefectureRunGrain>(Kagawa).GetAsync()).Version;

        // Designated without its reason and target: refused, the message under the fields, nothing saved.
        var form = page.Locator("#prefecture-run-public_assistance");
        await form.Locator("summary").ClickAsync();
        await form.Locator("select[name=phase]").SelectOptionAsync("testing");
        await form.Locator("input[name=designated]").CheckAsync();
        await page.NavigateAsync(() => form.Locator("button[type=submit]").ClickAsync());
        await Assertions.Expect(page.Locator("#pref-public_assistance-designationReason-error")).ToContainTextAsync("該当理由");
        Assert.Equal(before, (await fixture.Host.Grains.GetGrain<IPrefectureRunGrain>(Kagawa).GetAsync()).Version);

        // The corrected form: saved, back on the page with the system counted.
        form = page.Locator("#prefecture-run-public_assistance");
        await form.Locator("input[name=designated]").UncheckAsync();
        await form.Locator("select[name=phase]").SelectOptionAsync("in_production");
        await form.Locator("input[name=vendor]").FillAsync("株式会社かがわ福祉");
        await form.Locator("button[type=submit]").ClickAsync();
        await page.WaitForUrlAsync($"**/prefectures/{Kagawa}?saved=*");
        await Assertions.Expect(page.Locator("#prefecture-run tr[data-business='public_assistance']")).ToHaveAttributeAsync("data-counted", "true");
        await Assertions.Expect(page.Locator("#prefecture-run-public_assistance [data-saved]")).ToHaveCountAsync(1);

        var record = await fixture.Host.Grains.GetGrain<IPrefectureRunGrain>(Kagawa).GetAsync();
        Assert.Equal(before + 1, record.Version);
        Assert.Equal(MigrationPhase.InProduction, record.FindSystem("public_assistance")!.Phase);
        Assert.Equal("株式会社かがわ福祉", record.FindSystem("public_assistance")!.Vendor);
        Assert.Equal(TestUser.Prefecture(Kagawa).Subject, record.UpdatedBy!.Subject);

        // Another prefecture's staff and national staff see the section, but no form.
        await using var other = await fixture.NewContextAsync(user: TestUser.Prefecture("13"));
        var otherPage = await other.NewPageAsync();
        await otherPage.GotoAsync(Url($"/prefectures/{Kagawa}"));
        await Assertions.Expect(otherPage.Locator("#prefecture-run h2")).ToHaveCountAsync(1);
        await Assertions.Expect(otherPage.Locator("#prefecture-run form")).ToHaveCountAsync(0);
        await using var national = await fixture.NewContextAsync(user: TestUser.National);
        var nationalPage = await national.NewPageAsync();
        await nationalPage.GotoAsync(Url($"/prefectures/{Kagawa}"));
        await Assertions.Expect(nationalPage.Locator("#prefecture-run tr[data-business='public_assistance']")).ToHaveAttributeAsync("data-counted", "true");
        await Assertions.Expect(nationalPage.Locator("#prefecture-run form")).ToHaveCountAsync(0);

        // The national overview shows the prefecture-run part on its own, equal to the nation's recomputed figures.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var nation = await fixture.Host.Grains.GetGrain<INationGrain>(INationGrain.NationKey).GetAsync();
            var expected = (nation.PrefectureRun ?? Readiness.Figures.Zero).MigratedSystems;
            await nationalPage.GotoAsync(Url("/"));
            var shown = await nationalPage.Locator("[data-prefecture-run-nation] [data-figure='prefectureRunMigrated']").GetAttributeAsync("data-value");
            if (expected >= 1 && shown == expected.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, $"The overview showed {shown} prefecture-run systems migrated, the nation {expected}.");
            await Task.Delay(500);
        }

        await Assertions.Expect(nationalPage.Locator("#prefecture-run-heading")).ToHaveTextAsync("都道府県が実施する事務");
    }

    [Fact]
    public async Task A_system_never_reported_shows_no_phase_and_a_vendor_only_save_keeps_it_not_reported()
    {
        const string ehime = "38"; // 愛媛県: a prefecture of its own for this test, never reported
        await using var staff = await fixture.NewContextAsync(user: TestUser.Prefecture(ehime));
        var page = await staff.NewPageAsync();
        await page.GotoAsync(Url($"/prefectures/{ehime}"));
        var before = (await fixture.Host.Grains.GetGrain<IPrefectureRunGrain>(ehime).GetAsync()).Version;

        // The phase select shows the empty "not reported" choice, not 0（未着手）.
        var form = page.Locator("#prefecture-run-public_assistance");
        await form.Locator("summary").ClickAsync();
        await Assertions.Expect(form.Locator("select[name=phase]")).ToHaveValueAsync(string.Empty);
        await Assertions.Expect(form.Locator("select[name=phase] option:checked")).ToHaveTextAsync("未報告");

        // Saving only the vendor: the vendor is stored, the system still not reported (no phase, not counted), not
        // reported not started (the form used to refuse it, so a vendor could not be kept before the first report).
        await form.Locator("input[name=vendor]").FillAsync("株式会社えひめ");
        await page.NavigateAsync(() => form.Locator("button[type=submit]").ClickAsync());
        var record = await fixture.Host.Grains.GetGrain<IPrefectureRunGrain>(ehime).GetAsync();
        Assert.Equal(before + 1, record.Version);
        Assert.Null(record.FindSystem("public_assistance")!.ReportedAt);
        Assert.Equal("株式会社えひめ", record.FindSystem("public_assistance")!.Vendor);
        await Assertions.Expect(page.Locator("#prefecture-run tr[data-business='public_assistance']")).ToHaveAttributeAsync("data-counted", "false");
        await Assertions.Expect(page.Locator("#prefecture-run-public_assistance select[name=phase]")).ToHaveValueAsync(string.Empty);
        await Assertions.Expect(page.Locator("#prefecture-run-public_assistance input[name=vendor]")).ToHaveValueAsync("株式会社えひめ");
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task The_prefecture_page_with_its_own_businesses_has_no_violations(string language)
    {
        const string code = "36"; // 徳島県: a prefecture of its own for this test
        var found = new List<string>();
        await using (var staff = await fixture.NewContextAsync(language, user: TestUser.Prefecture(code)))
        {
            var page = await staff.NewPageAsync();
            await page.GotoAsync(Url($"/prefectures/{code}"));
            await page.AxeCheckAsync($"{language} prefecture staff: /prefectures/{code} (form)", found, output);

            // A refused form (a designation given a reason but no target: a stored designation sent back unchanged is
            // not judged again, so the refusal needs the request to touch it) and a saved one.
            var form = page.Locator("#prefecture-run-child_rearing_allowance");
            await form.Locator("summary").ClickAsync();
            await form.Locator("select[name=phase]").SelectOptionAsync("fit_gap");
            if (!await form.Locator("input[name=designated]").IsCheckedAsync())
            {
                await form.Locator("input[name=designated]").CheckAsync();
            }

            await form.Locator("select[name=designationReason]").SelectOptionAsync("mainframe");
            await form.Locator("input[name=designationTarget]").FillAsync(string.Empty);
            await page.NavigateAsync(() => form.Locator("button[type=submit]").ClickAsync());
            await Assertions.Expect(page.Locator("#prefecture-run-child_rearing_allowance .form-alert")).ToHaveCountAsync(1);
            await page.AxeCheckAsync($"{language} prefecture staff: refused form", found, output);

            form = page.Locator("#prefecture-run-child_rearing_allowance");
            await form.Locator("input[name=designated]").UncheckAsync();
            await form.Locator("button[type=submit]").ClickAsync();
            await page.WaitForUrlAsync($"**/prefectures/{code}?saved=*");
            await page.AxeCheckAsync($"{language} prefecture staff: saved", found, output);
        }

        await using (var national = await fixture.NewContextAsync(language, user: TestUser.National))
        {
            var page = await national.NewPageAsync();
            await page.GotoAsync(Url($"/prefectures/{code}"));
            await page.AxeCheckAsync($"{language} national: /prefectures/{code}", found, output);
        }

        Assert.True(found.Count == 0, string.Join('\n', found));
    }

}
