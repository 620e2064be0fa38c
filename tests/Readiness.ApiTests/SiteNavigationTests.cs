using System.Net;
using System.Text.RegularExpressions;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The header lists the site's sections the signed-in person may open. A breaker found national staff had no link to
/// planning, the official imports, notifications or their account: only typed addresses reached them. Every link shown
/// must answer 200 for that person (none bound to 403), and each role sees its own sections.
/// </summary>
public sealed partial class SiteNavigationTests(ApiHost host) : IClassFixture<ApiHost>
{
    [Fact]
    public async Task Each_role_is_shown_the_sections_it_may_open_and_every_one_opens()
    {
        using var national = await FormSession.SignInNationalAsync(host);
        var nationalLinks = await LinksAsync(national);
        Assert.Equal(["/", "/changes", "/planning", "/reconciliation", "/imports", "/notifications"], nationalLinks);

        using var prefecture = await FormSession.SignInPrefectureAsync(host, "13");
        var prefectureLinks = await LinksAsync(prefecture);
        Assert.Contains("/prefectures/13", prefectureLinks);
        Assert.Contains("/planning", prefectureLinks);
        Assert.DoesNotContain("/imports", prefectureLinks);
        Assert.DoesNotContain("/changes", prefectureLinks);

        using var municipality = await FormSession.SignInAsync(host, ApiHost.Osaka);
        var municipalityLinks = await LinksAsync(municipality);
        Assert.Contains($"/municipalities/{ApiHost.Osaka}", municipalityLinks);
        Assert.DoesNotContain("/imports", municipalityLinks);

        foreach (var (session, links) in new[] { (national, nationalLinks), (prefecture, prefectureLinks), (municipality, municipalityLinks) })
        {
            foreach (var link in links)
            {
                using var page = await session.GetAsync(link);
                Assert.True(page.StatusCode == HttpStatusCode.OK, $"{link}: {page.StatusCode}");
                var html = await page.Content.ReadAsStringAsync();
                // The section one is in is marked as the current page.
                Assert.Matches($"<a href=\"{Regex.Escape(link)}\" aria-current=\"page\">", html);
            }
        }
    }

    [Fact]
    public async Task Nobody_signed_in_is_shown_no_sections()
    {
        using var anonymous = new HttpClient { BaseAddress = host.BaseAddress };
        using var page = await anonymous.GetAsync("/signin");
        Assert.DoesNotContain("data-site-nav", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static async Task<List<string>> LinksAsync(FormSession session)
    {
        using var page = await session.GetAsync("/");
        var html = await page.Content.ReadAsStringAsync();
        var start = html.IndexOf("data-site-nav", StringComparison.Ordinal);
        Assert.True(start >= 0, "no site navigation on /");
        var nav = html[start..html.IndexOf("</nav>", start, StringComparison.Ordinal)];
        return [.. Href().Matches(nav).Select(m => m.Groups[1].Value)];
    }

    [GeneratedRegex("<a href=\"([^\"]+)\"")]
    private static partial Regex Href();
}
