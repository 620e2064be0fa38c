using Readiness.Web.Components.Access;
using Xunit;

namespace Readiness.Tests.Web;

/// <summary>Which field of a URL-encoded form holds a NUL (the framework refuses the whole form without saying).</summary>
public sealed class FormFieldWithNulTests
{
    [Theory]
    [InlineData("__RequestVerificationToken=abc&email=root%40example.jp%00&password=x", "email")]
    [InlineData("displayName=%E6%8B%9B%00%E5%BE%85&token=t", "displayName")]
    [InlineData("a=1&na%00me=2", "name")]
    [InlineData("%00=1", "(name)")]
    [InlineData("a+b=%00", "a b")]
    [InlineData("email=root%40example.jp&password=x", null)]
    [InlineData("", null)]
    public void The_first_field_holding_a_NUL_is_named(string body, string? field) =>
        Assert.Equal(field, FormAnswers.FieldWithNul(body));
}
