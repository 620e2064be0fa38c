using System.Net;
using System.Text;
using System.Text.Json;
using Readiness.Catalog;
using Readiness.Testing;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The designation list is complete: a municipality it does not name loses every designation. A breaker uploaded a
/// two-row list and applied it: 887 municipalities lost theirs with no warning (the nation's designated systems fell from
/// 8,411 to 17), and the real list, being older, could not bring them back. A list that names fewer than half of the
/// municipalities designated now is applied only when confirmed (the API's confirm=partial_list, the page's box);
/// the preview says what it would take away either way.
/// </summary>
public sealed partial class PartialDesignationListTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string Chiyoda = "131016";
    private const string Sapporo = "011002";

    private Task<bool> DesignatedAsync(string code) => DesignatedAsync(host, code);

    [Fact]
    public async Task A_list_naming_few_municipalities_is_warned_of_and_applied_only_when_confirmed()
    {
        var catalog = ReadinessCatalog.Instance;
        using var national = host.National();
        var designatedNow = await MunicipalitiesWithDesignationAsync(national);
        var listedDesignated = (await DesignatedAsync(Chiyoda) ? 1 : 0) + (await DesignatedAsync(Sapporo) ? 1 : 0);
        var unlisted = catalog.BaselineDesignations.First(d => d.Value.Count > 0 && d.Key is not Chiyoda and not Sapporo).Key;
        Assert.True(designatedNow > 100, $"{designatedNow} municipalities hold designations");
        var id = await UploadAsync(national, [Chiyoda, Sapporo]);

        // The preview warns, with the counts.
        using (var get = await national.GetAsync(new Uri($"/api/v1/imports/{id}", UriKind.Relative)))
        {
            var view = JsonDocument.Parse(await get.Content.ReadAsStringAsync()).RootElement;
            var warning = Assert.Single(view.GetProperty("warnings").EnumerateArray(), w => w.GetProperty("code").GetString() == "partial_list");
            Assert.Contains("一覧が挙げる市区町村は 2、", warning.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
            Assert.Contains($"{designatedNow:N0}", warning.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
        }

        // Applied without the confirmation: 409 naming confirm, nothing applied.
        using (var refused = await national.PostAsync(new Uri($"/api/v1/imports/{id}/apply", UriKind.Relative), null))
        {
            var text = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.Conflict, text);
            var problem = JsonDocument.Parse(text).RootElement;
            var error = Assert.Single(problem.GetProperty("errors").EnumerateArray());
            Assert.Equal("confirm", error.GetProperty("field").GetString());
            Assert.Equal("partial_list", error.GetProperty("code").GetString());
            Assert.Equal(2, problem.GetProperty("listed").GetInt32());
            Assert.Equal(designatedNow, problem.GetProperty("designatedNow").GetInt32());
            Assert.Equal(designatedNow - listedDesignated, problem.GetProperty("municipalitiesLosingAll").GetInt32());
            Assert.StartsWith("適用していません。", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        Assert.True(await DesignatedAsync(unlisted), "a refused apply changed a municipality the list does not name");
        Assert.False(await AppliedAsync(national, id));

        // A confirm of another value is no confirmation.
        using (var wrong = await national.PostAsync(new Uri($"/api/v1/imports/{id}/apply?confirm=yes", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
            Assert.Contains("\"field\":\"confirm\"", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.True(await DesignatedAsync(unlisted));

        // The page: the box is there and required; posted without it, 422 with the fault beside it and nothing applied.
        using var person = await FormSession.SignInNationalAsync(host);
        var page = await person.PageAsync($"imports/{id}");
        Assert.Contains("data-warning=\"partial_list\"", page, StringComparison.Ordinal);
        Assert.Contains("name=\"confirm\" value=\"partial_list\" required", page, StringComparison.Ordinal);
        var action = $"/imports/{id}/apply";
        using (var unticked = await person.SubmitAsync(page, action))
        {
            var html = await unticked.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.UnprocessableEntity, unticked.StatusCode);
            Assert.Contains("data-field-error=\"confirm\"", html, StringComparison.Ordinal);
            Assert.Contains("aria-invalid=\"true\"", html, StringComparison.Ordinal);
        }

        Assert.True(await DesignatedAsync(unlisted), "a refused form apply changed a municipality the list does not name");
        Assert.False(await AppliedAsync(national, id));

        // Ticked: applied, and the list is taken as the whole list.
        var token = FormSession.Hidden(page, action, "__RequestVerificationToken");
        using (var request = new HttpRequestMessage(HttpMethod.Post, action)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token, ["confirm"] = "partial_list" }),
        })
        using (var ticked = await person.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.SeeOther, ticked.StatusCode);
        }

        Assert.True(await AppliedAsync(national, id));
        Assert.False(await DesignatedAsync(unlisted));
        // The nation follows (its aggregation is asynchronous: a few hundred milliseconds).
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await MunicipalitiesWithDesignationAsync(national) != listedDesignated && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.Equal(listedDesignated, await MunicipalitiesWithDesignationAsync(national));
    }
}

/// <summary>A later release of the whole list, one municipality fewer: applied as before, and its preview says what it takes away.</summary>
public sealed class CompleteDesignationListTests(ApiHost host) : IClassFixture<ApiHost>
{
    [Fact]
    public async Task A_list_naming_most_municipalities_applies_and_its_preview_tells_what_it_takes_away()
    {
        var catalog = ReadinessCatalog.Instance;
        var designated = catalog.BaselineDesignations.Where(d => d.Value.Count > 0).Select(d => d.Key).Order(StringComparer.Ordinal).ToList();
        var dropped = designated[^1];
        using var national = host.National();
        // Every designated municipality but one (a later release: that one finished migrating its designated systems).
        var id = await PartialDesignationListTests.UploadAsync(national, designated[..^1], asOf: "令和8年2月末時点");
        using (var get = await national.GetAsync(new Uri($"/api/v1/imports/{id}", UriKind.Relative)))
        {
            var view = JsonDocument.Parse(await get.Content.ReadAsStringAsync()).RootElement;
            var warning = Assert.Single(view.GetProperty("warnings").EnumerateArray());
            Assert.Equal("unlisted_undesignated", warning.GetProperty("code").GetString());
            Assert.Contains($"のうち {catalog.BaselineDesignations[dropped].Count}（1 団体はすべて）から指定が外れます", warning.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
            Assert.DoesNotContain("都道府県が自ら運用する", warning.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        }

        using var apply = await national.PostAsync(new Uri($"/api/v1/imports/{id}/apply", UriKind.Relative), null);
        Assert.True(apply.StatusCode == HttpStatusCode.OK, await apply.Content.ReadAsStringAsync());
        Assert.False(await DesignatedAsync(dropped));
    }

    private async Task<bool> DesignatedAsync(string code) => await PartialDesignationListTests.DesignatedAsync(host, code);
}

public sealed partial class PartialDesignationListTests
{
    internal static async Task<bool> DesignatedAsync(ApiHost host, string code)
    {
        var (view, _) = await host.GetMunicipality(code);
        return view.GetProperty("systems").EnumerateArray().Any(s => s.GetProperty("designated").GetBoolean());
    }

    private static async Task<int> MunicipalitiesWithDesignationAsync(HttpClient national)
    {
        using var get = await national.GetAsync(new Uri("/api/v1/nation", UriKind.Relative));
        return JsonDocument.Parse(await get.Content.ReadAsStringAsync()).RootElement.GetProperty("figures").GetProperty("municipalitiesWithDesignation").GetInt32();
    }

    private static async Task<bool> AppliedAsync(HttpClient national, string id)
    {
        using var get = await national.GetAsync(new Uri($"/api/v1/imports/{id}", UriKind.Relative));
        return JsonDocument.Parse(await get.Content.ReadAsStringAsync()).RootElement.GetProperty("applied").ValueKind != JsonValueKind.Null;
    }

    /// <summary>
    /// A designation list as CSV naming <paramref name="codes"/> with their baseline designations (none when
    /// <paramref name="marks"/> is false: a copy whose ● marks were lost), after the prefectures' own rows with their
    /// baseline designations unless <paramref name="prefectureRows"/> is false (a sheet filtered to 区分≠都道府県); its id.
    /// </summary>
    internal static async Task<string> UploadAsync(HttpClient national, IReadOnlyList<string> codes, string asOf = "令和8年1月末時点", bool prefectureRows = true, bool marks = true)
    {
        var catalog = ReadinessCatalog.Instance;
        var text = new StringBuilder($"特定移行支援システムの該当見込み一覧（{asOf}）\r\n\r\n団体コード,自治体名,自治体区分,{string.Join(",", catalog.BusinessSystems.Select(b => b.NameJa))},共通機能\r\n");
        foreach (var (prefecture, own) in catalog.BaselinePrefectureDesignations.Where(_ => prefectureRows).OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            text.Append($"{ReadinessCatalog.PrefectureBodyCode(prefecture)},{catalog.PrefecturesByCode[prefecture].Name},都道府県,{string.Join(",", catalog.BusinessSystems.Select(b => own.Contains(b.Id) ? "●" : ""))},\r\n");
        }

        foreach (var code in codes)
        {
            var m = catalog.MunicipalitiesByCode[code];
            var marked = marks && catalog.BaselineDesignations.TryGetValue(code, out var d) ? d : [];
            var kind = OfficialWorkbooks.KindLabel(m.Kind);
            text.Append($"{code},{catalog.PrefecturesByCode[m.PrefectureCode].Name}{m.Name},{kind},{string.Join(",", catalog.BusinessSystems.Select(b => marked.Contains(b.Id) ? "●" : ""))},\r\n");
        }

        using var upload = await ApiHost.PostImportAsync(national, [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(text.ToString())], "特定移行支援システム該当見込み一覧.csv");
        var body = await upload.Content.ReadAsStringAsync();
        Assert.True(upload.StatusCode == HttpStatusCode.Created, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
    }
}
