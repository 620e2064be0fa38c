using System.Net;
using System.Text.Json;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>Optimistic concurrency (ETag / If-Match) and idempotent reports under concurrent writers.</summary>
public sealed class ConcurrencyTests(ApiHost host) : IClassFixture<ApiHost>
{
    [Fact]
    public async Task Two_writers_with_the_same_etag_one_wins_the_other_gets_412_and_nothing_is_lost()
    {
        const string code = ApiHost.Chiyoda;
        var (_, version) = await host.GetMunicipality(code);
        using var alice = host.Municipality(code, "alice");
        using var bob = host.Municipality(code, "bob");
        var path = $"/api/v1/municipalities/{code}";

        using var start = new SemaphoreSlim(0);
        async Task<HttpResponseMessage> Send(HttpClient client, string target, string json)
        {
            await start.WaitAsync();
            return await client.SendAsync(ApiHost.Request(HttpMethod.Put, $"{path}/{target}", json, version));
        }

        var a = Send(alice, "systems/resident_registry", """{"phase":"in_production","designated":false,"vendor":"Alice Systems"}""");
        var b = Send(bob, "security/SEC-3-01", """{"status":"implemented","evidence":"bob checked"}""");
        start.Release(2);
        using var ra = await a;
        using var rb = await b;

        var statuses = new[] { ra.StatusCode, rb.StatusCode };
        Assert.Single(statuses, HttpStatusCode.OK);
        Assert.Single(statuses, HttpStatusCode.PreconditionFailed);
        var (winner, loser, loserClient, loserTarget, loserJson) = ra.StatusCode == HttpStatusCode.OK
            ? (ra, rb, bob, "security/SEC-3-01", """{"status":"implemented","evidence":"bob checked"}""")
            : (rb, ra, alice, "systems/resident_registry", """{"phase":"in_production","designated":false,"vendor":"Alice Systems"}""");
        Assert.Equal($"\"{version + 1}\"", winner.Headers.ETag?.Tag);
        await ApiHost.AssertProblem(loser, HttpStatusCode.PreconditionFailed, "If-Match");
        Assert.Equal($"\"{version + 1}\"", loser.Headers.ETag?.Tag); // the loser learns the current version

        // The loser re-reads and applies on top: both changes are there, in order, attributed to each.
        using var retry = await loserClient.SendAsync(ApiHost.Request(HttpMethod.Put, $"{path}/{loserTarget}", loserJson, version + 1));
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        var (state, finalVersion) = await host.GetMunicipality(code);
        Assert.Equal(version + 2, finalVersion);
        var system = state.GetProperty("systems").EnumerateArray().Single(s => s.GetProperty("businessId").GetString() == "resident_registry");
        Assert.Equal("in_production", system.GetProperty("phase").GetString());
        Assert.Equal("Alice Systems", system.GetProperty("vendor").GetString());
        var item = state.GetProperty("security").EnumerateArray().Single(s => s.GetProperty("itemId").GetString() == "SEC-3-01");
        Assert.Equal("implemented", item.GetProperty("status").GetString());

        using var national = host.National();
        var history = JsonDocument.Parse(await national.GetStringAsync($"{path}/history")).RootElement;
        var subjects = history.GetProperty("items").EnumerateArray().Take(2).Select(e => e.GetProperty("subject").GetString()).ToHashSet();
        Assert.Equal(["alice", "bob"], subjects.Order());
    }

    [Fact]
    public async Task Many_writers_with_the_same_etag_exactly_one_wins()
    {
        const string code = ApiHost.Osaka;
        var (_, version) = await host.GetMunicipality(code);
        var clients = Enumerable.Range(0, 8).Select(i => host.Municipality(code, $"writer-{i}")).ToList();
        var responses = await Task.WhenAll(clients.Select((c, i) => c.SendAsync(ApiHost.Request(HttpMethod.Put,
            $"/api/v1/municipalities/{code}/security/SEC-4-01", $$"""{"status":"partial","evidence":"writer {{i}}"}""", version))));
        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(7, responses.Count(r => r.StatusCode == HttpStatusCode.PreconditionFailed));
        Assert.Equal(version + 1, (await host.GetMunicipality(code)).Version);
        foreach (var r in responses)
        {
            r.Dispose();
        }

        clients.ForEach(c => c.Dispose());
    }

