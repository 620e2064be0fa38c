using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Readiness.Testing;
using Readiness.Web.Identity;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The real app with an empty identity store: the setup link is read from the announcer as an operator reads it from
/// the console. Sessions are re-checked every second so that a deactivation shows within the test.
/// </summary>
public class AccountHost : ApiHost
{
    public const string Password = "correct horse battery staple";

    private readonly LogCapture log = new();

    public AccountHost()
    {
    }

    /// <summary>Another web node on <paramref name="dataPath"/>'s database (or a restart of one).</summary>
    protected AccountHost(string dataPath)
        : base(dataPath)
    {
    }

    protected override IDictionary<string, string?> Settings()
    {
        var settings = base.Settings();
        settings["Readiness:Auth:SessionRevalidation"] = "00:00:01";
        return settings;
    }

    protected override IHost CreateHost(IHostBuilder builder)
    {
        builder.ConfigureLogging(l => l.AddProvider(log));
        return base.CreateHost(builder);
    }

    /// <summary>The first-run setup link as printed (waits until the server has announced it).</summary>
    public async Task<Uri> SetupLinkAsync()
    {
        var announcer = Services.GetServices<IHostedService>().OfType<FirstRunAnnouncer>().Single();
        for (var i = 0; i < 300; i++)
        {
            if (announcer.Link is { } link)
            {
                return link;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("No setup link was announced.");
    }

    /// <summary>What the host logged in the first-run category.</summary>
    public IReadOnlyCollection<string> SetupLog => log.Lines;

    public T Scoped<T>(Func<IServiceProvider, T> use)
        where T : notnull
    {
        using var scope = Services.CreateScope();
        return use(scope.ServiceProvider);
    }

    /// <summary>The id of the account with this e-mail address (as stored).</summary>
    public async Task<string> UserIdAsync(string email)
    {
        string? id = null;
        await WithDbAsync(async db => id = (await db.Users.SingleAsync(u => u.Email == email)).Id);
        return id!;
    }

    public async Task WithDbAsync(Func<IdentityDb, Task> use)
    {
        await using var scope = Services.CreateAsyncScope();
        await use(scope.ServiceProvider.GetRequiredService<IdentityDb>());
    }

    private sealed class LogCapture : ILoggerProvider
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName == FirstRunAnnouncer.Category ? Lines : null);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<string>? lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => lines is not null;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines?.Enqueue(formatter(state, exception));
        }
    }
}

/// <summary>A cookie-keeping HTTP client that fills in forms the way a browser does (antiforgery token from the page), without following redirects.</summary>
public sealed class FormClient : IDisposable
{
    private readonly HttpClient http;

    public FormClient(Uri baseAddress)
    {
        Cookies = new CookieContainer();
        http = new HttpClient(new HttpClientHandler { CookieContainer = Cookies, AllowAutoRedirect = false }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(3) }; // the shared machine can be slow
    }

    public CookieContainer Cookies { get; }

    public HttpClient Http => http;

