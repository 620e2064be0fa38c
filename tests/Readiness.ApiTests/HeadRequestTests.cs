using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>
/// HEAD on every GET resource of the host (RFC 9110 §9.1, §9.3.2), read from its <see cref="EndpointDataSource"/>: the
/// API, the dashboard's pages, the exports, the map data, the OpenAPI document, the sign-in routes. A HEAD gets the
/// GET's status and Content-Type and no content; only the routes that never end or whose GET changes state refuse it
/// (405, <see cref="Readiness.Web.Api.HeadRequests.NotHeadPaths"/>).
/// </summary>
public sealed class HeadRequestTests(WarmApiHost host, ITestOutputHelper output) : IClassFixture<WarmApiHost>
{
    [Fact]
    public async Task Every_get_route_answers_head_as_its_get_without_content()
    {
        var patterns = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains(HttpMethods.Get) ?? false)
            .Select(e => e.RoutePattern.RawText!)
            .Where(p => !Readiness.Web.Api.HeadRequests.NotHeadPaths.Contains(p, StringComparer.OrdinalIgnoreCase))
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Contains("/", patterns);
        Assert.Contains("/map/{layer}.json", patterns);
        Assert.Contains("/api/v1/municipalities/{code}", patterns);
        Assert.True(patterns.Count > 40, $"only {patterns.Count} GET routes found");

        // Signed in (the page cookie, with the API's bearer token too) as national staff and as an administrator, so
        // every route gets past authorization for one of them (the administrator's include the Orleans Dashboard);
        // each route is asked by GET then HEAD, and a HEAD that never answers fails the test by its timeout.
        var failures = new List<string>();
        foreach (var role in new[] { Readiness.Role.National, Readiness.Role.Admin })
        {
            using var client = await SignedInAsync(role);
            foreach (var pattern in patterns)
            {
                var path = RouteValues.Fill(pattern);
                using var get = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
                var getType = get.Content.Headers.ContentType?.MediaType;
                using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
                var content = await head.Content.ReadAsByteArrayAsync();
                output.WriteLine($"{role} {pattern} ({path}): GET {(int)get.StatusCode} {getType}, HEAD {(int)head.StatusCode} {head.Content.Headers.ContentType?.MediaType} {content.Length} bytes");
                if (head.StatusCode != get.StatusCode || head.Content.Headers.ContentType?.MediaType != getType || content.Length != 0)
                {
                    failures.Add($"{role} {pattern} ({path}): GET {(int)get.StatusCode} {getType}, HEAD {(int)head.StatusCode} {head.Content.Headers.ContentType?.MediaType} with {content.Length} bytes");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task The_routes_that_never_end_or_change_state_refuse_head_and_head_signs_nobody_out()
    {
        using var client = await SignedInAsync(Readiness.Role.Admin);
        foreach (var path in new[] { Readiness.Web.Api.HeadRequests.EventStreamPath + "?topic=nation", "/admin/orleans/Trace", "/ADMIN/orleans/trace", "/auth/signout" })
        {
            using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
            Assert.True(head.StatusCode == HttpStatusCode.MethodNotAllowed, $"HEAD {path}: {(int)head.StatusCode}");
        }

        // Still signed in: the page answers, not the sign-in redirect.
        client.DefaultRequestHeaders.Authorization = null;
        using var page = await client.GetAsync("/account");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    /// <summary>
    /// A 405's Allow names HEAD wherever it names GET and HEAD is answered (integrator's finding: it listed GET alone),
    /// on every route of the host, read from its endpoints: each is sent a method it does not map.
    /// </summary>
    [Fact]
    public async Task A_405_allows_head_wherever_it_allows_get_and_head_is_answered()
    {
        var routes = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>() is { HttpMethods.Count: > 0 })
            .GroupBy(e => e.RoutePattern.RawText!)
            .Select(g => (Pattern: g.Key, Methods: g.SelectMany(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods).ToHashSet(StringComparer.OrdinalIgnoreCase)))
            .Where(r => r.Methods.Contains(HttpMethods.Get))
            .OrderBy(r => r.Pattern, StringComparer.Ordinal)
            .ToList();
        Assert.True(routes.Count > 40, $"only {routes.Count} GET routes found");

        using var client = await SignedInAsync(Readiness.Role.Admin);
        var failures = new List<string>();
        var asked = 0;
        foreach (var (pattern, methods) in routes)
        {
            var method = new[] { HttpMethods.Delete, HttpMethods.Patch, HttpMethods.Put, HttpMethods.Post }.FirstOrDefault(m => !methods.Contains(m));
            if (method is null)
            {
                continue;
            }

            var path = RouteValues.Fill(pattern);
            using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") });
            if (response.StatusCode != HttpStatusCode.MethodNotAllowed)
            {
                failures.Add($"{method} {path}: {(int)response.StatusCode}, not 405");
                continue;
            }

            asked++;
            var allow = response.Content.Headers.Allow.ToHashSet(StringComparer.OrdinalIgnoreCase);
            var headAnswered = !Readiness.Web.Api.HeadRequests.NotHeadPaths.Any(p => path.StartsWith(p, StringComparison.OrdinalIgnoreCase));
            if (!allow.Contains(HttpMethods.Get) || allow.Contains(HttpMethods.Head) != headAnswered)
            {
                failures.Add($"{method} {path}: Allow {string.Join(", ", allow)} (HEAD answered there: {headAnswered})");
            }
        }

        output.WriteLine($"{asked} routes answered 405");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(asked > 40, $"only {asked} routes answered 405");
    }

    private async Task<HttpClient> SignedInAsync(Readiness.Role role)
    {
        // The page cookie and the API's bearer token on one client, so pages and API routes both get past sign-in.
        var token = host.Token(role);
        // A minute per request: a HEAD that never answers still fails, and the national .xlsx export (a 4.5 MB workbook of
        // 34,820 rows, built for the GET and again for the HEAD, ~3 s each on a quiet machine) has room on a loaded one.
        var client = await host.SignedInPagesAsync(token, TimeSpan.FromSeconds(60));
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
