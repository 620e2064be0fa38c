using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Readiness.Catalog;
using Readiness.Imports;
using Readiness.Testing;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// Reporting rules a breaker found loose, on every write path (the API's PUT, PATCH and whole report, the dashboard's
/// form, the Excel template): a system that does not apply must be not_started (422 naming phase); a 413 says how to
/// fit. (A save that changes nothing stays a confirmation: a report, which the 30-day stale rule counts; ChangeRuleTests.)
/// </summary>
public sealed class ReportingRulesTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string M = ApiHost.Chiyoda;
    private const string Koseki = $"/api/v1/municipalities/{M}/systems/koseki";
    private const string Item = $"/api/v1/municipalities/{M}/security/SEC-2-01";
    private const string Reports = $"/api/v1/municipalities/{M}/reports";

    /// <summary>
    /// A form saved with the values stored is a confirmation, and the page says so (a breaker's finding: a save that
    /// changed nothing said "Saved" and made a version, leaving the reporter to wonder what changed). It stays a report,
    /// which the 30-day stale rule counts: one version, one history entry with before = after.
    /// </summary>
    [Fact]
    public async Task A_form_saved_unchanged_is_recorded_as_a_confirmation_and_says_so()
    {
        using var client = host.Municipality(M);
        await host.PutSystem(client, M, "child_allowance", """{"phase":"contract","plannedGoLive":null,"vendor":"フォーム社","hosting":"on_premises","cloudProvider":null,"notApplicable":false,"designated":false,"regressionReason":"テスト"}""");
        var (_, version) = await host.GetMunicipality(M);
        var history = await host.HistoryTotal(M);

        using var form = await FormSession.SignInAsync(host, M);
        var (status, location) = await form.PostForLocationAsync(M, $"/municipalities/{M}/systems/child_allowance",
            new Dictionary<string, string> { ["phase"] = "contract", ["vendor"] = "フォーム社", ["hosting"] = "on_premises" });
        Assert.Equal(HttpStatusCode.SeeOther, status);
        Assert.Contains("confirmed=1", location, StringComparison.Ordinal);
        Assert.Equal(version + 1, (await host.GetMunicipality(M)).Version);
        Assert.Equal(history + 1, await host.HistoryTotal(M));

        using var page = await form.GetAsync(location!);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("data-confirmed", html, StringComparison.Ordinal);
        Assert.Contains("確認済みとして記録しました", html, StringComparison.Ordinal);
        Assert.Contains("recorded as confirmed", html, StringComparison.Ordinal);

        // A save that does change something says "saved", not "confirmed".
        (status, location) = await form.PostForLocationAsync(M, $"/municipalities/{M}/systems/child_allowance",
            new Dictionary<string, string> { ["phase"] = "contract", ["vendor"] = "フォーム社2", ["hosting"] = "on_premises" });
        Assert.Equal(HttpStatusCode.SeeOther, status);
        Assert.DoesNotContain("confirmed=1", location, StringComparison.Ordinal);
    }

    /// <summary>
    /// The prefecture's form for a system it runs itself says a confirmation as the municipality's does (a breaker's
    /// finding: it said 「保存しました…変更履歴に記録されました」 for a save that changed nothing, while the history said 確認済み).
    /// </summary>
    [Fact]
    public async Task A_prefecture_s_own_system_form_saved_unchanged_says_it_was_recorded_as_a_confirmation()
    {
        const string Pref = "01";
        const string Action = $"/prefectures/{Pref}/systems/public_assistance";
        using var form = await FormSession.SignInPrefectureAsync(host, Pref);
        var fields = new Dictionary<string, string> { ["phase"] = "contract", ["vendor"] = "道の確認ベンダ", ["hosting"] = "on_premises" };
        var (status, location) = await form.PostForLocationAsync(Pref, Action, fields);
        Assert.Equal(HttpStatusCode.SeeOther, status);
        Assert.DoesNotContain("confirmed=1", location, StringComparison.Ordinal);

        (status, location) = await form.PostForLocationAsync(Pref, Action, fields);
        Assert.Equal(HttpStatusCode.SeeOther, status);
        Assert.Contains("confirmed=1", location, StringComparison.Ordinal);
        using var page = await form.GetAsync(location!);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("確認済みとして記録しました", html, StringComparison.Ordinal);
        Assert.Contains("recorded as confirmed", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_not_applicable_system_in_a_phase_is_refused_naming_the_phase_on_every_path()
    {
        using var client = host.Municipality(M);
        await host.PutSystem(client, M, "light_vehicle_tax", """{"phase":"testing","notApplicable":false,"designated":false,"regressionReason":"テスト"}""");
        var (_, version) = await host.GetMunicipality(M);
        var history = await host.HistoryTotal(M);
        const string Path = $"/api/v1/municipalities/{M}/systems/light_vehicle_tax";

        // PUT, PATCH (the stored phase kept) and a whole report.
        using (var put = await client.SendAsync(ApiHost.Request(HttpMethod.Put, Path, """{"phase":"in_production","notApplicable":true}""", version)))
        {
            var problem = await ApiHost.AssertProblem(put, HttpStatusCode.UnprocessableEntity, "phase");
            var error = problem.GetProperty("errors").EnumerateArray().Single(e => e.GetProperty("field").GetString() == "phase");
            Assert.Equal("phase_not_applicable", error.GetProperty("code").GetString());
            Assert.Contains("未着手", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
            Assert.Contains("not_started", error.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
        }

        using (var patch = ApiHost.Request(HttpMethod.Patch, Path, null, version))
        {
            patch.Content = new StringContent("""{"notApplicable":true}""", Encoding.UTF8, "application/merge-patch+json");
            using var answer = await client.SendAsync(patch);
            await ApiHost.AssertProblem(answer, HttpStatusCode.UnprocessableEntity, "phase");
        }

        using (var report = await client.SendAsync(ApiHost.Request(HttpMethod.Post, Reports, """{"systems":[{"businessId":"light_vehicle_tax","phase":"testing","notApplicable":true}]}""", version, "na-report")))
        {
            await ApiHost.AssertProblem(report, HttpStatusCode.UnprocessableEntity, "systems[0].phase");
        }

        // The dashboard's form.
        using var form = await FormSession.SignInAsync(host, M);
        var (status, html) = await form.PostAsync(M, $"/municipalities/{M}/systems/light_vehicle_tax",
            new Dictionary<string, string> { ["phase"] = "testing", ["notApplicable"] = "on" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Contains("-phase-error", html, StringComparison.Ordinal);

        // The Excel template: 対象外 はい on a row in testing names the phase cell.
        var row = ReportingTemplate.FirstRow + ReadinessCatalog.Instance.BusinessIndex["light_vehicle_tax"];
        var cell = $"G{row}";
        var file = WorkbookXml.ReplaceCell(await TemplateRequests.DownloadAsync(client, M), ReportingTemplate.SystemsSheet, cell, $"<x:c r=\"{cell}\" t=\"inlineStr\"><x:is><x:t>はい</x:t></x:is></x:c>");
        using (var apply = await TemplateRequests.PostAsync(client, M, "apply", file))
        {
            var text = await apply.Content.ReadAsStringAsync();
            Assert.True(apply.StatusCode == HttpStatusCode.UnprocessableEntity, text);
            Assert.Contains(JsonDocument.Parse(text).RootElement.GetProperty("errors").EnumerateArray(), e => e.GetProperty("field").GetString() == $"C{row}");
        }

        Assert.Equal(version, (await host.GetMunicipality(M)).Version);
        Assert.Equal(history, await host.HistoryTotal(M));

        // not_started with 対象外 is accepted, without a reason, and is no 後退.
        var done = await host.PutSystem(client, M, "light_vehicle_tax", """{"phase":"not_started","notApplicable":true}""");
        var stored = done.GetProperty("systems").EnumerateArray().Single(s => s.GetProperty("businessId").GetString() == "light_vehicle_tax");
        Assert.False(stored.GetProperty("regression").GetBoolean());
    }

    [Fact]
    public async Task The_designation_reason_other_needs_its_details_on_every_path()
    {
        using var client = host.Municipality(M);
        const string Path = $"/api/v1/municipalities/{M}/systems/fixed_asset_tax";
        var (_, version) = await host.GetMunicipality(M);
        var history = await host.HistoryTotal(M);

        // The API: PUT and a whole report without the details are 422 naming designationReasonNote.
        using (var put = await client.SendAsync(ApiHost.Request(HttpMethod.Put, Path, """{"phase":"contract","designated":true,"designationReason":"other","designationTarget":"2029-03-31","regressionReason":"テスト"}""", version)))
        {
            var problem = await ApiHost.AssertProblem(put, HttpStatusCode.UnprocessableEntity, "designationReasonNote");
            var error = problem.GetProperty("errors").EnumerateArray().Single(e => e.GetProperty("field").GetString() == "designationReasonNote");
            Assert.Equal("designation_reason_note_required", error.GetProperty("code").GetString());
            Assert.Contains("その他", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        }

        using (var report = await client.SendAsync(ApiHost.Request(HttpMethod.Post, Reports, """{"systems":[{"businessId":"fixed_asset_tax","phase":"contract","designated":true,"designationReason":"other","designationTarget":"2029-03-31","regressionReason":"テスト"}]}""", version, "other-report")))
        {
            await ApiHost.AssertProblem(report, HttpStatusCode.UnprocessableEntity, "systems[0].designationReasonNote");
        }

        // The form: the same refusal, shown under the field.
        using var form = await FormSession.SignInAsync(host, M);
        var (status, html) = await form.PostAsync(M, $"/municipalities/{M}/systems/fixed_asset_tax",
            new Dictionary<string, string> { ["phase"] = "contract", ["designated"] = "true", ["designationReason"] = "other", ["designationTarget"] = "2029-03-31", ["regressionReason"] = "テスト" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Contains("-designationReasonNote-error", html, StringComparison.Ordinal);

        // The template: その他 without the details in column L names that cell.
        var row = ReportingTemplate.FirstRow + ReadinessCatalog.Instance.BusinessIndex["fixed_asset_tax"];
        var file = await TemplateRequests.DownloadAsync(client, M);
        foreach (var (column, text) in new[] { ("H", "はい"), ("I", "その他") })
        {
            file = WorkbookXml.ReplaceCell(file, ReportingTemplate.SystemsSheet, $"{column}{row}", $"<x:c r=\"{column}{row}\" t=\"inlineStr\"><x:is><x:t>{text}</x:t></x:is></x:c>");
        }

        file = WorkbookXml.ReplaceCell(file, ReportingTemplate.SystemsSheet, $"J{row}", $"<x:c r=\"J{row}\" t=\"inlineStr\"><x:is><x:t>2029-03-31</x:t></x:is></x:c>");
        using (var apply = await TemplateRequests.PostAsync(client, M, "apply", file))
        {
            var text = await apply.Content.ReadAsStringAsync();
            Assert.True(apply.StatusCode == HttpStatusCode.UnprocessableEntity, text);
            Assert.Contains(JsonDocument.Parse(text).RootElement.GetProperty("errors").EnumerateArray(), e => e.GetProperty("field").GetString() == $"L{row}");
        }

        Assert.Equal(version, (await host.GetMunicipality(M)).Version);
        Assert.Equal(history, await host.HistoryTotal(M));

        // With the details (the template's column L): stored, shown and in the history.
        file = WorkbookXml.ReplaceCell(file, ReportingTemplate.SystemsSheet, $"L{row}", $"<x:c r=\"L{row}\" t=\"inlineStr\"><x:is><x:t>独自の共通基盤に依存</x:t></x:is></x:c>");
        using (var apply = await TemplateRequests.PostAsync(client, M, "apply", file))
        {
            Assert.True(apply.StatusCode == HttpStatusCode.OK, await apply.Content.ReadAsStringAsync());
        }

        var (stored, _) = await host.GetMunicipality(M);
        var system = stored.GetProperty("systems").EnumerateArray().Single(s => s.GetProperty("businessId").GetString() == "fixed_asset_tax");
        Assert.Equal("独自の共通基盤に依存", system.GetProperty("designationReasonNote").GetString());
        using var national = host.National();
        // The apply records every row of the file (the others as confirmations): the system's own entry of the newest version.
        var items = (await ApiHost.Json(await national.GetAsync($"/api/v1/municipalities/{M}/history?limit=100"))).GetProperty("items").EnumerateArray().ToList();
        var newest = items.First(i => i.GetProperty("target").GetString() == "system:fixed_asset_tax");
        Assert.Equal(items[0].GetProperty("version").GetInt64(), newest.GetProperty("version").GetInt64());
        Assert.Equal("独自の共通基盤に依存", newest.GetProperty("after").GetProperty("designationReasonNote").GetString());
        Assert.Contains("独自の共通基盤に依存", await form.PageAsync(M), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_too_large_says_to_send_utf8_rather_than_escapes()
    {
        using var client = host.Municipality(M);
        var (_, version) = await host.GetMunicipality(M);
        var escaped = string.Concat(Enumerable.Repeat("\\u30c6\\u30b9\\u30c8", 16 * 1024));
        using var response = await client.SendAsync(ApiHost.Request(HttpMethod.Put, Koseki, $$"""{"vendor":"{{escaped}}"}""", version));
        var problem = await ApiHost.AssertProblem(response, HttpStatusCode.RequestEntityTooLarge, "body");
        var error = problem.GetProperty("errors")[0];
        Assert.Contains("UTF-8", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        Assert.Contains("\\u", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        Assert.Contains("raw UTF-8", error.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
        Assert.Contains("6 bytes", error.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
    }
}
