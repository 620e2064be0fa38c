using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Readiness.Hosting;

/// <summary>
/// Refuses a start whose HTTP address another process listens on before anything else starts. Kestrel binds last, after
/// the hosted services (the co-hosted silo among them) have started, so a port in use was found only after the silo had
/// joined and its grains were running; their shutdown then logged faults with stacks above the one-line refusal
/// (breaker's finding, round 27). Registered first among the hosted services, this probe runs before the silo's.
/// </summary>
public sealed class WebPorts(IConfiguration configuration, IServer server) : IHostedService
{
    /// <summary>Kestrel's default address when none is configured.</summary>
    public const string DefaultUrl = "http://localhost:5000";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Only Kestrel binds sockets: the test server of WebApplicationFactory listens on nothing.
        if (server.GetType().Assembly.GetName().Name?.StartsWith("Microsoft.AspNetCore.Server.Kestrel", StringComparison.Ordinal) == true)
        {
            foreach (var (setting, url) in Addresses(configuration))
            {
                EnsureFree(setting, url);
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// The addresses Kestrel will listen on, with the setting each came from, in Kestrel's order of precedence:
    /// Kestrel:Endpoints:{name}:Url, else urls (ASPNETCORE_URLS, --urls), else http_ports/https_ports
    /// (ASPNETCORE_HTTP_PORTS, ASPNETCORE_HTTPS_PORTS) on every address, else <see cref="DefaultUrl"/>.
    /// </summary>
    public static IReadOnlyList<(string Setting, string Url)> Addresses(IConfiguration configuration)
    {
        var endpoints = configuration.GetSection("Kestrel:Endpoints").GetChildren()
            .Where(e => !string.IsNullOrWhiteSpace(e["Url"]))
            .Select(e => ($"Kestrel:Endpoints:{e.Key}:Url", e["Url"]!))
            .ToList();
        if (endpoints.Count > 0)
        {
            return endpoints;
        }

        static IEnumerable<(string, string)> Split(string setting, string? value, Func<string, string> url) =>
            (value ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => (setting, url(v)));

        var urls = Split("ASPNETCORE_URLS (urls)", configuration[WebHostDefaults.ServerUrlsKey], v => v).ToList();
        if (urls.Count > 0)
        {
            return urls;
        }

        var ports = Split("ASPNETCORE_HTTP_PORTS (http_ports)", configuration[WebHostDefaults.HttpPortsKey], p => $"http://*:{p}")
            .Concat(Split("ASPNETCORE_HTTPS_PORTS (https_ports)", configuration[WebHostDefaults.HttpsPortsKey], p => $"https://*:{p}"))
            .ToList();
        return ports.Count > 0 ? ports : [("ASPNETCORE_URLS (urls)", DefaultUrl)];
    }

    /// <summary>
    /// Throws InvalidOperationException naming the setting and the address when a TCP socket cannot bind the address's
    /// port: localhost is probed on 127.0.0.1, an IP address as itself, any other host (*, +, a name) on every IPv4
    /// address, as Kestrel binds them. Port 0, pipes and addresses that do not parse are left to Kestrel.
    /// </summary>
    public static void EnsureFree(string setting, string url)
    {
        BindingAddress address;
        try
        {
            address = BindingAddress.Parse(url);
        }
        catch (FormatException)
        {
            return; // ServiceDefaults.CheckUrls names it
        }

        if (address.IsNamedPipe || address.IsUnixPipe || address.Port is <= 0 or > 65535)
        {
            return;
        }

        var ip = string.Equals(address.Host, "localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
            : IPAddress.TryParse(address.Host.Trim('[', ']'), out var parsed) ? parsed
            : IPAddress.Any;
        using var probe = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (OperatingSystem.IsLinux())
        {
            // SO_REUSEADDR as Kestrel sets it on Unix, so connections of a previous run in TIME_WAIT do not count.
            probe.SetRawSocketOption(1, 2, BitConverter.GetBytes(1));
        }

        try
        {
            probe.Bind(new IPEndPoint(ip, address.Port));
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse)
        {
            throw StartRefusal.Refused($"{setting} '{url}'",
                $"ポート {address.Port} は {ip} で使用中です。別のサーバー（または別のプログラム）が待ち受けています。それを止めるか、別のアドレスを指定してください",
                $"the port is in use on {ip} ({e.Message}); another server (or another program) is listening there. Stop it, or give this server another address.", e);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AccessDenied or SocketError.AddressNotAvailable)
        {
            throw StartRefusal.Refused($"{setting} '{url}'", $"{ip}:{address.Port} で待ち受けできません", $"cannot listen on {ip}:{address.Port} ({e.Message}).", e);
        }
    }
}
