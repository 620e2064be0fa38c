using System.Net;
using System.Text.Json;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>An operator opened the summaries to anonymous readers and set a low write limit.</summary>
public sealed class OperatorSettingsHost : ApiHost
{
    protected override IDictionary<string, string?> Settings()
    {
        var settings = base.Settings();
        settings["Readiness:Auth:AnonymousSummaries"] = "true";
        settings["Readiness:RateLimits:WritesPerMinute"] = "3";
        settings["Readiness:Proxy:KnownProxies"] = "127.0.0.1, ::1"; // the tests' own connections come from loopback
        return settings;
    }
}

public sealed class OperatorSettingsTests(OperatorSettingsHost host) : IClassFixture<OperatorSettingsHost>
{
    [Theory]
    [InlineData("/api/v1/catalog", HttpStatusCode.OK)]
    [InlineData("/api/v1/nation", HttpStatusCode.OK)]
    [InlineData("/api/v1/prefectures", HttpStatusCode.OK)]
    [InlineData("/api/v1/prefectures/13", HttpStatusCode.OK)]
    [InlineData("/api/v1/municipalities/131016", HttpStatusCode.Unauthorized)]
    [InlineData("/api/v1/municipalities/131016/history", HttpStatusCode.Unauthorized)]
    [InlineData("/api/v1/export/municipalities.csv?prefecture=13", HttpStatusCode.Unauthorized)]
    [InlineData("/api/v1/notifications", HttpStatusCode.Unauthorized)] // a person's inbox: nobody's for an anonymous reader
    [InlineData("/api/v1/notifications/preferences", HttpStatusCode.Unauthorized)]
    public async Task Anonymous_summaries_open_only_the_summaries(string path, HttpStatusCode expected)
    {
        using var anonymous = host.Client();
        using var response = await anonymous.GetAsync(path);
        if (expected == HttpStatusCode.OK)
        {
            Assert.Equal(expected, response.StatusCode);
        }
        else
        {
            await ApiHost.AssertProblem(response, expected, "Authorization");
        }
    }

