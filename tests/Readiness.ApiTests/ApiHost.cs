using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using Readiness.Hosting;
using Readiness.Web.Auth;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The real app (embedded silo, SQLite in its own temp data folder, free silo ports) behind real Kestrel on a free
/// port. One per test class; clients speak plain HTTP to it.
/// </summary>
public class ApiHost : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string Chiyoda = "131016";   // 東京都千代田区
    public const string Chuo = "131024";      // 東京都中央区 (same prefecture)
    public const string Osaka = "271004";     // 大阪府大阪市 (another prefecture)

    private SymmetricSecurityKey? key;

    public ApiHost()
        : this(Directory.CreateTempSubdirectory("readiness-apitests-").FullName)
    {
    }

    /// <summary>A host on an existing data folder (a restart: the same database, a new process state).</summary>
    protected ApiHost(string dataPath)
    {
        DataPath = dataPath;
        UseKestrel(0);
    }

    public string DataPath { get; }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Configuration for this host; subclasses add operator settings.</summary>
    protected virtual IDictionary<string, string?> Settings() => new Dictionary<string, string?>
    {
        ["Readiness:DataPath"] = DataPath,
        ["Readiness:SiloPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Readiness:GatewayPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        // Kestrel binds the port UseKestrel(0) chose in code, not this; saying port 0 here too keeps the start-up
        // probe (WebPorts) from refusing when the default address (localhost:5000) is taken, e.g. by a product a
        // developer runs beside the tests.
        ["urls"] = "http://127.0.0.1:0",
        ["Readiness:WarmUp"] = "false",
        ["Readiness:ReconcileInterval"] = "00:00:05",
        ["Readiness:RateLimits:WritesPerMinute"] = "100000",
        ["Readiness:RateLimits:ReadsPerMinute"] = "100000",
    };

    protected override IHost CreateHost(IHostBuilder builder)
    {
        // Host configuration is in place before Program reads it (app configuration would come too late).
        builder.ConfigureHostConfiguration(c => c.AddInMemoryCollection(Settings()));
        builder.ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning).AddFilter("Orleans", LogLevel.Error).AddFilter(SecurityLog.Category, LogLevel.None));
        return base.CreateHost(builder);
    }

    /// <summary>
    /// Until /health/ready answers 200 (the nation is loaded; with a damaged row it answers 200 Degraded), at most 4
    /// minutes: on a loaded machine the first writes otherwise wait behind the start-up's.
    /// </summary>
    public async Task WaitUntilReadyAsync()
    {
        using var client = Client();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromMinutes(4))
        {
            try
            {
                using var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
                if (ready.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (TaskCanceledException)
            {
                // busy: ask again
            }

            await Task.Delay(1000);
        }
    }

    public virtual async Task InitializeAsync()
    {
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseAddress = new Uri(addresses.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("localhost", "127.0.0.1", StringComparison.Ordinal));
        key = LocalSigningKey.Resolve(new ReadinessAuthOptions(), new ReadinessOptions { DataPath = DataPath });
        await Task.CompletedTask;
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        try
        {
            Directory.Delete(DataPath, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold the file for a moment; the temp folder is cleaned by the OS.
        }
    }

    public static int FreePort() => Readiness.Testing.TestPorts.Free();

    public string Token(Role role, string? tenant = null, string? subject = null, TimeSpan? lifetime = null, DateTimeOffset? now = null) =>
        LocalTokens.Issue(new ReadinessAuthOptions(), key!, subject ?? $"test-{Wire.Name(role)}-{tenant ?? "all"}", role, tenant,
            lifetime ?? TimeSpan.FromHours(1), now ?? DateTimeOffset.UtcNow);

    /// <summary>A municipality token signed with this host's local key but naming another issuer or audience.</summary>
    public string TokenFor(string issuer, string audience) =>
        LocalTokens.Issue(new ReadinessAuthOptions { LocalIssuer = issuer, Audience = audience }, key!, "elsewhere", Role.Municipality, Chiyoda, TimeSpan.FromHours(1), DateTimeOffset.UtcNow);

    /// <summary>A token signed with this host's local key carrying exactly <paramref name="claims"/> (arrays become multi-valued claims).</summary>
    public string TokenWithClaims(IDictionary<string, object> claims, TimeSpan? lifetime = null)
    {
        var now = DateTime.UtcNow;
        return new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = new ReadinessAuthOptions().LocalIssuer,
            Audience = new ReadinessAuthOptions().Audience,
            Claims = claims,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + (lifetime ?? TimeSpan.FromHours(1)),
            SigningCredentials = new SigningCredentials(key!, SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>A plain HTTP client to the real server, optionally with a bearer token.</summary>
    public HttpClient Client(string? token = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    /// <summary>
    /// A client signed in to the dashboard as a browser is (the token posted to /auth/local/signin, the cookie kept),
    /// redirects not followed; <paramref name="timeout"/> bounds each request (default 60 s).
    /// </summary>
    public async Task<HttpClient> SignedInPagesAsync(string token, TimeSpan? timeout = null)
    {
        var client = new HttpClient(new HttpClientHandler { CookieContainer = new System.Net.CookieContainer(), AllowAutoRedirect = false })
        {
            BaseAddress = BaseAddress,
            Timeout = timeout ?? TimeSpan.FromSeconds(60),
        };
        using var signIn = await client.PostAsync("/auth/local/signin", new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = token, ["returnUrl"] = "/" }));
        Xunit.Assert.True(signIn.StatusCode is System.Net.HttpStatusCode.Redirect or System.Net.HttpStatusCode.SeeOther or System.Net.HttpStatusCode.OK, $"sign-in: {signIn.StatusCode}");
        return client;
    }

    public HttpClient Municipality(string code, string? subject = null) => Client(Token(Role.Municipality, code, subject));

    /// <summary>Uploads an official .xlsx as the dashboard and scripts do (multipart field "file") to POST /api/v1/imports.</summary>
    /// <summary>Uploads an official file to POST /api/v1/imports as a browser would: text/csv for a .csv name, else the xlsx media type.</summary>
    public static async Task<HttpResponseMessage> PostImportAsync(HttpClient http, byte[] file, string name)
    {
        using var content = new MultipartFormDataContent();
        var part = new ByteArrayContent(file);
        part.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)
            ? "text/csv" : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        content.Add(part, "file", name);
        return await http.PostAsync(new Uri("/api/v1/imports", UriKind.Relative), content);
    }

    public HttpClient National() => Client(Token(Role.National));

    public async Task<(JsonElement Body, long Version)> GetMunicipality(string code)
    {
        using var client = National();
        var response = await client.GetAsync($"/api/v1/municipalities/{code}");

        // A host still starting on a loaded machine answers 503 with Retry-After: a client retries, as documented.
        for (var attempt = 0; attempt < 10 && response.StatusCode == HttpStatusCode.ServiceUnavailable; attempt++)
        {
            response.Dispose();
            await Task.Delay(TimeSpan.FromSeconds(2));
            response = await client.GetAsync($"/api/v1/municipalities/{code}");
        }

        using var answer = response;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Json(response);
        Assert.Equal($"\"{body.GetProperty("version").GetInt64()}\"", response.Headers.ETag?.Tag);
        return (body, body.GetProperty("version").GetInt64());
    }

    public async Task<long> HistoryTotal(string code)
    {
        using var client = National();
        using var response = await client.GetAsync($"/api/v1/municipalities/{code}/history?limit=1");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await Json(response)).GetProperty("total").GetInt64();
    }

    public static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    /// <summary>A request; <paramref name="anyVersion"/> sends <c>If-Match: *</c> (a write that overwrites knowingly: tests not about concurrency).</summary>
    public static HttpRequestMessage Request(HttpMethod method, string path, string? json = null, long? ifMatch = null, string? idempotencyKey = null, bool anyVersion = false)
    {
        var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        if (ifMatch is { } v)
        {
            request.Headers.TryAddWithoutValidation("If-Match", $"\"{v}\"");
        }
        else if (anyVersion)
        {
            request.Headers.TryAddWithoutValidation("If-Match", "*");
        }

        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        return request;
    }

    /// <summary>
    /// Puts a koseki change for <paramref name="code"/> as <paramref name="subject"/>, sent as if through a proxy that
    /// forwards <paramref name="forwardedFor"/>, asserts 200 and returns the newest entry of the municipality's history.
    /// </summary>
    public async Task<JsonElement> PutForwardedAndReadNewestHistory(string code, string subject, string forwardedFor)
    {
        using var client = Municipality(code, subject);
        var (_, version) = await GetMunicipality(code);
        using var request = Request(HttpMethod.Put, $"/api/v1/municipalities/{code}/systems/koseki", """{"phase":"in_production","designated":false,"regressionReason":"proxy test"}""", version);
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        using var national = National();
        var history = JsonDocument.Parse(await national.GetStringAsync($"/api/v1/municipalities/{code}/history")).RootElement;
        var newest = history.GetProperty("items")[0].Clone();
        Assert.Equal(subject, newest.GetProperty("subject").GetString());
        return newest;
    }

    /// <summary>Puts one system with the current ETag and asserts 200.</summary>
    public async Task<JsonElement> PutSystem(HttpClient client, string code, string businessId, string json)
    {
        var (_, version) = await GetMunicipality(code);
        var response = await client.SendAsync(Request(HttpMethod.Put, $"/api/v1/municipalities/{code}/systems/{businessId}", json, version));
        for (var attempt = 0; attempt < 10 && response.StatusCode == HttpStatusCode.ServiceUnavailable; attempt++)
        {
            // A host still starting on a loaded machine: retry as the 503's Retry-After says.
            response.Dispose();
            await Task.Delay(TimeSpan.FromSeconds(2));
            (_, version) = await GetMunicipality(code);
            response = await client.SendAsync(Request(HttpMethod.Put, $"/api/v1/municipalities/{code}/systems/{businessId}", json, version));
        }

        using var answer = response;
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Asserts an RFC 9457 problem with the status and, when given, an error naming the field.</summary>
    public static async Task<JsonElement> AssertProblem(HttpResponseMessage response, HttpStatusCode status, string? field = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        var errors = problem.GetProperty("errors").EnumerateArray().ToList();
        Assert.NotEmpty(errors);
        foreach (var e in errors)
        {
            Assert.False(string.IsNullOrWhiteSpace(e.GetProperty("code").GetString()));
            Assert.False(string.IsNullOrWhiteSpace(e.GetProperty("messageJa").GetString()));
            Assert.False(string.IsNullOrWhiteSpace(e.GetProperty("messageEn").GetString()));
        }

        if (field is not null)
        {
            Assert.True(errors.Any(e => e.GetProperty("field").GetString() == field), $"expected an error naming '{field}': {text}");
        }

        return problem;
    }
}

/// <summary>A host whose silo warms the nation at start (for tests that read summaries).</summary>
public class WarmApiHost : ApiHost
{
    protected override IDictionary<string, string?> Settings()
    {
        var settings = base.Settings();
        settings["Readiness:WarmUp"] = "true";
        return settings;
    }

    /// <summary>
    /// Started and warm: the first summary snapshot exists, so no test meets the 503 "Starting" that a node answers
    /// while the nation warms (tens of seconds on a loaded 2-core machine).
    /// </summary>
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var cache = Services.GetRequiredService<Readiness.Web.Summaries.SummaryCache>();
        Assert.True(await cache.GetAsync(TimeSpan.FromMinutes(5), CancellationToken.None) is not null, "no summary snapshot within 5 minutes of start");
    }
}
