using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>
/// A strong ETag names one representation (RFC 9110 §8.8.3), and a gzip or brotli body is another representation than
/// the identity body: every tagged read of the host (walked from its endpoints) answers a different tag per
/// content-coding, a 304 for each tag under the Accept-Encoding it was read with (carrying that same tag), and a write
/// takes as If-Match a tag read through gzip. The kind found: one tag was sent for gzip, br and identity alike.
/// </summary>
public sealed class CodedETagTests(WarmApiHost host, ITestOutputHelper output) : IClassFixture<WarmApiHost>
{
    private static readonly string[] Codings = ["identity", "gzip", "br"];

    [Fact]
    public async Task Every_tagged_read_has_a_tag_per_content_coding_and_each_tag_revalidates_to_304()
    {
        var patterns = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains(HttpMethods.Get) ?? false)
            .Select(e => e.RoutePattern.RawText!)
            .Where(p => !Readiness.Web.Api.HeadRequests.NotHeadPaths.Contains(p, StringComparer.OrdinalIgnoreCase))
            .Concat(["/css/dashboard.css", "/js/dashboard.js", "/favicon.svg"]) // static files: their own ETags, compressed too
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();

        var failures = new List<string>();
        var tagged = new HashSet<string>(StringComparer.Ordinal);
        var compressed = 0;
        foreach (var role in new[] { Readiness.Role.National, Readiness.Role.Admin })
        {
            using var client = await SignedInAsync(role);
            foreach (var pattern in patterns.Where(p => !tagged.Contains(p)))
            {
                var path = RouteValues.Fill(pattern);
                var answers = new List<(string Coding, string Tag, string? Sent)>();
                foreach (var coding in Codings)
                {
                    using var get = await Send(client, path, coding, null);
                    if (get.StatusCode != HttpStatusCode.OK || get.Headers.ETag is not { IsWeak: false } tag)
                    {
                        break;
                    }

                    answers.Add((coding, tag.ToString(), get.Content.Headers.ContentEncoding.SingleOrDefault()));
                }

                if (answers.Count < Codings.Length)
                {
                    continue;
                }

                tagged.Add(pattern);
                output.WriteLine($"{role} {path}: " + string.Join(", ", answers.Select(a => $"{a.Coding} → {a.Sent ?? "identity"} {a.Tag}")));
                compressed += answers.Count(a => a.Sent is not null);

                // Two answers in different codings never share a strong tag; answers in the same coding do.
                foreach (var a in answers)
                {
                    foreach (var b in answers.Where(b => b.Coding != a.Coding))
                    {
                        if ((a.Sent ?? "identity") != (b.Sent ?? "identity") && a.Tag == b.Tag)
                        {
                            failures.Add($"{path}: {a.Sent ?? "identity"} and {b.Sent ?? "identity"} share {a.Tag}");
                        }
                    }
                }

                // Each tag revalidates under the coding it was read with: 304 carrying that tag (unless the content moved on);
                // a HEAD carries the GET's tag.
                foreach (var (coding, tag, _) in answers)
                {
                    using (var head = new HttpRequestMessage(HttpMethod.Head, path))
                    {
                        head.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue(coding));
                        using var headAnswer = await client.SendAsync(head);
                        if (headAnswer.StatusCode == HttpStatusCode.OK && headAnswer.Headers.ETag?.ToString() is { } headTag && headTag != tag
                            && headTag.Trim('"').Split('-')[0] == tag.Trim('"').Split('-')[0])
                        {
                            failures.Add($"{path} ({coding}): HEAD {headTag}, GET {tag}");
                        }
                    }

                    using var again = await Send(client, path, coding, tag);
                    if (again.StatusCode == HttpStatusCode.NotModified)
                    {
                        // The Orleans Dashboard's files (a library's handler) answer their 304 with no ETag at all.
                        if (again.Headers.ETag?.ToString() != tag && !(again.Headers.ETag is null && path.StartsWith("/admin/orleans/", StringComparison.Ordinal)))
                        {
                            failures.Add($"{path} ({coding}): 304 with {again.Headers.ETag}, the 200 had {tag}");
                        }
                    }
                    else if (again.StatusCode != HttpStatusCode.OK || again.Headers.ETag?.ToString() == tag)
                    {
                        failures.Add($"{path} ({coding}): If-None-Match {tag} answered {(int)again.StatusCode} with {again.Headers.ETag}");
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures.Distinct()));
        foreach (var expected in new[]
        {
            "/api/v1/municipalities/{code}", "/api/v1/municipalities/{code}/systems/{businessId}", "/api/v1/prefectures/{prefCode}/systems",
            "/api/v1/export/municipalities.csv", "/api/v1/export/municipalities.xlsx", "/api/v1/nation", "/municipalities/{code}/history.csv",
        })
        {
            Assert.Contains(expected, tagged);
        }

        Assert.True(tagged.Count > 20 && compressed > 20, $"only {tagged.Count} tagged reads, {compressed} compressed answers");
    }

