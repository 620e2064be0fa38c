using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Readiness.BrowserTests;

/// <summary>Demo mode: every page says plainly that the figures are synthetic.</summary>
public sealed class SyntheticDataTests(DemoDashboardFixture fixture, ITestOutputHelper output) : IClassFixture<DemoDashboardFixture>
{
    [Fact]
    public async Task Synthetic_demo_data_is_marked_on_every_page()
    {
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var watch = PageWatch.Attach(page, fixture.BaseAddress);
        foreach (var (path, name) in new[] { ("/", "overview"), ("/prefectures/26", "prefectures-26"), ("/municipalities/261009", "municipalities-261009") })
        {
            await page.GotoAsync(new Uri(fixture.BaseAddress, path).ToString());
            var banner = page.Locator(".banner-synthetic");
            await Assertions.Expect(banner).ToBeVisibleAsync();
            Assert.Contains("合成データ", await banner.InnerTextAsync(), StringComparison.Ordinal);
            if (await page.Locator("[data-map]").CountAsync() > 0)
            {
                await page.Locator("[data-map][data-rendered]").WaitForAsync();
            }

            await page.ScreenshotAsync(new() { Path = Path.Combine(DashboardFixture.ScreenshotFolder, $"demo-{name}-ja.png"), FullPage = true });
        }

        Assert.True(await page.Locator(".badge-synthetic").CountAsync() >= 1);
        Assert.Contains("合成データ", await page.Locator(".provenance").InnerTextAsync(), StringComparison.Ordinal);
        output.WriteLine($"demo screenshots: {DashboardFixture.ScreenshotFolder}");
        watch.AssertClean();
    }
}
