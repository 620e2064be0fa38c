using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// One view of a system, the same on both pages (a breaker's finding): the prefecture's own systems panel did not show a
/// phase moved back (後退) or its reason, which the municipality's systems table does, and its headers and phase names
/// differed (移行フェーズ vs フェーズ; short vs full phase names). Both tables now have the same columns, headers and cells,
/// in Japanese and in English. Real host, plain HTTP.
/// </summary>
public sealed partial class SystemTableParityTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string Miyagi = "04";
    private const string Sendai = "041009";

    [Fact]
    public async Task A_prefecture_s_own_system_moved_back_shows_its_regression_and_reason_as_a_municipality_s_does_with_the_same_headers()
    {
        using var prefecture = host.Client(host.Token(Readiness.Role.Prefecture, Miyagi, "back@pref.miyagi"));
        await PutAsync(prefecture, """{"phase":"testing","designated":false}""");
        await PutAsync(prefecture, """{"phase":"build_and_data_migration","designated":false,"regressionReason":"県のベンダが撤退したため"}""");
        using var municipality = host.Municipality(Sendai, "back@city.sendai");
        await host.PutSystem(municipality, Sendai, "public_assistance", """{"phase":"testing","designated":false}""");
        await host.PutSystem(municipality, Sendai, "public_assistance", """{"phase":"build_and_data_migration","designated":false,"regressionReason":"市のベンダが撤退したため"}""");

        using var pages = await host.SignedInPagesAsync(host.Token(Readiness.Role.National, null, "reader@digital.go.jp"));
        foreach (var language in new[] { "ja", "en" })
        {
            var prefecturePage = await GetPageAsync(pages, $"/prefectures/{Miyagi}", language);
            var municipalityPage = await GetPageAsync(pages, $"/municipalities/{Sendai}", language);
            var prefectureTable = Table(prefecturePage, "prefecture-run-table");
            var municipalityTable = Table(municipalityPage, "systems-table");

            // The same headers, word for word.
            Assert.Equal(Headers(municipalityTable), Headers(prefectureTable));

            // The same row for the same state: the phase's full name, the regression with its reason.
            var prefectureRow = Row(prefectureTable, "public_assistance");
            var municipalityRow = Row(municipalityTable, "public_assistance");
            var phase = language == "ja" ? "開発・移行（環境構築・パラメータ設定・データ移行）" : "Build & data migration";
            Assert.Contains(phase, municipalityRow, StringComparison.Ordinal);
            Assert.Contains(phase, prefectureRow, StringComparison.Ordinal);
            var regression = language == "ja" ? "後退：" : "Regression：";
            Assert.Contains(regression + "市のベンダが撤退したため", municipalityRow, StringComparison.Ordinal);
            Assert.Contains(regression + "県のベンダが撤退したため", prefectureRow, StringComparison.Ordinal);
        }
    }

    private async Task PutAsync(HttpClient client, string json)
    {
        const string Path = $"/api/v1/prefectures/{Miyagi}/systems/public_assistance";
        using var read = await client.GetAsync(Path);
        using var put = new HttpRequestMessage(HttpMethod.Put, Path) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        put.Headers.TryAddWithoutValidation("If-Match", read.Headers.ETag!.ToString());
        using var answer = await client.SendAsync(put);
        Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{(int)answer.StatusCode}: {await answer.Content.ReadAsStringAsync()}");
    }

    private static async Task<string> GetPageAsync(HttpClient client, string path, string language)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        request.Headers.Add("Cookie", "readiness-lang=" + language);
        using var response = await client.SendAsync(request);
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode}");
        return html;
    }

    private static string Table(string html, string id)
    {
        var start = html.IndexOf($"id=\"{id}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no table {id}");
        return html[start..html.IndexOf("</table>", start, StringComparison.Ordinal)];
    }

    /// <summary>Each column header's text, tags and the header's notes (the list's as-of day) left out.</summary>
    private static List<string> Headers(string table)
    {
        var head = table[table.IndexOf("<thead>", StringComparison.Ordinal)..table.IndexOf("</thead>", StringComparison.Ordinal)];
        return [.. HeaderCell().Matches(head).Select(m => Tag().Replace(Regex.Replace(m.Groups[1].Value, "<span class=\"cell-note\">.*?</span>", string.Empty), string.Empty).Trim())];
    }

    private static string Row(string table, string businessId)
    {
        var start = table.IndexOf($"<tr data-business=\"{businessId}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no row {businessId}");
        return Tag().Replace(table[start..table.IndexOf("</tr>", start, StringComparison.Ordinal)], string.Empty);
    }

    [GeneratedRegex("<th scope=\"col\"[^>]*>(.*?)</th>", RegexOptions.Singleline)]
    private static partial Regex HeaderCell();

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex Tag();
}
