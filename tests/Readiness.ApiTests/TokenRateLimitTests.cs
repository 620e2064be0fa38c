using System.Net;
using System.Text.Json;
using Readiness.Web.Clients;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>Four writes a minute (the token endpoint's budget); X-Forwarded-For from the test believed, so each test has its own addresses.</summary>
public sealed class TokenRateLimitHost : AccountHost
{
    public const int Writes = 4;

    protected override IDictionary<string, string?> Settings()
    {
        var settings = base.Settings();
        settings["Readiness:RateLimits:WritesPerMinute"] = Writes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Readiness:Proxy:KnownProxies"] = "127.0.0.1,::1";
        return settings;
    }
}

/// <summary>
/// Every request to /connect/token counts against the write budget, refused ones too: a wrong secret or an unknown
/// client_id was answered 401 inside OpenIddict's authentication handler, before the rate limiter, and never reached
/// 429 (guessing secrets was free). The 429 is OAuth's format (RFC 6749 §5.2), not problem details.
/// </summary>
public sealed class TokenRateLimitTests(TokenRateLimitHost host) : IClassFixture<TokenRateLimitHost>
{
    [Theory]
    [InlineData("wrong-secret", "203.0.113.10")]
    [InlineData("unknown-client", "203.0.113.11")]
    [InlineData("success", "203.0.113.12")]
    [InlineData("get", "203.0.113.13")]
    public async Task Token_requests_from_one_address_refused_or_not_reach_429_in_OAuths_format(string kind, string address)
    {
        var (clientId, secret) = await CreateAsync($"admin-{kind}@digital.go.jp");
        var form = kind switch
        {
            "wrong-secret" => Form(clientId, secret + "x"),
            "unknown-client" => Form("rc_nosuchclient" + kind, secret),
            _ => Form(clientId, secret),
        };
        var expected = kind switch { "success" => HttpStatusCode.OK, "get" => HttpStatusCode.BadRequest, _ => HttpStatusCode.Unauthorized };
        for (var i = 0; i < TokenRateLimitHost.Writes; i++)
        {
            using var allowed = await SendAsync(kind == "get" ? HttpMethod.Get : HttpMethod.Post, form, address);
            Assert.True(allowed.StatusCode == expected, $"{kind} {i + 1}: {(int)allowed.StatusCode} {await allowed.Content.ReadAsStringAsync()}");
        }

        using var limited = await SendAsync(kind == "get" ? HttpMethod.Get : HttpMethod.Post, form, address);
        await AssertThrottledAsync(limited);

        // Another address (for another client: this one's own budget may be spent too) is not affected.
        var (otherId, otherSecret) = await CreateAsync($"admin-{kind}@digital.go.jp");
        using var other = await SendAsync(HttpMethod.Post, Form(otherId, otherSecret), address + "1");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    /// <summary>Guessing one client's secret from many addresses: the client_id's own budget.</summary>
    [Fact]
    public async Task Failed_requests_for_one_client_from_many_addresses_reach_429()
    {
        var (clientId, secret) = await CreateAsync("admin-many@digital.go.jp");
        for (var i = 0; i < TokenRateLimitHost.Writes; i++)
        {
            using var refused = await SendAsync(HttpMethod.Post, Form(clientId, secret + "x"), $"198.51.100.{i + 1}");
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using var limited = await SendAsync(HttpMethod.Post, Form(clientId, secret), "198.51.100.200");
        await AssertThrottledAsync(limited);
    }

    private static async Task AssertThrottledAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.TooManyRequests, $"{(int)response.StatusCode} {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("slow_down", json.RootElement.GetProperty("error").GetString());
        Assert.Contains("Retry after", json.RootElement.GetProperty("error_description").GetString(), StringComparison.Ordinal);
        Assert.True(response.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 and <= 60 }, $"Retry-After {response.Headers.RetryAfter}");
        Assert.DoesNotContain("access_token", body, StringComparison.Ordinal);
    }

    private static Dictionary<string, string> Form(string clientId, string secret) =>
        new() { ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret };

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, Dictionary<string, string> form, string address)
    {
        using var http = host.Client();
        using var request = method == HttpMethod.Get
            ? new HttpRequestMessage(method, ClientsSetup.TokenPath + "?" + string.Join("&", form.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}")))
            : new HttpRequestMessage(method, ClientsSetup.TokenPath) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Forwarded-For", address);
        return await http.SendAsync(request);
    }

    private async Task<(string ClientId, string Secret)> CreateAsync(string administrator)
    {
        using var admin = host.Client(host.Token(Readiness.Role.Admin, subject: administrator));
        var body = JsonSerializer.Serialize(new { name = "vendor " + administrator, tenant = ApiHost.Chiyoda, scope = "read", expiresAt = DateTimeOffset.UtcNow.AddDays(30) });
        using var response = await admin.SendAsync(ApiHost.Request(HttpMethod.Post, "/api/v1/admin/clients", body));
        var json = await ApiHost.Json(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"create: {response.StatusCode} {json}");
        return (json.GetProperty("client").GetProperty("clientId").GetString()!, json.GetProperty("clientSecret").GetString()!);
    }
}
