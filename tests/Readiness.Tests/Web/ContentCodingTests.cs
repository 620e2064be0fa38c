using Readiness.Web.Summaries;
using Xunit;

namespace Readiness.Tests.Web;

/// <summary>The coding a pre-compressed payload is sent in, read from Accept-Encoding with its q-values (RFC 9110 §12.5.3).</summary>
public sealed class ContentCodingTests
{
    [Theory]
    [InlineData("gzip, deflate, br", "br")]
    [InlineData("br", "br")]
    [InlineData("gzip", "gzip")]
    [InlineData("GZIP", "gzip")]
    [InlineData("gzip;q=0", null)]
    [InlineData("br;q=0, gzip;q=0", null)]
    [InlineData("br;q=0, gzip", "gzip")]
    [InlineData("br;q=0.5, gzip;q=0.8", "gzip")]
    [InlineData("br;q=0.8, gzip;q=0.8", "br")]
    [InlineData("*", "br")]
    [InlineData("*;q=0", null)]
    [InlineData("*, br;q=0", "gzip")]
    [InlineData("identity", null)]
    [InlineData("", null)]
    [InlineData("deflate", null)]
    [InlineData("brotli, gzipx", null)] // names that only contain a coding's name
    public void The_coding_is_the_acceptable_one_with_the_highest_q(string header, string? expected) =>
        Assert.Equal(expected, CompressedPayload.Encoding(header));
}
