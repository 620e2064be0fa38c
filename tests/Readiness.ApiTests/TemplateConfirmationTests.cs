using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Readiness.Catalog;
using Readiness.Imports;
using Readiness.Testing;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// "Nothing changed, still as reported" (確認済み) through the Excel template as through the form and the API (a lead's
/// finding: an unchanged template was refused 422 no_changes, so a municipality reporting only by Excel could not say
/// so). A template's rows are a full report with the same content: the same audit entries (a confirmation of every row
/// when nothing changes), the same as-of renewal of every row, and the answer, the preview and the page say so in ja/en.
/// Each test uses its own municipality (one host for the class).
/// </summary>
public sealed class TemplateConfirmationTests(ApiHost host) : IClassFixture<ApiHost>
{
    private static readonly int Rows = ReadinessCatalog.Instance.BusinessSystems.Count + ReadinessCatalog.Instance.SecurityItems.Count;

    [Fact]
    public async Task An_unchanged_template_records_a_confirmation_of_every_row_as_a_full_report_with_the_same_content()
    {
        const string M = ApiHost.Chiyoda;
        using var client = host.Municipality(M, "excel-only@city.chiyoda.lg.jp");
        var template = await TemplateRequests.DownloadAsync(client, M);
        var (_, version) = await host.GetMunicipality(M);
        var history = await host.HistoryTotal(M);

        using (var preview = await TemplateRequests.PostAsync(client, M, "preview", template))
        {
            var p = await ApiHost.Json(preview);
            Assert.True(preview.StatusCode == HttpStatusCode.OK, p.ToString());
            Assert.True(p.GetProperty("canApply").GetBoolean(), p.ToString());
            Assert.True(p.GetProperty("confirmation").GetBoolean());
            Assert.Equal(Rows, p.GetProperty("rows").GetInt32());
            Assert.Contains("確認済み", p.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
            Assert.Contains("confirmed", p.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
        }

        using var apply = await TemplateRequests.PostAsync(client, M, "apply", template);
        var a = await ApiHost.Json(apply);
        Assert.True(apply.StatusCode == HttpStatusCode.OK, a.ToString());
        Assert.True(a.GetProperty("confirmed").GetBoolean());
        Assert.Contains("現状のまま確認済みとして記録しました", a.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        Assert.Contains("recorded as confirmed", a.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
        var byTemplate = a.GetProperty("changes").EnumerateArray().ToList();
        Assert.Equal(Rows, byTemplate.Count);
        Assert.All(byTemplate, c => Assert.True(c.GetProperty("confirmed").GetBoolean(), c.ToString()));
        var (afterTemplate, templateVersion) = await host.GetMunicipality(M);
        Assert.Equal(version + 1, templateVersion);
        Assert.Equal(history + Rows, await host.HistoryTotal(M));
        var renewed = AsOfDays(afterTemplate);
        Assert.Single(renewed); // every row's as-of renewed by the one report
        Assert.Equal(afterTemplate.GetProperty("lastReportedAt").GetString(), renewed.Single());

        // The same content as a full report through the API: the same entries (one confirmation per row, the same
        // before), the same renewal.
        using var report = await client.SendAsync(ApiHost.Request(HttpMethod.Post, $"/api/v1/municipalities/{M}/reports", FullReport(afterTemplate), templateVersion, "same-content"));
        var r = await ApiHost.Json(report);
        Assert.True(report.StatusCode == HttpStatusCode.OK, r.ToString());
        Assert.True(r.GetProperty("confirmed").GetBoolean());
        var byReport = r.GetProperty("changes").EnumerateArray().ToDictionary(c => c.GetProperty("target").GetString()!, c => c);
        Assert.Equal(byTemplate.Select(c => c.GetProperty("target").GetString()!).Order(StringComparer.Ordinal), byReport.Keys.Order(StringComparer.Ordinal));
        foreach (var c in byTemplate)
        {
            var same = byReport[c.GetProperty("target").GetString()!];
            Assert.True(same.GetProperty("confirmed").GetBoolean());
            Assert.Equal(c.GetProperty("before").GetRawText(), same.GetProperty("before").GetRawText());
        }

        Assert.Single(AsOfDays((await host.GetMunicipality(M)).Body));
    }

    [Fact]
    public async Task A_partly_changed_template_changes_its_rows_and_renews_every_row_it_covers_as_a_full_report_does()
    {
        const string M = ApiHost.Chuo;
        using var client = host.Municipality(M);
        var row = ReportingTemplate.FirstRow;
        var file = TemplateCells.Edit(await TemplateRequests.DownloadAsync(client, M), (ReportingTemplate.SystemsSheet, $"E{row}", "株式会社一部変更"));
        var history = await host.HistoryTotal(M);

        using var apply = await TemplateRequests.PostAsync(client, M, "apply", file);
        var a = await ApiHost.Json(apply);
        Assert.True(apply.StatusCode == HttpStatusCode.OK, a.ToString());
        Assert.False(a.GetProperty("confirmed").GetBoolean());
        Assert.StartsWith("保存しました", a.GetProperty("messageJa").GetString(), StringComparison.Ordinal);

        // Every row the file covers has its entry, as a full report's (a breaker's finding: the unchanged rows left no
        // trace): the changed row a change, the other 66 confirmations, ...
        var entries = a.GetProperty("changes").EnumerateArray().ToList();
        Assert.Equal(67, entries.Count);
        var change = Assert.Single(entries, e => !e.GetProperty("confirmed").GetBoolean());
        Assert.Equal("system:" + ReadinessCatalog.Instance.BusinessSystems[0].Id, change.GetProperty("target").GetString());
        Assert.Equal(history + 67, await host.HistoryTotal(M));

        // ... and every row the file covers was reported: its as-of day renewed, the unchanged rows too.
        var (after, _) = await host.GetMunicipality(M);
        Assert.Equal(after.GetProperty("lastReportedAt").GetString(), Assert.Single(AsOfDays(after)));
    }

    [Fact]
    public async Task The_dashboard_s_Excel_form_records_an_unchanged_file_as_a_confirmation_and_says_so()
    {
        const string M = ApiHost.Osaka;
        using var client = host.Municipality(M);
        var template = await TemplateRequests.DownloadAsync(client, M);
        var (_, version) = await host.GetMunicipality(M);
        using var form = await FormSession.SignInAsync(host, M);

        using var preview = await form.UploadAsync(M, $"/municipalities/{M}/template", template, "unchanged.xlsx");
        var html = await preview.Content.ReadAsStringAsync();
        Assert.True(preview.StatusCode == HttpStatusCode.OK, html);
        Assert.Contains("data-template-confirmation", html, StringComparison.Ordinal);
        Assert.Contains("現状のまま確認済みとして記録", html, StringComparison.Ordinal);

        using var apply = await form.SubmitAsync(html, $"/municipalities/{M}/template/apply", "content", "fileName");
        Assert.Equal(HttpStatusCode.SeeOther, apply.StatusCode);
        var location = apply.Headers.Location!.OriginalString;
        Assert.Contains("confirmed=1", location, StringComparison.Ordinal);
        Assert.Equal(version + 1, (await host.GetMunicipality(M)).Version);

        using var page = await form.GetAsync(location);
        var shown = await page.Content.ReadAsStringAsync();
        var panel = shown[shown.IndexOf("data-template-panel", StringComparison.Ordinal)..];
        Assert.Contains("data-confirmed", panel[..panel.IndexOf("</section>", StringComparison.Ordinal)], StringComparison.Ordinal);
        Assert.Contains("変更はありませんでした。現状のまま確認済みとして記録しました", shown, StringComparison.Ordinal);
        Assert.Contains("Nothing changed: recorded as confirmed", shown, StringComparison.Ordinal);
    }

    /// <summary>The distinct as-of instants (reportedAt) of every business and checklist item.</summary>
    private static HashSet<string?> AsOfDays(JsonElement municipality) =>
        [.. municipality.GetProperty("systems").EnumerateArray().Concat(municipality.GetProperty("security").EnumerateArray())
            .Select(x => x.GetProperty("reportedAt").ValueKind == JsonValueKind.Null ? null : x.GetProperty("reportedAt").GetString())];

    /// <summary>A whole report (POST …/reports) of every business and item exactly as <paramref name="municipality"/> holds it.</summary>
    private static string FullReport(JsonElement municipality)
    {
        static JsonObject Pick(JsonElement from, params string[] members)
        {
            var o = new JsonObject();
            foreach (var m in members)
            {
                if (from.TryGetProperty(m, out var v) && !(m == "phase" && v.ValueKind == JsonValueKind.Null))
                {
                    o[m] = JsonNode.Parse(v.GetRawText());
                }
            }

            return o;
        }

        var systems = new JsonArray([.. municipality.GetProperty("systems").EnumerateArray().Select(s => (JsonNode)Pick(s,
            "businessId", "phase", "plannedGoLive", "vendor", "hosting", "cloudProvider", "notApplicable", "designated", "designationReason", "designationTarget", "designationReasonNote"))]);
        var security = new JsonArray([.. municipality.GetProperty("security").EnumerateArray().Select(s => (JsonNode)Pick(s, "itemId", "status", "evidence", "lastReviewed"))]);
        return new JsonObject { ["systems"] = systems, ["security"] = security }.ToJsonString();
    }
}
