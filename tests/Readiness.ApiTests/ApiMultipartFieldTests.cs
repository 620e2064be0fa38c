using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The multipart endpoints of the API (every one with an upload limit: the official imports, the template's preview and
/// apply) under the rule of every form field and of a JSON body (a breaker's findings, round 47): a text field whose
/// bytes are not UTF-8 is 400 naming it (it was taken as absent), a field sent twice is 400 naming it (it was joined),
/// a field the endpoint does not take is 400 naming it (it was ignored), and a form past a limit says which limit
/// (how many fields, how long a field), not that the file is over its 2 MB.
/// </summary>
public sealed class ApiMultipartFieldTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string M = ApiHost.Chuo;

    /// <summary>The /api endpoints that take a multipart upload, read from the host (a new one is walked without being listed).</summary>
    private List<string> UploadEndpoints()
    {
        var found = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api", StringComparison.OrdinalIgnoreCase) && e.Metadata.GetMetadata<Readiness.Web.Imports.UploadLimit>() is not null)
            .Select(e => e.RoutePattern.RawText!.TrimEnd('/')).Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.Contains("/api/v1/imports", found);
        Assert.Contains("/api/v1/municipalities/{code}/template/apply", found);
        Assert.Contains("/api/v1/municipalities/{code}/template/preview", found);
        return found;
    }

    private HttpClient ClientFor(string pattern) => pattern.StartsWith("/api/v1/imports", StringComparison.Ordinal) ? host.National() : host.Municipality(M, "multipart.fields@city.chuo.lg.jp");

    private static string PathOf(string pattern) => pattern.Replace("{code}", M, StringComparison.Ordinal);

    private static MultipartFormDataContent WithFile(params HttpContent[] parts)
    {
        var content = new MultipartFormDataContent();
        foreach (var part in parts)
        {
            content.Add(part);
        }

        content.Add(new ByteArrayContent([0x50, 0x4B, 0x03, 0x04, 1, 2, 3]), "file", "a.xlsx");
        return content;
    }

    private static ByteArrayContent Text(string name, byte[] bytes)
    {
        var part = new ByteArrayContent(bytes);
        part.Headers.ContentDisposition = new ContentDispositionHeaderValue("form-data") { Name = $"\"{name}\"" };
        return part;
    }

    private static ByteArrayContent Text(string name, string value) => Text(name, Encoding.UTF8.GetBytes(value));

    private async Task<List<string>> RefusalsAsync(Func<MultipartFormDataContent> body, HttpStatusCode status, string field, string code, Func<string, bool>? alsoHolds = null)
    {
        var failures = new List<string>();
        foreach (var pattern in UploadEndpoints())
        {
            using var client = ClientFor(pattern);
            using var content = body();
            using var response = await client.PostAsync(new Uri(PathOf(pattern), UriKind.Relative), content);
            var text = await response.Content.ReadAsStringAsync();
            var error = response.Content.Headers.ContentType?.MediaType == "application/problem+json"
                ? JsonDocument.Parse(text).RootElement.GetProperty("errors")[0] : default;
            if (response.StatusCode != status || error.ValueKind != JsonValueKind.Object || error.GetProperty("field").GetString() != field
                || error.GetProperty("code").GetString() != code || (field != "body" && !error.GetProperty("messageJa").GetString()!.Contains(field, StringComparison.Ordinal))
                || (alsoHolds is not null && !alsoHolds(text)))
            {
                failures.Add($"{pattern}: {(int)response.StatusCode} {text[..Math.Min(300, text.Length)]}");
            }
        }

        return failures;
    }

    [Fact]
    public async Task A_text_field_that_is_not_utf8_is_refused_naming_it_on_every_upload()
    {
        var failures = await RefusalsAsync(() => WithFile(Text("kind", [0x6D, 0x69, 0x63, 0xFF, 0xFE])), HttpStatusCode.BadRequest, "kind", "invalid_utf8");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task A_text_field_sent_twice_is_refused_naming_it_on_every_upload()
    {
        var failures = await RefusalsAsync(() => WithFile(Text("kind", "mic_progress"), Text("kind", "designation_list")), HttpStatusCode.BadRequest, "kind", "repeated_field");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task A_field_the_upload_does_not_take_is_refused_naming_it_with_those_it_takes()
    {
        var failures = await RefusalsAsync(() => WithFile(Text("comment", "x")), HttpStatusCode.BadRequest, "comment", "unknown_field",
            text => text.Contains("file", StringComparison.Ordinal));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Many_small_fields_are_told_the_count_limit_not_the_file_limit()
    {
        var failures = await RefusalsAsync(() => WithFile([.. Enumerable.Range(0, 1100).Select(i => (HttpContent)Text($"f{i}", "x"))]),
            HttpStatusCode.RequestEntityTooLarge, "body", "too_many_fields", text => text.Contains("1024", StringComparison.Ordinal) && !text.Contains("MB", StringComparison.Ordinal));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task A_field_over_its_length_is_told_the_length_limit_naming_it()
    {
        var failures = await RefusalsAsync(() => WithFile(Text("kind", new string('a', 300 * 1024))),
            HttpStatusCode.RequestEntityTooLarge, "kind", "field_too_long", text => text.Contains("256 KiB", StringComparison.Ordinal) && !text.Contains("2 MB", StringComparison.Ordinal));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task The_import_still_takes_its_kind_field()
    {
        using var client = host.National();
        using var content = WithFile(Text("kind", "mic_progress"));
        using var response = await client.PostAsync(new Uri("/api/v1/imports", UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();

        // The file is no workbook: refused for the file, not for its fields.
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("file", JsonDocument.Parse(text).RootElement.GetProperty("errors")[0].GetProperty("field").GetString());
    }
}
