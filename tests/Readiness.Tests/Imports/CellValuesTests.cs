using Readiness.Imports;

namespace Readiness.Tests.Imports;

/// <summary>Cell values as people type them: full-width digits, era dates, slashes, Excel serials, trailing spaces; dates inside titles.</summary>
public sealed class CellValuesTests
{
    // The one date reader (CellValues.Dates.cs): the cases of the reporting template and of the official releases'
    // former OfficialDates, merged.
    [Theory]
    [InlineData("令和8年3月31日", 2026, 3, 31)]
    [InlineData("令和８年３月３１日", 2026, 3, 31)]
    [InlineData("令和 8年 3月 31日", 2026, 3, 31)]
    [InlineData("R8.3.31", 2026, 3, 31)]
    [InlineData("r8/3/31", 2026, 3, 31)]
    [InlineData("Ｒ８．３．３１", 2026, 3, 31)]
    [InlineData("令和元年5月1日", 2019, 5, 1)]
    [InlineData("令和8年1月31日時点", 2026, 1, 31)]
    [InlineData("R8.1.31現在", 2026, 1, 31)]
    [InlineData("平成31年4月30日", 2019, 4, 30)]
    [InlineData("H31.4.30", 2019, 4, 30)]
    [InlineData("S64.1.7", 1989, 1, 7)]
    [InlineData("昭和64年1月7日", 1989, 1, 7)]
    [InlineData("2026/3/31", 2026, 3, 31)]
    [InlineData("２０２６／３／３１", 2026, 3, 31)]
    [InlineData("２０２６/３/３１ ", 2026, 3, 31)]
    [InlineData("2026-03-31", 2026, 3, 31)]
    [InlineData("2026.3.31", 2026, 3, 31)]
    [InlineData("2026年3月31日", 2026, 3, 31)]
    [InlineData(" 2026/3/31　", 2026, 3, 31)]
    [InlineData("46112", 2026, 3, 31)]
    public void Dates_as_typed_are_read(string text, int year, int month, int day)
    {
        var (ok, value) = CellValues.Date(text);
        Assert.True(ok, text);
        Assert.Equal(new DateOnly(year, month, day), value);
        Assert.Equal(new DateOnly(year, month, day), CellValues.ParseDate(text, monthMeansLastDay: true));
    }

    [Theory]
    [InlineData("来年")]
    [InlineData("三月")]
    [InlineData("12")]
    [InlineData("2026/2/30")]
    [InlineData("令和8年2月30日")]
    [InlineData("令和0年1月1日")]
    [InlineData("令和1年4月30日")] // before the era began
    [InlineData("令和元年4月")] // a month before the era began
    [InlineData("2026/13/1")]
    [InlineData("3/31")]
    [InlineData("0999/1/1")]
    public void Not_dates_are_refused(string text)
    {
        Assert.False(CellValues.Date(text).Ok, text);
        Assert.Null(CellValues.ParseDate(text, monthMeansLastDay: true));
    }

    [Theory]
    [InlineData("2026年2月", 2026, 2, 28)]
    [InlineData("令和8年2月末", 2026, 2, 28)]
    [InlineData("R8.3", 2026, 3, 31)]
    [InlineData("2028年2月", 2028, 2, 29)]
    public void A_month_alone_is_its_last_day_only_where_the_caller_says_so(string text, int year, int month, int day)
    {
        Assert.Equal(new DateOnly(year, month, day), CellValues.ParseDate(text, monthMeansLastDay: true));
        Assert.Null(CellValues.ParseDate(text));
        Assert.False(CellValues.Date(text).Ok); // a go-live date needs its day
    }

