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

    /// <summary>
    /// A breaker's finding: a 200 KiB vendor name (under the form's 256 KiB) refused with 422 was shown twice, in the
    /// field and in the language switch's hidden copy: a 722 KB page. Each value is cut to its field's limit plus one
    /// (still refused for its length when the switch sends it back), a field without a limit of its own to 100
    /// characters, kept rather than dropped; on the municipality's system and checklist forms and the prefecture's.
    /// </summary>
    [Theory]
    [InlineData("municipality", "system", "vendor", 101)]
    [InlineData("municipality", "security", "evidence", 1001)]
    [InlineData("prefecture", "system", "vendor", 101)]
    public async Task A_422_form_shows_each_value_again_cut_to_its_field_s_limit(string owner, string kind, string field, int shown)
    {
        var prefecture = owner == "prefecture";
        var code = prefecture ? "27" : ApiHost.Chuo;
        using var form = prefecture
            ? await FormSession.SignInPrefectureAsync(host, code, $"echo.cut.{kind}@pref.osaka.lg.jp")
            : await FormSession.SignInAsync(host, code, $"echo.cut.{kind}@city.chuo.lg.jp");
        var before = await form.PageAsync(code);
        var segment = kind == "system" ? "systems" : "security";
        var action = prefecture
            ? $"/prefectures/{code}/systems/public_assistance"
            : Regex.Match(before, $"action=\"(/municipalities/{code}/{segment}/[^\"]+)\"").Groups[1].Value;
        var fields = new Dictionary<string, string> { [field] = new string('x', 200 * 1024), ["unlistedField"] = new string('u', 5_000) };
        fields[kind == "system" ? "phase" : "status"] = kind == "system" ? "contract" : "implemented";
        var (status, page) = await form.PostAsync(code, action, fields);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.True(page.Length < before.Length + 20_000, $"the page is {page.Length} characters, the form's page {before.Length}");

        // The visible field and the switch's hidden copy each hold the value cut to its limit plus one.
        var kept = Switch(page);
        Assert.Equal(new string('x', shown), HiddenValue(kept, field));
        var visible = page.Replace(kept, string.Empty, StringComparison.Ordinal);
        Assert.Contains(new string('x', shown), visible, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('x', shown + 1), visible, StringComparison.Ordinal);
        // A field the form does not list is kept, cut to 100 characters, not dropped.
        Assert.Equal(new string('u', 100), HiddenValue(kept, "unlistedField"));

        // Sent back by the switch, the cut value is still too long: the same 422, in English.
        using var switched = await form.SubmitHiddenAsync(page, action + "?language=en");
        var english = await switched.Content.ReadAsStringAsync();
        Assert.True(switched.StatusCode == HttpStatusCode.UnprocessableEntity, $"{(int)switched.StatusCode} {switched.Headers.Location}");
        Assert.Contains("<html lang=\"en\"", english, StringComparison.Ordinal);
        Assert.Equal(new string('x', shown), HiddenValue(Switch(english), field));
    }

    /// <summary>
    /// A breaker's finding: the template form's 413 showed the file's name and told the person to "enter it again", as
    /// for typed input; a browser cannot keep a chosen file. The page names no file and asks to choose it again, for a
    /// file over the upload's limit and for one that unpacks past it (a bomb under 2 MB).
    /// </summary>
    [Fact]
    public async Task A_too_large_upload_s_page_asks_to_choose_the_file_again_and_names_no_file()
    {
        const string M = ApiHost.Osaka;
        using var client = host.Municipality(M);
        var template = await TemplateRequests.DownloadAsync(client, M);
        var rows = new System.Text.StringBuilder();
        var random = new Random(1);
        for (var n = 100_000; rows.Length < 30 * 1024 * 1024; n++)
        {
            rows.Append($"<x:row r=\"{n}\">");
            foreach (var c in "ABCDEFGHIJ")
            {
                rows.Append($"<x:c r=\"{c}{n}\" t=\"inlineStr\"><x:is><x:t>{new string('a', 700)}{random.Next(10)}</x:t></x:is></x:c>");
            }

            rows.Append("</x:row>");
        }

        var bomb = WorkbookXml.EditSheet(template, Readiness.Imports.ReportingTemplate.SystemsSheet, xml => xml.Replace("</x:sheetData>", rows + "</x:sheetData>", StringComparison.Ordinal));
        using var form = await FormSession.SignInAsync(host, M, "echo.upload@city.osaka.lg.jp");
        foreach (var (file, name) in new[] { (new byte[(2 * 1024 * 1024) + 100_000], "over-the-limit-name.xlsx"), (bomb, "bomb-file-name.xlsx") })
        {
            using var refused = await form.UploadAsync(M, $"/municipalities/{M}/template", file, name);
            var page = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.RequestEntityTooLarge, $"{name}: {(int)refused.StatusCode}");
            Assert.DoesNotContain(name, page, StringComparison.Ordinal);
            Assert.Contains("ファイルを選び直して", page, StringComparison.Ordinal);
            Assert.Contains("Choose the file again", page, StringComparison.Ordinal);
            Assert.DoesNotContain("Enter it again", page, StringComparison.Ordinal);
            Assert.Contains(NotKeptJa, page, StringComparison.Ordinal);
        }
    }

    private static string Switch(string html)
    {
        var start = html.IndexOf("id=\"language-switch\"", StringComparison.Ordinal);
        Assert.True(start >= 0, "no language switch form");
        return html[start..html.IndexOf("</form>", start, StringComparison.Ordinal)];
    }

    private static string HiddenValue(string form, string name)
    {
        var match = Regex.Match(form, $"name=\"{name}\" value=\"([^\"]*)\"");
        Assert.True(match.Success, $"no hidden {name}");
        return match.Groups[1].Value;
    }

    [GeneratedRegex("name=\"content\" value=\"[^\"]*\"")]
    private static partial Regex ContentValue();
}
