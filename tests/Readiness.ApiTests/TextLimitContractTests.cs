using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Readiness.Rules;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// Every free-text member's length limit is in the contract (maxLength) and is the limit the server applies: the limit
/// itself is accepted, one more is 422 too_long naming the member, on the schemas of the single PUTs and of reports.
/// </summary>
public sealed class TextLimitContractTests(ApiHost host) : IClassFixture<ApiHost>
{
    public static TheoryData<string, string, int> Limits() => new()
    {
        { "SystemReport", "vendor", ChangeRules.MaxVendorLength },
        { "SystemReport", "regressionReason", ChangeRules.MaxReasonLength },
        { "SystemReportItem", "vendor", ChangeRules.MaxVendorLength },
        { "SystemReportItem", "regressionReason", ChangeRules.MaxReasonLength },
        { "SecurityReport", "evidence", ChangeRules.MaxEvidenceLength },
        { "SecurityReportItem", "evidence", ChangeRules.MaxEvidenceLength },
    };

    [Theory]
    [MemberData(nameof(Limits))]
    public async Task The_contract_states_each_free_text_limit(string schema, string member, int max)
    {
        using var client = host.Client();
        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var property = document.GetProperty("components").GetProperty("schemas").GetProperty(schema).GetProperty("properties").GetProperty(member);
        Assert.Equal(max, property.GetProperty("maxLength").GetInt32());
    }

    [Fact]
    public async Task The_limits_the_contract_states_are_the_ones_applied()
    {
        using var client = host.Municipality(ApiHost.Osaka);
        async Task<HttpResponseMessage> Put(string path, object body)
        {
            var (_, version) = await host.GetMunicipality(ApiHost.Osaka);
            return await client.SendAsync(ApiHost.Request(HttpMethod.Put, $"/api/v1/municipalities/{ApiHost.Osaka}/{path}", JsonSerializer.Serialize(body), version));
        }

        using (var atLimit = await Put("systems/koseki", new { phase = "testing", designated = false, vendor = new string('社', ChangeRules.MaxVendorLength) }))
        {
            Assert.Equal(HttpStatusCode.OK, atLimit.StatusCode);
        }

        using (var over = await Put("systems/koseki", new { phase = "testing", designated = false, vendor = new string('社', ChangeRules.MaxVendorLength + 1) }))
        {
            var problem = await ApiHost.AssertProblem(over, HttpStatusCode.UnprocessableEntity);
            Assert.Contains(problem.GetProperty("errors").EnumerateArray(), e => e.GetProperty("code").GetString() == "too_long" && e.GetProperty("field").GetString()!.EndsWith("vendor", StringComparison.Ordinal));
        }

        var item = Readiness.Catalog.ReadinessCatalog.Instance.SecurityItems[0].Id;
        using (var atLimit = await Put($"security/{item}", new { status = "implemented", evidence = new string('証', ChangeRules.MaxEvidenceLength) }))
        {
            Assert.Equal(HttpStatusCode.OK, atLimit.StatusCode);
        }

        using (var over = await Put($"security/{item}", new { status = "implemented", evidence = new string('証', ChangeRules.MaxEvidenceLength + 1) }))
        {
            var problem = await ApiHost.AssertProblem(over, HttpStatusCode.UnprocessableEntity);
            Assert.Contains(problem.GetProperty("errors").EnumerateArray(), e => e.GetProperty("code").GetString() == "too_long" && e.GetProperty("field").GetString()!.EndsWith("evidence", StringComparison.Ordinal));
        }
    }
}
