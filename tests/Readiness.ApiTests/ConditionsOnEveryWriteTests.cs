using System.Net;
using System.Text;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// If-Match and If-None-Match are read the one way on every write under /api whose target carries an ETag (a
/// breaker's finding, round 46, low): a scenario's create, replacement and deletion answered If-None-Match with
/// nothing (they wrote under <c>If-None-Match: *</c>, the current tag or garbage), and the writes whose target is tagged
/// by its content (a person's notification choices, an API client, the lists new webhooks, clients, imports and backups
/// join) ignored both headers. Now: malformed is 400 naming the header; If-Match not satisfied, or If-None-Match
/// matching, is 412 naming it with the current ETag; nothing is written.
/// </summary>
public sealed class ConditionsOnEveryWriteTests(ApiHost host) : IClassFixture<ApiHost>
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static HttpRequestMessage Write(HttpMethod method, string path, string? json, string header, string value)
    {
        var request = new HttpRequestMessage(method, path) { Content = json is null ? null : Json(json) };
        request.Headers.TryAddWithoutValidation(header, value);
        return request;
    }

    [Fact]
    public async Task A_scenario_create_or_replace_answers_if_none_match()
    {
        await host.WaitUntilReadyAsync();
        using var national = host.National();

        // "*" on a name not yet taken: a create that never replaces.
        using (var created = await national.SendAsync(Write(HttpMethod.Post, "/api/v1/scenarios", """{"name":"none-match-post","description":"v1"}""", "If-None-Match", "*")))
        {
            Assert.True(created.StatusCode == HttpStatusCode.Created, $"{created.StatusCode}: {await created.Content.ReadAsStringAsync()}");
        }

        foreach (var (value, status) in new[] { ("*", HttpStatusCode.PreconditionFailed), ("\"1\"", HttpStatusCode.PreconditionFailed), ("W/\"1\"", HttpStatusCode.PreconditionFailed), ("garbage", HttpStatusCode.BadRequest) })
        {
            using var response = await national.SendAsync(Write(HttpMethod.Post, "/api/v1/scenarios", """{"name":"none-match-post","description":"v2","version":1}""", "If-None-Match", value));
            await ApiHost.AssertProblem(response, status, "If-None-Match");
            if (status == HttpStatusCode.PreconditionFailed)
            {
                Assert.Equal("\"1\"", response.Headers.ETag?.Tag);
            }

            using var read = await national.GetAsync("/api/v1/scenarios/none-match-post");
            Assert.Equal("\"1\"", read.Headers.ETag?.Tag);
        }

        // A tag of another version does not match: the replacement goes through.
        using var replaced = await national.SendAsync(Write(HttpMethod.Post, "/api/v1/scenarios", """{"name":"none-match-post","description":"v2","version":1}""", "If-None-Match", "\"7\""));
        Assert.True(replaced.StatusCode == HttpStatusCode.OK, $"{replaced.StatusCode}: {await replaced.Content.ReadAsStringAsync()}");
        Assert.Equal("\"2\"", replaced.Headers.ETag?.Tag);
    }

    [Fact]
    public async Task A_scenario_deletion_answers_if_none_match()
    {
        await host.WaitUntilReadyAsync();
        using var national = host.National();
        using (var created = await national.PostAsync("/api/v1/scenarios", Json("""{"name":"none-match-delete"}""")))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        foreach (var (value, status) in new[] { ("*", HttpStatusCode.PreconditionFailed), ("\"1\"", HttpStatusCode.PreconditionFailed), ("garbage", HttpStatusCode.BadRequest) })
        {
            using var request = Write(HttpMethod.Delete, "/api/v1/scenarios/none-match-delete", null, "If-None-Match", value);
            request.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
            using var response = await national.SendAsync(request);
            await ApiHost.AssertProblem(response, status, "If-None-Match");
            using var read = await national.GetAsync("/api/v1/scenarios/none-match-delete");
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        using var deleted = await national.SendAsync(Write(HttpMethod.Delete, "/api/v1/scenarios/none-match-delete", null, "If-Match", "\"1\""));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }

    /// <summary>
    /// Every write whose target's GET is tagged by its content: (method, path, body, the GET of its target). Each
    /// condition that does not hold is 412 naming its header with the target's current ETag, a malformed one 400, and
    /// the target's ETag is unchanged after all of them (nothing written); with the current tag as If-Match it writes.
    /// </summary>
    public static TheoryData<string, string, string?, string, string> ContentTaggedWrites => new()
    {
        { "PUT", "/api/v1/notifications/preferences", """{"items":[{"kind":"overdue","mail":false,"inApp":true,"frequency":"daily"}]}""", "/api/v1/notifications/preferences", "Municipality" },
        { "POST", "/api/v1/admin/webhooks", """{"url":"https://hooks.example/conditions","tenant":"13"}""", "/api/v1/admin/webhooks", "Admin" },
        { "POST", "/api/v1/admin/backups", null, "/api/v1/admin/backups", "Admin" },
    };

    [Theory]
    [MemberData(nameof(ContentTaggedWrites))]
    public async Task A_write_to_a_content_tagged_target_answers_both_conditions(string method, string path, string? json, string target, string role)
    {
        await host.WaitUntilReadyAsync();
        using var client = role == "Admin" ? host.Client(host.Token(Role.Admin, subject: "conditions.admin@digital.go.jp")) : host.Municipality(ApiHost.Chuo, "conditions@city.chuo");
        var before = await ETagAsync(client, target);

        foreach (var (header, value, status) in new[]
        {
            ("If-Match", "\"0000000000000000\"", HttpStatusCode.PreconditionFailed),
            ("If-Match", "garbage", HttpStatusCode.BadRequest),
            ("If-None-Match", "*", HttpStatusCode.PreconditionFailed),
            ("If-None-Match", before, HttpStatusCode.PreconditionFailed),
            ("If-None-Match", "W/" + before, HttpStatusCode.PreconditionFailed),
            ("If-None-Match", "garbage", HttpStatusCode.BadRequest),
        })
        {
            using var response = await client.SendAsync(Write(new HttpMethod(method), path, json, header, value));
            await ApiHost.AssertProblem(response, status, header);
            if (status == HttpStatusCode.PreconditionFailed)
            {
                Assert.Equal(before, response.Headers.ETag?.Tag);
            }

            Assert.Equal(before, await ETagAsync(client, target));
        }

        using var written = await client.SendAsync(Write(new HttpMethod(method), path, json, "If-Match", before));
        Assert.True((int)written.StatusCode is >= 200 and < 300, $"{method} {path} with its current tag: {written.StatusCode} {await written.Content.ReadAsStringAsync()}");
    }

    private static async Task<string> ETagAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return response.Headers.ETag!.Tag;
    }
}
