using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Readiness.Catalog;
using Readiness.Grains;
using Readiness.Rules;
using Readiness.Testing;
using Xunit.Abstractions;
using static Readiness.HostTests.Imports.OfficialImportTests;

namespace Readiness.HostTests.PrefectureRun;

/// <summary>
/// The prefecture-run businesses end to end on the embedded host: a prefecture's staff report 生活保護 through the API
/// (audited under the prefecture's 団体コード, idempotent, If-Match), the nation counts it once (equal to a recomputation
/// over every municipality and every prefecture's own systems), the prefecture's own figures stay apart from its
/// municipalities'; bad input is refused naming the field in Japanese and English with nothing changed; municipal staff,
/// another prefecture and national staff may not report; an applied designation list switches which systems a
/// prefecture is listed for.
/// </summary>
public sealed class PrefectureRunTests(ITestOutputHelper output)
{
    private const string Iwate = "03";
    private const string Morioka = "032018"; // 盛岡市, a municipality of Iwate
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    private static HttpRequestMessage Put(string path, string json, string? ifMatch, string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        }

        return request;
    }

    private static async Task<JsonElement> Problem(HttpResponseMessage response, HttpStatusCode status, string field)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement.Clone();
        var error = problem.GetProperty("errors").EnumerateArray().FirstOrDefault(e => e.GetProperty("field").GetString() == field);
        Assert.True(error.ValueKind == JsonValueKind.Object, $"expected an error naming '{field}': {text}");
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("messageJa").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("messageEn").GetString()));
        return error;
    }

    private static HttpClient As(ReadinessWebHost host, Role role, string? tenant, string? subject = null)
    {
        var client = host.CreateHttpClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", host.Token(role, tenant, subject));
        return client;
    }

    [Fact]
    public async Task Prefecture_staff_report_their_own_system_audited_idempotent_counted_once_in_the_nation_and_bad_input_changes_nothing()
    {
        using var folder = new TempFolder();
        await using var host = new ReadinessWebHost(folder.Path);
        await WaitForNationAsync(host);
        using var staff = As(host, Role.Prefecture, Iwate, "fukushi@pref.iwate.jp");
        const string path = "/api/v1/prefectures/03/systems/public_assistance";

        // Before: 児童扶養手当 listed (the baseline's designation list), nothing reported, nothing counted.
        using (var first = await staff.GetAsync(new Uri("/api/v1/prefectures/03/systems", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal("\"0\"", first.Headers.ETag?.Tag);
            var view = await first.Content.ReadFromJsonAsync<JsonElement>(JsonOptions);
            Assert.Equal("030007", view.GetProperty("code").GetString());
            var systems = view.GetProperty("systems").EnumerateArray().ToDictionary(s => s.GetProperty("businessId").GetString()!);
            Assert.True(systems["child_rearing_allowance"].GetProperty("listed").GetBoolean());
            Assert.False(systems["public_assistance"].GetProperty("listed").GetBoolean());
            Assert.All(systems.Values, s => Assert.False(s.GetProperty("counted").GetBoolean()));
            Assert.Equal(0, view.GetProperty("figures").GetProperty("applicableSystems").GetInt32());
        }

        var nationBefore = await WaitForRecomputationAsync(host);
        var prefectureBefore = await host.Grains.GetGrain<IPrefectureGrain>(Iwate).GetSummaryAsync();

        // Bad input first: each refused naming the field (ja/en), none changes anything.
        await Problem(await staff.SendAsync(Put(path, """{"phase":"in_production"}""", null)), HttpStatusCode.PreconditionRequired, "If-Match");
        await Problem(await staff.SendAsync(Put(path, """{"phase":"almost_done"}""", "\"0\"")), HttpStatusCode.BadRequest, "phase");
        await Problem(await staff.SendAsync(Put(path, """{"phase":"testing","designated":true}""", "\"0\"")), HttpStatusCode.UnprocessableEntity,
            "designationReason");
        await Problem(await staff.SendAsync(Put("/api/v1/prefectures/03/systems/koseki", """{"phase":"testing"}""", "\"0\"")), HttpStatusCode.NotFound, "businessId");
        await Problem(await staff.SendAsync(Put("/api/v1/prefectures/99/systems/public_assistance", """{"phase":"testing"}""", "\"0\"")), HttpStatusCode.BadRequest, "prefCode");

        // Not theirs to report: the prefecture's municipality, another prefecture, national staff.
        using (var morioka = As(host, Role.Municipality, Morioka))
        {
            await Problem(await morioka.SendAsync(Put(path, """{"phase":"testing"}""", "\"0\"")), HttpStatusCode.Forbidden, "prefCode");
            using var read = await morioka.GetAsync(new Uri("/api/v1/prefectures/03/systems", UriKind.Relative));
            Assert.Equal(HttpStatusCode.Forbidden, read.StatusCode);
        }

        using (var tokyo = As(host, Role.Prefecture, "13"))
        {
            await Problem(await tokyo.SendAsync(Put(path, """{"phase":"testing"}""", "\"0\"")), HttpStatusCode.Forbidden, "prefCode");
        }

        using (var national = As(host, Role.National, null))
        {
            await Problem(await national.SendAsync(Put(path, """{"phase":"testing"}""", "\"0\"")), HttpStatusCode.Forbidden, "prefCode");
            using var read = await national.GetAsync(new Uri("/api/v1/prefectures/03/systems", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        Assert.Equal(0, (await host.Grains.GetGrain<IPrefectureRunGrain>(Iwate).GetAsync()).Version);

        // The report: accepted as version 1, audited as the person, under the prefecture's own code.
        const string body = """{"phase":"in_production","vendor":"県福祉システム株式会社","hosting":"government_cloud","cloudProvider":"aws"}""";
        using var accepted = await staff.SendAsync(Put(path, body, "\"0\"", "pref-report-1"));
        var acceptedText = await accepted.Content.ReadAsStringAsync();
        Assert.True(accepted.StatusCode == HttpStatusCode.OK, acceptedText);
        Assert.Equal("\"1\"", accepted.Headers.ETag?.Tag);
        var after = JsonDocument.Parse(acceptedText).RootElement;
        var reported = after.GetProperty("systems").EnumerateArray().Single(s => s.GetProperty("businessId").GetString() == "public_assistance");
        Assert.True(reported.GetProperty("counted").GetBoolean());
        Assert.Equal("in_production", reported.GetProperty("system").GetProperty("phase").GetString());
        Assert.Equal(1, after.GetProperty("figures").GetProperty("migratedSystems").GetInt32());
        var change = after.GetProperty("recentChanges")[0];
        Assert.Equal(("fukushi@pref.iwate.jp", "prefecture", "system:public_assistance"),
            (change.GetProperty("subject").GetString(), change.GetProperty("role").GetString(), change.GetProperty("target").GetString()));

        var audit = host.Services.GetRequiredService<IAuditLog>();
        var trail = await audit.FindRequestAsync("030007", "pref-report-1", 1);
        var entry = Assert.Single(trail);
        Assert.Equal(("fukushi@pref.iwate.jp", Role.Prefecture, "03"), (entry.Actor.Subject, entry.Actor.Role, entry.Actor.Tenant));
        Assert.Contains(entry.AfterFields, f => f.Name == "vendor" && f.Value == "県福祉システム株式会社");

        // The same request again (the same key): replayed, nothing applied twice.
        using (var replay = await staff.SendAsync(Put(path, body, "\"0\"", "pref-report-1")))
        {
            Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
            Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
            Assert.Equal("\"1\"", replay.Headers.ETag?.Tag);
        }

        // An invalid key: 400, not echoed as the request's id, nothing changed.
        foreach (var bad in new[] { "a b", new string('k', 101) })
        {
            using var refused = await staff.SendAsync(Put(path, """{"phase":"testing","regressionReason":"x"}""", "\"1\"", bad));
            await Problem(refused, HttpStatusCode.BadRequest, "Idempotency-Key");
            Assert.DoesNotContain(bad, refused.Headers.TryGetValues("X-Request-Id", out var ids) ? ids : []);
        }

        // A stale ETag with a new key: 412, nothing changed.
        await Problem(await staff.SendAsync(Put(path, """{"phase":"testing","regressionReason":"x"}""", "\"0\"", "pref-report-2")), HttpStatusCode.PreconditionFailed, "If-Match");
        Assert.Equal(1, (await host.Grains.GetGrain<IPrefectureRunGrain>(Iwate).GetAsync()).Version);
        Assert.Single(await audit.FindRequestAsync("030007", "pref-report-1", 10));
        Assert.Empty(await audit.FindRequestAsync("030007", "pref-report-2", 10));

        // The nation counts it once: equal to the recomputation over every municipality and every prefecture's own systems.
        var nation = await WaitForRecomputationAsync(host);
        Assert.Equal(nationBefore.Figures.ApplicableSystems + 1, nation.Figures.ApplicableSystems);
        Assert.Equal(nationBefore.Figures.MigratedSystems + 1, nation.Figures.MigratedSystems);
        Assert.Equal(nationBefore.Figures.Municipalities, nation.Figures.Municipalities);
        Assert.Equal(1, nation.PrefectureRun.ApplicableSystems);

        // The prefecture keeps its own apart: its municipalities' sum is unchanged.
        var prefecture = await host.Grains.GetGrain<IPrefectureGrain>(Iwate).GetSummaryAsync();
        Assert.True(prefecture.Figures.SameAs(prefectureBefore.Figures));
        Assert.Equal(1, prefecture.PrefectureRun.MigratedSystems);

        // The API shows both: the nation with the prefecture-run part, the prefecture with its own apart.
        using var reader = As(host, Role.National, null);
        for (var attempt = 0; ; attempt++)
        {
            var view = await reader.GetFromJsonAsync<JsonElement>("/api/v1/nation", JsonOptions);
            if (view.GetProperty("prefectureRun").GetProperty("applicableSystems").GetInt32() == 1)
            {
                Assert.Equal(nation.Figures.ApplicableSystems, view.GetProperty("figures").GetProperty("applicableSystems").GetInt32());
                var iwate = view.GetProperty("prefectures").EnumerateArray().Single(p => p.GetProperty("code").GetString() == Iwate);
                Assert.Equal(1, iwate.GetProperty("prefectureRun").GetProperty("migratedSystems").GetInt32());
                Assert.Equal(prefectureBefore.Figures.ApplicableSystems, iwate.GetProperty("figures").GetProperty("applicableSystems").GetInt32());
                break;
            }

            Assert.True(attempt < 60, "the nation view never showed the prefecture's own system");
            await Task.Delay(500);
        }

        output.WriteLine($"nation: {nation.Figures.MigratedSystems} of {nation.Figures.ApplicableSystems} migrated, of which prefectures' own {nation.PrefectureRun.MigratedSystems} of {nation.PrefectureRun.ApplicableSystems}");
    }

    [Fact]
    public async Task An_unreported_system_has_no_phase_and_no_flag_and_If_Match_star_writes_as_for_a_municipality()
    {
        using var folder = new TempFolder();
        await using var host = new ReadinessWebHost(folder.Path);
        await WaitForNationAsync(host);
        using var iwate = As(host, Role.Prefecture, Iwate, "fukushi@pref.iwate.jp");
        using var tokyo = As(host, Role.Prefecture, "13", "fukushi@metro.tokyo.lg.jp");

        // Never reported (listed or not): no phase (未報告, not 未着手), no progress, and nothing judged overdue or incomplete.
        foreach (var (client, pref) in new[] { (iwate, Iwate), (tokyo, "13") })
        {
            var view = await client.GetFromJsonAsync<JsonElement>($"/api/v1/prefectures/{pref}/systems", JsonOptions);
            foreach (var s in view.GetProperty("systems").EnumerateArray())
            {
                var system = s.GetProperty("system");
                Assert.False(s.GetProperty("counted").GetBoolean());
                foreach (var member in new[] { "phase", "phaseNameJa", "reportedAt" })
                {
                    Assert.True(system.GetProperty(member).ValueKind == JsonValueKind.Null, $"{pref} {s.GetProperty("businessId")}: {member} should be null: {system}");
                }

                foreach (var flag in new[] { "overdue", "pastTarget", "beyondLimit", "designationIncomplete", "migrated" })
                {
                    Assert.False(system.GetProperty(flag).GetBoolean(), $"{pref} {s.GetProperty("businessId")}: {flag} should be false: {system}");
                }
            }
        }

        // If-Match: * (the record exists) is accepted on PUT and PATCH, as on a municipality's systems.
        const string path = "/api/v1/prefectures/13/systems/public_assistance";
        using (var put = await tokyo.SendAsync(Put(path, """{"phase":"testing"}""", "*")))
        {
            Assert.True(put.StatusCode == HttpStatusCode.OK, await put.Content.ReadAsStringAsync());
            Assert.Equal("\"1\"", put.Headers.ETag?.Tag);
            var view = await put.Content.ReadFromJsonAsync<JsonElement>(JsonOptions);
            var system = view.GetProperty("systems").EnumerateArray().Single(s => s.GetProperty("businessId").GetString() == "public_assistance");
            Assert.True(system.GetProperty("counted").GetBoolean());
            Assert.Equal("testing", system.GetProperty("system").GetProperty("phase").GetString());
            Assert.False(string.IsNullOrEmpty(system.GetProperty("system").GetProperty("phaseNameJa").GetString()));
        }

        var patch = new HttpRequestMessage(HttpMethod.Patch, path) { Content = new StringContent("""{"vendor":"Star"}""", Encoding.UTF8, "application/merge-patch+json") };
        patch.Headers.TryAddWithoutValidation("If-Match", "*");
        using (var patched = await tokyo.SendAsync(patch))
        {
            Assert.True(patched.StatusCode == HttpStatusCode.OK, await patched.Content.ReadAsStringAsync());
            Assert.Equal("\"2\"", patched.Headers.ETag?.Tag);
        }

        var stored = (await host.Grains.GetGrain<IPrefectureRunGrain>("13").GetAsync()).FindSystem("public_assistance")!;
        Assert.Equal("Star", stored.Vendor);

        // A stale ETag is still refused, on PUT and PATCH, and changes nothing.
        await Problem(await tokyo.SendAsync(Put(path, """{"phase":"in_production"}""", "\"1\"")), HttpStatusCode.PreconditionFailed, "If-Match");
        var stalePatch = new HttpRequestMessage(HttpMethod.Patch, path) { Content = new StringContent("""{"vendor":"Moon"}""", Encoding.UTF8, "application/merge-patch+json") };
        stalePatch.Headers.TryAddWithoutValidation("If-Match", "\"0\"");
        await Problem(await tokyo.SendAsync(stalePatch), HttpStatusCode.PreconditionFailed, "If-Match");
        var after = await host.Grains.GetGrain<IPrefectureRunGrain>("13").GetAsync();
        Assert.Equal(2, after.Version);
        Assert.Equal("Star", after.FindSystem("public_assistance")!.Vendor);
    }

    [Fact]
    public async Task An_applied_designation_list_switches_which_systems_a_prefecture_is_listed_for()
    {
        using var folder = new TempFolder();
        await using var host = new ReadinessWebHost(folder.Path);
        using var http = host.CreateHttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", host.Token(Role.National, subject: "list@digital.go.jp"));
        await WaitForNationAsync(host);
        var catalog = ReadinessCatalog.Instance;
        Assert.Empty((await host.Grains.GetGrain<IPrefectureRunGrain>("13").GetAsync()).Listed);
        Assert.Equal(["child_rearing_allowance"], (await host.Grains.GetGrain<IPrefectureRunGrain>(Iwate).GetAsync()).Listed.ToArray());

        // January's list: the municipalities as in December; 東京都 newly lists 生活保護, 岩手県 has no row any more.
        var prefectureMarks = catalog.BaselinePrefectureDesignations.ToDictionary(kv => kv.Key, kv => (IReadOnlyCollection<string>)kv.Value.ToList());
        prefectureMarks.Remove(Iwate);
        prefectureMarks["13"] = ["public_assistance"];
        var labels = catalog.BusinessSystems.Select(b => b.NameJa).ToList();
        string Label(string id) => catalog.BusinessSystems.First(b => b.Id == id).NameJa;
        var rows = new List<(object, string, string, IReadOnlyCollection<string>, bool)>();
        foreach (var (code, marks) in prefectureMarks.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            rows.Add((ReadinessCatalog.PrefectureBodyCode(code), catalog.PrefecturesByCode[code].Name, "都道府県", [.. marks.Select(Label)], false));
        }

        foreach (var (code, marks) in catalog.BaselineDesignations.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var m = catalog.MunicipalitiesByCode[code];
            var kind = OfficialWorkbooks.KindLabel(m.Kind);
            rows.Add((code, catalog.PrefecturesByCode[m.PrefectureCode].Name + m.Name, kind, [.. marks.Select(Label)], false));
        }

        var file = OfficialWorkbooks.DesignationList("特定移行支援システムの該当見込み一覧（令和8年1月末時点）", labels, rows);
        using var upload = await PostFileAsync(http, file, "tokutei-2026-01.xlsx");
        var uploadText = await upload.Content.ReadAsStringAsync();
        Assert.True(upload.StatusCode == HttpStatusCode.Created, uploadText);
        var preview = JsonDocument.Parse(uploadText).RootElement;
        Assert.Equal(37, preview.GetProperty("prefectureRows").GetArrayLength());
        var id = preview.GetProperty("id").GetString();
        // 東京都's and 岩手県's own systems change; the municipalities' are as in December. The counts said 0 before.
        Assert.Equal(2, preview.GetProperty("preview").GetProperty("prefecturesChanged").GetInt32());
        Assert.Equal(0, preview.GetProperty("preview").GetProperty("municipalitiesChanged").GetInt32());
        using var apply = await http.PostAsync(new Uri($"/api/v1/imports/{id}/apply", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, apply.StatusCode);
        Assert.Equal(2, JsonDocument.Parse(await apply.Content.ReadAsStringAsync()).RootElement.GetProperty("applied").GetProperty("counts").GetProperty("prefecturesChanged").GetInt32());

        var tokyo = await host.Grains.GetGrain<IPrefectureRunGrain>("13").GetAsync();
        Assert.Equal(["public_assistance"], tokyo.Listed.ToArray());
        Assert.True(tokyo.FindSystem("public_assistance")!.Designated);
        Assert.Equal(id, tokyo.OfficialDesignation?.DatasetId);
        var iwate = await host.Grains.GetGrain<IPrefectureRunGrain>(Iwate).GetAsync();
        Assert.Empty(iwate.Listed);
        Assert.False(iwate.FindSystem("child_rearing_allowance")!.Designated);
        var entry = Assert.Single(await host.Grains.GetGrain<IPrefectureRunGrain>(Iwate).GetRecentChangesAsync());
        Assert.Equal(("import:" + id, "list@digital.go.jp"), (entry.RequestId, entry.Actor.Subject));

        // Every prefecture as listed in the data, and every one names the newer list: those whose row did not change by
        // one audit entry on the source alone (their systems untouched).
        foreach (var p in catalog.Prefectures)
        {
            var record = await host.Grains.GetGrain<IPrefectureRunGrain>(p.Code).GetAsync();
            var expected = prefectureMarks.TryGetValue(p.Code, out var m) ? m.Order(StringComparer.Ordinal).ToArray() : [];
            Assert.Equal(expected, record.Listed.Order(StringComparer.Ordinal).ToArray());
            Assert.Equal(1, record.Version);
            Assert.Equal(id, record.OfficialDesignation?.DatasetId);
            if (p.Code is not ("13" or Iwate))
            {
                var confirmed = Assert.Single(await host.Grains.GetGrain<IPrefectureRunGrain>(p.Code).GetRecentChangesAsync());
                Assert.Equal("official:designation", confirmed.Target);
            }
        }

        // Applying again changes nothing; listed but unreported systems are not counted: the nation equals the recomputation.
        using var again = await http.PostAsync(new Uri($"/api/v1/imports/{id}/apply", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(1, (await host.Grains.GetGrain<IPrefectureRunGrain>("13").GetAsync()).Version);
        var nation = await WaitForRecomputationAsync(host);
        Assert.Equal(0, nation.PrefectureRun.ApplicableSystems);
    }
}
