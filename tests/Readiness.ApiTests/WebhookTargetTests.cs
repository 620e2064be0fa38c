using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>
/// Webhooks do not post to the server itself, the cloud metadata service or other addresses of this host's own
/// network stack: a literal such address is refused at registration (400 naming url), and every connection is checked
/// after name resolution, so a name that resolves to one (localhost; DNS rebinding) fails at delivery with a clear
/// error in the outbox. Before, any address was accepted and posted to. Real Kestrel receivers on loopback; private
/// (LGWAN) ranges stay allowed; Readiness:Webhooks:AllowedNetworks lifts the rule for the listed ranges.
/// </summary>
public sealed class WebhookTargetTests(ITestOutputHelper output)
{
    private static readonly string[] RefusedLiterals =
    [
        "http://169.254.169.254/",
        "https://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "https://127.0.0.1/admin/users",
        "https://127.1.2.3/",
        "https://[::1]/",
        "https://0.0.0.0/",
        "https://[::]/",
        "https://[::ffff:127.0.0.1]/",
        "https://[::ffff:169.254.169.254]/",
        "https://[::127.0.0.1]/", // IPv4-compatible (the second breaker's forms: IPv6 addresses that carry a refused IPv4 one)
        "https://[::ffff:0:127.0.0.1]/", // IPv4-translated
        "https://[64:ff9b::7f00:1]/", // NAT64 of 127.0.0.1
        "https://[64:ff9b::a9fe:a9fe]/", // NAT64 of 169.254.169.254
        "https://[2002:7f00:1::]/", // 6to4 of 127.0.0.1
        "https://[fe80::1]/",
        "https://224.0.0.1/",
        "http://168.63.129.16/machine?comp=goalstate", // Azure WireServer (the cloud metadata list)
        "http://100.100.100.200/latest/meta-data/", // Alibaba Cloud metadata
        "http://192.0.0.192/", // Oracle Cloud legacy metadata
        "http://[fd20:ce::254]/computeMetadata/v1/", // GCP metadata over IPv6
        "https://[::ffff:168.63.129.16]/",
        "https://[64:ff9b::6464:64c8]/", // NAT64 of 100.100.100.200
    ];

    [Fact]
    public async Task By_default_internal_literals_are_refused_at_registration_and_a_name_resolving_to_loopback_fails_at_delivery()
    {
        using var smtp = new TestMailServer();
        smtp.Start();
        await using var receiver = new WebhookReceiver();
        await receiver.StartAsync();
        var host = new UnlistedHost(Directory.CreateTempSubdirectory("readiness-webhook-targets-").FullName, smtp.Port);
        await using var stop = Stop(host);
        await host.InitializeAsync();
        using var admin = host.Client(host.Token(Role.Admin));

        foreach (var url in RefusedLiterals)
        {
            using var refused = await admin.PostAsJsonAsync("/api/v1/admin/webhooks", new { url, tenant = "13" });
            var problem = await ApiHost.AssertProblem(refused, HttpStatusCode.BadRequest, "url");
            var error = problem.GetProperty("errors")[0];
            Assert.Contains("送信先にできません", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
            Assert.Contains("does not post", error.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
        }

        // Nothing was stored.
        Assert.Empty(JsonDocument.Parse(await admin.GetStringAsync("/api/v1/admin/webhooks")).RootElement.EnumerateArray());

        // Private (LGWAN) receivers stay allowed (registered, then stopped so nothing is sent there).
        foreach (var url in new[] { "https://10.20.30.40/hook", "https://172.16.5.6/hook", "https://192.168.1.10/hook" })
        {
            using var registered = await admin.PostAsJsonAsync("/api/v1/admin/webhooks", new { url, tenant = "13" });
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
            using var stopped = await admin.DeleteAsync($"/api/v1/admin/webhooks/{(await ApiHost.Json(registered)).GetProperty("id").GetString()}");
            Assert.True(stopped.IsSuccessStatusCode);
        }

        // A name (localhost) is accepted at registration; it resolves to loopback at delivery and is refused there.
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
        Assert.StartsWith("WebhookTargetRefusedException: Refused to connect to localhost", lastError, StringComparison.Ordinal);
        Assert.Contains("loopback", lastError, StringComparison.Ordinal);
        Assert.Contains("Readiness:Webhooks:AllowedNetworks", lastError, StringComparison.Ordinal);
        Assert.Empty(receiver.Verified);
        Assert.Equal(0, receiver.Rejected);
    }

    [Fact]
    public async Task A_listed_range_is_reached_and_other_internal_addresses_stay_refused()
    {
        using var smtp = new TestMailServer();
        smtp.Start();
        await using var receiver = new WebhookReceiver();
        await receiver.StartAsync();

        // NotificationHost lists 127.0.0.0/8 (Readiness:Webhooks:AllowedNetworks).
        var host = new NotificationHost(Directory.CreateTempSubdirectory("readiness-webhook-listed-").FullName, smtp.Port);
        await using var stop = Stop(host);
        await host.InitializeAsync();
        using var admin = host.Client(host.Token(Role.Admin));
        using (var metadata = await admin.PostAsJsonAsync("/api/v1/admin/webhooks", new { url = "https://169.254.169.254/latest/meta-data/", tenant = "13" }))
        {
            await ApiHost.AssertProblem(metadata, HttpStatusCode.BadRequest, "url");
        }

        using var response = await admin.PostAsJsonAsync("/api/v1/admin/webhooks", new { url = receiver.Url.ToString(), tenant = "13" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        receiver.Secret = (await ApiHost.Json(response)).GetProperty("secret").GetString();
        await host.RegressAsync(ApiHost.Chiyoda, "koseki");
        var (id, body) = await receiver.WaitAsync(b => b.GetProperty("type").GetString() == "regression", TimeSpan.FromSeconds(30));
        Assert.StartsWith("ntf_", id, StringComparison.Ordinal);
        Assert.Equal(ApiHost.Chiyoda, body.GetProperty("data").GetProperty("municipalityCode").GetString());
    }

    /// <summary>Stops the host (and removes its data folder) at the end of the test.</summary>
    private static AsyncStop Stop(ApiHost host) => new(host);

    private sealed class AsyncStop(ApiHost host) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await ((IAsyncLifetime)host).DisposeAsync();
    }

    /// <summary>A notification host without the loopback allow-list the other notification tests use: the product's default.</summary>
    private sealed class UnlistedHost(string dataPath, int smtpPort) : NotificationHost(dataPath, smtpPort)
    {
        protected override IDictionary<string, string?> Settings()
        {
            var settings = base.Settings();
            settings.Remove("Readiness:Webhooks:AllowedNetworks");
            return settings;
        }
    }
}
