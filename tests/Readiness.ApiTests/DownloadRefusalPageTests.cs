using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A refused download opened in a browser tab (Accept preferring text/html) is the dashboard's ja/en page with the
/// same status, the fault's words and the refused field; curl, scripts and the API's clients keep
/// application/problem+json. A breaker's finding (round 46, low): a 400/403/404 download link showed <c>{"type":…}</c>.
/// Every route ending in .csv or .xlsx is walked (DownloadRefusalPage is the one rule).
/// </summary>
public sealed class DownloadRefusalPageTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string BrowserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

    [Fact]
    public async Task Every_download_refused_to_a_browser_is_the_dashboard_page_and_to_a_script_problem_details()
    {
        await host.WaitUntilReadyAsync();
        var downloads = host.Services.GetRequiredService<Microsoft.AspNetCore.Routing.EndpointDataSource>().Endpoints.OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>()
            .Select(e => e.RoutePattern.RawText!)
            .Where(p => p.EndsWith(".csv", StringComparison.Ordinal) || p.EndsWith(".xlsx", StringComparison.Ordinal))
            .Distinct().Order().ToList();
        Assert.True(downloads.Count >= 14, string.Join(", ", downloads));
        using var browser = await host.SignedInPagesAsync(host.Token(Role.Admin, subject: "downloads@digital.go.jp"));
        var failures = new List<string>();
        foreach (var path in downloads.Select(RouteValues.Fill))
        {
            // A tag that is not the file's: a download answers it 412 naming If-Match (or refuses the caller first), saying
            // the tag names no version of it when it is not of the file's tag form (round 48).
            using var page = new HttpRequestMessage(HttpMethod.Get, path);
            page.Headers.TryAddWithoutValidation("Accept", BrowserAccept);
            page.Headers.TryAddWithoutValidation("If-Match", "\"not-this-file\"");
            using var shown = await browser.SendAsync(page);
            var html = await shown.Content.ReadAsStringAsync();
            if ((int)shown.StatusCode < 400 || shown.Content.Headers.ContentType?.MediaType != "text/html" || html.Contains("\"type\":", StringComparison.Ordinal)
                || (shown.StatusCode == HttpStatusCode.PreconditionFailed && !(html.Contains("data-refused=\"If-Match\"", StringComparison.Ordinal) && (html.Contains("If-Match の条件が成り立ちません", StringComparison.Ordinal) || html.Contains("If-Match の ETag は、この対象のどの版も指していません", StringComparison.Ordinal)))))
            {
                failures.Add($"{path} (browser): {(int)shown.StatusCode} {shown.Content.Headers.ContentType} {html[..Math.Min(200, html.Length)]}");
            }

            using var script = new HttpRequestMessage(HttpMethod.Get, path);
            script.Headers.TryAddWithoutValidation("If-Match", "\"not-this-file\"");
            using var problem = await browser.SendAsync(script);
            if (problem.StatusCode != shown.StatusCode || (!path.StartsWith("/admin/", StringComparison.Ordinal) && problem.Content.Headers.ContentType?.MediaType != "application/problem+json"))
            {
                failures.Add($"{path} (script): {(int)problem.StatusCode} {problem.Content.Headers.ContentType}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>The refusals a person meets: a prefecture code that names none (400 naming prefCode), an unknown query parameter (400 naming it), another municipality's template (403).</summary>
    [Theory]
    [InlineData("/api/v1/prefectures/99/municipalities.csv", HttpStatusCode.BadRequest, "prefCode", "National")]
    [InlineData("/api/v1/export/municipalities.xlsx?pref=13", HttpStatusCode.BadRequest, "pref", "National")]
    [InlineData("/api/v1/municipalities/271004/template.xlsx", HttpStatusCode.Forbidden, null, "Municipality")]
    public async Task A_refused_download_link_opened_in_a_tab_is_a_page(string path, HttpStatusCode status, string? field, string role)
    {
        await host.WaitUntilReadyAsync();
        var token = role == "National" ? host.Token(Role.National, subject: "tab@digital.go.jp") : host.Token(Role.Municipality, ApiHost.Chiyoda, "tab@city.chiyoda");
        using var browser = await host.SignedInPagesAsync(token);
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Accept", BrowserAccept);
        using var response = await browser.SendAsync(request);
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{response.StatusCode}: {html[..Math.Min(300, html.Length)]}");
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("\"type\":", html, StringComparison.Ordinal);
        Assert.Contains("ダウンロードできませんでした", html, StringComparison.Ordinal);
        if (field is not null)
        {
            Assert.Contains($"data-refused=\"{field}\"", html, StringComparison.Ordinal);
        }

        // The same link from a script: problem details.
        using var script = await browser.GetAsync(path);
        Assert.Equal(status, script.StatusCode);
        Assert.Equal("application/problem+json", script.Content.Headers.ContentType?.MediaType);
    }
}
