using System.Net;
using System.Text.Json;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// Invisible and direction-changing characters in every free-text field, through the API (PUT of a system or an item,
/// POST of a report) and through the dashboard's forms: refused with 422 naming the field, nothing changes; accepted
/// text is stored trimmed of Unicode white space and in NFC.
/// </summary>
public sealed class FreeTextTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string M = ApiHost.Chuo;

    public static TheoryData<string, string, string> ApiFaults() => new()
    {
        // path tail, JSON body, field named
        { "systems/child_allowance", Body(new { phase = "testing", designated = false, vendor = "株式会社\u202Eルプンサ" }), "vendor" },
        { "systems/child_allowance", Body(new { phase = "testing", designated = false, vendor = "\u200B株式会社サンプル\u200B" }), "vendor" },
        { "systems/child_allowance", Body(new { phase = "testing", designated = false, vendor = "\uFEFF株式会社サンプル" }), "vendor" },
        { "systems/child_allowance", Body(new { phase = "testing", designated = false, vendor = "株式会社\u2028サンプル" }), "vendor" },
        { "systems/child_allowance", Body(new { phase = "testing", designated = false, vendor = "株式会社\nサンプル" }), "vendor" },
        { "systems/child_allowance", Body(new { phase = "not_started", designated = false, regressionReason = "体制\u2066見直し\u2069" }), "regressionReason" },
        { "systems/child_allowance", Body(new { phase = "not_started", designated = false, regressionReason = "体制見直し\u2029" }), "regressionReason" },
        { "security/SEC-1-01", Body(new { status = "implemented", evidence = "規程\u200D第3条" }), "evidence" },
        { "security/SEC-1-01", Body(new { status = "implemented", evidence = "規程\u001B第3条" }), "evidence" },
    };

    [Theory]
    [MemberData(nameof(ApiFaults))]
    public async Task Put_refuses_invisible_and_direction_changing_characters_naming_the_field(string path, string json, string field)
    {
        await PrepareAsync();
        var (before, version) = await host.GetMunicipality(M);
        using var client = host.Municipality(M);
        using var response = await client.SendAsync(ApiHost.Request(HttpMethod.Put, $"/api/v1/municipalities/{M}/{path}", json, version));
        var problem = await ApiHost.AssertProblem(response, HttpStatusCode.UnprocessableEntity, field);
        Assert.Contains(problem.GetProperty("errors").EnumerateArray(), e => e.GetProperty("messageJa").GetString()!.Contains("U+", StringComparison.Ordinal));
        var (after, versionAfter) = await host.GetMunicipality(M);
        Assert.Equal(version, versionAfter);
        Assert.Equal(before.GetProperty("systems").GetRawText(), after.GetProperty("systems").GetRawText());
    }

    [Fact]
    public async Task A_whole_report_is_refused_for_one_bad_field_and_names_it()
    {
        await PrepareAsync();
        var (_, version) = await host.GetMunicipality(M);
        using var client = host.Municipality(M);
        var json = Body(new
        {
            systems = new object[] { new { businessId = "koseki", phase = "testing", vendor = "正しい名前" }, new { businessId = "child_allowance", phase = "testing", vendor = "株式会社\u202Eルプンサ" } },
            security = new object[] { new { itemId = "SEC-1-02", status = "partial", evidence = "\u200B" } },
        });
        using var response = await client.SendAsync(ApiHost.Request(HttpMethod.Post, $"/api/v1/municipalities/{M}/reports", json, idempotencyKey: "free-text-report", anyVersion: true));
        var problem = await ApiHost.AssertProblem(response, HttpStatusCode.UnprocessableEntity, "systems[1].vendor");
        Assert.Contains(problem.GetProperty("errors").EnumerateArray(), e => e.GetProperty("field").GetString() == "security[0].evidence");
        Assert.Equal(version, (await host.GetMunicipality(M)).Version);
    }

    [Fact]
    public async Task Accepted_text_is_trimmed_of_unicode_white_space_and_composed()
    {
        await PrepareAsync();
        using var client = host.Municipality(M);
        await host.PutSystem(client, M, "koseki", Body(new { phase = "testing", designated = false, vendor = "\u3000株式会社サンフ\u309Aル\u3000\u00A0", regressionReason = "再計画" }));
        var (stored, _) = await host.GetMunicipality(M);
        Assert.Equal("株式会社サンプル", System(stored, "koseki").GetProperty("vendor").GetString());
    }

    public static TheoryData<string, string, string, string> FormFaults() => new()
    {
        // form action tail, field, value, message (Japanese)
        { "systems/child_allowance", "vendor", "株式会社\u202Eルプンサ", "ベンダに表示されない文字" },
        { "systems/child_allowance", "vendor", "\u200B株式会社サンプル\u200B", "ベンダに表示されない文字" },
        { "systems/child_allowance", "vendor", "株式会社\u2028サンプル", "ベンダに行区切り文字" },
        { "security/SEC-1-01", "evidence", "規程\u200B第3条", "根拠・証跡に表示されない文字" },
    };

    [Theory]
    [MemberData(nameof(FormFaults))]
    public async Task The_forms_refuse_the_same_characters_with_the_message_at_the_field(string action, string field, string value, string message)
    {
        await PrepareAsync();
        var (_, version) = await host.GetMunicipality(M);
        using var form = await FormSession.SignInAsync(host, M);
        var fields = action.StartsWith("systems", StringComparison.Ordinal)
            ? new Dictionary<string, string> { ["phase"] = "testing", [field] = value }
            : new Dictionary<string, string> { ["status"] = "implemented", [field] = value };
        var (status, html) = await form.PostAsync(M, $"/municipalities/{M}/{action}", fields);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        var text = WebUtility.HtmlDecode(html);
        Assert.Contains(message, text, StringComparison.Ordinal);
        Assert.Contains($"-{field}-error", text, StringComparison.Ordinal);
        Assert.Equal(version, (await host.GetMunicipality(M)).Version);
    }

    [Fact]
    public async Task The_form_stores_trimmed_text()
    {
        await PrepareAsync();
        using var form = await FormSession.SignInAsync(host, M);
        var (status, _) = await form.PostAsync(M, $"/municipalities/{M}/systems/child_allowance",
            new Dictionary<string, string> { ["phase"] = "testing", ["vendor"] = "\u3000全角空白ベンダー\u3000" });
        Assert.Equal(HttpStatusCode.SeeOther, status);
        var (stored, _) = await host.GetMunicipality(M);
        Assert.Equal("全角空白ベンダー", System(stored, "child_allowance").GetProperty("vendor").GetString());
    }

    private static string Body(object value) => JsonSerializer.Serialize(value);

    private static JsonElement System(JsonElement municipality, string businessId) =>
        municipality.GetProperty("systems").EnumerateArray().Single(s => s.GetProperty("businessId").GetString() == businessId);

    // The phase-back cases need a phase to move back from.
    private async Task PrepareAsync()
    {
        var (body, _) = await host.GetMunicipality(M);
        if (System(body, "child_allowance").GetProperty("phase").GetString() != "testing")
        {
            using var client = host.Municipality(M);
            await host.PutSystem(client, M, "child_allowance", Body(new { phase = "testing", designated = false, regressionReason = "再計画" }));
        }
    }
}
