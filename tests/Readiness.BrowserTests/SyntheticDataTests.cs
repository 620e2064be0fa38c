using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Readiness.BrowserTests;

/// <summary>Demo mode: every page says plainly that the figures are synthetic.</summary>
public sealed class SyntheticDataTests(DemoDashboardFixture fixture, ITestOutputHelper output) : IClassFixture<DemoDashboardFixture>
{
    [Fact]
    public async Task Synthetic_demo_data_is_marked_on_every_page()
    {
        // The summaries are open to anonymous readers here (Readiness:Auth:AnonymousSummaries); a municipality's page is not.
        await using var anonymous = await fixture.NewAnonymousContextAsync();
        var visitor = await anonymous.NewPageAsync();
        var watchVisitor = PageWatch.Attach(visitor, fixture.BaseAddress);
        foreach (var path in new[] { "/", "/prefectures/26" })
        {
            var response = await visitor.GotoAsync(new Uri(fixture.BaseAddress, path).ToString());
            Assert.Equal(200, response!.Status);
            Assert.Equal(path, new Uri(visitor.Url).AbsolutePath);
            await Assertions.Expect(visitor.Locator("[data-sign-in-link]")).ToBeVisibleAsync();
        }

        await Assertions.Expect(visitor.Locator("[data-live-status]")).ToHaveTextAsync("自動更新中"); // the event stream is open to them too
        await visitor.GotoAsync(new Uri(fixture.BaseAddress, "/municipalities/261009").ToString());
        Assert.Equal("/signin", new Uri(visitor.Url).AbsolutePath);
        Assert.Contains("閲覧できます", await visitor.Locator("main").InnerTextAsync(), StringComparison.Ordinal);
        watchVisitor.AssertClean();

        await using var context = await fixture.NewContextAsync(user: TestUser.Prefecture("26"));
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
