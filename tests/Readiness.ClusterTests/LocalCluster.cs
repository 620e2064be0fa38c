using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Readiness.Hosting;
using Readiness.Web.Auth;
using Readiness.Testing;

namespace Readiness.ClusterTests;

/// <summary>Ports of one silo; kept so that a restarted silo comes back at the same address.</summary>
public sealed record SiloPorts(int Silo, int Gateway, int Http)
{
    public static SiloPorts Free() => new(PostgresServer.FreePort(), PostgresServer.FreePort(), PostgresServer.FreePort());
}

/// <summary>
/// Silos and a web node as real processes on 127.0.0.1, plus an in-test Orleans client in cluster mode that calls
/// grains through <see cref="GrainCalls"/> with its default timeouts and retries, exactly as the web tier does.
/// </summary>
public sealed class LocalCluster(string connectionString, string clusterId) : IAsyncDisposable
{
    /// <summary>One signing key per test run, given to every web node, so the tests can sign their own tokens.</summary>
    public static readonly string SigningKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>Signed in as national staff, who may read every municipality.</summary>
    public static readonly HttpClient Http = CreateNationalClient();

    /// <summary>
    /// GET /api/v1/nation from a web node until <paramref name="until"/> holds or <paramref name="timeout"/> passes; the
    /// last answer either way. The web node serves summaries from its summary cache, which follows the nation grain
    /// within a poll (300 ms), so a reader that has just seen the grains converge asks again briefly.
    /// </summary>
    public static async Task<JsonElement> NationAsync(Uri web, Func<JsonElement, bool> until, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var nation = JsonDocument.Parse(await Http.GetStringAsync(new Uri(web, "/api/v1/nation"))).RootElement;
            if (until(nation) || clock.Elapsed > timeout)
            {
                return nation;
            }

            await Task.Delay(100);
        }
    }

    /// <summary>A token for any role, signed with the key every web node of the test run accepts.</summary>
    public static string Token(Role role, string? tenant)
    {
        var auth = new ReadinessAuthOptions { SigningKey = SigningKey };
        return LocalTokens.Issue(auth, LocalSigningKey.Resolve(auth, new ReadinessOptions()), $"cluster-test-{tenant ?? "all"}", role, tenant, TimeSpan.FromHours(4), DateTimeOffset.UtcNow);
    }

    private static HttpClient CreateNationalClient()
    {
        var token = Token(Role.National, null);
        var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private IHost? client;

    public string ConnectionString { get; } = connectionString;

    public string ClusterId { get; } = clusterId;

    public List<NodeProcess> Silos { get; } = [];

    public NodeProcess? Web { get; private set; }

    public IGrainFactory Grains => client?.Services.GetRequiredService<IClusterClient>() ?? throw new InvalidOperationException("No client started");

    public GrainCalls Calls => client?.Services.GetRequiredService<GrainCalls>() ?? throw new InvalidOperationException("No client started");

    /// <summary>The test client's watch on its gateway connections (what breaks its calls in flight when a gateway dies).</summary>
    public GatewayConnectionWatch Gateways => client?.Services.GetRequiredService<GatewayConnectionWatch>() ?? throw new InvalidOperationException("No client started");

    public Dictionary<string, string> Environment(IReadOnlyDictionary<string, string>? extra = null)
    {
        var env = new Dictionary<string, string>
        {
            ["Readiness__Mode"] = "Cluster",
            ["Readiness__ConnectionString"] = ConnectionString,
            ["Readiness__ClusterId"] = ClusterId,
            ["Readiness__Auth__SigningKey"] = SigningKey,
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string>())
        {
            env[k] = v;
        }

        return env;
    }

    public NodeProcess StartSilo(SiloPorts ports, bool warmUp, IReadOnlyDictionary<string, string>? extra = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["Readiness__SiloPort"] = ports.Silo.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Readiness__GatewayPort"] = ports.Gateway.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Readiness__WarmUp"] = warmUp ? "true" : "false",
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string>())
        {
            settings[k] = v;
        }

        var silo = NodeProcess.Start($"silo{Silos.Count + 1}", Binaries.Silo, ports.Http, Environment(settings));
        Silos.Add(silo);
        return silo;
    }

    public NodeProcess StartWeb(int httpPort, IReadOnlyDictionary<string, string>? extra = null)
    {
        Web = NodeProcess.Start("web", Binaries.Web, httpPort, Environment(extra));
        return Web;
    }

    /// <summary>An Orleans client host in cluster mode, configured by the same code as the web node.</summary>
    public async Task StartClientAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Readiness:Mode"] = "Cluster",
            ["Readiness:ConnectionString"] = ConnectionString,
            ["Readiness:ClusterId"] = ClusterId,
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddReadinessOrleans();
        client = builder.Build();
        await client.StartAsync().WaitAsync(TimeSpan.FromMinutes(2));
    }

    public async Task StopClientAsync()
    {
        if (client is not null)
        {
            await client.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
            client.Dispose();
            client = null;
        }
    }

    /// <summary>Stops everything gracefully (SIGTERM), web node first, like an orderly shutdown of a deployment.</summary>
    public async Task StopAllAsync()
    {
        await StopClientAsync();
        if (Web is not null)
        {
            await Web.StopAsync(TimeSpan.FromSeconds(30));
            await Web.DisposeAsync();
            Web = null;
        }

        foreach (var silo in Silos)
        {
            await silo.StopAsync(TimeSpan.FromSeconds(30));
            await silo.DisposeAsync();
        }

        Silos.Clear();
    }

    /// <summary>Polls until the URL answers with the expected status; returns how long that took.</summary>
    public static async Task<TimeSpan> WaitForStatusAsync(Uri url, HttpStatusCode expected, TimeSpan timeout, params NodeProcess?[] watched)
    {
        var clock = Stopwatch.StartNew();
        HttpStatusCode? last = null;
        while (clock.Elapsed < timeout)
        {
            foreach (var node in watched)
            {
                if (node is { HasExited: true })
                {
                    throw new InvalidOperationException($"{node.Name} exited while waiting for {url}:\n{node.Tail()}");
                }
            }

            try
            {
                using var response = await Http.GetAsync(url);
                last = response.StatusCode;
                if (response.StatusCode == expected)
                {
                    return clock.Elapsed;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(250);
        }

        var tails = string.Join("\n", watched.Where(n => n is not null).Select(n => $"--- {n!.Name}:\n{n.Tail(25)}"));
        throw new TimeoutException($"{url} did not answer {(int)expected} within {timeout} (last: {(last is { } l ? (int)l : "no answer")})\n{tails}");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopClientAsync();
        }
        catch (Exception)
        {
            // Disposal after a failed test: the processes below must go regardless.
        }

        if (Web is not null)
        {
            await Web.DisposeAsync();
        }

        foreach (var silo in Silos)
        {
            await silo.DisposeAsync();
        }
    }
}
