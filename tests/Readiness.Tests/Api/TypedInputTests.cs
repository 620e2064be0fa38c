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
}
