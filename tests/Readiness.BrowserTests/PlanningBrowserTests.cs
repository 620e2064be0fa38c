using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Readiness.BrowserTests;

/// <summary>The demo data (synthetic, with vendors and Government Cloud providers) and a forecast with fewer trials, so that a browser test can wait for it.</summary>
public sealed class PlanningDashboardFixture : DashboardFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Readiness:Seed"] = "Demo",
        ["Readiness:Planning:Trials"] = "200",
        ["Readiness:Planning:KeepForecasts"] = "false",
    };
}

/// <summary>
/// The issue's "done when", in a browser: in demo mode national staff see when the nation, each prefecture and each
/// municipality is expected to finish, with uncertainty, and a capacity scenario made in the editor visibly moves it.
/// Every planning page (forecast, prefecture, municipality, scenarios, vendors and providers) passes axe-core's WCAG 2.1
/// A/AA rules in Japanese and English with zero violations.
/// </summary>
public sealed class PlanningBrowserTests(PlanningDashboardFixture fixture, ITestOutputHelper output) : IClassFixture<PlanningDashboardFixture>
{
    private const string Chiyoda = "131016";

    // A forecast over 34,820 systems on a shared, busy machine: pages may take a while the first time.
    private const float SlowPageMs = 300_000;

    private string Url(string path) => new Uri(fixture.BaseAddress, path).ToString();

    public static IEnumerable<object[]> Languages => [["ja"], ["en"]];

