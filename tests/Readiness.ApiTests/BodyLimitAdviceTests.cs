using System.Net;
using System.Net.Sockets;
using System.Text;
using Readiness.Testing;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A body over its endpoint's limit is refused 413 with advice that fits what was sent, over real HTTP (a breaker's
/// finding: a single system's PUT was told to "split the report", which one system cannot be): one system or checklist
/// item (a municipality's, a prefecture's own) is told to shorten its text and send Japanese as raw UTF-8; a report
/// that, or to split it; a small JSON document (a scenario, the sign-in) its own 16 KiB; a reporting template upload
/// its own 2 MB and how a template stays small. Nothing is changed by any of them.
/// </summary>
public sealed class BodyLimitAdviceTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string M = "131059"; // 文京区: nothing else in this class writes it

    // \u-escaped Japanese, as a library that escapes by default sends it: 6 bytes a character, 300 KiB in all.
    private static readonly string Escaped = string.Concat(Enumerable.Repeat("\\u30c6\\u30b9\\u30c8", 300 * 1024 / 18));

    private static async Task<(string Ja, string En)> TooLargeAsync(HttpResponseMessage response, string field, string code)
    {
        var problem = await ApiHost.AssertProblem(response, HttpStatusCode.RequestEntityTooLarge, field);
        var error = problem.GetProperty("errors")[0];
        Assert.Equal(code, error.GetProperty("code").GetString());
        return (error.GetProperty("messageJa").GetString()!, error.GetProperty("messageEn").GetString()!);
    }

    /// <summary>Failed before: each said "split it into several requests (a report: …)".</summary>
    [Theory]
    [InlineData("PUT", "/api/v1/municipalities/131059/systems/koseki", "vendor")]
    [InlineData("PATCH", "/api/v1/municipalities/131059/systems/koseki", "vendor")]
    [InlineData("PUT", "/api/v1/municipalities/131059/security/SEC-1-01", "evidence")]
    [InlineData("PUT", "/api/v1/prefectures/13/systems/public_assistance", "vendor")]
    public async Task One_system_or_item_is_told_to_shorten_its_text_and_send_utf8_not_to_split(string method, string path, string member)
    {
        using var client = path.StartsWith("/api/v1/prefectures/", StringComparison.Ordinal)
            ? host.Client(host.Token(Role.Prefecture, "13", "limits@pref.tokyo"))
            : host.Municipality(M, "limits@city.bunkyo");
        var before = (await host.GetMunicipality(M)).Version;
        using var request = ApiHost.Request(new HttpMethod(method), path, $$"""{"{{member}}":"{{Escaped}}"}""", anyVersion: true);
        if (method == "PATCH")
        {
            request.Content!.Headers.ContentType = new("application/merge-patch+json");
        }

        using var response = await client.SendAsync(request);
        var (ja, en) = await TooLargeAsync(response, "body", "too_large");
        Assert.StartsWith("本文が大きすぎます（上限 256 KiB）。1つの業務・項目の本文です。文字列を短くしてください", ja, StringComparison.Ordinal);
        Assert.Contains("UTF-8", ja, StringComparison.Ordinal);
        Assert.Contains("shorten its text", en, StringComparison.Ordinal);
        Assert.Contains("raw UTF-8", en, StringComparison.Ordinal);
        Assert.Contains($"{member} ", en, StringComparison.Ordinal); // the member's limit is said
        Assert.DoesNotContain("分けて", ja, StringComparison.Ordinal);
        Assert.DoesNotContain("split", en, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before, (await host.GetMunicipality(M)).Version);
    }

    /// <summary>A report over the limit by its many texts, each within its own length: UTF-8, or split it.</summary>
    [Fact]
    public async Task A_report_is_told_to_send_utf8_or_split_it()
    {
        using var client = host.Municipality(M, "limits@city.bunkyo");
        // 47 items' evidence at its 1,000 characters, \u-escaped: ~282 KB, ~141 KB as UTF-8.
        var evidence = string.Concat(Enumerable.Repeat("\\u8a3c", Readiness.Rules.ChangeRules.MaxEvidenceLength));
        var items = string.Join(",", Catalog.ReadinessCatalog.Instance.SecurityItems.Select(i => $$"""{"itemId":"{{i.Id}}","status":"implemented","evidence":"{{evidence}}"}"""));
        var body = $$"""{"security":[{{items}}]}""";
        using var response = await client.SendAsync(ApiHost.Request(HttpMethod.Post, $"/api/v1/municipalities/{M}/reports", body, idempotencyKey: "limits-report", anyVersion: true));
        var (ja, en) = await TooLargeAsync(response, "body", "too_large");
        Assert.Contains("UTF-8", ja, StringComparison.Ordinal);
        Assert.Contains("報告を複数に分けて", ja, StringComparison.Ordinal);
        Assert.Contains("split the report", en, StringComparison.Ordinal);
    }

    /// <summary>
    /// Failed before: a report holding one value far over its member's length was told to split the report (which
    /// leaves that value as it is) and named only "body". Now the 413 names the value's place and its member's limit,
    /// whether the body came with its length or chunked.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_report_with_one_huge_value_is_told_to_shorten_that_value_not_to_split(bool chunked)
    {
        using var client = host.Municipality(M, "limits@city.bunkyo");
        var before = (await host.GetMunicipality(M)).Version;
        var body = $$"""{"systems":[{"businessId":"koseki","phase":"testing"},{"businessId":"juki","vendor":"{{new string('x', 300 * 1024)}}"}]}""";
        using var request = ApiHost.Request(HttpMethod.Post, $"/api/v1/municipalities/{M}/reports", body, idempotencyKey: "limits-one-value-" + chunked, anyVersion: true);
        if (chunked)
        {
            var content = new StreamContent(new UnseekableStream(Encoding.UTF8.GetBytes(body)));
            content.Headers.ContentType = new("application/json");
            request.Content = content;
            request.Headers.TransferEncodingChunked = true;
        }

        using var response = await client.SendAsync(request);
        var (ja, en) = await TooLargeAsync(response, "systems[1].vendor", "too_large");
        Assert.Contains("systems[1].vendor", ja, StringComparison.Ordinal);
        Assert.Contains($"vendor は{Readiness.Rules.ChangeRules.MaxVendorLength}文字まで", ja, StringComparison.Ordinal);
        Assert.Contains($"vendor takes at most {Readiness.Rules.ChangeRules.MaxVendorLength} characters", en, StringComparison.Ordinal);
        Assert.DoesNotContain("報告を複数に分けて", ja, StringComparison.Ordinal);
        Assert.DoesNotContain("split the report into", en, StringComparison.Ordinal);
        Assert.DoesNotContain("UTF-8", ja, StringComparison.Ordinal);
        Assert.Equal(before, (await host.GetMunicipality(M)).Version);
    }

    /// <summary>
    /// Failed before: an official import too large was told to save it as .xlsx even when it was an .xlsx. An .xlsx is
    /// told to split the table by prefecture; a CSV to save as .xlsx or split; whether its name is read from the
    /// form (a file one byte over) or from the start of a body too large to read (declared 40 MB).
    /// </summary>
    [Fact]
    public async Task An_official_import_too_large_is_advised_by_the_kind_of_file_sent()
    {
        var limitMb = Readiness.Web.Imports.OfficialWorkbook.MaxFileBytes / 1024 / 1024;
        var national = host.Token(Role.National);
        using var client = host.Client(national);
        var over = new byte[Readiness.Web.Imports.OfficialWorkbook.MaxFileBytes + 1];
        foreach (var (name, xlsx) in new[] { ("R7_official.xlsx", true), ("R7_official.csv", false) })
        {
            using var response = await ApiHost.PostImportAsync(client, over, name);
            var (ja, en) = await TooLargeAsync(response, "file", "file_too_large");
            Assert.Contains($"上限 {limitMb} MB", ja, StringComparison.Ordinal);
            Assert.Contains("都道府県ごと", ja, StringComparison.Ordinal);
            Assert.Equal(!xlsx, ja.Contains(".xlsx で保存", StringComparison.Ordinal));
            Assert.Equal(!xlsx, en.Contains("as .xlsx", StringComparison.Ordinal));

            var raw = await RawPostAsync("/api/v1/imports", 40L * 1024 * 1024, [("Authorization", $"Bearer {national}")], name);
            Assert.True(raw.Status == 413, $"{name}: {raw.Status} {raw.Body}");
            Assert.Contains("都道府県ごと", raw.Body, StringComparison.Ordinal);
            Assert.Equal(!xlsx, raw.Body.Contains(".xlsx で保存", StringComparison.Ordinal));
        }
    }

    /// <summary>Failed before: a scenario and the sign-in were told to split a report they do not have.</summary>
    [Theory]
    [InlineData("/api/v1/scenarios", "name")]
    [InlineData("/auth/local/signin", "token")]
    public async Task A_small_json_document_is_told_its_own_limit_and_not_to_split(string path, string member)
    {
        using var client = path.StartsWith("/api/", StringComparison.Ordinal) ? host.National() : host.Client();
        using var request = ApiHost.Request(HttpMethod.Post, path, $$"""{"{{member}}":"{{new string('x', 20 * 1024)}}"}""");
        using var response = await client.SendAsync(request);
        var (ja, en) = await TooLargeAsync(response, "body", "too_large");
        Assert.StartsWith("本文が大きすぎます（上限 16 KiB）。", ja, StringComparison.Ordinal);
        Assert.Contains("16 KiB", en, StringComparison.Ordinal);
        Assert.DoesNotContain("分けて", ja, StringComparison.Ordinal);
        Assert.DoesNotContain("split", en, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Failed before: only 「ファイルが大きすぎます（上限 2 MB）。」, nothing on how a template fits.</summary>
    [Fact]
    public async Task A_template_upload_is_told_its_own_limit_and_how_a_template_stays_small()
    {
        using var client = host.Municipality(M, "limits@city.bunkyo");
        var file = new byte[(2 * 1024 * 1024) + 1];
        foreach (var step in new[] { "preview", "apply" })
        {
            using var response = await TemplateRequests.PostAsync(client, M, step, file);
            var (ja, en) = await TooLargeAsync(response, "file", "file_too_large");
            Assert.StartsWith("ファイルが大きすぎます（上限 2 MB）。報告テンプレートは1団体分", ja, StringComparison.Ordinal);
            Assert.Contains("template.xlsx", en, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// Failed before: a PUT of plain text (ASCII, or Japanese already as UTF-8) was told not to \u-escape Japanese, which
    /// it never did. The advice is to shorten the text; the escape advice only for a body that holds escapes.
    /// </summary>
    [Theory]
    [InlineData("ascii")]
    [InlineData("utf8")]
    public async Task One_system_sent_without_escapes_is_not_told_about_escapes(string text)
    {
        using var client = host.Municipality(M, "limits@city.bunkyo");
        var before = (await host.GetMunicipality(M)).Version;
        var value = text == "ascii" ? new string('x', 300 * 1024) : string.Concat(Enumerable.Repeat("テスト", 300 * 1024 / 9));
        using var response = await client.SendAsync(ApiHost.Request(HttpMethod.Put, $"/api/v1/municipalities/{M}/systems/koseki", $$"""{"vendor":"{{value}}"}""", anyVersion: true));
        var (ja, en) = await TooLargeAsync(response, "body", "too_large");
        Assert.StartsWith("本文が大きすぎます（上限 256 KiB）。1つの業務・項目の本文です。文字列を短くしてください", ja, StringComparison.Ordinal);
        Assert.DoesNotContain("エスケープ", ja, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u", ja, StringComparison.Ordinal);
        Assert.DoesNotContain("escaped", en, StringComparison.Ordinal);
        Assert.Contains("shorten its text", en, StringComparison.Ordinal);
        Assert.Equal(before, (await host.GetMunicipality(M)).Version);
    }

    /// <summary>
    /// Failed before: a 34 MB .xlsx sent to the template import was told to download its template again and enter only
    /// values (the API), or that the form had expired (the dashboard's form, whose body is over the server's cap so its
    /// token is never read). Both now say it is too large for a template, how large it was, and that official data is
    /// imported at /imports; the form answers 413, not 400.
    /// </summary>
    [Fact]
    public async Task A_file_far_larger_than_any_template_is_told_where_official_data_goes()
    {
        const long size = 34L * 1024 * 1024;
        var bearer = host.Token(Role.Municipality, M, "limits@city.bunkyo");
        var api = await RawPostAsync($"/api/v1/municipalities/{M}/template/preview", size, [("Authorization", $"Bearer {bearer}")]);
        Assert.True(api.Status == 413, $"API: {api.Status} {api.Body}");
        var cookies = await SessionCookiesAsync(bearer);
        var form = await RawPostAsync($"/municipalities/{M}/template", size, [("Cookie", cookies), ("Accept", "text/html")]);
        Assert.True(form.Status == 413, $"form: {form.Status} {form.Body}");
        foreach (var body in new[] { api.Body, WebUtility.HtmlDecode(form.Body) })
        {
            Assert.Contains("ファイルが大きすぎます（上限 2 MB、送られたのは約 34 MB）", body, StringComparison.Ordinal);
            Assert.Contains("/imports", body, StringComparison.Ordinal);
            Assert.Contains("about 34 MB was sent", body, StringComparison.Ordinal);
            Assert.DoesNotContain("有効期限", body, StringComparison.Ordinal);
        }
    }

    /// <summary>The cookies of a browser session signed in with <paramref name="token"/>, as one Cookie header.</summary>
    private async Task<string> SessionCookiesAsync(string token)
    {
        using var client = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = host.BaseAddress };
        using var signIn = await client.PostAsync("/auth/local/signin", new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = token, ["returnUrl"] = "/" }));
        return string.Join("; ", signIn.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
    }

    /// <summary>
    /// A multipart POST declaring <paramref name="contentLength"/> bytes of which only the first 64 KiB are sent, over a
    /// plain socket: the server answers a body over its cap without reading it and closes, which HttpClient reports as a
    /// broken pipe instead of the answer a browser shows.
    /// </summary>
    private async Task<(int Status, string Body)> RawPostAsync(string path, long contentLength, (string Name, string Value)[] headers, string fileName = "R7_official.xlsx")
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(host.BaseAddress.Host, host.BaseAddress.Port);
        var stream = tcp.GetStream();
        var head = new StringBuilder($"POST {path} HTTP/1.1\r\nHost: {host.BaseAddress.Authority}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: {contentLength}\r\nConnection: close\r\n");
        foreach (var (name, value) in headers)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()));
        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{fileName}\"\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n"));
            await stream.WriteAsync(new byte[64 * 1024]);
        }
        catch (IOException)
        {
            // The server may answer and close before the rest is written.
        }

        using var received = new MemoryStream();
        try
        {
            await stream.CopyToAsync(received).WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (IOException)
        {
            // A reset after the answer: what was received is read below.
        }

        var text = received.ToArray();
        var end = text.AsSpan().IndexOf("\r\n\r\n"u8);
        Assert.True(end > 0, $"no answer: {Encoding.UTF8.GetString(text)}");
        var header = Encoding.ASCII.GetString(text, 0, end);
        var status = int.Parse(header.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var body = text.AsSpan(end + 4);
        if (!header.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            return (status, Encoding.UTF8.GetString(body));
        }

        using var content = new MemoryStream();
        while (body.IndexOf("\r\n"u8) is var line and > 0
            && int.Parse(Encoding.ASCII.GetString(body[..line]), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture) is var length and > 0
            && body.Length >= line + 2 + length)
        {
            content.Write(body.Slice(line + 2, length));
            body = body[(line + 2 + length)..].TrimStart("\r\n"u8);
        }

        return (status, Encoding.UTF8.GetString(content.ToArray()));
    }

    /// <summary>A body HttpClient cannot measure, so it is sent chunked, 16 KiB a read (a chunk each, as a client streams it).</summary>
    private sealed class UnseekableStream(byte[] bytes) : Stream
    {
        private int position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, 16 * 1024), bytes.Length - position);
            Array.Copy(bytes, position, buffer, offset, n);
            position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
