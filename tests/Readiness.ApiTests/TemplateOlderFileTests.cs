using System.Net;
using System.Text.Json;
using Readiness.Catalog;
using Readiness.Imports;
using Readiness.Testing;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A template made from an older version, read on top of the current one (a breaker's findings): an invalid value in a
/// row changed since is an error naming its cell (it was dropped silently and the file applied as a confirmation); a
/// change since that was the uploader's own says "you", in the preview and in the 412 (it said "someone else" and named
/// the person's own address); <c>fileRows</c> counts every row of the file, those with errors too; the apply button
/// counts rows, as the message does. Real host, plain HTTP; each test its own municipality.
/// </summary>
public sealed class TemplateOlderFileTests(ApiHost host) : IClassFixture<ApiHost>
{
    private static readonly int FileRows = ReadinessCatalog.Instance.BusinessSystems.Count + ReadinessCatalog.Instance.SecurityItems.Count;

    private async Task<List<string>> PlainSystemsAsync(string code) =>
        [.. (await host.GetMunicipality(code)).Body.GetProperty("systems").EnumerateArray()
            .Where(s => !s.GetProperty("designated").GetBoolean() && !s.GetProperty("regression").GetBoolean() && !s.GetProperty("notApplicable").GetBoolean())
            .Select(s => s.GetProperty("businessId").GetString()!)];

    private static int RowOf(string businessId) => ReportingTemplate.FirstRow + ReadinessCatalog.Instance.BusinessIndex[businessId];

    private static List<JsonElement> Errors(JsonElement body) => [.. body.GetProperty("errors").EnumerateArray()];

    [Theory]
    [InlineData("012041", "C", "だめ", "unknown_phase")] // 旭川市
    [InlineData("012050", "D", "令和9年3月", "invalid_date")] // 室蘭市
    public async Task An_invalid_value_in_a_row_changed_since_is_an_error_naming_its_cell_and_nothing_applies(string m, string column, string value, string code)
    {
        using var client = host.Municipality(m, $"older-{column}@example.lg.jp");
        using var other = host.Municipality(m, $"other-{column}@example.lg.jp");
        var x = (await PlainSystemsAsync(m))[0];
        var template = await TemplateRequests.DownloadAsync(client, m);
        await host.PutSystem(other, m, x, """{"phase":"testing","designated":false,"vendor":"他の人のベンダ"}""");
        var cell = $"{column}{RowOf(x)}";
        var file = TemplateCells.Edit(template, (ReportingTemplate.SystemsSheet, cell, value));
        var (_, version) = await host.GetMunicipality(m);

        using (var preview = await TemplateRequests.PostAsync(client, m, "preview", file))
        {
            var p = await ApiHost.Json(preview);
            Assert.True(preview.StatusCode == HttpStatusCode.OK, p.ToString());
            Assert.Equal("errors", p.GetProperty("outcome").GetString());
            Assert.False(p.GetProperty("canApply").GetBoolean());
            Assert.Contains(Errors(p), e => e.GetProperty("field").GetString() == cell && e.GetProperty("code").GetString() == code);
        }

        using var apply = await TemplateRequests.PostAsync(client, m, "apply", file);
        var a = await ApiHost.Json(apply);
        Assert.True(apply.StatusCode == HttpStatusCode.UnprocessableEntity, a.ToString());
        Assert.Contains(Errors(a), e => e.GetProperty("field").GetString() == cell && e.GetProperty("code").GetString() == code);
        Assert.Equal(version, (await host.GetMunicipality(m)).Version);
    }

    [Fact]
    public async Task A_change_since_by_the_uploader_says_you_in_the_preview_and_in_the_412()
    {
        const string M = "012068"; // 釧路市
        const string Me = "me@city.kushiro.lg.jp";
        using var client = host.Municipality(M, Me);
        var x = (await PlainSystemsAsync(M))[0];
        var template = await TemplateRequests.DownloadAsync(client, M);
        await host.PutSystem(client, M, x, """{"phase":"testing","designated":false,"vendor":"別のタブのベンダ"}""");

        using (var preview = await TemplateRequests.PostAsync(client, M, "preview", template))
        {
            var p = await ApiHost.Json(preview);
            Assert.True(preview.StatusCode == HttpStatusCode.OK && p.GetProperty("confirmation").GetBoolean(), p.ToString());
            var ja = p.GetProperty("messageJa").GetString()!;
            var en = p.GetProperty("messageEn").GetString()!;
            Assert.Contains("あなたが別の画面", ja, StringComparison.Ordinal);
            Assert.DoesNotContain("他の人", ja, StringComparison.Ordinal);
            Assert.Contains("by you", en, StringComparison.Ordinal);
            Assert.DoesNotContain("someone else", en, StringComparison.Ordinal);
        }

        var changed = TemplateCells.Edit(template, (ReportingTemplate.SystemsSheet, $"E{RowOf(x)}", "このファイルのベンダ"));
        using var apply = await TemplateRequests.PostAsync(client, M, "apply", changed);
        var a = await ApiHost.Json(apply);
        Assert.True(apply.StatusCode == HttpStatusCode.PreconditionFailed, a.ToString());
        var conflict = Assert.Single(Errors(a), e => e.GetProperty("code").GetString() == "changed_since");
        Assert.Contains("あなたが別の画面", conflict.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Me, conflict.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        Assert.Contains("by you", conflict.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Me, conflict.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task File_rows_count_every_row_of_the_file_those_with_errors_too()
    {
        const string M = "012076"; // 帯広市
        using var client = host.Municipality(M, "rows@city.obihiro.lg.jp");
        var x = (await PlainSystemsAsync(M))[0];
        var file = TemplateCells.Edit(await TemplateRequests.DownloadAsync(client, M), (ReportingTemplate.SystemsSheet, $"C{RowOf(x)}", "だめ"));
        using var preview = await TemplateRequests.PostAsync(client, M, "preview", file);
        var p = await ApiHost.Json(preview);
        Assert.True(preview.StatusCode == HttpStatusCode.OK, p.ToString());
        Assert.Single(Errors(p));
        Assert.Equal(FileRows, p.GetProperty("fileRows").GetInt32());
    }

    [Fact]
    public async Task The_apply_button_counts_rows_as_the_message_does()
    {
        const string M = "012084"; // 北見市
        using var client = host.Municipality(M, "button@city.kitami.lg.jp");
        var x = (await PlainSystemsAsync(M))[0];
        await host.PutSystem(client, M, x, """{"phase":"testing","designated":false}""");
        var row = RowOf(x);

        // A move back with its reason: one row, three changes (phase, the 後退 flag, the reason).
        var file = TemplateCells.Edit(await TemplateRequests.DownloadAsync(client, M),
            (ReportingTemplate.SystemsSheet, $"C{row}", ReportingTemplate.PhaseLabel(MigrationPhase.Contract)),
            (ReportingTemplate.SystemsSheet, $"K{row}", "ベンダが撤退したため"));
        using var page = await FormSession.SignInAsync(host, M);
        using var shown = await page.UploadAsync(M, $"/municipalities/{M}/template", file, "back.xlsx");
        var html = WebUtility.HtmlDecode(await shown.Content.ReadAsStringAsync());
        Assert.Contains("のうち1行を変更", html, StringComparison.Ordinal);
        Assert.Contains("1行の変更を反映する", html, StringComparison.Ordinal);
        Assert.DoesNotContain("件の変更", html, StringComparison.Ordinal);
    }
}
