using System.Net;
using System.Text.Json;
using Readiness.Catalog;
using Readiness.Imports;
using Readiness.Testing;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A dashboard form or a template made from an older version is refused only when someone changed a target it changes
/// since (breaker's finding: the version is the whole municipality's, so a save to another system refused it, and a
/// template with 67 rows had to be typed again). Two real sign-in sessions and the template over real HTTP.
/// </summary>
public sealed class UnrelatedEditTests(ApiHost host) : IClassFixture<ApiHost>
{
    /// <summary>Two systems the rules take as they stand (not designated, not moved back), and their phases.</summary>
    private async Task<(string X, string PhaseX, string Y, string PhaseY)> TwoSystemsAsync(string code)
    {
        var systems = (await host.GetMunicipality(code)).Body.GetProperty("systems").EnumerateArray()
            .Where(s => !s.GetProperty("designated").GetBoolean() && !s.GetProperty("regression").GetBoolean() && !s.GetProperty("notApplicable").GetBoolean())
            .Select(s => (Id: s.GetProperty("businessId").GetString()!, Phase: s.GetProperty("phase").GetString()!)).Take(2).ToList();
        Assert.Equal(2, systems.Count);
        return (systems[0].Id, systems[0].Phase, systems[1].Id, systems[1].Phase);
    }

    private async Task<JsonElement> SystemAsync(string code, string businessId) =>
        (await host.GetMunicipality(code)).Body.GetProperty("systems").EnumerateArray().Single(s => s.GetProperty("businessId").GetString() == businessId);

