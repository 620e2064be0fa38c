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

    /// <summary>
    /// A breaker's finding: a form refused by the reporting rules (here a move back without its reason, the grain's
    /// rule, not the form's parsing), switched to English, answered 303 to the page: the input gone. The switch judges
    /// the rules again, read only: the same 422 in English, the input kept, nothing saved.
    /// </summary>
    [Fact]
    public async Task A_municipality_form_refused_by_the_reporting_rules_switched_to_english_keeps_the_input()
    {
        const string M = "131032"; // 港区
        var id = await PlainSystemAsync(M);
        var action = $"/municipalities/{M}/systems/{id}";
        using var person = await FormSession.SignInAsync(host, M, "rules.switch@city.minato.lg.jp");
        var (saved, _) = await person.PostForLocationAsync(M, action, new Dictionary<string, string> { ["phase"] = "legacy_decommissioned" });
        Assert.Equal(HttpStatusCode.SeeOther, saved);
        var version = (await host.GetMunicipality(M)).Version;

        var (refused, html) = await person.PostAsync(M, action, new Dictionary<string, string> { ["phase"] = "testing", ["vendor"] = "戻したベンダ" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused);
        Assert.Contains("フェーズを戻す場合は後退理由を入力してください", html, StringComparison.Ordinal);

        using var switched = await person.SubmitHiddenAsync(html, action + "?language=en");
        var english = await switched.Content.ReadAsStringAsync();
        Assert.True(switched.StatusCode == HttpStatusCode.UnprocessableEntity, $"{(int)switched.StatusCode} {switched.Headers.Location}");
        Assert.Contains("<html lang=\"en\"", english, StringComparison.Ordinal);
        Assert.Contains("Moving a phase backwards requires a", english, StringComparison.Ordinal);
        Assert.Contains("value=\"戻したベンダ\"", english, StringComparison.Ordinal);
        Assert.Equal(version, (await host.GetMunicipality(M)).Version);

        // And back to Japanese from the English page: still the same refusal with the input.
        using var back = await person.SubmitHiddenAsync(english, action + "?language=ja");
        var japanese = await back.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, back.StatusCode);
        Assert.Contains("<html lang=\"ja\"", japanese, StringComparison.Ordinal);
        Assert.Contains("value=\"戻したベンダ\"", japanese, StringComparison.Ordinal);
    }

    /// <summary>The same for the other rule kinds and forms: a designation without its reason and target, a checklist item reviewed in the future.</summary>
    [Fact]
    public async Task Every_rule_kind_on_every_municipality_form_is_judged_again_by_the_switch()
    {
        const string M = "131041"; // 新宿区
        var id = await PlainSystemAsync(M);
        var version = (await host.GetMunicipality(M)).Version;
        using var person = await FormSession.SignInAsync(host, M, "rules.kinds@city.shinjuku.lg.jp");

        var system = $"/municipalities/{M}/systems/{id}";
        var (designation, html) = await person.PostAsync(M, system, new Dictionary<string, string>
        {
            ["phase"] = (await SystemAsync(M, id)).GetProperty("phase").GetString()!, ["designated"] = "true", ["vendor"] = "指定のベンダ",
        });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, designation);
        using (var switched = await person.SubmitHiddenAsync(html, system + "?language=en"))
        {
            var english = await switched.Content.ReadAsStringAsync();
            Assert.True(switched.StatusCode == HttpStatusCode.UnprocessableEntity, $"{(int)switched.StatusCode} {switched.Headers.Location}");
            Assert.Contains("A designation needs its reason.", english, StringComparison.Ordinal);
            Assert.Contains("value=\"指定のベンダ\"", english, StringComparison.Ordinal);
        }

        var item = $"/municipalities/{M}/security/SEC-2-01";
        var (future, text) = await person.PostAsync(M, item, new Dictionary<string, string>
        {
            ["status"] = "partial", ["evidence"] = "未来の確認記録", ["lastReviewed"] = "2039-01-01",
        });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, future);

        // English is remembered from the switch above: this page switches back to Japanese.
        Assert.Contains("<html lang=\"en\"", text, StringComparison.Ordinal);
        using (var switched = await person.SubmitHiddenAsync(text, item + "?language=ja"))
        {
            var japanese = await switched.Content.ReadAsStringAsync();
            Assert.True(switched.StatusCode == HttpStatusCode.UnprocessableEntity, $"{(int)switched.StatusCode} {switched.Headers.Location}");
            Assert.Contains("<html lang=\"ja\"", japanese, StringComparison.Ordinal);
            Assert.Contains("最終確認日は2020-01-01から今日までの日付にしてください", japanese, StringComparison.Ordinal);
            Assert.Contains("未来の確認記録", japanese, StringComparison.Ordinal);
        }

        Assert.Equal(version, (await host.GetMunicipality(M)).Version);
    }

    /// <summary>The prefecture's own-systems form: a move back without its reason and a designation without its reason, switched to English, are the same 422 with the input.</summary>
    [Fact]
    public async Task The_prefecture_form_refused_by_the_reporting_rules_switched_to_english_keeps_the_input()
    {
        const string Pref = "13";
        using var person = await FormSession.SignInPrefectureAsync(host, Pref, "rules.switch@metro.tokyo.lg.jp");
        var action = $"/prefectures/{Pref}/systems/public_assistance";
        var (saved, _) = await person.PostForLocationAsync(Pref, action, new Dictionary<string, string> { ["phase"] = "legacy_decommissioned" });
        Assert.Equal(HttpStatusCode.SeeOther, saved);
        var version = await PrefectureVersionAsync(Pref);

        var (refused, html) = await person.PostAsync(Pref, action, new Dictionary<string, string> { ["phase"] = "testing", ["vendor"] = "県の戻したベンダ" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused);
        Assert.Contains("フェーズを戻す場合は後退理由を入力してください", html, StringComparison.Ordinal);
        using (var switched = await person.SubmitHiddenAsync(html, action + "?language=en"))
        {
            var english = await switched.Content.ReadAsStringAsync();
            Assert.True(switched.StatusCode == HttpStatusCode.UnprocessableEntity, $"{(int)switched.StatusCode} {switched.Headers.Location}");
            Assert.Contains("<html lang=\"en\"", english, StringComparison.Ordinal);
            Assert.Contains("Moving a phase backwards requires a", english, StringComparison.Ordinal);
            Assert.Contains("value=\"県の戻したベンダ\"", english, StringComparison.Ordinal);
        }

        var other = $"/prefectures/{Pref}/systems/child_rearing_allowance";
        var (designation, text) = await person.PostAsync(Pref, other, new Dictionary<string, string> { ["phase"] = "contract", ["designated"] = "true", ["vendor"] = "県の指定ベンダ" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, designation);

        // English is remembered from the switch above: this page switches back to Japanese.
        Assert.Contains("<html lang=\"en\"", text, StringComparison.Ordinal);
        using (var switched = await person.SubmitHiddenAsync(text, other + "?language=ja"))
        {
            var japanese = await switched.Content.ReadAsStringAsync();
            Assert.True(switched.StatusCode == HttpStatusCode.UnprocessableEntity, $"{(int)switched.StatusCode} {switched.Headers.Location}");
            Assert.Contains("特定移行支援システムの該当理由を選択してください", japanese, StringComparison.Ordinal);
            Assert.Contains("value=\"県の指定ベンダ\"", japanese, StringComparison.Ordinal);
        }

        Assert.Equal(version, await PrefectureVersionAsync(Pref));
    }

    /// <summary>
    /// A breaker's finding: the prefecture form's 409 after the person's own save in another tab hedged (「他の人か、別の
    /// 画面でのあなた自身の保存です」) and named no time or version, where the municipality form says whose save it was.
    /// </summary>
    [Fact]
    public async Task The_prefecture_form_s_409_after_the_person_s_own_save_in_another_tab_says_so_with_time_and_version()
    {
        const string Pref = "27";
        var action = $"/prefectures/{Pref}/systems/public_assistance";
        using var person = await FormSession.SignInPrefectureAsync(host, Pref, "two.tabs@pref.osaka.lg.jp");
        var first = await person.OpenFormAsync(Pref, action);
        var second = await person.OpenFormAsync(Pref, action);
        var (saved, _) = await person.SendAsync(action, first, new Dictionary<string, string> { ["phase"] = "contract", ["vendor"] = "最初のタブ" });
        Assert.Equal(HttpStatusCode.SeeOther, saved);
        var version = await PrefectureVersionAsync(Pref);
        var (conflict, html) = await person.SendAsync(action, second, new Dictionary<string, string> { ["phase"] = "contract", ["vendor"] = "二つ目のタブ" });
        Assert.Equal(HttpStatusCode.Conflict, conflict);

        var alert = Alert(html);
        Assert.Contains("あなたが別の画面", alert, StringComparison.Ordinal);
        Assert.Contains($"版 {version}", alert, StringComparison.Ordinal);
        Assert.Contains("「生活保護」", alert, StringComparison.Ordinal);
        Assert.DoesNotContain("他の人", alert, StringComparison.Ordinal);

        using var switched = await person.SubmitHiddenAsync(html, action + "?language=en");
        var english = await switched.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Conflict, switched.StatusCode);
        Assert.Contains("value=\"二つ目のタブ\"", english, StringComparison.Ordinal);
        var englishAlert = Alert(english);
        Assert.Contains("You saved this in another tab or window", englishAlert, StringComparison.Ordinal);
        Assert.Contains($"version {version}", englishAlert, StringComparison.Ordinal);
        Assert.DoesNotContain("someone else", englishAlert, StringComparison.OrdinalIgnoreCase);

        // Another person's save since is told as theirs, by name.
        using var other = await FormSession.SignInPrefectureAsync(host, Pref, "colleague@pref.osaka.lg.jp");
        var stale = await person.OpenFormAsync(Pref, action);
        var (colleague, _) = await other.PostForLocationAsync(Pref, action, new Dictionary<string, string> { ["phase"] = "contract", ["vendor"] = "同僚の保存" });
        Assert.Equal(HttpStatusCode.SeeOther, colleague);
        var (theirs, page) = await person.SendAsync(action, stale, new Dictionary<string, string> { ["phase"] = "contract", ["vendor"] = "私の保存" });
        Assert.Equal(HttpStatusCode.Conflict, theirs);
        var theirAlert = Alert(page);
        Assert.Contains("他の人が先に更新しました", theirAlert, StringComparison.Ordinal);
        Assert.Contains("colleague@pref.osaka.lg.jp", theirAlert, StringComparison.Ordinal);
    }

    private async Task<long> PrefectureVersionAsync(string pref)
    {
        using var national = host.National();
        return JsonDocument.Parse(await national.GetStringAsync($"/api/v1/prefectures/{pref}/systems")).RootElement.GetProperty("version").GetInt64();
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

    /// <summary>
    /// A breaker's finding (round 49): the scenario editor's switch was a link to /lang/, so a scenario being typed was
    /// lost. Its switch now submits the editor's form to its own address with ?language= (formaction, no script): the
    /// editor again in the other language with every typed value, nothing saved; from a refused form, its faults again.
    /// </summary>
    [Fact]
    public async Task The_scenario_editor_s_switch_keeps_every_typed_value_and_saves_nothing()
    {
        using var pages = await host.SignedInPagesAsync(host.Token(Readiness.Role.National, null, "switch.scenario@digital.go.jp"));
        var page = await pages.GetStringAsync("/planning/scenarios");
        Assert.Contains("form=\"scenario-form\" formaction=\"/planning/scenarios?language=en\"", page, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"/lang/en?", page, StringComparison.Ordinal);

        var fields = await DashboardFormFaultsTests.HiddenFieldsAsync(pages, "/planning/scenarios", "action=\"/planning/scenarios\"");
        fields["name"] = "切替で残るシナリオ";
        fields["version"] = string.Empty;
        fields["description"] = "説明も残る";
        fields["capacity"] = "ベンダA=3\nベンダB=5";
        fields["shiftMonths"] = "-2";
        fields["shiftPrefecture"] = "13";
        fields["unreportedRate"] = "0.05";
        using var switched = await pages.PostAsync("/planning/scenarios?language=en", new FormUrlEncodedContent(fields));
        var english = await switched.Content.ReadAsStringAsync();
        Assert.True(switched.StatusCode == HttpStatusCode.OK, english);
        Assert.Contains("<html lang=\"en\"", english, StringComparison.Ordinal);
        Assert.Contains("value=\"切替で残るシナリオ\"", english, StringComparison.Ordinal);
        Assert.Contains("value=\"説明も残る\"", english, StringComparison.Ordinal);
        Assert.Contains(">ベンダA=3\nベンダB=5</textarea>", System.Net.WebUtility.HtmlDecode(english), StringComparison.Ordinal);
        Assert.Contains("value=\"-2\"", english, StringComparison.Ordinal);
        Assert.Matches("<option value=\"13\" selected", english);
        Assert.Contains("value=\"0.05\"", english, StringComparison.Ordinal);
        Assert.DoesNotContain("data-field-error", english, StringComparison.Ordinal); // a draft is not judged
        Assert.Contains("form=\"scenario-form\" formaction=\"/planning/scenarios?language=ja\"", english, StringComparison.Ordinal); // and back
        Assert.DoesNotContain("切替で残るシナリオ", await pages.GetStringAsync("/planning/scenarios"), StringComparison.Ordinal); // nothing saved

        // A refused form switched: the values and its faults again, in Japanese (the switch above remembered English), still nothing saved.
        fields["shiftMonths"] = "500";
        using var refused = await pages.PostAsync("/planning/scenarios", new FormUrlEncodedContent(fields));
        var refusedHtml = await refused.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Contains("form=\"scenario-form\" formaction=\"/planning/scenarios?language=ja\"", refusedHtml, StringComparison.Ordinal);
        var again = await DashboardFormFaultsTests.HiddenFieldsAsync(pages, "/planning/scenarios", "action=\"/planning/scenarios\"");
        fields["__RequestVerificationToken"] = again["__RequestVerificationToken"];
        fields["shownFaults"] = "1"; // what the refused editor's form carries
        Assert.Contains("name=\"shownFaults\" value=\"1\"", refusedHtml, StringComparison.Ordinal);
        using var refusedSwitched = await pages.PostAsync("/planning/scenarios?language=ja", new FormUrlEncodedContent(fields));
        var refusedEnglish = await refusedSwitched.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refusedSwitched.StatusCode);
        Assert.Contains("<html lang=\"ja\"", refusedEnglish, StringComparison.Ordinal);
        Assert.Equal(["out_of_range"], new FormAnswer(refusedSwitched.StatusCode, null, refusedEnglish).Faults["shiftMonths"]);
        Assert.DoesNotContain("切替で残るシナリオ", await pages.GetStringAsync("/planning/scenarios"), StringComparison.Ordinal);
    }
}