    /// <summary>
    /// A whole report sent from an old read must not revert, unseen, a colleague's change made since: without If-Match
    /// it is 428 naming If-Match and changes nothing; with the stale ETag 412 (the current one in the answer); with "*"
    /// it overwrites knowingly. Before, the report without If-Match answered 200 and put the vendor back.
    /// </summary>
    [Fact]
    public async Task A_report_without_if_match_is_428_and_does_not_revert_a_colleagues_change()
    {
        const string code = "131130"; // 渋谷区: no other test here writes it
        var (_, read) = await host.GetMunicipality(code);
        await host.PutSystem(host.Municipality(code, "colleague"), code, "koseki", """{"vendor":"同僚が保存したベンダー"}""");
        var (before, current) = await host.GetMunicipality(code);
        Assert.Equal(read + 1, current);
        using var reporter = host.Municipality(code, "reporter");
        const string body = """{"systems":[{"businessId":"koseki","vendor":"古い読み取りのベンダー"}]}""";
        string Vendor(JsonElement view) => view.GetProperty("systems").EnumerateArray().Single(s => s.GetProperty("businessId").GetString() == "koseki").GetProperty("vendor").GetString()!;

        using (var missing = await reporter.SendAsync(ApiHost.Request(HttpMethod.Post, $"/api/v1/municipalities/{code}/reports", body, idempotencyKey: Guid.NewGuid().ToString())))
        {
            var problem = await ApiHost.AssertProblem(missing, HttpStatusCode.PreconditionRequired, "If-Match");
            Assert.Equal("precondition_required", problem.GetProperty("errors")[0].GetProperty("code").GetString());
            Assert.Contains("If-Match", problem.GetProperty("errors")[0].GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        }

        var (afterMissing, versionAfterMissing) = await host.GetMunicipality(code);
        Assert.Equal(current, versionAfterMissing);
        Assert.Equal("同僚が保存したベンダー", Vendor(afterMissing));
        Assert.Equal(before.GetProperty("systems").GetRawText(), afterMissing.GetProperty("systems").GetRawText());

        using (var stale = await reporter.SendAsync(ApiHost.Request(HttpMethod.Post, $"/api/v1/municipalities/{code}/reports", body, read, Guid.NewGuid().ToString())))
        {
            await ApiHost.AssertProblem(stale, HttpStatusCode.PreconditionFailed, "If-Match");
            Assert.Equal($"\"{current}\"", stale.Headers.ETag?.Tag);
        }

        Assert.Equal(current, (await host.GetMunicipality(code)).Version);

        using (var any = await reporter.SendAsync(ApiHost.Request(HttpMethod.Post, $"/api/v1/municipalities/{code}/reports", body, idempotencyKey: Guid.NewGuid().ToString(), anyVersion: true)))
        {
            Assert.Equal(HttpStatusCode.OK, any.StatusCode);
        }

        var (afterAny, versionAfterAny) = await host.GetMunicipality(code);
        Assert.Equal(current + 1, versionAfterAny);
        Assert.Equal("古い読み取りのベンダー", Vendor(afterAny));
    }

    [Fact]
    public async Task A_replayed_report_returns_the_first_result_and_applies_nothing_again()
    {
        const string code = ApiHost.Chuo;
        using var client = host.Municipality(code, "suzuki");
        var (_, version) = await host.GetMunicipality(code);
        var historyBefore = await host.HistoryTotal(code);
        const string body = """{"systems":[{"businessId":"individual_resident_tax","phase":"in_production","designated":false,"hosting":"government_cloud"}],"security":[{"itemId":"SEC-5-01","status":"implemented"},{"itemId":"SEC-5-02","status":"not_applicable"}]}""";
        var key = Guid.NewGuid().ToString();

        using var first = await client.SendAsync(ApiHost.Request(HttpMethod.Post, $"/api/v1/municipalities/{code}/reports", body, version, key));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var firstResult = await ApiHost.Json(first);
        Assert.Equal("accepted", firstResult.GetProperty("status").GetString());
        Assert.Equal(version + 1, firstResult.GetProperty("version").GetInt64());
        Assert.Equal(3, firstResult.GetProperty("changes").GetArrayLength());
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));

        // Someone else changes something meanwhile; the replay still answers with the first result.
        await host.PutSystem(host.Municipality(code, "other"), code, "child_allowance", """{"phase":"testing","designated":false,"regressionReason":"meanwhile"}""");

        // The retry sends the If-Match of the first attempt, stale now: still the replay, as for a PUT.
        using var replay = await client.SendAsync(ApiHost.Request(HttpMethod.Post, $"/api/v1/municipalities/{code}/reports", body, version, key));
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        var replayResult = await ApiHost.Json(replay);
        Assert.Equal("replayed", replayResult.GetProperty("status").GetString());
        Assert.Equal(firstResult.GetProperty("version").GetInt64(), replayResult.GetProperty("version").GetInt64());
        Assert.Equal(firstResult.GetProperty("changes").GetRawText(), replayResult.GetProperty("changes").GetRawText());
        Assert.Equal(version + 2, replayResult.GetProperty("municipality").GetProperty("version").GetInt64());

        Assert.Equal(version + 2, (await host.GetMunicipality(code)).Version);
        Assert.Equal(historyBefore + 4, await host.HistoryTotal(code));

        // The same key with another body is refused and applies nothing.
        using var reused = await client.SendAsync(ApiHost.Request(HttpMethod.Post, $"/api/v1/municipalities/{code}/reports",
            """{"security":[{"itemId":"SEC-5-01","status":"partial"}]}""", version + 2, key));
        await ApiHost.AssertProblem(reused, HttpStatusCode.UnprocessableEntity, "Idempotency-Key");
        Assert.Equal(version + 2, (await host.GetMunicipality(code)).Version);
    }

    [Fact]
    public async Task Concurrent_retries_of_one_report_apply_it_exactly_once()
    {
        const string code = "011002"; // 札幌市
        var (_, version) = await host.GetMunicipality(code);
        var key = Guid.NewGuid().ToString();
        const string body = """{"systems":[{"businessId":"national_pension","phase":"testing","designated":false,"regressionReason":"retry storm"}]}""";
        var clients = Enumerable.Range(0, 6).Select(_ => host.Municipality(code, "sapporo")).ToList();
        var responses = await Task.WhenAll(clients.Select(c => c.SendAsync(ApiHost.Request(HttpMethod.Post, $"/api/v1/municipalities/{code}/reports", body, version, key))));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var results = await Task.WhenAll(responses.Select(ApiHost.Json));
        Assert.Single(results, r => r.GetProperty("status").GetString() == "accepted");
        Assert.All(results, r => Assert.Equal(version + 1, r.GetProperty("version").GetInt64()));
        Assert.Equal(version + 1, (await host.GetMunicipality(code)).Version);
        Assert.Equal(1, await host.HistoryTotal(code));
        foreach (var r in responses)
        {
            r.Dispose();
        }

        clients.ForEach(c => c.Dispose());
    }
}
