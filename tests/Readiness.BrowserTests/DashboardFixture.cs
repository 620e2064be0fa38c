using System.Diagnostics;
using System.Net.Http.Headers;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Playwright;
using Readiness.Hosting;
using Readiness.Web.Auth;

using Readiness.Testing;

namespace Readiness.BrowserTests;

/// <summary>
/// A public demo: synthetic data (Readiness:Seed = Demo), which must be labelled as such, with the summaries open to
/// anonymous readers (Readiness:Auth:AnonymousSummaries) as an operator would run it.
/// </summary>
public sealed class DemoDashboardFixture : DashboardFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Readiness:Seed"] = "Demo",
        ["Readiness:Auth:AnonymousSummaries"] = "true",
    };
}

/// <summary>Who a browser context signs in as (through the real sign-in endpoint, with a token signed by the real local key).</summary>
public sealed record TestUser(Role Role, string? Tenant, string Subject)
{
    public static TestUser National { get; } = new(Role.National, null, "national@digital.go.jp");

    public static TestUser Prefecture(string code) => new(Role.Prefecture, code, $"staff@pref-{code}.lg.jp");

    public static TestUser Municipality(string code) => new(Role.Municipality, code, $"staff@city-{code}.lg.jp");
}

/// <summary>One host and one Chromium per test class: starting the nation (1,741 grains) takes seconds, so it is shared.</summary>
public class DashboardFixture : IAsyncLifetime
{
    public const string LanguageCookie = "readiness-lang";

    private readonly string dataPath = Path.Combine(Path.GetTempPath(), $"readiness-browser-{Guid.NewGuid():N}");
    private IPlaywright? playwright;
    private SymmetricSecurityKey? signingKey;

    public ReadinessWebHost Host { get; private set; } = default!;

    public IBrowser Browser { get; private set; } = default!;

    public HttpClient Http { get; private set; } = default!;

    public Uri BaseAddress => Host.BaseAddress;

    public TimeSpan StartupTime { get; private set; }

    /// <summary>Extra configuration of the host (e.g. the demo seed). The trend is re-read every second here, so a test sees a recorded snapshot.</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?> { ["Readiness:Summaries:TrendRefreshInterval"] = "00:00:01" };

    /// <summary>A client with no credentials, as an anonymous visitor.</summary>
    public HttpClient Anonymous { get; private set; } = default!;

    /// <summary>Screenshots land here; the folder is printed by the tests that write to it.</summary>
    public static string ScreenshotFolder { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(dataPath);
        Directory.CreateDirectory(ScreenshotFolder);
        var started = Stopwatch.StartNew();
        Host = new ReadinessWebHost(dataPath, Settings);

        // The same key file the server uses (created once in the data folder by whichever side comes first).
        signingKey = LocalSigningKey.Resolve(new ReadinessAuthOptions(), new ReadinessOptions { DataPath = dataPath });
        Http = CreateHttpClient();
        Anonymous = Host.CreateHttpClient();

        // The overview answers once the dashboard cache has its first snapshot (the nation warms up first).
        // Under load the first grain calls can time out: the page then answers 503 (retry), as a client would.
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (true)
        {
            using var warm = await Http.GetAsync("/");
            if (warm.StatusCode != System.Net.HttpStatusCode.ServiceUnavailable || DateTime.UtcNow > deadline)
            {
                warm.EnsureSuccessStatusCode();
                break;
            }

            await Task.Delay(TimeSpan.FromSeconds(2));
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

    /// <summary>A local token for the user, as `token --role ...` would print it.</summary>
    public string Token(TestUser user) =>
        LocalTokens.Issue(new ReadinessAuthOptions(), signingKey!, user.Subject, user.Role, user.Tenant, TimeSpan.FromHours(1), DateTimeOffset.UtcNow);

    /// <summary>An HTTP client that presents the user's token (national by default).</summary>
    public HttpClient CreateHttpClient(System.Net.DecompressionMethods decompression = System.Net.DecompressionMethods.None, TestUser? user = null)
    {
        var client = Host.CreateHttpClient(decompression);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(user ?? TestUser.National));
        return client;
    }

    /// <summary>A fresh browser context signed in as the user (national by default): the token is posted to the real sign-in endpoint.</summary>
    public async Task<IBrowserContext> NewContextAsync(string language = "ja", int width = 1280, int height = 900, TestUser? user = null)
    {
        var context = await NewAnonymousContextAsync(language, width, height);
        var response = await context.APIRequest.PostAsync(new Uri(BaseAddress, "/auth/local/signin").ToString(), new APIRequestContextOptions
        {
            Form = context.APIRequest.CreateFormData().Set("token", Token(user ?? TestUser.National)).Set("returnUrl", "/"),
            MaxRedirects = 0,
        });
        Assert.Equal(303, response.Status); // a form post answers 303 See Other
        return context;
    }

    /// <summary>A fresh browser context (its own cookies, nobody signed in) in the given language, at a desktop size.</summary>
    public async Task<IBrowserContext> NewAnonymousContextAsync(string language = "ja", int width = 1280, int height = 900)
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
        Anonymous?.Dispose();
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
