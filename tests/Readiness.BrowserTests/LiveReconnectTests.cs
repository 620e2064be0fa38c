using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.Playwright;
using Readiness.Grains;
using Xunit.Abstractions;

namespace Readiness.BrowserTests;

/// <summary>A host where a person may hold one event stream open, so a test refuses the page's by holding that slot.</summary>
public sealed class StreamCapDashboardFixture : DashboardFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Readiness:RateLimits:StreamsPerCaller"] = "1",
    };
}

/// <summary>
/// A page whose event stream is refused (429 too_many_streams; equally a 502/503 or a 401) comes back by itself. Before,
/// EventSource closed for good on any non-200 answer and the page showed 「再接続中…」 forever.
/// </summary>
public sealed class LiveReconnectTests(StreamCapDashboardFixture fixture, ITestOutputHelper output) : IClassFixture<StreamCapDashboardFixture>
{
    private const string StreamPath = "/api/v1/stream";

    [Fact]
    public async Task A_refused_stream_shows_reconnecting_then_goes_live_when_a_slot_frees_and_receives_an_update()
    {
        var user = TestUser.Prefecture("04");
        using var holder = fixture.CreateHttpClient(user: user);
        var held = await HoldSlotAsync(holder);

        await using var context = await fixture.NewContextAsync(user: user);
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);
        var refusals = 0;
        page.Response += (_, r) =>
        {
            if (r.Url.Contains(StreamPath, StringComparison.Ordinal) && r.Status == 429)
            {
                Interlocked.Increment(ref refusals);
            }
        };
        await page.GotoAsync(new Uri(fixture.BaseAddress, "/prefectures/04").ToString());
        var status = page.Locator("[data-live-status]");
        await Assertions.Expect(status).ToHaveTextAsync("再接続中…", new LocatorAssertionsToHaveTextOptions { Timeout = 15_000 });
        await Assertions.Expect(status).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("is-offline"));
        Assert.True(Volatile.Read(ref refusals) >= 1, "the page's stream was not refused");

        // Still refused while the slot is held: it keeps trying (at least one more attempt within the first back-offs).
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Volatile.Read(ref refusals) < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.True(Volatile.Read(ref refusals) >= 2, "the page did not try again after the refusal");
        await Assertions.Expect(status).ToHaveTextAsync("再接続中…");

        // The slot frees (the other tab closes): the page goes live within its back-off (2 s doubling, 60 s at most).
        held.Dispose();
        var freed = Stopwatch.StartNew();
        await Assertions.Expect(status).ToHaveTextAsync("自動更新中", new LocatorAssertionsToHaveTextOptions { Timeout = 45_000 });
        var liveAfter = freed.ElapsedMilliseconds;

        // And it receives an accepted change.
        var code = "";
        var businessId = "";
        foreach (var m in Readiness.Catalog.ReadinessCatalog.Instance.MunicipalitiesByPrefecture["04"])
        {
            var record = await fixture.Host.Grains.GetGrain<IMunicipalityGrain>(m.Code).GetAsync();
            if (record.Systems.FirstOrDefault(s => !s.NotApplicable && !s.Designated && s.Phase < MigrationPhase.InProduction) is { } open)
            {
                (code, businessId) = (m.Code, open.BusinessId);
                break;
            }
        }

        Assert.NotEqual("", code);
        var rowBefore = int.Parse((await page.GetAttributeAsync($"tr[data-code='{code}']", "data-migrated"))!, CultureInfo.InvariantCulture);
        var outcome = await fixture.Host.Grains.GetGrain<IMunicipalityGrain>(code).ApplyAsync(new ChangeRequest
        {
            RequestId = Guid.NewGuid().ToString("N"),
            Actor = new Actor("reconnect-test@example.lg.jp", Role.Municipality, code),
            Systems = [new SystemChange { BusinessId = businessId, Phase = MigrationPhase.InProduction, Hosting = HostingKind.GovernmentCloud }],
        });
        Assert.Equal(ChangeStatus.Accepted, outcome.Status);
        await page.WaitForFunctionAsync("a => document.querySelector(`tr[data-code='${a[0]}']`).dataset.migrated === a[1]",
            new[] { code, (rowBefore + 1).ToString(CultureInfo.InvariantCulture) }, new PageWaitForFunctionOptions { Timeout = 10_000, PollingInterval = 50 });
        await Assertions.Expect(status).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("is-updated"));
        Assert.Empty(errors);
        output.WriteLine($"refused {refusals} time(s); live {liveAfter} ms after the slot was freed");
    }

    [Fact]
    public async Task A_stream_refused_because_the_session_ended_asks_to_sign_in_again_instead_of_retrying()
    {
        var user = TestUser.Prefecture("05");
        using var holder = fixture.CreateHttpClient(user: user);
        var held = await HoldSlotAsync(holder);

        await using var context = await fixture.NewContextAsync(user: user);
        var page = await context.NewPageAsync();
        var unauthorized = 0;
        page.Response += (_, r) =>
        {
            if (r.Url.Contains(StreamPath, StringComparison.Ordinal) && r.Status == 401)
            {
                Interlocked.Increment(ref unauthorized);
            }
        };
        await page.GotoAsync(new Uri(fixture.BaseAddress, "/prefectures/05").ToString());
        var status = page.Locator("[data-live-status]");
        await Assertions.Expect(status).ToHaveTextAsync("再接続中…", new LocatorAssertionsToHaveTextOptions { Timeout = 15_000 });

        // The session ends (the cookie is gone), then the slot frees: the next attempt is answered 401.
        await context.ClearCookiesAsync();
        held.Dispose();
        var link = status.Locator("a[data-sign-in-again]");
        await Assertions.Expect(link).ToHaveTextAsync("サインインし直してください", new LocatorAssertionsToHaveTextOptions { Timeout = 45_000 });
        Assert.Equal("/signin?returnUrl=%2Fprefectures%2F05", await link.GetAttributeAsync("href"));
        Assert.True(Volatile.Read(ref unauthorized) >= 1, "the stream was not refused with 401");

        // It stops trying: no further stream requests after the sign-in link shows.
        var requests = 0;
        page.Request += (_, r) =>
        {
            if (r.Url.Contains(StreamPath, StringComparison.Ordinal))
            {
                Interlocked.Increment(ref requests);
            }
        };
        await Task.Delay(5000);
        Assert.Equal(0, Volatile.Read(ref requests));
    }

    /// <summary>Holds the person's only stream slot: opens a stream with their token and reads its first event.</summary>
    private static async Task<HttpResponseMessage> HoldSlotAsync(HttpClient client)
    {
        var response = await client.GetAsync(StreamPath + "?topic=nation", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64 * 1024];
        var text = "";
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!text.Contains("data:", StringComparison.Ordinal))
        {
            var read = await body.ReadAsync(buffer, timeout.Token);
            Assert.True(read > 0, "the held stream ended before its first event");
            text += System.Text.Encoding.UTF8.GetString(buffer, 0, read);
        }

        return response;
    }
}
