using System.Text;
using Readiness.Catalog;
using Readiness.Imports;
using Readiness.Web.Imports;
using Xunit;

namespace Readiness.Tests.Imports;

/// <summary>
/// A file's name never hides what its header says (a tester's wrongcol_令和8年5月_進捗状況.csv with 児童手当 renamed
/// answered wrong_sheet, where 令和8年5月_進捗状況.csv named the column), and the as-of day: the title's date, with a
/// warning in both languages when the name says another month (unknown_令和8年4月_進捗状況.csv titled 令和8年3月末時点
/// was taken as 2026-03-31 without a word).
/// </summary>
public sealed class OfficialFileNameTests
{
    static OfficialFileNameTests() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    public static TheoryData<string> Names =>
    [
        "令和8年5月_進捗状況.csv",
        "wrongcol_令和8年5月_進捗状況.csv",
        "コピー令和8年9月_進捗状況.csv",
        "令和8年5月_進捗状況 (1).csv",
        "令和8年5月_進捗状況_修正版.csv",
        "令和８年５月_進捗状況.csv",
        "progress.csv",
    ];

    [Theory]
    [MemberData(nameof(Names))]
    public void A_tally_lacking_a_column_is_refused_naming_the_row_and_column_whatever_its_name(string name)
    {
        var labels = ReadinessCatalog.Instance.BusinessSystems.Select(b => b.SoumuLabel == "児童手当" ? "児童手当金" : b.SoumuLabel);
        var error = Refusal(name, $"市区町村別・業務別 標準化の進捗状況\r\n都道府県,市区町村名,全体,{string.Join(",", labels)}\r\n東京都,千代田区,{Rates(0.5m)}\r\n");
        Assert.Equal("missing_header", error.Code);
        Assert.Contains("2行目の見出しに次の列がありません: 児童手当", error.MessageJa, StringComparison.Ordinal);
        Assert.Contains("児童手当", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void A_step_detail_lacking_a_step_is_refused_naming_the_row_and_step_whatever_its_name(string name)
    {
        var steps = Enumerable.Range(1, 40).Select(n => n == 40 ? "ステップ四十" : $"ステップ{n}");
        var error = Refusal(name, $"令和8年5月31日時点\r\n都道府県,市区町村,業務,{string.Join(",", steps)}\r\n東京都,千代田区,児童手当,{string.Join(",", Enumerable.Repeat("完了済み", 40))}\r\n");
        Assert.Equal("missing_header", error.Code);
        Assert.Contains("2行目の見出しに次の列がありません: ステップ40", error.MessageJa, StringComparison.Ordinal);
    }

    [Fact]
    public void The_title_date_is_the_as_of_day_and_a_name_saying_another_month_is_warned_in_both_languages()
    {
        var tally = Parse("unknown_令和8年4月_進捗状況.csv", $"令和8年3月末時点 市区町村別・業務別 標準化の進捗状況\r\n都道府県,市区町村名,全体,{Labels()}\r\n東京都,千代田区,{Rates(0.5m)}\r\n");
        Assert.Equal(new DateOnly(2026, 3, 31), tally.AsOf);
        var warning = Assert.Single(tally.Warnings);
        Assert.Equal("as_of_name_differs", warning.Code);
        Assert.Equal(1, warning.RowNumber);
        Assert.Contains("2026-03-31", warning.MessageJa, StringComparison.Ordinal);
        Assert.Contains("2026年4月", warning.MessageJa, StringComparison.Ordinal);
        Assert.Contains("2026-03-31", warning.MessageEn, StringComparison.Ordinal);
        Assert.Contains("2026-04", warning.MessageEn, StringComparison.Ordinal);

        var steps = Parse("令和8年4月_ステップ別.csv", $"令和8年3月31日時点\r\n都道府県,市区町村,業務,{string.Join(",", Enumerable.Range(1, 40).Select(n => $"ステップ{n}"))}\r\n");
        Assert.Equal(new DateOnly(2026, 3, 31), steps.AsOf);
        Assert.Equal("as_of_name_differs", Assert.Single(steps.Warnings).Code);

        // Name and title agree, or the name says no month: no warning; a name alone still gives the month.
        Assert.Empty(Parse("令和8年3月_進捗状況 (1).csv", $"令和8年3月末時点\r\n都道府県,市区町村名,全体,{Labels()}\r\n東京都,千代田区,{Rates(0.5m)}\r\n").Warnings);
        Assert.Empty(Parse("progress.csv", $"令和8年3月末時点\r\n都道府県,市区町村名,全体,{Labels()}\r\n東京都,千代田区,{Rates(0.5m)}\r\n").Warnings);
        var named = Parse("コピー令和8年4月_進捗状況.csv", $"市区町村別・業務別 標準化の進捗状況\r\n都道府県,市区町村名,全体,{Labels()}\r\n東京都,千代田区,{Rates(0.5m)}\r\n");
        Assert.Equal(new DateOnly(2026, 4, 30), named.AsOf);
        Assert.Empty(named.Warnings);
    }

    private static string Labels() => string.Join(",", ReadinessCatalog.Instance.BusinessSystems.Select(b => b.SoumuLabel));

    private static string Rates(decimal rate) =>
        string.Join(",", Enumerable.Repeat(rate.ToString(System.Globalization.CultureInfo.InvariantCulture), 21));

    private static SheetData Sheet(string name, string text)
    {
        var (sheet, _, error) = OfficialCsv.Read(name, Encoding.GetEncoding(932).GetBytes(text));
        Assert.Null(error);
        return sheet!;
    }

    private static OfficialDataset Parse(string name, string text) =>
        Assert.IsType<OfficialDataset>(OfficialKinds.DetectAndParse(Sheet(name, text))?.Dataset);

    private static ImportFormatException Refusal(string name, string text) =>
        Assert.Throws<ImportFormatException>(() => OfficialKinds.DetectAndParse(Sheet(name, text)));
}
