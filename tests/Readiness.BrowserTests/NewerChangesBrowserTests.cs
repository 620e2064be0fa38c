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

    /// <summary>
    /// Round 44, a breaker's finding: a colleague's report confirming many targets (nothing changed) was announced on a
    /// municipality's history as that many changes. Each list counts as it groups: one report on the history and on the
    /// prefecture's changes (a grouped 確認済み item), nothing under ?confirmed=exclude. Failed before: the history said
    /// （12件）.
    /// </summary>
    [Fact]
    public async Task A_report_that_confirms_many_targets_is_announced_as_one()
    {
        const string Chiyoda = "131016";
        var items = Readiness.Catalog.ReadinessCatalog.Instance.SecurityItems.Take(12).Select(i => i.Id).ToList();
        var body = System.Text.Json.JsonSerializer.Serialize(new { security = items.Select(id => new { itemId = id, status = "partial" }) });
        await ReportAsync(Chiyoda, body); // the statuses as the next report names them, so that one confirms all 12

        await using var context = await fixture.NewContextAsync(user: TestUser.National);
        string[] paths = [$"/municipalities/{Chiyoda}/history", "/prefectures/13/changes", "/prefectures/13/changes?confirmed=exclude"];
        var pages = new List<IPage>();
        foreach (var path in paths)
        {
            var page = await context.NewPageAsync();
            await page.GotoAsync(new Uri(fixture.BaseAddress, path).ToString());
            await Assertions.Expect(page.Locator("[data-newer-changes][role=status]")).ToHaveCountAsync(1);
            pages.Add(page);
        }

        await Task.Delay(TimeSpan.FromSeconds(2));
        await ReportAsync(Chiyoda, body);
        for (var i = 0; i < 2; i++)
        {
            await Assertions.Expect(pages[i].Locator("[data-newer-changes]")).ToContainTextAsync("新しい変更があります（1件）", new() { Timeout = 15000 });
            output.WriteLine($"{paths[i]}: {await pages[i].Locator("[data-newer-changes]").TextContentAsync()}");
        }

        // The same event reached the third page; with confirmations left out there is nothing new to announce.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(0, await pages[2].Locator("[data-newer-link]").CountAsync());
    }

    private async Task ReportAsync(string code, string json)
    {
        using var client = fixture.CreateHttpClient(user: TestUser.Municipality(code));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/municipalities/{code}/reports")
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("If-Match", "*");
        request.Headers.TryAddWithoutValidation("Idempotency-Key", $"newer-confirm-{Guid.NewGuid():N}");
        using var response = await client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
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
