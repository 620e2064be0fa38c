using System.Globalization;
using Microsoft.Playwright;
using Readiness.Catalog;
using Readiness.Grains;
using Readiness.Rules;
using Readiness.Testing;
using Xunit.Abstractions;

namespace Readiness.BrowserTests;

/// <summary>
/// The /imports page in a real browser: a national user uploads a month's MIC workbook (generated here in the official
/// layout, with one municipality that does not exist), sees what would change and the row that did not match, applies
/// it, and the overview then shows the imported national figure (equal to a recomputation over every grain). axe-core
/// WCAG 2.1 A/AA on the list, the refusal, the preview and the applied result, in Japanese and English: 0 violations.
/// </summary>
public sealed class ImportPageTests(DashboardFixture fixture, ITestOutputHelper output) : IClassFixture<DashboardFixture>
{
    private string Url(string path) => new Uri(fixture.BaseAddress, path).ToString();

    /// <summary>MIC's tally for February 2026: every municipality one step further than its baseline, plus 架空村.</summary>
    private static byte[] Workbook(Func<string, bool>? include = null)
    {
        var catalog = ReadinessCatalog.Instance;
        var labels = catalog.BusinessSystems.Select(b => b.SoumuLabel).ToList();
        var rows = new List<MicRow>();
        foreach (var m in catalog.Municipalities.Where(m => include?.Invoke(m.Code) ?? true))
        {
            var steps = catalog.BaselineSteps[m.Code];
            rows.Add(new MicRow(catalog.PrefecturesByCode[m.PrefectureCode].Name, m.Name,
                catalog.BusinessSystems.Select((b, i) => (b.SoumuLabel, Math.Min(1m, steps[i] + 0.025m))).ToDictionary(x => x.SoumuLabel, x => x.Item2)));
            if (m.Code == "011002" || (include is not null && rows.Count == 1))
            {
                rows.Add(new MicRow(catalog.PrefecturesByCode[m.PrefectureCode].Name, "架空村", rows[^1].Rates));
            }
        }

        return OfficialWorkbooks.MicProgress("令和8年2月_進捗状況", labels, rows);
    }

    private static FilePayload Xlsx(byte[] bytes, string name = "令和8年2月_進捗状況.xlsx") =>
        new() { Name = name, MimeType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Buffer = bytes };

