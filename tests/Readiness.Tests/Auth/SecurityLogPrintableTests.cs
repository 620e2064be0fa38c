using Readiness.Web.Auth;

namespace Readiness.Tests.Auth;

/// <summary>What a refused request brought is written to the security log so that it cannot forge or hide a line.</summary>
public sealed class SecurityLogPrintableTests
{
    [Theory]
    [InlineData("tanaka", "tanaka")]
    [InlineData("田中 太郎", "田中 太郎")]
    [InlineData("𠮷野家", "𠮷野家")] // a surrogate pair is one character, kept
    [InlineData("tanaka\nRefused nothing (subject admin)", "tanaka\\u000ARefused nothing (subject admin)")]
    [InlineData("a\r\nb", "a\\u000D\\u000Ab")]
    [InlineData("nul\0", "nul\\u0000")]
    [InlineData("admin\u202Enimda", "admin\\u202Enimda")]
    [InlineData("\u3164", "\\u3164")]
    [InlineData("C:\\u000A", "C:\\\\u000A")] // a backslash is doubled, so typed text cannot pass for an escape
    public void Control_invisible_and_reordering_characters_are_escaped(string value, string logged) =>
        Assert.Equal(logged, SecurityLog.Printable(value));

    [Fact]
    public void A_long_value_is_cut_with_an_ellipsis()
    {
        var logged = SecurityLog.Printable(new string('a', 4000));
        Assert.Equal(501, logged!.Length);
        Assert.EndsWith("…", logged, StringComparison.Ordinal);
        Assert.Equal(new string('a', 500), SecurityLog.Printable(new string('a', 500)));
        Assert.Null(SecurityLog.Printable(null));
        Assert.Equal("lone\\uD800", SecurityLog.Printable("lone\uD800")); // half of a pair (not as theory data: it does not survive serialization)
    }
}
