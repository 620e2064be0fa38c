using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Readiness.Hosting;
using Readiness.Testing;

namespace Readiness.HostTests.Hosting;

/// <summary>
/// A port taken after the settings were checked but before Orleans binds (the window between configuration and the
/// silo's start) still refuses the start: the second probe runs in the silo's lifecycle just before the listeners bind.
/// Without it the silo bound beside the other listener through SO_REUSEPORT and started.
/// </summary>
public sealed class ListenPortsBeforeBindTests
{
    [Fact]
    public async Task A_silo_port_taken_after_configuration_refuses_the_start_naming_the_setting()
    {
        using var folder = new TempFolder();
        var siloPort = TestPorts.Free();
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Readiness:DataPath"] = folder.Path,
            ["Readiness:SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
            ["Readiness:GatewayPort"] = TestPorts.Free().ToString(CultureInfo.InvariantCulture),
        });
        builder.AddReadinessSilo(); // the first probe: the ports are free now
        using var host = builder.Build();

        // Another server takes the silo port as Orleans listens (SO_REUSEADDR and, on Linux, SO_REUSEPORT).
        using var other = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        other.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        other.Bind(new IPEndPoint(IPAddress.Loopback, siloPort));
        other.Listen();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync(timeout.Token));
        var message = StartRefusal.Message(refused);
        Assert.Contains($"Readiness:SiloPort = {siloPort}: このポートは 127.0.0.1 で使用中です", message, StringComparison.Ordinal);
    }
}
