using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// Entity tags read exactly as RFC 9110 §8.8.3 spells them, over real HTTP (a breaker's findings, round 42): a tag
/// with a character outside etagc (a control, a space, a quote) is a malformed field, 400 naming the header with the
/// value escaped, not a tag that fails to match (412); a tag coded twice ("2-gzip-gzip") names no representation of
/// ours; and a 412 carries the tag and the Vary of the coding its 200 would have been sent in.
/// </summary>
public sealed class EntityTagExactnessTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string M = "131024"; // 中央区: nothing else in this class writes it
    private const string Path = $"/api/v1/municipalities/{M}";

    /// <summary>Failed before: each was a tag that did not match (412), or for If-None-Match a tag that did not match (200).</summary>
    [Theory]
    [InlineData("If-Match", "\"1\u001b\"")]
    [InlineData("If-Match", "\"1 2\"")]
    [InlineData("If-Match", "\"1\\\"2\"")]
    [InlineData("If-None-Match", "\"1\u001b\"")]
    [InlineData("If-None-Match", "\"a\tb\"")]
    public async Task A_tag_with_a_character_outside_etagc_is_a_malformed_field_named_and_escaped(string header, string value)
    {
        using var client = host.Municipality(M, "etag-grammar@city.chuo");
        using var get = new HttpRequestMessage(HttpMethod.Get, Path);
        Assert.True(get.Headers.TryAddWithoutValidation(header, value));
        using var response = await client.SendAsync(get);
        var problem = await ApiHost.AssertProblem(response, HttpStatusCode.BadRequest, header);
        var error = problem.GetProperty("errors")[0];
        Assert.Equal("invalid_" + header.ToLowerInvariant().Replace('-', '_'), error.GetProperty("code").GetString());
        Assert.Contains(header, error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', error.GetProperty("messageJa").GetString()!);
        Assert.DoesNotContain('\u001b', error.GetProperty("messageEn").GetString()!);
        Assert.Null(response.Headers.ETag);

        // The same on a write, which changes nothing.
        if (header == "If-Match")
        {
            var before = (await host.GetMunicipality(M)).Version;
            using var put = new HttpRequestMessage(HttpMethod.Put, $"{Path}/systems/koseki") { Content = new StringContent("""{"vendor":"文法違反"}""", System.Text.Encoding.UTF8, "application/json") };
            put.Headers.TryAddWithoutValidation(header, value);
            using var refused = await client.SendAsync(put);
            await ApiHost.AssertProblem(refused, HttpStatusCode.BadRequest, header);
            Assert.Equal(before, (await host.GetMunicipality(M)).Version);
        }
    }

    /// <summary>Failed before: "N-gzip-gzip" was read as "N" (uncoded twice): a 304 for it and a PUT taken with it.</summary>
    [Fact]
    public async Task A_tag_coded_twice_names_no_representation()
    {
        using var client = host.Municipality(M, "etag-twice@city.chuo");
        using var gzip = await Get(client, Path, "gzip");
        var tag = gzip.Headers.ETag!.Tag;
        Assert.EndsWith("-gzip\"", tag, StringComparison.Ordinal);
        var twice = tag[..^1] + "-gzip\"";

        using (var again = await Get(client, Path, "gzip", ifNoneMatch: twice))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }

        using (var once = await Get(client, Path, "gzip", ifNoneMatch: tag))
        {
            Assert.Equal(HttpStatusCode.NotModified, once.StatusCode);
        }

        var before = (await host.GetMunicipality(M)).Version;
        using var put = new HttpRequestMessage(HttpMethod.Put, $"{Path}/systems/koseki") { Content = new StringContent("""{"vendor":"二重符号化"}""", System.Text.Encoding.UTF8, "application/json") };
        put.Headers.TryAddWithoutValidation("If-Match", $"\"{before}-gzip-gzip\"");
        using var refused = await client.SendAsync(put);
        await ApiHost.AssertProblem(refused, HttpStatusCode.PreconditionFailed, "If-Match");
        Assert.Equal(before, (await host.GetMunicipality(M)).Version);
    }

    /// <summary>Failed before: the 412 under gzip carried the identity tag, and without Accept-Encoding no Vary.</summary>
    [Theory]
    [InlineData(null)]
    [InlineData("gzip")]
    [InlineData("br")]
    public async Task A_412_carries_the_tag_and_the_vary_of_its_coding(string? coding)
    {
        using var client = host.Municipality(M, "etag-412@city.chuo");
        using var ok = await Get(client, Path, coding);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Contains("Accept-Encoding", ok.Headers.Vary);
        using var failed = await Get(client, Path, coding, ifMatch: "\"987654\"");
        Assert.Equal(HttpStatusCode.PreconditionFailed, failed.StatusCode);
        Assert.Equal(ok.Headers.ETag?.Tag, failed.Headers.ETag?.Tag);
        Assert.Contains("Accept-Encoding", failed.Headers.Vary);

        using var head = new HttpRequestMessage(HttpMethod.Head, Path);
        if (coding is not null)
        {
            head.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue(coding));
        }

        using var headAnswer = await client.SendAsync(head);
        Assert.Equal(ok.Headers.ETag?.Tag, headAnswer.Headers.ETag?.Tag);
        Assert.Contains("Accept-Encoding", headAnswer.Headers.Vary);
    }

    private static Task<HttpResponseMessage> Get(HttpClient client, string path, string? coding, string? ifNoneMatch = null, string? ifMatch = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
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
