using System.Reflection;
using Microsoft.AspNetCore.Components;
using Readiness.Web.Components;
using Xunit;

namespace Readiness.Tests.Web;

/// <summary>
/// Every query value a page or component takes is text: Blazor answers a value its [SupplyParameterFromQuery] cannot
/// convert (<c>?saved=abc</c> for a <c>long?</c>) with a 500, so typed values are read through <see cref="QueryValues"/>.
/// </summary>
public sealed class QueryParameterTypeTests
{
    [Fact]
    public void Pages_take_query_values_as_text()
    {
        var parameters = typeof(QueryValues).Assembly.GetTypes()
            .SelectMany(t => t.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).Select(p => (Type: t, Property: p)))
            .Where(x => x.Property.GetCustomAttribute<SupplyParameterFromQueryAttribute>() is not null)
            .ToList();
        Assert.True(parameters.Count >= 10, $"only {parameters.Count} query parameters found");
        var typed = parameters.Where(x => x.Property.PropertyType != typeof(string) && x.Property.PropertyType != typeof(string[]))
            .Select(x => $"{x.Type.Name}.{x.Property.Name}: {x.Property.PropertyType.Name}")
            .ToList();
        Assert.True(typed.Count == 0, "typed query parameters (read them as text): " + string.Join(", ", typed));
    }

    [Theory]
    [InlineData("12", 12L)]
    [InlineData("0", 0L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    [InlineData("abc", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    [InlineData("-1", null)]
    [InlineData(" 12", null)]
    [InlineData("１２", null)]
    [InlineData("9223372036854775808", null)]
    public void A_version_is_ascii_digits_within_long(string? text, long? expected) => Assert.Equal(expected, QueryValues.Version(text));
}
