using System.Net;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The change history on a municipality's page names the role a change was made in, in words (tester's finding, the
/// same kind as the notifications page's raw status names: the cell under the person read "municipality"). Real host.
/// </summary>
public sealed class ChangeHistoryWordsTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string M = "131024"; // 中央区

    [Fact]
    public async Task The_history_says_the_role_in_words_with_the_wire_name_kept_for_machines()
    {
        using (var reporter = host.Municipality(M))
        {
            await host.PutSystem(reporter, M, "koseki", """{"phase":"testing","plannedGoLive":"2027-03-01","vendor":"株式会社履歴試験","hosting":"government_cloud","notApplicable":false,"designated":false}""");
        }

        using var pages = await host.SignedInPagesAsync(host.Token(Role.National));
        foreach (var (language, words) in new[] { ("ja", "市区町村"), ("en", "Municipality") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/municipalities/{M}");
            request.Headers.Add("Cookie", $"readiness-lang={language}");
            using var response = await pages.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
            var table = html[html.IndexOf("history-table", StringComparison.Ordinal)..];
            Assert.Contains($"<span class=\"cell-note\" data-role=\"municipality\">{words}</span>", table, StringComparison.Ordinal);
            Assert.DoesNotContain("cell-note\">municipality<", table, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// Each changed field is named as the form names it and its value said in words (a tester's finding: the history
    /// read <c>phase 「in_production」 → 「testing」</c>, <c>regression false → true</c>, <c>status 「not_assessed」</c>,
    /// the only place where the pages used the API's terms); the wire name and value stay in data-field and data-value.
    /// </summary>
    [Fact]
    public async Task The_history_names_each_field_and_value_as_the_form_does_in_both_languages()
    {
        const string Code = "131032"; // 港区
        using (var reporter = host.Municipality(Code))
        {
            await host.PutSystem(reporter, Code, "koseki", """{"phase":"in_production","plannedGoLive":"2026-04-01","hosting":"government_cloud","cloudProvider":"aws","designated":false}""");
            await host.PutSystem(reporter, Code, "koseki", """{"phase":"testing","designated":false,"regressionReason":"再テストのため"}""");
            var (_, version) = await host.GetMunicipality(Code);
            using var security = await reporter.SendAsync(ApiHost.Request(HttpMethod.Put, $"/api/v1/municipalities/{Code}/security/SEC-1-01", """{"status":"implemented","lastReviewed":"2026-11-20"}""", version));
            Assert.True(security.StatusCode == HttpStatusCode.OK, await security.Content.ReadAsStringAsync());
        }

        using var pages = await host.SignedInPagesAsync(host.Token(Role.National));
        foreach (var (language, expected) in new[]
        {
            ("ja", new[] { "<dt>移行フェーズ</dt><dd>本番稼働</dd>", "<dt>移行フェーズ</dt><dd>テスト</dd>", "<dt>後退</dt><dd>はい</dd>", "<dt>後退理由</dt><dd>「再テストのため」</dd>",
                "<dt>稼働環境</dt><dd>ガバメントクラウド</dd>", "<dt>本番稼働予定日</dt><dd>2026/04/01</dd>", "<dt>対応状況</dt><dd>実施済み</dd>", "<dt>最終確認日</dt><dd>2026/11/20</dd>" }),
            ("en", new[] { "<dt>Migration phase</dt><dd>In production</dd>", "<dt>Migration phase</dt><dd>Testing</dd>", "<dt>Regression</dt><dd>Yes</dd>",
                "<dt>Hosting</dt><dd>Government Cloud</dd>", "<dt>Status</dt><dd>Implemented</dd>", "<dt>Last reviewed</dt><dd>2026/11/20</dd>" }),
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/municipalities/{Code}");
            request.Headers.Add("Cookie", $"readiness-lang={language}");
            using var response = await pages.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
            var start = html.IndexOf("history-table", StringComparison.Ordinal);
            var table = System.Text.RegularExpressions.Regex.Replace(html[start..html.IndexOf("</table>", start, StringComparison.Ordinal)], @">\s+<", "><");
            foreach (var words in expected)
            {
                Assert.Contains(words, table, StringComparison.Ordinal);
            }

            Assert.Contains("data-field=\"phase\" data-value=\"testing\"", table, StringComparison.Ordinal);
            foreach (var wire in new[] { "<dt>phase</dt>", "<dt>regression</dt>", "<dt>status</dt>", "「in_production」", "「not_assessed」", "<dd>true</dd>" })
            {
                Assert.DoesNotContain(wire, table, StringComparison.Ordinal);
            }
        }
    }
}
