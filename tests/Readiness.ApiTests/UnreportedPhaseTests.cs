using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A prefecture-run system the prefecture has never reported has no phase, and reads so on every path: the list, the
/// single GET, the prefecture page, and the audit entry of its first report (before). A client that GETs it and PUTs
/// the body back (If-Match) confirms it as it is, still unreported; a write leaving the phase out or null (the API, the
/// page's form with 「未報告」) keeps it unreported whatever else it changes; a reported system's null phase, and a
/// municipality's, is refused (the form: 422 naming the phase).
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

        // GET, then PUT the body back as it came: a confirmation that keeps it unreported (phase null on both sides of
        // its entry), never a change null → not_started (a breaker's finding: it was reported not started).
        var version = long.Parse(get.Headers.ETag!.Tag.Trim('"'), CultureInfo.InvariantCulture);
        using var put = ApiHost.Request(HttpMethod.Put, $"/api/v1/prefectures/{Shizuoka}/systems/{Business}", single, version);
        using var answer = await prefecture.SendAsync(put);
        Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{answer.StatusCode}: {await answer.Content.ReadAsStringAsync()}");
        var view = await ApiHost.Json(answer);
        var kept = view.GetProperty("systems").EnumerateArray().Single(s => s.GetProperty("businessId").GetString() == Business);
        Assert.False(kept.GetProperty("counted").GetBoolean());
        Assert.Equal(JsonValueKind.Null, kept.GetProperty("system").GetProperty("phase").ValueKind);
        var confirmation = view.GetProperty("recentChanges").EnumerateArray().First(c => c.GetProperty("target").GetString() == "system:" + Business);
        Assert.True(confirmation.GetProperty("confirmed").GetBoolean(), confirmation.ToString());
        Assert.Equal(JsonValueKind.Null, confirmation.GetProperty("after").GetProperty("phase").ValueKind);

        // A phase given reports it: the audit entry of that first report has no phase before.
        var confirmedVersion = long.Parse(answer.Headers.ETag!.Tag.Trim('"'), CultureInfo.InvariantCulture);
        using var first = ApiHost.Request(HttpMethod.Patch, $"/api/v1/prefectures/{Shizuoka}/systems/{Business}", """{"phase":"not_started"}""", confirmedVersion);
        first.Content!.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/merge-patch+json");
        using var firstAnswer = await prefecture.SendAsync(first);
        Assert.True(firstAnswer.StatusCode == HttpStatusCode.OK, $"{firstAnswer.StatusCode}: {await firstAnswer.Content.ReadAsStringAsync()}");
        var reportedView = await ApiHost.Json(firstAnswer);
        var reported = reportedView.GetProperty("systems").EnumerateArray().Single(s => s.GetProperty("businessId").GetString() == Business);
        Assert.True(reported.GetProperty("counted").GetBoolean());
        Assert.Equal("not_started", reported.GetProperty("system").GetProperty("phase").GetString());
        var entry = reportedView.GetProperty("recentChanges").EnumerateArray().First(c => c.GetProperty("target").GetString() == "system:" + Business);
        Assert.Equal(JsonValueKind.Null, entry.GetProperty("before").GetProperty("phase").ValueKind);
        Assert.Equal("not_started", entry.GetProperty("after").GetProperty("phase").GetString());

        // Reported, it has a phase: null would clear it and is refused, changing nothing.
        var now = long.Parse(firstAnswer.Headers.ETag!.Tag.Trim('"'), CultureInfo.InvariantCulture);
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

    [Theory]
    [InlineData("PATCH", "child_rearing_allowance", """{"vendor":"県のベンダA"}""")]
    [InlineData("PUT", "public_assistance", """{"phase":null,"vendor":"県のベンダB"}""")]
    public async Task A_write_leaving_the_phase_out_or_null_keeps_a_never_reported_system_unreported(string method, string business, string json)
    {
        const string Prefecture = "23"; // 愛知県: its own systems untouched by the other tests of this class
        using var client = host.Client(host.Token(Role.Prefecture, Prefecture, "keep@pref.aichi"));
        using var get = await client.GetAsync($"/api/v1/prefectures/{Prefecture}/systems/{business}");
        var version = long.Parse(get.Headers.ETag!.Tag.Trim('"'), CultureInfo.InvariantCulture);
        var read = JsonDocument.Parse(await get.Content.ReadAsStringAsync()).RootElement;
        var body = method == "PUT"
            ? json[..^1] + $",\"designated\":{(read.GetProperty("designated").GetBoolean() ? "true" : "false")}}}"
            : json;
        using var request = ApiHost.Request(new HttpMethod(method), $"/api/v1/prefectures/{Prefecture}/systems/{business}", body, version);
        if (method == "PATCH")
        {
            request.Content!.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/merge-patch+json");
        }

        using var answer = await client.SendAsync(request);
        Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{answer.StatusCode}: {await answer.Content.ReadAsStringAsync()}");
        var view = await ApiHost.Json(answer);
        var system = view.GetProperty("systems").EnumerateArray().Single(s => s.GetProperty("businessId").GetString() == business);
        Assert.False(system.GetProperty("counted").GetBoolean(), system.ToString());
        Assert.Equal(JsonValueKind.Null, system.GetProperty("system").GetProperty("phase").ValueKind);
        Assert.StartsWith("県のベンダ", system.GetProperty("system").GetProperty("vendor").GetString(), StringComparison.Ordinal);
        var entry = view.GetProperty("recentChanges").EnumerateArray().First(c => c.GetProperty("target").GetString() == "system:" + business);
        Assert.Equal(JsonValueKind.Null, entry.GetProperty("after").GetProperty("phase").ValueKind);
    }

    [Fact]
    public async Task The_form_saved_with_no_phase_keeps_a_never_reported_system_unreported_and_refuses_to_unreport_a_reported_one()
    {
        const string Prefecture = "13"; // 東京都: no row in the designation list, so its systems are not designated
        var action = $"/prefectures/{Prefecture}/systems/{Business}";
        using var person = await FormSession.SignInPrefectureAsync(host, Prefecture, "form-keep@metro.tokyo.lg.jp");

        // The form as shown (「未報告」 chosen, nothing typed), saved: a confirmation, the system still unreported.
        var page = await person.PageAsync(Prefecture);
        var form = page[page.IndexOf($"action=\"{action}\"", StringComparison.Ordinal)..];
        form = form[..form.IndexOf("</form>", StringComparison.Ordinal)];
        Assert.True(global::System.Text.RegularExpressions.Regex.IsMatch(form, "<option value(=\"\")? selected[^>]*>[^<]*未報告"), form[..Math.Min(form.Length, 3000)]);
        var (saved, location) = await person.PostForLocationAsync(Prefecture, action, new Dictionary<string, string> { ["phase"] = "" });
        Assert.Equal(HttpStatusCode.SeeOther, saved);
        Assert.Contains("confirmed=1", location, StringComparison.Ordinal);
        using var client = host.Client(host.Token(Role.Prefecture, Prefecture, "form-keep-read@metro.tokyo.lg.jp"));
        using var list = await client.GetAsync($"/api/v1/prefectures/{Prefecture}/systems");
        var system = (await ApiHost.Json(list)).GetProperty("systems").EnumerateArray().Single(s => s.GetProperty("businessId").GetString() == Business);
        Assert.False(system.GetProperty("counted").GetBoolean(), system.ToString());

        // A vendor saved alone (no phase chosen): stored, the phase still unreported.
        (saved, _) = await person.PostForLocationAsync(Prefecture, action, new Dictionary<string, string> { ["phase"] = "", ["vendor"] = "都のベンダ" });
        Assert.Equal(HttpStatusCode.SeeOther, saved);
        using var after = await client.GetAsync($"/api/v1/prefectures/{Prefecture}/systems/{Business}");
        var single = await ApiHost.Json(after);
        Assert.Equal((JsonValueKind.Null, "都のベンダ"), (single.GetProperty("phase").ValueKind, single.GetProperty("vendor").GetString()));

        // Reported, the phase cannot be taken back to 「未報告」: 422 naming the field in both languages, nothing saved.
        (saved, _) = await person.PostForLocationAsync(Prefecture, action, new Dictionary<string, string> { ["phase"] = "fit_gap" });
        Assert.Equal(HttpStatusCode.SeeOther, saved);
        var version = after.Headers.ETag!.Tag;
        using var reported = await client.GetAsync($"/api/v1/prefectures/{Prefecture}/systems/{Business}");
        var (refused, html) = await person.PostAsync(Prefecture, action, new Dictionary<string, string> { ["phase"] = "" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused);
        Assert.Contains("「未報告」に戻すことはできません", html, StringComparison.Ordinal);
        Assert.Contains("cannot be taken back to not reported", html, StringComparison.Ordinal);
        Assert.Contains($"id=\"pref-{Business}-phase-error\"", html, StringComparison.Ordinal);
        using var unchanged = await client.GetAsync($"/api/v1/prefectures/{Prefecture}/systems/{Business}");
        Assert.Equal(reported.Headers.ETag!.Tag, unchanged.Headers.ETag!.Tag);
        Assert.NotEqual(version, reported.Headers.ETag!.Tag);
        Assert.Equal("fit_gap", (await ApiHost.Json(unchanged)).GetProperty("phase").GetString());
    }

    [Fact]
    public async Task A_municipality_form_saved_with_no_phase_is_refused_for_a_municipality_system_always_has_one()
    {
        using var person = await FormSession.SignInAsync(host, ApiHost.Chiyoda, "form-phase@" + ApiHost.Chiyoda);
        var (_, before) = await host.GetMunicipality(ApiHost.Chiyoda);
        var (refused, html) = await person.PostAsync(ApiHost.Chiyoda, $"/municipalities/{ApiHost.Chiyoda}/systems/koseki", new Dictionary<string, string> { ["phase"] = "" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused);
        Assert.Contains("移行フェーズを選択してください", html, StringComparison.Ordinal);
        Assert.Equal(before, (await host.GetMunicipality(ApiHost.Chiyoda)).Version);
    }

    /// <summary>
    /// What the prefecture saved without a phase (still unreported) is its own: a designation list of that day with no
    /// row for it changes the listing, never the designation, reason, target or vendor it gave (the list took
    /// ReportedAt null for never touched and cleared them).
    /// </summary>
    [Fact]
    public async Task A_designation_list_keeps_what_the_prefecture_saved_without_a_phase()
    {
        const string Iwate = "03"; // listed for 児童扶養手当 in the baseline's list; untouched by the other tests of this class
        using var client = host.Client(host.Token(Role.Prefecture, Iwate, "keep@pref.iwate"));
        var path = $"/api/v1/prefectures/{Iwate}/systems/{Business}";
        using var get = await client.GetAsync(path);
        var version = long.Parse(get.Headers.ETag!.Tag.Trim('"'), CultureInfo.InvariantCulture);
        using var request = ApiHost.Request(HttpMethod.Patch, path,
            """{"vendor":"県のベンダC","designationReason":"vendor_capacity","designationTarget":"2029-03-31"}""", version);
        request.Content!.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/merge-patch+json");
        using (var saved = await client.SendAsync(request))
        {
            Assert.True(saved.StatusCode == HttpStatusCode.OK, $"{saved.StatusCode}: {await saved.Content.ReadAsStringAsync()}");
        }

        var now = DateTimeOffset.UtcNow;
        var importer = new Actor("import@digital.go.jp", Role.National, null);
        var dataset = new OfficialDatasetRef("e2e-designation-list", "デジタル庁 特定移行支援システムの該当見込み一覧", Readiness.Rules.ReadinessRules.TodayInJapan(now), importer.Subject, now);
        var outcome = await host.Services.GetRequiredService<Orleans.IGrainFactory>().GetGrain<Readiness.Grains.IPrefectureRunGrain>(Iwate)
            .ApplyListingAsync(new PrefectureRunListing(dataset, [], importer));
        Assert.Equal(OfficialOutcome.Applied, outcome);

        using var after = await client.GetAsync(path);
        var system = await ApiHost.Json(after);
        Assert.Equal(JsonValueKind.Null, system.GetProperty("phase").ValueKind);
        Assert.True(system.GetProperty("designated").GetBoolean(), system.ToString());
        Assert.Equal("vendor_capacity", system.GetProperty("designationReason").GetString());
        Assert.Equal("2029-03-31", system.GetProperty("designationTarget").GetString());
        Assert.Equal("県のベンダC", system.GetProperty("vendor").GetString());
    }

    private static async Task<JsonElement> System(HttpClient client)
    {
        using var list = await client.GetAsync($"/api/v1/prefectures/{Shizuoka}/systems");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        return (await ApiHost.Json(list)).GetProperty("systems").EnumerateArray().Single(s => s.GetProperty("businessId").GetString() == Business);
    }
}
