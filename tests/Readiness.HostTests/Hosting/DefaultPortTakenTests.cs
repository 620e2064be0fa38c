using System.Net;
using System.Net.Sockets;
using Readiness.Testing;
using Xunit;

namespace Readiness.HostTests.Hosting;

/// <summary>
/// The test hosts start while the product's default address (http://localhost:5000) is taken, as it is when a
/// developer (or a breaker) runs the product beside the tests: they listen on a port of their own, so the start-up
/// probe of the default address must not refuse them. It did, and every host test failed with "port 5000 in use".
/// </summary>
public sealed class DefaultPortTakenTests
{
    [Fact]
    public async Task A_test_host_starts_while_the_default_port_is_taken()
    {
        using var taken = TakeDefaultPort();
        using var folder = new TempFolder();
        await using var host = new ReadinessWebHost(folder.Path);
        using var http = host.CreateHttpClient();
        Assert.NotEqual(5000, host.BaseAddress.Port);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/health/live", UriKind.Relative))).StatusCode);
    }

    /// <summary>127.0.0.1:5000 held by this test, or null when another program already holds it (the same condition).</summary>
    private static TcpListener? TakeDefaultPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 5000);
        try
        {
            listener.Start();
            return listener;
        }
        catch (SocketException)
        {
            using var probe = new TcpClient();
            probe.Connect(IPAddress.Loopback, 5000); // someone listens there: the condition holds; else this fails the test
            return null;
        }
    }
}
