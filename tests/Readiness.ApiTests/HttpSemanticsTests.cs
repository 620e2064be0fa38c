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
/// <see cref="EndpointDataSource"/> (a new endpoint is covered without being listed): a compressed request body.
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
