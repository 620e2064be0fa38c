using System.Net;
using Readiness.Testing;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A body over its endpoint's limit is refused 413 with advice that fits what was sent, over real HTTP (a breaker's
/// finding: a single system's PUT was told to "split the report", which one system cannot be): one system or checklist
/// item (a municipality's, a prefecture's own) is told to shorten its text and send Japanese as raw UTF-8; a report
/// that, or to split it; a small JSON document (a scenario, the sign-in) its own 16 KiB; a reporting template upload
/// its own 2 MB and how a template stays small. Nothing is changed by any of them.
/// </summary>
public sealed class BodyLimitAdviceTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string M = "131059"; // 文京区: nothing else in this class writes it

    // \u-escaped Japanese, as a library that escapes by default sends it: 6 bytes a character, 300 KiB in all.
    private static readonly string Escaped = string.Concat(Enumerable.Repeat("\\u30c6\\u30b9\\u30c8", 300 * 1024 / 18));

    private static async Task<(string Ja, string En)> TooLargeAsync(HttpResponseMessage response, string field, string code)
    {
        var problem = await ApiHost.AssertProblem(response, HttpStatusCode.RequestEntityTooLarge, field);
        var error = problem.GetProperty("errors")[0];
        Assert.Equal(code, error.GetProperty("code").GetString());
        return (error.GetProperty("messageJa").GetString()!, error.GetProperty("messageEn").GetString()!);
    }

    /// <summary>Failed before: each said "split it into several requests (a report: …)".</summary>
    [Theory]
    [InlineData("PUT", "/api/v1/municipalities/131059/systems/koseki", "vendor")]
    [InlineData("PATCH", "/api/v1/municipalities/131059/systems/koseki", "vendor")]
    [InlineData("PUT", "/api/v1/municipalities/131059/security/SEC-1-01", "evidence")]
    [InlineData("PUT", "/api/v1/prefectures/13/systems/public_assistance", "vendor")]
    public async Task One_system_or_item_is_told_to_shorten_its_text_and_send_utf8_not_to_split(string method, string path, string member)
    {
        using var client = path.StartsWith("/api/v1/prefectures/", StringComparison.Ordinal)
            ? host.Client(host.Token(Role.Prefecture, "13", "limits@pref.tokyo"))
            : host.Municipality(M, "limits@city.bunkyo");
        var before = (await host.GetMunicipality(M)).Version;
        using var request = ApiHost.Request(new HttpMethod(method), path, $$"""{"{{member}}":"{{Escaped}}"}""", anyVersion: true);
        if (method == "PATCH")
        {
            request.Content!.Headers.ContentType = new("application/merge-patch+json");
        }

        using var response = await client.SendAsync(request);
        var (ja, en) = await TooLargeAsync(response, "body", "too_large");
        Assert.StartsWith("本文が大きすぎます（上限 256 KiB）。1つの業務・項目の本文です。文字列を短くしてください", ja, StringComparison.Ordinal);
        Assert.Contains("UTF-8", ja, StringComparison.Ordinal);
        Assert.Contains("shorten its text", en, StringComparison.Ordinal);
        Assert.Contains("raw UTF-8", en, StringComparison.Ordinal);
        Assert.Contains($"{member} ", en, StringComparison.Ordinal); // the member's limit is said
        Assert.DoesNotContain("分けて", ja, StringComparison.Ordinal);
        Assert.DoesNotContain("split", en, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before, (await host.GetMunicipality(M)).Version);
    }

    [Fact]
    public async Task A_report_is_told_to_send_utf8_or_split_it()
    {
        using var client = host.Municipality(M, "limits@city.bunkyo");
        var body = $$"""{"systems":[{"businessId":"koseki","vendor":"{{Escaped}}"}]}""";
        using var response = await client.SendAsync(ApiHost.Request(HttpMethod.Post, $"/api/v1/municipalities/{M}/reports", body, idempotencyKey: "limits-report", anyVersion: true));
        var (ja, en) = await TooLargeAsync(response, "body", "too_large");
        Assert.Contains("UTF-8", ja, StringComparison.Ordinal);
        Assert.Contains("報告を複数に分けて", ja, StringComparison.Ordinal);
        Assert.Contains("split the report", en, StringComparison.Ordinal);
    }

    /// <summary>Failed before: a scenario and the sign-in were told to split a report they do not have.</summary>
    [Theory]
    [InlineData("/api/v1/scenarios", "name")]
    [InlineData("/auth/local/signin", "token")]
    public async Task A_small_json_document_is_told_its_own_limit_and_not_to_split(string path, string member)
    {
        using var client = path.StartsWith("/api/", StringComparison.Ordinal) ? host.National() : host.Client();
        using var request = ApiHost.Request(HttpMethod.Post, path, $$"""{"{{member}}":"{{new string('x', 20 * 1024)}}"}""");
        using var response = await client.SendAsync(request);
        var (ja, en) = await TooLargeAsync(response, "body", "too_large");
        Assert.StartsWith("本文が大きすぎます（上限 16 KiB）。", ja, StringComparison.Ordinal);
        Assert.Contains("16 KiB", en, StringComparison.Ordinal);
        Assert.DoesNotContain("分けて", ja, StringComparison.Ordinal);
        Assert.DoesNotContain("split", en, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Failed before: only 「ファイルが大きすぎます（上限 2 MB）。」, nothing on how a template fits.</summary>
    [Fact]
    public async Task A_template_upload_is_told_its_own_limit_and_how_a_template_stays_small()
    {
        using var client = host.Municipality(M, "limits@city.bunkyo");
        var file = new byte[(2 * 1024 * 1024) + 1];
        foreach (var step in new[] { "preview", "apply" })
        {
            using var response = await TemplateRequests.PostAsync(client, M, step, file);
            var (ja, en) = await TooLargeAsync(response, "file", "file_too_large");
            Assert.StartsWith("ファイルが大きすぎます（上限 2 MB）。報告テンプレートは1団体分", ja, StringComparison.Ordinal);
            Assert.Contains("template.xlsx", en, StringComparison.Ordinal);
        }
    }
}
