using System.Net;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Readiness.Web.Auth;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>
/// After a person sends a form the address bar holds the post's address; reloading it, opening it from history or a
/// bookmark sends GET (a breaker's finding: 405 and a bare page everywhere but the municipality's system form). Every
/// dashboard form's POST-only address, read from the host's <see cref="EndpointDataSource"/> so a new form cannot
/// forget it, answers GET and HEAD with 303 to the page holding the form, signed in; signed out, the sign-in page
/// with that page as ReturnUrl. /api keeps 405 with Allow.
/// </summary>
public sealed class FormAddressTests(WarmApiHost host, ITestOutputHelper output) : IClassFixture<WarmApiHost>
{
    private const string BrowserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

    /// <summary>POSTs outside /api that no person's form sends (OAuth's token endpoint): their GET stays 405.</summary>
    private static readonly string[] NotForms = [Readiness.Web.Clients.ClientsSetup.TokenPath];

    /// <summary>The dashboard's POST-only addresses outside /api: pattern, and the policies their post requires (null: none).</summary>
    private List<(string Pattern, IReadOnlyList<IAuthorizeData> Authorize)> FormPosts()
    {
        var routes = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        static string Methods(Endpoint e) => string.Join(',', e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"]);
        return [.. routes
            .Where(e => Methods(e) == HttpMethods.Post && !e.RoutePattern.RawText!.StartsWith("/api/", StringComparison.Ordinal))
            .Where(e => !NotForms.Contains(e.RoutePattern.RawText, StringComparer.Ordinal) && !e.RoutePattern.RawText!.StartsWith("/admin/orleans/", StringComparison.Ordinal))
            // An address with a GET of its own (a page, the sign-out link) answers it itself;
            // the GET this change adds is known by its metadata's name (so this test compiles against the code before).
            .Where(e => !routes.Any(g => g.RoutePattern.RawText == e.RoutePattern.RawText && Methods(g).Split(',').Contains(HttpMethods.Get)
                && !g.Metadata.Any(m => m.GetType().Name == "ReturnsToFormPageAttribute")))
            .Select(e => (e.RoutePattern.RawText!, (IReadOnlyList<IAuthorizeData>)e.Metadata.GetOrderedMetadata<IAuthorizeData>()))];
    }

    private static string? Location(HttpResponseMessage response) =>
        response.Headers.Location is { } l ? (l.IsAbsoluteUri ? l.PathAndQuery + l.Fragment : l.OriginalString) : null;

    private async Task<HttpClient> SignedInAsync(IReadOnlyList<IAuthorizeData> authorize)
    {
        var policies = authorize.Select(a => a.Policy).ToHashSet();
        var token = policies.Contains(ReadinessPolicies.MunicipalityWrite) ? host.Token(Readiness.Role.Municipality, ApiHost.Chiyoda)
            : policies.Contains(ReadinessPolicies.PrefectureRunWrite) ? host.Token(Readiness.Role.Prefecture, "13")
            : host.Token(Readiness.Role.Admin);
        return await host.SignedInPagesAsync(token);
    }

    [Fact]
    public async Task Every_form_address_answers_get_and_head_with_303_to_the_page_holding_the_form()
    {
        var forms = FormPosts();
        Assert.True(forms.Count >= 25, $"only {forms.Count} form addresses: {string.Join(", ", forms.Select(f => f.Pattern))}");
        var failures = new List<string>();
        foreach (var (pattern, authorize) in forms)
        {
            var path = RouteValues.Fill(pattern);
            using var client = await SignedInAsync(authorize);
            string? page = null;
            foreach (var method in new[] { HttpMethod.Get, HttpMethod.Head })
            {
                using var request = new HttpRequestMessage(method, path);
                request.Headers.TryAddWithoutValidation("Accept", BrowserAccept);
                using var response = await client.SendAsync(request);
                var location = Location(response);
                output.WriteLine($"{method} {path}: {(int)response.StatusCode} {location}");
                if (response.StatusCode != HttpStatusCode.SeeOther || location is null || !location.StartsWith('/') || location.StartsWith("//", StringComparison.Ordinal))
                {
                    failures.Add($"{method} {path}: {(int)response.StatusCode} {location}, not 303 to a local page");
                    continue;
                }

                page ??= location;
                if (location != page || location.Split('#')[0] == path)
                {
                    failures.Add($"{method} {path}: 303 to {location}");
                }
            }

            if (page is null)
            {
                continue;
            }

            // The page is one: a GET there is not refused as a method or missing (it may say its link expired).
            using (var opened = await client.GetAsync(page.Split('#')[0]))
            {
                // 404 only where the filled route value ("x") names nothing, e.g. the import /imports/x.
                if ((opened.StatusCode == HttpStatusCode.NotFound && !page.Contains("/x", StringComparison.Ordinal))
                    || opened.StatusCode == HttpStatusCode.MethodNotAllowed || (int)opened.StatusCode >= 500)
                {
                    failures.Add($"GET {path} → {page}: {(int)opened.StatusCode}");
                }
            }

            // Signed out, a protected form's address goes to sign-in, returning to the form's page (not its own address)
            // with the address's query (its ?language= above all: round 45, the edit forms' own GET lost it), and the
            // sign-in page already in that language.
            if (authorize.Count > 0)
            {
                using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
                var expected = "/signin?ReturnUrl=" + Uri.EscapeDataString(WithQuery(page, KeptQuery));
                var failure = await SignInKeepsQueryAsync(anonymous, path + KeptQuery, expected);
                if (failure is not null)
                {
                    failures.Add(failure);
                }

                // A script (no HTML asked for) gets the API's 401 problem in both languages, not a bare 401.
                using var script = new HttpRequestMessage(HttpMethod.Get, path);
                script.Headers.TryAddWithoutValidation("Accept", "application/json");
                using var refused = await anonymous.SendAsync(script);
                var body = await refused.Content.ReadAsStringAsync();
                if (refused.StatusCode != HttpStatusCode.Unauthorized || refused.Content.Headers.ContentType?.MediaType != "application/problem+json"
                    || !body.Contains("サインイン", StringComparison.Ordinal) || !body.Contains("Sign-in required", StringComparison.Ordinal))
                {
                    failures.Add($"anonymous JSON GET {path}: {(int)refused.StatusCode} {refused.Content.Headers.ContentType} {body[..Math.Min(body.Length, 120)]}");
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {forms.Count} form addresses:\n" + string.Join("\n", failures));
    }

    /// <summary>A query a language switch leaves, with another parameter: both must come back after sign-in.</summary>
    private const string KeptQuery = "?language=en&keep=1";

    /// <summary>The page's address with the query before its fragment ("/m/13101?language=en#edit-system-koseki").</summary>
    private static string WithQuery(string page, string query) =>
        page.Split('#', 2) is [var path, var fragment] ? path + query + "#" + fragment : page + query;

    /// <summary>
    /// A signed-out browser's GET of <paramref name="address"/>: 302 to <paramref name="expected"/> (compared
    /// unescaped), the language cookie set to English, and the sign-in page it leads to rendered in English with that
    /// cookie; null when so, else what differed.
    /// </summary>
    private async Task<string?> SignInKeepsQueryAsync(HttpClient anonymous, string address, string expected)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, address);
        request.Headers.TryAddWithoutValidation("Accept", BrowserAccept);
        using var response = await anonymous.SendAsync(request);
        var location = Location(response) ?? string.Empty;
        if (response.StatusCode != HttpStatusCode.Redirect || !string.Equals(Uri.UnescapeDataString(location), Uri.UnescapeDataString(expected), StringComparison.Ordinal))
        {
            return $"anonymous GET {address}: {(int)response.StatusCode} {location}, expected 302 {expected}";
        }

        if (!response.Headers.TryGetValues("Set-Cookie", out var cookies) || !cookies.Any(c => c.StartsWith("readiness-lang=en", StringComparison.Ordinal)))
        {
            return $"anonymous GET {address}: no language cookie on the way to sign-in";
        }

        using var signIn = new HttpRequestMessage(HttpMethod.Get, location);
        signIn.Headers.TryAddWithoutValidation("Accept", BrowserAccept);
        signIn.Headers.TryAddWithoutValidation("Cookie", "readiness-lang=en");
        using var page = await anonymous.SendAsync(signIn);
        var html = await page.Content.ReadAsStringAsync();
        return page.StatusCode == HttpStatusCode.OK && html.Contains("<html lang=\"en\"", StringComparison.Ordinal)
            ? null : $"anonymous GET {address} → {location}: {(int)page.StatusCode}, not the sign-in page in English";
    }

    /// <summary>
    /// Every page that sends a signed-out person to sign-in (a Razor page requiring anything) keeps its whole path and
    /// query as the return URL, and the language it asked for on the sign-in page: one redirect for pages and form
    /// addresses alike.
    /// </summary>
    [Fact]
    public async Task Every_protected_page_sends_to_sign_in_keeping_its_path_query_and_language()
    {
        var pages = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Components.Endpoints.ComponentTypeMetadata>() is not null)
            .Where(e => e.Metadata.GetOrderedMetadata<IAuthorizeData>().Count > 0 && e.Metadata.GetMetadata<IAllowAnonymous>() is null)
            .Where(e => !e.RoutePattern.Parameters.Any(p => p.IsCatchAll))
            .Select(e => e.RoutePattern.RawText!).Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.True(pages.Count >= 15, $"only {pages.Count} protected pages: {string.Join(", ", pages)}");
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var failures = new List<string>();
        foreach (var pattern in pages)
        {
            var path = RouteValues.Fill(pattern);
            var failure = await SignInKeepsQueryAsync(anonymous, path + KeptQuery, "/signin?ReturnUrl=" + Uri.EscapeDataString(path + KeptQuery));
            output.WriteLine($"{path}: {failure ?? "ok"}");
            if (failure is not null)
            {
                failures.Add(failure);
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {pages.Count} pages:\n" + string.Join("\n", failures));
    }

    /// <summary>
    /// The breaker's addresses (round 45): a municipality's system and checklist item forms reloaded signed out, with
    /// the ?language=en of a switch. Signing in with the return URL the sign-in page got brings the person back to the
    /// form's page with ?language=en (it was the page alone, and Japanese).
    /// </summary>
    [Theory]
    [InlineData("/municipalities/" + ApiHost.Chiyoda + "/systems/koseki", "/municipalities/" + ApiHost.Chiyoda + "?language=en#edit-system-koseki")]
    [InlineData("/municipalities/" + ApiHost.Chiyoda + "/security/SEC-2-01", "/municipalities/" + ApiHost.Chiyoda + "?language=en#edit-security-SEC-2-01")]
    public async Task A_municipality_form_address_signed_out_comes_back_after_sign_in_with_the_language(string address, string back)
    {
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var failure = await SignInKeepsQueryAsync(anonymous, address + "?language=en", "/signin?ReturnUrl=" + Uri.EscapeDataString(back));
        Assert.True(failure is null, failure);

        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = new System.Net.CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        using var signIn = await browser.PostAsync("/auth/local/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = host.Token(Readiness.Role.Municipality, ApiHost.Chiyoda),
            ["returnUrl"] = back,
        }));
        Assert.True(signIn.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.SeeOther, $"sign-in: {(int)signIn.StatusCode}");
        Assert.Equal(back.Split('#')[0], Location(signIn)?.Split('#')[0]);
    }

    [Theory]
    [InlineData("/admin/invitations", "/admin/users")]
    [InlineData("/account/mfa/enable", "/account/mfa")]
    [InlineData("/imports/upload", "/imports")]
    [InlineData("/notifications/preferences", "/notifications")]
    [InlineData("/admin/clients/new", "/admin/clients")]
    [InlineData("/account/signin", "/signin")]
    [InlineData("/account/password/reset", "/password/reset")]
    public async Task A_reloaded_form_address_is_sent_to_its_page_keeping_the_language(string address, string page)
    {
        using var client = await host.SignedInPagesAsync(host.Token(Readiness.Role.Admin));
        using var request = new HttpRequestMessage(HttpMethod.Get, address + KeptQuery);
        request.Headers.TryAddWithoutValidation("Accept", BrowserAccept);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        // Its whole query comes along (round 46: ?language=en&keep=1 came back as the page alone).
        Assert.Equal(WithQuery(page, KeptQuery), Location(response));
        // The language a switch post left in the address is remembered: the page comes in English.
        Assert.Contains(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("readiness-lang=en", StringComparison.Ordinal));
    }

    /// <summary>
    /// The breaker's address (round 46): signed in, a municipality's system and checklist item forms reloaded with
    /// ?language=en&amp;keep=1 go to the form's page with both (keep=1 was dropped), before the fragment.
    /// </summary>
    [Theory]
    [InlineData("/municipalities/" + ApiHost.Chiyoda + "/systems/koseki", "/municipalities/" + ApiHost.Chiyoda + "#edit-system-koseki")]
    [InlineData("/municipalities/" + ApiHost.Chiyoda + "/security/SEC-2-01", "/municipalities/" + ApiHost.Chiyoda + "#edit-security-SEC-2-01")]
    public async Task A_municipality_form_address_reloaded_signed_in_keeps_its_whole_query(string address, string page)
    {
        using var client = await host.SignedInPagesAsync(host.Token(Readiness.Role.Municipality, ApiHost.Chiyoda));
        using var request = new HttpRequestMessage(HttpMethod.Get, address + KeptQuery);
        request.Headers.TryAddWithoutValidation("Accept", BrowserAccept);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal(WithQuery(page, KeptQuery), Location(response));
    }

    /// <summary>
    /// Signed out, a form's address reloaded with the ?language= a switch left goes to sign-in remembering the language
    /// (it was forgotten: the sign-in page and the form's page came in Japanese); a client not asking for HTML gets the
    /// API's 401 problem (ja + en, WWW-Authenticate), not a bare 401.
    /// </summary>
    [Theory]
    [InlineData("/admin/invitations", "/admin/users")]
    [InlineData("/imports/upload", "/imports")]
    [InlineData("/municipalities/" + ApiHost.Chiyoda + "/template", "/municipalities/" + ApiHost.Chiyoda)]
    public async Task A_signed_out_form_address_keeps_the_language_through_sign_in_and_answers_scripts_a_problem(string address, string page)
    {
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        using (var request = new HttpRequestMessage(HttpMethod.Get, address + "?language=en"))
        {
            request.Headers.TryAddWithoutValidation("Accept", BrowserAccept);
            using var response = await anonymous.SendAsync(request);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            // The return URL keeps the address's query (round 45: it was the page alone).
            Assert.Equal("/signin?ReturnUrl=" + page + "?language=en", Uri.UnescapeDataString(Location(response) ?? string.Empty));
            Assert.True(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("readiness-lang=en", StringComparison.Ordinal)),
                $"no language cookie on the way to sign-in: {string.Join(" | ", cookies ?? [])}");
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, address))
        {
            request.Headers.TryAddWithoutValidation("Accept", "application/json");
            using var response = await anonymous.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{(int)response.StatusCode} {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.NotEmpty(response.Headers.WwwAuthenticate);
            Assert.Contains("サインイン", body, StringComparison.Ordinal);
            Assert.Contains("Sign-in required", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_template_preview_address_reloaded_goes_to_the_municipality_page()
    {
        using var client = await host.SignedInPagesAsync(host.Token(Readiness.Role.Municipality, ApiHost.Chiyoda));
        using var response = await client.GetAsync($"/municipalities/{ApiHost.Chiyoda}/template");
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal($"/municipalities/{ApiHost.Chiyoda}", Location(response));
    }

    [Fact]
    public async Task An_api_post_only_address_still_answers_get_with_405_and_allow()
    {
        using var client = host.Client(host.Token(Readiness.Role.Admin));
        using var response = await client.GetAsync("/api/v1/admin/notifications/ntf_none/retry");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Contains("POST", response.Content.Headers.Allow);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
