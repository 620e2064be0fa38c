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
}
