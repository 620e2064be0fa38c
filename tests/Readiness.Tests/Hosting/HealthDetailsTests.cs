using System.Net;
using Readiness.Hosting;
using Xunit;

namespace Readiness.Tests.Hosting;

/// <summary>Who counts as a caller on this machine, to be told why a node is not ready (<see cref="HealthResponse.IsLocal"/>).</summary>
public sealed class HealthDetailsTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.10.0.3")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    public void Loopback_callers_are_local(string address) => Assert.True(HealthResponse.IsLocal(IPAddress.Parse(address)));

    [Fact]
    public void An_in_process_caller_without_an_address_is_local() => Assert.True(HealthResponse.IsLocal(null));

    [Theory]
    [InlineData("203.0.113.9")]
    [InlineData("10.0.0.5")]
    [InlineData("::ffff:10.0.0.5")]
    [InlineData("2001:db8::1")]
    [InlineData("0.0.0.0")]
    public void Every_other_address_is_not(string address) => Assert.False(HealthResponse.IsLocal(IPAddress.Parse(address)));

    [Theory]
    [InlineData(HealthDetails.Local, true)]
    [InlineData(HealthDetails.Everyone, true)]
    [InlineData((HealthDetails)5, false)]
    public void Only_the_named_settings_are_valid(HealthDetails details, bool valid) => Assert.Equal(valid, new HealthOptions { Details = details }.IsValid());
}
