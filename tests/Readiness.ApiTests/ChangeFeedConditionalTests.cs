using System.Net;
using System.Text.Json;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The change feeds of a prefecture and of the nation answer conditional requests as the municipality does, for API
/// clients that poll them (a prefecture's system every minute, a nightly job): a strong ETag stable while nothing in
/// the area changes, Cache-Control private, no-cache, 304 with no body for a matching If-None-Match (and "*"), HEAD
/// alike, a new tag and 200 once a change in the area is committed, and the same tag when a change elsewhere is.
/// Failed before: the feeds sent no ETag and answered every If-None-Match with the whole page.
/// </summary>
public sealed class ChangeFeedConditionalTests(ApiHost host) : IClassFixture<ApiHost>
{
    private static async Task<HttpResponseMessage> Send(HttpClient client, string path, string? ifNoneMatch = null, HttpMethod? method = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Get, path);
        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }

        return await client.SendAsync(request);
    }

    private static string Newest(JsonElement page) =>
        page.GetProperty("items") is { ValueKind: JsonValueKind.Array } items && items.GetArrayLength() > 0
            ? $"{items[0].GetProperty("municipalityCode").GetString()} {items[0].GetProperty("after").GetProperty("vendor").GetString()}"
            : "(none)";

    [Fact]
    public async Task A_poller_gets_304_until_a_change_in_its_area_is_committed_then_200_with_a_new_tag()
    {
        using var national = host.National();
        using var tokyo = host.Client(host.Token(Role.Prefecture, "13", "pref-13"));
        using var chiyoda = host.Municipality(ApiHost.Chiyoda, "tanaka");
        using var osaka = host.Municipality(ApiHost.Osaka, "kimura");
        await host.PutSystem(chiyoda, ApiHost.Chiyoda, "koseki", """{"vendor":"ポーリング1"}""");

        var feeds = new (HttpClient Client, string Path)[] { (tokyo, "/api/v1/prefectures/13/changes"), (national, "/api/v1/nation/changes"), (national, "/api/v1/nation/changes?limit=1") };
        var tags = new Dictionary<string, string>();
        foreach (var (client, path) in feeds)
        {
            using var first = await Send(client, path);
            using var second = await Send(client, path);
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            var etag = first.Headers.ETag;
            Assert.True(etag is { IsWeak: false }, $"{path}: no strong ETag ({etag})");
            Assert.Equal(etag!.Tag, second.Headers.ETag?.Tag); // stable across two reads
            Assert.True(first.Headers.CacheControl is { Private: true, NoCache: true }, $"{path}: Cache-Control {first.Headers.CacheControl}");
            tags[path] = etag.Tag;

            foreach (var condition in new[] { etag.Tag, $"\"other\", {etag.Tag}", $"W/{etag.Tag}", "*" })
            {
                using var notModified = await Send(client, path, condition);
                Assert.True(notModified.StatusCode == HttpStatusCode.NotModified, $"{path} If-None-Match {condition}: {notModified.StatusCode}");
                Assert.Equal(etag.Tag, notModified.Headers.ETag?.Tag);
                Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
                Assert.True(notModified.Headers.CacheControl is { Private: true, NoCache: true }, $"{path}: a 304 with Cache-Control {notModified.Headers.CacheControl}");
            }

            using var head = await Send(client, path, method: HttpMethod.Head);
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal(etag.Tag, head.Headers.ETag?.Tag);
            Assert.Empty(await head.Content.ReadAsByteArrayAsync());
            using var headNotModified = await Send(client, path, etag.Tag, HttpMethod.Head);
            Assert.Equal(HttpStatusCode.NotModified, headNotModified.StatusCode);
            Assert.Equal(etag.Tag, headNotModified.Headers.ETag?.Tag);
        }

        // A change in Osaka: the nation's feed is another page, Tokyo's is the same one (same tag, still 304).
        await host.PutSystem(osaka, ApiHost.Osaka, "koseki", """{"vendor":"ポーリング大阪"}""");
        using (var nation = await Send(national, "/api/v1/nation/changes", tags["/api/v1/nation/changes"]))
        {
            Assert.Equal(HttpStatusCode.OK, nation.StatusCode);
            Assert.NotEqual(tags["/api/v1/nation/changes"], nation.Headers.ETag?.Tag);
            Assert.Equal($"{ApiHost.Osaka} ポーリング大阪", Newest(await ApiHost.Json(nation)));
        }

        using (var unchanged = await Send(tokyo, "/api/v1/prefectures/13/changes", tags["/api/v1/prefectures/13/changes"]))
        {
            Assert.Equal(HttpStatusCode.NotModified, unchanged.StatusCode);
        }

        // A change in Tokyo: Tokyo's feed answers 200 with the change and a new tag, which is then stable.
        await host.PutSystem(chiyoda, ApiHost.Chiyoda, "koseki", """{"vendor":"ポーリング2"}""");
        using var changed = await Send(tokyo, "/api/v1/prefectures/13/changes", tags["/api/v1/prefectures/13/changes"]);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        var newTag = changed.Headers.ETag?.Tag;
        Assert.NotNull(newTag);
        Assert.NotEqual(tags["/api/v1/prefectures/13/changes"], newTag);
        Assert.Equal($"{ApiHost.Chiyoda} ポーリング2", Newest(await ApiHost.Json(changed)));
        using var again = await Send(tokyo, "/api/v1/prefectures/13/changes", newTag);
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
    }

    [Fact]
    public async Task An_older_page_keeps_its_tag_while_newer_changes_arrive()
    {
        using var national = host.National();
        using var chuo = host.Municipality(ApiHost.Chuo, "sato");
        await host.PutSystem(chuo, ApiHost.Chuo, "koseki", """{"vendor":"古いページ1"}""");
        await host.PutSystem(chuo, ApiHost.Chuo, "resident_registry", """{"vendor":"古いページ2"}""");

        using var newest = await Send(national, "/api/v1/nation/changes?limit=1");
        var cursor = (await ApiHost.Json(newest)).GetProperty("nextCursor").GetString();
        Assert.NotNull(cursor);
        var older = $"/api/v1/nation/changes?limit=1&cursor={Uri.EscapeDataString(cursor)}";
        using var before = await Send(national, older);
        var tag = before.Headers.ETag?.Tag;
        Assert.NotNull(tag);

        await host.PutSystem(chuo, ApiHost.Chuo, "child_allowance", """{"vendor":"古いページ3"}""");
        using var after = await Send(national, older, tag);
        Assert.Equal(HttpStatusCode.NotModified, after.StatusCode); // the same rows below the cursor: the same page
        using var newestAgain = await Send(national, "/api/v1/nation/changes?limit=1", newest.Headers.ETag?.Tag);
        Assert.Equal(HttpStatusCode.OK, newestAgain.StatusCode);
    }

    [Fact]
    public async Task The_catalog_is_tagged_and_answers_304()
    {
        using var national = host.National();
        using var first = await Send(national, "/api/v1/catalog");
        var etag = first.Headers.ETag;
        Assert.True(etag is { IsWeak: false }, $"no strong ETag ({etag})");
        using var notModified = await Send(national, "/api/v1/catalog", etag!.Tag);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
    }
}
