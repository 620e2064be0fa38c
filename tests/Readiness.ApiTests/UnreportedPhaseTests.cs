using System.Globalization;
using System.Net;
using System.Text.Json;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A prefecture-run system the prefecture has never reported has no phase, and reads so on every path: the list, the
/// single GET, the prefecture page, and the audit entry of its first report (before). A client that GETs it and PUTs
/// the body back (If-Match) is not refused for that null; a reported system's null phase, and a municipality's, still is.
/// </summary>
public sealed class UnreportedPhaseTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string Shizuoka = "22";
    private const string Business = "child_rearing_allowance";

    [Fact]
    public async Task A_never_reported_prefecture_run_system_reads_phase_null_everywhere_and_its_get_body_puts_back()
    {
        using var prefecture = host.Client(host.Token(Role.Prefecture, Shizuoka, "phase@pref.shizuoka"));

        // The list.
        var listed = await System(prefecture);
        Assert.False(listed.GetProperty("counted").GetBoolean());
        Assert.Equal(JsonValueKind.Null, listed.GetProperty("system").GetProperty("phase").ValueKind);

        // The single GET: the same null.
        using var get = await prefecture.GetAsync($"/api/v1/prefectures/{Shizuoka}/systems/{Business}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        var single = await get.Content.ReadAsStringAsync();
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(single).RootElement.GetProperty("phase").ValueKind);

        // The page: the row is not counted and its phase cell says not reported.
        using var pages = await host.SignedInPagesAsync(host.Token(Role.Prefecture, Shizuoka, "phase-page@pref.shizuoka"));
        using var page = await pages.GetAsync("/prefectures/" + Shizuoka);
        var html = await page.Content.ReadAsStringAsync();
        var row = html.IndexOf($"data-business=\"{Business}\"", StringComparison.Ordinal);
        Assert.True(row >= 0, "no row for the system on the page");
        var rowHtml = html[row..html.IndexOf("</tr>", row, StringComparison.Ordinal)];
        Assert.Contains("data-counted=\"false\"", rowHtml, StringComparison.Ordinal);
        var phaseCell = rowHtml.Split("<td")[1]; // business (th), phase (the listing is under the designation, as in SystemsTable)
        Assert.Contains("class=\"unreported\"", phaseCell, StringComparison.Ordinal);

        // GET, then PUT the body back as it came: accepted, and the system is now reported.
        var version = long.Parse(get.Headers.ETag!.Tag.Trim('"'), CultureInfo.InvariantCulture);
        using var put = ApiHost.Request(HttpMethod.Put, $"/api/v1/prefectures/{Shizuoka}/systems/{Business}", single, version);
        using var answer = await prefecture.SendAsync(put);
        Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{answer.StatusCode}: {await answer.Content.ReadAsStringAsync()}");
        var view = await ApiHost.Json(answer);
        var reported = view.GetProperty("systems").EnumerateArray().Single(s => s.GetProperty("businessId").GetString() == Business);
        Assert.True(reported.GetProperty("counted").GetBoolean());
        Assert.Equal("not_started", reported.GetProperty("system").GetProperty("phase").GetString());

        // The audit entry of that first report: before, the system had no phase.
        var entry = view.GetProperty("recentChanges").EnumerateArray().First(c => c.GetProperty("target").GetString() == "system:" + Business);
        Assert.Equal(JsonValueKind.Null, entry.GetProperty("before").GetProperty("phase").ValueKind);
        Assert.Equal("not_started", entry.GetProperty("after").GetProperty("phase").GetString());

        // Reported, it has a phase: null would clear it and is refused, changing nothing.
        var now = long.Parse(answer.Headers.ETag!.Tag.Trim('"'), CultureInfo.InvariantCulture);
        using var clear = ApiHost.Request(HttpMethod.Put, $"/api/v1/prefectures/{Shizuoka}/systems/{Business}", """{"phase":null}""", now);
        using var refused = await prefecture.SendAsync(clear);
        await ApiHost.AssertProblem(refused, HttpStatusCode.BadRequest, "phase");
        using var after = await prefecture.GetAsync($"/api/v1/prefectures/{Shizuoka}/systems/{Business}");
        Assert.Equal($"\"{now}\"", after.Headers.ETag?.Tag);
        Assert.Equal("not_started", (await ApiHost.Json(after)).GetProperty("phase").GetString());
    }

    [Theory]
    [InlineData("PUT", "systems/koseki", """{"phase":null}""", "phase")]
    [InlineData("PATCH", "systems/koseki", """{"phase":null}""", "phase")]
    [InlineData("POST", "reports", """{"systems":[{"businessId":"koseki","phase":null}]}""", "systems[0].phase")]
    public async Task A_municipality_system_always_has_a_phase_so_null_is_refused(string method, string target, string json, string field)
    {
        using var client = host.Municipality(ApiHost.Chiyoda, "phase@" + ApiHost.Chiyoda);
        var (_, version) = await host.GetMunicipality(ApiHost.Chiyoda);
        using var request = ApiHost.Request(new HttpMethod(method), $"/api/v1/municipalities/{ApiHost.Chiyoda}/{target}", json, version, Guid.NewGuid().ToString());
        if (method == "PATCH")
        {
            request.Content!.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/merge-patch+json");
        }

        using var response = await client.SendAsync(request);
        await ApiHost.AssertProblem(response, HttpStatusCode.BadRequest, field);
        Assert.Equal(version, (await host.GetMunicipality(ApiHost.Chiyoda)).Version);
    }

    private static async Task<JsonElement> System(HttpClient client)
    {
        using var list = await client.GetAsync($"/api/v1/prefectures/{Shizuoka}/systems");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        return (await ApiHost.Json(list)).GetProperty("systems").EnumerateArray().Single(s => s.GetProperty("businessId").GetString() == Business);
    }
}
