using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The notification kinds the preferences API takes are the kinds it lists and the page shows (a breaker's finding, round
/// 49: PUT /api/v1/notifications/preferences took reconciliation_differences, which neither GET nor /notifications ever
/// showed, though the reconciliation after an import is planned through each person's choice for it like every kind).
/// The kinds are read from the OpenAPI document's enum, so a kind added there is walked unasked.
/// </summary>
public sealed class NotificationKindListTests(ApiHost host) : IClassFixture<ApiHost>
{
    [Fact]
    public async Task Every_kind_the_preferences_take_is_listed_by_get_and_shown_on_the_page()
    {
        await host.WaitUntilReadyAsync();
        using var anonymous = host.Client();
        var document = await anonymous.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var kinds = document.GetProperty("components").GetProperty("schemas").GetProperty("NotificationKind").GetProperty("enum")
            .EnumerateArray().Select(k => k.GetString()!).Order(StringComparer.Ordinal).ToList();
        Assert.Contains("reconciliation_differences", kinds);

        var token = host.Token(Role.Prefecture, "13", "kind-list@pref.tokyo");
        using var me = host.Client(token);
        var listed = (await me.GetFromJsonAsync<JsonElement>("/api/v1/notifications/preferences")).GetProperty("items").EnumerateArray()
            .Select(i => i.GetProperty("kind").GetString()!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(kinds, listed);

        using var pages = await host.SignedInPagesAsync(token);
        var shown = Regex.Matches(await pages.GetStringAsync("/notifications"), "name=\"([a-z_]+)\\.frequency\"").Select(m => m.Groups[1].Value)
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(kinds, shown);

        // Each kind taken is then shown as chosen.
        foreach (var kind in kinds)
        {
            using var put = await me.PutAsJsonAsync("/api/v1/notifications/preferences", new { items = new[] { new { kind, mail = false, inApp = true, frequency = "weekly" } } });
            Assert.True(put.StatusCode == HttpStatusCode.OK, $"{kind}: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
        }

        var chosen = (await me.GetFromJsonAsync<JsonElement>("/api/v1/notifications/preferences")).GetProperty("items").EnumerateArray().ToList();
        Assert.All(chosen, i => Assert.False(i.GetProperty("mail").GetBoolean(), i.GetProperty("kind").GetString()));
    }
}
