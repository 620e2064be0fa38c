using System.Net;
using System.Text.Json;
using Readiness.Catalog;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The confirmation of a designation list counts every designation it takes away, not only those of the municipalities
/// it leaves out. Breaker b6 (round 49): a list with no prefecture rows (a sheet filtered to 区分≠都道府県) took all of
/// the prefectures' own designations away, and a list naming every municipality without a ● mark took every
/// municipality's away; each was applied with no warning and no confirmation.
/// </summary>
public sealed class DesignationsLostTests(ApiHost host) : IClassFixture<ApiHost>
{
    private static readonly ReadinessCatalog Catalog = ReadinessCatalog.Instance;

    [Fact]
    public async Task A_list_without_prefecture_rows_is_confirmed_before_it_undesignates_the_prefectures_own_systems()
    {
        var prefectureSystems = Catalog.BaselinePrefectureDesignations.Sum(kv => kv.Value.Count);
        var prefectures = Catalog.BaselinePrefectureDesignations.Count(kv => kv.Value.Count > 0);
        var prefecture = Catalog.BaselinePrefectureDesignations.First(kv => kv.Value.Count > 0).Key;
        Assert.True(prefectureSystems >= 40, $"{prefectureSystems} prefecture-run systems designated in the baseline");
        using var national = host.National();
        Assert.True(await OwnDesignatedAsync(national, prefecture));
        var designated = Catalog.BaselineDesignations.Where(d => d.Value.Count > 0).Select(d => d.Key).Order(StringComparer.Ordinal).ToList();

        // Every municipality as designated now, no prefecture row.
        var id = await PartialDesignationListTests.UploadAsync(national, designated, asOf: "令和8年2月末時点", prefectureRows: false);
        var warning = await WarningAsync(national, id);
        Assert.Equal("partial_list", warning.GetProperty("code").GetString());
        Assert.Contains($"都道府県が自ら運用するシステム {prefectureSystems:N0} のうち {prefectureSystems:N0}（{prefectures:N0} 都道府県はすべて）", warning.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("市区町村の特定移行支援システム", warning.GetProperty("messageJa").GetString(), StringComparison.Ordinal);

        var problem = await RefusedAsync(national, id);
        Assert.Equal(prefectureSystems, problem.GetProperty("prefectureSystemsDesignatedNow").GetInt32());
        Assert.Equal(prefectureSystems, problem.GetProperty("prefectureSystemsLosing").GetInt32());
        Assert.Equal(prefectures, problem.GetProperty("prefecturesLosingAll").GetInt32());
        Assert.Equal(0, problem.GetProperty("systemsLosing").GetInt32());
        Assert.Equal(designated.Count, problem.GetProperty("listed").GetInt32());
        Assert.True(await OwnDesignatedAsync(national, prefecture), "a refused apply took a prefecture's own designation away");

        // The page asks for the box too.
        using var person = await FormSession.SignInNationalAsync(host);
        var page = await person.PageAsync($"imports/{id}");
        Assert.Contains("name=\"confirm\" value=\"partial_list\" required", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_list_naming_every_municipality_without_marks_is_confirmed_before_it_undesignates_every_one()
    {
        var designatedMunicipalities = Catalog.BaselineDesignations.Count(d => d.Value.Count > 0);
        var one = Catalog.BaselineDesignations.First(d => d.Value.Count > 0).Key;
        using var national = host.National();
        var id = await PartialDesignationListTests.UploadAsync(national, [.. Catalog.Municipalities.Select(m => m.Code)], asOf: "令和8年2月末時点", marks: false);
        Assert.Equal("partial_list", (await WarningAsync(national, id)).GetProperty("code").GetString());

        var problem = await RefusedAsync(national, id);
        var now = problem.GetProperty("systemsDesignatedNow").GetInt32();
        Assert.True(now > 1_000, $"{now} municipal systems designated now");
        Assert.Equal(now, problem.GetProperty("systemsLosing").GetInt32());
        Assert.Equal(designatedMunicipalities, problem.GetProperty("municipalitiesLosingAll").GetInt32());
        Assert.Equal(Catalog.Municipalities.Count, problem.GetProperty("listed").GetInt32());
        Assert.Contains($"市区町村の特定移行支援システム {now:N0} のうち {now:N0}（{designatedMunicipalities:N0} 団体はすべて）", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.True(await PartialDesignationListTests.DesignatedAsync(host, one), "a refused apply took a municipality's designation away");
    }

    private static async Task<JsonElement> WarningAsync(HttpClient national, string id)
    {
        using var get = await national.GetAsync(new Uri($"/api/v1/imports/{id}", UriKind.Relative));
        var view = JsonDocument.Parse(await get.Content.ReadAsStringAsync()).RootElement;
        return Assert.Single(view.GetProperty("warnings").EnumerateArray(), w => w.GetProperty("code").GetString() is "partial_list" or "unlisted_undesignated");
    }

    private static async Task<JsonElement> RefusedAsync(HttpClient national, string id)
    {
        using var refused = await national.PostAsync(new Uri($"/api/v1/imports/{id}/apply", UriKind.Relative), null);
        var text = await refused.Content.ReadAsStringAsync();
        Assert.True(refused.StatusCode == HttpStatusCode.Conflict, text);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal("confirm", Assert.Single(problem.GetProperty("errors").EnumerateArray()).GetProperty("field").GetString());
        Assert.Contains("confirm=partial_list", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        return problem;
    }

    private static async Task<bool> OwnDesignatedAsync(HttpClient national, string prefecture)
    {
        using var get = await national.GetAsync(new Uri($"/api/v1/prefectures/{prefecture}/systems", UriKind.Relative));
        var text = await get.Content.ReadAsStringAsync();
        Assert.True(get.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("systems").EnumerateArray().Any(s => s.GetProperty("system").GetProperty("designated").GetBoolean());
    }
}