    /// <summary>
    /// /metrics is served to this machine and the private networks (Readiness:Metrics:AllowedNetworks), judged by the
    /// client address a trusted proxy forwards: a scrape routed in from the internet by mistake is 403 (it was 200).
    /// </summary>
    [Theory]
    [InlineData(null, HttpStatusCode.OK)] // the connection's own loopback address
    [InlineData("10.20.30.40", HttpStatusCode.OK)] // a cluster's Prometheus
    [InlineData("fd12:3456::7", HttpStatusCode.OK)]
    [InlineData("203.0.113.9", HttpStatusCode.Forbidden)]
    [InlineData("2001:db8::1", HttpStatusCode.Forbidden)]
    [InlineData("100.100.100.200", HttpStatusCode.Forbidden)] // shared address space (RFC 6598) is not private
    public async Task Metrics_are_served_to_this_machine_and_private_networks_only(string? forwardedFor, HttpStatusCode expected)
    {
        using var client = host.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        using var response = await client.SendAsync(request);
        Assert.Equal(expected, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        if (expected == HttpStatusCode.OK)
        {
            Assert.Contains("# TYPE", body, StringComparison.Ordinal);
        }
        else
        {
            Assert.DoesNotContain("# TYPE", body, StringComparison.Ordinal);
            var error = JsonDocument.Parse(body).RootElement.GetProperty("errors")[0];
            Assert.Equal("metrics_not_allowed", error.GetProperty("code").GetString());
            Assert.Contains("メトリクス", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_anonymous_reader_is_sent_to_sign_in_for_the_notification_inbox_and_cannot_change_choices()
    {
        using var handler = new HttpClientHandler { AllowAutoRedirect = false };
        using var anonymous = new HttpClient(handler) { BaseAddress = host.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/notifications");
        request.Headers.Accept.ParseAdd("text/html"); // a browser: sent to sign in (an API caller gets 401)
        using var page = await anonymous.SendAsync(request);
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/signin", page.Headers.Location!.IsAbsoluteUri ? page.Headers.Location.PathAndQuery : page.Headers.Location.OriginalString, StringComparison.Ordinal);

        using var put = await anonymous.SendAsync(ApiHost.Request(HttpMethod.Put, "/api/v1/notifications/preferences", """{"items":[]}"""));
        await ApiHost.AssertProblem(put, HttpStatusCode.Unauthorized, "Authorization");
        using var read = await anonymous.PostAsync("/api/v1/notifications/ntf_none/read", null);
        await ApiHost.AssertProblem(read, HttpStatusCode.Unauthorized, "Authorization");
    }

    [Fact]
    public async Task Writes_beyond_the_limit_get_429_with_retry_after_per_person()
    {
        using var chiyoda = host.Municipality(ApiHost.Chiyoda);
        var codes = new[] { "SEC-6-01", "SEC-6-02", "SEC-6-03" };
        foreach (var item in codes)
        {
            var (_, v) = await host.GetMunicipality(ApiHost.Chiyoda);
            using var ok = await chiyoda.SendAsync(ApiHost.Request(HttpMethod.Put, $"/api/v1/municipalities/{ApiHost.Chiyoda}/security/{item}", """{"status":"implemented"}""", v));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        var (_, version) = await host.GetMunicipality(ApiHost.Chiyoda);
        using var limited = await chiyoda.SendAsync(ApiHost.Request(HttpMethod.Put, $"/api/v1/municipalities/{ApiHost.Chiyoda}/security/SEC-6-04", """{"status":"implemented"}""", version));
        await ApiHost.AssertProblem(limited, HttpStatusCode.TooManyRequests, "rate");
        var retryAfter = limited.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        Assert.Equal(version, (await host.GetMunicipality(ApiHost.Chiyoda)).Version);

        // Another municipality has its own budget.
        using var chuo = host.Municipality(ApiHost.Chuo);
        await host.PutSystem(chuo, ApiHost.Chuo, "koseki", """{"phase":"in_production","regressionReason":"rate test"}""");
    }

    [Fact]
    public async Task Behind_a_known_proxy_the_audit_records_the_forwarded_client_address()
    {
        var newest = await host.PutForwardedAndReadNewestHistory("131032", "minato-staff", "203.0.113.7"); // 東京都港区
        Assert.Equal("203.0.113.7", newest.GetProperty("clientAddress").GetString());
    }

    [Fact]
    public async Task Health_tells_why_only_to_a_caller_on_this_machine_and_the_status_to_everyone()
    {
        using var client = host.Client();
        using var local = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        var localBody = await local.Content.ReadAsStringAsync();
        var localChecks = Checks(localBody);
        Assert.Contains(host.DataPath, localBody, StringComparison.Ordinal); // the storage check names the data file
        Assert.False(string.IsNullOrEmpty(localChecks["storage"].GetProperty("description").GetString()));

        // A client elsewhere, through the proxy this host trusts: the same statuses, no description, no data. And one
        // that names a loopback address through the proxy is still not on this machine.
        foreach (var forwardedFor in new[] { "203.0.113.9", "127.0.0.1", "::1" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/health/ready", UriKind.Relative));
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
            using var remote = await client.SendAsync(request);
            var remoteBody = await remote.Content.ReadAsStringAsync();
            Assert.Equal(local.StatusCode, remote.StatusCode);
            Assert.DoesNotContain(host.DataPath, remoteBody, StringComparison.Ordinal);
            var remoteChecks = Checks(remoteBody);
            Assert.Equal(localChecks.Keys.Order(), remoteChecks.Keys.Order());
            foreach (var (name, check) in remoteChecks)
            {
                Assert.Equal(localChecks[name].GetProperty("status").GetString(), check.GetProperty("status").GetString());
                Assert.Equal(JsonValueKind.Null, check.GetProperty("description").ValueKind);
                Assert.Equal(JsonValueKind.Null, check.GetProperty("data").ValueKind);
            }
        }
    }

    private static Dictionary<string, JsonElement> Checks(string body) =>
        JsonDocument.Parse(body).RootElement.GetProperty("checks").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone());
}
