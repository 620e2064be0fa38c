using Microsoft.Playwright;
using Readiness.Grains;
using Readiness.Rules;

namespace Readiness.BrowserTests;

/// <summary>
/// A text field's limit is counted as the server counts it, in characters (code points): HTML maxlength counts UTF-16
/// units, so a vendor field with maxlength 100 stopped at 50 emoji while the server takes 100. The fields have no
/// maxlength: typing the server's limit of emoji is taken whole and saved, one more is typed too and refused with the
/// field's 422 message (and the page's counter shows the count in characters).
/// </summary>
public sealed class FieldLimitBrowserTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    private const string Emoji = "😀"; // U+1F600: one character, two UTF-16 units

    private string Url(string path) => new Uri(fixture.BaseAddress, path).ToString();

    [Fact]
    public async Task A_vendor_of_the_limit_in_emoji_is_typed_whole_and_saved_and_one_more_is_refused_with_the_vendor_s_422()
    {
        var (code, businessId) = await FindSystemAsync("39");
        await using var staff = await fixture.NewContextAsync(user: TestUser.Municipality(code));
        var page = await staff.NewPageAsync();
        await page.GotoAsync(Url($"/municipalities/{code}"));

        var limit = ChangeRules.MaxVendorLength;
        var status = await TypeAndSaveAsync(page, $"#edit-system-{businessId}", $"#sys-{businessId}-vendor", limit);
        Assert.Equal(303, status);
        var record = await fixture.Host.Grains.GetGrain<IMunicipalityGrain>(code).GetAsync();
        Assert.Equal(string.Concat(Enumerable.Repeat(Emoji, limit)), record.FindSystem(businessId)!.Vendor);

        await page.GotoAsync(Url($"/municipalities/{code}"));
        status = await TypeAndSaveAsync(page, $"#edit-system-{businessId}", $"#sys-{businessId}-vendor", limit + 1);
        Assert.Equal(422, status);
        await Assertions.Expect(page.Locator($"#sys-{businessId}-vendor-error")).ToContainTextAsync($"{limit}文字以内");
        await Assertions.Expect(page.Locator($"#sys-{businessId}-vendor-error")).ToContainTextAsync($"{limit + 1}文字");
    }

    [Fact]
    public async Task Evidence_of_the_limit_in_emoji_is_typed_whole_and_saved_and_one_more_is_refused_with_the_evidence_s_422()
    {
        const string code = "392014"; // 高知市
        const string item = "SEC-2-01";
        await using var staff = await fixture.NewContextAsync(user: TestUser.Municipality(code));
        var page = await staff.NewPageAsync();
        await page.GotoAsync(Url($"/municipalities/{code}"));

        var limit = ChangeRules.MaxEvidenceLength;
        await OpenAsync(page, $"#edit-security-{item}");
        await page.Locator($"#sec-{item}-status").SelectOptionAsync("implemented");
        var status = await TypeAndSaveAsync(page, $"#edit-security-{item}", $"#sec-{item}-evidence", limit);
        Assert.Equal(303, status);
        var record = await fixture.Host.Grains.GetGrain<IMunicipalityGrain>(code).GetAsync();
        Assert.Equal(string.Concat(Enumerable.Repeat(Emoji, limit)), record.FindSecurityItem(item)!.Evidence);

        await page.GotoAsync(Url($"/municipalities/{code}"));
        status = await TypeAndSaveAsync(page, $"#edit-security-{item}", $"#sec-{item}-evidence", limit + 1);
        Assert.Equal(422, status);
        await Assertions.Expect(page.Locator($"#sec-{item}-evidence-error")).ToContainTextAsync($"{limit}文字以内");
    }

    [Fact]
    public async Task A_scenario_name_of_the_limit_in_emoji_is_typed_whole_and_one_more_is_refused_with_the_name_s_422()
    {
        await using var context = await fixture.NewContextAsync("ja", user: TestUser.National);
        var page = await context.NewPageAsync();
        var limit = Readiness.Planning.ScenarioRules.MaxNameLength;

        await page.GotoAsync(Url("/planning/scenarios"));
        await TypeAsync(page, "#name", limit + 1);
        var refused = await page.RunAndWaitForResponseAsync(
            () => page.Locator("form[action='/planning/scenarios'] button[type=submit]").ClickAsync(), r => r.Request.Method == "POST");
        Assert.Equal(422, refused.Status);
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync($"1〜{limit}文字");

        await page.GotoAsync(Url("/planning/scenarios"));
        await TypeAsync(page, "#name", limit);
        var saved = await page.RunAndWaitForResponseAsync(
            () => page.Locator("form[action='/planning/scenarios'] button[type=submit]").ClickAsync(), r => r.Request.Method == "POST");
        Assert.Equal(303, saved.Status);
    }

    /// <summary>
    /// The counter counts what the server counts (a breaker's finding, round 46): a vendor is stored NFKC, so ㈱ is
    /// (株), three characters; ㈱ and 98 あ showed 99 / 100 and the save was refused for 101. Now 101 / 100, over, before
    /// any send; and a reason counts trimmed, as stored.
    /// </summary>
    [Fact]
    public async Task The_counter_counts_a_vendor_after_nfkc_as_the_server_does()
    {
        var (code, businessId) = await FindSystemAsync("40");
        await using var staff = await fixture.NewContextAsync(user: TestUser.Municipality(code));
        var page = await staff.NewPageAsync();
        await page.GotoAsync(Url($"/municipalities/{code}"));
        await OpenAsync(page, $"#edit-system-{businessId}");
        var vendor = page.Locator($"#sys-{businessId}-vendor");
        var typed = "㈱" + new string('あ', 98);
        await vendor.FillAsync(typed);
        Assert.Equal(ChangeRules.MaxVendorLength + 1, FreeText.Characters(FreeText.Identifier(typed)));
        var count = page.Locator($"#sys-{businessId}-vendor + .char-count");
        await Assertions.Expect(count).ToHaveTextAsync($"101 / {ChangeRules.MaxVendorLength}");
        await Assertions.Expect(count).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bover\b"));

        // Full-width spaces around and inside collapse as stored: "　ＮＥＣ　　東京　" is "NEC 東京", 6 characters.
        await vendor.FillAsync("　ＮＥＣ　　東京　");
        await Assertions.Expect(count).ToHaveTextAsync($"6 / {ChangeRules.MaxVendorLength}");
    }

    /// <summary>Opens the form's details, types <paramref name="count"/> emoji into the field and sends the form: the answer's status.</summary>
    private static async Task<int> TypeAndSaveAsync(IPage page, string details, string field, int count)
    {
        await OpenAsync(page, details);
        await TypeAsync(page, field, count);
        var response = await page.RunAndWaitForResponseAsync(
            () => page.Locator($"{details} button[type=submit]").ClickAsync(), r => r.Request.Method == "POST");
        return response.Status;
    }

    /// <summary>Opens the form's details and those around it (a checklist item's chapter), as a person does by clicking.</summary>
    private static async Task OpenAsync(IPage page, string details) => await page.Locator(details).EvaluateAsync(
        "e => { for (let d = e.closest('details'); d; d = d.parentElement && d.parentElement.closest('details')) d.open = true; }");

    /// <summary>Types the emoji as a person does (the browser's text input, which maxlength would cut), then checks all were taken and counted.</summary>
    private static async Task TypeAsync(IPage page, string field, int count)
    {
        var input = page.Locator(field);
        await input.FillAsync(string.Empty);
        await input.FocusAsync();
        await page.Keyboard.InsertTextAsync(string.Concat(Enumerable.Repeat(Emoji, count)));
        Assert.Equal(count, await input.EvaluateAsync<int>("e => Array.from(e.value).length"));
        await Assertions.Expect(page.Locator($"{field} + .char-count")).ToContainTextAsync($"{count.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} / ");
    }

    private async Task<(string Code, string BusinessId)> FindSystemAsync(string prefecture)
    {
        foreach (var m in Readiness.Catalog.ReadinessCatalog.Instance.MunicipalitiesByPrefecture[prefecture].Skip(1))
        {
            var record = await fixture.Host.Grains.GetGrain<IMunicipalityGrain>(m.Code).GetAsync();
            if (record.Systems.FirstOrDefault(s => !s.NotApplicable && !s.Designated && s.RegressionReason is null) is { } found)
            {
                return (m.Code, found.BusinessId);
            }
        }

        throw new InvalidOperationException($"No matching system in prefecture {prefecture}.");
    }
}
