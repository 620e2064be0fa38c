using System.Net;
using System.Reflection;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>
/// What a client author expects of a URL, each as a kind over every route of the host read from its
/// <see cref="EndpointDataSource"/>: a method the resource does not take is 405 with Allow (RFC 9110 §15.5.6), on pages
/// too (the tester's finding: a POST to /prefectures/13 answered 400, the expired-form page); Accept is not negotiated
/// under /api, the URL names the representation (.csv is CSV whatever the Accept); an /api path with a trailing slash or
/// a literal in another case is 404 naming the canonical path (it was served as if canonical).
/// </summary>
public sealed class MethodAcceptAndPathTests(WarmApiHost host, ITestOutputHelper output) : IClassFixture<WarmApiHost>
{
    private static readonly string[] Methods = [HttpMethods.Get, HttpMethods.Post, HttpMethods.Put, HttpMethods.Patch, HttpMethods.Delete];

    [Fact]
    public async Task Every_method_a_route_does_not_take_is_405_with_allow_and_a_bilingual_problem()
    {
        var routes = Routes();
        Assert.Contains(routes, r => r.Pattern.StartsWith("/prefectures/{code", StringComparison.Ordinal) && r.Methods.SetEquals([HttpMethods.Get]));
        Assert.True(routes.Count > 40, $"only {routes.Count} routes found");

        using var client = await SignedInAsync(Readiness.Role.Admin);
        var failures = new List<string>();
        var asked = 0;
        foreach (var (pattern, methods) in routes.Where(r => r.Pattern != "/connect/token")) // OpenIddict's: OAuth's own errors (RFC 6749 §5.2)
        {
            var path = RouteValues.Fill(pattern);

            // What the URL takes is what every route matching it takes (/api/v1/prefectures/13/systems/history is also a system's).
            var taken = routes.Where(r => Matches(r.Pattern, path)).SelectMany(r => r.Methods).ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var method in Methods.Where(m => !taken.Contains(m)))
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                if (method != HttpMethods.Get)
                {
                    request.Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["x"] = "1" });
                }

                using var response = await client.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                asked++;
                var allow = response.Content.Headers.Allow.ToHashSet(StringComparer.OrdinalIgnoreCase);
                if (response.StatusCode != HttpStatusCode.MethodNotAllowed)
                {
                    failures.Add($"{method} {path}: {(int)response.StatusCode}, not 405");
                }
                else if (allow.Contains(method) || !methods.IsSubsetOf(allow))
                {
                    failures.Add($"{method} {path}: Allow {string.Join(", ", allow)}, the route takes {string.Join(", ", methods)}");
                }
                else if (method == HttpMethods.Get && !path.StartsWith("/api/", StringComparison.Ordinal) && response.Content.Headers.ContentType?.MediaType == "text/html")
                {
                    // A browser's GET of a form's address gets the dashboard's own page (ja/en), with the 405.
                }
                else if (response.Content.Headers.ContentType?.MediaType != "application/problem+json"
                    || !text.Contains("\"method_not_allowed\"", StringComparison.Ordinal) || !text.Contains("は使えません", StringComparison.Ordinal)
                    || !text.Contains("is not allowed", StringComparison.Ordinal))
                {
                    failures.Add($"{method} {path}: 405 as {response.Content.Headers.ContentType} {text[..Math.Min(160, text.Length)]}");
                }
            }
        }

        output.WriteLine($"{asked} requests with a method the route does not take");
        Assert.True(failures.Count == 0, $"{failures.Count} of {asked}:\n" + string.Join("\n", failures));
    }

    /// <summary>What Chromium sends when a person opens an address or posts a form.</summary>
    private const string BrowserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

    /// <summary>
    /// A person whose browser posts to a page that takes GET only (an old bookmark of a form, a stale tab) gets the 405
    /// with Allow as a ja/en page, Japanese first, linking to the page (GET the same path) and to the overview; it was
    /// raw application/problem+json. 405 comes before authorization, so no one needs to be signed in.
    /// </summary>
    [Theory]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    public async Task A_browser_sending_a_method_a_page_does_not_take_gets_a_ja_en_page_with_allow_and_a_link_to_it(string method)
    {
        using var client = host.Client();
        using var response = await SendAsync(client, method, "/prefectures/13", BrowserAccept);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.True(response.Content.Headers.ContentType?.MediaType == "text/html", $"{response.Content.Headers.ContentType}: {body[..Math.Min(200, body.Length)]}");
        Assert.Equal(new[] { "GET", "HEAD" }, response.Content.Headers.Allow.Order(StringComparer.Ordinal));
        var ja = body.IndexOf("開いて見るページ", StringComparison.Ordinal);
        var en = body.IndexOf("This address is a page to open", StringComparison.Ordinal);
        Assert.True(ja >= 0 && en > ja, "not Japanese then English: " + body[..Math.Min(400, body.Length)]);
        Assert.Contains($"{method} では送信できません", body, StringComparison.Ordinal);
        Assert.Equal("/prefectures/13", AnswerLink(body));
        Assert.Contains("href=\"/\"", body, StringComparison.Ordinal);
    }

    /// <summary>
    /// The same 405 to a client that asks for JSON (or names no preference) stays the problem document; under /api it
    /// stays so even for a browser (Accept is not negotiated there).
    /// </summary>
    [Theory]
    [InlineData("/prefectures/13", "application/json")]
    [InlineData("/prefectures/13", "application/problem+json, text/html;q=0.9")]
    [InlineData("/prefectures/13", "*/*")]
    [InlineData("/prefectures/13", null)]
    [InlineData("/api/v1/nation", BrowserAccept)]
    [InlineData("/api/v1/nation/changes", BrowserAccept)]
    public async Task A_405_to_a_client_not_asking_for_html_or_under_api_stays_the_problem_document(string path, string? accept)
    {
        using var client = host.Client();
        using var response = await SendAsync(client, HttpMethods.Post, path, accept);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"method_not_allowed\"", body, StringComparison.Ordinal);
        Assert.Contains("GET", response.Content.Headers.Allow);
    }

    /// <summary>
    /// The other empty refusals a browser can meet at a page address answer the same page: another method at a form's
    /// own address is 405 linking to the page holding the form (a GET there is sent to that page: FormAddressTests); a form posted to an
    /// address that is neither page nor form is 404 in both languages (was the framework's English text/plain
    /// "Status Code: 404; Not Found"). A GET of an unknown address keeps the not-found page.
    /// </summary>
    [Fact]
    public async Task A_browser_meeting_another_empty_refusal_at_a_page_address_gets_the_ja_en_page()
    {
        using var client = host.Client();
        using (var form = await SendAsync(client, HttpMethods.Put, "/account/recovery-codes", BrowserAccept))
        {
            var body = await form.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.MethodNotAllowed, form.StatusCode);
            Assert.True(form.Content.Headers.ContentType?.MediaType == "text/html", $"{form.Content.Headers.ContentType}: {body[..Math.Min(200, body.Length)]}");
            Assert.Contains("POST", form.Content.Headers.Allow);
            Assert.Contains("フォームの送信先", body, StringComparison.Ordinal);
            Assert.Contains("This address receives a form", body, StringComparison.Ordinal);
            Assert.Equal("/account", AnswerLink(body));
        }

        using (var unknown = await SendAsync(client, HttpMethods.Post, "/no-such-page/here", BrowserAccept))
        {
            var body = await unknown.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.True(unknown.Content.Headers.ContentType?.MediaType == "text/html", $"{unknown.Content.Headers.ContentType}: {body[..Math.Min(200, body.Length)]}");
            var ja = body.IndexOf("ページもフォームの送信先もありません", StringComparison.Ordinal);
            var en = body.IndexOf("There is no page or form at this address", StringComparison.Ordinal);
            Assert.True(ja >= 0 && en > ja, "not Japanese then English: " + body[..Math.Min(400, body.Length)]);
        }

        using var page = await SendAsync(client, HttpMethods.Get, "/no-such-page/here", BrowserAccept);
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Contains("There is no page at this address", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    /// <summary>
    /// A person's browser past the product's request limits outside /api (a URL past 8 KB, header fields past 32 KB or
    /// 100 of them: a long link, a swollen cookie) gets the dashboard's refusal page with the status, in Japanese then
    /// English, saying what was too large; a client asking for JSON, and /api even for a browser, keep the problem
    /// document. Failed before: application/problem+json to the browser. Past Kestrel's own limits (8 × the product's)
    /// Kestrel answers by itself, before any of the product's code: that bare answer stays (no page is possible there).
    /// </summary>
    [Theory]
    [InlineData("uri", 414, "URL が長すぎます", "The URL (path and query) is too long")]
    [InlineData("header_bytes", 431, "ヘッダーが大きすぎます", "The header fields are too large")]
    [InlineData("header_count", 431, "ヘッダーが多すぎます", "Too many header fields")]
    public async Task A_browser_past_the_request_limits_outside_api_gets_the_ja_en_page(string kind, int status, string ja, string en)
    {
        using var client = host.Client();
        HttpRequestMessage Request(string path, string accept)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, kind == "uri" ? path + "?q=" + new string('a', Readiness.Web.Api.RequestLimits.TargetBytes) : path);
            request.Headers.TryAddWithoutValidation("Accept", accept);
            if (kind == "header_bytes")
            {
                request.Headers.Add("X-Note", new string('n', Readiness.Web.Api.RequestLimits.HeaderBytes));
            }
            else if (kind == "header_count")
            {
                for (var i = 0; i < Readiness.Web.Api.RequestLimits.HeaderCount + 5; i++)
                {
                    request.Headers.Add($"X-N{i}", "1");
                }
            }

            return request;
        }

        using (var request = Request("/prefectures/13", BrowserAccept))
        using (var response = await client.SendAsync(request))
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal(status, (int)response.StatusCode);
            Assert.True(response.Content.Headers.ContentType?.MediaType == "text/html", $"{response.Content.Headers.ContentType}: {body[..Math.Min(200, body.Length)]}");
            Assert.Contains("form-answer-heading", body, StringComparison.Ordinal); // the dashboard's page, not a bare one
            var jaAt = body.IndexOf(ja, StringComparison.Ordinal);
            var enAt = body.IndexOf(en, StringComparison.Ordinal);
            Assert.True(jaAt >= 0 && enAt > jaAt, "not Japanese then English: " + body[..Math.Min(400, body.Length)]);
            // A GET changes nothing anyway: its refusal does not say so (round 48; a post's does).
            Assert.DoesNotContain("何も変更していません", body, StringComparison.Ordinal);
        }

        foreach (var (path, accept) in new[] { ("/prefectures/13", "application/json"), ("/prefectures/13", "*/*"), ("/api/v1/nation", BrowserAccept) })
        {
            using var request = Request(path, accept);
            using var response = await client.SendAsync(request);
            Assert.Equal(status, (int)response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        if (kind == "uri")
        {
            // Past Kestrel's request-line limit Kestrel answers by itself, whatever the Accept: measured here over a raw
            // connection (System.Uri takes no URL that long), to say what is possible there, not changed by the product.
            var answer = await RawGetAsync("/prefectures/13?q=" + new string('a', Readiness.Web.Api.RequestLimits.ServerTargetBytes + 64), BrowserAccept);
            output.WriteLine("past Kestrel's limit: " + answer.ReplaceLineEndings(" | "));
            Assert.StartsWith("HTTP/1.1 414", answer, StringComparison.Ordinal);
            Assert.DoesNotContain("text/html", answer, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>A GET written by hand on a new connection; the answer's text (status line and headers, and any body) as far as it came.</summary>
    private async Task<string> RawGetAsync(string target, string accept)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(host.BaseAddress.Host, host.BaseAddress.Port);
        var stream = tcp.GetStream();
        try
        {
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: {host.BaseAddress.Authority}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"));
        }
        catch (IOException)
        {
            // The server may answer and close before the whole request line is written: read what it said.
        }

        var read = new MemoryStream();
        try
        {
            await stream.CopyToAsync(read);
        }
        catch (IOException)
        {
        }

        return System.Text.Encoding.ASCII.GetString(read.ToArray());
    }

    /// <summary>
    /// A page given a query parameter twice answers 400 as the dashboard's refusal page (header, language, a way back),
    /// naming the parameter in Japanese then English and linking to the page without it. Failed before: a bare page of
    /// its own (no header, no stylesheet, no link to the overview).
    /// </summary>
    [Fact]
    public async Task A_page_given_a_parameter_twice_answers_the_dashboards_refusal_page_naming_it()
    {
        using var client = await host.SignedInPagesAsync(host.Token(Readiness.Role.National));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/prefectures/13?metric=phase&limit=10&limit=20");
        request.Headers.TryAddWithoutValidation("Accept", BrowserAccept);
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("form-answer-heading", body, StringComparison.Ordinal);
        Assert.Contains("data-refused=\"limit\"", body, StringComparison.Ordinal);
        var ja = body.IndexOf("クエリパラメーター「limit」が2回以上指定されています", StringComparison.Ordinal);
        var en = body.IndexOf("is given more than once; give it once.", StringComparison.Ordinal);
        Assert.True(ja >= 0 && en > ja, "not Japanese then English: " + body[..Math.Min(600, body.Length)]);
        Assert.Equal("/prefectures/13?metric=phase", AnswerLink(body));
        Assert.Contains("href=\"/\"", body, StringComparison.Ordinal);
    }

    /// <summary>The href of the page's own link besides the overview (FormAnswerDocument's data-answer-link), or null.</summary>
    private static string? AnswerLink(string html) =>
        System.Text.RegularExpressions.Regex.Match(html, "<a[^>]*\\bhref=\"([^\"]*)\"[^>]*\\bdata-answer-link") is { Success: true } m ? System.Net.WebUtility.HtmlDecode(m.Groups[1].Value) : null;

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string method, string path, string? accept)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method != HttpMethods.Get)
        {
            request.Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["x"] = "1" });
        }

        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        return await client.SendAsync(request);
    }

    /// <summary>
    /// Accept is not negotiated under /api (as GitHub's and Azure's APIs, and ASP.NET Core's default): each GET route
    /// answers Accept: text/html as it answers no Accept, never with HTML, except that a refused download (.csv, .xlsx)
    /// is shown to a browser as the dashboard's page with the same status; a .csv route answers CSV to Accept: text/csv and
    /// to Accept: application/json alike. /api/docs is the documentation's HTML page, not the API.
    /// </summary>
    [Fact]
    public async Task Accept_is_not_negotiated_under_api_the_url_names_the_representation()
    {
        var gets = Routes().Where(r => r.Pattern.StartsWith("/api/", StringComparison.Ordinal) && r.Methods.Contains(HttpMethods.Get)
            && r.Pattern != Readiness.Web.Api.HeadRequests.EventStreamPath && !r.Pattern.StartsWith("/api/docs", StringComparison.Ordinal)).Select(r => r.Pattern).ToList();
        Assert.Contains("/api/v1/export/municipalities.csv", gets);
        using var client = await SignedInAsync(Readiness.Role.Admin);
        var failures = new List<string>();
        var csv = 0;
        foreach (var pattern in gets)
        {
            var path = RouteValues.Fill(pattern);
            using var plain = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
            foreach (var accept in pattern.EndsWith(".csv", StringComparison.Ordinal) ? new[] { "text/html", "text/csv", "application/json" } : ["text/html"])
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, path);
                request.Headers.TryAddWithoutValidation("Accept", accept);
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                var type = response.Content.Headers.ContentType?.MediaType;
                // A refused download (.csv, .xlsx) opened in a browser tab is the dashboard's page, same status
                // (DownloadRefusalPage, docs/api.md): only the refusal's form follows Accept, never the file's.
                var refusedDownloadPage = accept == "text/html" && type == "text/html" && (int)response.StatusCode >= 400
                    && (pattern.EndsWith(".csv", StringComparison.Ordinal) || pattern.EndsWith(".xlsx", StringComparison.Ordinal));
                if (response.StatusCode != plain.StatusCode || (!refusedDownloadPage && (type != plain.Content.Headers.ContentType?.MediaType || type == "text/html")))
                {
                    failures.Add($"GET {path} Accept: {accept}: {(int)response.StatusCode} {type}, without Accept {(int)plain.StatusCode} {plain.Content.Headers.ContentType?.MediaType}");
                }
            }

            if (pattern.EndsWith(".csv", StringComparison.Ordinal) && plain.IsSuccessStatusCode)
            {
                csv++;
                Assert.Equal("text/csv", plain.Content.Headers.ContentType?.MediaType);
            }
        }

        output.WriteLine($"{gets.Count} GET routes, {csv} CSV");
        Assert.True(csv >= 2, $"only {csv} CSV routes answered");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>
    /// Every /api route written with a trailing slash, or with its literal segments upper-cased, is 404 not_found naming
    /// the canonical path, for every method it takes, and changes nothing; the canonical path is not refused so.
    /// Pages are served either way (links in mail and bookmarks keep working).
    /// </summary>
    [Fact]
    public async Task An_api_path_with_a_trailing_slash_or_another_case_is_404_naming_the_canonical_path()
    {
        var routes = Routes().Where(r => r.Pattern.StartsWith("/api/", StringComparison.Ordinal) && !r.Pattern.StartsWith("/api/docs", StringComparison.Ordinal) && !r.Pattern.Contains('*', StringComparison.Ordinal)).ToList();
        Assert.True(routes.Count > 40, $"only {routes.Count} /api routes found");
        using var client = await SignedInAsync(Readiness.Role.Admin);
        var (_, before) = await host.GetMunicipality(ApiHost.Chiyoda);
        var failures = new List<string>();
        foreach (var (pattern, methods) in routes)
        {
            var canonical = RouteValues.Fill(pattern).TrimEnd('/');
            var literal = pattern.TrimEnd('/').Split('/');
            var upper = string.Join('/', canonical.Split('/').Select((s, i) => i < literal.Length && !literal[i].Contains('{', StringComparison.Ordinal) ? s.ToUpperInvariant() : s));
            foreach (var method in methods)
            {
                foreach (var written in new[] { canonical + "/", upper })
                {
                    using var request = new HttpRequestMessage(new HttpMethod(method), written);
                    if (method != HttpMethods.Get)
                    {
                        request.Content = new StringContent("{}", System.Text.Encoding.UTF8, method == HttpMethods.Patch ? "application/merge-patch+json" : "application/json");
                        request.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
                    }

                    using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                    var text = response.StatusCode == HttpStatusCode.NotFound ? await response.Content.ReadAsStringAsync() : string.Empty;
                    if (response.StatusCode != HttpStatusCode.NotFound || !text.Contains("\"not_found\"", StringComparison.Ordinal) || !text.Contains(canonical[..Math.Min(80, canonical.Length)], StringComparison.Ordinal)) // longer ones are cut with …
                    {
                        failures.Add($"{method} {written}: {(int)response.StatusCode} {text[..Math.Min(160, text.Length)]}");
                    }
                }
            }
        }

        // The canonical path is routed as before; a page keeps being served however it is written.
        using (var nation = await client.GetAsync("/api/v1/nation"))
        {
            Assert.Equal(HttpStatusCode.OK, nation.StatusCode);
        }

        foreach (var page in new[] { "/prefectures/13/", "/PREFECTURES/13" })
        {
            using var response = await client.GetAsync(page);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {page}: {(int)response.StatusCode}");
        }

        var (_, after) = await host.GetMunicipality(ApiHost.Chiyoda);
        Assert.Equal(before, after);
        Assert.True(failures.Count == 0, $"{failures.Count}:\n" + string.Join("\n", failures));
    }

    /// <summary>
    /// Each route pattern with the methods it takes: what its endpoints map, but a page (a Razor component) takes POST
    /// only when it handles a form itself (a [SupplyParameterFromForm] property), read from the component type, not from
    /// the endpoint's method metadata (the fix under test changes that).
    /// </summary>
    private List<(string Pattern, HashSet<string> Methods)> Routes() =>
        host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>() is { HttpMethods.Count: > 0 })
            .GroupBy(e => e.RoutePattern.RawText!)
            .Select(g => (Pattern: g.Key, Methods: g.SelectMany(Takes).ToHashSet(StringComparer.OrdinalIgnoreCase)))
            .Where(r => !Readiness.Web.Api.HeadRequests.NotHeadPaths.Any(p => r.Pattern.StartsWith(p, StringComparison.OrdinalIgnoreCase)) && !r.Pattern.StartsWith("/admin/orleans", StringComparison.OrdinalIgnoreCase))
            .OrderBy(r => r.Pattern, StringComparer.Ordinal)
            .ToList();

    private static bool Matches(string pattern, string path) =>
        new Microsoft.AspNetCore.Routing.Template.TemplateMatcher(Microsoft.AspNetCore.Routing.Template.TemplateParser.Parse(pattern), new RouteValueDictionary())
            .TryMatch(path, new RouteValueDictionary());

    private static IEnumerable<string> Takes(RouteEndpoint endpoint)
    {
        var methods = endpoint.Metadata.OfType<IHttpMethodMetadata>().First().HttpMethods;
        if (endpoint.Metadata.GetMetadata<ComponentTypeMetadata>() is { } page
            && !page.Type.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).Any(p => p.IsDefined(typeof(SupplyParameterFromFormAttribute), true)))
        {
            return methods.Where(m => m != HttpMethods.Post);
        }

        return methods;
    }

    private async Task<HttpClient> SignedInAsync(Readiness.Role role)
    {
        // The page cookie and the API's bearer token on one client, so pages and API routes both get past sign-in.
        var token = host.Token(role);
        var client = await host.SignedInPagesAsync(token, TimeSpan.FromSeconds(60));
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
