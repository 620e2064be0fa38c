using Microsoft.Extensions.Primitives;
using Readiness.Web.Api;

namespace Readiness.Tests.Api;

/// <summary>
/// If-Range as <see cref="ConditionalHeaders.IsValidator"/> reads it (RFC 9110 §13.1.5): one strong entity tag or an
/// HTTP-date can match; anything else (a weak tag, a list, a malformed tag or date) is a condition that does not hold,
/// so the whole representation is sent. Written with the fix (the class is new); the static files' behaviour it
/// replaces is covered by ConditionalKindsTests, which failed before.
/// </summary>
public sealed class ConditionalHeadersTests
{
    [Theory]
    [InlineData("\"1dd85e1f41292cb\"")]
    [InlineData("\"12-gzip\"")]
    [InlineData("Sun, 06 Nov 1994 08:49:37 GMT")]
    public void A_strong_tag_or_a_date_can_match(string value) => Assert.True(ConditionalHeaders.IsValidator(new StringValues(value)));

    [Theory]
    [InlineData("W/\"1\"")]            // weak: never a strong match
    [InlineData("w/\"1\"")]
    [InlineData("\"a b\"")]            // a space inside the quotes
    [InlineData("\"1\u001b\"")]
    [InlineData("\"1\", \"2\"")]       // a list: If-Range takes one validator
    [InlineData("*")]
    [InlineData("yesterday")]
    [InlineData("1dd85e1f41292cb")]   // unquoted
    [InlineData("")]
    public void Anything_else_never_matches(string value) => Assert.False(ConditionalHeaders.IsValidator(new StringValues(value)));

    [Fact]
    public void Two_field_lines_never_match() => Assert.False(ConditionalHeaders.IsValidator(new StringValues(["\"1\"", "\"1\""])));

    /// <summary>TryParseAsSent keeps a coded tag as sent; TryParse reads it as the tag it is made from.</summary>
    [Fact]
    public void A_coded_tag_is_kept_as_sent_or_read_as_its_uncoded_tag()
    {
        Assert.True(Preconditions.TryParseAsSent(new StringValues("\"12-gzip\", W/\"ab-br\""), out var sent));
        Assert.Equal(["\"12-gzip\"", "W/\"ab-br\""], sent!.Select(t => t.ToString()));
        Assert.True(Preconditions.TryParse(new StringValues("\"12-gzip\", W/\"ab-br\""), out var read));
        Assert.Equal(["\"12\"", "W/\"ab\""], read!.Select(t => t.ToString()));
    }
}