    public async Task<(HttpStatusCode Status, string Html)> GetAsync(string path)
    {
        using var response = await http.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Opens the page, takes its antiforgery token and posts the fields to the action.</summary>
    /// <param name="host">A Host header to send with the post instead of the real one (a forged one, as anyone can send).</param>
    public async Task<FormAnswer> PostAsync(string page, string action, IDictionary<string, string> fields, string? host = null)
    {
        var (_, html) = await GetAsync(page);
        var token = Regex.Match(html, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(token), $"no form with an antiforgery token on {page}");
        var body = new Dictionary<string, string>(fields) { ["__RequestVerificationToken"] = token };
        using var request = new HttpRequestMessage(HttpMethod.Post, action) { Content = new FormUrlEncodedContent(body) };
        if (host is not null)
        {
            request.Headers.Host = host;
        }

        using var response = await http.SendAsync(request);
        return new FormAnswer(response.StatusCode, response.Headers.Location?.OriginalString, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Password sign-in; with a key, the second factor too. Returns where the last step sent the browser.</summary>
    public async Task<FormAnswer> SignInAsync(string email, string password, string? authenticatorKey = null, string returnUrl = "/")
    {
        var answer = await PostAsync("/signin", "/account/signin", new Dictionary<string, string> { ["email"] = email, ["password"] = password, ["returnUrl"] = returnUrl });
        if (authenticatorKey is null || answer.Location?.StartsWith("/signin/mfa", StringComparison.Ordinal) != true)
        {
            return answer;
        }

        return await PostAsync(answer.Location, "/account/signin/mfa", new Dictionary<string, string> { ["code"] = Totp(authenticatorKey), ["method"] = "authenticator", ["returnUrl"] = returnUrl });
    }

    /// <summary>Enrols the authenticator app on /account/mfa; returns its key and the recovery codes shown once.</summary>
    public async Task<(string Key, IReadOnlyList<string> RecoveryCodes)> EnrolAsync()
    {
        var (status, html) = await GetAsync("/account/mfa");
        Assert.Equal(HttpStatusCode.OK, status);
        var key = Regex.Match(html, "data-authenticator-key=\"([A-Z2-7]+)\"").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(key), "no authenticator key on /account/mfa");
        Assert.Contains("otpauth://totp/", html, StringComparison.Ordinal);
        var answer = await PostAsync("/account/mfa", "/account/mfa/enable", new Dictionary<string, string> { ["code"] = Totp(key), ["returnUrl"] = "/" });
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        var codes = Regex.Matches(answer.Html, "<li><code>([^<]+)</code></li>").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(10, codes.Count);
        return (key, codes);
    }

    public static string Totp(string key) => AuthenticatorCodes.Next(key);


    public void Dispose() => http.Dispose();
}

public sealed record FormAnswer(HttpStatusCode Status, string? Location, string Html)
{
    /// <summary>
    /// The error code a refused form was sent back with (?error=...), or for a form shown again with its faults (422)
    /// the first field's first code.
    /// </summary>
    public string? Error => Location is null
        ? Faults.Values.SelectMany(c => c).FirstOrDefault()
        : Regex.Match(Location, "[?&]error=([a-z_]+)") is { Success: true } m ? m.Groups[1].Value : null;

    /// <summary>A form shown again (422): each field's fault codes, in page order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Faults =>
        Regex.Matches(Html, "data-field-error=\"([^\"]+)\" data-error-codes=\"([^\"]*)\"")
            .GroupBy(m => m.Groups[1].Value)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)[.. g.SelectMany(m => m.Groups[2].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))]);
}

/// <summary>Account steps the tests share: the first administrator (with MFA), invitations and their acceptance.</summary>
public static class Accounts
{
    public static async Task<(FormClient Client, string Key)> SetUpAdministratorAsync(AccountHost host, string email = "admin@digital.go.jp")
    {
        var link = await host.SetupLinkAsync();
        var admin = new FormClient(host.BaseAddress);
        var setup = await admin.PostAsync(link.PathAndQuery, "/account/setup", new Dictionary<string, string>
        {
            ["token"] = System.Web.HttpUtility.ParseQueryString(link.Query)["token"]!,
            ["email"] = email,
            ["displayName"] = "管理 太郎",
            ["password"] = AccountHost.Password,
            ["confirm"] = AccountHost.Password,
        });
        Assert.Equal(HttpStatusCode.SeeOther, setup.Status);
        Assert.StartsWith("/account/mfa", setup.Location, StringComparison.Ordinal);
        var (key, _) = await admin.EnrolAsync();
        return (admin, key);
    }

    /// <summary>Invites through the administration page; without SMTP the answer shows the link.</summary>
    /// <param name="host">A forged Host header for the post (null: the real one).</param>
    public static async Task<FormAnswer> InviteAsync(FormClient inviter, string email, string role, string? tenant, string? host = null) =>
        await inviter.PostAsync("/admin/users", "/admin/invitations", new Dictionary<string, string> { ["email"] = email, ["role"] = role, ["tenant"] = tenant ?? string.Empty }, host);

    public static Uri LinkOf(FormAnswer invited)
    {
        Assert.True(invited.Status == HttpStatusCode.OK, $"invitation refused: {invited.Status} {invited.Location}");
        var link = Regex.Match(invited.Html, "data-invitation-link[^>]*>([^<]+)<").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(link), "the invitation page shows no link");
        return new Uri(WebUtility.HtmlDecode(link));
    }

    /// <param name="formPage">The page whose antiforgery token is used (a dead link's page has no form: then another page's).</param>
    public static async Task<FormAnswer> AcceptAsync(FormClient invitee, Uri link, string password = AccountHost.Password, string? confirm = null, string? formPage = null, string displayName = "招待 花子") =>
        await invitee.PostAsync(formPage ?? link.PathAndQuery, "/account/invitation", new Dictionary<string, string>
        {
            ["token"] = System.Web.HttpUtility.ParseQueryString(link.Query)["token"]!,
            ["displayName"] = displayName,
            ["password"] = password,
            ["confirm"] = confirm ?? password,
        });

    public static async Task<bool> SignedInAsync(FormClient client)
    {
        var me = await client.Http.GetFromJsonAsync<System.Text.Json.JsonElement>("/auth/me");
        return me.GetProperty("authenticated").GetBoolean();
    }
}
