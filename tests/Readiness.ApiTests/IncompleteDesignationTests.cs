using System.Net;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// Systems the public baseline lists as 特定移行支援システム come without a reason or a target (the list does not give
/// them). A breaker found that every update to such a system was refused naming those two members, which the request
/// had not touched: a municipality could not even correct its vendor. A value kept as stored is not judged again.
/// </summary>
public sealed class IncompleteDesignationTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string M = ApiHost.Osaka;

    [Fact]
    public async Task A_baseline_designation_without_reason_or_target_does_not_block_other_updates()
    {
        var (view, version) = await host.GetMunicipality(M);
        var incomplete = view.GetProperty("systems").EnumerateArray().First(s => s.GetProperty("designated").GetBoolean()
            && s.GetProperty("designationReason").ValueKind == JsonValueKind.Null && s.GetProperty("designationTarget").ValueKind == JsonValueKind.Null);
        var business = incomplete.GetProperty("businessId").GetString()!;
        var path = $"/api/v1/municipalities/{M}/systems/{business}";
        using var client = host.Municipality(M);

        using (var request = ApiHost.Request(HttpMethod.Patch, path, null, version))
        {
            request.Content = new StringContent("""{"vendor":"株式会社テスト"}""", Encoding.UTF8, "application/merge-patch+json");
            using var patch = await client.SendAsync(request);
            Assert.True(patch.StatusCode == HttpStatusCode.OK, await patch.Content.ReadAsStringAsync());
        }

        (view, version) = await host.GetMunicipality(M);
        var after = view.GetProperty("systems").EnumerateArray().Single(s => s.GetProperty("businessId").GetString() == business);
        Assert.Equal("株式会社テスト", after.GetProperty("vendor").GetString());
        Assert.True(after.GetProperty("designated").GetBoolean());

        // Touching the designation still needs both: a reason alone names the target.
        using (var request = ApiHost.Request(HttpMethod.Patch, path, null, version))
        {
            request.Content = new StringContent("""{"designationReason":"mainframe"}""", Encoding.UTF8, "application/merge-patch+json");
            using var refused = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
            Assert.Contains("\"field\":\"designationTarget\"", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }
}
