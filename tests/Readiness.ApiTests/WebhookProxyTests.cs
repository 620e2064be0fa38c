using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Readiness.Testing;
using Readiness.Web.Notifications;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>
/// Webhooks through the operator's outbound proxy (Readiness:Webhooks:Proxy), as networks whose only way out is a proxy
/// need: a real forward proxy (tinyproxy) between the product and a real Kestrel receiver. Before, webhooks always
/// connected directly and such a network could not receive them. Through the proxy the receiver's host is still checked
/// (the proxy resolves the name, so the check runs before the request): a name resolving to loopback is refused and
/// never reaches the proxy.
/// </summary>
public sealed class WebhookProxyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_webhook_goes_through_the_configured_proxy_and_arrives_signed()
    {
        using var proxy = await ForwardProxy.StartAsync();
        using var smtp = new TestMailServer();
        smtp.Start();
        await using var receiver = new WebhookReceiver();
        await receiver.StartAsync();
        var host = new ProxiedHost(Directory.CreateTempSubdirectory("readiness-webhook-proxy-").FullName, smtp.Port, proxy.Url, listLoopback: true);
        try
        {
            await host.InitializeAsync();
            using var admin = host.Client(host.Token(Role.Admin));
            using var response = await admin.PostAsJsonAsync("/api/v1/admin/webhooks", new { url = receiver.Url.ToString(), tenant = "13" });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            receiver.Secret = (await ApiHost.Json(response)).GetProperty("secret").GetString();

            await host.RegressAsync(ApiHost.Chiyoda, "koseki");
            var (_, body) = await receiver.WaitAsync(b => b.GetProperty("type").GetString() == "regression", TimeSpan.FromSeconds(30));
            Assert.Equal(ApiHost.Chiyoda, body.GetProperty("data").GetProperty("municipalityCode").GetString());

            // It came through the proxy: the proxy's Via on the request, the proxy's log of the connection it opened.
            output.WriteLine($"Via: {string.Join(" | ", receiver.Vias)}");
            Assert.All(receiver.Vias, via => Assert.Contains("tinyproxy", via, StringComparison.Ordinal));
            Assert.NotEmpty(receiver.Vias);
            Assert.Contains($"Established connection to host \"127.0.0.1\"", proxy.Log, StringComparison.Ordinal);
        }
        finally
        {
            await ((IAsyncLifetime)host).DisposeAsync();
        }
    }

    [Fact]
    public async Task Through_the_proxy_a_receiver_resolving_to_loopback_is_refused_before_the_proxy_is_asked()
    {
        using var proxy = await ForwardProxy.StartAsync();
        using var smtp = new TestMailServer();
        smtp.Start();
        await using var receiver = new WebhookReceiver();
        await receiver.StartAsync();
        var host = new ProxiedHost(Directory.CreateTempSubdirectory("readiness-webhook-proxy-refused-").FullName, smtp.Port, proxy.Url, listLoopback: false);
        try
        {
            await host.InitializeAsync();
            using var admin = host.Client(host.Token(Role.Admin));
            var byName = new UriBuilder(receiver.Url) { Host = "localhost" }.Uri;
            using var response = await admin.PostAsJsonAsync("/api/v1/admin/webhooks", new { url = byName.ToString(), tenant = "13" });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var created = await ApiHost.Json(response);
            receiver.Secret = created.GetProperty("secret").GetString();
            var webhookId = created.GetProperty("id").GetString()!;

            await host.RegressAsync(ApiHost.Chiyoda, "koseki");
            var failing = await host.FailedDeliveryAsync(webhookId);

            Assert.NotEqual(JsonValueKind.Undefined, failing.ValueKind);
            var lastError = failing.GetProperty("lastError").GetString()!;
            output.WriteLine($"outbox: {lastError}");
            Assert.StartsWith("WebhookTargetRefusedException: Refused to post to localhost through the proxy", lastError, StringComparison.Ordinal);
            Assert.Contains("loopback", lastError, StringComparison.Ordinal);
            Assert.Contains("Readiness:Webhooks:AllowedNetworks", lastError, StringComparison.Ordinal);
            Assert.Empty(receiver.Verified);
            Assert.DoesNotContain("Established connection", proxy.Log, StringComparison.Ordinal);
        }
        finally
        {
            await ((IAsyncLifetime)host).DisposeAsync();
        }
    }

    [Theory]
    [InlineData(null, true, null)]
    [InlineData("", true, null)]
    [InlineData("http://proxy.example.lg.jp:8080", true, "http://proxy.example.lg.jp:8080/")]
    [InlineData("https://proxy.example.lg.jp:8443", false, null)] // the proxy itself is spoken to in plain HTTP (CONNECT for https receivers)
    [InlineData("proxy.example.lg.jp:8080", false, null)]
    [InlineData("/relative", false, null)]
    [InlineData("socks5://127.0.0.1:1080", false, null)]
    public void The_proxy_setting_is_an_absolute_http_url_or_empty(string? text, bool valid, string? expected)
    {
        Assert.Equal(valid, WebhookOptions.TryParseProxy(text, out var proxy));
        Assert.Equal(expected, proxy?.ToString());
    }

    /// <summary>A notification host whose webhooks go through <paramref name="proxy"/>; loopback receivers listed or not.</summary>
    private sealed class ProxiedHost(string dataPath, int smtpPort, Uri proxy, bool listLoopback) : NotificationHost(dataPath, smtpPort)
    {
        protected override IDictionary<string, string?> Settings()
        {
            var settings = base.Settings();
            settings["Readiness:Webhooks:Proxy"] = proxy.ToString();
            if (!listLoopback)
            {
                settings.Remove("Readiness:Webhooks:AllowedNetworks");
            }

            return settings;
        }
    }
}
