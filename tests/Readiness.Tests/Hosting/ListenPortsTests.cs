using System.Net;
using System.Net.Sockets;
using Readiness.Hosting;
using Xunit;

namespace Readiness.Tests.Hosting;

/// <summary>
/// A silo or gateway port another process listens on refuses the start, even when that process listens as Orleans
/// does (SO_REUSEPORT, which let two servers share 11111 and 30000); a free port and one a previous run left in
/// TIME_WAIT do not.
/// </summary>
public class ListenPortsTests
{
    [Fact]
    public void A_port_listened_on_with_reuse_as_Orleans_does_is_refused_naming_the_setting()
    {
        using var orleans = Listen(reuse: true);
        var port = ((IPEndPoint)orleans.LocalEndPoint!).Port;

        var refused = Assert.Throws<InvalidOperationException>(() => ListenPorts.EnsureFree(IPAddress.Loopback, ("Readiness:SiloPort", port)));
        Assert.StartsWith($"Readiness:SiloPort = {port}: このポートは 127.0.0.1 で使用中です", refused.Message, StringComparison.Ordinal);
        Assert.Contains(" / the port is in use on 127.0.0.1", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Readiness__SiloPort and Readiness__GatewayPort", refused.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => ListenPorts.EnsureFree(IPAddress.Any, ("Readiness:GatewayPort", port)));
    }

    [Fact]
    public void A_free_port_and_one_whose_last_connection_is_in_TIME_WAIT_pass()
    {
        var listener = Listen(reuse: true);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(IPAddress.Loopback, port);
        var accepted = listener.Accept();
        accepted.Shutdown(SocketShutdown.Both); // the server side closes first, so its end of the connection waits in TIME_WAIT
        accepted.Close();
        Thread.Sleep(50);
        client.Close();
        listener.Close();
        Thread.Sleep(50);

        ListenPorts.EnsureFree(IPAddress.Loopback, ("Readiness:SiloPort", port), ("Readiness:GatewayPort", 0));
    }

    private static Socket Listen(bool reuse)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, reuse); // as Orleans' listeners do
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Listen();
        return socket;
    }
}
