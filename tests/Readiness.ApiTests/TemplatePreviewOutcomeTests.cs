using System.Net;
using System.Text.Json;
using Readiness.Catalog;
using Readiness.Imports;
using Readiness.Testing;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// What a template's preview says is what its apply does (a breaker's findings): the regression reason a moved-back row
/// records is shown per row; an older file that changes nothing counts the file's own rows and names those it leaves to
/// the person who changed them since (it said 「このファイルの65行」 for a 67-row file); and every outcome (partly
/// changed, nothing changed) has its message in Japanese and English, in the JSON and on the page. Real host, plain HTTP;
/// each test its own municipality.
/// </summary>
public sealed class TemplatePreviewOutcomeTests(ApiHost host) : IClassFixture<ApiHost>
{
    private static readonly int FileRows = ReadinessCatalog.Instance.BusinessSystems.Count + ReadinessCatalog.Instance.SecurityItems.Count;

    /// <summary>Systems the rules take as they stand (not designated, not moved back, applicable).</summary>
    private async Task<List<string>> PlainSystemsAsync(string code) =>
        [.. (await host.GetMunicipality(code)).Body.GetProperty("systems").EnumerateArray()
            .Where(s => !s.GetProperty("designated").GetBoolean() && !s.GetProperty("regression").GetBoolean() && !s.GetProperty("notApplicable").GetBoolean())
            .Select(s => s.GetProperty("businessId").GetString()!)];

    private static int RowOf(string businessId) => ReportingTemplate.FirstRow + ReadinessCatalog.Instance.BusinessIndex[businessId];

    [Fact]
    public async Task A_row_moved_back_shows_its_regression_and_reason_in_the_preview_as_the_apply_records_them()
    {
        const string M = "011002"; // 札幌市
        using var client = host.Municipality(M, "regression@city.sapporo.lg.jp");
        var x = (await PlainSystemsAsync(M))[0];
        await host.PutSystem(client, M, x, """{"phase":"testing","designated":false}""");
        var row = RowOf(x);
        var file = TemplateCells.Edit(await TemplateRequests.DownloadAsync(client, M),
            (ReportingTemplate.SystemsSheet, $"C{row}", ReportingTemplate.PhaseLabel(MigrationPhase.Contract)),
            (ReportingTemplate.SystemsSheet, $"K{row}", "ベンダが撤退したため"));

        using (var preview = await TemplateRequests.PostAsync(client, M, "preview", file))
        {
            var p = await ApiHost.Json(preview);
            Assert.True(preview.StatusCode == HttpStatusCode.OK && p.GetProperty("canApply").GetBoolean(), p.ToString());
            var changes = p.GetProperty("changes").EnumerateArray().ToList();
            var reason = Assert.Single(changes, c => c.GetProperty("field").GetString() == "regressionReason");
            Assert.Equal($"K{row}", reason.GetProperty("cell").GetString());
            Assert.Equal("ベンダが撤退したため", reason.GetProperty("after").GetString());
            Assert.Contains(Vocabulary.RegressionReason.Ja, reason.GetProperty("labelJa").GetString(), StringComparison.Ordinal);
            var regression = Assert.Single(changes, c => c.GetProperty("field").GetString() == "regression");
            Assert.Equal("false", regression.GetProperty("before").GetString());
            Assert.Equal("true", regression.GetProperty("after").GetString());
        }

        using (var page = await FormSession.SignInAsync(host, M))
        using (var shown = await page.UploadAsync(M, $"/municipalities/{M}/template", file, "back.xlsx"))
        {
            var html = WebUtility.HtmlDecode(await shown.Content.ReadAsStringAsync());
            Assert.Contains($"data-cell=\"K{row}\"", html, StringComparison.Ordinal);
            Assert.Contains("ベンダが撤退したため", html, StringComparison.Ordinal);
        }

        // The apply records what the preview said.
        using var apply = await TemplateRequests.PostAsync(client, M, "apply", file);
        Assert.True(apply.StatusCode == HttpStatusCode.OK, await apply.Content.ReadAsStringAsync());
        var system = (await host.GetMunicipality(M)).Body.GetProperty("systems").EnumerateArray().Single(s => s.GetProperty("businessId").GetString() == x);
        Assert.True(system.GetProperty("regression").GetBoolean());
        Assert.Equal("ベンダが撤退したため", system.GetProperty("regressionReason").GetString());
    }

