using System.Net;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// Addresses that match nothing, over real HTTP: a page address gets the dashboard's own 404 page (a document with a
/// language and a title, in Japanese first), an API address gets problem details naming the path, and no method or
/// address answers 5xx.
/// </summary>
public sealed class StatusPageTests(ApiHost host) : IClassFixture<ApiHost>
{
    [Theory]
    [InlineData("/no-such-page")]
    [InlineData("/prefectures/13/no-such-tab")]
    [InlineData("/municipalities")]
    [InlineData("/%E5%AD%98%E5%9C%A8%E3%81%97%E3%81%AA%E3%81%84")]
    public async Task An_unrouted_page_address_gets_the_404_page(string path)
    {
        using var client = host.Client();
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Matches("<html lang=\"(ja|en)\"", html);
        Assert.Contains("<title>ページが見つかりません", html, StringComparison.Ordinal);
        Assert.Contains("<h1>ページが見つかりません</h1>", html, StringComparison.Ordinal);
    }

    /// <summary>Every page that takes an id or a code answers one it does not know with 404 and the not-found page, not a 200 saying so.</summary>
    [Theory]
    [InlineData("/municipalities/999999")]
    [InlineData("/prefectures/99")]
    [InlineData("/planning/municipalities/999999")]
    [InlineData("/planning/prefectures/99")]
    [InlineData("/planning/vendors/no-such-vendor")]
    [InlineData("/imports/0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("/imports/not-an-id")]
    public async Task A_page_for_an_unknown_id_is_404(string path)
    {
        using var client = await host.SignedInPagesAsync(host.Token(Readiness.Role.National));
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var html = System.Net.WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Contains("ページが見つかりません", html, StringComparison.Ordinal);

        // It says what it did not find (the identifier from the address), not only "no page at this address".
        var identifier = path[(path.LastIndexOf('/') + 1)..];
        Assert.Contains("data-not-found-reason", html, StringComparison.Ordinal);
        Assert.Contains($"「{identifier[..Math.Min(20, identifier.Length)]}", html, StringComparison.Ordinal); // long ids are shortened
    }

    [Fact]
    public async Task A_head_request_to_an_unrouted_page_is_404_without_a_body()
    {
        using var client = host.Client();
        using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/no-such-page"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task An_unrouted_api_address_keeps_problem_details()
    {
        using var client = host.Client(host.Token(Role.National));
        using var response = await client.GetAsync("/api/v1/no-such-thing");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"path\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    public async Task Other_methods_on_an_unrouted_page_address_are_4xx(string method)
    {
        using var client = host.Client();
        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), "/no-such-page") { Content = new StringContent("x=1", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded") });
        Assert.InRange((int)response.StatusCode, 400, 499);
    }
}
