using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A vendor that reads like more audit fields («株式会社サンプル; hosting=government_cloud; phase=in_production») stays
/// one vendor on every surface of the audit trail: the history as JSON, the history as CSV, the municipality view's
/// recent changes and the municipality page. Rows written before fields were stored stay readable as legacy text.
/// </summary>
public sealed class AuditForgingTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string M = "012025"; // 函館市
    private const string Forged = "株式会社サンプル; hosting=government_cloud; phase=in_production";

    [Fact]
    public async Task A_vendor_cannot_pose_as_other_fields_in_any_view_of_the_history()
    {
        using var staff = host.Municipality(M, "hakodate-staff");
        await host.PutSystem(staff, M, "koseki", JsonSerializer.Serialize(new { phase = "testing", designated = false, hosting = "on_premises", regressionReason = "再計画" }));
        await host.PutSystem(staff, M, "koseki", JsonSerializer.Serialize(new { phase = "testing", designated = false, vendor = Forged, hosting = "on_premises", regressionReason = "再計画" }));

        // 1. The history API: after is an object whose phase and hosting are the real ones; the vendor is one string.
        using var national = host.National();
        var history = JsonDocument.Parse(await national.GetStringAsync($"/api/v1/municipalities/{M}/history")).RootElement;
        var entry = history.GetProperty("items").EnumerateArray().First(e => e.GetProperty("target").GetString() == "system:koseki");
        var after = entry.GetProperty("after");
        Assert.Equal(JsonValueKind.Object, after.ValueKind);
        Assert.Equal("testing", after.GetProperty("phase").GetString());
        Assert.Equal("on_premises", after.GetProperty("hosting").GetString());
        Assert.Equal(Forged, after.GetProperty("vendor").GetString());
        Assert.False(after.GetProperty("designated").GetBoolean());
        Assert.Equal(1, after.EnumerateObject().Count(p => p.Name == "phase"));
        Assert.Equal(JsonValueKind.Object, entry.GetProperty("before").ValueKind);
        Assert.Equal(JsonValueKind.Null, entry.GetProperty("before").GetProperty("vendor").ValueKind);

        // 2. The municipality view's recent changes: the same object.
        var (municipality, _) = await host.GetMunicipality(M);
        var recent = municipality.GetProperty("recentChanges").EnumerateArray().First(e => e.GetProperty("target").GetString() == "system:koseki");
        Assert.Equal(after.GetRawText(), recent.GetProperty("after").GetRawText());

        // 3. CSV: one cell per side holding a JSON object; parsed back, the same fields.
        var bytes = await national.GetByteArrayAsync($"/api/v1/municipalities/{M}/history.csv");
        var rows = ParseCsv(Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3));
        var header = rows[0];
        var row = rows.Skip(1).First(r => r[header.IndexOf("target")] == "system:koseki");
        Assert.Equal(header.Count, row.Count);
        var csvAfter = JsonDocument.Parse(row[header.IndexOf("after")]).RootElement;
        Assert.Equal("testing", csvAfter.GetProperty("phase").GetString());
        Assert.Equal("on_premises", csvAfter.GetProperty("hosting").GetString());
        Assert.Equal(Forged, csvAfter.GetProperty("vendor").GetString());

        // 4. The municipality page: every field is its own element; the vendor's text stays inside the vendor's.
        using var page = await FormSession.SignInAsync(host, M);
        var html = await page.PageAsync(M);
        var start = html.IndexOf("id=\"history-heading\"", StringComparison.Ordinal);
        // Markup whitespace between elements is the page's layout, not content.
        var section = System.Text.RegularExpressions.Regex.Replace(
            WebUtility.HtmlDecode(html[start..html.IndexOf("</section>", start, StringComparison.Ordinal)]), @">\s+<", "><");
        Assert.Contains($"<div data-field=\"vendor\" data-value=\"{Forged}\"><dt>ベンダ（アプリ提供事業者）</dt><dd>「{Forged}」</dd></div>", section, StringComparison.Ordinal);
        Assert.Contains("<div data-field=\"hosting\" data-value=\"on_premises\"><dt>稼働環境</dt><dd>オンプレミス</dd></div>", section, StringComparison.Ordinal);
        Assert.DoesNotContain("<dd>ガバメントクラウド</dd>", section, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_row_written_before_fields_were_stored_is_served_as_legacy_text()
    {
        const string code = "012033"; // 小樽市
        using var staff = host.Municipality(code, "otaru-staff");
        await host.PutSystem(staff, code, "koseki", """{"phase":"testing","designated":false,"regressionReason":"再計画"}""");

        // A row as the previous release wrote it (text only), at a version the municipality has stored.
        await using (var db = new SqliteConnection($"Data Source={Path.Combine(host.DataPath, "readiness.db")}"))
        {
            await db.OpenAsync();
            await using var insert = db.CreateCommand();
            insert.CommandText = """
                INSERT INTO readiness_audit (municipality_code, version, target, at_utc, actor_subject, actor_role, actor_tenant, request_id, before_value, after_value)
                VALUES ($code, 1, 'security:SEC-9-01', '2026-01-05T00:00:00.0000000Z', 'old-release', 'municipality', $code, 'legacy-1', 'status=not_assessed', 'status=implemented; evidence=規程')
                """;
            insert.Parameters.AddWithValue("$code", code);
            Assert.Equal(1, await insert.ExecuteNonQueryAsync());
        }

        using var national = host.National();
        var history = JsonDocument.Parse(await national.GetStringAsync($"/api/v1/municipalities/{code}/history")).RootElement;
        var legacy = history.GetProperty("items").EnumerateArray().Single(e => e.GetProperty("requestId").GetString() == "legacy-1");
        Assert.Equal("status=not_assessed", legacy.GetProperty("before").GetProperty("legacyText").GetString());
        Assert.Equal("status=implemented; evidence=規程", legacy.GetProperty("after").GetProperty("legacyText").GetString());
        var current = history.GetProperty("items").EnumerateArray().Single(e => e.GetProperty("target").GetString() == "system:koseki");
        Assert.Equal("testing", current.GetProperty("after").GetProperty("phase").GetString());

        var bytes = await national.GetByteArrayAsync($"/api/v1/municipalities/{code}/history.csv");
        var rows = ParseCsv(Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3));
        var row = rows.Single(r => r.Contains("legacy-1"));
        Assert.Equal("status=implemented; evidence=規程", JsonDocument.Parse(row[rows[0].IndexOf("after")]).RootElement.GetProperty("legacyText").GetString());
    }

    /// <summary>RFC 4180, records ending in CRLF (the test fails on a bare LF outside quotes).</summary>
    internal static List<List<string>> ParseCsv(string text)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                row.Add(field.ToString());
                field.Clear();
            }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                row.Add(field.ToString());
                field.Clear();
                rows.Add(row);
                row = [];
                i++;
            }
            else
            {
                Assert.False(c is '\r' or '\n', $"a bare line break at {i}");
                field.Append(c);
            }
        }

        if (field.Length > 0 || row.Count > 0)
        {
            row.Add(field.ToString());
            rows.Add(row);
        }

        return rows;
    }
}
