using System.Net;
using System.Text.RegularExpressions;
using Readiness.Testing;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A page that shows posted input again (a form refused with 409/422, the language switch's kept work, a 413) never
/// embeds more than the form accepts (a breaker's finding: the preview's language switch posted with a 2.9 MB
/// "content" was refused 413, and the 413 page embedded the content again: 4 MB of HTML). A post refused as too large
/// keeps nothing and says so in Japanese and English.
/// </summary>
public sealed partial class RefusedInputEchoTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string NotKeptJa = "保持も再表示もしていません";
    private const string NotKeptEn = "neither kept nor shown again";

    [Fact]
    public async Task A_language_switch_post_past_the_file_limit_is_a_small_413_page_that_says_nothing_was_kept()
    {
        const string M = ApiHost.Osaka;
        using var client = host.Municipality(M);
        var template = await TemplateRequests.DownloadAsync(client, M);
        using var form = await FormSession.SignInAsync(host, M, "echo.limit@city.osaka.lg.jp");
        using var preview = await form.UploadAsync(M, $"/municipalities/{M}/template", template, "kept.xlsx");
        var html = await preview.Content.ReadAsStringAsync();
        Assert.True(preview.StatusCode == HttpStatusCode.OK, html);

        // The switch form's kept file swapped for 2.9 MB of base64 (2.2 MB decoded: past the template's 2 MB).
        var big = Convert.ToBase64String(new byte[2_200_000]);
        var crafted = ContentValue().Replace(html, $"name=\"content\" value=\"{big}\"");
        using var switched = await form.SubmitHiddenAsync(crafted, $"/municipalities/{M}/template?language=en");
        var page = await switched.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, switched.StatusCode);
        Assert.True(page.Length < 100_000, $"the 413 page is {page.Length} characters");
        Assert.DoesNotContain("id=\"language-switch\"", page, StringComparison.Ordinal);
        Assert.Contains(NotKeptJa, page, StringComparison.Ordinal);
        Assert.Contains(NotKeptEn, page, StringComparison.Ordinal);
    }

    /// <summary>100,000 characters (900 KB as sent, 300 KB as text): shown twice (the field and the switch) before.</summary>
    [Fact]
    public async Task A_form_post_past_the_form_limit_is_a_small_413_page_not_its_input_shown_twice()
    {
        const string M = ApiHost.Chiyoda;
        using var form = await FormSession.SignInAsync(host, M, "echo.form@city.chiyoda.lg.jp");
        var html = await form.PageAsync(M);
        var businessId = Regex.Match(html, $"action=\"/municipalities/{M}/systems/([a-z_]+)\"").Groups[1].Value;
        var (status, page) = await form.PostAsync(M, $"/municipalities/{M}/systems/{businessId}",
            new Dictionary<string, string> { ["vendor"] = new string('あ', 100_000) });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.True(page.Length < 100_000, $"the page is {page.Length} characters");
        Assert.Contains(NotKeptJa, page, StringComparison.Ordinal);
        Assert.Contains(NotKeptEn, page, StringComparison.Ordinal);
    }

    [GeneratedRegex("name=\"content\" value=\"[^\"]*\"")]
    private static partial Regex ContentValue();
}
