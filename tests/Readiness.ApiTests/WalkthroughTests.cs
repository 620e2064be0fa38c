using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>The new user's path of docs/api.md: a local token, the catalog, a phase change, the nation, the history, a refusal.</summary>
public sealed class WalkthroughTests(WarmApiHost host) : IClassFixture<WarmApiHost>
{
    [Fact]
    public async Task Token_command_catalog_phase_change_nation_history_and_refusal()
    {
        // 1. The token command, as a separate process with the server's data folder (it must not start a server).
        var (exit, token, error) = await RunTokenCommand("--role", "municipality", "--code", ApiHost.Chiyoda, "--subject", "tanaka@chiyoda");
        Assert.True(exit == 0, error);
        Assert.Equal(3, token.Trim().Split('.').Length);
        using var client = host.Client(token.Trim());

        // 2. The catalog.
        var catalog = await client.GetFromJsonAsync<JsonElement>("/api/v1/catalog");
        Assert.Equal(20, catalog.GetProperty("businessSystems").GetArrayLength());
        Assert.Equal(11, catalog.GetProperty("phases").GetArrayLength());
        Assert.Equal(47, catalog.GetProperty("securityItems").GetArrayLength());
        Assert.Equal("2026-03-31", catalog.GetProperty("deadlines").GetProperty("standardization").GetString());
        var phases = catalog.GetProperty("phases").EnumerateArray().Select(p => p.GetProperty("id").GetString()!).ToList();

        // 3. The nation before, and the municipality with its ETag.
        using var national = host.National();
        var before = await national.GetFromJsonAsync<JsonElement>("/api/v1/nation");
        var (state, version) = await host.GetMunicipality(ApiHost.Chiyoda);
        var system = state.GetProperty("systems").EnumerateArray().First(s => s.GetProperty("phase").GetString() != "legacy_decommissioned");
        var businessId = system.GetProperty("businessId").GetString()!;
        var next = phases[phases.IndexOf(system.GetProperty("phase").GetString()!) + 1];

        // 4. The phase change with If-Match.
        using var put = await client.SendAsync(ApiHost.Request(HttpMethod.Put, $"/api/v1/municipalities/{ApiHost.Chiyoda}/systems/{businessId}",
            $$"""{"phase":"{{next}}","hosting":"government_cloud","vendor":"テスト株式会社"}""", version));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal($"\"{version + 1}\"", put.Headers.ETag?.Tag);
        var after = await ApiHost.Json(put);
        Assert.Equal(next, after.GetProperty("systems").EnumerateArray().Single(s => s.GetProperty("businessId").GetString() == businessId).GetProperty("phase").GetString());

        // 5. The nation sees it (aggregation is asynchronous: poll).
        var deadline = Stopwatch.StartNew();
        JsonElement nation;
        do
        {
            await Task.Delay(200);
            nation = await national.GetFromJsonAsync<JsonElement>("/api/v1/nation");
        }
        while (nation.GetProperty("version").GetInt64() <= before.GetProperty("version").GetInt64() && deadline.Elapsed < TimeSpan.FromSeconds(30));
        Assert.Equal(before.GetProperty("version").GetInt64() + 1, nation.GetProperty("version").GetInt64());
        Assert.Equal(before.GetProperty("figures").GetProperty("reportedMunicipalities").GetInt32() + 1, nation.GetProperty("figures").GetProperty("reportedMunicipalities").GetInt32());
        var tokyo = await client.GetFromJsonAsync<JsonElement>("/api/v1/prefectures/13");
        Assert.Equal(version + 1, tokyo.GetProperty("items").EnumerateArray().Single(m => m.GetProperty("code").GetString() == ApiHost.Chiyoda).GetProperty("version").GetInt64());
        var list = await client.GetFromJsonAsync<JsonElement>("/api/v1/prefectures");
        Assert.Equal(47, list.GetProperty("count").GetInt32());

        // 6. The history names the change and its actor.
        var history = await client.GetFromJsonAsync<JsonElement>($"/api/v1/municipalities/{ApiHost.Chiyoda}/history");
        var entry = history.GetProperty("items")[0];
        Assert.Equal($"system:{businessId}", entry.GetProperty("target").GetString());
        Assert.Equal("tanaka@chiyoda", entry.GetProperty("subject").GetString());
        Assert.Equal("municipality", entry.GetProperty("role").GetString());
        Assert.Equal(ApiHost.Chiyoda, entry.GetProperty("tenant").GetString());
        Assert.Equal(next, entry.GetProperty("after").GetProperty("phase").GetString());

        // 7. Another municipality's data: refused, both ways.
        var (_, osakaVersion) = await host.GetMunicipality(ApiHost.Osaka);
        using var foreignWrite = await client.SendAsync(ApiHost.Request(HttpMethod.Put, $"/api/v1/municipalities/{ApiHost.Osaka}/systems/{businessId}", """{"phase":"in_production"}""", osakaVersion));
        await ApiHost.AssertProblem(foreignWrite, HttpStatusCode.Forbidden, "code");
        using var foreignRead = await client.GetAsync($"/api/v1/municipalities/{ApiHost.Osaka}");
        await ApiHost.AssertProblem(foreignRead, HttpStatusCode.Forbidden, "code");
        Assert.Equal(osakaVersion, (await host.GetMunicipality(ApiHost.Osaka)).Version);
    }

