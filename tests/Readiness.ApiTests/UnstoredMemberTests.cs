using System.Net;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// What a client sends is stored or refused with 422 naming the member, never answered 204/200 with a new version and
/// nothing stored (an integrator's finding, on PATCH, PUT, whole reports and prefecture-run systems alike). Also: the
/// web tier's own bookkeeping of which members were sent is not a member a body can carry.
/// </summary>
public sealed class UnstoredMemberTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string Code = "132012"; // 八王子市: this class's own municipality

    private async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, string json, string contentType = "application/merge-patch+json")
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8, contentType) };
        request.Headers.TryAddWithoutValidation("If-Match", "*");
        request.Headers.TryAddWithoutValidation("Idempotency-Key", Guid.NewGuid().ToString());
        return await client.SendAsync(request);
    }

    private async Task<JsonElement> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ApiHost.Json(response);
    }

    [Fact]
    public async Task A_regression_reason_is_corrected_while_the_phase_stays_back_and_cleared_by_a_forward_move()
    {
        using var client = host.Municipality(Code);
        var path = $"/api/v1/municipalities/{Code}/systems/health_management";
        using (var forward = await SendAsync(client, HttpMethod.Patch, path, """{"phase":"in_production"}""")) { Assert.True(forward.IsSuccessStatusCode); }
        using (var back = await SendAsync(client, HttpMethod.Patch, path, """{"phase":"testing","regressionReason":"戻す理由"}""")) { Assert.True(back.IsSuccessStatusCode); }

        // A correction while it stays back is stored.
        using (var corrected = await SendAsync(client, HttpMethod.Patch, path, """{"regressionReason":"理由を訂正"}"""))
        {
            Assert.True(corrected.IsSuccessStatusCode, await corrected.Content.ReadAsStringAsync());
        }

        Assert.Equal("理由を訂正", (await GetAsync(client, path)).GetProperty("regressionReason").GetString());

        // The GET's body sent back with only the phase moved forward: accepted, the reason cleared as documented.
        var read = (await GetAsync(client, path)).Clone();
        var body = JsonSerializer.Serialize(new { phase = "in_production", regressionReason = read.GetProperty("regressionReason").GetString() });
        using (var echoed = await SendAsync(client, HttpMethod.Patch, path, body)) { Assert.True(echoed.IsSuccessStatusCode, await echoed.Content.ReadAsStringAsync()); }
        Assert.Equal(JsonValueKind.Null, (await GetAsync(client, path)).GetProperty("regressionReason").ValueKind);
    }

    [Fact]
    public async Task A_designation_member_for_a_system_not_designated_is_refused_on_patch_put_and_reports()
    {
        using var client = host.Municipality(Code);
        var path = $"/api/v1/municipalities/{Code}/systems/fixed_asset_tax";
        using (var plain = await SendAsync(client, HttpMethod.Patch, path, """{"designated":false}""")) { Assert.True(plain.IsSuccessStatusCode); }

        using (var patch = await SendAsync(client, HttpMethod.Patch, path, """{"designationReason":"mainframe"}"""))
        {
            await ApiHost.AssertProblem(patch, HttpStatusCode.UnprocessableEntity, "designationReason");
        }

        using (var put = await SendAsync(client, HttpMethod.Put, path, """{"phase":"fit_gap","designationReason":"custom_built","designationTarget":"2029-03-31"}""", "application/json"))
        {
            var problem = await ApiHost.AssertProblem(put, HttpStatusCode.UnprocessableEntity, "designationReason");
            Assert.Contains(problem.GetProperty("errors").EnumerateArray(), e => e.GetProperty("field").GetString() == "designationTarget");
        }

        using (var report = await SendAsync(client, HttpMethod.Post, $"/api/v1/municipalities/{Code}/reports",
            """{"systems":[{"businessId":"fixed_asset_tax","designationReason":"mainframe"}]}""", "application/json"))
        {
            await ApiHost.AssertProblem(report, HttpStatusCode.UnprocessableEntity, "systems[0].designationReason");
        }

        Assert.False((await GetAsync(client, path)).GetProperty("designated").GetBoolean());

        // With designated: true it is stored.
        using (var designated = await SendAsync(client, HttpMethod.Patch, path, """{"designated":true,"designationReason":"mainframe","designationTarget":"2029-03-31"}"""))
        {
            Assert.True(designated.IsSuccessStatusCode, await designated.Content.ReadAsStringAsync());
        }

        Assert.Equal("mainframe", (await GetAsync(client, path)).GetProperty("designationReason").GetString());
    }

    [Fact]
    public async Task A_prefecture_run_system_refuses_a_designation_member_it_would_drop()
    {
        using var client = host.Client(host.Token(Role.Prefecture, "27", "unstored@pref.osaka"));
        var path = "/api/v1/prefectures/27/systems/public_assistance";
        using (var plain = await SendAsync(client, HttpMethod.Patch, path, """{"phase":"fit_gap","designated":false}""")) { Assert.True(plain.IsSuccessStatusCode, await plain.Content.ReadAsStringAsync()); }
        using var refused = await SendAsync(client, HttpMethod.Patch, path, """{"designationTarget":"2029-03-31"}""");
        await ApiHost.AssertProblem(refused, HttpStatusCode.UnprocessableEntity, "designationTarget");
    }

    [Theory]
    [InlineData("PUT", """{"phase":"fit_gap","given":["vendor"]}""")]
    [InlineData("PATCH", """{"given":["vendor"]}""")]
    [InlineData("POST", """{"systems":[{"businessId":"koseki","phase":"fit_gap","given":["zzz"]}]}""")]
    public async Task The_members_sent_bookkeeping_is_not_a_member_of_a_body(string method, string json)
    {
        using var client = host.Municipality(Code);
        var path = method == "POST" ? $"/api/v1/municipalities/{Code}/reports" : $"/api/v1/municipalities/{Code}/systems/koseki";
        using var response = await SendAsync(client, new HttpMethod(method), path, json, method == "PATCH" ? "application/merge-patch+json" : "application/json");
        var problem = await ApiHost.AssertProblem(response, HttpStatusCode.BadRequest);
        var error = problem.GetProperty("errors")[0];
        Assert.Equal("unknown_property", error.GetProperty("code").GetString());
        Assert.DoesNotContain("given", error.GetProperty("messageEn").GetString()!.Split("the properties are:")[1], StringComparison.Ordinal);
    }
}
