using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// If-None-Match on every write with a version (RFC 9110 §13.1.2), as a municipality's PUT, PATCH and reports already
/// answered: "*" (the resource exists) or its current tag is 412 naming the header with the current ETag, a malformed
/// one 400 naming it, nothing written; a tag of another version lets the write through. A breaker's finding (round
/// 45, medium): a prefecture's own systems wrote under <c>If-Match: *</c> with <c>If-None-Match: *</c>, the current tag or
/// garbage, and a template was applied under <c>If-None-Match: *</c>.
/// </summary>
public sealed class IfNoneMatchOnWritesTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string Aichi = "23";
    private const string Business = "public_assistance";
    private const string Nagoya = "231002";

    [Theory]
    [InlineData("PUT")]
    [InlineData("PATCH")]
    public async Task A_prefecture_run_write_answers_if_none_match(string method)
    {
        await host.WaitUntilReadyAsync();
        using var prefecture = host.Client(host.Token(Role.Prefecture, Aichi, $"none-match-{method}@pref.aichi"));
        var path = $"/api/v1/prefectures/{Aichi}/systems/{Business}";
        var before = await VersionAsync(prefecture, path);

        foreach (var (noneMatch, status) in new[] { ("*", HttpStatusCode.PreconditionFailed), ($"\"{before}\"", HttpStatusCode.PreconditionFailed), ($"W/\"{before}\"", HttpStatusCode.PreconditionFailed), ("garbage", HttpStatusCode.BadRequest) })
        {
            using var request = Write(method, path, noneMatch);
            using var response = await prefecture.SendAsync(request);
            await ApiHost.AssertProblem(response, status, "If-None-Match");
            if (status == HttpStatusCode.PreconditionFailed)
            {
                Assert.Equal($"\"{before}\"", response.Headers.ETag?.Tag);
            }

            Assert.Equal(before, await VersionAsync(prefecture, path));
        }

        // A tag of another version does not match: the write goes through.
        using var through = Write(method, path, $"\"{before + 1000}\"");
        using var written = await prefecture.SendAsync(through);
        Assert.True(written.StatusCode == HttpStatusCode.OK, $"{written.StatusCode}: {await written.Content.ReadAsStringAsync()}");
        Assert.True(await VersionAsync(prefecture, path) > before);
    }

    [Fact]
    public async Task A_template_apply_answers_if_none_match()
    {
        await host.WaitUntilReadyAsync();
        using var municipality = host.Municipality(Nagoya);
        var before = await VersionAsync(municipality, $"/api/v1/municipalities/{Nagoya}");
        foreach (var (noneMatch, status) in new[] { ("*", HttpStatusCode.PreconditionFailed), ($"\"{before}\"", HttpStatusCode.PreconditionFailed), ("garbage", HttpStatusCode.BadRequest) })
        {
            using var form = new MultipartFormDataContent();
            var file = new ByteArrayContent([0x50, 0x4B, 0x03, 0x04]);
            file.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
            form.Add(file, "file", "template.xlsx");
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/municipalities/{Nagoya}/template/apply") { Content = form };
            request.Headers.TryAddWithoutValidation("If-None-Match", noneMatch);
            using var response = await municipality.SendAsync(request);
            await ApiHost.AssertProblem(response, status, "If-None-Match");
            Assert.Equal(before, await VersionAsync(municipality, $"/api/v1/municipalities/{Nagoya}"));
        }
    }

    /// <summary>
    /// An unknown system or checklist item is 404 naming it on PUT and PATCH, as its GET answers, before any header is
    /// asked for (a breaker's finding, round 45, low: it was 428 "send If-Match", for an address that does not exist).
    /// </summary>
    [Theory]
    [InlineData("PUT", "systems/nosuch", "businessId")]
    [InlineData("PATCH", "systems/nosuch", "businessId")]
    [InlineData("PUT", "security/SEC-0-00", "itemId")]
    [InlineData("PATCH", "security/SEC-0-00", "itemId")]
    public async Task An_unknown_target_is_404_before_if_match_is_asked_for(string method, string target, string field)
    {
        await host.WaitUntilReadyAsync();
        using var municipality = host.Municipality(Nagoya);
        using var request = new HttpRequestMessage(new HttpMethod(method), $"/api/v1/municipalities/{Nagoya}/{target}")
        {
            Content = new StringContent("{}", System.Text.Encoding.UTF8, method == "PATCH" ? "application/merge-patch+json" : "application/json"),
        };
        using var response = await municipality.SendAsync(request);
        await ApiHost.AssertProblem(response, HttpStatusCode.NotFound, field);
    }

    private static HttpRequestMessage Write(string method, string path, string noneMatch)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = new StringContent("""{"vendor":"If-None-Match check"}""", System.Text.Encoding.UTF8, method == "PATCH" ? "application/merge-patch+json" : "application/json"),
        };
        request.Headers.TryAddWithoutValidation("If-Match", "*");
        request.Headers.TryAddWithoutValidation("If-None-Match", noneMatch);
        return request;
    }

    private static async Task<long> VersionAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {response.StatusCode}");
        return long.Parse(response.Headers.ETag!.Tag.Trim('"').Split('-')[0], CultureInfo.InvariantCulture);
    }
}
