using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>
/// HTTP request semantics, each as a kind across the whole /api surface read from the host's
/// <see cref="EndpointDataSource"/> (a new endpoint is covered without being listed): a compressed request body, a
/// query parameter given twice, X-Request-Id on every answer, an API path written with repeated or encoded slashes.
/// </summary>
public sealed class HttpSemanticsTests(ApiHost host, ITestOutputHelper output) : IClassFixture<ApiHost>
{
    private static readonly string[] WriteMethods = [HttpMethods.Put, HttpMethods.Post, HttpMethods.Patch, HttpMethods.Delete];

    /// <summary>
    /// A body with Content-Encoding gzip (or br, deflate, x-anything) is 415 content_encoding_unsupported naming the
    /// header, with Accept-Encoding: identity, on every /api route that takes a method with a body; the municipality
    /// written to is unchanged. The kind found: the gzip bytes were parsed as JSON and refused as a malformed body.
    /// </summary>
    [Fact]
    public async Task A_compressed_body_is_415_naming_content_encoding_on_every_api_write_route()
    {
        await host.WaitUntilReadyAsync();
        var (_, before) = await host.GetMunicipality(ApiHost.Chiyoda);
        var routes = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Where(WriteMethods.Contains).Select(m => (Method: m, Pattern: e.RoutePattern.RawText!)))
            .Distinct()
            .OrderBy(r => r.Pattern, StringComparer.Ordinal)
            .ToList();
        Assert.Contains((HttpMethods.Put, "/api/v1/municipalities/{code}/systems/{businessId}"), routes);

