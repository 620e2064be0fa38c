using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
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
            // Kestrel binds the port UseKestrel(0) chose in code, not this; saying port 0 here too keeps the start-up
            // probe (WebPorts) from refusing when the default address (localhost:5000) is taken, e.g. by a product a
            // developer runs beside the tests.
            ["urls"] = "http://127.0.0.1:0",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        UseKestrel(0);
    }

    public string DataPath => settings["Readiness:DataPath"]!;

    /// <summary>
    /// The setup link as the console shows it (one line, once announced) and what the host logged in the first-run
    /// category (never the link).
    /// </summary>
    public IReadOnlyCollection<string> SetupLog =>
        [.. Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<Readiness.Web.Identity.FirstRunAnnouncer>()
            .Select(a => a.Link?.ToString()).OfType<string>(), .. setupLog.Lines];

    private readonly SetupLogCapture setupLog = new();

    /// <summary>Every message the host logged at Warning or above, in order.</summary>
    public IReadOnlyCollection<string> Warnings => setupLog.Warnings;

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

        builder.ConfigureLogging(l => l.AddProvider(setupLog));
    }

    /// <summary>Keeps the messages of the first-run category (Readiness.Setup), and every warning or worse.</summary>
    private sealed class SetupLogCapture : ILoggerProvider
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Lines { get; } = new();

        public System.Collections.Concurrent.ConcurrentQueue<string> Warnings { get; } = new();

        public ILogger CreateLogger(string categoryName) =>
            new Logger(categoryName == Readiness.Web.Identity.FirstRunAnnouncer.Category ? Lines : null, Warnings);

        public void Dispose()
        {
        }

        private sealed class Logger(System.Collections.Concurrent.ConcurrentQueue<string>? lines, System.Collections.Concurrent.ConcurrentQueue<string> warnings) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => lines is not null || logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lines?.Enqueue(formatter(state, exception));
                if (logLevel >= LogLevel.Warning)
                {
                    warnings.Enqueue(formatter(state, exception));
                }
            }
        }
    }
}
