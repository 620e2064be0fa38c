using Microsoft.Playwright;

namespace Readiness.BrowserTests;

/// <summary>Japanese search on a prefecture page: what people type finds the official spelling (the server's rules).</summary>
public sealed class SearchTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    [Theory]
    [InlineData("12", "鎌ヶ谷", "122246")] // official 鎌ケ谷市
    [InlineData("11", "鶴ケ島", "112411")] // official 鶴ヶ島市
    [InlineData("12", "１２２２４６", "122246")] // full-width digits
    [InlineData("08", "竜ヶ崎", "082082")] // official 龍ケ崎市
    public async Task Typing_a_variant_spelling_finds_the_municipality(string prefecture, string query, string code)
    {
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        var watch = PageWatch.Attach(page, fixture.BaseAddress);
        await page.GotoAsync(new Uri(fixture.BaseAddress, $"/prefectures/{prefecture}").ToString());
        var visible = page.Locator("#municipality-table tbody tr[data-code]:not([hidden])");
        var all = await page.Locator("#municipality-table tbody tr[data-code]").CountAsync();
        Assert.True(all > 1);

        await page.Locator("#q").FillAsync(query);
        await Assertions.Expect(page.Locator("#municipality-table")).ToHaveAttributeAsync("data-filtered", query);
        await Assertions.Expect(visible).ToHaveCountAsync(1);
        Assert.Equal(code, await visible.First.GetAttributeAsync("data-code"));
        Assert.Equal("1", await page.Locator("[data-row-count]").TextContentAsync());

        // Without the script the server gives the same single row for the same query.
        var html = await fixture.Http.GetStringAsync($"/prefectures/{prefecture}?q={Uri.EscapeDataString(query)}");
        Assert.Equal(1, html.Split("<tr data-code=", StringSplitOptions.None).Length - 1);

        await page.Locator("#q").FillAsync(string.Empty);
        await Assertions.Expect(visible).ToHaveCountAsync(all);
        watch.AssertClean();
    }
}
