using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// An emoji (😀) or a surrogate-pair kanji (𠮷, U+20BB7, a real family name) in a report comes out of every audit CSV's
/// before/after JSON as itself, not as <c>\uD842\uDFB7</c> (a breaker's finding: System.Text.Json's encoders escape
/// every character beyond the BMP, even the relaxed one). Real host.
/// </summary>
public sealed class AstralCharactersInCsvTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string M = "131059"; // 文京区
    private const string Vendor = "𠮷田商店😀";

    [Fact]
    public async Task The_audit_csvs_json_columns_carry_emoji_and_surrogate_pair_kanji_as_themselves()
    {
        using (var reporter = host.Municipality(M, "astral@city.bunkyo"))
        {
            await host.PutSystem(reporter, M, "koseki", $$"""{"vendor":"{{Vendor}}"}""");
        }

        using var national = host.National();
        foreach (var path in new[] { $"/api/v1/municipalities/{M}/history.csv", "/api/v1/prefectures/13/changes.csv", "/api/v1/nation/changes.csv" })
        {
            var rows = AuditForgingTests.ParseCsv((await national.GetStringAsync(new Uri(path, UriKind.Relative))).TrimStart('\uFEFF'));
            var after = rows[0].IndexOf("after");
            var cell = rows.First(r => r[0] == M && r[after].Contains("vendor", StringComparison.Ordinal))[after];
            Assert.Contains($"\"vendor\":\"{Vendor}\"", cell, StringComparison.Ordinal);
            Assert.DoesNotContain("\\uD", cell, StringComparison.OrdinalIgnoreCase);
        }
    }
}
