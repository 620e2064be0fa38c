using System.IO.Compression;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Readiness.Web.Summaries;

namespace Readiness.HostTests.Summaries;

/// <summary>
/// One read path: every summary the node serves (the API's nation, prefecture list and prefecture, the map data) comes
/// from the one summary cache, as one payload per version with a strong ETag, 304 for a reader who has it, and the same
/// bytes in every encoding, each coding with its own strong tag ("12-gzip"; RFC 9110 §8.8.3, CodedEntityTags); the event stream starts from the same snapshot.
/// </summary>
[Collection(SummaryHostCollection.Name)]
public sealed class SummaryReadPathTests(SummaryHost fixture)
{
    public static readonly TheoryData<string> Paths = new() { "/api/v1/nation", "/api/v1/prefectures", "/api/v1/prefectures/13", "/api/v1/prefectures/47", "/live/map-data" };

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task A_summary_has_a_strong_ETag_answers_304_to_it_and_is_the_same_bytes_in_every_encoding_tagged_by_its_coding(string path)
    {
        using var http = fixture.Host.CreateNationalClient();
        await WarmAsync(http);

        // The nation can move between two requests (a reconciliation); then the whole check is made again.
        for (var attempt = 1; ; attempt++)
        {
            using var plain = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
            var etag = plain.Headers.ETag!;
            Assert.False(etag.IsWeak);
            Assert.Contains("Accept-Encoding", plain.Headers.Vary);
            Assert.Equal("application/json", plain.Content.Headers.ContentType?.MediaType);
            var body = await plain.Content.ReadAsByteArrayAsync();
            using (JsonDocument.Parse(body))
            {
            }

            var consistent = true;
            foreach (var ifNoneMatch in new[] { etag.Tag, $"\"other\", {etag.Tag}", "*" })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, path);
                request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
                using var again = await http.SendAsync(request);
                consistent &= again.Headers.ETag?.Tag == etag.Tag;
                if (consistent)
                {
                    Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
                    Assert.Empty(await again.Content.ReadAsByteArrayAsync());
                }
            }

            using (var request = new HttpRequestMessage(HttpMethod.Get, path))
            {
                request.Headers.TryAddWithoutValidation("If-None-Match", "\"not-this-one\"");
                using var changed = await http.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
            }

            foreach (var encoding in new[] { "br", "gzip" })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, path);
                request.Headers.AcceptEncoding.ParseAdd(encoding);
                using var compressed = await http.SendAsync(request);
                var coded = Readiness.Web.Api.CodedEntityTags.Coded(etag.Tag, encoding);
                consistent &= compressed.Headers.ETag?.Tag == coded;
                if (consistent)
                {
                    using var revalidate = new HttpRequestMessage(HttpMethod.Get, path);
                    revalidate.Headers.AcceptEncoding.ParseAdd(encoding);
                    revalidate.Headers.TryAddWithoutValidation("If-None-Match", coded);
                    using var notModified = await http.SendAsync(revalidate);
                    Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
                    Assert.Equal(coded, notModified.Headers.ETag?.Tag);

                    Assert.Equal(encoding, Assert.Single(compressed.Content.Headers.ContentEncoding));
                    await using var raw = await compressed.Content.ReadAsStreamAsync();
                    await using Stream decoder = encoding == "br" ? new BrotliStream(raw, CompressionMode.Decompress) : new GZipStream(raw, CompressionMode.Decompress);
                    using var decoded = new MemoryStream();
                    await decoder.CopyToAsync(decoded);
                    Assert.Equal(body, decoded.ToArray());
                }
            }

            if (consistent || attempt == 3)
            {
                Assert.True(consistent, $"{path} changed on every one of 3 attempts");
                return;
            }
        }
    }

    [Fact]
    public async Task The_API_the_map_data_and_the_event_stream_serve_the_cache_s_snapshot()
    {
        using var http = fixture.Host.CreateNationalClient();
        await WarmAsync(http);
        var cache = fixture.Host.Services.GetRequiredService<SummaryCache>();
        for (var attempt = 1; ; attempt++)
        {
            var snapshot = cache.Current!;
            using var nation = await http.GetAsync("/api/v1/nation");
            using var tokyo = await http.GetAsync("/api/v1/prefectures/13");
            using var map = await http.GetAsync("/live/map-data");
            var nationJson = JsonDocument.Parse(await nation.Content.ReadAsByteArrayAsync()).RootElement;
            var streamVersion = await FirstStreamVersionAsync(fixture.Host.CreateNationalClient());
            if (!ReferenceEquals(snapshot, cache.Current) && attempt < 3)
            {
                continue; // a new snapshot arrived in between: compare again
            }

            Assert.Equal(snapshot.NationResponses.Nation.ETag, nation.Headers.ETag?.Tag);
            Assert.Equal(snapshot.NationResponses.Nation.Body, await nation.Content.ReadAsByteArrayAsync());
            Assert.Equal(snapshot.Nation.Version, nationJson.GetProperty("version").GetInt64());
            Assert.Equal(SummarySerializer.ETag(snapshot.Nation.Version, snapshot.Nation.ComputedAt), nation.Headers.ETag?.Tag);
            Assert.Equal(snapshot.Prefectures["13"].Response.ETag, tokyo.Headers.ETag?.Tag);
            Assert.Equal(snapshot.Prefectures["13"].Response.Body, await tokyo.Content.ReadAsByteArrayAsync());
            Assert.Equal(snapshot.MapData.ETag, map.Headers.ETag?.Tag);
            Assert.Equal(snapshot.Nation.Version, streamVersion);
            return;
        }
    }

    private static async Task WarmAsync(HttpClient http)
    {
        for (var i = 0; i < 240; i++)
        {
            using var response = await http.GetAsync("/api/v1/nation");
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return;
            }

            await Task.Delay(1000);
        }

        Assert.Fail("The nation did not become available in 4 minutes.");
    }

    private static async Task<long> FirstStreamVersionAsync(HttpClient client)
    {
        using (client)
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            using var response = await client.GetAsync("/api/v1/stream?topic=nation", HttpCompletionOption.ResponseHeadersRead, cancel.Token);
            response.EnsureSuccessStatusCode();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel.Token));
            while (await reader.ReadLineAsync(cancel.Token) is { } line)
            {
                if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    using var json = JsonDocument.Parse(line[6..]);
                    return json.RootElement.GetProperty("version").GetInt64();
                }
            }

            throw new InvalidOperationException("The stream ended before its first event.");
        }
    }
}