    private async Task WarmAsync()
    {
        using var client = fixture.CreateHttpClient();
        client.Timeout = TimeSpan.FromMinutes(10);
        (await client.GetAsync("/api/v1/forecast/nation")).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task National_staff_see_completion_with_uncertainty_and_a_capacity_scenario_moves_it()
    {
        await WarmAsync();
        await using var context = await fixture.NewContextAsync("ja", user: TestUser.National);
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(SlowPageMs);

        // The nation: P50 with its P10–P90 band, and the probability by 2031-03-31.
        await page.GotoAsync(Url("/planning"));
        var baselineNation = await page.Locator("[data-nation-p50]").InnerTextAsync();
        Assert.Matches(@"\d{4}-\d{2}|予測範囲外", baselineNation);
        Assert.Contains("–", baselineNation, StringComparison.Ordinal);
        Assert.Equal(47, await page.Locator("#prefecture-forecast tbody tr").CountAsync());

        // A prefecture's municipalities by risk, and one municipality against its targets.
        await page.Locator("#prefecture-forecast a[href='/planning/prefectures/13']").ClickAsync();
        await page.WaitForUrlAsync("**/planning/prefectures/13", SlowPageMs);
        Assert.Equal(62, await page.Locator("#municipality-risk tbody tr").CountAsync());
        await page.Locator($"#municipality-risk a[href='/planning/municipalities/{Chiyoda}']").ClickAsync();
        await page.WaitForUrlAsync($"**/planning/municipalities/{Chiyoda}", SlowPageMs);
        Assert.True(await page.Locator("[data-p50]").CountAsync() > 0);

        // The largest vendor of the nation (the lock-in view's first row) is held to one go-live a month.
        await page.GotoAsync(Url("/planning/vendors"));
        var vendor = await page.Locator("#vendor-shares tbody tr[data-supplier]").First.GetAttributeAsync("data-supplier");
        Assert.False(string.IsNullOrEmpty(vendor));
        var systems = int.Parse((await page.Locator("#vendor-shares tbody tr[data-supplier]").First.GetAttributeAsync("data-systems"))!, CultureInfo.InvariantCulture);
        output.WriteLine($"largest vendor: {vendor}, {systems} systems");

        await page.GotoAsync(Url("/planning/scenarios"));
        await page.Locator("#name").FillAsync("最大ベンダの能力を月1件に");
        await page.Locator("#capacity").FillAsync($"{vendor}=1");
        await page.Locator("form[action='/planning/scenarios'] button[type=submit]").ClickAsync();
        await page.WaitForUrlAsync("**/planning?scenario=*", SlowPageMs);

        // The scenario is compared with the baseline on the same page: the nation's band moved, and the chart shows both.
        var compared = page.Locator("[data-scenario]");
        Assert.Equal("最大ベンダの能力を月1件に", await compared.GetAttributeAsync("data-scenario"));
        var bands = compared.Locator("[data-p50]");
        Assert.Equal(2, await bands.CountAsync());
        var scenarioText = await compared.InnerTextAsync();
        output.WriteLine(scenarioText);
        var scenarioNation = await compared.Locator("span[data-p50] ~ span.muted").First.InnerTextAsync();
        var baselineShown = await compared.Locator("span[data-p50] ~ span.muted").Nth(1).InnerTextAsync();
        Assert.True(await bands.Nth(0).InnerTextAsync() + scenarioNation != await bands.Nth(1).InnerTextAsync() + baselineShown,
            $"the scenario did not move the nation's band: {scenarioText}");
        Assert.Equal(1, await page.Locator("[data-band=scenario]").CountAsync());
        Assert.Equal(1, await page.Locator("[data-band=baseline]").CountAsync());

        // The same through the API: the comparison's nation differs from the baseline.
        using var client = fixture.CreateHttpClient();
        client.Timeout = TimeSpan.FromMinutes(10);
        var comparison = JsonDocument.Parse(await client.GetStringAsync("/api/v1/scenarios/" + Uri.EscapeDataString("最大ベンダの能力を月1件に"))).RootElement;
        Assert.NotEqual(comparison.GetProperty("nation").GetProperty("baseline").ToString(), comparison.GetProperty("nation").GetProperty("scenario").ToString());
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task Planning_pages_have_no_violations(string language)
    {
        await WarmAsync();
        var found = new List<string>();
        await using var context = await fixture.NewContextAsync(language, user: TestUser.National);
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(SlowPageMs);

        // A scenario to show on the forecast page (its own per language: the name is free).
        await page.GotoAsync(Url("/planning/scenarios"));
        await page.AxeCheckAsync($"{language} national: /planning/scenarios", found, output);
        await page.Locator("#name").FillAsync($"a11y-{language}");
        await page.Locator("#unreportedRate").FillAsync("0.05");
        await page.Locator("form[action='/planning/scenarios'] button[type=submit]").ClickAsync();
        await page.WaitForUrlAsync("**/planning?scenario=*", SlowPageMs);
        await page.AxeCheckAsync($"{language} national: /planning?scenario=a11y-{language}", found, output);

        // The editor refusing input (the messages at the top).
        await page.GotoAsync(Url("/planning/scenarios"));
        await page.Locator("#unreportedRate").FillAsync("2");
        await page.NavigateAsync(() => page.Locator("form[action='/planning/scenarios'] button[type=submit]").ClickAsync());
        await page.AxeCheckAsync($"{language} national: /planning/scenarios refused", found, output);

        foreach (var path in new[] { "/planning", "/planning/prefectures/13", $"/planning/municipalities/{Chiyoda}", "/planning/vendors", "/planning/vendors/13", "/planning/vendors/99" })
        {
            await page.GotoAsync(Url(path));
            await page.AxeCheckAsync($"{language} national: {path}", found, output);
        }

        // A municipality's own staff: its forecast and the summaries.
        await using var own = await fixture.NewContextAsync(language, user: TestUser.Municipality(Chiyoda));
        var mine = await own.NewPageAsync();
        mine.SetDefaultTimeout(SlowPageMs);
        foreach (var path in new[] { $"/planning/municipalities/{Chiyoda}", "/planning/vendors/13" })
        {
            await mine.GotoAsync(Url(path));
            await mine.AxeCheckAsync($"{language} municipality {Chiyoda}: {path}", found, output);
        }

        Assert.True(found.Count == 0, string.Join('\n', found));
    }

}