    [Theory]
    [InlineData("--role", "mayor")]
    [InlineData("--role", "municipality", "--code", "131017")]
    [InlineData("--role", "prefecture", "--code", "48")]
    [InlineData("--role", "national", "--code", "13")]
    [InlineData("--role", "admin", "--hours", "9999")]
    [InlineData("--role", "admin", "--tenant", "13")]
    public async Task Token_command_refuses_bad_arguments_and_prints_no_token(params string[] args)
    {
        var (exit, output, error) = await RunTokenCommand(args);
        Assert.Equal(2, exit);
        Assert.Equal(string.Empty, output.Trim());
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public async Task Local_sign_in_sets_a_strict_http_only_cookie_that_works_until_sign_out()
    {
        using var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false };
        using var browser = new HttpClient(handler) { BaseAddress = host.BaseAddress };

        using var anonymous = await browser.GetAsync($"/api/v1/municipalities/{ApiHost.Chuo}");
        await ApiHost.AssertProblem(anonymous, HttpStatusCode.Unauthorized, "Authorization");

        using var bad = await browser.PostAsJsonAsync("/auth/local/signin", new { token = "not-a-token" });
        await ApiHost.AssertProblem(bad, HttpStatusCode.Unauthorized, "token");

        var token = host.Token(Role.Municipality, ApiHost.Chuo, "sato");
        using var crossSite = new HttpRequestMessage(HttpMethod.Post, "/auth/local/signin") { Content = JsonContent.Create(new { token }) };
        crossSite.Headers.Add("Origin", "https://evil.example");
        using var refused = await browser.SendAsync(crossSite);
        await ApiHost.AssertProblem(refused, HttpStatusCode.Forbidden, "Origin");

        using var signIn = await browser.PostAsync("/auth/local/signin", new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = token, ["returnUrl"] = "/dashboard" }));
        Assert.Equal(HttpStatusCode.SeeOther, signIn.StatusCode);
        Assert.Equal("/dashboard", signIn.Headers.Location?.OriginalString);
        var setCookie = signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(Readiness.Web.Auth.AuthSetup.CookieName, StringComparison.Ordinal));
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);

        var me = await browser.GetFromJsonAsync<JsonElement>("/auth/me");
        Assert.True(me.GetProperty("authenticated").GetBoolean());
        Assert.Equal("sato", me.GetProperty("subject").GetString());
        Assert.Equal(ApiHost.Chuo, me.GetProperty("tenant").GetString());
        using (var own = await browser.GetAsync($"/api/v1/municipalities/{ApiHost.Chuo}"))
        {
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        }

        using (var other = await browser.GetAsync($"/api/v1/municipalities/{ApiHost.Chiyoda}"))
        {
            await ApiHost.AssertProblem(other, HttpStatusCode.Forbidden, "code");
        }

        // Writing with the cookie goes through the same policy and service, and the audit names the cookie's subject.
        var (_, version) = await host.GetMunicipality(ApiHost.Chuo);
        using (var write = await browser.SendAsync(ApiHost.Request(HttpMethod.Put, $"/api/v1/municipalities/{ApiHost.Chuo}/security/SEC-1-01", """{"status":"partial"}""", version)))
        {
            Assert.Equal(HttpStatusCode.OK, write.StatusCode);
        }

        var history = await browser.GetFromJsonAsync<JsonElement>($"/api/v1/municipalities/{ApiHost.Chuo}/history");
        Assert.Equal("sato", history.GetProperty("items")[0].GetProperty("subject").GetString());

        using var signOut = await browser.PostAsync("/auth/signout", null);
        Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
        using var afterSignOut = await browser.GetAsync($"/api/v1/municipalities/{ApiHost.Chuo}");
        await ApiHost.AssertProblem(afterSignOut, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_municipality_read_with_its_etag_answers_304_and_the_sign_in_form_is_served()
    {
        var (_, version) = await host.GetMunicipality(ApiHost.Osaka);
        using var client = host.Municipality(ApiHost.Osaka);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/municipalities/{ApiHost.Osaka}");
        request.Headers.TryAddWithoutValidation("If-None-Match", $"\"{version}\"");
        using var notModified = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal($"\"{version}\"", notModified.Headers.ETag?.Tag);

        using var anonymous = host.Client();
        var form = await anonymous.GetStringAsync("/auth/local/signin?returnUrl=/municipalities/271004");
        Assert.Contains("<form method=\"post\" action=\"/auth/local/signin\">", form, StringComparison.Ordinal);
        Assert.Contains("value=\"/municipalities/271004\"", form, StringComparison.Ordinal);
        var open = await anonymous.GetStringAsync("/auth/local/signin?returnUrl=//evil.example/");
        Assert.Contains("name=\"returnUrl\" value=\"/\"", open, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenApi_document_lists_every_endpoint_and_the_docs_ui_is_served()
    {
        using var client = host.Client();
        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToHashSet();
        string[] expected =
        [
            "/api/v1/catalog", "/api/v1/nation", "/api/v1/prefectures", "/api/v1/prefectures/{prefCode}", "/api/v1/municipalities/{code}",
            "/api/v1/municipalities/{code}/systems/{businessId}", "/api/v1/municipalities/{code}/security/{itemId}",
            "/api/v1/municipalities/{code}/reports", "/api/v1/municipalities/{code}/history", "/api/v1/municipalities/{code}/history.csv",
            "/api/v1/export/municipalities.csv",
        ];
        Assert.All(expected, p => Assert.Contains(p, paths));
        Assert.Equal("bearer", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer").GetProperty("scheme").GetString());
        var phase = document.GetProperty("components").GetProperty("schemas").EnumerateObject().Any(s => s.Name.Contains("MigrationPhase", StringComparison.Ordinal));
        Assert.True(phase, "the phase enum is documented");

        using var ui = await client.GetAsync("/api/docs/");
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
        Assert.Contains("openapi/v1.json", await ui.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_command_is_refused_in_production_unless_explicitly_allowed()
    {
        var (exit, output, error) = await RunTokenCommandIn("Production", "--role", "national");
        Assert.Equal(3, exit);
        Assert.Equal(string.Empty, output.Trim());
        Assert.Contains("refused in the Production environment", error, StringComparison.Ordinal);

        var (allowed, token, allowedError) = await RunTokenCommandIn("Production", "--role", "national", "--allow-production", "true");
        Assert.True(allowed == 0, allowedError);
        Assert.Equal(3, token.Trim().Split('.').Length);
    }

    /// <summary>
    /// The usual slip (an operator's report): the token command run with a data folder other than the server's made a key
    /// of its own in silence, and the server then refused its token (401) with no hint why. It now says so, on stderr in
    /// Japanese and English, naming the key file it made; stdout is still the token alone (TOKEN=$(...)). With the
    /// server's own data folder it says nothing.
    /// </summary>
    [Fact]
    public async Task The_token_command_says_when_it_made_a_new_key_and_the_server_refuses_that_token()
    {
        var elsewhere = Directory.CreateTempSubdirectory("readiness-token-elsewhere-").FullName;
        try
        {
            var (exit, token, error) = await RunTokenCommandAt(elsewhere, "Development", "--role", "national");
            Assert.True(exit == 0, error);
            Assert.Equal(3, token.Trim().Split('.').Length);
            var keyFile = Path.Combine(elsewhere, "auth", "local-signing.key");
            Assert.Contains($"a new one was made at {keyFile}", error, StringComparison.Ordinal);
            Assert.Contains("署名鍵がなかったため新しく作りました", error, StringComparison.Ordinal);
            using var client = host.Client(token.Trim());
            using var refused = await client.GetAsync("/api/v1/nation");
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

            var (again, _, quiet) = await RunTokenCommandAt(elsewhere, "Development", "--role", "national");
            Assert.Equal(0, again);
            Assert.DoesNotContain("new one was made", quiet, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(elsewhere, recursive: true);
        }

        var (own, _, ownError) = await RunTokenCommand("--role", "national");
        Assert.Equal(0, own);
        Assert.DoesNotContain("new one was made", ownError, StringComparison.Ordinal);
    }

    /// <summary>
    /// A server just started has its key in place before any request, so the token command run then against its data
    /// folder says nothing (breaker's finding: it said "made a new key, this token will be refused", and the server then
    /// accepted the token).
    /// </summary>
    [Fact]
    public async Task The_token_command_right_after_the_start_finds_the_servers_key_and_says_nothing()
    {
        using var data = new Readiness.Testing.TempFolder("readiness-token-at-start");
        await using var fresh = new Readiness.Testing.ReadinessWebHost(data.Path, new Dictionary<string, string?> { ["Readiness:WarmUp"] = "false" });
        _ = fresh.BaseAddress; // started; no request made
        Assert.True(File.Exists(Path.Combine(data.Path, "auth", "local-signing.key")));

        var (exit, token, error) = await RunTokenCommandAt(data.Path, "Development", "--role", "national");
        Assert.True(exit == 0, error);
        Assert.DoesNotContain("new one was made", error, StringComparison.Ordinal);
        using var client = fresh.CreateHttpClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token.Trim());
        using var accepted = await client.GetAsync(new Uri("/api/v1/nation", UriKind.Relative));
        Assert.NotEqual(HttpStatusCode.Unauthorized, accepted.StatusCode);
    }

    /// <summary>The token command as a developer runs it (ASPNETCORE_ENVIRONMENT=Development; Production refuses it).</summary>
    private Task<(int Exit, string Output, string Error)> RunTokenCommand(params string[] args) => RunTokenCommandIn("Development", args);

    private Task<(int Exit, string Output, string Error)> RunTokenCommandIn(string environment, params string[] args) => RunTokenCommandAt(host.DataPath, environment, args);

    private static async Task<(int Exit, string Output, string Error)> RunTokenCommandAt(string dataPath, string environment, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Readiness.Web.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("token");
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["Readiness__DataPath"] = dataPath;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = environment;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
