using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using Orleans.Runtime;
using Readiness.Hosting;

namespace Readiness.Tests.Hosting;

public sealed class SiloExitDetectorTests
{
    [Theory]
    [InlineData(SocketError.ConnectionRefused, true)]
    [InlineData(SocketError.Success, false)]
    [InlineData(SocketError.TimedOut, false)]
    [InlineData(SocketError.HostUnreachable, false)]
    [InlineData(SocketError.NetworkUnreachable, false)]
    [InlineData(SocketError.ConnectionReset, false)]
    public void Only_a_refused_connection_shows_that_the_process_has_exited(SocketError outcome, bool exited) =>
        Assert.Equal(exited, SiloExitDetector.ShowsExit(outcome));

    [Theory]
    [InlineData(0, false)]
    [InlineData(999, false)]
    [InlineData(1000, true)]
    [InlineData(3_600_000, true)]
    public void Only_a_connection_that_lived_a_second_is_a_sign_not_a_check_connection_closed_at_once(int milliseconds, bool sign) =>
        Assert.Equal(sign, SiloExitDetector.IsSign(TimeSpan.FromMilliseconds(milliseconds)));

    [Fact]
    public async Task A_port_nobody_listens_on_refuses_and_a_listening_port_accepts()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endpoint = (IPEndPoint)listener.LocalEndpoint;
        try
        {
            Assert.Equal(SocketError.Success, await SiloExitDetector.TryConnectAsync(endpoint, SiloExitDetector.CheckTimeout));
        }
        finally
        {
            listener.Stop();
        }

        // The same port once its listener closed, as after kill -9.
        Assert.Equal(SocketError.ConnectionRefused, await SiloExitDetector.TryConnectAsync(endpoint, SiloExitDetector.CheckTimeout));
    }

    [Fact]
    public void The_silos_checked_are_the_other_active_ones_not_this_one_an_older_generation_or_one_leaving()
    {
        var endpoint = new IPEndPoint(IPAddress.Loopback, 11111);
        var self = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11110), 2);
        var older = SiloAddress.New(endpoint, 1);
        var current = SiloAddress.New(endpoint, 2);
        var leaving = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11112), 3);
        var joining = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11113), 4);
        var snapshot = new ClusterMembershipSnapshot(
            ImmutableDictionary<SiloAddress, ClusterMember>.Empty
                .Add(self, new ClusterMember(self, SiloStatus.Active, "self"))
                .Add(older, new ClusterMember(older, SiloStatus.Dead, "old"))
                .Add(current, new ClusterMember(current, SiloStatus.Active, "current"))
                .Add(leaving, new ClusterMember(leaving, SiloStatus.ShuttingDown, "leaving"))
                .Add(joining, new ClusterMember(joining, SiloStatus.Joining, "joining")),
            new MembershipVersion(7));

        Assert.Equal([current], SiloExitDetector.ActivePeers(snapshot, self));
    }
}
