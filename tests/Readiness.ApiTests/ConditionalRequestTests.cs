using System.Net;
using System.Net.Http.Headers;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// Conditional requests (RFC 9110 §13) and HEAD on every resource: entity tags are opaque strings, If-None-Match
/// compares weakly and takes lists and "*", If-Match compares strongly ("00" is not "0", W/ never matches).
/// </summary>
public sealed class ConditionalRequestTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string Osaka = ApiHost.Osaka;

    private static async Task<HttpResponseMessage> Get(HttpClient client, string path, string? ifNoneMatch = null, string? ifMatch = null, HttpMethod? method = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Get, path);
        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }

        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return await client.SendAsync(request);
    }

    public static TheoryData<string> NotModifiedVariants() => new()
    {
        "W/\"{v}\"",          // the example: a weak tag matches by the weak comparison
        "\"7{v}\", \"{v}\"",  // a list holding the current tag (the "7", "0")
        "\"{v}\"",
        "*",
        "W/\"x\", W/\"{v}\"",
    };

    [Theory]
    [MemberData(nameof(NotModifiedVariants))]
    public async Task Municipality_if_none_match_that_matches_gives_304_with_the_etag(string template)
    {
        var (_, version) = await host.GetMunicipality(Osaka);
        using var client = host.National();
        using var response = await Get(client, $"/api/v1/municipalities/{Osaka}", template.Replace("{v}", version.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Equal($"\"{version}\"", response.Headers.ETag?.Tag);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    public static TheoryData<string> ModifiedVariants() => new()
    {
        "\"0{v}\"",            // opaque: "00" is not "0"
        "W/\"1{v}\"",
        "\"a\", \"b\"",
    };

    [Theory]
    [MemberData(nameof(ModifiedVariants))]
    public async Task Municipality_if_none_match_that_does_not_match_gives_200_with_the_body(string template)
    {
        var (_, version) = await host.GetMunicipality(Osaka);
        using var client = host.National();
        using var response = await Get(client, $"/api/v1/municipalities/{Osaka}", template.Replace("{v}", version.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Osaka, (await ApiHost.Json(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_malformed_if_none_match_is_a_400_naming_it()
    {
        using var client = host.National();
        using var response = await Get(client, $"/api/v1/municipalities/{Osaka}", "not-a-tag");
        await ApiHost.AssertProblem(response, HttpStatusCode.BadRequest, "If-None-Match");
        Assert.Null(response.Headers.ETag); // a refusal names no representation

        // The same on every read that takes a condition: a system, an item, the history.
        foreach (var path in new[] { $"/api/v1/municipalities/{Osaka}/systems/koseki", $"/api/v1/municipalities/{Osaka}/security/SEC-1-01", $"/api/v1/municipalities/{Osaka}/history" })
        {
            using var refused = await Get(client, path, "not-a-tag");
            await ApiHost.AssertProblem(refused, HttpStatusCode.BadRequest, "If-None-Match");
            Assert.Null(refused.Headers.ETag);
        }
    }

    /// <summary>
    /// Every GET that sends an ETag, whichever code path serves it: the grain-backed reads, the summaries, the exports,
    /// the live map data and the map geometry (the last four through the shared compressed payload).
    /// </summary>
    public static TheoryData<string> Tagged() => new()
    {
        $"/api/v1/municipalities/{Osaka}",
        $"/api/v1/municipalities/{Osaka}/systems/koseki",
        $"/api/v1/municipalities/{Osaka}/security/SEC-1-01",
        $"/api/v1/municipalities/{Osaka}/history",
        "/api/v1/nation",
        "/api/v1/prefectures",
        "/api/v1/prefectures/27",
        "/api/v1/prefectures/27/systems",
        "/api/v1/nation/history",
        "/api/v1/prefectures/27/changes",
        "/api/v1/nation/changes",
        "/api/v1/nation/changes?limit=1",
        "/api/v1/catalog",
        "/api/v1/export/municipalities.csv?prefecture=27",
        "/api/v1/export/municipalities.xlsx?prefecture=27",
        "/api/v1/prefectures/27/municipalities.csv",
        "/api/v1/prefectures/27/municipalities.xlsx?sort=progress",
        "/live/map-data",
        "/map/japan.json",
    };

    [Theory]
    [MemberData(nameof(Tagged))]
    public async Task Every_tagged_read_refuses_a_malformed_condition_with_400_and_a_failing_if_match_with_412(string path)
    {
        using var client = host.National();
        using var plain = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        Assert.NotNull(plain.Headers.ETag);
        Assert.True(plain.Headers.CacheControl is { NoCache: true } or { NoStore: true } or { MaxAge: not null }, $"{path}: Cache-Control {plain.Headers.CacheControl}");

        foreach (var (ifNoneMatch, ifMatch, header) in new (string?, string?, string)[] { ("not-a-tag", null, "If-None-Match"), (null, "\"a\" \"b\"", "If-Match"), ("*, \"1\"", null, "If-None-Match") })
        {
            using var refused = await Get(client, path, ifNoneMatch, ifMatch);
            await ApiHost.AssertProblem(refused, HttpStatusCode.BadRequest, header);
            Assert.Null(refused.Headers.ETag); // a refusal names no representation
            Assert.True(refused.Headers.CacheControl?.NoStore, $"{path}: a 400 with Cache-Control {refused.Headers.CacheControl}");
        }

        using var failed = await Get(client, path, ifMatch: "\"not-this-one\"");
        await ApiHost.AssertProblem(failed, HttpStatusCode.PreconditionFailed, "If-Match");
        Assert.NotNull(failed.Headers.ETag); // the current version, to read again
        Assert.True(failed.Headers.CacheControl?.NoStore, $"{path}: a 412 with Cache-Control {failed.Headers.CacheControl}");

        // A 304 stands for the 200: the same Cache-Control and a Vary naming Accept-Encoding (RFC 9110 §15.4.5).
        using var same = await Get(client, path, plain.Headers.ETag!.Tag);
        if (same.StatusCode == HttpStatusCode.NotModified) // a summary may have moved on meanwhile
        {
            Assert.Equal(plain.Headers.CacheControl?.ToString(), same.Headers.CacheControl?.ToString());
            Assert.Contains("Accept-Encoding", same.Headers.Vary, StringComparer.OrdinalIgnoreCase);
        }
        if (path.StartsWith("/api/", StringComparison.Ordinal))
        {
            // HEAD is the API's (HeadRequests): it is refused as its GET is.
            using var head = await Get(client, path, "not-a-tag", method: HttpMethod.Head);
            Assert.Equal(HttpStatusCode.BadRequest, head.StatusCode);
        }
    }

    [Fact]
    public async Task The_reporting_template_answers_its_conditions_as_every_other_read()
    {
        using var client = host.Municipality(Osaka);
        var path = $"/api/v1/municipalities/{Osaka}/template.xlsx";
        using var plain = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        var etag = plain.Headers.ETag!.Tag;

        using var same = await Get(client, path, etag);
        Assert.Equal(HttpStatusCode.NotModified, same.StatusCode);
        Assert.Empty(await same.Content.ReadAsByteArrayAsync());
        using var malformed = await Get(client, path, "bad");
        await ApiHost.AssertProblem(malformed, HttpStatusCode.BadRequest, "If-None-Match");
        Assert.Null(malformed.Headers.ETag);
        using var stale = await Get(client, path, ifMatch: "\"9" + etag.Trim('"') + "\"");
        await ApiHost.AssertProblem(stale, HttpStatusCode.PreconditionFailed, "If-Match");
        using var held = await Get(client, path, ifMatch: etag);
        Assert.Equal(HttpStatusCode.OK, held.StatusCode);
    }

    [Fact]
    public async Task A_read_with_an_if_match_that_fails_gives_412()
    {
        var (_, version) = await host.GetMunicipality(Osaka);
        using var client = host.National();
        using var failed = await Get(client, $"/api/v1/municipalities/{Osaka}", ifMatch: $"\"0{version}\"");
        await ApiHost.AssertProblem(failed, HttpStatusCode.PreconditionFailed, "If-Match");
        using var held = await Get(client, $"/api/v1/municipalities/{Osaka}", ifMatch: $"\"{version}\"");
        Assert.Equal(HttpStatusCode.OK, held.StatusCode);
    }

    public static TheoryData<string> Summaries() => new() { "/api/v1/nation", "/api/v1/prefectures", "/api/v1/prefectures/27" };

    [Theory]
    [MemberData(nameof(Summaries))]
    public async Task Summaries_compare_weakly_and_take_lists(string path)
    {
        using var client = host.National();
        foreach (var variant in new[] { "{e}", "W/{e}", "\"other\", {e}", "*" })
        {
            // A summary may move on between two requests (aggregation runs meanwhile): then the answer is a 200
            // with another tag. A 200 with the same tag is the fault; at least one try must see the 304.
            var notModified = false;
            for (var attempt = 0; attempt < 5 && !notModified; attempt++)
            {
                using var first = await client.GetAsync(path);
                Assert.Equal(HttpStatusCode.OK, first.StatusCode);
                var etag = first.Headers.ETag!.Tag;
                var header = variant.Replace("{e}", etag, StringComparison.Ordinal);
                using var again = await Get(client, path, header);
                notModified = again.StatusCode == HttpStatusCode.NotModified;
                Assert.True(notModified || again.Headers.ETag?.Tag != etag, $"{path} with If-None-Match: {header} gave {again.StatusCode} with the same tag");
            }

            Assert.True(notModified, $"{path}: {variant} never gave 304");
        }

        using var latest = await client.GetAsync(path);
        using var other = await Get(client, path, "\"0" + latest.Headers.ETag!.Tag.Trim('"') + "\"");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Theory]
    [InlineData("history")]
    [InlineData("history?limit=1")]
    [InlineData("history.csv")]
    public async Task The_audit_trail_is_tagged_with_the_version_and_answers_304(string resource)
    {
        var (_, version) = await host.GetMunicipality(Osaka);
        using var client = host.National();
        var path = $"/api/v1/municipalities/{Osaka}/{resource}";
        using var first = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal($"\"{version}\"", first.Headers.ETag?.Tag);
        using var weak = await Get(client, path, $"\"x\", W/\"{version}\"");
        Assert.Equal(HttpStatusCode.NotModified, weak.StatusCode);
        using var other = await Get(client, path, $"\"0{version}\"");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task The_live_map_data_uses_the_same_comparison()
    {
        using var client = host.National();
        using var first = await client.GetAsync("/live/map-data");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var weak = await Get(client, "/live/map-data", "W/" + first.Headers.ETag!.Tag);
        Assert.Equal(HttpStatusCode.NotModified, weak.StatusCode);
    }

    public static TheoryData<string> Resources() => new()
    {
        $"/api/v1/municipalities/{Osaka}",
        "/api/v1/nation",
        "/api/v1/prefectures",
        "/api/v1/prefectures/27",
        "/api/v1/catalog",
        $"/api/v1/municipalities/{Osaka}/systems/koseki",
        $"/api/v1/municipalities/{Osaka}/security/SEC-1-01",
        $"/api/v1/municipalities/{Osaka}/history",
        $"/api/v1/municipalities/{Osaka}/history.csv",
        "/api/v1/nation/history",
        "/api/v1/prefectures/27/changes",
        "/api/v1/nation/changes",
        "/api/v1/nation/changes?limit=1",
        "/api/v1/export/municipalities.csv?prefecture=27",
        "/api/v1/export/municipalities.xlsx?prefecture=27",
        "/api/v1/prefectures/27/municipalities.csv",
        "/api/v1/prefectures/27/municipalities.xlsx",
    };

    [Theory]
    [MemberData(nameof(Resources))]
    public async Task Head_is_answered_on_every_get_resource_with_the_same_headers_and_no_content(string path)
    {
        using var client = host.National();
        using var get = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        Assert.Equal(get.Content.Headers.ContentType?.MediaType, head.Content.Headers.ContentType?.MediaType);
        Assert.Equal(get.Headers.ETag?.Tag, head.Headers.ETag?.Tag);
    }

    /// <summary>Every GET resource whose representation has a validator: all of <see cref="Resources"/> but the audit CSV, which streams.</summary>
    public static TheoryData<string> Validated() => new()
    {
        $"/api/v1/municipalities/{Osaka}",
        "/api/v1/nation",
        "/api/v1/prefectures/27",
        $"/api/v1/municipalities/{Osaka}/systems/koseki",
        $"/api/v1/municipalities/{Osaka}/history",
        "/api/v1/nation/history",
        "/api/v1/prefectures/27/changes",
        "/api/v1/nation/changes",
        "/api/v1/nation/changes?limit=1",
        "/api/v1/catalog",
        "/api/v1/export/municipalities.csv?prefecture=27",
        "/api/v1/export/municipalities.xlsx?prefecture=27",
        "/api/v1/prefectures/27/municipalities.csv?q=大阪",
        "/api/v1/prefectures/27/municipalities.xlsx",
    };

    [Theory]
    [MemberData(nameof(Validated))]
    public async Task A_resource_answers_304_to_its_own_etag_and_200_after_a_change(string path)
    {
        using var client = host.National();
        using var first = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var etag = first.Headers.ETag?.Tag;
        Assert.False(string.IsNullOrEmpty(etag), $"{path} sends no ETag");
        using var again = await Get(client, path, etag!);
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
        Assert.Empty(await again.Content.ReadAsByteArrayAsync());
        using var other = await Get(client, path, "\"not-this-one\"");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Theory]
    [InlineData("/api/v1/export/municipalities.csv?prefecture=27")]
    [InlineData("/api/v1/export/municipalities.xlsx?prefecture=27")]
    public async Task The_export_validator_changes_when_a_municipality_in_it_changes(string path)
    {
        using var client = host.National();
        using var before = await client.GetAsync(path);
        var (_, version) = await host.GetMunicipality(Osaka);
        using var writer = host.Municipality(Osaka);
        using var put = await writer.SendAsync(new HttpRequestMessage(HttpMethod.Put, $"/api/v1/municipalities/{Osaka}/systems/koseki")
        {
            Headers = { { "If-Match", $"\"{version}\"" } },
            Content = new StringContent($$"""{"vendor":"検証ベンダー{{Guid.NewGuid():N}}"}""", System.Text.Encoding.UTF8, "application/json"),
        });
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        using var after = await Get(client, path, before.Headers.ETag!.Tag);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.NotEqual(before.Headers.ETag.Tag, after.Headers.ETag?.Tag);
    }

    [Fact]
    public async Task Head_with_a_matching_if_none_match_gives_304()
    {
        var (_, version) = await host.GetMunicipality(Osaka);
        using var client = host.National();
        using var head = await Get(client, $"/api/v1/municipalities/{Osaka}", $"W/\"{version}\"", method: HttpMethod.Head);
        Assert.Equal(HttpStatusCode.NotModified, head.StatusCode);
    }

    [Fact]
    public async Task Head_needs_the_same_sign_in_as_get()
    {
        using var anonymous = host.Client();
        using var head = await anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/api/v1/municipalities/{Osaka}"));
        Assert.Equal(HttpStatusCode.Unauthorized, head.StatusCode);
        using var other = host.Municipality(ApiHost.Chiyoda);
        using var forbidden = await other.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/api/v1/municipalities/{Osaka}"));
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
    }

    private async Task<HttpResponseMessage> Put(string ifMatch, string json, string? ifNoneMatch = null)
    {
        using var client = host.Municipality(Osaka);
        using var request = ApiHost.Request(HttpMethod.Put, $"/api/v1/municipalities/{Osaka}/systems/koseki", json);
        request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }

        return await client.SendAsync(request);
    }

    public static TheoryData<string> FailingIfMatch() => new()
    {
        "\"0{v}\"",            // the example: "00" must not match "0"
        "W/\"{v}\"",           // strong comparison: a weak tag never matches
        "\"+{v}\"",
        "\"{v}.0\"",
        "\"1{v}\", \"0{v}\"",
    };

    [Theory]
    [MemberData(nameof(FailingIfMatch))]
    public async Task A_write_whose_if_match_does_not_match_strongly_gets_412_and_changes_nothing(string template)
    {
        var (before, version) = await host.GetMunicipality(Osaka);
        using var response = await Put(template.Replace("{v}", version.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal), """{"vendor":"412 test"}""");
        await ApiHost.AssertProblem(response, HttpStatusCode.PreconditionFailed, "If-Match");
        Assert.Equal($"\"{version}\"", response.Headers.ETag?.Tag);
        var (after, versionAfter) = await host.GetMunicipality(Osaka);
        Assert.Equal(version, versionAfter);
        Assert.Equal(before.GetProperty("systems").GetRawText(), after.GetProperty("systems").GetRawText());
    }

    public static TheoryData<string, string, string, string> EveryIfMatchWrite() => new()
    {
        // role, path, method, body
        { "municipality", $"/api/v1/municipalities/{Osaka}/systems/koseki", "PUT", """{"vendor":"weak tag test"}""" },
        { "municipality", $"/api/v1/municipalities/{Osaka}/security/SEC-1-01", "PUT", """{"status":"partial"}""" },
        { "municipality", $"/api/v1/municipalities/{Osaka}/reports", "POST", """{"systems":[{"businessId":"koseki","vendor":"weak tag report"}]}""" },
        { "prefecture", "/api/v1/prefectures/27/systems/public_assistance", "PUT", """{"vendor":"weak tag test","designated":false}""" },
    };

    [Theory]
    [MemberData(nameof(EveryIfMatchWrite))]
    public async Task An_if_match_that_names_no_version_is_told_so_and_a_stale_one_that_someone_wrote_first(string role, string path, string method, string json)
    {
        using var client = role == "prefecture" ? host.Client(host.Token(Role.Prefecture, "27", "weak@pref.osaka")) : host.Municipality(Osaka);
        var readPath = method == "POST" ? $"/api/v1/municipalities/{Osaka}" : path;
        async Task<long> Current()
        {
            using var read = await client.GetAsync(readPath);
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            return long.Parse(read.Headers.ETag!.Tag.Trim('"'), System.Globalization.CultureInfo.InvariantCulture);
        }

        async Task<string> Refused(string ifMatch, long version)
        {
            using var request = ApiHost.Request(new HttpMethod(method), path, json, idempotencyKey: Guid.NewGuid().ToString());
            request.Headers.Remove("If-Match");
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
            using var response = await client.SendAsync(request);
            var problem = await ApiHost.AssertProblem(response, HttpStatusCode.PreconditionFailed, "If-Match");
            Assert.Equal($"\"{version}\"", response.Headers.ETag?.Tag);
            Assert.Equal(version, await Current());
            return problem.GetProperty("errors")[0].GetProperty("messageEn").GetString()!;
        }

        var version = await Current();
        Assert.Contains("names no version", await Refused($"W/\"{version}\"", version), StringComparison.Ordinal);
        Assert.Contains("names no version", await Refused($"\"0{version}\", W/\"{version}\"", version), StringComparison.Ordinal);
        // A version never reached names none either (round 49: "99" was told someone saved first); one below the current is stale.
        Assert.Contains("names no version", await Refused($"\"{version + 5}\"", version), StringComparison.Ordinal);
        if (version == 0)
        {
            using var first = ApiHost.Request(new HttpMethod(method), path, json, idempotencyKey: Guid.NewGuid().ToString(), anyVersion: true);
            using var written = await client.SendAsync(first);
            Assert.True(written.IsSuccessStatusCode, $"{(int)written.StatusCode} {await written.Content.ReadAsStringAsync()}");
            version = await Current();
        }

        Assert.Contains("This changed after the version you read", await Refused($"\"{version - 1}\"", version), StringComparison.Ordinal);
    }

    public static TheoryData<string> HoldingIfMatch() => new()
    {
        "\"{v}\"",
        "\"9{v}\", \"{v}\"",   // a list holding the current tag
        "W/\"{v}\", \"{v}\"",
        "*",                   // the municipality exists
    };

    [Theory]
    [MemberData(nameof(HoldingIfMatch))]
    public async Task A_write_whose_if_match_holds_is_applied(string template)
    {
        var (_, version) = await host.GetMunicipality(Osaka);
        var vendor = "vendor " + Guid.NewGuid().ToString("N")[..8];
        using var response = await Put(template.Replace("{v}", version.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal), $$"""{"vendor":"{{vendor}}"}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"\"{version + 1}\"", response.Headers.ETag?.Tag);
        var (after, _) = await host.GetMunicipality(Osaka);
        Assert.Equal(vendor, after.GetProperty("systems").EnumerateArray().Single(s => s.GetProperty("businessId").GetString() == "koseki").GetProperty("vendor").GetString());
    }

    [Fact]
    public async Task A_write_with_if_none_match_star_gets_412_because_the_resource_exists()
    {
        var (_, version) = await host.GetMunicipality(Osaka);
        using var response = await Put($"\"{version}\"", """{"vendor":"never"}""", ifNoneMatch: "*");
        await ApiHost.AssertProblem(response, HttpStatusCode.PreconditionFailed, "If-None-Match");
        Assert.Equal(version, (await host.GetMunicipality(Osaka)).Version);
    }

    [Fact]
    public async Task The_item_resources_answer_304_and_412_the_same_way()
    {
        var (_, version) = await host.GetMunicipality(Osaka);
        using var client = host.Municipality(Osaka);
        foreach (var path in new[] { $"/api/v1/municipalities/{Osaka}/systems/koseki", $"/api/v1/municipalities/{Osaka}/security/SEC-1-01" })
        {
            using var notModified = await Get(client, path, $"W/\"{version}\"");
            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);

            using var patch = new HttpRequestMessage(HttpMethod.Patch, path) { Content = new StringContent("{}", new MediaTypeHeaderValue("application/merge-patch+json")) };
            patch.Headers.TryAddWithoutValidation("If-Match", $"\"0{version}\"");
            using var failed = await client.SendAsync(patch);
            await ApiHost.AssertProblem(failed, HttpStatusCode.PreconditionFailed, "If-Match");
        }
    }

    [Fact]
    public async Task A_report_with_a_list_if_match_applies_when_one_tag_is_current()
    {
        var (_, version) = await host.GetMunicipality(Osaka);
        using var client = host.Municipality(Osaka);
        using var request = ApiHost.Request(HttpMethod.Post, $"/api/v1/municipalities/{Osaka}/reports",
            """{"security":[{"itemId":"SEC-1-02","status":"partial"}]}""", idempotencyKey: "cond-" + Guid.NewGuid().ToString("N"));
        request.Headers.TryAddWithoutValidation("If-Match", $"\"0{version}\", \"{version}\"");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