    [Fact]
    public async Task A_national_user_imports_a_month_sees_what_changes_and_what_did_not_match_applies_and_the_overview_shows_it()
    {
        var found = new List<string>();
        await using var context = await fixture.NewContextAsync("ja", user: TestUser.National);
        var page = await context.NewPageAsync();
        await WaitForNationAsync();

        await page.GotoAsync(Url("/imports"));
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("公式データの取込み");
        await page.AxeCheckAsync("ja /imports", found, output);

        await page.Locator("#import-file").SetInputFilesAsync(Xlsx(Workbook()));
        await page.Locator("form[data-form='import-upload'] button[type=submit]").ClickAsync();
        await page.WaitForUrlAsync("**/imports/*", 120_000);
        var id = new Uri(page.Url).AbsolutePath.Split('/')[^1];
        Assert.Equal(64, id.Length);

        // The preview: counts, what changes, every unmatched row with its reason; nothing applied yet.
        Assert.Equal("1,741", (await page.Locator("[data-count='matched']").TextContentAsync())?.Trim());
        // Every municipality with a system below 40 of 40 moves one step; those already all at 40 stay as they are.
        var catalog = ReadinessCatalog.Instance;
        var moving = catalog.Municipalities.Count(m => catalog.BaselineSteps[m.Code].Any(s => s < 1m));
        Assert.Equal(moving.ToString("N0", CultureInfo.InvariantCulture), (await page.Locator("[data-count='municipalities-changed']").TextContentAsync())?.Trim());
        var unmatched = page.Locator("#import-unmatched tbody tr");
        Assert.Equal(1, await unmatched.CountAsync());
        Assert.Contains("架空村", await unmatched.First.TextContentAsync(), StringComparison.Ordinal);
        Assert.Contains("一致する市区町村がありません", await unmatched.First.TextContentAsync(), StringComparison.Ordinal);
        Assert.Equal(200, await page.Locator("#import-changes tbody tr").CountAsync());
        Assert.Equal(0, (await fixture.Host.Grains.GetGrain<IMunicipalityGrain>("012025").GetAsync()).Version);
        await page.AxeCheckAsync("ja /imports/{id} preview", found, output);

        await page.Locator("form[data-form='import-apply'] button[type=submit]").ClickAsync(new LocatorClickOptions { Timeout = 120_000 });
        await Assertions.Expect(page.Locator("[data-applied]")).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 120_000 });
        Assert.Contains("national@digital.go.jp", await page.Locator("[data-applied]").TextContentAsync(), StringComparison.Ordinal);
        await page.AxeCheckAsync("ja /imports/{id} applied", found, output);

        // The list names the version: source, as-of, file, hash, who applied it.
        await page.GotoAsync(Url("/imports"));
        var line = page.Locator($"tr[data-import='{id}']");
        Assert.Contains("2026/02/28", await line.TextContentAsync(), StringComparison.Ordinal);
        Assert.Contains("national@digital.go.jp", await line.Locator("[data-applied]").TextContentAsync(), StringComparison.Ordinal);

        // The overview shows the imported national figure: equal to a recomputation over every municipality.
        var expected = await RecomputedMigratedAsync();
        await page.GotoAsync(Url("/"));
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while ((await page.Locator("[data-figure='migratedSystems']").First.GetAttributeAsync("data-value")) != expected.ToString(CultureInfo.InvariantCulture))
        {
            Assert.True(DateTime.UtcNow < deadline, $"The overview did not show {expected} migrated systems.");
            await Task.Delay(1000);
            await page.ReloadAsync();
        }

        Assert.Equal(expected.ToString("N0", CultureInfo.InvariantCulture), (await page.Locator("[data-figure='migratedSystems']").First.TextContentAsync())?.Trim());
        output.WriteLine($"imported {id[..12]}: the overview shows {expected} migrated systems");

        // The sources and as-of day stand next to the figures: the overview's sources name the dataset applied, and a
        // municipality's page names it beside its step completion, with who applied it; the designation list is still the baseline's.
        var sources = page.Locator("section.sources");
        await Assertions.Expect(sources).ToContainTextAsync("2026-02-28");
        await Assertions.Expect(sources).ToContainTextAsync("national@digital.go.jp");
        await page.GotoAsync(Url("/municipalities/012025"));
        var stepSource = page.Locator("#official-sources [data-layer='step_completion']");
        Assert.Equal("2026-02-28", (await stepSource.Locator(".source-as-of").TextContentAsync())?.Trim());
        Assert.Contains("national@digital.go.jp", await stepSource.TextContentAsync(), StringComparison.Ordinal);
        Assert.Equal("2025-12-31", (await page.Locator("#official-sources [data-layer='designation'] .source-as-of").TextContentAsync())?.Trim());
        Assert.Contains("2026-02-28", await page.Locator("#systems-table tbody tr").First.TextContentAsync(), StringComparison.Ordinal);
        await page.AxeCheckAsync("ja /municipalities/012025 after an import", found, output);
        Assert.True(found.Count == 0, string.Join('\n', found));
    }

    public static IEnumerable<object[]> Languages => [["ja"], ["en"]];

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task The_imports_pages_have_no_violations_with_a_refusal_and_a_preview(string language)
    {
        var found = new List<string>();
        await using var context = await fixture.NewContextAsync(language, user: TestUser.National);
        var page = await context.NewPageAsync();
        await WaitForNationAsync();

        await page.GotoAsync(Url("/imports"));
        await page.AxeCheckAsync($"{language} /imports", found, output);

        // A macro-enabled workbook is refused: the page again with the message, nothing imported.
        await page.Locator("#import-file").SetInputFilesAsync(Xlsx(Workbook(c => c.StartsWith("13", StringComparison.Ordinal)), "progress.xlsm"));
        var refused = await page.NavigateAsync(() => page.Locator("form[data-form='import-upload'] button[type=submit]").ClickAsync());
        Assert.Equal(400, refused.Status);
        Assert.Equal("macro_enabled", await page.Locator("[data-import-errors] li").First.GetAttributeAsync("data-code"));
        await page.AxeCheckAsync($"{language} /imports refused (macro-enabled)", found, output);

        // Tokyo's rows only (a different file per language): the preview with its unmatched row.
        await page.GotoAsync(Url("/imports"));
        await page.Locator("#import-file").SetInputFilesAsync(Xlsx(Workbook(c => c.StartsWith(language == "ja" ? "13" : "27", StringComparison.Ordinal))));
        await page.Locator("form[data-form='import-upload'] button[type=submit]").ClickAsync();
        await page.WaitForUrlAsync("**/imports/*", 60_000);
        Assert.Equal(1, await page.Locator("#import-unmatched tbody tr").CountAsync());
        await page.AxeCheckAsync($"{language} /imports/{{id}} preview", found, output);

        Assert.True(found.Count == 0, string.Join('\n', found));
    }

    private async Task WaitForNationAsync()
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while ((await fixture.Host.Grains.GetGrain<INationGrain>(INationGrain.NationKey).GetAsync()).Figures.Municipalities != ReadinessCatalog.ExpectedMunicipalities)
        {
            Assert.True(DateTime.UtcNow < deadline, "The nation did not fill.");
            await Task.Delay(250);
        }
    }

    /// <summary>Waits until the nation grain equals a recomputation over every municipality's record; its migrated count.</summary>
    private async Task<long> RecomputedMigratedAsync()
    {
        var catalog = ReadinessCatalog.Instance;
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var records = await Task.WhenAll(catalog.Municipalities.Select(m => fixture.Host.Grains.GetGrain<IMunicipalityGrain>(m.Code).GetAsync()));
            var expected = Aggregation.Sum(records.Select(r => ReadinessRules.Summarize(r, ReadinessRules.TodayInJapan(DateTimeOffset.UtcNow))));
            var nation = await fixture.Host.Grains.GetGrain<INationGrain>(INationGrain.NationKey).GetAsync();
            if (nation.Figures.SameAs(expected))
            {
                return expected.MigratedSystems;
            }

            Assert.True(DateTime.UtcNow < deadline, "The nation did not reach the recomputation.");
            await Task.Delay(500);
        }
    }

}
