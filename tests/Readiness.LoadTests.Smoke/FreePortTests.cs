using System.Net;
using System.Net.Sockets;
using Readiness.LoadTests;
using Xunit;

namespace Readiness.LoadTests.Smoke;

/// <summary>
/// The ports a load run hands its nodes (web, two silos with cluster and gateway ports, PostgreSQL): never the same
/// one twice in a run, never one that is taken, never from the kernel's ephemeral range where an outgoing connection
/// can take it before the node binds it. A cluster run once failed with silo2 on silo1's port.
/// </summary>
public sealed class FreePortTests
{
    [Fact]
    public void A_run_never_hands_out_the_same_port_twice_nor_one_from_the_ephemeral_range()
    {
        var ports = Enumerable.Range(0, 500).Select(_ => SystemUnderTest.FreePort()).ToList();
        Assert.Equal(ports.Count, ports.Distinct().Count());
        Assert.All(ports, p => Assert.InRange(p, 1024, 32767));
    }

    [Fact]
    public void A_port_in_use_is_skipped()
    {
        // Hold the next few candidates, whichever they are: the picker must step over every one of them.
        var held = new List<TcpListener>();
        try
        {
            var first = SystemUnderTest.FreePort();
            for (var p = first + 1; p <= first + 5 && p < 32000; p++)
            {
                var listener = new TcpListener(IPAddress.Any, p);
                try
                {
                    listener.Start();
                    held.Add(listener);
                }
                catch (SocketException)
                {
                    // already taken by someone else: just as good
                }
            }

            var next = SystemUnderTest.FreePort();
            Assert.DoesNotContain(next, held.Select(l => ((IPEndPoint)l.LocalEndpoint).Port));
        }
        finally
        {
            held.ForEach(l => l.Stop());
        }
    }
}
