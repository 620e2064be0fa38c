using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Readiness.BrowserTests;

/// <summary>
/// The main task by keyboard alone (WCAG 2.1.1 Keyboard, 2.4.7 Focus Visible): sign in, find a municipality from the
/// overview through its prefecture, report a change; only Tab, Enter and typing. Every element Tab reaches on the way
/// must show where the focus is (a computed outline or ring, or the tile's thick border).
/// </summary>
public sealed class KeyboardTests(DashboardFixture fixture, ITestOutputHelper output) : IClassFixture<DashboardFixture>
{
    private const int MaxTabs = 400;

    /// <summary>What the focused element shows: its computed outline, box shadow, or (a prefecture tile) the stroke of its square.</summary>
    private const string FocusScript = """
        (selector) => {
          const el = document.activeElement;
          if (!el || el === document.body) return { none: true };
          const s = getComputedStyle(el);
          const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
          const shadow = s.boxShadow !== 'none' && s.boxShadow !== '';
          let stroke = false;
          const rect = el.matches('.tile') ? el.querySelector('rect') : null;
          if (rect) { const r = getComputedStyle(rect); stroke = r.stroke !== 'none' && parseFloat(r.strokeWidth) >= 3; }
          const name = (el.getAttribute('aria-label') || el.textContent || el.getAttribute('name') || '').trim().slice(0, 40);
          return { none: false, visible: outline || shadow || stroke, matches: el.matches(selector),
                   what: `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} "${name}" outline=${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor} shadow=${s.boxShadow}${rect ? ' stroke=' + getComputedStyle(rect).strokeWidth : ''}` };
        }
        """;

    private string Url(string path) => new Uri(fixture.BaseAddress, path).ToString();

    [Theory]
    [InlineData("ja", "131016", "千代田区")]
    [InlineData("en", "131024", "Chuo")]
    public async Task Sign_in_find_a_municipality_and_report_a_change_with_the_keyboard_and_visible_focus(string language, string code, string _)
    {
        var invisible = new List<string>();
        var stops = 0;
        await using var context = await fixture.NewAnonymousContextAsync(language);
        var page = await context.NewPageAsync();
        var watch = PageWatch.Attach(page, fixture.BaseAddress);

        // Sign in: the overview sends a visitor to the sign-in page and back.
        await page.GotoAsync(Url("/"));
        Assert.Equal("/signin", new Uri(page.Url).AbsolutePath);
        stops += await TabToAsync(page, "#token", invisible);
        await page.Keyboard.InsertTextAsync(fixture.Token(TestUser.Municipality(code)));
        stops += await TabToAsync(page, "form[action='/auth/local/signin'] button[type=submit]", invisible);
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForUrlAsync(Url("/"));
        await Assertions.Expect(page.Locator("[data-signed-in]")).ToBeVisibleAsync();

        // Find the municipality: the prefecture's tile on the overview, then its row on the prefecture page.
        stops += await TabToAsync(page, "a.tile[data-pref='13']", invisible);
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForUrlAsync(Url("/prefectures/13"));
        stops += await TabToAsync(page, $"a[href='/municipalities/{code}']", invisible);
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForUrlAsync(Url($"/municipalities/{code}"));

        // Report a change: open the business system's form, type the vendor, submit with Enter.
        var version = long.Parse(await page.Locator("form[data-edit-form='system:koseki'] input[name=version]").InputValueAsync(), System.Globalization.CultureInfo.InvariantCulture);
        stops += await TabToAsync(page, "#edit-system-koseki > summary", invisible);
        await page.Keyboard.PressAsync("Enter");
        stops += await TabToAsync(page, "#sys-koseki-vendor", invisible);
        await page.Keyboard.PressAsync("Control+A");
        await page.Keyboard.InsertTextAsync(language == "ja" ? "キーボード操作株式会社" : "Keyboard Only Ltd");
        stops += await TabToAsync(page, "form[data-edit-form='system:koseki'] button[type=submit]", invisible);
        var saved = await page.RunAndWaitForResponseAsync(() => page.Keyboard.PressAsync("Enter"), r => r.Request.Method == "POST");
        Assert.True(saved.Status is 200 or 302 or 303, $"save answered {saved.Status}");
        await Assertions.Expect(page.Locator("#edit-system-koseki [data-saved]")).ToContainTextAsync(language == "ja" ? $"版 {version + 1}" : $"version {version + 1}");
        Assert.Contains(language == "ja" ? "キーボード操作株式会社" : "Keyboard Only Ltd", await page.Locator("#systems-table tr[data-business='koseki']").InnerTextAsync(), StringComparison.Ordinal);

        output.WriteLine($"{language}: {stops} Tab stops from sign-in to a saved report, {invisible.Count} without a visible focus indicator");
        Assert.True(invisible.Count == 0, "Focus not visible on:\n" + string.Join('\n', invisible.Distinct()));
        watch.AssertClean();
    }

    /// <summary>Presses Tab until the focus is on <paramref name="selector"/>; records every stop whose focus cannot be seen. Returns the number of presses.</summary>
    private static async Task<int> TabToAsync(IPage page, string selector, List<string> invisible)
    {
        for (var presses = 1; presses <= MaxTabs; presses++)
        {
            await page.Keyboard.PressAsync("Tab");
            var focus = await page.EvaluateAsync<JsonElement>(FocusScript, selector);
            if (focus.GetProperty("none").GetBoolean())
            {
                continue;
            }

            if (!focus.GetProperty("visible").GetBoolean())
            {
                invisible.Add($"{new Uri(page.Url).PathAndQuery}: {focus.GetProperty("what").GetString()}");
            }

            if (focus.GetProperty("matches").GetBoolean())
            {
                return presses;
            }
        }

        throw new Xunit.Sdk.XunitException($"{selector} not reached by {MaxTabs} presses of Tab on {page.Url}");
    }
}
