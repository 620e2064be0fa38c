using Readiness.Web.Components;
using Xunit;

namespace Readiness.Tests.Api;

/// <summary>Form input typed with a Japanese input method on reads as the ASCII the rules expect.</summary>
public sealed class TypedInputTests
{
    [Theory]
    [InlineData("１３１０１６", "131016")]
    [InlineData("　ａｄｍｉｎ＠ｄｉｇｉｔａｌ．ｇｏ．ｊｐ ", "admin@digital.go.jp")]
    [InlineData("   ", null)]
    [InlineData(null, null)]
    public void Text_is_nfkc_and_trimmed(string? typed, string? expected) => Assert.Equal(expected, TypedInput.Text(typed));

    [Theory]
    [InlineData("－３", "-3")]
    [InlineData("\u22123", "-3")]
    [InlineData("０．０５", "0.05")]
    public void Numbers_take_the_minus_signs_an_input_method_gives(string typed, string expected) => Assert.Equal(expected, TypedInput.Number(typed));

    [Theory]
    [InlineData("１２３　４５６", false, "123456")]
    [InlineData("123 456", false, "123456")]
    [InlineData("ＡＢＣＤＥ－ＦＧＨＩＪ", true, "ABCDE-FGHIJ")]
    [InlineData("ABCDE-FGHIJ", false, "ABCDEFGHIJ")]
    public void Codes_lose_whitespace_of_any_width(string typed, bool keepDash, string expected) => Assert.Equal(expected, TypedInput.Code(typed, keepDash));

    [Theory]
    [InlineData("CPTVQ-XG5FN")]
    [InlineData("cptvq-xg5fn")]
    [InlineData("CPTVQXG5FN")]
    [InlineData("cptvqxg5fn")]
    [InlineData(" CPTVQ XG5FN ")]
    [InlineData("ｃｐｔｖｑ　ｘｇ５ｆｎ")]
    [InlineData("ＣＰＴＶＱ－ＸＧ５ＦＮ")]
    [InlineData("CPTVQーXG5FN")]
    [InlineData("CPTVQ\u2212XG5FN")]
    public void Recovery_codes_are_read_in_any_case_width_and_with_or_without_the_dash(string typed) =>
        Assert.Equal("CPTVQ-XG5FN", TypedInput.RecoveryCode(typed));

    [Theory]
    [InlineData("CPTVQ-XG5F", "CPTVQXG5F")]
    [InlineData("", "")]
    [InlineData(null, "")]
    public void A_recovery_code_of_another_length_is_returned_as_read_and_matches_nothing(string? typed, string expected) =>
        Assert.Equal(expected, TypedInput.RecoveryCode(typed));

    [Theory]
    [InlineData("DUP@example.jp", "dup@example.jp")]
    [InlineData("ｄｕｐ＠ｅｘａｍｐｌｅ．ｊｐ", "dup@example.jp")]
    [InlineData(" Dup@Example.JP ", "dup@example.jp")]
    [InlineData("not an address", null)]
    public void E_mail_addresses_are_compared_in_one_form(string typed, string? expected) =>
        Assert.Equal(expected, Readiness.Web.Identity.AccountService.NormalizeEmail(typed));

    [Fact]
    public void An_unpaired_surrogate_is_no_address_and_no_code_rather_than_an_exception()
    {
        // Built at run time: an attribute's string cannot hold an unpaired surrogate (it becomes U+FFFD).
        var lone = new string('\ud800', 1);
        Assert.Null(Readiness.Web.Identity.AccountService.NormalizeEmail("dup" + lone + "@example.jp"));
        Assert.Equal(lone, TypedInput.RecoveryCode(lone));
    }
}
