using System.Net;
using System.Text.RegularExpressions;
using Readiness.Web.Auth;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// Every endpoint that redirects to a target the client chose, over real HTTP, with the open-redirect variants: the
/// Location a browser gets always stays on this site (unsafe targets become "/"), and nothing answers 5xx.
/// </summary>
public sealed partial class RedirectTargetTests(ApiHost host) : IClassFixture<ApiHost>
{
    /// <summary>Targets as they arrive after the query's own percent-decoding (the test encodes them for the URL).</summary>
    public static TheoryData<string> Unsafe() => new()
    {
        "/\t/evil.example/phish",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        " //evil.example",
        "https://evil.example/phish",
        "javascript:alert(1)",
        "evil.example",
        "/%2F%2Fevil.example",
        "/%5Cevil.example",
        "/%09/evil.example",
        "/%252F%252Fevil.example",
        "/x\u202E",
        "/x\u2028",
        "/x\u0085",
        "/" + new string('a', LocalRedirectTarget.MaxLength + 1),
    };

    private HttpClient NoRedirects(string? token = null)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = host.BaseAddress };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    /// <summary>The example, the whole way: the sign-in page keeps the target in its form, the form posts it back.</summary>
    [Fact]
    public async Task Sign_in_with_a_tab_in_the_return_url_lands_on_this_site()
    {
        using var client = NoRedirects();
        var page = await client.GetStringAsync("/signin?returnUrl=%2F%09%2Fevil.example%2Fphish");
        var hidden = WebUtility.HtmlDecode(HiddenReturnUrl().Match(page).Groups[1].Value);
        Assert.Equal("/", hidden);

        using var response = await PostSignIn(client, host.Token(Role.National), "/\t/evil.example/phish");
        AssertRedirectsTo(response, "/");
    }

    [Theory]
    [MemberData(nameof(Unsafe))]
    public async Task Sign_in_form_redirects_home_for_unsafe_targets(string target)
    {
        using var client = NoRedirects();
        using var response = await PostSignIn(client, host.Token(Role.National), target);
        AssertRedirectsTo(response, "/");
    }

    [Theory]
    [MemberData(nameof(Unsafe))]
    public async Task Sign_in_form_with_a_bad_token_returns_to_the_sign_in_page_with_a_safe_target(string target)
    {
        using var client = NoRedirects();
        using var response = await PostSignIn(client, "not-a-token", target);
        AssertRedirectsTo(response, "/signin?error=invalid_token&returnUrl=%2F");
    }

    [Theory]
    [MemberData(nameof(Unsafe))]
    public async Task Local_sign_in_address_passes_only_safe_targets_on(string target)
    {
        using var client = NoRedirects();
        using var response = await client.GetAsync("/auth/local/signin?returnUrl=" + Uri.EscapeDataString(target));
        AssertRedirectsTo(response, "/signin?returnUrl=%2F");
    }

    [Theory]
    [MemberData(nameof(Unsafe))]
    public async Task Sign_in_page_keeps_only_safe_targets_in_its_form(string target)
    {
        using var client = NoRedirects();
        using var response = await client.GetAsync("/signin?returnUrl=" + Uri.EscapeDataString(target));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = await response.Content.ReadAsStringAsync();
        Assert.Equal("/", WebUtility.HtmlDecode(HiddenReturnUrl().Match(page).Groups[1].Value));
    }

    [Theory]
    [MemberData(nameof(Unsafe))]
    public async Task Language_switch_redirects_home_for_unsafe_targets(string target)
    {
        using var client = NoRedirects();
        using var response = await client.GetAsync("/lang/en?returnUrl=" + Uri.EscapeDataString(target));
        AssertRedirectsTo(response, "/");
    }

    /// <summary>The second example, sent raw: it answered 500 (a TAB in the Location header).</summary>
    [Theory]
    [InlineData("/lang/en?returnUrl=/%09/x", "/")]
    [InlineData("/lang/ja?returnUrl=/%0d%0aSet-Cookie:%20x=1", "/")]
    [InlineData("/lang/en?returnUrl=%2F%09%2Fevil.example%2Fphish", "/")]
    [InlineData("/lang/en?returnUrl=/%E3%81%82%ED%A0%80", null)] // not UTF-8: whatever it decodes to, stays here
    [InlineData("/lang/en?returnUrl=/%E3%81%82", "/%E3%81%82")]
    public async Task Raw_language_switch_examples_go_home_not_500(string path, string? expected)
    {
        using var client = NoRedirects();
        using var response = await client.GetAsync(path);
        AssertRedirectsTo(response, expected);
        Assert.False(response.Headers.Contains("Set-Cookie") && response.Headers.GetValues("Set-Cookie").Any(v => v.StartsWith("x=", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("/prefectures/13", "/prefectures/13")]
    [InlineData("/municipalities/131016?saved=3&target=system%3Akoseki#edit-system-koseki", "/municipalities/131016?saved=3&target=system%3Akoseki#edit-system-koseki")]
    [InlineData("/prefectures/12?q=鎌ケ谷", "/prefectures/12?q=%E9%8E%8C%E3%82%B1%E8%B0%B7")]
    public async Task Safe_targets_are_kept_everywhere(string target, string location)
    {
        using var client = NoRedirects();
        using (var signIn = await PostSignIn(client, host.Token(Role.National), target))
        {
            AssertRedirectsTo(signIn, location);
        }

        using (var language = await client.GetAsync("/lang/en?returnUrl=" + Uri.EscapeDataString(target)))
        {
            AssertRedirectsTo(language, location);
        }

        using (var local = await client.GetAsync("/auth/local/signin?returnUrl=" + Uri.EscapeDataString(target)))
        {
            AssertRedirectsTo(local, "/signin?returnUrl=" + Uri.EscapeDataString(location));
        }
    }

    /// <summary>
    /// The edit forms' GET addresses, signed out, go to sign-in returning to the page with the route's values (the
    /// common form-address GET since round 45; it was an anonymous redirect to the page): any value, never a 5xx, never
    /// off this site.
    /// </summary>
    [Theory]
    [InlineData("/municipalities/131016/systems/koseki", "/municipalities/131016#edit-system-koseki")]
    [InlineData("/municipalities/131016/security/SEC-2-01", "/municipalities/131016#edit-security-SEC-2-01")]
    [InlineData("/municipalities/131016/systems/%E3%81%82", "/municipalities/131016#edit-system-%E3%81%82")]
    [InlineData("/municipalities/131016/systems/%09%2F%2Fevil.example", null)] // %2F stays encoded in a route value
    [InlineData("/municipalities/%2F%2Fevil.example/security/x", null)]
    [InlineData("/municipalities/%5C%5Cevil.example/systems/%E2%80%AE", null)]
    public async Task Edit_form_addresses_redirect_on_this_site(string path, string? location)
    {
        using var client = NoRedirects();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        // A browser's reload (a script gets the 401 problem instead).
        request.Headers.TryAddWithoutValidation("Accept", "text/html,application/xhtml+xml,*/*;q=0.8");
        using var response = await client.SendAsync(request);
        AssertRedirectsTo(response, location is null ? null : "/signin?ReturnUrl=" + Uri.EscapeDataString(location));
        var returnUrl = Uri.UnescapeDataString(response.Headers.Location!.OriginalString.Split("ReturnUrl=")[1].Split('&')[0]);
        // A path on this site: only a leading "//" or "/\\" would leave it.
        Assert.True(returnUrl.StartsWith('/') && returnUrl is not ['/', '/' or '\\', ..], returnUrl);
    }

    private static Task<HttpResponseMessage> PostSignIn(HttpClient client, string token, string returnUrl) =>
        client.PostAsync("/auth/local/signin", new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = token, ["returnUrl"] = returnUrl }));

    /// <summary>A redirect whose Location (exactly <paramref name="expected"/> when given) a browser resolves to this site.</summary>
    private void AssertRedirectsTo(HttpResponseMessage response, string? expected)
    {
        Assert.True((int)response.StatusCode is 302 or 303, $"expected a redirect, got {(int)response.StatusCode}");
        var location = response.Headers.Location?.OriginalString;
        Assert.NotNull(location);
        if (expected is not null)
        {
            Assert.Equal(expected, location);
        }

        // As a browser reads it: TAB/CR/LF removed, "\" as "/"; it must be a path on this site.
        var read = location.Replace("\t", "", StringComparison.Ordinal).Replace("\r", "", StringComparison.Ordinal)
            .Replace("\n", "", StringComparison.Ordinal).Replace('\\', '/');
        Assert.True(read.StartsWith('/') && !read.StartsWith("//", StringComparison.Ordinal), $"'{location}' leaves the site");
        var resolved = new Uri(host.BaseAddress, location);
        Assert.Equal(host.BaseAddress.Authority, resolved.Authority);
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"returnUrl\" value=\"([^\"]*)\"")]
    private static partial Regex HiddenReturnUrl();
}
