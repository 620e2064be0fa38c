using System.Diagnostics;
using Microsoft.Playwright;

namespace Readiness.BrowserTests;

/// <summary>The product started from synthetic demo data (Readiness:Seed = Demo), which must be labelled as such.</summary>
public sealed class DemoDashboardFixture : DashboardFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?> { ["Readiness:Seed"] = "Demo" };
}

/// <summary>One host and one Chromium per test class: starting the nation (1,741 grains) takes seconds, so it is shared.</summary>
public class DashboardFixture : IAsyncLifetime
{
    public const string LanguageCookie = "readiness-lang";

    private readonly string dataPath = Path.Combine(Path.GetTempPath(), $"readiness-browser-{Guid.NewGuid():N}");
    private IPlaywright? playwright;

    public DashboardHost Host { get; private set; } = default!;

    public IBrowser Browser { get; private set; } = default!;

    public HttpClient Http { get; private set; } = default!;

    public Uri BaseAddress => Host.BaseAddress;

    public TimeSpan StartupTime { get; private set; }

    /// <summary>Extra configuration of the host (e.g. the demo seed).</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>();

    /// <summary>Screenshots land here; the folder is printed by the tests that write to it.</summary>
    public static string ScreenshotFolder { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(dataPath);
        Directory.CreateDirectory(ScreenshotFolder);
        var started = Stopwatch.StartNew();
        Host = new DashboardHost(dataPath, Settings);
        Http = Host.CreateHttpClient();

        // The overview answers once the dashboard cache has its first snapshot (the nation warms up first).
        using (var warm = await Http.GetAsync("/"))
        {
            warm.EnsureSuccessStatusCode();
        }

        StartupTime = started.Elapsed;
        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium",
            Headless = true,
            Args =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
            ],
        });
    }

    /// <summary>A fresh browser context (its own cookies) in the given language, at a desktop size.</summary>
    public async Task<IBrowserContext> NewContextAsync(string language = "ja", int width = 1280, int height = 900)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            Locale = language == "en" ? "en-GB" : "ja-JP",
            TimezoneId = "Asia/Tokyo",
        });
        if (language == "en")
        {
            await context.AddCookiesAsync([new Cookie { Name = LanguageCookie, Value = "en", Url = BaseAddress.ToString() }]);
        }

        return context;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        playwright?.Dispose();
        Http?.Dispose();
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }

        try
        {
            Directory.Delete(dataPath, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold the file for a moment; the OS cleans temp eventually.
        }
    }
}
