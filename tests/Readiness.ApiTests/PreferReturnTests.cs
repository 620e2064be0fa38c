using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// <c>Prefer: return=minimal</c> (RFC 7240) on every single-target write and every report: 204 with the new ETag, nothing else sent,
/// the change applied and audited as with the full answer; <c>return=representation</c> and no preference keep the
/// view; a replay of a minimal write is minimal too.
/// </summary>
public sealed class PreferReturnTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string Sapporo = "011002";

    public static TheoryData<string, string, string> Targets() => new()
    {
        { "PUT", "systems/koseki", """{"vendor":"Prefer PUT","designated":false}""" },
        { "PATCH", "systems/resident_registry", """{"vendor":"Prefer PATCH","designated":false}""" },
        { "PUT", "security/" + Catalog.ReadinessCatalog.Instance.SecurityItems[0].Id, """{"status":"partial"}""" },
        { "PATCH", "security/" + Catalog.ReadinessCatalog.Instance.SecurityItems[1].Id, """{"status":"partial"}""" },
    };

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Return_minimal_answers_204_with_the_new_etag_and_the_change_is_applied_and_audited(string method, string target, string json)
    {
        using var client = host.Municipality(Sapporo, "prefer@city.sapporo");
        var (_, version) = await host.GetMunicipality(Sapporo);
        var historyBefore = await host.HistoryTotal(Sapporo);
        var key = Guid.NewGuid().ToString();
        using var request = Write(method, target, json, version, key, "return=minimal");
        using var response = await client.SendAsync(request);

        Assert.True(response.StatusCode == HttpStatusCode.NoContent, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal($"\"{version + 1}\"", response.Headers.ETag?.Tag);
        Assert.Equal("return=minimal", Header(response, "Preference-Applied"));
        Assert.Contains("Prefer", response.Headers.Vary);

        var (_, after) = await host.GetMunicipality(Sapporo);
        Assert.Equal(version + 1, after);
        Assert.Equal(historyBefore + 1, await host.HistoryTotal(Sapporo));
        using var check = await client.GetAsync($"/api/v1/municipalities/{Sapporo}/{target}");
        var shown = await ApiHost.Json(check);
        var sent = System.Text.Json.JsonDocument.Parse(json).RootElement.EnumerateObject().First();
        Assert.Equal(sent.Value.GetString(), shown.GetProperty(sent.Name).GetString());

        // The same request again (a retry) is a replay: minimal as well, nothing applied twice.
        using var retry = Write(method, target, json, version, key, "return=minimal");
        using var replayed = await client.SendAsync(retry);
        Assert.Equal(HttpStatusCode.NoContent, replayed.StatusCode);
        Assert.Equal("true", Header(replayed, "Idempotent-Replayed"));
        Assert.Equal(historyBefore + 1, await host.HistoryTotal(Sapporo));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("return=representation", "return=representation")]
    [InlineData("respond-async, wait=10", null)]     // other preferences are hints and ignored
    [InlineData("return=bogus", null)]               // an unknown value is ignored, never refused
    [InlineData("handling=lenient; x=1, return=\"minimal\"; q", "return=minimal")]
    public async Task Without_return_minimal_the_answer_is_the_municipality_view(string? prefer, string? applied)
    {
        using var client = host.Municipality(Sapporo, "prefer@city.sapporo");
        var (_, version) = await host.GetMunicipality(Sapporo);
        using var request = Write("PUT", "security/" + Catalog.ReadinessCatalog.Instance.SecurityItems[2].Id, $$"""{"status":"{{(version % 2 == 0 ? "partial" : "implemented")}}"}""", version, null, prefer);
        using var response = await client.SendAsync(request);
        Assert.Equal(applied, Header(response, "Preference-Applied"));
        Assert.Equal($"\"{version + 1}\"", response.Headers.ETag?.Tag);
        if (applied == "return=minimal")
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
            return;
        }

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var view = await ApiHost.Json(response);
        Assert.Equal(Sapporo, view.GetProperty("code").GetString());
        Assert.Equal(version + 1, view.GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task A_minimal_write_keeps_its_change_in_the_recent_changes_the_representation_shows()
    {
        // return=minimal leaves the recent changes out of the grain's answer only: the retry that asks for the
        // representation, and the next GET, list the change that was answered minimal.
        using var client = host.Municipality(Sapporo, "prefer@city.sapporo");
        var (_, version) = await host.GetMunicipality(Sapporo);
        var key = Guid.NewGuid().ToString();
        var json = $$"""{"vendor":"Minimal then full {{key[..8]}}","designated":false}""";
        using var minimal = Write("PUT", "systems/koseki", json, version, key, "return=minimal");
        using var answered = await client.SendAsync(minimal);
        Assert.True(answered.StatusCode == HttpStatusCode.NoContent, $"{answered.StatusCode}: {await answered.Content.ReadAsStringAsync()}");

        using var retry = Write("PUT", "systems/koseki", json, version, key, "return=representation");
        using var replayed = await client.SendAsync(retry);
        Assert.Equal(HttpStatusCode.OK, replayed.StatusCode);
        Assert.Equal("true", Header(replayed, "Idempotent-Replayed"));
        var view = await ApiHost.Json(replayed);
        var newest = view.GetProperty("recentChanges")[0];
        Assert.Equal(key, newest.GetProperty("requestId").GetString());
        Assert.Equal(version + 1, newest.GetProperty("version").GetInt64());

        using var get = await client.GetAsync($"/api/v1/municipalities/{Sapporo}");
        Assert.Equal(key, (await ApiHost.Json(get)).GetProperty("recentChanges")[0].GetProperty("requestId").GetString());
    }

    [Fact]
    public async Task A_report_with_return_minimal_answers_204_and_applies_and_audits_every_target()
    {
        using var client = host.Municipality(Sapporo, "prefer@city.sapporo");
        var (_, version) = await host.GetMunicipality(Sapporo);
        var historyBefore = await host.HistoryTotal(Sapporo);
        var key = Guid.NewGuid().ToString();
        var itemId = Catalog.ReadinessCatalog.Instance.SecurityItems[3].Id;
        var json = $$"""{"systems":[{"businessId":"child_allowance","vendor":"Report minimal {{key[..8]}}","designated":false}],"security":[{"itemId":"{{itemId}}","status":"{{(version % 2 == 0 ? "partial" : "implemented")}}"}]}""";
        using var response = await client.SendAsync(Report(json, key, "return=minimal"));

        Assert.True(response.StatusCode == HttpStatusCode.NoContent, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal($"\"{version + 1}\"", response.Headers.ETag?.Tag);
        Assert.Equal("return=minimal", Header(response, "Preference-Applied"));
        Assert.Equal(key, Header(response, "X-Request-Id"));
        Assert.Contains("Prefer", response.Headers.Vary);
        Assert.Null(Header(response, "Idempotent-Replayed"));

        // Both targets applied in one version and audited, as with the full answer.
        Assert.Equal(version + 1, (await host.GetMunicipality(Sapporo)).Version);
        Assert.Equal(historyBefore + 2, await host.HistoryTotal(Sapporo));
        using var system = await client.GetAsync($"/api/v1/municipalities/{Sapporo}/systems/child_allowance");
        Assert.Equal($"Report minimal {key[..8]}", (await ApiHost.Json(system)).GetProperty("vendor").GetString());

        // A retry is a replay, minimal as well; nothing applied twice.
        using var replayed = await client.SendAsync(Report(json, key, "return=minimal"));
        Assert.Equal(HttpStatusCode.NoContent, replayed.StatusCode);
        Assert.Equal("true", Header(replayed, "Idempotent-Replayed"));
        Assert.Equal(historyBefore + 2, await host.HistoryTotal(Sapporo));

        // The retry that asks for the representation gets the full report answer, the change first in the recent changes.
        using var full = await client.SendAsync(Report(json, key, "return=representation"));
        Assert.True(full.StatusCode == HttpStatusCode.OK, $"{full.StatusCode}: {await full.Content.ReadAsStringAsync()}");
        var result = await ApiHost.Json(full);
        Assert.Equal("replayed", result.GetProperty("status").GetString());
        Assert.Equal(version + 1, result.GetProperty("version").GetInt64());
        Assert.Equal(2, result.GetProperty("changes").GetArrayLength());
        Assert.Equal(key, result.GetProperty("municipality").GetProperty("recentChanges")[0].GetProperty("requestId").GetString());
        Assert.Equal(historyBefore + 2, await host.HistoryTotal(Sapporo));
    }

    [Fact]
    public async Task A_report_without_return_minimal_answers_the_full_report()
    {
        using var client = host.Municipality(Sapporo, "prefer@city.sapporo");
        var (_, version) = await host.GetMunicipality(Sapporo);
        var key = Guid.NewGuid().ToString();
        var json = $$"""{"systems":[{"businessId":"child_allowance","vendor":"Report full {{key[..8]}}","designated":false}]}""";
        using var response = await client.SendAsync(Report(json, key, null));
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Null(Header(response, "Preference-Applied"));
        var result = await ApiHost.Json(response);
        Assert.Equal("accepted", result.GetProperty("status").GetString());
        Assert.Equal(version + 1, result.GetProperty("municipality").GetProperty("version").GetInt64());
        Assert.Equal(key, result.GetProperty("municipality").GetProperty("recentChanges")[0].GetProperty("requestId").GetString());
    }

    [Fact]
    public async Task A_refused_report_is_a_problem_whatever_the_preference()
    {
        using var client = host.Municipality(Sapporo, "prefer@city.sapporo");
        var (_, version) = await host.GetMunicipality(Sapporo);
        using var response = await client.SendAsync(Report("""{"systems":[{"businessId":"child_allowance","phase":"bogus"}]}""", Guid.NewGuid().ToString(), "return=minimal"));
        await ApiHost.AssertProblem(response, HttpStatusCode.BadRequest, "systems[0].phase");
        Assert.Null(Header(response, "Preference-Applied"));
        Assert.Equal(version, (await host.GetMunicipality(Sapporo)).Version);
    }

    [Theory]
    [InlineData("/api/v1/municipalities/{code}/systems/{businessId}", "put")]
    [InlineData("/api/v1/municipalities/{code}/security/{itemId}", "patch")]
    [InlineData("/api/v1/municipalities/{code}/reports", "post")]
    [InlineData("/api/v1/municipalities/{code}/template/apply", "post")]
    [InlineData("/api/v1/prefectures/{prefCode}/systems/{businessId}", "put")]
    public async Task The_contract_describes_the_preference_and_the_minimal_answer(string path, string method)
    {
        using var client = host.Client();
        var operation = (await client.GetFromJsonAsync<System.Text.Json.JsonElement>("/openapi/v1.json")).GetProperty("paths").GetProperty(path).GetProperty(method);
        Assert.Contains(operation.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "Prefer" && p.GetProperty("in").GetString() == "header");
        var headers = operation.GetProperty("responses").GetProperty("204").GetProperty("headers");
        Assert.All(new[] { "ETag", "X-Request-Id", "Preference-Applied", "Idempotent-Replayed" }, h => Assert.True(headers.TryGetProperty(h, out _), $"{method} {path}: 204 without {h}"));

        // Every one of these writes takes If-Match (required, except a template, whose B3 names the version it was made from).
        Assert.Contains(operation.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "If-Match");
    }

    [Fact]
    public async Task A_refused_write_is_a_problem_whatever_the_preference()
    {
        using var client = host.Municipality(Sapporo, "prefer@city.sapporo");
        var (_, version) = await host.GetMunicipality(Sapporo);
        using var stale = Write("PUT", "systems/koseki", """{"vendor":"stale"}""", version + 7, null, "return=minimal");
        using var response = await client.SendAsync(stale);
        await ApiHost.AssertProblem(response, HttpStatusCode.PreconditionFailed, "If-Match");
        Assert.Null(Header(response, "Preference-Applied"));
    }

    [Fact]
    public async Task A_prefecture_run_write_takes_return_minimal_too()
    {
        using var prefecture = host.Client(host.Token(Role.Prefecture, "14", "prefer@pref.kanagawa"));
        using var get = await prefecture.GetAsync("/api/v1/prefectures/14/systems/public_assistance");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        var version = long.Parse(get.Headers.ETag!.Tag.Trim('"'), CultureInfo.InvariantCulture);
        var key = Guid.NewGuid().ToString();
        const string Json = """{"vendor":"Prefer 神奈川県","designated":false}""";
        using var request = ApiHost.Request(HttpMethod.Put, "/api/v1/prefectures/14/systems/public_assistance", Json, version, key);
        request.Headers.TryAddWithoutValidation("Prefer", "return=minimal");
        using var response = await prefecture.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.NoContent, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal($"\"{version + 1}\"", response.Headers.ETag?.Tag);
        Assert.Equal("return=minimal", Header(response, "Preference-Applied"));
        using var after = await prefecture.GetAsync("/api/v1/prefectures/14/systems/public_assistance");
        Assert.Equal("Prefer 神奈川県", (await ApiHost.Json(after)).GetProperty("vendor").GetString());

        // The grain answered without its recent changes but kept them: the retry that asks for the representation shows this one first.
        using var retry = ApiHost.Request(HttpMethod.Put, "/api/v1/prefectures/14/systems/public_assistance", Json, version, key);
        retry.Headers.TryAddWithoutValidation("Prefer", "return=representation");
        using var replayed = await prefecture.SendAsync(retry);
        Assert.True(replayed.StatusCode == HttpStatusCode.OK, $"{replayed.StatusCode}: {await replayed.Content.ReadAsStringAsync()}");
        Assert.Equal("true", Header(replayed, "Idempotent-Replayed"));
        var newest = (await ApiHost.Json(replayed)).GetProperty("recentChanges")[0];
        Assert.Equal(key, newest.GetProperty("requestId").GetString());
    }

    private static HttpRequestMessage Write(string method, string target, string json, long version, string? key, string? prefer)
    {
        var request = ApiHost.Request(new HttpMethod(method), $"/api/v1/municipalities/{Sapporo}/{target}", json, version, key);
        if (method == "PATCH")
        {
            request.Content!.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/merge-patch+json");
        }

        if (prefer is not null)
        {
            request.Headers.TryAddWithoutValidation("Prefer", prefer);
        }

        return request;
    }

    private static HttpRequestMessage Report(string json, string key, string? prefer)
    {
        var request = ApiHost.Request(HttpMethod.Post, $"/api/v1/municipalities/{Sapporo}/reports", json, idempotencyKey: key, anyVersion: true);
        if (prefer is not null)
        {
            request.Headers.TryAddWithoutValidation("Prefer", prefer);
        }

        return request;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : null;
}
