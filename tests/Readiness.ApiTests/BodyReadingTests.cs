using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A JSON body is read into a pooled buffer of its Content-Length, or into a growing one when it comes chunked without
/// a length; the parsed document lives until the request ends. Either way every request sees its own bytes only.
/// </summary>
public sealed class BodyReadingTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string M = ApiHost.Chuo;

    /// <summary>A report of <paramref name="items"/> checklist items, each with <paramref name="evidence"/>.</summary>
    private static string Report(int items, string evidence) =>
        $$"""{"security":[{{string.Join(",", SecurityItems.Take(items).Select(id => $$"""{"itemId":"{{id}}","status":"partial","evidence":"{{evidence}}"}"""))}}]}""";

    private static readonly string[] SecurityItems = [.. Readiness.Catalog.ReadinessCatalog.Instance.SecurityItems.Select(i => i.Id)];

    private async Task<string?> Evidence(string itemId) =>
        (await host.GetMunicipality(M)).Body.GetProperty("security").EnumerateArray().Single(s => s.GetProperty("itemId").GetString() == itemId).GetProperty("evidence").GetString();

    [Fact]
    public async Task Short_bodies_after_long_ones_are_read_alone()
    {
        using var client = host.Municipality(M);
        // ~47 KB, then a few hundred bytes, ...: a buffer from the pool still holds the long body's bytes after the short one's.
        var reports = new[] { (47, new string('長', 900)), (1, "短"), (20, new string('m', 500)), (1, "b") };
        for (var i = 0; i < reports.Length; i++)
        {
            var (items, evidence) = reports[i];
            using var response = await client.SendAsync(ApiHost.Request(HttpMethod.Post, $"/api/v1/municipalities/{M}/reports", Report(items, evidence), idempotencyKey: $"body-{i}", anyVersion: true));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(evidence, await Evidence(SecurityItems[0]));
        }

        Assert.Equal(new string('m', 500), await Evidence(SecurityItems[19]));
        Assert.Equal(new string('長', 900), await Evidence(SecurityItems[46]));
    }

    [Fact]
    public async Task A_chunked_body_without_a_length_is_read_whole_and_checked_alike()
    {
        using var client = host.Municipality(ApiHost.Osaka);
        async Task<HttpResponseMessage> SendChunked(string json, string key)
        {
            var request = ApiHost.Request(HttpMethod.Post, $"/api/v1/municipalities/{ApiHost.Osaka}/reports", idempotencyKey: key, anyVersion: true);
            request.Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(json)));
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.TransferEncodingChunked = true;
            return await client.SendAsync(request);
        }

        var evidence = new string('c', 1000); // 47 of them: more than one read of the body stream
        using (var accepted = await SendChunked(Report(47, evidence), "chunked-1"))
        {
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }

        var (state, version) = await host.GetMunicipality(ApiHost.Osaka);
        Assert.All(state.GetProperty("security").EnumerateArray(), s => Assert.Equal(evidence, s.GetProperty("evidence").GetString()));

        using (var refused = await SendChunked("""{"security":[{"itemId":"SEC-1-02","status":"maybe"}]}""", "chunked-2"))
        {
            await ApiHost.AssertProblem(refused, HttpStatusCode.BadRequest, "security[0].status");
        }

        Assert.Equal(version, (await host.GetMunicipality(ApiHost.Osaka)).Version);
    }

    /// <summary>Sends a report over a raw connection with <paramref name="framing"/> after its headers; returns the answer.</summary>
    private async Task<(int Status, string Body)> SendRawAsync(string code, string framing, string key)
    {
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(host.BaseAddress.Host, host.BaseAddress.Port);
        var stream = socket.GetStream();
        var head = $"POST /api/v1/municipalities/{code}/reports HTTP/1.1\r\nHost: {host.BaseAddress.Authority}\r\n" +
            $"Authorization: Bearer {host.Token(Readiness.Role.Municipality, code)}\r\nIdempotency-Key: {key}\r\nIf-Match: *\r\n" +
            $"Content-Type: application/json\r\nConnection: close\r\n";
        await stream.WriteAsync(Encoding.UTF8.GetBytes(head + framing));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var answer = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.StartsWith("HTTP/1.1 ", answer, StringComparison.Ordinal);
        var status = int.Parse(answer.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        return (status, answer[(answer.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
    }

    [Fact]
    public async Task A_body_that_cannot_be_read_to_its_end_is_the_clients_fault_and_changes_nothing()
    {
        // Kestrel refuses the second chunk's size line while the endpoint reads the body: a 4xx naming the body, never a 500.
        var (_, version) = await host.GetMunicipality(ApiHost.Chiyoda);
        var json = Report(1, "chunk");
        var (status, body) = await SendRawAsync(ApiHost.Chiyoda, $"Transfer-Encoding: chunked\r\n\r\n{Encoding.UTF8.GetByteCount(json[..10]):x}\r\n{json[..10]}\r\nZZ\r\n{json[10..]}\r\n0\r\n\r\n", "bad-chunks");
        Assert.Equal(400, status);
        Assert.Contains("\"body_incomplete\"", body, StringComparison.Ordinal);
        Assert.Contains("\"field\":\"body\"", body, StringComparison.Ordinal);
        Assert.Equal(version, (await host.GetMunicipality(ApiHost.Chiyoda)).Version);

        // The same report framed right is taken.
        var (good, _) = await SendRawAsync(ApiHost.Chiyoda, $"Content-Length: {Encoding.UTF8.GetByteCount(json)}\r\n\r\n{json}", "good-frames");
        Assert.Equal(200, good);
    }

    [Fact]
    public async Task A_byte_order_mark_is_named_as_such()
    {
        using var client = host.Municipality(ApiHost.Chiyoda);
        var request = ApiHost.Request(HttpMethod.Post, $"/api/v1/municipalities/{ApiHost.Chiyoda}/reports", idempotencyKey: "bom", anyVersion: true);
        request.Content = new ByteArrayContent([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(Report(1, "x"))]);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await client.SendAsync(request);
        await ApiHost.AssertProblem(response, HttpStatusCode.BadRequest, "body");
        Assert.Contains("utf8_bom", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
