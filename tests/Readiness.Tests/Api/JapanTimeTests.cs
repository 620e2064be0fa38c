using Readiness.Web.Api;
using Xunit;

namespace Readiness.Tests.Api;

/// <summary>
/// Instants as the API takes them (<see cref="JapanTime.TryParseInstant"/>): RFC 3339 with an offset, with or without a
/// fraction of a second, or a date alone (the end of that day in Japan); never a time without an offset. The breaker
/// found the docs' own example, <c>2027-03-31T23:59:59+09:00</c>, refused: exactly 25 characters.
/// </summary>
public sealed class JapanTimeTests
{
    [Theory]
    [InlineData("2027-03-31T23:59:59+09:00", "2027-03-31T14:59:59.0000000+00:00")]
    [InlineData("2027-03-31T23:59:59-00:00", "2027-03-31T23:59:59.0000000+00:00")]
    [InlineData("2027-03-31T10:00:00-12:00", "2027-03-31T22:00:00.0000000+00:00")]
    [InlineData("2027-03-31T23:59:59.5+14:00", "2027-03-31T09:59:59.5000000+00:00")]
    [InlineData("2027-03-31T23:59:59Z", "2027-03-31T23:59:59.0000000+00:00")]
    [InlineData("2027-03-31t10:00:00z", "2027-03-31T10:00:00.0000000+00:00")]
    [InlineData("2027-03-31", "2027-03-31T14:59:59.9990000+00:00")]
    [InlineData("2028-02-29", "2028-02-29T14:59:59.9990000+00:00")]
    public void An_instant_with_its_offset_or_a_date_alone_is_taken(string text, string utc)
    {
        Assert.True(JapanTime.TryParseInstant(text, out var instant), text);
        Assert.Equal(utc, instant.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("2027-03-31T23:59:59")]
    [InlineData("2027-03-31T23:59:59.000")]
    [InlineData("2027-02-29")]
    [InlineData("2027-03-31T24:00:00+09:00")]
    [InlineData("２０２７-03-31")]
    [InlineData("2027-03-31 23:59:59+09:00x")]
    [InlineData("")]
    public void A_time_without_an_offset_or_not_a_date_is_refused(string text) =>
        Assert.False(JapanTime.TryParseInstant(text, out _), text);
}
