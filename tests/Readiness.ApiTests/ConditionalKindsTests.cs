using System.Net;
using System.Net.Http.Headers;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// One walk over every kind of resource the server answers (an API read, a page, a static file, CSV exports of the API
/// and of the dashboard), each rule of conditional requests and caching checked on each, so a new kind cannot drift
/// (a breaker's findings, round 43: the API followed RFC 9110 exactly, the static files and pages did not).
/// The rules: a malformed If-None-Match / If-Match is 400 naming the header, on every kind; If-None-Match uses the weak
/// comparison (W/"x" matches "x"); a coded tag ("x-gzip") is another representation's than the identity one ("x") and
/// neither matches the other; every answer whose bytes or tag the request's Accept-Encoding can change (200, 206, HEAD,
/// 304, 412) says Vary: Accept-Encoding; a malformed If-Modified-Since is ignored (RFC 9110 §13.1.3) and a malformed
/// If-Range is a condition that does not hold (the whole representation, never a part).
/// </summary>
public sealed class ConditionalKindsTests(ApiHost host) : IClassFixture<ApiHost>
{
    /// <summary>A kind of resource: a path and how it is reached (bearer or a signed-in browser).</summary>
    public sealed record Kind(string Name, string Path, bool Pages);

    public static TheoryData<string> Kinds => new() { "api", "page", "static", "api-csv", "page-csv", "page-table-csv" };

