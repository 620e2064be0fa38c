using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// An enumeration the OpenAPI document lists is what the endpoints take and what GET answers, one kind per test (as
/// <see cref="NotificationKindListTests"/> does for the notification kinds): the values are read from the served
/// document, so a value added there (or only in the code) is walked unasked.
/// </summary>
public sealed class OpenApiEnumerationTests(ApiHost host) : IClassFixture<ApiHost>
{
    [Fact]
    public async Task Every_notification_frequency_the_document_lists_is_taken_and_answered_and_no_other()
    {
        var frequencies = await EnumAsync("NotificationFrequency");
        Assert.Contains("weekly", frequencies);
        using var me = host.Client(host.Token(Role.Prefecture, "13", "frequencies@pref.tokyo"));
        var kind = (await me.GetFromJsonAsync<JsonElement>("/api/v1/notifications/preferences")).GetProperty("items")[0].GetProperty("kind").GetString();
        foreach (var frequency in frequencies)
        {
            using var put = await me.PutAsJsonAsync("/api/v1/notifications/preferences", new { items = new[] { new { kind, mail = false, inApp = true, frequency } } });
            Assert.True(put.StatusCode == HttpStatusCode.OK, $"{frequency}: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
            var answered = (await me.GetFromJsonAsync<JsonElement>("/api/v1/notifications/preferences")).GetProperty("items").EnumerateArray()
                .Single(i => i.GetProperty("kind").GetString() == kind).GetProperty("frequency").GetString();
            Assert.Equal(frequency, answered);
        }

        using var other = await me.PutAsJsonAsync("/api/v1/notifications/preferences", new { items = new[] { new { kind, mail = false, inApp = true, frequency = "hourly" } } });
        await ApiHost.AssertProblem(other, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Every_migration_phase_the_document_lists_is_taken_as_a_phase_and_answered_within_the_list()
    {
        var phases = await EnumAsync("MigrationPhase");
        Assert.True(phases.Count >= 4, string.Join(", ", phases));
        using var municipality = host.Municipality(ApiHost.Chiyoda, "phases@city.chiyoda");
        var address = $"/api/v1/municipalities/{ApiHost.Chiyoda}/systems/child_allowance";
        foreach (var phase in phases.Append("no_such_phase"))
        {
            using var read = await municipality.GetAsync(address);
            using var patch = new HttpRequestMessage(HttpMethod.Patch, address)
            {
                Content = new StringContent(JsonSerializer.Serialize(new { phase, regressionReason = "enumeration test" }), Encoding.UTF8, "application/merge-patch+json"),
            };
            patch.Headers.TryAddWithoutValidation("If-Match", read.Headers.ETag!.ToString());
            using var response = await municipality.SendAsync(patch);
            var text = await response.Content.ReadAsStringAsync();

            // A domain rule may refuse the move (422); the value itself is refused only when it is not a phase.
            var refusedAsValue = response.StatusCode == HttpStatusCode.BadRequest && text.Contains("\"field\":\"phase\"", StringComparison.Ordinal);
            Assert.True(refusedAsValue == (phase == "no_such_phase"), $"{phase}: {(int)response.StatusCode} {text}");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                Assert.Equal(phase, JsonDocument.Parse(await municipality.GetStringAsync(address)).RootElement.GetProperty("phase").GetString());
            }
        }

        var answered = JsonDocument.Parse(await municipality.GetStringAsync($"/api/v1/municipalities/{ApiHost.Chiyoda}")).RootElement
            .GetProperty("systems").EnumerateArray().Select(s => s.GetProperty("phase").GetString()!);
        Assert.All(answered, p => Assert.Contains(p, phases));
    }

    private async Task<List<string>> EnumAsync(string schema)
    {
        await host.WaitUntilReadyAsync();
        using var anonymous = host.Client();
        var document = await anonymous.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        return [.. document.GetProperty("components").GetProperty("schemas").GetProperty(schema).GetProperty("enum").EnumerateArray().Select(v => v.GetString()!)];
    }
}
