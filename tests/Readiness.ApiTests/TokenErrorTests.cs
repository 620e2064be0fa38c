using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Readiness.Web.Clients;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>
/// The token endpoint's refusals use the codes RFC 6749 §5.2 gives each fault (client libraries branch on them), with
/// the status it gives (401 for a failed client authentication) and a description of the fault itself.
/// </summary>
public sealed class TokenErrorTests(AccountHost host, ITestOutputHelper output) : IClassFixture<AccountHost>
{
    private const string Creator = "ops-admin@digital.go.jp";

    /// <summary>A token request for a read-only client, altered by <c>name</c>; the answer RFC 6749 gives it.</summary>
    [Theory]
    [InlineData("scope-not-permitted", 400, "invalid_scope", "scope")] // was invalid_request
    [InlineData("scope-unknown", 400, "invalid_scope", "scope")]
    [InlineData("scope-openid", 400, "invalid_scope", "'openid'")] // was 200, a token with read write
    [InlineData("scope-openid-offline", 400, "invalid_scope", "scope")] // was invalid_request
    [InlineData("scope-offline", 400, "invalid_scope", "'offline_access'")] // was invalid_request
    [InlineData("no-secret", 401, "invalid_client", "client_secret")] // was 400 invalid_request
    [InlineData("wrong-secret", 401, "invalid_client", "credentials")]
    [InlineData("unknown-client", 401, "invalid_client", "client_id")]
    [InlineData("grant-password", 400, "unsupported_grant_type", "grant_type")]
    [InlineData("no-grant", 400, "invalid_request", "grant_type")]
    [InlineData("grant-twice", 400, "invalid_request", "'grant_type' parameter is given more than once")] // was "missing"
    [InlineData("client-id-twice", 400, "invalid_request", "'client_id' parameter is given more than once")] // was "missing"
    [InlineData("secret-twice", 400, "invalid_request", "'client_secret' parameter is given more than once")] // was "must be specified"
    [InlineData("scope-twice", 400, "invalid_request", "'scope' parameter is given more than once")] // was 200, a token
    [InlineData("basic-and-body", 400, "invalid_request", "Multiple client credentials")]
    public async Task A_refused_token_request_gets_the_code_and_status_RFC_6749_gives_its_fault(string name, int status, string error, string described)
    {
        var (clientId, secret) = await CreateAsync(ApiHost.Chiyoda, "read");
        var pairs = new List<KeyValuePair<string, string>> { new("grant_type", "client_credentials"), new("client_id", clientId), new("client_secret", secret) };
        AuthenticationHeaderValue? basic = null;
        switch (name)
        {
            case "scope-not-permitted": pairs.Add(new("scope", "write")); break;
            case "scope-unknown": pairs.Add(new("scope", "admin")); break;
            case "scope-openid": pairs.Add(new("scope", "openid")); break;
            case "scope-openid-offline": pairs.Add(new("scope", "openid offline_access")); break;
            case "scope-offline": pairs.Add(new("scope", "offline_access")); break;
            case "no-secret": pairs.RemoveAll(p => p.Key == "client_secret"); break;
            case "wrong-secret": pairs[2] = new("client_secret", secret + "x"); break;
            case "unknown-client": pairs[1] = new("client_id", "rc_nosuchclient"); break;
            case "grant-password": pairs[0] = new("grant_type", "password"); break;
            case "no-grant": pairs.RemoveAt(0); break;
            case "grant-twice": pairs.Add(new("grant_type", "client_credentials")); break;
            case "client-id-twice": pairs.Add(new("client_id", clientId)); break;
            case "scope-twice": pairs.Add(new("scope", "read")); pairs.Add(new("scope", "read")); break;
            case "secret-twice": pairs.Add(new("client_secret", secret)); break;
            case "basic-and-body": basic = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{clientId}:{secret}"))); break;
            default: throw new ArgumentOutOfRangeException(nameof(name));
        }

        using var response = await SendAsync(pairs, basic);
        var body = await response.Content.ReadAsStringAsync();
        output.WriteLine($"{name}: {(int)response.StatusCode} {response.Headers.WwwAuthenticate} {body}");
        Assert.Equal(status, (int)response.StatusCode);
        using var json = JsonDocument.Parse(body);
        Assert.Equal(error, json.RootElement.GetProperty("error").GetString());
        var description = json.RootElement.GetProperty("error_description").GetString()!;
        Assert.Contains(described, description, StringComparison.Ordinal);
        // RFC 6749 §5.2 keeps error_description to printable ASCII; the Japanese goes beside it. Failed before: none.
        Assert.All(description, c => Assert.InRange(c, ' ', '~'));
        var japanese = json.RootElement.GetProperty(TokenErrors.JapaneseMember).GetString()!;
        Assert.Contains(japanese, c => c is >= '\u3040' and <= '\u30ff' or >= '\u4e00' and <= '\u9fff');
        Assert.DoesNotContain("access_token", body, StringComparison.Ordinal);
        if (status == 401)
        {
            Assert.NotEmpty(response.Headers.WwwAuthenticate); // RFC 6749 §5.2: a 401 carries WWW-Authenticate
        }
    }

