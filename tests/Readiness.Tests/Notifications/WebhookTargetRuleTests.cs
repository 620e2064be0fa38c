using System.Net;
using Microsoft.Extensions.Options;
using Readiness.Web.Notifications;
using Xunit;

namespace Readiness.Tests.Notifications;

/// <summary>
/// Which addresses a webhook may be posted to (<see cref="WebhookTargets.Refusal"/>): an IPv6 address that carries a
/// refused IPv4 one (IPv4-mapped, -compatible, -translated, NAT64, 6to4) is refused as that address; one that carries a
/// public or private (LGWAN) address is not; IPv6's own :: and ::1 are not read as 0.0.0.0 and 0.0.0.1.
/// </summary>
public sealed class WebhookTargetRuleTests
{
    private static readonly WebhookTargets Targets = new(Options.Create(new WebhookOptions()));

    [Theory]
    [InlineData("::ffff:127.0.0.1", "127.0.0.1")]
    [InlineData("::127.0.0.1", "127.0.0.1")]
    [InlineData("::ffff:0:127.0.0.1", "127.0.0.1")]
    [InlineData("64:ff9b::a9fe:a9fe", "169.254.169.254")]
    [InlineData("2002:7f00:1::", "127.0.0.1")]
    [InlineData("2002:a9fe:a9fe:1::5", "169.254.169.254")]
    public void An_IPv6_address_carrying_a_refused_IPv4_one_is_refused_as_it(string v6, string v4)
    {
        Assert.Equal(IPAddress.Parse(v4), WebhookTargets.EmbeddedIPv4(IPAddress.Parse(v6)));
        Assert.NotNull(Targets.Refusal(IPAddress.Parse(v6)));
    }

    [Theory]
    [InlineData("64:ff9b::808:808")] // NAT64 of 8.8.8.8
    [InlineData("2002:0a14:1e28::1")] // 6to4 of 10.20.30.40 (a private, LGWAN-like address: allowed)
    [InlineData("2001:db8::7f00:1")] // ends like 127.0.0.1, carries nothing
    [InlineData("10.20.30.40")]
    [InlineData("fc00::1")]
    public void Public_and_private_addresses_are_allowed(string address) =>
        Assert.Null(Targets.Refusal(IPAddress.Parse(address)));

    [Theory]
    [InlineData("::")]
    [InlineData("::1")]
    public void IPv6s_own_unspecified_and_loopback_are_refused_as_themselves(string address)
    {
        Assert.Null(WebhookTargets.EmbeddedIPv4(IPAddress.Parse(address)));
        Assert.NotNull(Targets.Refusal(IPAddress.Parse(address)));
    }
}
