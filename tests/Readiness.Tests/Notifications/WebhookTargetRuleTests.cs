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
    [InlineData("100.100.100.201")] // beside Alibaba's metadata address (the shared 100.64/10 range stays allowed)
    [InlineData("168.63.129.17")] // beside Azure's WireServer
    [InlineData("fd00:ec2::1")] // beside AWS's IPv6 endpoints (a unique local address, like LGWAN's)
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

    /// <summary>
    /// Every major cloud's metadata or host-service address (WebhookTargets.CloudMetadata), also as an IPv6 form that
    /// carries it, is refused as cloud metadata naming the cloud; Readiness:Webhooks:AllowedNetworks still lifts the
    /// rule. Before, Azure's WireServer, Alibaba's and Oracle's metadata addresses and GCP's IPv6 one were allowed.
    /// </summary>
    [Theory]
    [InlineData("168.63.129.16", "Azure")]
    [InlineData("::ffff:168.63.129.16", "Azure")]
    [InlineData("64:ff9b::a83f:8110", "Azure")] // NAT64 of 168.63.129.16
    [InlineData("2002:a83f:8110::1", "Azure")] // 6to4 of 168.63.129.16
    [InlineData("100.100.100.200", "Alibaba")]
    [InlineData("::ffff:100.100.100.200", "Alibaba")]
    [InlineData("64:ff9b::6464:64c8", "Alibaba")]
    [InlineData("192.0.0.192", "Oracle")]
    [InlineData("::ffff:192.0.0.192", "Oracle")]
    [InlineData("fd20:ce::254", "GCP")]
    [InlineData("fd00:ec2::253", "AWS")]
    [InlineData("169.254.169.254", "Azure")]
    public void Cloud_metadata_addresses_are_refused_naming_the_cloud_unless_listed(string address, string cloud)
    {
        var parsed = IPAddress.Parse(address);
        var refusal = Targets.Refusal(parsed);
        Assert.NotNull(refusal);
        Assert.Contains("cloud metadata", refusal.Value.En, StringComparison.Ordinal);
        Assert.Contains(cloud, refusal.Value.En, StringComparison.Ordinal);
        Assert.Contains("クラウドのメタデータ", refusal.Value.Ja, StringComparison.Ordinal);

        var listed = WebhookTargets.EmbeddedIPv4(parsed) ?? parsed;
        var lifted = new WebhookTargets(Options.Create(new WebhookOptions { AllowedNetworks = $"{listed}/{(listed.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128)}" }));
        Assert.Null(lifted.Refusal(parsed));
    }
}
