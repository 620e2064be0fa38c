using Microsoft.Extensions.Primitives;
using Readiness.Web.Api;
using Xunit;

namespace Readiness.Tests.Api;

/// <summary>The Prefer header's return preference (RFC 7240 §2, §4.2) as the write endpoints read it.</summary>
public sealed class PreferencesTests
{
    [Theory]
    [InlineData("return=minimal", "minimal")]
    [InlineData("RETURN=Minimal", "minimal")]
    [InlineData("return = minimal", "minimal")]
    [InlineData("return=\"minimal\"", "minimal")]
    [InlineData("return=representation", "representation")]
    [InlineData("respond-async, return=minimal; foo=bar", "minimal")]
    [InlineData("return=representation, return=minimal", "representation")]  // the first counts
    [InlineData("wait=10", null)]
    [InlineData("return=bogus", null)]
    [InlineData("return", null)]
    [InlineData("", null)]
    [InlineData(",,;=", null)]
    [InlineData("returnx=minimal", null)]
    public void Return_reads_the_first_known_return_preference(string header, string? expected) =>
        Assert.Equal(expected, Preferences.Return(new StringValues(header)));

    [Fact]
    public void Return_reads_across_several_header_fields() =>
        Assert.Equal("minimal", Preferences.Return(new StringValues(["wait=5", "return=minimal"])));

    [Fact]
    public void No_header_is_no_preference() => Assert.Null(Preferences.Return(StringValues.Empty));
}
