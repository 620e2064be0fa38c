using System.Net;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A breaker's finding (round 49): the 403 page of a refused form post said 「このページを表示する権限がありません /
/// You may not open this page」, though what was refused was a change. Every kind of refusal page now says what was
/// refused: a change (with nothing changed) for a form sent, a page for a page opened, and its explanation fits the
/// change (who may change it), not who may view. The client forms answered an empty 403 (a blank page).
/// </summary>
public sealed class RefusedChangePageTests(ApiHost host) : IClassFixture<ApiHost>
{
    public static TheoryData<string, string, string> Refusals => new()
    {
        // The write policy's refusal (PageAuthorizationResultHandler), a prefecture on its municipality's form.
        { "prefecture", $"/municipalities/{ApiHost.Chiyoda}/systems/child_allowance", "市区町村のデータを更新できるのは" },
        { "prefecture", $"/municipalities/{ApiHost.Chiyoda}/template", "市区町村のデータを更新できるのは" },
        // National staff may read the systems a prefecture runs, not report them.
        { "national", "/prefectures/13/systems/public_assistance", "都道府県が実施する事務を報告できるのは" },
        // The administration forms' own refusals (AccountEndpoints, ClientPages).
        { "municipality", "/admin/invitations", "管理は管理者だけが行えます" },
        { "municipality", "/admin/clients/new", "管理は管理者だけが行えます" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_refused_form_says_the_change_was_refused_not_the_page(string role, string action, string explanation)
    {
        using var session = role switch
        {
            "prefecture" => await FormSession.SignInPrefectureAsync(host, "13"),
            "national" => await FormSession.SignInNationalAsync(host),
            _ => await FormSession.SignInAsync(host, ApiHost.Osaka),
        };
        var token = await TokenAsync(session, role);
        using var response = await session.PostContentAsync(action, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token, ["version"] = "1", ["phase"] = "testing", ["email"] = "x@example.jp", ["role"] = "municipality_viewer", ["name"] = "x",
        }));
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{action}: {response.StatusCode}\n{html}");
        Assert.Contains("data-refused=\"change\"", html, StringComparison.Ordinal);
        Assert.Contains("この変更を行う権限がありません（何も変更していません）", html, StringComparison.Ordinal);
        Assert.DoesNotContain("表示する権限がありません", html, StringComparison.Ordinal);
        Assert.DoesNotContain("閲覧する権限がありません", html, StringComparison.Ordinal);
        Assert.DoesNotContain("You may not open this page", html, StringComparison.Ordinal);
        Assert.Contains(explanation, html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_page_still_says_the_page_was_refused()
    {
        using var osaka = await FormSession.SignInAsync(host, ApiHost.Osaka);
        using var page = await osaka.SendAsync(Page($"/municipalities/{ApiHost.Chiyoda}"));
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
        Assert.Contains("data-refused=\"view\"", html, StringComparison.Ordinal);
        Assert.Contains("このページを表示する権限がありません", html, StringComparison.Ordinal);
        Assert.Contains("市区町村の詳細ページは", html, StringComparison.Ordinal);

        using var changes = await osaka.SendAsync(Page("/prefectures/13/changes"));
        var changesHtml = await changes.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Forbidden, changes.StatusCode);
        // A prefecture's refused page explained who may edit it.
        Assert.DoesNotContain("編集", changesHtml, StringComparison.Ordinal);
        Assert.Contains("その都道府県の職員、国の職員、管理者が閲覧できます", changesHtml, StringComparison.Ordinal);
    }

    /// <summary>A page as a browser asks for it (text/html: a script's fetch gets problem details).</summary>
    private static HttpRequestMessage Page(string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/html");
        return request;
    }

    /// <summary>An antiforgery token of the session (any form's: the token is the session's), from its own page.</summary>
    private static async Task<string> TokenAsync(FormSession session, string role)
    {
        using var page = await session.GetAsync(role switch
        {
            "prefecture" => "/prefectures/13",
            "national" => "/imports",
            _ => $"/municipalities/{ApiHost.Osaka}",
        });
        var html = await page.Content.ReadAsStringAsync();
        var match = System.Text.RegularExpressions.Regex.Match(html, "name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"");
        Assert.True(match.Success, "no antiforgery token on the session's page");
        return match.Groups[1].Value;
    }
}
