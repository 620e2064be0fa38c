using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Readiness.Web.Api;
using Readiness.Web.Api.OpenApi;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>
/// Every JSON read of the API answers conditional requests (RFC 9110 §13), read from the host's
/// <see cref="EndpointDataSource"/> so a new read is covered by default: its 200 carries an ETag and the same request
/// with <c>If-None-Match</c> of that tag is a 304 without a body. Before, a person's notifications, the imports, the
/// vendor and forecast views, the outbox, the webhooks, the API clients and the backups sent no ETag, so every poll
/// carried the whole answer.
/// </summary>
public sealed class ContentConditionalReadTests(WarmApiHost host, ITestOutputHelper output) : IClassFixture<WarmApiHost>
{
    /// <summary>
    /// GETs of the API that do not answer If-None-Match: the event stream, which never ends; a scenario, whose ETag is its
    /// version (the If-Match of its replacement) while its comparison with the baseline changes under the same version.
    /// </summary>
    private static readonly string[] NotConditional = ["/api/v1/stream", "/api/v1/scenarios/{scenario}"];

    [Fact]
    public void Every_get_of_the_api_is_marked_as_answering_conditional_requests()
    {
        var unmarked = ApiGets().Where(e => e.Metadata.GetMetadata<ConditionalRead>() is null).Select(e => e.RoutePattern.RawText!).Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.True(unmarked.Count == 0, "GETs without conditional requests: " + string.Join(", ", unmarked));
    }

    [Fact]
    public async Task Every_json_read_of_the_api_sends_an_etag_and_answers_304_for_it()
    {
        var patterns = ApiGets().Select(e => e.RoutePattern.RawText!).Distinct().Order(StringComparer.Ordinal).ToList();
        var taggedByContent = ApiGets().Where(e => e.Metadata.GetMetadata<ContentConditionalRead.TaggedByContent>() is not null).Select(e => e.RoutePattern.RawText!).ToHashSet();
        Assert.Contains(patterns, p => p.TrimEnd('/') == "/api/v1/notifications");
        Assert.Contains(patterns, p => p.TrimEnd('/') == "/api/v1/imports");
        Assert.Contains("/api/v1/reconciliation.csv", patterns);
        Assert.True(patterns.Count > 30, $"only {patterns.Count} API GET routes found");

        var failures = new List<string>();
        var checkedReads = 0;
        var contentTagged = 0;
        foreach (var (role, tenant) in new (Role, string?)[] { (Role.National, null), (Role.Admin, null), (Role.Municipality, ApiHost.Chiyoda) })
        {
            var token = host.Token(role, tenant);
            using var client = host.Client(token);
            foreach (var pattern in patterns)
            {
                var path = RouteValues.Fill(pattern);
                using var first = await client.GetAsync(path);
                if (first.StatusCode != HttpStatusCode.OK)
                {
                    output.WriteLine($"{role} {path}: {(int)first.StatusCode} (not a read for this role)");
                    continue;
                }

                checkedReads++;
                var etag = first.Headers.ETag;
                if (etag is null)
                {
                    failures.Add($"{role} {path}: 200 without an ETag");
                    continue;
                }

                // A tag made from the content is the hash of exactly the JSON sent (serialized once), with its length.
                if (taggedByContent.Contains(pattern) && first.Content.Headers.ContentType?.MediaType == "application/json")
                {
                    var sent = await first.Content.ReadAsByteArrayAsync();
                    contentTagged++;
                    if (Preconditions.ContentETag(sent) != etag.Tag || first.Content.Headers.ContentLength != sent.Length)
                    {
                        failures.Add($"{role} {path}: ETag {etag.Tag} is not the hash of the {sent.Length} bytes sent (Content-Length {first.Content.Headers.ContentLength})");
                    }
                }

                using var request = new HttpRequestMessage(HttpMethod.Get, path);
                request.Headers.IfNoneMatch.Add(etag);
                using var again = await client.SendAsync(request);
                var body = await again.Content.ReadAsByteArrayAsync();
                output.WriteLine($"{role} {path}: ETag {etag}, again {(int)again.StatusCode} with {body.Length} bytes");
                if (again.StatusCode != HttpStatusCode.NotModified || body.Length != 0)
                {
                    failures.Add($"{role} {path}: If-None-Match {etag} answered {(int)again.StatusCode} with {body.Length} bytes");
                }
            }
        }

        Assert.True(checkedReads > 40, $"only {checkedReads} reads answered 200");
        Assert.True(contentTagged > 15, $"only {contentTagged} reads were tagged by their content");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task A_change_of_preferences_changes_their_etag_and_leaves_the_lists()
    {
        var subject = "etag-inbox-" + Guid.NewGuid().ToString("N")[..8];
        var token = host.Token(Role.Municipality, ApiHost.Chiyoda, subject);
        using var client = host.Client(token);
        using var first = await client.GetAsync("/api/v1/notifications");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var etag = first.Headers.ETag;
        Assert.NotNull(etag);
        Assert.True(first.Headers.CacheControl is { Private: true, NoCache: true }, $"Cache-Control: {first.Headers.CacheControl}");

        // The preferences are another resource: changing them leaves the list's tag alone, and changes their own.
        using var prefs = await client.GetAsync("/api/v1/notifications/preferences");
        var prefsTag = prefs.Headers.ETag;
        Assert.NotNull(prefsTag);
        using var put = await client.PutAsync("/api/v1/notifications/preferences",
            new StringContent("""{"items":[{"kind":"regression","mail":false,"inApp":false,"frequency":"weekly"}]}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.True(put.IsSuccessStatusCode, $"PUT preferences: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");

        using var listAgain = new HttpRequestMessage(HttpMethod.Get, "/api/v1/notifications");
        listAgain.Headers.IfNoneMatch.Add(etag!);
        using var unchanged = await client.SendAsync(listAgain);
        Assert.Equal(HttpStatusCode.NotModified, unchanged.StatusCode);
        Assert.Equal(etag, unchanged.Headers.ETag);

        using var prefsAgain = new HttpRequestMessage(HttpMethod.Get, "/api/v1/notifications/preferences");
        prefsAgain.Headers.IfNoneMatch.Add(prefsTag!);
        using var changed = await client.SendAsync(prefsAgain);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.NotEqual(prefsTag, changed.Headers.ETag);

        // A malformed If-None-Match is refused as on every other read, without an ETag.
        using var malformed = new HttpRequestMessage(HttpMethod.Get, "/api/v1/notifications");
        malformed.Headers.TryAddWithoutValidation("If-None-Match", "not-a-tag");
        using var refused = await client.SendAsync(malformed);
        await ApiHost.AssertProblem(refused, HttpStatusCode.BadRequest, "If-None-Match");
    }

    private IEnumerable<RouteEndpoint> ApiGets() =>
        host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains(HttpMethods.Get) ?? false)
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/v1/", StringComparison.OrdinalIgnoreCase)) // not /api/docs, the reference UI's files
            .Where(e => !NotConditional.Contains(e.RoutePattern.RawText!, StringComparer.OrdinalIgnoreCase));
}
