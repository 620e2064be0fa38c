using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A file name that is not UTF-8 is refused the one way on every upload of the API, however the part names it: a plain
/// <c>filename="…"</c> in Shift_JIS, and an RFC 5987 <c>filename*=</c> in Shift_JIS or naming UTF-8 with bytes that are not
/// (a breaker's finding, round 49: the <c>filename*</c> ones were refused as <c>invalid_utf8</c> of a text field "file", the
/// part read as no file at all). Each is 400 <c>invalid_file_name</c> naming "file", with the same words.
/// </summary>
public sealed class UploadFileNameEncodingTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string M = ApiHost.Chuo;

    static UploadFileNameEncodingTests() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    public static TheoryData<string> Dispositions() => new()
    {
        "filename=\"SJIS\"", // the name's bytes in Shift_JIS, written below
        "filename*=Shift_JIS''%93%8C%8B%9E.xlsx",
        "filename*=UTF-8''%93%8C%8B%9E.xlsx",
        "filename=\"tokyo.xlsx\"; filename*=Shift_JIS''%93%8C%8B%9E.xlsx",
        "filename*=utf-8''%E6%9D%B1%FF.xlsx",
    };

    [Theory]
    [MemberData(nameof(Dispositions))]
    public async Task A_file_name_that_is_not_utf8_is_refused_as_an_invalid_file_name_on_every_upload(string disposition)
    {
        await host.WaitUntilReadyAsync();
        var uploads = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api", StringComparison.OrdinalIgnoreCase) && e.Metadata.GetMetadata<Readiness.Web.Imports.UploadLimit>() is not null)
            .Select(e => e.RoutePattern.RawText!.TrimEnd('/')).Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.Contains("/api/v1/imports", uploads);
        var failures = new List<string>();
        var words = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pattern in uploads)
        {
            using var client = pattern.StartsWith("/api/v1/imports", StringComparison.Ordinal) ? host.National() : host.Municipality(M, "file-name@city.chuo.lg.jp");
            using var content = Body(disposition);
            using var response = await client.PostAsync(new Uri(pattern.Replace("{code}", M, StringComparison.Ordinal), UriKind.Relative), content);
            var text = await response.Content.ReadAsStringAsync();
            var error = response.Content.Headers.ContentType?.MediaType == "application/problem+json" ? JsonDocument.Parse(text).RootElement.GetProperty("errors")[0] : default;
            if (response.StatusCode != HttpStatusCode.BadRequest || error.ValueKind != JsonValueKind.Object || error.GetProperty("field").GetString() != "file"
                || error.GetProperty("code").GetString() != "invalid_file_name" || !error.GetProperty("messageJa").GetString()!.Contains("Shift_JIS", StringComparison.Ordinal))
            {
                failures.Add($"{pattern}: {(int)response.StatusCode} {text[..Math.Min(300, text.Length)]}");
                continue;
            }

            words.Add(error.GetProperty("messageJa").GetString() + " / " + error.GetProperty("messageEn").GetString());
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Single(words);
    }

    /// <summary>A name in UTF-8 or ISO-8859-1 (the charsets RFC 8187 requires) passes the name's check: the few bytes sent are then no workbook.</summary>
    [Theory]
    [InlineData("filename*=UTF-8''%E6%9D%B1%E4%BA%AC.xlsx")]
    [InlineData("filename*=iso-8859-1''caf%E9.xlsx")]
    public async Task A_file_name_in_utf8_or_latin1_is_taken(string disposition)
    {
        await host.WaitUntilReadyAsync();
        using var client = host.National();
        using var content = Body(disposition);
        using var response = await client.PostAsync(new Uri("/api/v1/imports", UriKind.Relative), content);
        var problem = await ApiHost.AssertProblem(response, HttpStatusCode.BadRequest, "file");
        Assert.Equal("not_a_workbook", problem.GetProperty("errors")[0].GetProperty("code").GetString());
    }

    /// <summary>A multipart body written byte by byte: one part "file" with <paramref name="disposition"/> and a few bytes.</summary>
    private static ByteArrayContent Body(string disposition)
    {
        const string Boundary = "readiness-file-name-boundary";
        using var body = new MemoryStream();
        body.Write(Encoding.ASCII.GetBytes($"--{Boundary}\r\nContent-Disposition: form-data; name=\"file\"; "));
        var parts = disposition.Split("SJIS");
        body.Write(Encoding.ASCII.GetBytes(parts[0]));
        if (parts.Length > 1)
        {
            body.Write(Encoding.GetEncoding(932).GetBytes("東京.xlsx"));
            body.Write(Encoding.ASCII.GetBytes(parts[1]));
        }

        body.Write(Encoding.ASCII.GetBytes("\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n"));
        body.Write([0x50, 0x4B, 0x03, 0x04, 1, 2, 3]);
        body.Write(Encoding.ASCII.GetBytes($"\r\n--{Boundary}--\r\n"));
        var content = new ByteArrayContent(body.ToArray());
        content.Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/form-data; boundary={Boundary}");
        return content;
    }
}
