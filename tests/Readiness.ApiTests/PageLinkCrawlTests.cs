using System.Net;
using System.Text.RegularExpressions;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A breaker's finding (round 49): pages a person may read linked to pages they may not (a prefecture's staff on
/// another prefecture's page saw every municipality there as a link that answered 403; a municipality's staff saw its
/// neighbours; the forecast of a prefecture linked each municipality's forecast). For each role, every same-site link
/// on the pages it reaches (its sections and the pages of tenants not its own) answers 200 when followed.
/// </summary>
public sealed partial class PageLinkCrawlTests(ApiHost host) : IClassFixture<ApiHost>
{
    /// <summary>Pages each role may open, its own and others' tenants' among them.</summary>
    private static readonly string[] Seeds =
    [
        "/", "/prefectures/13", "/prefectures/27", "/planning", "/planning/prefectures/13", "/planning/prefectures/27", "/reconciliation",
        $"/municipalities/{ApiHost.Osaka}",
    ];

    [Theory]
    [InlineData("national")]
    [InlineData("prefecture")]
    [InlineData("municipality")]
    [InlineData("admin")]
    public async Task Every_link_on_the_pages_a_role_reaches_opens(string role)
    {
        using var session = role switch
        {
            "national" => await FormSession.SignInNationalAsync(host),
            "prefecture" => await FormSession.SignInPrefectureAsync(host, "13"),
            "municipality" => await FormSession.SignInAsync(host, ApiHost.Osaka),
            _ => await FormSession.SignInTokenAsync(host, host.Token(Readiness.Role.Admin, null, "crawl-admin@digital.go.jp")),
        };

        Dictionary<string, string> links = new(StringComparer.Ordinal); // link -> a page it is on
        foreach (var seed in Seeds)
        {
            var (status, html) = await GetAsync(session, seed);
            if (status != HttpStatusCode.OK)
            {
                continue; // not a page this role reaches (the municipality of another role, for one)
            }

            foreach (Match m in Href().Matches(html))
            {
                var link = WebUtility.HtmlDecode(m.Groups[1].Value).Split('#')[0];
                if (link.Length > 0 && !link.StartsWith("/api/", StringComparison.Ordinal) && !link.StartsWith("/lang/", StringComparison.Ordinal)
                    && !link.StartsWith("/auth/", StringComparison.Ordinal) && !link.StartsWith("/_", StringComparison.Ordinal) && !link.StartsWith("/css/", StringComparison.Ordinal)
                    && !link.StartsWith("/js/", StringComparison.Ordinal))
                {
                    links.TryAdd(link, seed);
                }
            }
        }

        List<string> refused = [];
        foreach (var (link, on) in links)
        {
            var (status, _) = await GetAsync(session, link);
            if (status != HttpStatusCode.OK)
            {
                refused.Add($"{link} (on {on}): {(int)status}");
            }
        }

        Assert.True(links.Count > 50, $"only {links.Count} links found");
        Assert.True(refused.Count == 0, $"{role}: links that do not open:\n{string.Join('\n', refused)}");
    }

    [Fact]
    public async Task Another_prefecture_s_municipalities_are_named_without_links()
    {
        using var tokyo = await FormSession.SignInPrefectureAsync(host, "13");
        var (_, osakaPage) = await GetAsync(tokyo, "/prefectures/27");
        Assert.DoesNotContain($"href=\"/municipalities/{ApiHost.Osaka}\"", osakaPage, StringComparison.Ordinal);
        Assert.Contains("data-no-link>大阪市<", osakaPage, StringComparison.Ordinal);
        Assert.Contains("data-openable=\"13\"", osakaPage, StringComparison.Ordinal); // the map's script opens only Tokyo's
        var (_, ownPage) = await GetAsync(tokyo, "/prefectures/13");
        Assert.Contains($"href=\"/municipalities/{ApiHost.Chiyoda}\"", ownPage, StringComparison.Ordinal);
    }

    private static async Task<(HttpStatusCode Status, string Html)> GetAsync(FormSession session, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/html");
        using var response = await session.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [GeneratedRegex("<a [^>]*href=\"(/[^\"]*)\"")]
    private static partial Regex Href();
}
