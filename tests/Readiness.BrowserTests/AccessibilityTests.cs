using Deque.AxeCore.Commons;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Readiness.BrowserTests;

/// <summary>
/// WCAG 2.1 level A and AA (JIS X 8341-3:2016) as a test: axe-core (Deque.AxeCore.Playwright, the engine vendored in
/// the package) on every page of the dashboard in Japanese and English, signed in and not, with the edit forms open
/// and in their error state, the sign-in page with its error, and the 403 and 404 pages; zero violations. Each page's
/// count is printed, so a run shows what was checked.
/// </summary>
public sealed class AccessibilityTests(DashboardFixture fixture, ITestOutputHelper output) : IClassFixture<DashboardFixture>
{
    private const string Chiyoda = "131016";
    private const string Osaka = "271004";

    /// <summary>
    /// The WCAG 2.0/2.1 A and AA rules. label-content-name-mismatch (2.5.3 Label in Name) is marked experimental in
    /// axe-core and so off unless named: it is the rule the prefecture tiles broke, so it is on.
    /// </summary>
    public static AxeRunOptions Wcag21AA() => new()
    {
        RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
        Rules = new Dictionary<string, RuleOptions> { ["label-content-name-mismatch"] = new() { Enabled = true } },
    };

    private string Url(string path) => new Uri(fixture.BaseAddress, path).ToString();

    public static IEnumerable<object[]> Languages => [["ja"], ["en"]];

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task Signed_out_pages_have_no_violations(string language)
    {
        var found = new List<string>();
        await using var context = await fixture.NewAnonymousContextAsync(language);
        var page = await context.NewPageAsync();

        await page.GotoAsync(Url("/"));
        Assert.Equal("/signin", new Uri(page.Url).AbsolutePath);
        await page.AxeCheckAsync($"{language} signed out: /signin (from /)", found, output);

        // The sign-in page with its error (a bad token): message, field marked, focus on it.
        await page.Locator("#token").FillAsync("not-a-token");
        await page.Locator("form[action='/auth/local/signin'] button[type=submit]").ClickAsync();
        await page.WaitForUrlAsync("**/signin?error=invalid_token*");
        await page.AxeCheckAsync($"{language} signed out: /signin with an invalid token", found, output);

        Assert.True(found.Count == 0, string.Join('\n', found));
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task National_pages_have_no_violations(string language)
    {
        var found = new List<string>();
        await using var context = await fixture.NewContextAsync(language, user: TestUser.National);
        var page = await context.NewPageAsync();
        foreach (var path in new[] { "/", "/?metric=security", "/prefectures/13", "/prefectures/13?flag=overdue", "/prefectures/47", $"/municipalities/{Chiyoda}", $"/municipalities/{Chiyoda}/history", $"/municipalities/{Chiyoda}/history?cursor=nope", "/prefectures/13/changes", "/changes", "/changes?cursor=nope", "/municipalities/999999", "/no-such-page", "/planning" })
        {
            await page.GotoAsync(Url(path));
            await page.AxeCheckAsync($"{language} national: {path}", found, output);
        }

        Assert.True(found.Count == 0, string.Join('\n', found));
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task Prefecture_staff_pages_have_no_violations(string language)
    {
        var found = new List<string>();
        await using var context = await fixture.NewContextAsync(language, user: TestUser.Prefecture("13"));
        var page = await context.NewPageAsync();
        foreach (var path in new[] { "/", "/prefectures/13", "/prefectures/13/changes", "/prefectures/13/systems/history", "/prefectures/13/systems/history?cursor=nope", $"/municipalities/{Chiyoda}", $"/municipalities/{Osaka}" })
        {
            await page.GotoAsync(Url(path));
            await page.AxeCheckAsync($"{language} prefecture 13: {path}", found, output);
        }

        Assert.True(found.Count == 0, string.Join('\n', found));
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task Municipal_staff_pages_with_their_edit_forms_and_errors_have_no_violations(string language)
    {
        var found = new List<string>();
        var code = language == "ja" ? Chiyoda : "131024"; // each language its own municipality: the forms below change data
        await using var context = await fixture.NewContextAsync(language, user: TestUser.Municipality(code));
        var page = await context.NewPageAsync();

        // Every edit form open (closed <details> are not rendered, so axe would skip them).
        await page.GotoAsync(Url($"/municipalities/{code}"));
        Assert.Equal(67, await page.Locator("form[data-edit-form]").CountAsync());
        await page.EvaluateAsync("() => document.querySelectorAll('details').forEach(d => d.open = true)");
        await page.AxeCheckAsync($"{language} municipality {code}: /municipalities/{code} with all 67 forms open", found, output);

        // A rule broken (a phase moved back without a reason): the form comes back with the message by the field (422).
        await page.GotoAsync(Url($"/municipalities/{code}"));
        await OpenAsync(page, "#edit-system-koseki");
        var form = page.Locator("form[data-edit-form='system:koseki']");
        await form.Locator("select[name=phase]").SelectOptionAsync("in_production");
        await page.NavigateAsync(() => form.Locator("button[type=submit]").ClickAsync());
        await OpenAsync(page, "#edit-system-koseki"); // a saved form comes back open; open it either way
        form = page.Locator("form[data-edit-form='system:koseki']");
        await form.Locator("select[name=phase]").SelectOptionAsync("not_started");
        var refused = await page.NavigateAsync(() => form.Locator("button[type=submit]").ClickAsync());
        Assert.Equal(422, refused.Status);
        await page.AxeCheckAsync($"{language} municipality {code}: edit form refused (422, field error)", found, output);

        // Someone else saved the same item first: the form comes back with the person's input and the conflict message
        // (409). A save from an older version of an item nobody changed since is applied instead, so the item is saved
        // once first and the form then sent from the version before that save.
        await page.GotoAsync(Url($"/municipalities/{code}"));
        await OpenAsync(page, "#edit-security-SEC-1-01");
        var item = page.Locator("form[data-edit-form='security:SEC-1-01']");
        await item.Locator("select[name=status]").SelectOptionAsync(language == "ja" ? "implemented" : "not_implemented"); // a change in each run
        var saved = await page.NavigateAsync(() => item.Locator("button[type=submit]").ClickAsync());
        Assert.Equal(303, saved.Status); // saved, and redirected to the page
        await page.GotoAsync(Url($"/municipalities/{code}"));
        await OpenAsync(page, "#edit-security-SEC-1-01");
        item = page.Locator("form[data-edit-form='security:SEC-1-01']");
        await item.Locator("input[name=version]").EvaluateAsync("(e) => e.value = String(Number(e.value) - 1)");
        await item.Locator("select[name=status]").SelectOptionAsync("partial");
        var conflict = await page.NavigateAsync(() => item.Locator("button[type=submit]").ClickAsync());
        Assert.Equal(409, conflict.Status);
        await page.AxeCheckAsync($"{language} municipality {code}: edit form conflict (409)", found, output);

        // Another municipality's page: the 403 page.
        var denied = await page.GotoAsync(Url($"/municipalities/{Osaka}"));
        Assert.Equal(403, denied!.Status);
        await page.AxeCheckAsync($"{language} municipality {code}: /municipalities/{Osaka} (403)", found, output);

        await page.GotoAsync(Url("/"));
        await page.AxeCheckAsync($"{language} municipality {code}: /", found, output);

        Assert.True(found.Count == 0, string.Join('\n', found));
    }

    private static async Task OpenAsync(IPage page, string details) => await page.Locator(details).EvaluateAsync("d => { for (let e = d; e; e = e.parentElement && e.parentElement.closest('details')) e.open = true; }");

}
