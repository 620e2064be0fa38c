using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Readiness.Hosting;
using Readiness.Web.Auth;

namespace Readiness.Testing;

/// <summary>
/// The product's embedded default as a user runs it (web + co-hosted silo + SQLite) on a real Kestrel port, in a
/// given data folder, with free silo and gateway ports (other test hosts run on the machine at the same time).
/// </summary>
public sealed class ReadinessWebHost : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> settings;

    public ReadinessWebHost(string dataPath, IReadOnlyDictionary<string, string?>? extra = null)
    {
        settings = new Dictionary<string, string?>
        {
            ["Readiness:DataPath"] = dataPath,
            ["Readiness:SiloPort"] = TestPorts.Free().ToString(CultureInfo.InvariantCulture),
            ["Readiness:GatewayPort"] = TestPorts.Free().ToString(CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        UseKestrel(0);
    }

    public string DataPath => settings["Readiness:DataPath"]!;

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

    /// <summary>A token signed with this host's own local key (the one the `token` command uses).</summary>
    public string Token(Role role, string? tenant = null, string? subject = null)
    {
        StartServer();
        var key = LocalSigningKey.Resolve(new ReadinessAuthOptions(), new ReadinessOptions { DataPath = DataPath });
        return LocalTokens.Issue(new ReadinessAuthOptions(), key, subject ?? $"test-{Wire.Name(role)}-{tenant ?? "all"}", role, tenant, TimeSpan.FromHours(1), DateTimeOffset.UtcNow);
    }

    /// <summary>A client signed in as national staff, who read everything.</summary>
    public HttpClient CreateNationalClient()
    {
        var client = CreateHttpClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(Role.National));
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
