using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// Unicode noncharacters sent as text (a breaker's finding): U+FFFF was stored and then broke every .xlsx holding it
/// (the nation's export, a 500 for everyone); U+FFFE made the write itself a 500, and a search for it too. Each text
/// field refuses them with 422 naming the field, nothing is stored, and a search for one answers, never 5xx.
/// </summary>
public sealed class NoncharacterInputTests(ApiHost host) : IClassFixture<ApiHost>
{
    public static TheoryData<string, string> Fields() => new()
    {
        { "vendor", "\\uFFFF" },
        { "vendor", "\\uFFFE" },
        { "regressionReason", "\\uFDD0" },
        { "vendor", "\\uDBFF\\uDFFF" }, // U+10FFFF
    };

    [Theory]
    [MemberData(nameof(Fields))]
    public async Task A_noncharacter_in_a_municipality_system_is_refused_naming_the_field(string member, string escaped)
    {
        using var client = host.Municipality(ApiHost.Chuo);
        var before = await client.GetFromJsonAsync<JsonElement>($"/api/v1/municipalities/{ApiHost.Chuo}");
        var json = $$"""{"{{member}}":"株式会社 {{escaped}} テスト"}""";
        using var response = await client.SendAsync(Patch($"/api/v1/municipalities/{ApiHost.Chuo}/systems/koseki", json));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, $"{response.StatusCode}: {body}");
        Assert.Contains("invalid_character", body, StringComparison.Ordinal);
        Assert.Contains(member, body, StringComparison.Ordinal);
        var after = await client.GetFromJsonAsync<JsonElement>($"/api/v1/municipalities/{ApiHost.Chuo}");
        Assert.Equal(before.GetProperty("version").GetInt64(), after.GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task A_noncharacter_in_a_prefecture_system_or_a_scenario_is_refused_and_the_exports_still_answer()
    {
        using var prefecture = host.Client(host.Token(Readiness.Role.Prefecture, "13"));
        using (var response = await prefecture.SendAsync(Patch("/api/v1/prefectures/13/systems/child_rearing_allowance", """{"vendor":"p \uFFFF"}""")))
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, $"{response.StatusCode}: {body}");
        }

        using var national = host.National();
        using (var response = await national.PostAsync(new Uri("/api/v1/scenarios", UriKind.Relative), new StringContent(
            """{"name":"nonchar","vendorCapacity":[{"vendor":"a \uFFFE b","perMonth":5}]}""", System.Text.Encoding.UTF8, "application/json")))
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode is 400 or 422, $"{response.StatusCode}: {body}");
            Assert.Contains("vendorCapacity[0].vendor", body, StringComparison.Ordinal);
        }

        foreach (var path in new[] { "/api/v1/prefectures/13/municipalities.xlsx?q=%EF%BF%BE", "/api/v1/prefectures/13/municipalities.csv?q=%EF%BF%BF", "/api/v1/export/municipalities.xlsx?prefecture=13" })
        {
            using var response = await national.GetAsync(new Uri(path, UriKind.Relative));
            Assert.True((int)response.StatusCode < 500, $"{path}: {response.StatusCode}");
        }
    }

    private static HttpRequestMessage Patch(string path, string json)
    {
        var request = ApiHost.Request(HttpMethod.Patch, path, json, anyVersion: true);
        request.Content!.Headers.ContentType = new("application/merge-patch+json");
        return request;
    }
}
