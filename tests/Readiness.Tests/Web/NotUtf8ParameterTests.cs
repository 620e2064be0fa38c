using System.Text;
using Readiness.Web.Api;

namespace Readiness.Tests.Web;

/// <summary>
/// A query or URL-encoded form whose name or value, percent-decoded, is not UTF-8 (ASP.NET Core reads such bytes as
/// U+FFFD in silence): the first such parameter, named as sent.
/// </summary>
public sealed class NotUtf8ParameterTests
{
    [Theory]
    [InlineData("?q=%FF", "q")]
    [InlineData("?kind=city&q=a%ED%A0%80b", "q")]      // an encoded surrogate (CESU-8)
    [InlineData("?q=%E5%A4", "q")]                      // a character cut short
    [InlineData("?%FFq=1&q=2", "%FFq")]
    [InlineData("?a=%c3%a9&b=%C0%AF", "b")]            // an overlong '/'
    public void The_first_parameter_that_is_not_utf8_is_named_as_sent(string query, string name) =>
        Assert.Equal(name, RepeatedParameters.FirstNotUtf8(query));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("?q=%E5%A4%A7&kind=city")]
    [InlineData("?q=%F0%9F%98%80")]
    [InlineData("?q=100%&r=%zz&s=%")]                   // a % not followed by two hex digits stays as sent
    [InlineData("?q=a+b&&=&x")]
    public void Utf8_and_plain_queries_pass(string? query) => Assert.Null(RepeatedParameters.FirstNotUtf8(query));

    [Fact]
    public void A_form_body_with_a_raw_byte_that_is_not_utf8_names_its_field()
    {
        byte[] body = [.. "email=a%40b.jp&displayName="u8, 0xFF, .. "&x=1"u8];
        Assert.Equal("displayName", RepeatedParameters.FirstNotUtf8(body));
        Assert.Null(RepeatedParameters.FirstNotUtf8(Encoding.UTF8.GetBytes("displayName=招待&x=%E8%8A%B1")));
    }
}
