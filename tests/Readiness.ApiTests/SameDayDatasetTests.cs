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

    private static byte[] Tally(decimal rate)
    {
        var catalog = ReadinessCatalog.Instance;
        var labels = catalog.BusinessSystems.Select(b => b.SoumuLabel).ToArray();
        var m = catalog.MunicipalitiesByCode[Minato];
        return OfficialWorkbooks.MicProgress("令和8年2月_進捗状況", labels, [new MicRow(catalog.PrefecturesByCode[m.PrefectureCode].Name, m.Name, labels.ToDictionary(l => l, _ => rate))]);
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