        // The municipality's own token for its routes, the administrator's for the rest: each route gets past authorization.
        using var municipality = host.Municipality(ApiHost.Chiyoda, "encoding@city.chiyoda");
        using var admin = host.Client(host.Token(Role.Admin));
        var failures = new List<string>();
        var refused = 0;
        var codings = new[] { "gzip", "br", "deflate", "x-custom, gzip" };
        foreach (var (method, pattern) in routes)
        {
            var path = RouteValues.Fill(pattern);
            var client = pattern.StartsWith("/api/v1/municipalities/{code}", StringComparison.Ordinal) ? municipality : admin;
            var coding = codings[refused % codings.Length];
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = Compressed("{\"phase\":\"in_production\"}", coding) };
            request.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
            request.Headers.TryAddWithoutValidation("Idempotency-Key", $"enc-{Guid.NewGuid():N}");
            using var response = await client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            output.WriteLine($"{method} {path} ({coding}): {(int)response.StatusCode}");
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.MethodNotAllowed)
            {
                continue; // not reached: the rule is after authorization, as the media type's
            }

            if (response.StatusCode != HttpStatusCode.UnsupportedMediaType || !text.Contains("\"content_encoding_unsupported\"", StringComparison.Ordinal)
                || !text.Contains("\"field\":\"Content-Encoding\"", StringComparison.Ordinal)
                || !response.Headers.TryGetValues("Accept-Encoding", out var accept) || accept.Single() != "identity")
            {
                failures.Add($"{method} {path} with Content-Encoding {coding}: {(int)response.StatusCode} {text[..Math.Min(200, text.Length)]}");
                continue;
            }

            refused++;
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(refused > 15, $"only {refused} routes reached");
        var (_, after) = await host.GetMunicipality(ApiHost.Chiyoda);
        Assert.Equal(before, after);

        // identity is no coding: the same write goes through to the usual checks (428: no If-Match).
        using var identity = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/municipalities/{ApiHost.Chiyoda}/systems/child_allowance")
        {
            Content = new StringContent("{\"phase\":\"in_production\"}", Encoding.UTF8, "application/json"),
        };
        identity.Content.Headers.ContentEncoding.Add("identity");
        using var plain = await municipality.SendAsync(identity);
        Assert.Equal(HttpStatusCode.PreconditionRequired, plain.StatusCode);
    }

    /// <summary>
    /// Every GET route of the host, API and page, sent a known parameter twice (<c>limit</c>, <c>prefecture</c>): an API
    /// route answers 400 repeated_parameter naming it, a page 400 naming it with a link to the page without it. The
    /// kind found: one of the values was used in silence (<c>?limit=10&amp;limit=20</c> read 10 items).
    /// </summary>
    [Fact]
    public async Task A_parameter_given_twice_is_400_naming_it_on_every_get_route()
    {
        var endpoints = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains(HttpMethods.Get) ?? e.Metadata.GetMetadata<Microsoft.AspNetCore.Components.Endpoints.ComponentTypeMetadata>() is not null)
            .Where(e => !e.RoutePattern.RawText!.StartsWith("/_", StringComparison.Ordinal))
            .GroupBy(e => e.RoutePattern.RawText!)
            .Select(g => (Pattern: g.Key, Page: g.Any(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Components.Endpoints.ComponentTypeMetadata>() is not null)))
            .OrderBy(e => e.Pattern, StringComparer.Ordinal)
            .ToList();
        var api = endpoints.Where(e => e.Pattern.StartsWith("/api/", StringComparison.Ordinal)).ToList();
        var pages = endpoints.Where(e => e.Page).ToList();
        Assert.True(api.Count > 30, $"only {api.Count} API GET routes");
        Assert.True(pages.Count >= 15, $"only {pages.Count} pages");

        // The administrator, and the municipality for the routes only it may read (its reporting template).
        var token = host.Token(Role.Admin);
        using var client = await host.SignedInPagesAsync(token);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var municipality = host.Municipality(ApiHost.Chiyoda, "repeated@city.chiyoda");
        var failures = new List<string>();
        foreach (var (pattern, page) in api.Concat(pages))
        {
            foreach (var (name, first, second) in new[] { ("limit", "10", "20"), ("prefecture", "13", "14") })
            {
                var path = $"{RouteValues.Fill(pattern)}?{name}={first}&{name}={second}";
                var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
                if (response.StatusCode == HttpStatusCode.Forbidden && !page)
                {
                    response.Dispose();
                    response = await municipality.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
                }

                using var answer = response;
                var text = await response.Content.ReadAsStringAsync();
                var named = page
                    ? text.Contains($"data-refused=\"{name}\"", StringComparison.Ordinal) && text.Contains("2回以上", StringComparison.Ordinal)
                    : NamesField(text, name, "repeated_parameter");
                output.WriteLine($"GET {path}: {(int)response.StatusCode}");
                if (response.StatusCode != HttpStatusCode.BadRequest || !named)
                {
                    failures.Add($"GET {path}: {(int)response.StatusCode} {text[..Math.Min(160, text.Length)]}");
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} routes took a repeated parameter:\n{string.Join("\n", failures)}");
    }

    /// <summary>
    /// A query whose percent-decoded bytes are not UTF-8 (a stray %FF, an encoded surrogate %ED%A0%80), in a value or a
    /// name, is 400 invalid_utf8 naming the parameter as sent: under /api problem details, on a page the refusal page.
    /// ASP.NET Core decoded such bytes to U+FFFD in silence (the table's search went on for text nobody sent). UTF-8
    /// percent-encoded (大 = %E5%A4%A7) is read as before.
    /// </summary>
    [Fact]
    public async Task A_query_that_is_not_utf8_is_400_invalid_utf8_naming_the_parameter()
    {
        await host.WaitUntilReadyAsync();
        using var national = host.National();
        var table = "/api/v1/prefectures/13/municipalities.csv";
        using (var fine = await national.GetAsync(table + "?q=%E5%A4%A7"))
        {
            Assert.Equal(HttpStatusCode.OK, fine.StatusCode);
        }

        foreach (var (query, field) in new[] { ("?q=%FF", "q"), ("?q=a%ED%A0%80b", "q"), ("?kind=city&q=%C3", "q"), ("?%FFq=1", "%FFq") })
        {
            using var response = await national.GetAsync(table + query);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest && NamesField(text, field, "invalid_utf8"), $"{query}: {(int)response.StatusCode} {text}");
        }

        using var pages = await host.SignedInPagesAsync(host.Token(Role.Admin));
        using var page = await pages.GetAsync("/prefectures/13?kind=city&q=%FF");
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
        Assert.Contains("data-refused=\"q\"", html, StringComparison.Ordinal);
        Assert.Contains("UTF-8", html, StringComparison.Ordinal);
        Assert.Contains("/prefectures/13?kind=city\"", html, StringComparison.Ordinal);
    }

    /// <summary>
    /// A dashboard form post (URL-encoded) whose field, percent-decoded, is not UTF-8 is the 400 form page naming the
    /// field, nothing done: the form reader decoded such bytes to U+FFFD in silence and the endpoint went on with them.
    /// </summary>
    [Fact]
    public async Task A_form_field_that_is_not_utf8_is_400_naming_the_field()
    {
        await host.WaitUntilReadyAsync();
        using var stranger = new FormClient(host.BaseAddress);
        var (_, page) = await stranger.GetAsync("/signin");
        var token = System.Text.RegularExpressions.Regex.Match(page, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(token));
        foreach (var (fields, field) in new[] { ("email=nobody%40example.jp%FF&password=x", "email"), ("email=nobody%40example.jp&password=a%ED%A0%80", "password"), ("email=nobody%40example.jp&password=x&%C3=1", "%C3") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/account/signin")
            {
                Content = new StringContent($"{fields}&returnUrl=%2F&__RequestVerificationToken={Uri.EscapeDataString(token)}", Encoding.ASCII, "application/x-www-form-urlencoded"),
            };
            using var response = await stranger.Http.SendAsync(request);
            var html = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest && html.Contains($"{field}: UTF-8", StringComparison.Ordinal)
                && html.Contains($"{field}: the value holds bytes that are not UTF-8", StringComparison.Ordinal), $"{fields}: {(int)response.StatusCode} {html[..Math.Min(400, html.Length)]}");
        }
    }

    /// <summary>
    /// Every GET route of the dashboard that is neither a page nor the API (the CSV downloads, the search the prefecture
    /// page's script asks, the map's data, the language switch, the edit links; sign-in keeps its own rules), sent a
    /// parameter twice (the ones they read: q, sort, confirmed, limit, returnUrl, v): 400 repeated_parameter naming it, as
    /// the API answers. The kind found: <c>/prefectures/13/municipalities.csv?q=a&amp;q=b</c> answered 200 with the
    /// header only (the two values bound as "a,b", which matched nothing).
    /// </summary>
    [Fact]
    public async Task A_parameter_given_twice_is_400_naming_it_on_every_dashboard_download()
    {
        await host.WaitUntilReadyAsync();
        var routes = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains(HttpMethods.Get) ?? false)
            .Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Components.Endpoints.ComponentTypeMetadata>() is null)
            .Select(e => e.RoutePattern.RawText!)
            .Where(p => !p.StartsWith("/api/", StringComparison.Ordinal) && !p.StartsWith("/_", StringComparison.Ordinal) && !p.StartsWith("/auth/", StringComparison.Ordinal))
            .Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.Contains("/prefectures/{code}/municipalities.csv", routes);
        Assert.True(routes.Count >= 8, $"only {routes.Count} dashboard GET routes: {string.Join(", ", routes)}");

        var token = host.Token(Role.Admin);
        using var client = await host.SignedInPagesAsync(token);
        var failures = new List<string>();
        var checkedRoutes = 0;
        foreach (var pattern in routes)
        {
            // A refusal of the address itself (403 where the admin may not write, 404 for no such thing) comes first, as
            // on the API: only addresses that answer the admin are checked for their query.
            using (var plain = await client.GetAsync(RouteValues.Fill(pattern), HttpCompletionOption.ResponseHeadersRead))
            {
                if ((int)plain.StatusCode is 401 or 403 or 404)
                {
                    output.WriteLine($"GET {RouteValues.Fill(pattern)}: {(int)plain.StatusCode}, not checked");
                    continue;
                }
            }

            checkedRoutes++;
            foreach (var (name, first, second) in new[] { ("q", "a", "b"), ("sort", "name", "code"), ("confirmed", "only", "exclude"), ("limit", "10", "20"), ("returnUrl", "/", "/prefectures/13"), ("v", "1", "2") })
            {
                var path = $"{RouteValues.Fill(pattern)}?{name}={first}&{name}={second}";
                using var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
                var text = await response.Content.ReadAsStringAsync();
                output.WriteLine($"GET {path}: {(int)response.StatusCode}");
                if (response.StatusCode != HttpStatusCode.BadRequest || !NamesField(text, name, "repeated_parameter")
                    || !text.Contains("2回以上", StringComparison.Ordinal) || !text.Contains("more than once", StringComparison.Ordinal))
                {
                    failures.Add($"GET {path}: {(int)response.StatusCode} {text[..Math.Min(160, text.Length)]}");
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} dashboard routes took a repeated parameter:\n{string.Join("\n", failures)}");
        Assert.True(checkedRoutes >= 8, $"only {checkedRoutes} dashboard GET routes answered the admin");
    }

    /// <summary>
    /// The dashboard's downloads take an empty value as absent, as the API does: <c>?q=&amp;q=東京</c> is the file of
    /// <c>?q=東京</c> (it was bound as ",東京" and matched nothing), and <c>?q=</c> the whole table.
    /// </summary>
    [Fact]
    public async Task A_dashboard_download_takes_an_empty_value_as_absent()
    {
        await host.WaitUntilReadyAsync();
        using var client = await host.SignedInPagesAsync(host.Token(Role.Admin));
        const string Path = "/prefectures/13/municipalities.csv";
        var whole = await client.GetStringAsync(Path);
        var chiyoda = await client.GetStringAsync($"{Path}?q={Uri.EscapeDataString("千代田")}");
        Assert.True(chiyoda.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == 2, $"?q=千代田 is not one row:\n{chiyoda}");
        Assert.Equal(chiyoda, await client.GetStringAsync($"{Path}?q=&q={Uri.EscapeDataString("千代田")}"));
        Assert.Equal(whole, await client.GetStringAsync($"{Path}?q="));
    }

    /// <summary>An empty value is as if absent (<c>?limit=</c> is the default, not a refusal), and beside a value it is no repetition.</summary>
    [Fact]
    public async Task An_empty_query_value_is_absent()
    {
        await host.WaitUntilReadyAsync();
        using var national = host.National();
        foreach (var query in new[] { "?limit=", "?limit=&limit=5", "?limit=&cursor=" })
        {
            using var response = await national.GetAsync($"/api/v1/municipalities/{ApiHost.Chiyoda}/history{query}");
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"history{query}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        using var twice = await national.GetAsync($"/api/v1/municipalities/{ApiHost.Chiyoda}/history?limit=5&LIMIT=6");
        var refusal = await twice.Content.ReadAsStringAsync();
        Assert.True(NamesField(refusal, "limit", "repeated_parameter") || NamesField(refusal, "LIMIT", "repeated_parameter"), $"?limit=5&LIMIT=6 is not refused naming limit: {(int)twice.StatusCode} {refusal}");
    }

    /// <summary>
    /// The pages read an empty <c>?cursor=</c> as their API does, as absent: the newest page. A breaker found each
    /// paged page answering 400 ("「」は前のページの nextCursorではありません") where its API answered 200.
    /// </summary>
    [Fact]
    public async Task An_empty_cursor_is_absent_on_the_pages_as_in_the_api()
    {
        await host.WaitUntilReadyAsync();
        using var person = await FormSession.SignInNationalAsync(host);
        foreach (var path in new[] { $"/municipalities/{ApiHost.Chiyoda}/history", "/prefectures/13/changes", "/changes", "/prefectures/13/systems/history" })
        {
            using var page = await person.GetAsync(path + "?cursor=");
            Assert.True(page.StatusCode == HttpStatusCode.OK, $"{path}?cursor=: {(int)page.StatusCode}");
            using var again = await person.GetAsync(path + "?cursor=not-a-cursor");
            Assert.True(again.StatusCode == HttpStatusCode.BadRequest, $"{path}?cursor=not-a-cursor: {(int)again.StatusCode}");
        }
    }

    /// <summary>
    /// X-Request-Id on every /api answer: a well-formed one sent is echoed on every GET route (refusals included), a
    /// malformed one (too long, a space, non-ASCII, two values) is replaced by the server's trace id, which is the problem's
    /// traceId on a 401, 404 or 400; a write keeps its change request's id (the Idempotency-Key). The kind found: only a
    /// write's answer carried one.
    /// </summary>
    [Fact]
    public async Task Every_api_answer_carries_x_request_id_echoing_a_well_formed_one()
    {
        await host.WaitUntilReadyAsync();
        var patterns = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains(HttpMethods.Get) ?? false)
            .Select(e => e.RoutePattern.RawText!)
            .Where(p => p.StartsWith("/api/", StringComparison.Ordinal) && !p.StartsWith(Readiness.Web.Api.HeadRequests.EventStreamPath, StringComparison.Ordinal))
            .Distinct().Order(StringComparer.Ordinal).ToList();
        using var national = host.National();
        var failures = new List<string>();
        foreach (var pattern in patterns)
        {
            var sent = $"walk-{Guid.NewGuid():N}";
            using var request = new HttpRequestMessage(HttpMethod.Get, RouteValues.Fill(pattern));
            request.Headers.Add("X-Request-Id", sent);
            using var response = await national.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            if (RequestId(response) != sent)
            {
                failures.Add($"GET {pattern}: {(int)response.StatusCode} X-Request-Id '{RequestId(response)}'");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // Refusals before and after routing: not signed in, no such route, a repeated parameter, a compressed body.
        using var visitor = host.Client();
        foreach (var (client, path) in new[] { (visitor, "/api/v1/municipalities/131016"), (national, "/api/v1/nope"), (national, "/api/v1/catalog?limit=1&limit=2") })
        {
            foreach (var malformed in new[] { new string('a', 129), "has space", "tab\tinside", string.Empty })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, path);
                request.Headers.TryAddWithoutValidation("X-Request-Id", malformed);
                using var response = await client.SendAsync(request);
                var id = RequestId(response);
                using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                Assert.True(id is not null && id != malformed && id == problem.RootElement.GetProperty("traceId").GetString(),
                    $"GET {path} with X-Request-Id '{Problems(malformed)}': {(int)response.StatusCode} X-Request-Id '{id}'");
            }

            using var echoed = new HttpRequestMessage(HttpMethod.Get, path);
            echoed.Headers.Add("X-Request-Id", "support-ticket-42");
            using var answer = await client.SendAsync(echoed);
            Assert.True(RequestId(answer) == "support-ticket-42", $"GET {path}: {(int)answer.StatusCode} X-Request-Id '{RequestId(answer)}'");
        }

        using var two = new HttpRequestMessage(HttpMethod.Get, "/api/v1/catalog");
        two.Headers.TryAddWithoutValidation("X-Request-Id", ["one", "two"]);
        using var twoAnswer = await national.SendAsync(two);
        Assert.True(RequestId(twoAnswer) is { } twoId && twoId != "one" && twoId != "two", $"two values: '{RequestId(twoAnswer)}'");

        // A write answers its change request's id, the one in the audit trail.
        using var municipality = host.Municipality(ApiHost.Chiyoda, "request-id@city.chiyoda");
        using var write = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/municipalities/{ApiHost.Chiyoda}/reports")
        {
            Content = new StringContent("{\"systems\":[]}", Encoding.UTF8, "application/json"),
        };
        var key = $"key-{Guid.NewGuid():N}";
        write.Headers.Add("Idempotency-Key", key);
        write.Headers.Add("If-Match", "*");
        write.Headers.Add("X-Request-Id", "client-id");
        using var written = await municipality.SendAsync(write);
        Assert.True(RequestId(written) == key, $"POST reports: {(int)written.StatusCode} X-Request-Id '{RequestId(written)}'");
    }

    /// <summary>The contract says so: every response of every /api operation declares X-Request-Id, and every 201 Location.</summary>
    [Fact]
    public async Task The_contract_declares_x_request_id_on_every_api_answer_and_location_on_201()
    {
        using var national = host.National();
        using var document = JsonDocument.Parse(await national.GetStringAsync("/openapi/v1.json"));
        var missing = new List<string>();
        var created = 0;
        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject().Where(p => p.Name.StartsWith("/api/", StringComparison.Ordinal)))
        {
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Value.ValueKind == JsonValueKind.Object && o.Value.TryGetProperty("responses", out _)))
            {
                foreach (var response in operation.Value.GetProperty("responses").EnumerateObject())
                {
                    var headers = response.Value.TryGetProperty("headers", out var h) ? h : default;
                    if (headers.ValueKind != JsonValueKind.Object || !headers.TryGetProperty("X-Request-Id", out _))
                    {
                        missing.Add($"{operation.Name.ToUpperInvariant()} {path.Name} {response.Name}: no X-Request-Id");
                    }

                    if (response.Name == "201")
                    {
                        created++;
                        if (headers.ValueKind != JsonValueKind.Object || !headers.TryGetProperty("Location", out _))
                        {
                            missing.Add($"{operation.Name.ToUpperInvariant()} {path.Name} 201: no Location");
                        }
                    }
                }
            }
        }

        Assert.True(missing.Count == 0, $"{missing.Count} answers undeclared:\n{string.Join("\n", missing.Take(40))}");
        Assert.True(created >= 3, $"only {created} 201 answers declared");
    }

    /// <summary>
    /// An API path written with repeated or encoded slashes is 404 problem details naming the canonical path, for every
    /// method and caller, never the dashboard's HTML page nor a 5xx. The kind found: <c>//api/v1/catalog</c> and
    /// <c>/api%2Fv1/catalog</c> answered the HTML not-found page.
    /// </summary>
    [Theory]
    [InlineData("//api/v1/catalog", "/api/v1/catalog")]
    [InlineData("///api/v1/municipalities/131016", "/api/v1/municipalities/131016")]
    [InlineData("/api//v1/catalog", "/api/v1/catalog")]
    [InlineData("/api/v1//catalog", "/api/v1/catalog")]
    [InlineData("/api%2Fv1/catalog", "/api/v1/catalog")]
    [InlineData("/api%2fv1%2Fcatalog", "/api/v1/catalog")]
    [InlineData("/%2Fapi/v1/catalog", "/api/v1/catalog")]
    [InlineData("//api", "/api")]
    public async Task An_api_path_with_repeated_or_encoded_slashes_is_a_404_problem_naming_the_canonical_path(string path, string canonical)
    {
        using var national = host.National();
        using var visitor = host.Client();
        foreach (var (client, method) in new[] { (national, HttpMethod.Get), (visitor, HttpMethod.Get), (national, HttpMethod.Put), (national, HttpMethod.Head) })
        {
            using var request = new HttpRequestMessage(method, new Uri(host.BaseAddress.GetLeftPart(UriPartial.Authority) + path));
            using var response = await client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.NotFound && response.Content.Headers.ContentType?.MediaType == "application/problem+json",
                $"{method} {path}: {(int)response.StatusCode} {response.Content.Headers.ContentType} {text[..Math.Min(160, text.Length)]}");
            Assert.True(RequestId(response) is not null, $"{method} {path}: no X-Request-Id");
            if (method != HttpMethod.Head)
            {
                Assert.True(NamesField(text, "path", "not_found") && text.Contains(canonical, StringComparison.Ordinal), $"{method} {path}: {text}");
            }
        }
    }

    private static string? RequestId(HttpResponseMessage response) => response.Headers.TryGetValues("X-Request-Id", out var ids) ? string.Join("|", ids) : null;

    private static string Problems(string value) => value.Length > 20 ? value[..20] + "…" : value;

    private static ByteArrayContent Compressed(string json, string coding)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(json));
        }

        var content = new ByteArrayContent(buffer.ToArray());
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        content.Headers.TryAddWithoutValidation("Content-Encoding", coding);
        return content;
    }

    private static bool NamesField(string text, string field, string code)
    {
        try
        {
            using var json = JsonDocument.Parse(text);
            return json.RootElement.TryGetProperty("errors", out var errors)
                && errors.EnumerateArray().Any(e => e.GetProperty("field").GetString() == field && e.GetProperty("code").GetString() == code);
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

/// <summary>A 429 carries X-Request-Id too: the rate limiter answers before any endpoint runs.</summary>
public sealed class RateLimitedRequestIdTests(RateLimitHost host) : IClassFixture<RateLimitHost>
{
    [Fact]
    public async Task A_429_carries_x_request_id()
    {
        using var client = host.Client(host.Token(Role.National, subject: $"request-id-{Guid.NewGuid():N}"));
        HttpResponseMessage? limited = null;
        for (var i = 0; i <= RateLimitHost.PerPerson && limited is null; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/catalog");
            request.Headers.Add("X-Request-Id", $"burst-{i}");
            var response = await client.SendAsync(request);
            Assert.True(response.Headers.TryGetValues("X-Request-Id", out var ids) && ids.Single() == $"burst-{i}", $"request {i}: {(int)response.StatusCode} without its X-Request-Id");
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
            else
            {
                response.Dispose();
            }
        }

        Assert.NotNull(limited);
        limited.Dispose();
    }
}
