using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Readiness.Hosting;
using Readiness.Web.Auth;

namespace Readiness.Tests.Hosting;

/// <summary>The product's embedded default (web + co-hosted silo + SQLite) on a real Kestrel port and a given data folder.</summary>
public sealed class EmbeddedHost : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> settings;

    public EmbeddedHost(string dataPath, IDictionary<string, string?>? extra = null)
    {
        settings = new Dictionary<string, string?>
        {
            ["Readiness:DataPath"] = dataPath,
            ["Readiness:SiloPort"] = TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Readiness:GatewayPort"] = TestPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string?>())
        {
            settings[k] = v;
        }

        UseKestrel(0);
    }

    public Uri BaseAddress
    {
        get
        {
            StartServer();
            var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("localhost", "127.0.0.1", StringComparison.Ordinal));
        }
    }

    /// <summary>A client signed in as national staff (reads everything) with a token from the host's own local key.</summary>
    public HttpClient CreateHttpClient()
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var key = LocalSigningKey.Resolve(new ReadinessAuthOptions(), new ReadinessOptions { DataPath = settings["Readiness:DataPath"] });
        var token = LocalTokens.Issue(new ReadinessAuthOptions(), key, "embedded-host-test", Role.National, null, TimeSpan.FromHours(1), DateTimeOffset.UtcNow);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public IGrainFactory Grains
    {
        get
        {
            StartServer();
            return Services.GetRequiredService<IGrainFactory>();
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (k, v) in settings)
        {
            builder.UseSetting(k, v);
        }
    }
}