    /// <summary>
    /// A client authenticated both by HTTP Basic and in the body (OpenIddict: "Multiple client credentials cannot be
    /// specified.") is told so in Japanese too (a breaker's finding, round 48: the generic "the request is malformed").
    /// </summary>
    [Fact]
    public async Task Credentials_sent_twice_are_told_so_in_japanese()
    {
        var (clientId, secret) = await CreateAsync(ApiHost.Chiyoda, "read");
        using var response = await SendAsync(
            [new("grant_type", "client_credentials"), new("client_id", clientId), new("client_secret", secret)],
            new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{clientId}:{secret}"))));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("invalid_request", json.RootElement.GetProperty("error").GetString());
        var japanese = json.RootElement.GetProperty(TokenErrors.JapaneseMember).GetString()!;
        Assert.Contains("複数", japanese, StringComparison.Ordinal);
        Assert.Contains("1つだけ", japanese, StringComparison.Ordinal);
    }

    /// <summary>The same client gets its token with its credentials in the body or in HTTP Basic (RFC 6749 §2.3.1), once each.</summary>
    [Fact]
    public async Task The_same_client_gets_a_token_with_its_credentials_in_the_body_or_in_Basic()
    {
        var (clientId, secret) = await CreateAsync(ApiHost.Chiyoda, "read");
        using var inBody = await SendAsync([new("grant_type", "client_credentials"), new("client_id", clientId), new("client_secret", secret), new("scope", "read")], null);
        using var inBasic = await SendAsync([new("grant_type", "client_credentials")],
            new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(secret)}"))));
        foreach (var response in new[] { inBody, inBasic })
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body);
            Assert.False(string.IsNullOrEmpty(JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()));
        }

        // No scope asked: the client's own, said in the answer (RFC 6749 §3.3).
        Assert.Equal("read", JsonDocument.Parse(await inBasic.Content.ReadAsStringAsync()).RootElement.GetProperty("scope").GetString());
    }

    private async Task<HttpResponseMessage> SendAsync(IEnumerable<KeyValuePair<string, string>> pairs, AuthenticationHeaderValue? basic)
    {
        using var http = host.Client();
        using var request = new HttpRequestMessage(HttpMethod.Post, ClientsSetup.TokenPath) { Content = new FormUrlEncodedContent(pairs) };
        request.Headers.Authorization = basic;
        return await http.SendAsync(request);
    }

    private HttpClient Admin() => host.Client(host.Token(Readiness.Role.Admin, subject: Creator));

    private async Task<(string ClientId, string Secret)> CreateAsync(string tenant, string scope)
    {
        using var admin = Admin();
        var body = JsonSerializer.Serialize(new { name = $"vendor {scope} {tenant}", tenant, scope, expiresAt = DateTimeOffset.UtcNow.AddDays(30) });
        using var response = await admin.SendAsync(ApiHost.Request(HttpMethod.Post, "/api/v1/admin/clients", body));
        var json = await ApiHost.Json(response);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"create: {response.StatusCode} {json}");
        return (json.GetProperty("client").GetProperty("clientId").GetString()!, json.GetProperty("clientSecret").GetString()!);
    }
}
