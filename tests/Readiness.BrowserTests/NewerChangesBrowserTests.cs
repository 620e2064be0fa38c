using System.Net;
using System.Text;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Readiness.BrowserTests;

/// <summary>
/// A person watching a change list learns without a reload that newer changes exist (NewerChanges.razor, driven by the
/// event stream the overview already uses): a change written through the API while /prefectures/13/changes, /changes
/// and a municipality's history are open makes each say 「新しい変更があります（1件）— 表示を更新」 in its status
/// region, the reader still on the same document and page; the link leads to the newest page, which shows the change.
/// Failed before: the pages had no such notice (reload only).
/// </summary>
public sealed class NewerChangesBrowserTests(DashboardFixture fixture, ITestOutputHelper output) : IClassFixture<DashboardFixture>
{
    private const string Chuo = "131024";

    [Fact]
    public async Task A_change_written_through_the_api_is_announced_on_open_change_lists()
    {
        await using var context = await fixture.NewContextAsync(user: TestUser.National);
        string[] paths = ["/prefectures/13/changes", "/changes", $"/municipalities/{Chuo}/history"];
        var pages = new List<IPage>();
        foreach (var path in paths)
        {
            var page = await context.NewPageAsync();
            await page.GotoAsync(new Uri(fixture.BaseAddress, path).ToString());
            await Assertions.Expect(page.Locator("[data-newer-changes][role=status]")).ToHaveCountAsync(1);
            await page.EvaluateAsync("() => window.__sameDocument = true");
            pages.Add(page);
        }

        // Let each page's stream open (its first event is the state as it is), then write one change.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(0, await pages[0].Locator("[data-newer-link]").CountAsync());
        var vendor = $"株式会社新着{Guid.NewGuid().ToString("N")[..6]}";
        await PutAsync($$"""{"phase":"testing","plannedGoLive":"2027-04-01","vendor":"{{vendor}}","hosting":"government_cloud","notApplicable":false,"designated":false}""");

        var found = new List<string>();
        for (var i = 0; i < pages.Count; i++)
        {
            var notice = pages[i].Locator("[data-newer-changes]");
            await Assertions.Expect(notice).ToContainTextAsync("新しい変更があります（1件）", new() { Timeout = 15000 });
            Assert.True(await pages[i].EvaluateAsync<bool>("() => window.__sameDocument === true"), $"{paths[i]} reloaded");
            await pages[i].AxeCheckAsync($"ja {paths[i]} with the newer-changes notice", found, output);
            output.WriteLine($"{paths[i]}: {await notice.TextContentAsync()}");
        }

        Assert.Empty(found);

        // The link shows the newest page, with the change.
        await pages[0].Locator("[data-newer-link]").ClickAsync();
        await pages[0].WaitForLoadStateAsync(LoadState.DOMContentLoaded);
        Assert.EndsWith("/prefectures/13/changes", new Uri(pages[0].Url).AbsolutePath, StringComparison.Ordinal);
        await Assertions.Expect(pages[0].Locator("main")).ToContainTextAsync(vendor);
    }

    private async Task PutAsync(string json)
    {
        using var client = fixture.CreateHttpClient(user: TestUser.Municipality(Chuo));
        using var current = await client.GetAsync(new Uri($"/api/v1/municipalities/{Chuo}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, current.StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/municipalities/{Chuo}/systems/koseki")
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        request.Headers.IfMatch.Add(current.Headers.ETag!);
        using var response = await client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }
}
