using Readiness.Web.Api;

namespace Readiness.Tests.Web;

/// <summary>
/// The exports' Japan-time instant (CsvOutput.InstantJst, the <c>…_jst</c> columns): the UTC instant 9 hours ahead at
/// +09:00, milliseconds kept, across a day's end; and the one rule naming its column. Failed before: there was none.
/// </summary>
public sealed class InstantJstTests
{
    [Theory]
    [InlineData("2026-11-25T00:30:00.000Z", "2026-11-25T09:30:00.000+09:00")]
    [InlineData("2026-11-24T15:30:00.000Z", "2026-11-25T00:30:00.000+09:00")] // 00:30 JST is the day before in UTC
    [InlineData("2026-12-31T23:59:59.999Z", "2027-01-01T08:59:59.999+09:00")]
    [InlineData("2026-11-25T12:00:00.000+09:00", "2026-11-25T12:00:00.000+09:00")]
    [InlineData("2026-11-25T03:00:00.123-05:00", "2026-11-25T17:00:00.123+09:00")]
    public void Is_the_same_instant_at_plus_nine(string instant, string expected)
    {
        var at = DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture);
        var text = CsvOutput.InstantJst(at);
        Assert.Equal(expected, text);
        Assert.Equal(at, DateTimeOffset.Parse(text!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Is_empty_where_there_is_no_instant() => Assert.Null(CsvOutput.InstantJst(null));

    [Theory]
    [InlineData("at_utc", "at_jst")]
    [InlineData("reported_at_utc", "reported_at_jst")]
    [InlineData("last_reported_at_utc", "last_reported_at_jst")]
    public void Names_the_column_beside_its_utc_one(string utc, string jst) => Assert.Equal(jst, CsvOutput.JstColumn(utc));

    [Fact]
    public void Refuses_a_column_that_is_not_utc() => Assert.Throws<ArgumentException>(() => CsvOutput.JstColumn("as_of"));
}
