using System.Net;
using System.Text.Json;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// What a refusal repeats of the request (a breaker's finding, round 47: an API version that does not exist was
/// answered back as sent): the OpenAPI document and its page for a version other than v1 say which version there is
/// without repeating the name asked for; a query parameter's name in a refusal is bounded (64 characters) in its
/// field and messages; nothing is reflected as HTML.
/// </summary>
public sealed class EchoedInputTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string BrowserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

    [Theory]
    [InlineData("/openapi/v99.json", "v99")]
    [InlineData("/openapi/%3Cscript%3Ealert(1)%3C%2Fscript%3E.json", "<script>")]
    [InlineData("/api/docs/v99", "v99")]
    [InlineData("/api/docs/%3C%2Fscript%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E", "<script>")]
    public async Task A_version_that_does_not_exist_is_404_naming_the_one_there_is_without_repeating_it(string address, string asked)
    {
        using var client = host.Client();
        using var response = await client.GetAsync(address);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var error = JsonDocument.Parse(text).RootElement.GetProperty("errors")[0];
        Assert.Equal("documentName", error.GetProperty("field").GetString());
        Assert.Contains("v1", error.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(asked, text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("alert", text, StringComparison.Ordinal);

        // A browser at the documentation page gets the dashboard's page, saying the same.
        if (address.StartsWith("/api/docs/", StringComparison.Ordinal))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, address);
            request.Headers.TryAddWithoutValidation("Accept", BrowserAccept);
            using var page = await client.SendAsync(request);
            var html = await page.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
            Assert.Contains("v1", html, StringComparison.Ordinal);
            Assert.DoesNotContain("alert(1)", html, StringComparison.Ordinal);
        }

        // The one version is still served.
        using var document = await client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
        using var docs = await client.GetAsync("/api/docs/v1");
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
    }

    /// <summary>
    /// A GET changes nothing anyway, so its refusal page does not say "nothing was changed" (a breaker's finding, round
    /// 48: /api/docs/v99 said it): the documentation page's 404, a page's repeated and non-UTF-8 query parameter, a CSV
    /// download's refusal, a URL too long. A refused post still says it (RepeatedFormFieldTests).
    /// </summary>
    [Theory]
    [InlineData("/api/docs/v99", 404)]
    [InlineData("/signin?returnUrl=%2F&returnUrl=%2Fa", 400)]
    [InlineData("/signin?returnUrl=%FF", 400)]
    [InlineData("/api/v1/prefectures/99/municipalities.csv", 401)] // signed out
    [InlineData("/?x=LONG", 414)]
    public async Task A_get_refusal_page_does_not_say_nothing_was_changed(string address, int status)
    {
        using var client = host.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, address.Replace("LONG", new string('x', 9000), StringComparison.Ordinal));
        request.Headers.TryAddWithoutValidation("Accept", BrowserAccept);
        using var page = await client.SendAsync(request);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal(status, (int)page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("Nothing was changed", html, StringComparison.Ordinal);
        Assert.DoesNotContain("何も変更していません", html, StringComparison.Ordinal);
    }

    /// <summary>Each query refusal (unknown, repeated, not UTF-8) of a parameter named with 3,000 characters: its field and messages hold at most 64 of them.</summary>
    [Theory]
    [InlineData("{0}=1", "unknown_parameter")]
    [InlineData("{0}=1&{0}=2", "repeated_parameter")]
    [InlineData("{0}%FF=1", "invalid_utf8")]
    public async Task A_refused_query_parameter_s_name_is_bounded_in_the_answer(string query, string code)
    {
        var name = new string('n', 3000);
        using var client = host.National();
        using var response = await client.GetAsync("/api/v1/nation?" + string.Format(System.Globalization.CultureInfo.InvariantCulture, query, name));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(text).RootElement.GetProperty("errors")[0];
        Assert.Equal(code, error.GetProperty("code").GetString());
        var field = error.GetProperty("field").GetString()!;
        Assert.True(field.Length <= 65, $"field of {field.Length} characters");
        Assert.DoesNotContain(new string('n', 65), text, StringComparison.Ordinal);
    }
}