    [Fact]
    public async Task A_tag_read_through_gzip_or_brotli_is_taken_by_if_match_on_put_and_patch()
    {
        const string Path = $"/api/v1/municipalities/{ApiHost.Chiyoda}/systems/child_allowance";
        using var client = host.Municipality(ApiHost.Chiyoda, "coded-etag@city.chiyoda");
        using var identity = await Send(client, Path, "identity", null);
        using var gzip = await Send(client, Path, "gzip", null);
        Assert.Equal(HttpStatusCode.OK, gzip.StatusCode);
        Assert.Equal("gzip", gzip.Content.Headers.ContentEncoding.Single());
        var gzipTag = gzip.Headers.ETag!.ToString();
        Assert.NotEqual(identity.Headers.ETag!.ToString(), gzipTag);

        using (var put = new HttpRequestMessage(HttpMethod.Put, Path) { Content = new StringContent("""{"vendor":"圧縮経由ベンダ"}""", System.Text.Encoding.UTF8, "application/json") })
        {
            put.Headers.TryAddWithoutValidation("If-Match", gzipTag);
            put.Headers.TryAddWithoutValidation("Accept-Encoding", "gzip");
            using var answer = await client.SendAsync(put);
            Assert.True(answer.StatusCode == HttpStatusCode.OK, $"PUT with If-Match {gzipTag}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");

            // The same tag again is stale now: 412, nothing saved twice.
            using var stale = new HttpRequestMessage(HttpMethod.Put, Path) { Content = new StringContent("""{"vendor":"二度目"}""", System.Text.Encoding.UTF8, "application/json") };
            stale.Headers.TryAddWithoutValidation("If-Match", gzipTag);
            using var refused = await client.SendAsync(stale);
            Assert.Equal(HttpStatusCode.PreconditionFailed, refused.StatusCode);
        }

        using var br = await Send(client, Path, "br", null);
        var brTag = br.Headers.ETag!.ToString();
        Assert.EndsWith("-br\"", brTag, StringComparison.Ordinal);
        using var patch = new HttpRequestMessage(HttpMethod.Patch, Path) { Content = new StringContent("""{"vendor":"ブロトリ経由ベンダ"}""", System.Text.Encoding.UTF8, "application/merge-patch+json") };
        patch.Headers.TryAddWithoutValidation("If-Match", brTag);
        using var patched = await client.SendAsync(patch);
        Assert.True(patched.StatusCode == HttpStatusCode.OK, $"PATCH with If-Match {brTag}: {(int)patched.StatusCode}");

        // The prefecture's own systems: the same.
        using var prefecture = host.Client(host.Token(Readiness.Role.Prefecture, "13", "coded-etag@pref.tokyo"));
        const string Own = "/api/v1/prefectures/13/systems/public_assistance";
        using var own = await Send(prefecture, Own, "gzip", null);
        var ownTag = own.Headers.ETag!.ToString();
        Assert.EndsWith("-gzip\"", ownTag, StringComparison.Ordinal);
        using var ownPut = new HttpRequestMessage(HttpMethod.Put, Own) { Content = new StringContent("""{"phase":"contract","designated":false,"vendor":"都の圧縮経由ベンダ"}""", System.Text.Encoding.UTF8, "application/json") };
        ownPut.Headers.TryAddWithoutValidation("If-Match", ownTag);
        using var ownAnswer = await prefecture.SendAsync(ownPut);
        Assert.True(ownAnswer.StatusCode == HttpStatusCode.OK, $"PUT {Own} with If-Match {ownTag}: {(int)ownAnswer.StatusCode} {await ownAnswer.Content.ReadAsStringAsync()}");
    }

    private static Task<HttpResponseMessage> Send(HttpClient client, string path, string coding, string? ifNoneMatch)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue(coding));
        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }

        return client.SendAsync(request);
    }

    private async Task<HttpClient> SignedInAsync(Readiness.Role role)
    {
        // The page cookie and the API's bearer token on one client, so pages and API routes both get past sign-in.
        var token = host.Token(role);
        // Three minutes a request: the national .xlsx export is built for each coding, GET, HEAD and 304, on a loaded machine.
        var client = await host.SignedInPagesAsync(token, TimeSpan.FromSeconds(180));
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
