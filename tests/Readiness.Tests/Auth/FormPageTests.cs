using Microsoft.AspNetCore.Routing;
using Readiness.Web.Auth;

namespace Readiness.Tests.Auth;

/// <summary>The page a form post declares (<see cref="FormPageAttribute"/>): its route values escaped, never another site.</summary>
public sealed class FormPageTests
{
    private static readonly FormPageAttribute SystemForm = new("/municipalities/{code}#edit-system-{businessId}");

    [Fact]
    public void The_page_takes_the_post_s_route_values() =>
        Assert.Equal("/municipalities/131024#edit-system-koseki", SystemForm.For(new RouteValueDictionary { ["code"] = "131024", ["businessId"] = "koseki" }));

    [Theory]
    [InlineData("//evil.example", "/municipalities/%2F%2Fevil.example#edit-system-x")]
    [InlineData("x#y?z", "/municipalities/x%23y%3Fz#edit-system-x")]
    [InlineData("戸籍", "/municipalities/%E6%88%B8%E7%B1%8D#edit-system-x")]
    public void A_route_value_is_escaped_so_the_page_stays_on_this_site(string code, string page)
    {
        var filled = SystemForm.For(new RouteValueDictionary { ["code"] = code, ["businessId"] = "x" });
        Assert.Equal(page, filled);
        Assert.True(LocalRedirectTarget.TryParse(filled, out _));
    }

    [Fact]
    public void A_template_naming_a_value_the_route_lacks_gives_no_page() =>
        Assert.Null(SystemForm.For(new RouteValueDictionary { ["code"] = "131024" }));
}