    private static Kind Of(string name) => name switch
    {
        "api" => new(name, "/api/v1/municipalities/131016", false),
        "page" => new(name, "/prefectures/13", true),
        "static" => new(name, "/css/dashboard.css", false),
        "api-csv" => new(name, "/api/v1/prefectures/13/changes.csv", false),
        "page-csv" => new(name, "/prefectures/13/changes.csv", true),
        "page-table-csv" => new(name, "/prefectures/13/municipalities.csv", true),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private async Task<HttpClient> ClientFor(Kind kind)
    {
        var token = host.Token(Readiness.Role.National);
        return kind.Pages ? await host.SignedInPagesAsync(token) : host.Client(token);
    }

    /// <summary>
    /// Failed before on the static file and the page (the header was ignored: 200); "W/ \"1\"" (a space after the weak
    /// prefix) was read as a weak tag on every kind before.
    /// </summary>
    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_malformed_entity_tag_condition_is_400_naming_the_header_on_every_kind(string name)
    {
        var kind = Of(name);
        using var client = await ClientFor(kind);
        foreach (var (header, value) in new[] { ("If-None-Match", "\"a b\""), ("If-None-Match", "abc"), ("If-Match", "\"1\u001b\""), ("If-Match", "w/\"1\""),
            ("If-Match", "W/ \"1\""), ("If-None-Match", "W/ \"1\""), ("If-None-Match", "\"1"), ("If-None-Match", "W/\"1\u0001\"") })
        {
            using var answer = await Send(client, HttpMethod.Get, kind.Path, null, (header, value));
            var problem = await ApiHost.AssertProblem(answer, HttpStatusCode.BadRequest, header);
            Assert.Null(answer.Headers.ETag);
            Assert.DoesNotContain('\u001b', problem.ToString());
        }
    }

    /// <summary>
    /// Failed before on the static file: W/"x" was compared strongly (200), and the coded tag matched the identity
    /// representation (and the identity tag the gzip one) on every kind that sends a tag.
    /// </summary>
    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task If_none_match_is_weak_and_exact_about_the_coding(string name)
    {
        var kind = Of(name);
        using var client = await ClientFor(kind);
        using var identity = await Send(client, HttpMethod.Get, kind.Path, null);
        using var gzip = await Send(client, HttpMethod.Get, kind.Path, "gzip");
        Assert.Equal(HttpStatusCode.OK, identity.StatusCode);
        Assert.Equal(HttpStatusCode.OK, gzip.StatusCode);
        if (identity.Headers.ETag is not { } plainTag)
        {
            // A resource without a tag has nothing to match: a condition never gives 304.
            using var none = await Send(client, HttpMethod.Get, kind.Path, null, ("If-None-Match", "\"x\""));
            Assert.Equal(HttpStatusCode.OK, none.StatusCode);
            return;
        }

        var plain = plainTag.Tag;
        var coded = gzip.Headers.ETag!.Tag;
        Assert.Contains("gzip", gzip.Content.Headers.ContentEncoding);
        Assert.Equal(plain[..^1] + "-gzip\"", coded);

        async Task Expect(HttpStatusCode status, string? coding, string ifNoneMatch, string? tag)
        {
            using var answer = await Send(client, HttpMethod.Get, kind.Path, coding, ("If-None-Match", ifNoneMatch));
            Assert.True(answer.StatusCode == status, $"{kind.Path} If-None-Match {ifNoneMatch} under {coding ?? "identity"}: {(int)answer.StatusCode}, expected {(int)status}");
            Assert.Equal(tag, answer.Headers.ETag?.Tag);
        }

        await Expect(HttpStatusCode.NotModified, null, plain, plain);
        await Expect(HttpStatusCode.NotModified, null, "W/" + plain, plain);
        await Expect(HttpStatusCode.NotModified, null, "\"other\", W/" + plain, plain);
        await Expect(HttpStatusCode.NotModified, "gzip", coded, coded);
        await Expect(HttpStatusCode.NotModified, "gzip", "W/" + coded, coded);
        await Expect(HttpStatusCode.OK, null, coded, plain);
        await Expect(HttpStatusCode.OK, "gzip", plain, coded);
        await Expect(HttpStatusCode.OK, "gzip", plain[..^1] + "-br\"", coded);
    }

    /// <summary>Failed before on the static file: its 206 under gzip had no Vary.</summary>
    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Every_answer_the_coding_can_change_varies_by_accept_encoding(string name)
    {
        var kind = Of(name);
        using var client = await ClientFor(kind);
        var failures = new List<string>();
        void Check(string what, HttpResponseMessage answer)
        {
            if (!answer.Headers.Vary.Contains("Accept-Encoding", StringComparer.OrdinalIgnoreCase))
            {
                failures.Add($"{kind.Path}: {what} answered {(int)answer.StatusCode} without Vary: Accept-Encoding");
            }
        }

        foreach (var coding in new[] { null, "gzip", "br" })
        {
            using var ok = await Send(client, HttpMethod.Get, kind.Path, coding);
            Check($"GET {coding}", ok);
            using var head = await Send(client, HttpMethod.Head, kind.Path, coding);
            Check($"HEAD {coding}", head);
            using var range = await Send(client, HttpMethod.Get, kind.Path, coding, ("Range", "bytes=0-9"));
            Check($"Range {coding}", range);
            using var failed = await Send(client, HttpMethod.Get, kind.Path, coding, ("If-Match", "\"no-such-tag\""));
            if (ok.Headers.ETag is { } tag)
            {
                Assert.Equal(HttpStatusCode.PreconditionFailed, failed.StatusCode);
                Check($"412 {coding}", failed);
                using var notModified = await Send(client, HttpMethod.Get, kind.Path, coding, ("If-None-Match", tag.ToString()));
                Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
                Check($"304 {coding}", notModified);
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>
    /// Failed before on the static file: a malformed If-Range let the Range through (206 of whatever is there now).
    /// A malformed If-Modified-Since is ignored everywhere (RFC 9110 §13.1.3: never a 304, never a 5xx).
    /// </summary>
    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_malformed_date_or_range_condition_answers_the_whole_representation(string name)
    {
        var kind = Of(name);
        using var client = await ClientFor(kind);
        using var whole = await Send(client, HttpMethod.Get, kind.Path, null);
        var length = (await whole.Content.ReadAsByteArrayAsync()).Length;
        foreach (var ifRange in new[] { "yesterday", "\"a b\"", "W/\"1\"" })
        {
            using var answer = await Send(client, HttpMethod.Get, kind.Path, null, ("Range", "bytes=0-9"), ("If-Range", ifRange));
            Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{kind.Path} If-Range {ifRange}: {(int)answer.StatusCode}");
            Assert.Null(answer.Content.Headers.ContentRange);
        }

        foreach (var header in new[] { "If-Modified-Since", "If-Unmodified-Since" })
        {
            using var answer = await Send(client, HttpMethod.Get, kind.Path, null, (header, "not a date"));
            Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{kind.Path} {header}: {(int)answer.StatusCode}");
            Assert.Equal(length, (await answer.Content.ReadAsByteArrayAsync()).Length);
        }
    }

    /// <summary>
    /// Round 44, a breaker's findings: every kind but a page sends a strong tag, a failing If-Match is 412 carrying the
    /// current tag (the static file's carried none) and If-None-Match: * is 304; the dashboard's table download sent no
    /// tag. A page has no tag: If-Match with a tag is 412 naming it, If-Match: * holds, If-None-Match: * is 304 (RFC
    /// 9110 §13.1.1, §13.1.2), a tag in If-None-Match never matches. Failed before on the page, the static file and the
    /// table download.
    /// </summary>
    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task If_match_and_if_none_match_star_hold_on_every_kind(string name)
    {
        var kind = Of(name);
        using var client = await ClientFor(kind);
        using var ok = await Send(client, HttpMethod.Get, kind.Path, null);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using var star = await Send(client, HttpMethod.Get, kind.Path, null, ("If-None-Match", "*"));
        Assert.True(star.StatusCode == HttpStatusCode.NotModified, $"{kind.Path} If-None-Match: *: {(int)star.StatusCode}");
        Assert.Empty(await star.Content.ReadAsByteArrayAsync());
        using var starHead = await Send(client, HttpMethod.Head, kind.Path, null, ("If-None-Match", "*"));
        Assert.Equal(HttpStatusCode.NotModified, starHead.StatusCode);
        using var anyMatch = await Send(client, HttpMethod.Get, kind.Path, null, ("If-Match", "*"));
        Assert.Equal(HttpStatusCode.OK, anyMatch.StatusCode);
        using var failed = await Send(client, HttpMethod.Get, kind.Path, null, ("If-Match", "\"no-such-tag\""));
        Assert.True(failed.StatusCode == HttpStatusCode.PreconditionFailed, $"{kind.Path} If-Match \"no-such-tag\": {(int)failed.StatusCode}");
        if (name == "page")
        {
            Assert.Null(ok.Headers.ETag);
            await ApiHost.AssertProblem(failed, HttpStatusCode.PreconditionFailed, "If-Match");
            using var other = await Send(client, HttpMethod.Get, kind.Path, null, ("If-None-Match", "\"x\""));
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
            return;
        }

        var tag = ok.Headers.ETag;
        Assert.True(tag is { IsWeak: false }, $"{kind.Path} sends no strong tag: {tag}");
        Assert.NotNull(tag);
        Assert.True(failed.Headers.ETag?.Tag == tag.Tag, $"{kind.Path}: the 412 carries {failed.Headers.ETag?.Tag ?? "no tag"}, the current is {tag.Tag}");
        using var matching = await Send(client, HttpMethod.Get, kind.Path, null, ("If-Match", tag.Tag));
        Assert.Equal(HttpStatusCode.OK, matching.StatusCode);
    }

    private static Task<HttpResponseMessage> Send(HttpClient client, HttpMethod method, string path, string? coding, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(method, path);
        if (coding is not null)
        {
            request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue(coding));
        }

        foreach (var (header, value) in headers)
        {
            Assert.True(request.Headers.TryAddWithoutValidation(header, value), header);
        }

        return client.SendAsync(request);
    }
}