    [Fact]
    public void Excel_serials_follow_the_1900_date_system()
    {
        Assert.Equal(new DateOnly(2026, 3, 31), CellValues.Date(46112d).Value);
        Assert.Equal(new DateOnly(2026, 3, 31), CellValues.ParseDate(46112d));
        Assert.Equal(new DateOnly(2026, 3, 31), CellValues.ParseDate(46112m));
        Assert.Equal(new DateOnly(2026, 3, 31), CellValues.ParseDate(46112));
        Assert.Equal(new DateOnly(1900, 1, 1), CellValues.FromSerial(1));
        Assert.Equal(new DateOnly(1900, 2, 28), CellValues.FromSerial(59));
        Assert.Equal(new DateOnly(1900, 3, 1), CellValues.FromSerial(61)); // after Excel's phantom 1900-02-29
        Assert.Null(CellValues.FromSerial(46112.5));
        Assert.Null(CellValues.FromSerial(0));
        Assert.Null(CellValues.FromSerial(double.NaN));
        Assert.Null(CellValues.FromSerial(2958466));
        foreach (var d in new[] { new DateOnly(1900, 1, 1), new DateOnly(1900, 2, 28), new DateOnly(1900, 3, 1), new DateOnly(2026, 3, 31), new DateOnly(2040, 12, 31) })
        {
            Assert.Equal(d, CellValues.FromSerial(CellValues.ToSerial(d)));
        }

        Assert.Equal(46112d, CellValues.ToSerial(new DateOnly(2026, 3, 31)));
        Assert.Equal(new DateOnly(2026, 3, 31), CellValues.Date(new DateTime(2026, 3, 31)).Value);
        Assert.Equal(new DateOnly(2026, 3, 31), CellValues.ParseDate(new DateTime(2026, 3, 31, 0, 0, 0, DateTimeKind.Unspecified)));
        Assert.Equal(new DateOnly(2026, 3, 31), CellValues.ParseDate(new DateTimeOffset(2026, 3, 31, 9, 0, 0, TimeSpan.FromHours(9))));
        Assert.Equal((true, (DateOnly?)null), CellValues.Date("  "));
        Assert.Equal((true, (DateOnly?)null), CellValues.Date(null));
        Assert.Null(CellValues.ParseDate(string.Empty));
        Assert.False(CellValues.Date(true).Ok);
    }

    [Theory]
    [InlineData("特定移行支援システムの該当見込み一覧（令和7年12月末時点）", "2025-12-31")]
    [InlineData("ステップ別進捗（令和８年１月３１日時点）", "2026-01-31")]
    [InlineData("進捗 R8.1.31現在", "2026-01-31")]
    [InlineData("令和8年2月_ステップ別", "2026-02-28")]
    [InlineData("集計（2026年3月31日現在）", "2026-03-31")]
    [InlineData("令和1年4月30日 と 令和8年1月31日", "2026-01-31")] // the first date that is one
    public void A_date_inside_a_title(string title, string expected) =>
        Assert.Equal(DateOnly.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), CellValues.FindDateInText(title));

    [Fact]
    public void A_title_without_a_date_has_none()
    {
        Assert.Null(CellValues.FindDateInText("ステップ別進捗"));
        Assert.Null(CellValues.FindDateInText(null));
    }

    [Theory]
    [InlineData("１２", 12L)]
    [InlineData("12 ", 12L)]
    [InlineData("\"12\"", 12L)]
    [InlineData("W/\"7\"", 7L)]
    [InlineData("1,234", 1234L)]
    public void Whole_numbers_as_typed(string text, long expected) => Assert.Equal(expected, CellValues.WholeNumber(text));

    [Fact]
    public void Whole_numbers_refuse_fractions_and_words()
    {
        Assert.Equal(12L, CellValues.WholeNumber(12d));
        Assert.Null(CellValues.WholeNumber(12.5d));
        Assert.Null(CellValues.WholeNumber("十二"));
        Assert.Null(CellValues.WholeNumber(null));
    }

    [Fact]
    public void Codes_keep_their_leading_zero()
    {
        Assert.Equal("131016", CellValues.Code("１３１０１６"));
        Assert.Equal("131016", CellValues.Code(131016d));
        Assert.Equal("011002", CellValues.Code(11002d));
        Assert.Equal("131016", CellValues.Code("131016 "));
        Assert.Null(CellValues.Code("13101"));
        Assert.Null(CellValues.Code("13101X"));
    }

    [Fact]
    public void Text_is_normalised_and_trimmed()
    {
        Assert.Equal("ABC123", CellValues.Text("ＡＢＣ１２３　"));
        Assert.Equal("ニセコ", CellValues.Text(" ﾆｾｺ "));
        Assert.Null(CellValues.Text("　 "));
        Assert.Equal("12.5", CellValues.Text(12.5d));
    }

    [Theory]
    [InlineData("はい", true)]
    [InlineData("いいえ", false)]
    [InlineData("○", true)]
    [InlineData("●", true)]
    [InlineData("×", false)]
    [InlineData("TRUE", true)]
    [InlineData("ｆａｌｓｅ", false)]
    [InlineData(" はい ", true)]
    public void Flags_as_typed(string text, bool expected) => Assert.Equal((true, expected), CellValues.Flag(text));

    [Fact]
    public void Flags_refuse_other_words_and_read_blank_as_no()
    {
        Assert.False(CellValues.Flag("たぶん").Ok);
        Assert.False(CellValues.Flag(2d).Ok);
        Assert.Equal((true, false), CellValues.Flag(null));
        Assert.Equal((true, true), CellValues.Flag(true));
    }
}
