using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Readiness.BrowserTests;

/// <summary>The product as a user runs it (web + co-hosted silo + SQLite) on a real Kestrel port, in a temp data folder.</summary>
public sealed class DashboardHost : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> settings;

    public DashboardHost(string dataPath, IReadOnlyDictionary<string, string?>? extra = null)
    {
        settings = new Dictionary<string, string?>
        {
            ["Readiness:DataPath"] = dataPath,
            ["Readiness:SiloPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
            ["Readiness:GatewayPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
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

    public IGrainFactory Grains
    {
        get
        {
            StartServer();
            return Services.GetRequiredService<IGrainFactory>();
        }
    }

    public HttpClient CreateHttpClient(DecompressionMethods decompression = DecompressionMethods.None) =>
        new(new HttpClientHandler { AutomaticDecompression = decompression }) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(90) };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }

    /// <summary>A free loopback port: other test hosts run on this machine at the same time.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