    [Fact]
    public async Task An_older_unchanged_file_counts_its_own_rows_and_names_the_rows_others_changed_since()
    {
        const string M = "012025"; // 函館市
        using var client = host.Municipality(M, "older@city.hakodate.lg.jp");
        using var other = host.Municipality(M, "other@city.hakodate.lg.jp");
        var plain = await PlainSystemsAsync(M);
        var file = await TemplateRequests.DownloadAsync(client, M);
        foreach (var id in plain.Take(2))
        {
            await host.PutSystem(other, M, id, """{"phase":"testing","designated":false,"vendor":"他の人のベンダ"}""");
        }

        using var preview = await TemplateRequests.PostAsync(client, M, "preview", file);
        var p = await ApiHost.Json(preview);
        Assert.True(preview.StatusCode == HttpStatusCode.OK && p.GetProperty("confirmation").GetBoolean(), p.ToString());
        var ja = p.GetProperty("messageJa").GetString()!;
        var en = p.GetProperty("messageEn").GetString()!;
        Assert.Contains($"このファイルの{FileRows}行（業務・セキュリティ項目）のうち{FileRows - 2}行", ja, StringComparison.Ordinal);
        Assert.Contains($"{FileRows - 2} of the file's {FileRows} rows", en, StringComparison.Ordinal);
        foreach (var id in plain.Take(2))
        {
            var b = ReadinessCatalog.Instance.BusinessSystems[ReadinessCatalog.Instance.BusinessIndex[id]];
            Assert.Contains(b.NameJa, ja, StringComparison.Ordinal);
            Assert.Contains(b.NameEn, en, StringComparison.Ordinal);
        }

        Assert.Equal(FileRows - 2, p.GetProperty("rows").GetInt32());
        Assert.Equal(FileRows, p.GetProperty("fileRows").GetInt32());
        Assert.Equal(plain.Take(2).Select(id => "system:" + id), p.GetProperty("leftAsIs").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task A_partly_changed_file_has_its_message_in_both_languages_in_the_json_and_on_the_page()
    {
        const string M = "012033"; // 小樽市
        using var client = host.Municipality(M, "partly@city.otaru.lg.jp");
        var x = (await PlainSystemsAsync(M))[0];
        var file = TemplateCells.Edit(await TemplateRequests.DownloadAsync(client, M), (ReportingTemplate.SystemsSheet, $"E{RowOf(x)}", "株式会社一部変更"));

        using (var preview = await TemplateRequests.PostAsync(client, M, "preview", file))
        {
            var p = await ApiHost.Json(preview);
            Assert.True(preview.StatusCode == HttpStatusCode.OK && p.GetProperty("canApply").GetBoolean(), p.ToString());
            Assert.False(p.GetProperty("confirmation").GetBoolean());
            var ja = p.GetProperty("messageJa").GetString();
            var en = p.GetProperty("messageEn").GetString();
            Assert.NotNull(ja);
            Assert.NotNull(en);
            Assert.Contains("1行を変更", ja, StringComparison.Ordinal);
            Assert.Contains($"{FileRows - 1}行", ja, StringComparison.Ordinal);
            Assert.Contains("changes 1 row", en, StringComparison.Ordinal);
            Assert.Contains($"{FileRows - 1} rows", en, StringComparison.Ordinal);
        }

        using var page = await FormSession.SignInAsync(host, M);
        using var shown = await page.UploadAsync(M, $"/municipalities/{M}/template", file, "partly.xlsx");
        var html = WebUtility.HtmlDecode(await shown.Content.ReadAsStringAsync());
        Assert.Contains("data-template-outcome=\"partly\"", html, StringComparison.Ordinal);
        Assert.Contains("changes 1 row", html, StringComparison.Ordinal);
        Assert.Contains("1行を変更", html, StringComparison.Ordinal);
    }
}