    [Fact]
    public async Task Forms_of_two_sessions_for_different_systems_both_save_and_the_same_system_is_a_409_naming_it()
    {
        const string Code = ApiHost.Chiyoda;
        var (x, phaseX, y, phaseY) = await TwoSystemsAsync(Code);
        using var a = await FormSession.SignInAsync(host, Code, "a.tanaka@city.chiyoda.lg.jp");
        using var b = await FormSession.SignInAsync(host, Code, "b.suzuki@city.chiyoda.lg.jp");
        string Action(string id) => $"/municipalities/{Code}/systems/{id}";

        // Both open the page at the same version.
        var aX = await a.OpenFormAsync(Code, Action(x));
        var bY = await b.OpenFormAsync(Code, Action(y));
        var bX = await b.OpenFormAsync(Code, Action(x));
        Assert.Equal(aX["version"], bY["version"]);

        var (savedA, htmlA) = await a.SendAsync(Action(x), aX, new Dictionary<string, string> { ["phase"] = phaseX, ["vendor"] = "ベンダA" });
        Assert.True(savedA == HttpStatusCode.SeeOther, $"{savedA}: {htmlA[..Math.Min(400, htmlA.Length)]}");

        // B saves another system from the page opened before A's save: saved on top of it, as B, at the new version.
        var (savedB, htmlB) = await b.SendAsync(Action(y), bY, new Dictionary<string, string> { ["phase"] = phaseY, ["vendor"] = "ベンダB" });
        Assert.True(savedB == HttpStatusCode.SeeOther, $"{savedB}: {Alert(htmlB)}");
        Assert.Equal("ベンダA", (await SystemAsync(Code, x)).GetProperty("vendor").GetString());
        Assert.Equal("ベンダB", (await SystemAsync(Code, y)).GetProperty("vendor").GetString());
        using (var national = host.National())
        {
            var newest = JsonDocument.Parse(await national.GetStringAsync($"/api/v1/municipalities/{Code}/history")).RootElement.GetProperty("items")[0];
            Assert.Equal("b.suzuki@city.chiyoda.lg.jp", newest.GetProperty("subject").GetString());
            Assert.Equal("system:" + y, newest.GetProperty("target").GetString());
            Assert.Equal(long.Parse(bY["version"], System.Globalization.CultureInfo.InvariantCulture) + 2, newest.GetProperty("version").GetInt64());
        }

        // B then saves the system A changed, from the same old page: 409 naming that system and A, nothing saved.
        var (conflict, html) = await b.SendAsync(Action(x), bX, new Dictionary<string, string> { ["phase"] = phaseX, ["vendor"] = "ベンダC" });
        Assert.Equal(HttpStatusCode.Conflict, conflict);
        var alert = Alert(html);
        var name = ReadinessCatalog.Instance.BusinessSystems[ReadinessCatalog.Instance.BusinessIndex[x]].NameJa;
        Assert.Contains("他の人が先に更新しました", alert, StringComparison.Ordinal);
        Assert.Contains($"「{name}」", alert, StringComparison.Ordinal);
        Assert.Contains("a.tanaka@city.chiyoda.lg.jp", alert, StringComparison.Ordinal);
        Assert.Equal("ベンダA", (await SystemAsync(Code, x)).GetProperty("vendor").GetString());

        // What is stored now is in the form's words, not the wire's JSON.
        Assert.Contains("現在の保存内容", alert, StringComparison.Ordinal);
        Assert.Contains("移行フェーズ", alert, StringComparison.Ordinal);
        Assert.DoesNotContain("\"phase\":", alert, StringComparison.Ordinal);
        Assert.DoesNotContain("notApplicable", WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Replace(alert, "<[^>]*>", " ")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_template_made_before_an_unrelated_change_applies_and_one_made_before_a_change_to_its_row_is_a_412_naming_the_row()
    {
        const string Code = ApiHost.Chuo;
        var (x, _, y, phaseY) = await TwoSystemsAsync(Code);
        using var reporter = host.Municipality(Code, "a.tanaka@city.chuo.lg.jp");
        using var other = host.Municipality(Code, "b.suzuki@city.chuo.lg.jp");
        var rowX = ReportingTemplate.FirstRow + ReadinessCatalog.Instance.BusinessIndex[x];
        var rowY = ReportingTemplate.FirstRow + ReadinessCatalog.Instance.BusinessIndex[y];
        static byte[] Vendor(byte[] file, int row, string vendor) =>
            WorkbookXml.ReplaceCell(file, ReportingTemplate.SystemsSheet, $"E{row}", $"<x:c r=\"E{row}\" t=\"inlineStr\"><x:is><x:t>{vendor}</x:t></x:is></x:c>");

        // Made at version N; someone saves another system (N+1); the file applies on top, and leaves that save alone.
        var file = Vendor(await TemplateRequests.DownloadAsync(reporter, Code), rowX, "ベンダT");
        await host.PutSystem(other, Code, y, $$"""{"phase":"{{phaseY}}","designated":false,"vendor":"ベンダO"}""");
        using (var applied = await TemplateRequests.PostAsync(reporter, Code, "apply", file))
        {
            Assert.True(applied.StatusCode == HttpStatusCode.OK, $"{applied.StatusCode}: {await applied.Content.ReadAsStringAsync()}");
        }

        Assert.Equal("ベンダT", (await SystemAsync(Code, x)).GetProperty("vendor").GetString());
        Assert.Equal("ベンダO", (await SystemAsync(Code, y)).GetProperty("vendor").GetString());

        // Made at version M; someone saves the very system the file changes: 412 naming that row's cell, nothing applied.
        var (_, before) = await host.GetMunicipality(Code);
        var second = Vendor(await TemplateRequests.DownloadAsync(reporter, Code), rowY, "ベンダU");
        await host.PutSystem(other, Code, y, $$"""{"phase":"{{phaseY}}","designated":false,"vendor":"ベンダV"}""");
        using (var refused = await TemplateRequests.PostAsync(reporter, Code, "apply", second))
        {
            var problem = await ApiHost.AssertProblem(refused, HttpStatusCode.PreconditionFailed);
            var errors = problem.GetProperty("errors").EnumerateArray().ToList();
            var error = Assert.Single(errors);
            Assert.Equal($"E{rowY}", error.GetProperty("field").GetString());
            Assert.Equal("changed_since", error.GetProperty("code").GetString());
            Assert.Contains("b.suzuki@city.chuo.lg.jp", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
            Assert.Contains($"version {before}", error.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal("ベンダV", (await SystemAsync(Code, y)).GetProperty("vendor").GetString());
        Assert.Equal(before + 1, (await host.GetMunicipality(Code)).Version);
    }

    private static string Alert(string html)
    {
        var start = html.IndexOf("class=\"form-alert", StringComparison.Ordinal);
        return start < 0 ? string.Empty : html[start..html.IndexOf("</div>", start, StringComparison.Ordinal)];
    }
}
