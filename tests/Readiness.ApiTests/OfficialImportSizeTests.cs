using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Readiness.Catalog;
using Readiness.Web.Imports;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>
/// The largest official release, MIC's whole-country step detail (1,741 municipalities × 20 businesses), saved as CSV
/// by Excel (a tester's UTF-8 file of 18.7 MB answered 413 "limit 10 MB"): taken through the API and the /imports
/// form, in UTF-8 with BOM and in Shift_JIS, and applied; a file over the limit gets the 413 problem naming "file" and
/// the limit, on both paths.
/// </summary>
public sealed partial class OfficialImportSizeTests(ApiHost host, ITestOutputHelper output) : IClassFixture<ApiHost>
{
    static OfficialImportSizeTests() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    [Fact]
    public async Task The_whole_country_step_detail_as_csv_is_uploaded_and_applied_and_a_larger_file_is_refused_naming_the_limit()
    {
        var text = WholeCountryStepDetail();
        byte[] utf8 = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(text)];
        var sjis = Encoding.GetEncoding(932).GetBytes(text);
        Assert.True(utf8.Length >= 18_000_000, $"UTF-8: {utf8.Length:N0} bytes");
        output.WriteLine($"UTF-8 {utf8.Length:N0} bytes, Shift_JIS {sjis.Length:N0} bytes");

        using var national = host.Client(host.Token(Role.National));
        national.Timeout = TimeSpan.FromSeconds(120);
        var clock = Stopwatch.StartNew();
        using var upload = await UploadAsync(national, utf8, "令和8年8月_ステップ別.csv");
        var body = await upload.Content.ReadAsStringAsync();
        Assert.True(upload.StatusCode == HttpStatusCode.Created, $"{(int)upload.StatusCode}: {body[..Math.Min(body.Length, 2000)]}");
        var preview = JsonDocument.Parse(body).RootElement;
        Assert.Equal("mic_step_detail", preview.GetProperty("kind").GetString());
        Assert.Equal("csv (utf-8 (BOM))", preview.GetProperty("format").GetString());
        Assert.Equal(ReadinessCatalog.ExpectedMunicipalities, preview.GetProperty("matchedRows").GetInt32());
        Assert.Equal(0, preview.GetProperty("unmatchedCount").GetInt32());
        output.WriteLine($"upload {clock.ElapsedMilliseconds} ms ({string.Join(", ", upload.Headers.GetValues("Server-Timing"))})");

        clock.Restart();
        var id = preview.GetProperty("id").GetString()!;
        using var apply = await national.PostAsync(new Uri($"/api/v1/imports/{id}/apply", UriKind.Relative), null);
        var applied = await apply.Content.ReadAsStringAsync();
        Assert.True(apply.StatusCode == HttpStatusCode.OK, $"{(int)apply.StatusCode}: {applied[..Math.Min(applied.Length, 2000)]}");
        Assert.Equal(ReadinessCatalog.ExpectedMunicipalities,
            JsonDocument.Parse(applied).RootElement.GetProperty("applied").GetProperty("counts").GetProperty("municipalitiesChanged").GetInt32());
        output.WriteLine($"apply {clock.ElapsedMilliseconds} ms");

        // The same table as Excel's 「CSV（コンマ区切り）」 (Shift_JIS) through the page's form.
        using var pages = await host.SignedInPagesAsync(host.Token(Role.National), TimeSpan.FromSeconds(120));
        clock.Restart();
        using (var form = await PostFormAsync(pages, sjis, "令和8年8月_ステップ別.csv"))
        {
            Assert.True(form.StatusCode == HttpStatusCode.SeeOther, $"{(int)form.StatusCode}: {await form.Content.ReadAsStringAsync()}");
            Assert.StartsWith("/imports/", form.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }

        output.WriteLine($"form upload (Shift_JIS) {clock.ElapsedMilliseconds} ms; peak working set of the test process (host in it) {Process.GetCurrentProcess().PeakWorkingSet64 / 1024 / 1024} MB");

        // One byte over the limit: the product's own 413, naming the field and the limit, and how to get under it.
        var limitMb = OfficialWorkbook.MaxFileBytes / 1024 / 1024;
        var tooLarge = new byte[OfficialWorkbook.MaxFileBytes + 1];
        Array.Fill(tooLarge, (byte)'a');
        using (var refused = await UploadAsync(national, tooLarge, "令和8年8月_ステップ別.csv"))
        {
            var problem = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.RequestEntityTooLarge, $"{(int)refused.StatusCode}: {problem}");
            var error = JsonDocument.Parse(problem).RootElement.GetProperty("errors")[0];
            Assert.Equal("file", error.GetProperty("field").GetString());
            Assert.Equal("file_too_large", error.GetProperty("code").GetString());
            Assert.Contains($"上限 {limitMb} MB", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
            Assert.Contains("都道府県ごと", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
            Assert.Contains($"limit {limitMb} MB", error.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
            Assert.Contains(".xlsx", error.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
        }

        using (var refused = await PostFormAsync(pages, tooLarge, "令和8年8月_ステップ別.csv"))
        {
            var html = await refused.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
            Assert.Contains("data-code=\"file_too_large\"", html, StringComparison.Ordinal);
            Assert.Contains($"上限 {limitMb} MB", html, StringComparison.Ordinal);
        }
    }

    /// <summary>Every municipality of the product's catalog × its 20 businesses, 40 steps each, as Excel writes CSV.</summary>
    private static string WholeCountryStepDetail()
    {
        var catalog = ReadinessCatalog.Instance;
        var text = new StringBuilder(10_000_000);
        text.Append("令和8年8月31日時点 ステップ別進捗状況\r\n都道府県,市区町村,業務");
        for (var step = 1; step <= 40; step++)
        {
            text.Append(",ステップ").Append(step);
        }

        text.Append("\r\n");
        var row = 0;
        foreach (var m in catalog.Municipalities)
        {
            foreach (var b in catalog.BusinessSystems)
            {
                // Mostly done, as in late 2026: the longest cell (完了済み) dominates, so the file is as large as the real one.
                var done = 30 + (row++ % 10);
                text.Append(catalog.PrefecturesByCode[m.PrefectureCode].Name).Append(',').Append(m.Name).Append(',').Append(b.SoumuLabel);
                for (var step = 1; step <= 40; step++)
                {
                    text.Append(step <= done ? ",完了済み" : step == done + 1 ? ",作業中" : ",未着手");
                }

                text.Append("\r\n");
            }
        }

        return text.ToString();
    }

    private static Task<HttpResponseMessage> UploadAsync(HttpClient client, byte[] file, string name) => ApiHost.PostImportAsync(client, file, name);

    private static async Task<HttpResponseMessage> PostFormAsync(HttpClient pages, byte[] file, string name)
    {
        var html = await pages.GetStringAsync(new Uri("/imports", UriKind.Relative));
        var start = html.IndexOf("action=\"/imports/upload\"", StringComparison.Ordinal);
        Assert.True(start >= 0, "no upload form");
        var token = WebUtility.HtmlDecode(Token().Match(html[start..]).Groups[1].Value);
        using var content = new MultipartFormDataContent();
        content.Add(new StringContent(token), "__RequestVerificationToken");
        var part = new ByteArrayContent(file);
        part.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        content.Add(part, "file", name);
        return await pages.PostAsync(new Uri("/imports/upload", UriKind.Relative), content);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]*)\"")]
    private static partial Regex Token();
}
