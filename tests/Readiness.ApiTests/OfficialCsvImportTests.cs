using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Readiness;
using Readiness.Catalog;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// MIC's tally as CSV through the API: a file named without its month (breaker's finding: progress2.csv answered 400
/// wrong_sheet) is taken with the month of its title row, or refused naming the file and how to name it; an identical
/// copy of an applied tally (the same rows saved as UTF-8) answers that its apply changed nothing and replaced nothing.
/// </summary>
public sealed class OfficialCsvImportTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string Bunkyo = "131059";

    static OfficialCsvImportTests() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    [Fact]
    public async Task A_tally_csv_named_without_its_month_takes_the_month_of_its_title_row()
    {
        using var national = host.Client(host.Token(Role.National));
        var body = await PreviewAsync(national, Tally("令和8年5月末時点 市区町村別・業務別 標準化の進捗状況", 0.5m, "shift_jis"), "progress2.csv", HttpStatusCode.Created);
        Assert.Equal("mic_progress", body.GetProperty("kind").GetString());
        Assert.Equal("2026-05-31", body.GetProperty("asOf").GetString());
    }

    [Fact]
    public async Task A_tally_csv_without_a_month_in_its_name_or_title_is_refused_naming_the_file()
    {
        using var national = host.Client(host.Token(Role.National));
        var error = (await PreviewAsync(national, Tally("市区町村別・業務別 標準化の進捗状況（PMOツール集計）", 0.5m, "shift_jis"), "progress2.csv", HttpStatusCode.BadRequest)).GetProperty("errors")[0];
        Assert.Equal("missing_as_of", error.GetProperty("code").GetString());
        Assert.Contains("progress2", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        Assert.Contains("令和8年9月_進捗状況.csv", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        Assert.Contains("令和8年9月_進捗状況.csv", error.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_identical_copy_of_an_applied_tally_answers_that_its_apply_changed_and_replaced_nothing()
    {
        using var national = host.Client(host.Token(Role.National));
        const string title = "市区町村別・業務別 標準化の進捗状況";
        var first = await CreatedAsync(national, Tally(title, 13m / 40, "shift_jis"), "令和8年4月_進捗状況.csv");
        var copy = await CreatedAsync(national, Tally(title, 13m / 40, "utf-8"), "令和8年4月_進捗状況.csv");
        Assert.NotEqual(first, copy);
        var applied = await ApplyAsync(national, first);
        Assert.Equal(1, applied.GetProperty("applied").GetProperty("counts").GetProperty("municipalitiesChanged").GetInt32());
        var before = (await host.GetMunicipality(Bunkyo)).Body.GetProperty("version").GetInt64();

        var result = await ApplyAsync(national, copy);

        Assert.Equal(before, (await host.GetMunicipality(Bunkyo)).Body.GetProperty("version").GetInt64());
        var counts = result.GetProperty("applied").GetProperty("counts");
        Assert.Equal(0, counts.GetProperty("municipalitiesChanged").GetInt32());
        Assert.Equal(0, counts.GetProperty("systemsChanged").GetInt32());
        Assert.Equal(0, counts.GetProperty("municipalitiesConfirmed").GetInt32());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("applied").GetProperty("replaced").ValueKind);
        Assert.Empty(result.GetProperty("changes").EnumerateArray());

        using var pages = await host.SignedInPagesAsync(host.Token(Role.National));
        var html = await pages.GetStringAsync(new Uri($"/imports/{copy}", UriKind.Relative));
        Assert.DoesNotContain("置き換えました", html, StringComparison.Ordinal);
        Assert.Contains("適用で変わった市区町村（0）", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_name_saying_another_month_than_the_title_is_warned_in_the_preview_and_the_title_day_is_taken()
    {
        using var national = host.Client(host.Token(Role.National));
        var body = await PreviewAsync(national, Tally("令和8年3月末時点 市区町村別・業務別 標準化の進捗状況", 0.5m, "shift_jis"), "unknown_令和8年4月_進捗状況.csv", HttpStatusCode.Created);
        Assert.Equal("2026-03-31", body.GetProperty("asOf").GetString());
        var warning = Assert.Single(body.GetProperty("warnings").EnumerateArray());
        Assert.Equal("as_of_name_differs", warning.GetProperty("code").GetString());
        Assert.Contains("2026年4月", warning.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        Assert.Contains("2026-04", warning.GetProperty("messageEn").GetString(), StringComparison.Ordinal);

        using var pages = await host.SignedInPagesAsync(host.Token(Role.National));
        var html = await pages.GetStringAsync(new Uri($"/imports/{body.GetProperty("id").GetString()}", UriKind.Relative));
        Assert.Contains("data-warning=\"as_of_name_differs\"", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("wrongcol_令和8年5月_進捗状況.csv")]
    [InlineData("コピー令和8年9月_進捗状況.csv")]
    [InlineData("令和8年5月_進捗状況 (1).csv")]
    public async Task A_wrong_column_is_named_whatever_the_file_is_called(string name)
    {
        using var national = host.Client(host.Token(Role.National));
        var file = Encoding.GetEncoding(932).GetBytes(Encoding.GetEncoding(932).GetString(Tally("市区町村別・業務別 標準化の進捗状況", 0.5m, "shift_jis")).Replace(",児童手当,", ",児童手当金,", StringComparison.Ordinal));
        var error = (await PreviewAsync(national, file, name, HttpStatusCode.BadRequest)).GetProperty("errors")[0];
        Assert.Equal("missing_header", error.GetProperty("code").GetString());
        Assert.Contains("2行目の見出しに次の列がありません: 児童手当", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("団体コード,自治体名,自治体種別", "自治体区分")]
    [InlineData("番号,自治体名,自治体区分", "団体コード")]
    public async Task A_designation_list_with_a_misspelt_heading_is_refused_naming_it(string headings, string named)
    {
        using var national = host.Client(host.Token(Role.National));
        var catalog = ReadinessCatalog.Instance;
        var marks = string.Join(",", catalog.BusinessSystems.Select(b => b.Id == "koseki" ? "●" : ""));
        var text = $"特定移行支援システムの該当見込み一覧（令和7年12月末時点）\r\n{headings},{string.Join(",", catalog.BusinessSystems.Select(b => b.NameJa))},共通機能\r\n"
            + $"{Bunkyo},東京都文京区,特別区,{marks},\r\n";
        var error = (await PreviewAsync(national, Encoding.GetEncoding(932).GetBytes(text), "該当見込み一覧.csv", HttpStatusCode.BadRequest)).GetProperty("errors")[0];
        Assert.Equal("missing_header", error.GetProperty("code").GetString());
        Assert.Contains($"2行目の見出しに次の列がありません: {named}", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
    }

    private static byte[] Tally(string title, decimal rate, string encoding)
    {
        var catalog = ReadinessCatalog.Instance;
        var m = catalog.MunicipalitiesByCode[Bunkyo];
        var rates = string.Join(",", Enumerable.Repeat(rate.ToString(System.Globalization.CultureInfo.InvariantCulture), 21));
        var text = $"{title}\r\n都道府県,市区町村名,全体,{string.Join(",", catalog.BusinessSystems.Select(b => b.SoumuLabel))}\r\n"
            + $"{catalog.PrefecturesByCode[m.PrefectureCode].Name},{m.Name},{rates}\r\n";
        return encoding == "utf-8" ? [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(text)] : Encoding.GetEncoding(932).GetBytes(text);
    }

    private static Task<HttpResponseMessage> UploadAsync(HttpClient client, byte[] file, string name) => ApiHost.PostImportAsync(client, file, name);

    /// <summary>Uploads a file, asserts the status (the body in the message when it differs) and gives the body.</summary>
    private static async Task<JsonElement> PreviewAsync(HttpClient client, byte[] file, string name, HttpStatusCode expected)
    {
        using var upload = await UploadAsync(client, file, name);
        var text = await upload.Content.ReadAsStringAsync();
        Assert.True(upload.StatusCode == expected, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<string> CreatedAsync(HttpClient client, byte[] file, string name) =>
        (await PreviewAsync(client, file, name, HttpStatusCode.Created)).GetProperty("id").GetString()!;

    private static async Task<JsonElement> ApplyAsync(HttpClient client, string id)
    {
        using var apply = await client.PostAsync(new Uri($"/api/v1/imports/{id}/apply", UriKind.Relative), null);
        var text = await apply.Content.ReadAsStringAsync();
        Assert.True(apply.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
