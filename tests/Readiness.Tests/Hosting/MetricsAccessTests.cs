using System.Net;
using Readiness.Hosting;
using Xunit;

namespace Readiness.Tests.Hosting;

/// <summary>The networks /metrics is served to (<see cref="MetricsOptions"/>): the default and an operator's own list.</summary>
public sealed class MetricsAccessTests
{
    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.1.2.3", true)]
    [InlineData("::1", true)]
    [InlineData("::ffff:10.0.0.5", true)] // IPv4 mapped to IPv6, as a dual-stack socket reports it
    [InlineData("10.255.255.255", true)]
    [InlineData("172.16.0.1", true)]
    [InlineData("172.31.255.254", true)]
    [InlineData("172.32.0.1", false)]
    [InlineData("192.168.1.1", true)]
    [InlineData("fd00::1", true)]
    [InlineData("203.0.113.9", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("2001:db8::1", false)]
    [InlineData("::ffff:203.0.113.9", false)]
    public void The_default_serves_this_machine_and_private_networks(string address, bool allowed)
    {
        var (networks, invalid) = new MetricsOptions().Parse();
        Assert.Null(invalid);
        Assert.Equal(allowed, MetricsAccess.Allows(networks, IPAddress.Parse(address)));
    }

    [Fact]
    public void An_operator_list_replaces_the_default_and_a_bad_entry_is_named()
    {
        var (networks, invalid) = new MetricsOptions { AllowedNetworks = " 10.1.0.0/16 , 2001:db8::/32 " }.Parse();
        Assert.Null(invalid);
        Assert.True(MetricsAccess.Allows(networks, IPAddress.Parse("10.1.2.3")));
        Assert.True(MetricsAccess.Allows(networks, IPAddress.Parse("2001:db8::1")));
        Assert.False(MetricsAccess.Allows(networks, IPAddress.Parse("127.0.0.1")));
        Assert.True(MetricsAccess.Allows(networks, null)); // an in-process server has no client address

        var everyone = new MetricsOptions { AllowedNetworks = "0.0.0.0/0,::/0" }.Parse().Networks;
        Assert.True(MetricsAccess.Allows(everyone, IPAddress.Parse("203.0.113.9")));
        Assert.True(MetricsAccess.Allows(everyone, IPAddress.Parse("2001:db8::1")));

        Assert.Equal("10.0.0.0/33", new MetricsOptions { AllowedNetworks = "127.0.0.0/8,10.0.0.0/33" }.Parse().Invalid);
        Assert.Equal("localhost", new MetricsOptions { AllowedNetworks = "localhost" }.Parse().Invalid);
    }
}
