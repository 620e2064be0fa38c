using System.Net;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The dashboard's pages answer a query value they cannot use as the API does, over real HTTP (breaker's finding: a
/// page such as /planning?scenario=nope answered 200 with a default page): a scenario that does not exist is 404 with a
/// Japanese-first message and a link back (403 for a role that may not see scenarios), a value outside its set (sort,
/// flag, kind, dir, metric, the reconciliation's filters) is 400 with a notice naming the parameter and a link to the
/// page without it, and the prefecture table's own downloads refuse what the API's downloads refuse.
/// </summary>
public sealed class PageQueryRefusalTests(ApiHost host) : IClassFixture<ApiHost>
{
    private async Task<(HttpStatusCode Status, string Html)> Page(string path, Role role = Role.National, string? tenant = null)
    {
        using var client = await host.SignedInPagesAsync(host.Token(role, tenant));
        using var response = await client.GetAsync(path);
        return (response.StatusCode, WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task A_scenario_that_does_not_exist_is_404_with_a_link_back()
    {
        var (status, html) = await Page("/planning?scenario=nope");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.True(html.Contains("シナリオ「nope」はありません", StringComparison.Ordinal), html[Math.Max(0, html.IndexOf("<main", StringComparison.Ordinal))..]);
        Assert.Contains("data-not-found-reason", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/planning/scenarios\"", html, StringComparison.Ordinal);

        var (forbidden, text) = await Page("/planning?scenario=nope", Role.Prefecture, "13");
        Assert.Equal(HttpStatusCode.Forbidden, forbidden);
        Assert.Contains("シナリオは国の職員と管理者のみが閲覧できます", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/prefectures/13?sort=nope", "sort")]
    [InlineData("/prefectures/13?flag=late&sort=name", "flag")]
    [InlineData("/prefectures/13?kind=metropolis", "kind")]
    [InlineData("/prefectures/13?dir=up", "dir")]
    [InlineData("/prefectures/13?metric=speed", "metric")]
    [InlineData("/?metric=speed", "metric")]
    [InlineData("/reconciliation?kind=nope", "kind")]
    [InlineData("/reconciliation?prefecture=99", "prefecture")]
    [InlineData("/reconciliation?business=nope", "business")]
    public async Task A_value_outside_its_set_is_400_and_said_naming_the_parameter(string path, string parameter)
    {
        var (status, html) = await Page(path);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains($"data-refused=\"{parameter}\"", html, StringComparison.Ordinal);
        Assert.Matches("指定できません|ありません", html);

        // The notice's way out is a page whose values are all in their sets: 200, nothing refused.
        var without = System.Text.RegularExpressions.Regex.Match(html, $"data-refused=\"{parameter}\"[^§]*?<a href=\"([^\"]+)\"").Groups[1].Value;
        Assert.StartsWith("/", without, StringComparison.Ordinal);
        var (after, page) = await Page(without);
        Assert.Equal(HttpStatusCode.OK, after);
        Assert.DoesNotContain("data-refused", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_notice_links_to_the_page_without_the_refused_value()
    {
        var (_, html) = await Page("/prefectures/13?q=%E5%8C%BA&sort=nope");
        Assert.Contains("href=\"/prefectures/13?q=%E5%8C%BA\"", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/prefectures/13/municipalities.csv?sort=nope", "sort")]
    [InlineData("/prefectures/13/municipalities.csv?flag=late", "flag")]
    [InlineData("/prefectures/13/search?kind=metropolis", "kind")]
    public async Task The_tables_downloads_refuse_what_the_api_refuses(string path, string parameter)
    {
        using var client = await host.SignedInPagesAsync(host.Token(Role.National));
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains($"\"field\":\"{parameter}\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    /// <summary>
    /// Failed before: a page of rows given a cursor it refuses said 「全 0 件」 and 「版 0」 in its header as if there
    /// were no rows, and said the refusal in words of its own (「ページの指定が正しくありません」) instead of naming the
    /// parameter and its form as the API's 400 does. Each such page (a municipality's history, a prefecture's and the
    /// nation's changes) now claims no counts, says the API's words, and links to its first page.
    /// </summary>
    [Theory]
    [InlineData("/municipalities/131016/history")]
    [InlineData("/prefectures/13/changes")]
    [InlineData("/changes")]
    [InlineData("/prefectures/13/systems/history")]
    public async Task A_page_of_rows_given_a_refused_cursor_claims_no_counts_and_says_the_api_s_refusal(string path)
    {
        var (status, html) = await Page($"{path}?cursor=garbage");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var notice = html[html.IndexOf("data-refused=\"cursor\"", StringComparison.Ordinal)..];
        Assert.Contains("cursor は前のページの nextCursorで指定してください（「garbage」は前のページの nextCursorではありません）。", notice, StringComparison.Ordinal);
        Assert.Contains("cursor must be a previous page's nextCursor; 'garbage' is not one.", notice, StringComparison.Ordinal);
        Assert.Contains($"<a href=\"{path}\" data-without>", notice, StringComparison.Ordinal);
        Assert.DoesNotMatch("全 ?0 ?件|版 ?0|Total ?0|data-version=\"0\"", html);
    }
}
