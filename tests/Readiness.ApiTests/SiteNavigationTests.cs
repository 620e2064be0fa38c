using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
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
    public async Task Administrators_are_shown_the_api_clients_page_and_others_are_not()
    {
        using var admin = await SignInAdminAsync();
        var adminLinks = await LinksAsync(admin);
        Assert.Contains("/admin/clients", adminLinks);
        using var clients = await admin.GetAsync("/admin/clients");
        Assert.Equal(HttpStatusCode.OK, clients.StatusCode);
        Assert.Contains("<a href=\"/admin/clients\" aria-current=\"page\">", await clients.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var national = await FormSession.SignInNationalAsync(host);
        Assert.DoesNotContain("/admin/clients", await LinksAsync(national));
        using var municipality = await FormSession.SignInAsync(host, ApiHost.Osaka);
        Assert.DoesNotContain("/admin/clients", await LinksAsync(municipality));
    }

    [Theory]
    [InlineData("municipality", "/municipalities/" + ApiHost.Osaka + "/history", "/municipalities/" + ApiHost.Osaka)]
    [InlineData("prefecture", "/prefectures/13/changes", "/prefectures/13")]
    [InlineData("prefecture", "/prefectures/13/systems/history", "/prefectures/13")]
    [InlineData("national", "/planning/scenarios", "/planning")]
    [InlineData("national", "/planning/prefectures/13", "/planning")]
    public async Task A_page_under_a_section_marks_the_section_true_not_page(string role, string path, string section)
    {
        using var session = role switch
        {
            "municipality" => await FormSession.SignInAsync(host, ApiHost.Osaka),
            "prefecture" => await FormSession.SignInPrefectureAsync(host, "13"),
            _ => await FormSession.SignInNationalAsync(host),
        };
        using var page = await session.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var nav = Nav(await page.Content.ReadAsStringAsync());
        // WAI-ARIA: aria-current="page" is the current page itself; a section one is inside of is "true".
        Assert.Contains($"<a href=\"{section}\" aria-current=\"true\">", nav, StringComparison.Ordinal);
        Assert.DoesNotContain("aria-current=\"page\"", nav, StringComparison.Ordinal);
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
        return [.. Href().Matches(Nav(await page.Content.ReadAsStringAsync())).Select(m => m.Groups[1].Value)];
    }

    private static string Nav(string html)
    {
        var start = html.IndexOf("data-site-nav", StringComparison.Ordinal);
        Assert.True(start >= 0, "no site navigation");
        return html[start..html.IndexOf("</nav>", start, StringComparison.Ordinal)];
    }

    private async Task<FormSession> SignInAdminAsync() =>
        await FormSession.SignInTokenAsync(host, host.Token(Readiness.Role.Admin, null, "nav-admin@digital.go.jp"));

    [GeneratedRegex("<a href=\"([^\"]+)\"")]
    private static partial Regex Href();
}

/// <summary>
/// A review found the header evaluating the Summaries policy twice per request (it gates three links): each policy is
/// to be evaluated once. This host counts the Summaries evaluations of each request.
/// </summary>
public sealed class SiteNavigationPolicyCountTests(SiteNavigationPolicyCountTests.CountingHost host) : IClassFixture<SiteNavigationPolicyCountTests.CountingHost>
{
    [Fact]
    public async Task The_header_evaluates_the_summaries_policy_once_per_request()
    {
        using var national = await FormSession.SignInNationalAsync(host);
        host.Counts.Clear();
        // The notifications page's own policy is Inbox: every Summaries evaluation in this request is the header's.
        using var page = await national.GetAsync("/notifications");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<a href=\"/planning\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, Assert.Single(host.Counts).Value);
    }

    public sealed class CountingHost : ApiHost
    {
        /// <summary>Summaries evaluations by request (its trace identifier).</summary>
        public System.Collections.Concurrent.ConcurrentDictionary<string, int> Counts { get; } = new();

        protected override Microsoft.Extensions.Hosting.IHost CreateHost(Microsoft.Extensions.Hosting.IHostBuilder builder)
        {
            builder.ConfigureServices((_, s) => s.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationHandler>(new Counter(Counts)));
            return base.CreateHost(builder);
        }

        private sealed class Counter(System.Collections.Concurrent.ConcurrentDictionary<string, int> counts)
            : Microsoft.AspNetCore.Authorization.AuthorizationHandler<Readiness.Web.Auth.TenantRequirement>
        {
            protected override Task HandleRequirementAsync(Microsoft.AspNetCore.Authorization.AuthorizationHandlerContext context, Readiness.Web.Auth.TenantRequirement requirement)
            {
                if (requirement.Scope == Readiness.Web.Auth.TenantScope.Summaries && context.Resource is Microsoft.AspNetCore.Http.HttpContext http)
                {
                    counts.AddOrUpdate(http.TraceIdentifier, 1, (_, n) => n + 1);
                }

                return Task.CompletedTask;
            }
        }
    }
}
