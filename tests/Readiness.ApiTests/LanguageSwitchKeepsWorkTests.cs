using System.Net;
using System.Text.Json;
using Readiness.Testing;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The language switch on a page that answers a post keeps the work (a breaker's finding: on the Excel preview and on
/// a form shown again with a 409 or 422, 「English」 was a GET of the post's address: a 405, or the page without the
/// input). There the switch is a post of the kept state to the same address with ?language=: the same answer in the
/// other language, nothing saved. And the 409 after the person's own save in another tab says so, not "someone else".
/// </summary>
public sealed class LanguageSwitchKeepsWorkTests(ApiHost host) : IClassFixture<ApiHost>
{
    private async Task<string> PlainSystemAsync(string code) =>
        (await host.GetMunicipality(code)).Body.GetProperty("systems").EnumerateArray()
            .First(s => !s.GetProperty("designated").GetBoolean() && !s.GetProperty("regression").GetBoolean() && !s.GetProperty("notApplicable").GetBoolean())
            .GetProperty("businessId").GetString()!;

    private async Task<JsonElement> SystemAsync(string code, string businessId) =>
        (await host.GetMunicipality(code)).Body.GetProperty("systems").EnumerateArray().Single(s => s.GetProperty("businessId").GetString() == businessId);

    [Fact]
    public async Task The_excel_preview_switched_to_english_is_the_same_preview_and_applies_nothing()
    {
        const string M = ApiHost.Osaka;
        using var client = host.Municipality(M);
        var template = await TemplateRequests.DownloadAsync(client, M);
        var (_, version) = await host.GetMunicipality(M);
        using var form = await FormSession.SignInAsync(host, M, "preview.switch@city.osaka.lg.jp");

        using var preview = await form.UploadAsync(M, $"/municipalities/{M}/template", template, "kept.xlsx");
        var html = await preview.Content.ReadAsStringAsync();
        Assert.True(preview.StatusCode == HttpStatusCode.OK, html);
        Assert.Contains("<html lang=\"ja\"", html, StringComparison.Ordinal);

        using var switched = await form.SubmitHiddenAsync(html, $"/municipalities/{M}/template?language=en");
        var english = await switched.Content.ReadAsStringAsync();
        Assert.True(switched.StatusCode == HttpStatusCode.OK, english);
        Assert.Contains("<html lang=\"en\"", english, StringComparison.Ordinal);
        Assert.Contains("kept.xlsx", english, StringComparison.Ordinal);
        // The same rows and file: the apply form carries the same content, and applying it still works from here.
        Assert.Equal(Apply(html), Apply(english));
        Assert.Equal(version, (await host.GetMunicipality(M)).Version);

        // And back: the switch on the English preview leads to the Japanese one, the language remembered for the next page.
        using var back = await form.SubmitHiddenAsync(english, $"/municipalities/{M}/template?language=ja");
        Assert.Contains("<html lang=\"ja\"", await back.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_409_form_switched_to_english_keeps_the_input_and_saves_nothing()
    {
        const string M = ApiHost.Chiyoda;
        var id = await PlainSystemAsync(M);
        var phase = (await SystemAsync(M, id)).GetProperty("phase").GetString()!;
        var action = $"/municipalities/{M}/systems/{id}";
        using var person = await FormSession.SignInAsync(host, M, "two.tabs@city.chiyoda.lg.jp");
        var first = await person.OpenFormAsync(M, action);
        var second = await person.OpenFormAsync(M, action);
        var (saved, _) = await person.SendAsync(action, first, new Dictionary<string, string> { ["phase"] = phase, ["vendor"] = "最初のタブ" });
        Assert.Equal(HttpStatusCode.SeeOther, saved);
        var (conflict, html) = await person.SendAsync(action, second, new Dictionary<string, string> { ["phase"] = phase, ["vendor"] = "二つ目のタブ" });
        Assert.Equal(HttpStatusCode.Conflict, conflict);

        // The person's own save in the other tab is told as theirs.
        var alert = Alert(html);
        Assert.Contains("あなたが別の画面", alert, StringComparison.Ordinal);
        Assert.DoesNotContain("他の人", alert, StringComparison.Ordinal);

        using var switched = await person.SubmitHiddenAsync(html, action + "?language=en");
        var english = await switched.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Conflict, switched.StatusCode);
        Assert.Contains("<html lang=\"en\"", english, StringComparison.Ordinal);
        Assert.Contains("value=\"二つ目のタブ\"", english, StringComparison.Ordinal);
        var englishAlert = Alert(english);
        Assert.Contains("You saved this in another tab or window", englishAlert, StringComparison.Ordinal);
        Assert.DoesNotContain("Someone else", englishAlert, StringComparison.Ordinal);
        Assert.Equal("最初のタブ", (await SystemAsync(M, id)).GetProperty("vendor").GetString());
    }

    [Fact]
    public async Task A_422_form_switched_to_english_keeps_the_input()
    {
        const string M = ApiHost.Chuo;
        var id = await PlainSystemAsync(M);
        var action = $"/municipalities/{M}/systems/{id}";
        using var person = await FormSession.SignInAsync(host, M, "invalid.switch@city.chuo.lg.jp");
        var (invalid, html) = await person.PostAsync(M, action, new Dictionary<string, string> { ["phase"] = "no_such_phase", ["vendor"] = "入力したベンダ" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid);

        using var switched = await person.SubmitHiddenAsync(html, action + "?language=en");
        var english = await switched.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, switched.StatusCode);
        Assert.Contains("<html lang=\"en\"", english, StringComparison.Ordinal);
        Assert.Contains("value=\"入力したベンダ\"", english, StringComparison.Ordinal);
    }

    private static string Apply(string html)
    {
        var start = html.IndexOf("/template/apply\"", StringComparison.Ordinal);
        Assert.True(start >= 0, "no apply form");
        var content = html.IndexOf("name=\"content\"", start, StringComparison.Ordinal);
        Assert.True(content >= 0, "no content");
        return html[content..html.IndexOf('>', content)];
    }

    private static string Alert(string html)
    {
        var start = html.IndexOf("class=\"form-alert", StringComparison.Ordinal);
        return start < 0 ? string.Empty : html[start..html.IndexOf("</div>", start, StringComparison.Ordinal)];
    }
}
