using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Readiness;
using Readiness.Catalog;
using Readiness.Testing;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// Two official datasets of one kind and one as-of day (breaker's finding: the later upload silently won): the second's
/// preview warns that one of that day exists and is replaced (ja/en, in the API and on the preview page), and its apply
/// records the one it replaced.
/// </summary>
public sealed class SameDayDatasetTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string Minato = "131032";
    private const string Shinjuku = "131041"; // another municipality's datasets, so the two tests' months never meet

    [Fact]
    public async Task The_second_dataset_of_a_day_warns_that_it_replaces_the_first_and_records_it()
    {
        using var national = host.Client(host.Token(Role.National, subject: "importer@example.go.jp"));
        var first = await UploadAsync(national, Tally(1m), "tally-a.xlsx");
        var firstId = first.GetProperty("id").GetString()!;
        Assert.Equal(JsonValueKind.Null, first.GetProperty("sameDay").ValueKind);
        using (var apply = await national.PostAsync(new Uri($"/api/v1/imports/{firstId}/apply", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.OK, apply.StatusCode);
        }

        var second = await UploadAsync(national, Tally(0.5m), "tally-b.xlsx");
        var secondId = second.GetProperty("id").GetString()!;
        var sameDay = second.GetProperty("sameDay");
        Assert.Equal(firstId, sameDay.GetProperty("id").GetString());
        Assert.Equal("tally-a.xlsx", sameDay.GetProperty("fileName").GetString());
        Assert.Contains("置き換え", sameDay.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        Assert.Contains("replaces", sameDay.GetProperty("messageEn").GetString(), StringComparison.Ordinal);

        using var pages = await host.SignedInPagesAsync(host.Token(Role.National));
        var html = await pages.GetStringAsync(new Uri($"/imports/{secondId}", UriKind.Relative));
        Assert.Contains($"data-same-day=\"{firstId}\"", html, StringComparison.Ordinal);
        Assert.Contains("置き換えます", html, StringComparison.Ordinal);

        using var applied = await national.PostAsync(new Uri($"/api/v1/imports/{secondId}/apply", UriKind.Relative), null);
        var result = JsonDocument.Parse(await applied.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(firstId, result.GetProperty("applied").GetProperty("replaced").GetString());
        var again = JsonDocument.Parse(await national.GetStringAsync(new Uri($"/api/v1/imports/{secondId}", UriKind.Relative))).RootElement;
        Assert.Equal(firstId, again.GetProperty("applied").GetProperty("replaced").GetString());
        Assert.Contains("置き換えました", again.GetProperty("sameDay").GetProperty("messageJa").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_apply_that_changes_nothing_says_so_and_replaces_nothing()
    {
        // Breaker's finding: an older month applied after a newer one answered the upload's preview (48 systems changed)
        // and 「…を置き換えました」, though nothing changed.
        using var national = host.Client(host.Token(Role.National, subject: "importer@example.go.jp"));
        var marchA = await UploadAsync(national, Tally(27m / 40, "令和8年3月_進捗状況", Shinjuku), "march-a.xlsx");
        var marchB = await UploadAsync(national, Tally(26m / 40, "令和8年3月_進捗状況", Shinjuku), "march-b.xlsx");
        Assert.True(marchB.GetProperty("preview").GetProperty("systemsChanged").GetInt32() > 0);
        await ApplyAsync(national, marchA.GetProperty("id").GetString()!);
        await ApplyAsync(national, (await UploadAsync(national, Tally(28m / 40, "令和8年4月_進捗状況", Shinjuku), "april.xlsx")).GetProperty("id").GetString()!);
        var before = (await host.GetMunicipality(Shinjuku)).Body.GetProperty("version").GetInt64();

        var id = marchB.GetProperty("id").GetString()!;
        var result = await ApplyAsync(national, id);

        Assert.Equal(before, (await host.GetMunicipality(Shinjuku)).Body.GetProperty("version").GetInt64()); // nothing changed
        var counts = result.GetProperty("applied").GetProperty("counts");
        Assert.Equal(0, counts.GetProperty("municipalitiesChanged").GetInt32());
        Assert.Equal(0, counts.GetProperty("systemsChanged").GetInt32());
        Assert.Equal(1, counts.GetProperty("municipalitiesOlder").GetInt32());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("applied").GetProperty("replaced").ValueKind);
        Assert.Empty(result.GetProperty("changes").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("sameDay").ValueKind);

        using var pages = await host.SignedInPagesAsync(host.Token(Role.National));
        var html = await pages.GetStringAsync(new Uri($"/imports/{id}", UriKind.Relative));
        Assert.DoesNotContain("置き換えました", html, StringComparison.Ordinal);
        Assert.Contains("適用で変わった市区町村（0）", html, StringComparison.Ordinal);
        // The page's counts are the apply's, not the upload's preview (which said systems would change).
        Assert.Contains("data-count=\"systems-changed\">0<", html, StringComparison.Ordinal);
        Assert.Contains("data-count=\"municipalities-changed\">0<", html, StringComparison.Ordinal);
        Assert.Contains("data-count=\"older\">1<", html, StringComparison.Ordinal);
        Assert.Contains("変わったシステム", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dataset_replaced_by_a_same_day_one_is_no_source_where_the_later_one_listed_its_municipalities_and_the_list_says_so()
    {
        // Breaker's finding: after a second dataset of the same day and kind replaced the first, the nation's sources
        // listed both under one title and /imports did not say which was replaced.
        const string meguro = "131105", shibuya = "131130";
        using var national = host.Client(host.Token(Role.National, subject: "importer@example.go.jp"));
        var juneA = (await UploadAsync(national, Tally2("令和8年6月_進捗状況", 0.5m, meguro, shibuya), "june-a.xlsx")).GetProperty("id").GetString()!;
        await ApplyAsync(national, juneA);
        var juneB = (await UploadAsync(national, Tally2("令和8年6月_進捗状況", 0.75m, meguro, shibuya), "june-b.xlsx")).GetProperty("id").GetString()!;
        Assert.Equal(juneA, (await ApplyAsync(national, juneB)).GetProperty("applied").GetProperty("replaced").GetString());

        // Replaced in both municipalities: no source any more, and the list says by which.
        // The summaries refresh within a poll: wait for the later one to be named and the replaced one gone (before the
        // fix it never went, and this wait failed).
        var sources = await SourceIdsAsync(national, juneB, gone: juneA);
        Assert.DoesNotContain(juneA, sources);
        var list = await ListAsync(national);
        Assert.Equal(juneB, list[juneA].GetProperty("replacedBy").GetString());
        Assert.Equal(0, list[juneA].GetProperty("municipalitiesSourced").GetInt32());
        Assert.Equal(JsonValueKind.Null, list[juneB].GetProperty("replacedBy").ValueKind);
        Assert.Equal(2, list[juneB].GetProperty("municipalitiesSourced").GetInt32());

        // A replacement listing only one of them: the first stays the source of the other, the list says partly.
        var julyA = (await UploadAsync(national, Tally2("令和8年7月_進捗状況", 0.5m, meguro, shibuya), "july-a.xlsx")).GetProperty("id").GetString()!;
        await ApplyAsync(national, julyA);
        var julyB = (await UploadAsync(national, Tally2("令和8年7月_進捗状況", 0.75m, shibuya), "july-b.xlsx")).GetProperty("id").GetString()!;
        await ApplyAsync(national, julyB);
        sources = await SourceIdsAsync(national, julyB);
        Assert.Contains(julyA, sources);
        list = await ListAsync(national);
        Assert.Equal(julyB, list[julyA].GetProperty("replacedBy").GetString());
        Assert.Equal(1, list[julyA].GetProperty("municipalitiesSourced").GetInt32());
        Assert.Equal(julyA, (await host.GetMunicipality(meguro)).Body.GetProperty("officialSources").GetProperty("stepCompletion").GetProperty("id").GetString());
        Assert.Equal(julyB, (await host.GetMunicipality(shibuya)).Body.GetProperty("officialSources").GetProperty("stepCompletion").GetProperty("id").GetString());

        using var pages = await host.SignedInPagesAsync(host.Token(Role.National));
        var html = await pages.GetStringAsync(new Uri("/imports", UriKind.Relative));
        var row = html[html.IndexOf($"data-import=\"{juneA}\"", StringComparison.Ordinal)..];
        row = row[..row.IndexOf("</tr>", StringComparison.Ordinal)];
        Assert.Contains($"data-replaced-by=\"{juneB}\"", row, StringComparison.Ordinal);
        Assert.Contains("置き換え済み", row, StringComparison.Ordinal);
        var partly = html[html.IndexOf($"data-import=\"{julyA}\"", StringComparison.Ordinal)..];
        Assert.Contains("一部置き換え済み", partly[..partly.IndexOf("</tr>", StringComparison.Ordinal)], StringComparison.Ordinal);
        var later = html[html.IndexOf($"data-import=\"{juneB}\"", StringComparison.Ordinal)..];
        Assert.DoesNotContain("data-replaced-by", later[..later.IndexOf("</tr>", StringComparison.Ordinal)], StringComparison.Ordinal);

        // The import's own page and GET say it too (the list only, before).
        var juneAPage = await pages.GetStringAsync(new Uri($"/imports/{juneA}", UriKind.Relative));
        Assert.Contains($"data-replaced-by=\"{juneB}\"", juneAPage, StringComparison.Ordinal);
        Assert.Contains("（置き換え済み）", juneAPage, StringComparison.Ordinal);
        Assert.Contains("1 団体でこのデータを置き換えました（一部置き換え済み）", await pages.GetStringAsync(new Uri($"/imports/{julyA}", UriKind.Relative)), StringComparison.Ordinal);
        Assert.DoesNotContain("data-replaced-by", await pages.GetStringAsync(new Uri($"/imports/{juneB}", UriKind.Relative)), StringComparison.Ordinal);
        using var get = await national.GetAsync(new Uri($"/api/v1/imports/{juneA}", UriKind.Relative));
        var applied = JsonDocument.Parse(await get.Content.ReadAsStringAsync()).RootElement.GetProperty("applied");
        Assert.Equal(juneB, applied.GetProperty("replacedBy").GetString());
        Assert.Equal(2, applied.GetProperty("municipalitiesTakenOver").GetInt32());
    }

    /// <summary>The ids of the nation's sources, once they name <paramref name="expected"/> and not <paramref name="gone"/> (the summaries refresh within a poll).</summary>
    private static async Task<List<string>> SourceIdsAsync(HttpClient client, string expected, string? gone = null)
    {
        var nation = await ForecastFreshnessTests.Until(client, "/api/v1/nation", n =>
        {
            var ids = n.GetProperty("sources").EnumerateArray().Select(s => s.GetProperty("id").GetString()).ToList();
            return ids.Contains(expected) && (gone is null || !ids.Contains(gone));
        });
        return [.. nation.GetProperty("sources").EnumerateArray().Select(s => s.GetProperty("id").GetString()!)];
    }

    private static async Task<Dictionary<string, JsonElement>> ListAsync(HttpClient client) =>
        JsonDocument.Parse(await client.GetStringAsync(new Uri("/api/v1/imports", UriKind.Relative))).RootElement.EnumerateArray()
            .ToDictionary(l => l.GetProperty("id").GetString()!, l => l.Clone());

    private static byte[] Tally2(string sheet, decimal rate, params string[] codes)
    {
        var catalog = ReadinessCatalog.Instance;
        var labels = catalog.BusinessSystems.Select(b => b.SoumuLabel).ToArray();
        return OfficialWorkbooks.MicProgress(sheet, labels, [.. codes.Select(code =>
        {
            var m = catalog.MunicipalitiesByCode[code];
            return new MicRow(catalog.PrefecturesByCode[m.PrefectureCode].Name, m.Name, labels.ToDictionary(l => l, _ => rate));
        })]);
    }

    private static async Task<JsonElement> ApplyAsync(HttpClient client, string id)
    {
        using var apply = await client.PostAsync(new Uri($"/api/v1/imports/{id}/apply", UriKind.Relative), null);
        var text = await apply.Content.ReadAsStringAsync();
        Assert.True(apply.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static byte[] Tally(decimal rate, string sheet = "令和8年2月_進捗状況", string code = Minato)
    {
        var catalog = ReadinessCatalog.Instance;
        var labels = catalog.BusinessSystems.Select(b => b.SoumuLabel).ToArray();
        var m = catalog.MunicipalitiesByCode[code];
        return OfficialWorkbooks.MicProgress(sheet, labels, [new MicRow(catalog.PrefecturesByCode[m.PrefectureCode].Name, m.Name, labels.ToDictionary(l => l, _ => rate))]);
    }

    private static async Task<JsonElement> UploadAsync(HttpClient client, byte[] file, string name)
    {
        using var content = new MultipartFormDataContent();
        var part = new ByteArrayContent(file);
        part.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        content.Add(part, "file", name);
        using var upload = await client.PostAsync(new Uri("/api/v1/imports", UriKind.Relative), content);
        var text = await upload.Content.ReadAsStringAsync();
        Assert.True(upload.StatusCode == HttpStatusCode.Created, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
