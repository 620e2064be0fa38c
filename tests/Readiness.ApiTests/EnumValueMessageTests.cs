using System.Net;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A value outside a closed set is quoted as it was sent, in both languages (a tester's finding: <c>{"phase":9}</c> was
/// answered "number is not one of", naming the JSON type instead of the value); nothing changes.
/// </summary>
public sealed class EnumValueMessageTests(ApiHost host) : IClassFixture<ApiHost>
{
    [Theory]
    [InlineData("9", "9", "9")]
    [InlineData("-1.5e3", "-1.5e3", "-1.5e3")]
    [InlineData("true", "true", "true")]
    [InlineData("\"bogus\"", "'bogus'", "'bogus'")]
    [InlineData("{\"a\":1}", "An object", "オブジェクト")]
    [InlineData("[1]", "An array", "配列")]
    public async Task A_value_outside_the_set_is_quoted_as_sent(string json, string shownEn, string shownJa)
    {
        const string M = "131041"; // 新宿区: no other test of this class writes it
        using var client = host.Municipality(M);
        var (_, version) = await host.GetMunicipality(M);
        using var response = await client.SendAsync(ApiHost.Request(HttpMethod.Put, $"/api/v1/municipalities/{M}/systems/koseki", $$"""{"phase":{{json}}}""", version));
        var problem = await ApiHost.AssertProblem(response, HttpStatusCode.BadRequest, "phase");
        var error = problem.GetProperty("errors").EnumerateArray().Single(e => e.GetProperty("field").GetString() == "phase");
        Assert.StartsWith($"{shownEn} is not one of: not_started, ", error.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
        Assert.StartsWith($"{shownJa} は使用できません", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        Assert.Equal(version, (await host.GetMunicipality(M)).Version);
    }
}
