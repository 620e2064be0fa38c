using System.Globalization;
using Microsoft.Playwright;
using Readiness.Grains;
using Readiness.Testing;
using Xunit.Abstractions;

namespace Readiness.BrowserTests;

/// <summary>
/// Excel reporting and reconciliation in a real browser (Chromium): a municipality's staff download the template from
/// their page, change cells (here with the Open XML SDK, as in Excel), upload it, see the preview naming the cells, and
/// apply it; a file with an error shows the error by cell and applies nothing. axe-core (WCAG 2.1 A/AA) on the
/// reconciliation page, the municipality page's Excel panel and the preview page, in Japanese and English: 0 violations.
/// </summary>
public sealed class ExcelReportingBrowserTests(DashboardFixture fixture, ITestOutputHelper output) : IClassFixture<DashboardFixture>
{
    private const string Chiyoda = "131016"; // 千代田区: none of its systems is designated (a designated row needs its reason and target to change)

    private string Url(string path) => new Uri(fixture.BaseAddress, path).ToString();

    public static IEnumerable<object[]> Languages => [["ja"], ["en"]];

    [Fact]
    public async Task Staff_download_the_template_change_cells_upload_preview_and_apply()
    {
        await using var staff = await fixture.NewContextAsync(user: TestUser.Municipality(Chiyoda));
        var page = await staff.NewPageAsync();
        await page.GotoAsync(Url($"/municipalities/{Chiyoda}"));
        var version = long.Parse((await page.GetAttributeAsync("[data-municipality]", "data-version"))!, CultureInfo.InvariantCulture);

        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("[data-template-download]").ClickAsync());
        Assert.EndsWith(".xlsx", download.SuggestedFilename, StringComparison.Ordinal);
        var template = await File.ReadAllBytesAsync((await download.PathAsync())!);

        // A bad date first: the preview names the cell, offers no apply, and nothing changes.
        var bad = TemplateCells.Edit(template, ("業務システム", "E6", "株式会社ブラウザ"), ("業務システム", "D7", "来年の春"));
        await UploadAsync(page, bad, "報告（誤りあり）.xlsx");
        await Assertions.Expect(page.Locator("[data-template-errors] li[data-cell='D7']")).ToContainTextAsync("D7: 本番稼働予定日が日付ではありません");
        Assert.Equal(0, await page.Locator("form[data-template-apply]").CountAsync());

        // The corrected file: the preview lists every change by cell, then one click applies them all.
        var good = TemplateCells.Edit(template,
            ("業務システム", "E6", "株式会社ブラウザ　"),
            ("業務システム", "D7", "R9.3.31"),
            ("セキュリティ", "D6", "一部実施"));
        await page.GotoAsync(Url($"/municipalities/{Chiyoda}"));
        await UploadAsync(page, good, "報告.xlsx");
        await Assertions.Expect(page.Locator("#template-changes")).ToHaveAttributeAsync("data-change-count", "3");
        foreach (var cell in new[] { "E6", "D7", "セキュリティ!D6" })
        {
            await Assertions.Expect(page.Locator($"#template-changes tr[data-cell='{cell}']")).ToHaveCountAsync(1);
        }

        await page.Locator("form[data-template-apply] button[type=submit]").ClickAsync();
        await page.WaitForUrlAsync($"**/municipalities/{Chiyoda}?saved=*");
        await Assertions.Expect(page.Locator("[data-template-saved]")).ToContainTextAsync($"版 {version + 1}");

        var record = await fixture.Host.Grains.GetGrain<IMunicipalityGrain>(Chiyoda).GetAsync();
        Assert.Equal(version + 1, record.Version);
        Assert.Equal("株式会社ブラウザ", record.FindSystem("child_allowance")!.Vendor);
        Assert.Equal(new DateOnly(2027, 3, 31), record.FindSystem("child_care_support")!.PlannedGoLive);
        Assert.Equal(SecurityStatus.Partial, record.Security[0].Status);
        Assert.Equal(TestUser.Municipality(Chiyoda).Subject, record.UpdatedBy!.Subject);
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task Reconciliation_and_excel_pages_have_no_violations(string language)
    {
        var found = new List<string>();
        await using (var national = await fixture.NewContextAsync(language, user: TestUser.National))
        {
            var page = await national.NewPageAsync();
            foreach (var path in new[] { "/reconciliation", "/reconciliation?prefecture=13&kind=designated_only_official", "/reconciliation?kind=no_such_kind", "/" })
            {
                await page.GotoAsync(Url(path));
                await page.AxeCheckAsync($"{language} national: {path}", found, output);
            }
        }

        await using (var prefecture = await fixture.NewContextAsync(language, user: TestUser.Prefecture("13")))
        {
            var page = await prefecture.NewPageAsync();
            foreach (var path in new[] { "/reconciliation", "/prefectures/13" })
            {
                await page.GotoAsync(Url(path));
                await page.AxeCheckAsync($"{language} prefecture 13: {path}", found, output);
            }
        }

        const string code = "131016";
        await using (var staff = await fixture.NewContextAsync(language, user: TestUser.Municipality(code)))
        {
            var page = await staff.NewPageAsync();
            await page.GotoAsync(Url($"/municipalities/{code}"));
            await page.AxeCheckAsync($"{language} staff: /municipalities/{code} (Excel panel)", found, output);
            using var http = fixture.CreateHttpClient(user: TestUser.Municipality(code));
            var template = await http.GetByteArrayAsync(new Uri(fixture.BaseAddress, $"/api/v1/municipalities/{code}/template.xlsx"));

            await UploadAsync(page, TemplateCells.Edit(template, ("業務システム", "E6", "株式会社アクセシビリティ")), "ok.xlsx");
            await page.AxeCheckAsync($"{language} staff: preview with changes", found, output);
            await page.GotoAsync(Url($"/municipalities/{code}"));
            await UploadAsync(page, TemplateCells.Edit(template, ("業務システム", "C8", "ほぼ完了")), "bad.xlsx");
            await page.AxeCheckAsync($"{language} staff: preview with errors", found, output);
        }

        Assert.True(found.Count == 0, string.Join('\n', found));
    }

    private static async Task UploadAsync(IPage page, byte[] file, string name)
    {
        await page.Locator("#template-file").SetInputFilesAsync(new FilePayload
        {
            Name = name,
            MimeType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Buffer = file,
        });
        await page.NavigateAsync(() => page.Locator("form[data-template-upload] button[type=submit]").ClickAsync());
    }

}
