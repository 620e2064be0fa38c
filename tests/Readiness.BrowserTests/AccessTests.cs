using System.Net;
using System.Net.Http.Headers;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Readiness.BrowserTests;

/// <summary>Who may open which page: the API's tenant rules, applied to the dashboard on the server.</summary>
public sealed class AccessTests(DashboardFixture fixture, ITestOutputHelper output) : IClassFixture<DashboardFixture>
{
    private string Url(string path) => new Uri(fixture.BaseAddress, path).ToString();

    [Fact]
    public async Task An_anonymous_visitor_is_sent_to_the_sign_in_page_and_returns_to_the_page_after_signing_in()
    {
        foreach (var language in new[] { "ja", "en" })
        {
            await using var context = await fixture.NewAnonymousContextAsync(language);
            var page = await context.NewPageAsync();
            var watch = PageWatch.Attach(page, fixture.BaseAddress);

            await page.GotoAsync(Url("/prefectures/13?flag=overdue"));
            Assert.Equal("/signin", new Uri(page.Url).AbsolutePath);
            Assert.Equal(language, await page.GetAttributeAsync("html", "lang"));
            var text = await page.Locator("main").InnerTextAsync();
            Assert.Contains("dotnet run --project web/Readiness.Web -- token --role national", text, StringComparison.Ordinal);
            Assert.Contains(language == "ja" ? "トークンの発行方法" : "How to get a token", text, StringComparison.Ordinal);
            Assert.Equal(0, await page.Locator("[data-signed-in]").CountAsync());
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(DashboardFixture.ScreenshotFolder, $"signin-{language}.png"), FullPage = true });

            // A bad token brings the page back with the message, the field marked and focused.
            await page.Locator("#token").FillAsync("not-a-token");
            await page.Locator("form[action='/auth/local/signin'] button[type=submit]").ClickAsync();
            await page.WaitForUrlAsync("**/signin?error=invalid_token*");
            await Assertions.Expect(page.Locator("#token-error")).ToContainTextAsync(language == "ja" ? "トークンが無効か期限切れ" : "The token is invalid or expired");
            Assert.Equal("true", await page.GetAttributeAsync("#token", "aria-invalid"));
            Assert.Equal("token", await page.EvaluateAsync<string>("() => document.activeElement.id"));

            // The real sign-in form, by keyboard: paste the token, Enter on the button.
            await page.Locator("#token").FillAsync(fixture.Token(TestUser.National));
            await page.Keyboard.PressAsync("Tab");
            await page.Keyboard.PressAsync("Enter");
            await page.WaitForUrlAsync("**/prefectures/13?flag=overdue");
            await Assertions.Expect(page.Locator("[data-signed-in]")).ToContainTextAsync(language == "ja" ? "国（デジタル庁・総務省）" : "National (Digital Agency, MIC)");
            Assert.Equal("national", await page.GetAttributeAsync("[data-signed-in]", "data-role"));
            Assert.Contains(TestUser.National.Subject, await page.Locator("[data-signed-in]").InnerTextAsync(), StringComparison.Ordinal);

            // Sign out: the next page asks for sign-in again.
            await page.Locator(".signout-form button").ClickAsync();
            await page.WaitForUrlAsync("**/signin?ReturnUrl=%2F");
            await page.GotoAsync(Url("/municipalities/131016"));
            Assert.Equal("/signin", new Uri(page.Url).AbsolutePath);
            watch.AssertClean();
        }
    }

    [Fact]
    public async Task Without_sign_in_nothing_with_figures_is_served_and_the_pages_redirect()
    {
        using var handler = new HttpClientHandler { AllowAutoRedirect = false };
        using var anonymous = new HttpClient(handler) { BaseAddress = fixture.BaseAddress };
        foreach (var path in new[] { "/", "/prefectures/13", "/municipalities/131016", "/municipalities/999999" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
            using var response = await anonymous.SendAsync(request);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal($"/signin?ReturnUrl={Uri.EscapeDataString(path)}", response.Headers.Location?.PathAndQuery);
        }

        // Scripts and API clients get 401 problem details, not a redirect to a page.
        foreach (var path in new[] { "/api/v1/stream?topic=nation", "/live/map-data", "/prefectures/13/municipalities.csv", "/api/v1/nation/history" })
        {
            using var response = await anonymous.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{path}: {response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        // The sign-in page, the language switch and the map geometry (no figures) stay open.
        using (var signIn = await anonymous.GetAsync("/signin"))
        {
            Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        }

        using var history = await fixture.Http.GetAsync("/api/v1/nation/history");
        Assert.Equal(HttpStatusCode.OK, history.StatusCode);
    }

    [Fact]
    public async Task A_prefecture_reads_its_own_municipalities_but_gets_a_403_page_for_another_prefecture()
    {
        foreach (var language in new[] { "ja", "en" })
        {
            await using var context = await fixture.NewContextAsync(language, user: TestUser.Prefecture("27"));
            var page = await context.NewPageAsync();
            var watch = PageWatch.Attach(page, fixture.BaseAddress).Expect(403, "/municipalities/131016");

            var own = await page.GotoAsync(Url("/municipalities/271004"));
            Assert.Equal(200, own!.Status);
            Assert.Contains("大阪市", await page.Locator("h1").InnerTextAsync(), StringComparison.Ordinal);
            Assert.Equal(0, await page.Locator("form[data-edit-form]").CountAsync()); // prefectures read, they do not report
            Assert.Equal("prefecture", await page.GetAttributeAsync("[data-signed-in]", "data-role"));
            await Assertions.Expect(page.Locator("[data-signed-in]")).ToContainTextAsync(language == "ja" ? "大阪府（27）の職員" : "Staff of Osaka (27)");

            var other = await page.GotoAsync(Url("/municipalities/131016"));
            Assert.Equal(403, other!.Status);
            Assert.Equal(language, await page.GetAttributeAsync("html", "lang"));
            var text = await page.Locator("main").InnerTextAsync();
            Assert.Contains(language == "ja" ? "このページを表示する権限がありません" : "You may not open this page", text, StringComparison.Ordinal);
            Assert.Contains("団体コード「131016」の詳細を閲覧する権限がありません。", text, StringComparison.Ordinal);
            Assert.Contains("You may not read the details of '131016'.", text, StringComparison.Ordinal);
            Assert.DoesNotContain("千代田区", text, StringComparison.Ordinal);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(DashboardFixture.ScreenshotFolder, $"forbidden-{language}.png"), FullPage = true });

            // Summaries are for every signed-in role.
            Assert.Equal(200, (await page.GotoAsync(Url("/prefectures/13")))!.Status);
            watch.AssertClean();
        }

        // A municipality reads only itself.
        using var chiyoda = fixture.CreateHttpClient(user: TestUser.Municipality("131016"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/municipalities/131024");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        using var refused = await chiyoda.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        using var ownPage = await chiyoda.GetAsync("/municipalities/131016");
        Assert.Equal(HttpStatusCode.OK, ownPage.StatusCode);
        output.WriteLine($"screenshots: {DashboardFixture.ScreenshotFolder}");
    }
}
