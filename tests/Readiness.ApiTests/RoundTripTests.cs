using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// One representation read and written: GET a system or checklist item, change one member, PUT it back; the
/// municipality's view uses the same names; a member left out keeps its value, null clears it; and PATCH takes a
/// JSON Merge Patch (RFC 7396) with If-Match.
/// </summary>
public sealed class RoundTripTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string Code = ApiHost.Chuo;
    private const string Systems = $"/api/v1/municipalities/{Code}/systems";
    private const string Security = $"/api/v1/municipalities/{Code}/security";

    private static readonly string[] SystemMembers =
        ["phase", "plannedGoLive", "vendor", "hosting", "notApplicable", "designated", "designationReason", "designationReasonNote", "designationTarget", "regressionReason", "cloudProvider"];

    private async Task<(JsonObject Body, string ETag)> Read(string path)
    {
        await host.GetMunicipality(Code); // waits out a 503 of a host still starting
        using var client = host.Municipality(Code);
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/merge-patch+json", response.Headers.GetValues("Accept-Patch").Single());
        return (JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject(), response.Headers.ETag!.Tag);
    }

    private async Task<HttpResponseMessage> Send(HttpMethod method, string path, string json, string etag, string mediaType = "application/json")
    {
        using var client = host.Municipality(Code);
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(json, new MediaTypeHeaderValue(mediaType)) };
        request.Headers.TryAddWithoutValidation("If-Match", etag);
        return await client.SendAsync(request);
    }

    private async Task<JsonObject> Write(HttpMethod method, string path, string json, string mediaType = "application/json")
    {
        var (_, etag) = await Read(path);
        using var response = await Send(method, path, json, etag, mediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {text}");
        return (await Read(path)).Body;
    }

    [Fact]
    public async Task A_system_read_changed_in_one_member_and_put_back_changes_only_that_member()
    {
        var path = $"{Systems}/public_assistance";
        await Write(HttpMethod.Put, path,
            """{"phase":"testing","regressionReason":"テスト","plannedGoLive":"2027-04-01","vendor":"初期","hosting":"government_cloud","designated":true,"designationReason":"mainframe","designationTarget":"2030-03-31"}""");
        var (before, etag) = await Read(path);
        Assert.Equal(SystemMembers.Order(), before.Select(p => p.Key).Order());

        before["vendor"] = "株式会社サンプル";
        using var put = await Send(HttpMethod.Put, path, before.ToJsonString(), etag);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        var (after, etagAfter) = await Read(path);
        Assert.NotEqual(etag, etagAfter);
        Assert.True(JsonNode.DeepEquals(before, after), $"{before.ToJsonString()} vs {after.ToJsonString()}");
    }

    [Fact]
    public async Task The_municipality_view_names_the_members_as_the_item_resource_does()
    {
        var path = $"{Systems}/child_allowance";
        var item = await Write(HttpMethod.Put, path, """{"phase":"fit_gap","regressionReason":"テスト","vendor":"同じ名前","designated":true,"designationReason":"vendor_capacity","designationTarget":"2029-03-31"}""");
        var (view, _) = await host.GetMunicipality(Code);
        var system = view.GetProperty("systems").EnumerateArray().Single(s => s.GetProperty("businessId").GetString() == "child_allowance");
        foreach (var (name, value) in item)
        {
            Assert.True(system.TryGetProperty(name, out var shown), $"the municipality view has no '{name}'");
            Assert.True(JsonNode.DeepEquals(value, JsonNode.Parse(shown.GetRawText())), $"{name}: {value?.ToJsonString()} vs {shown.GetRawText()}");
        }
    }

    [Fact]
    public async Task A_put_keeps_what_it_leaves_out_and_null_clears()
    {
        var path = $"{Systems}/individual_resident_tax";
        await Write(HttpMethod.Put, path, """{"phase":"testing","regressionReason":"テスト","vendor":"A","hosting":"government_cloud","plannedGoLive":"2027-01-04"}""");
        var kept = await Write(HttpMethod.Put, path, """{"vendor":"B"}""");
        Assert.Equal("B", (string?)kept["vendor"]);
        Assert.Equal("government_cloud", (string?)kept["hosting"]);
        Assert.Equal("testing", (string?)kept["phase"]);
        Assert.Equal("2027-01-04", (string?)kept["plannedGoLive"]);

        var cleared = await Write(HttpMethod.Put, path, """{"hosting":null,"plannedGoLive":null}""");
        Assert.Null(cleared["hosting"]);
        Assert.Null(cleared["plannedGoLive"]);
        Assert.Equal("B", (string?)cleared["vendor"]);
    }

    [Fact]
    public async Task A_checklist_item_round_trips_and_keeps_what_is_left_out()
    {
        var path = $"{Security}/SEC-2-01";
        await Write(HttpMethod.Put, path, """{"status":"partial","evidence":"https://example.jp/policy","lastReviewed":"2026-01-05"}""");
        var (item, etag) = await Read(path);
        Assert.Equal(["evidence", "lastReviewed", "status"], item.Select(p => p.Key).Order());
        item["status"] = "implemented";
        using var put = await Send(HttpMethod.Put, path, item.ToJsonString(), etag);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var after = (await Read(path)).Body;
        Assert.True(JsonNode.DeepEquals(item, after));

        var kept = await Write(HttpMethod.Put, path, """{"evidence":"見直し済み"}""");
        Assert.Equal("implemented", (string?)kept["status"]);
        Assert.Equal("2026-01-05", (string?)kept["lastReviewed"]);
    }

    [Fact]
    public async Task Merge_patch_changes_the_members_it_names_and_null_removes()
    {
        var path = $"{Systems}/fixed_asset_tax";
        await Write(HttpMethod.Put, path, """{"phase":"build_and_data_migration","regressionReason":"テスト","vendor":"V","hosting":"government_cloud","designated":true,"designationReason":"mainframe","designationTarget":"2030-03-31"}""");

        var patched = await Write(HttpMethod.Patch, path, """{"vendor":"W","hosting":null}""", "application/merge-patch+json");
        Assert.Equal("W", (string?)patched["vendor"]);
        Assert.Null(patched["hosting"]);
        Assert.Equal("build_and_data_migration", (string?)patched["phase"]);
        Assert.Equal("mainframe", (string?)patched["designationReason"]);

        // A new target date alone: the reason is kept, and the rules see the merged designation.
        var target = await Write(HttpMethod.Patch, path, """{"designationTarget":"2030-12-27"}""", "application/merge-patch+json");
        Assert.Equal("2030-12-27", (string?)target["designationTarget"]);
        Assert.Equal("mainframe", (string?)target["designationReason"]);
        Assert.Equal(true, (bool?)target["designated"]);

        var undesignated = await Write(HttpMethod.Patch, path, """{"designated":false}""", "application/merge-patch+json");
        Assert.Equal(false, (bool?)undesignated["designated"]);
        Assert.Null(undesignated["designationReason"]);
        Assert.Null(undesignated["designationTarget"]);
    }

    [Fact]
    public async Task Merge_patch_on_a_checklist_item_keeps_the_status()
    {
        var path = $"{Security}/SEC-4-01";
        await Write(HttpMethod.Put, path, """{"status":"partial","evidence":"old"}""");
        var patched = await Write(HttpMethod.Patch, path, """{"evidence":null,"lastReviewed":"2026-02-02"}""", "application/merge-patch+json");
        Assert.Equal("partial", (string?)patched["status"]);
        Assert.Null(patched["evidence"]);
        Assert.Equal("2026-02-02", (string?)patched["lastReviewed"]);
    }

    public static TheoryData<string, string> RefusedPatches() => new()
    {
        { """{"phase":null}""", "phase" },                       // removing a member that has no "empty"
        { """{"notApplicable":null}""", "notApplicable" },
        { """{"designationReason":"lazy"}""", "designationReason" },
        { """{"regressionReason":5}""", "regressionReason" },
        { """["vendor"]""", "body" },
        { """{"businessId":"koseki"}""", "businessId" },
    };

    [Theory]
    [MemberData(nameof(RefusedPatches))]
    public async Task A_merge_patch_that_breaks_the_representation_is_a_400_naming_the_member(string json, string field)
    {
        var path = $"{Systems}/koseki";
        var (before, etag) = await Read(path);
        using var response = await Send(HttpMethod.Patch, path, json, etag, "application/merge-patch+json");
        await ApiHost.AssertProblem(response, HttpStatusCode.BadRequest, field);
        var (after, etagAfter) = await Read(path);
        Assert.Equal(etag, etagAfter);
        Assert.True(JsonNode.DeepEquals(before, after));
    }

    [Fact]
    public async Task A_merge_patch_that_breaks_a_rule_is_a_422_naming_the_member_by_its_wire_name()
    {
        var path = $"{Systems}/national_health_insurance";
        await Write(HttpMethod.Put, path, """{"phase":"testing","regressionReason":"テスト"}""");
        var (_, etag) = await Read(path);
        using var backwards = await Send(HttpMethod.Patch, path, """{"phase":"fit_gap"}""", etag, "application/merge-patch+json");
        await ApiHost.AssertProblem(backwards, HttpStatusCode.UnprocessableEntity, "regressionReason");

        using var withReason = await Send(HttpMethod.Patch, path, """{"phase":"fit_gap","regressionReason":"仕様変更"}""", etag, "application/merge-patch+json");
        Assert.Equal(HttpStatusCode.OK, withReason.StatusCode);
        var (after, _) = await Read(path);
        Assert.Equal("仕様変更", (string?)after["regressionReason"]);
    }

    [Fact]
    public async Task Patch_with_plain_json_is_415_with_accept_patch()
    {
        var path = $"{Systems}/koseki";
        var (_, etag) = await Read(path);
        using var response = await Send(HttpMethod.Patch, path, """{"vendor":"x"}""", etag);
        await ApiHost.AssertProblem(response, HttpStatusCode.UnsupportedMediaType, "Content-Type");
        Assert.Equal("application/merge-patch+json", response.Headers.GetValues("Accept-Patch").Single());
    }

    [Fact]
    public async Task A_report_item_keeps_what_it_leaves_out_and_its_replay_is_recognised_after_other_changes()
    {
        var path = $"{Systems}/light_vehicle_tax";
        var key = "roundtrip-" + Guid.NewGuid().ToString("N");
        await Write(HttpMethod.Put, path, """{"phase":"testing","regressionReason":"テスト","vendor":"住基ベンダー","hosting":"government_cloud"}""");
        const string body = """{"systems":[{"businessId":"light_vehicle_tax","plannedGoLive":"2027-10-01"}]}""";
        using var client = host.Municipality(Code);
        using var first = await client.SendAsync(ApiHost.Request(HttpMethod.Post, $"/api/v1/municipalities/{Code}/reports", body, idempotencyKey: key, anyVersion: true));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var (item, _) = await Read(path);
        Assert.Equal("住基ベンダー", (string?)item["vendor"]);
        Assert.Equal("government_cloud", (string?)item["hosting"]);
        Assert.Equal("2027-10-01", (string?)item["plannedGoLive"]);

        await Write(HttpMethod.Put, path, """{"vendor":"後の変更"}""");
        using var replay = await client.SendAsync(ApiHost.Request(HttpMethod.Post, $"/api/v1/municipalities/{Code}/reports", body, idempotencyKey: key, anyVersion: true));
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal("後の変更", (string?)(await Read(path)).Body["vendor"]);
    }
}
