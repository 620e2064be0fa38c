using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>
/// RFC 9110 §12.5.5: an answer whose representation the request's Accept-Encoding can change says <c>Vary:
/// Accept-Encoding</c>, whatever the request offered, and so does its 304, its HEAD and its 412. Walked over every GET
/// of the host (API reads, CSV exports, pages, the Orleans Dashboard's files) and the static assets: a route varies when
/// a gzip request is answered in gzip. A breaker's finding: a 200 sent without Accept-Encoding carried no Vary (the
/// response compression adds it only when the request named a coding), so a cache could serve it to a gzip client.
/// </summary>
public sealed class VaryAcceptEncodingTests(WarmApiHost host, ITestOutputHelper output) : IClassFixture<WarmApiHost>
{
    /// <summary>Failed before: every compressed route's 200 and HEAD without Accept-Encoding lacked Vary, and its 412 too.</summary>
    [Fact]
    public async Task Every_answer_of_a_compressed_route_varies_by_accept_encoding_200_head_304_and_412()
    {
        var patterns = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains(HttpMethods.Get) ?? false)
            .Select(e => e.RoutePattern.RawText!)
            .Where(p => !Readiness.Web.Api.HeadRequests.NotHeadPaths.Contains(p, StringComparer.OrdinalIgnoreCase))
            .Concat(["/css/dashboard.css", "/js/dashboard.js", "/favicon.svg"])
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();

        var failures = new List<string>();
        var varying = new HashSet<string>(StringComparer.Ordinal);
        foreach (var role in new[] { Readiness.Role.National, Readiness.Role.Admin })
        {
            var token = host.Token(role);
            using var client = await host.SignedInPagesAsync(token, TimeSpan.FromSeconds(180));
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            foreach (var pattern in patterns.Where(p => !varying.Contains(p)))
            {
                var path = RouteValues.Fill(pattern);
                using var gzip = await Send(client, HttpMethod.Get, path, "gzip");
                if (gzip.StatusCode != HttpStatusCode.OK || !gzip.Content.Headers.ContentEncoding.Contains("gzip"))
                {
                    continue;
                }

                varying.Add(pattern);
                void Check(string what, HttpResponseMessage answer)
                {
                    if (!answer.Headers.Vary.Contains("Accept-Encoding", StringComparer.OrdinalIgnoreCase))
                    {
                        failures.Add($"{path}: {what} answered {(int)answer.StatusCode} without Vary: Accept-Encoding ({string.Join(", ", answer.Headers.Vary)})");
                    }
                }

                Check("gzip GET", gzip);
                using var plain = await Send(client, HttpMethod.Get, path, null);
                Check("GET without Accept-Encoding", plain);
                using var head = await Send(client, HttpMethod.Head, path, null);
                Check("HEAD without Accept-Encoding", head);
                if (plain.Headers.ETag is { } tag)
                {
                    using var notModified = await Send(client, HttpMethod.Get, path, null, ifNoneMatch: tag.ToString());
                    if (notModified.StatusCode == HttpStatusCode.NotModified)
                    {
                        Check("304 without Accept-Encoding", notModified);
                    }

                    using var failed = await Send(client, HttpMethod.Get, path, "gzip", ifMatch: "\"no-such-tag\"");
                    if (failed.StatusCode == HttpStatusCode.PreconditionFailed)
                    {
                        Check("412 under gzip", failed);
                        if (failed.Headers.ETag is { } failedTag && failedTag.Tag != gzip.Headers.ETag?.Tag)
                        {
                            failures.Add($"{path}: 412 under gzip carried {failedTag}, its 200 {gzip.Headers.ETag}");
                        }
                    }
                }
            }
        }

        output.WriteLine($"{varying.Count} routes answer in gzip: {string.Join(" ", varying)}");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Distinct()));
        foreach (var expected in new[] { "/api/v1/nation", "/api/v1/municipalities/{code}", "/api/v1/export/municipalities.csv", "/css/dashboard.css", "/" })
        {
            Assert.Contains(expected, varying);
        }
    }

    private static Task<HttpResponseMessage> Send(HttpClient client, HttpMethod method, string path, string? coding, string? ifNoneMatch = null, string? ifMatch = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (coding is not null)
        {
            request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue(coding));
        }

        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }

        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return client.SendAsync(request);
    }
}
