using System.Net;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A write whose body has a malformed member and another member breaking a rule answers both in one 400 (round 50: a
/// PATCH told only the malformed one, so the caller fixed it and was refused again for the other), for each write that
/// reads its body in two stages (the format, then the rules): PUT and PATCH of a municipality's system and checklist item
/// and of a prefecture's own system.
/// Nothing is saved.
/// </summary>
public sealed class WholeBodyFaultsTests(ApiHost host) : IClassFixture<ApiHost>
{
    /// <summary>Failed before: errors held plannedGoLive / lastReviewed alone.</summary>
    [Theory]
    [InlineData("PATCH", "systems/child_allowance", "{\"plannedGoLive\":\"2026-13-45\",\"hosting\":\"on_premises\",\"cloudProvider\":\"aws\"}", "plannedGoLive", "cloudProvider")]
    [InlineData("PUT", "systems/child_allowance", "{\"plannedGoLive\":\"2026-13-45\",\"hosting\":\"on_premises\",\"cloudProvider\":\"aws\"}", "plannedGoLive", "cloudProvider")]
    [InlineData("PATCH", "security/SEC-2-01", "{\"lastReviewed\":\"yesterday\",\"evidence\":\"https://[bad\"}", "lastReviewed", "evidence")]
    [InlineData("PUT", "security/SEC-2-01", "{\"lastReviewed\":\"yesterday\",\"evidence\":\"https://[bad\"}", "lastReviewed", "evidence")]
    [InlineData("PATCH", "/api/v1/prefectures/13/systems/public_assistance", "{\"plannedGoLive\":\"2026-13-45\",\"hosting\":\"on_premises\",\"cloudProvider\":\"aws\"}", "plannedGoLive", "cloudProvider")]
    [InlineData("PUT", "/api/v1/prefectures/13/systems/public_assistance", "{\"plannedGoLive\":\"2026-13-45\",\"hosting\":\"on_premises\",\"cloudProvider\":\"aws\"}", "plannedGoLive", "cloudProvider")]
    public async Task A_malformed_member_and_a_broken_rule_are_answered_together(string method, string target, string body, string malformed, string ruleBroken)
    {
        await host.WaitUntilReadyAsync();
        var prefectureRun = target.StartsWith('/');
        using var municipality = prefectureRun ? host.Client(host.Token(Role.Prefecture, "13", "whole-body@pref.tokyo")) : host.Municipality(ApiHost.Chiyoda, "whole-body@city.chiyoda");
        var address = prefectureRun ? target : $"/api/v1/municipalities/{ApiHost.Chiyoda}/{target}";
        using var read = await municipality.GetAsync(address);
        var before = await read.Content.ReadAsStringAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), address)
        {
            Content = new StringContent(body, Encoding.UTF8, method == "PATCH" ? "application/merge-patch+json" : "application/json"),
        };
        request.Headers.TryAddWithoutValidation("If-Match", read.Headers.ETag!.ToString());
        using var response = await municipality.SendAsync(request);
        var problem = await ApiHost.AssertProblem(response, HttpStatusCode.BadRequest);
        var fields = problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()).ToList();
        Assert.Contains(malformed, fields);
        Assert.Contains(ruleBroken, fields);
        Assert.StartsWith($"{fields.Count}件の誤りがあります", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // Nothing saved.
        Assert.Equal(before, await municipality.GetStringAsync(address));
    }

    /// <summary>The rule alone is still its own answer (422), and the malformed member alone its 400.</summary>
    [Fact]
    public async Task Each_fault_alone_keeps_its_own_answer()
    {
        await host.WaitUntilReadyAsync();
        using var municipality = host.Municipality(ApiHost.Chiyoda, "whole-body@city.chiyoda");
        var address = $"/api/v1/municipalities/{ApiHost.Chiyoda}/systems/child_allowance";
        foreach (var (body, status, field) in new[]
        {
            ("{\"hosting\":\"on_premises\",\"cloudProvider\":\"aws\"}", HttpStatusCode.UnprocessableEntity, "cloudProvider"),
            ("{\"plannedGoLive\":\"2026-13-45\"}", HttpStatusCode.BadRequest, "plannedGoLive"),
        })
        {
            using var read = await municipality.GetAsync(address);
            using var request = new HttpRequestMessage(HttpMethod.Patch, address) { Content = new StringContent(body, Encoding.UTF8, "application/merge-patch+json") };
            request.Headers.TryAddWithoutValidation("If-Match", read.Headers.ETag!.ToString());
            using var response = await municipality.SendAsync(request);
            var problem = await ApiHost.AssertProblem(response, status, field);
            Assert.Single(problem.GetProperty("errors").EnumerateArray());
        }
    }
}
