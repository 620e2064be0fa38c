using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// JSON bodies are UTF-8 (RFC 8259 §8.1): another charset is a 415 naming the encoding, on every endpoint that takes
/// JSON, never a misleading "vendor has the wrong type or format"; a type the endpoint does not take is a 415 too.
/// </summary>
public sealed class CharsetTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string Code = ApiHost.Osaka;

    static CharsetTests() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    private static readonly string Vendor = """{"vendor":"株式会社サンプル"}""";

    private async Task<HttpResponseMessage> Send(HttpMethod method, string path, byte[] body, string contentType, string? idempotencyKey = null, Role role = Role.Municipality)
    {
        var (_, version) = await host.GetMunicipality(Code);
        using var client = role == Role.Municipality ? host.Municipality(Code) : host.Client(host.Token(role, role == Role.Prefecture ? "27" : null, subject: "charset-" + role));
        using var request = new HttpRequestMessage(method, path) { Content = new ByteArrayContent(body) };
        Assert.True(request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType));
        request.Headers.TryAddWithoutValidation("If-Match", $"\"{version}\"");
        request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey ?? "charset-" + Guid.NewGuid().ToString("N"));
        return await client.SendAsync(request);
    }

    [Theory]
    [InlineData("shift_jis")]
    [InlineData("Shift_JIS")]
    [InlineData("\"shift_jis\"")]
    [InlineData("euc-jp")]
    [InlineData("iso-2022-jp")]
    [InlineData("utf-16")]
    public async Task A_body_in_another_charset_is_415_naming_the_encoding_and_changes_nothing(string charset)
    {
        var encoding = Encoding.GetEncoding(charset.Trim('"'));
        var (before, version) = await host.GetMunicipality(Code);
        using var response = await Send(HttpMethod.Put, $"/api/v1/municipalities/{Code}/systems/koseki", encoding.GetBytes(Vendor), $"application/json; charset={charset}");
        var problem = await ApiHost.AssertProblem(response, HttpStatusCode.UnsupportedMediaType, "Content-Type");
        var error = problem.GetProperty("errors")[0];
        Assert.Equal("unsupported_charset", error.GetProperty("code").GetString());
        Assert.Contains(charset.Trim('"'), error.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
        Assert.Contains("UTF-8", error.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
        Assert.Contains("UTF-8", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("vendor", problem.GetRawText(), StringComparison.Ordinal);
        var (after, versionAfter) = await host.GetMunicipality(Code);
        Assert.Equal(version, versionAfter);
        Assert.Equal(before.GetProperty("systems").GetRawText(), after.GetProperty("systems").GetRawText());
    }

    /// <summary>
    /// A Content-Type parameter given twice is 400 naming Content-Type (RFC 6838 §4.3), never one of them taken: before,
    /// <c>charset=utf-8; charset=latin1</c> was read as UTF-8 and <c>charset=latin1; charset=utf-8</c> refused as Latin-1.
    /// </summary>
    [Theory]
    [InlineData("PUT", "application/json; charset=utf-8; charset=latin1")]
    [InlineData("PUT", "application/json; charset=utf-8; charset=utf-8")]
    [InlineData("PUT", "application/json; Charset=utf-8; CHARSET=\"utf-8\"")]
    [InlineData("PATCH", "application/merge-patch+json; charset=utf-8; charset=shift_jis")]
    [InlineData("POST", "application/json; charset=utf-8; charset=latin1")]
    public async Task A_content_type_parameter_given_twice_is_400_naming_content_type_and_changes_nothing(string method, string contentType)
    {
        var (before, version) = await host.GetMunicipality(Code);
        var path = method == "POST" ? $"/api/v1/municipalities/{Code}/reports" : $"/api/v1/municipalities/{Code}/systems/koseki";
        var body = method == "POST" ? """{"systems":[{"businessId":"koseki","vendor":"株式会社サンプル"}]}""" : Vendor;
        using var client = host.Municipality(Code);
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        Assert.True(request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType));
        request.Headers.TryAddWithoutValidation("If-Match", $"\"{version}\"");
        request.Headers.TryAddWithoutValidation("Idempotency-Key", "charset-" + Guid.NewGuid().ToString("N"));
        using var response = await client.SendAsync(request);
        var problem = await ApiHost.AssertProblem(response, HttpStatusCode.BadRequest, "Content-Type");
        Assert.Equal("duplicate_parameter", problem.GetProperty("errors")[0].GetProperty("code").GetString());
        var (after, versionAfter) = await host.GetMunicipality(Code);
        Assert.Equal(version, versionAfter);
        Assert.Equal(before.GetProperty("systems").GetRawText(), after.GetProperty("systems").GetRawText());
    }

    [Fact]
    public async Task A_multipart_boundary_given_twice_and_a_sign_in_charset_given_twice_are_400_naming_content_type()
    {
        using var client = host.Municipality(Code);
        using var upload = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/municipalities/{Code}/template/preview")
        {
            Content = new ByteArrayContent(Encoding.ASCII.GetBytes("--a\r\nContent-Disposition: form-data; name=\"file\"; filename=\"t.xlsx\"\r\n\r\nx\r\n--a--\r\n")),
        };
        Assert.True(upload.Content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=a; boundary=b"));
        using var uploaded = await client.SendAsync(upload);
        await ApiHost.AssertProblem(uploaded, HttpStatusCode.BadRequest, "Content-Type");

        using var anonymous = host.Client();
        using var signIn = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"token":"x"}"""));
        Assert.True(signIn.Headers.TryAddWithoutValidation("Content-Type", "application/json; charset=utf-8; charset=latin1"));
        using var signedIn = await anonymous.PostAsync("/auth/local/signin", signIn);
        await ApiHost.AssertProblem(signedIn, HttpStatusCode.BadRequest, "Content-Type");
    }

    /// <summary>
    /// The same on the pages' forms (sign-in, unsubscribe) and on the token endpoint (in OAuth's error format): they were
    /// outside the rule (the sign-in form answered its antiforgery refusal, the token endpoint whatever OpenIddict made of it).
    /// </summary>
    [Theory]
    [InlineData("/account/signin", "; charset")]
    [InlineData("/account/signin", "; charset=\"utf-8")]
    [InlineData("/unsubscribe?token=forged.x", "; charset=")]
    [InlineData("/connect/token", "; charset")]
    [InlineData("/connect/token", "; charset=utf-8; charset=latin1")]
    public async Task A_malformed_content_type_parameter_on_a_form_or_the_token_endpoint_is_400(string path, string parameter)
    {
        using var anonymous = host.Client();
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes("grant_type=client_credentials&client_id=rc_x&client_secret=y&email=a%40b.jp&password=x"));
        Assert.True(content.Headers.TryAddWithoutValidation("Content-Type", "application/x-www-form-urlencoded" + parameter));
        using var response = await anonymous.PostAsync(path, content);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{path}: {(int)response.StatusCode} {body}");
        var json = JsonDocument.Parse(body).RootElement;
        if (path == "/connect/token")
        {
            Assert.Equal("invalid_request", json.GetProperty("error").GetString());
            Assert.Contains("Content-Type", json.GetProperty("error_description").GetString(), StringComparison.Ordinal);
        }
        else
        {
            var error = json.GetProperty("errors")[0];
            Assert.Equal(("Content-Type", "malformed_parameter"), (error.GetProperty("field").GetString(), error.GetProperty("code").GetString()));
        }
    }

    /// <summary>
    /// A malformed Content-Type parameter (RFC 9110 §8.3.1: parameter = token "=" ( token / quoted-string )) is 400
    /// malformed_parameter naming Content-Type on a JSON write, a CSV import and an .xlsx template upload, and changes
    /// nothing: before, <c>; charset</c> and <c>charset="utf-8</c> were taken (a JSON write saved), the uploads went on.
    /// </summary>
    [Theory]
    [InlineData("json", "; charset")]
    [InlineData("json", "; charset=")]
    [InlineData("json", "; charset=\"utf-8")]
    [InlineData("json", "; char set=utf-8")]
    [InlineData("json", "; charset=utf 8")]
    [InlineData("json", "; charset = utf-8")]
    [InlineData("json", "; =utf-8")]
    [InlineData("json", ";; charset=utf-8")]
    [InlineData("csv", "; charset")]
    [InlineData("csv", "; charset=")]
    [InlineData("csv", "; charset=\"utf-8")]
    [InlineData("csv", "; char set=utf-8")]
    [InlineData("csv", "; charset=utf 8")]
    [InlineData("xlsx", "; charset")]
    [InlineData("xlsx", "; charset=")]
    [InlineData("xlsx", "; charset=\"utf-8")]
    [InlineData("xlsx", "; char set=utf-8")]
    [InlineData("xlsx", "; charset=utf 8")]
    [InlineData("xlsx", ";;")]
    public async Task A_malformed_content_type_parameter_is_400_naming_content_type_and_changes_nothing(string route, string parameter)
    {
        var (before, version) = await host.GetMunicipality(Code);
        using var national = host.National();
        var importsBefore = await national.GetStringAsync("/api/v1/imports");
        using var client = route == "csv" ? host.National() : host.Municipality(Code);
        HttpContent content;
        string path;
        if (route == "json")
        {
            path = $"/api/v1/municipalities/{Code}/systems/koseki";
            content = new ByteArrayContent(Encoding.UTF8.GetBytes(Vendor));
            Assert.True(content.Headers.TryAddWithoutValidation("Content-Type", "application/json" + parameter));
        }
        else
        {
            path = route == "csv" ? "/api/v1/imports" : $"/api/v1/municipalities/{Code}/template/apply";
            var file = route == "csv"
                ? Encoding.UTF8.GetBytes("都道府県名,団体名,住民基本台帳\r\n大阪府,大阪市,100%\r\n")
                : await client.GetByteArrayAsync($"/api/v1/municipalities/{Code}/template.xlsx");
            var multipart = new MultipartFormDataContent("malformed-boundary");
            multipart.Add(new ByteArrayContent(file), "file", route == "csv" ? "progress.csv" : "template.xlsx");
            var bytes = await multipart.ReadAsByteArrayAsync();
            content = new ByteArrayContent(bytes);
            Assert.True(content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=malformed-boundary" + parameter));
        }

        using var request = new HttpRequestMessage(route == "json" ? HttpMethod.Put : HttpMethod.Post, path) { Content = content };
        request.Headers.TryAddWithoutValidation("If-Match", $"\"{version}\"");
        request.Headers.TryAddWithoutValidation("Idempotency-Key", "charset-" + Guid.NewGuid().ToString("N"));
        using var response = await client.SendAsync(request);
        var problem = await ApiHost.AssertProblem(response, HttpStatusCode.BadRequest, "Content-Type");
        var error = problem.GetProperty("errors")[0];
        Assert.Equal("malformed_parameter", error.GetProperty("code").GetString());
        Assert.Contains("Content-Type", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        Assert.Contains("malformed", error.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
        var (after, versionAfter) = await host.GetMunicipality(Code);
        Assert.Equal(version, versionAfter);
        Assert.Equal(before.GetProperty("systems").GetRawText(), after.GetProperty("systems").GetRawText());
        Assert.Equal(importsBefore, await national.GetStringAsync("/api/v1/imports"));
    }

    /// <summary>
    /// A malformed Accept is disregarded (RFC 9110 §12.5.1 lets a server ignore it): the representation, a CSV download
    /// and a problem answer are as without it, never a 5xx. Documents the decision (this passed before the change).
    /// </summary>
    [Theory]
    [InlineData("application/json; q")]
    [InlineData("application/json; charset=\"utf-8")]
    [InlineData("application/json;; q=0.5")]
    [InlineData("text/csv; q=abc, */*; char set=x")]
    [InlineData("/; ,,;")]
    public async Task A_malformed_accept_is_disregarded_never_a_5xx(string accept)
    {
        using var client = host.Municipality(Code);
        foreach (var (path, status) in new[] { ($"/api/v1/municipalities/{Code}", HttpStatusCode.OK), ($"/api/v1/municipalities/{Code}/history.csv", HttpStatusCode.OK), ("/api/v1/no-such-thing", HttpStatusCode.NotFound) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            Assert.True(request.Headers.TryAddWithoutValidation("Accept", accept));
            using var response = await client.SendAsync(request);
            Assert.True(response.StatusCode == status, $"{path} with Accept '{accept}': {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    [Theory]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/json; charset=UTF-8")]
    [InlineData("application/json; charset=\"utf-8\"")]
    [InlineData("application/json")]
    [InlineData("Application/JSON")]
    [InlineData("application/json;")]
    [InlineData("application/json; charset=\"utf\\-8\"")]
    public async Task Utf8_and_no_charset_are_accepted(string contentType)
    {
        using var response = await Send(HttpMethod.Put, $"/api/v1/municipalities/{Code}/systems/koseki", Encoding.UTF8.GetBytes(Vendor), contentType);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>
    /// A vendor escaping an unpaired surrogate (valid JSON, no text) is 400 invalid_character naming the field and the
    /// escape, ja/en, and changes nothing; it was 400 wrong_type ("the wrong type or format"), and a member name holding
    /// one was a 500.
    /// </summary>
    [Theory]
    [InlineData("""{"vendor":"NEC\ud800"}""", "vendor")]
    [InlineData("""{"vendor":"NEC","x\udc00":1}""", "body")]
    public async Task An_unpaired_surrogate_is_400_invalid_character_naming_the_field(string json, string field)
    {
        var (_, before) = await host.GetMunicipality(Code);
        using var response = await Send(HttpMethod.Put, $"/api/v1/municipalities/{Code}/systems/koseki", Encoding.UTF8.GetBytes(json), "application/json");
        var problem = await ApiHost.AssertProblem(response, HttpStatusCode.BadRequest, field);
        var error = problem.GetProperty("errors")[0];
        Assert.Equal("invalid_character", error.GetProperty("code").GetString());
        Assert.Contains("\\u", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        Assert.Contains("invalid character", error.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
        var (_, after) = await host.GetMunicipality(Code);
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task Shift_jis_bytes_labelled_as_json_without_charset_are_400_invalid_utf8_not_a_wrong_vendor()
    {
        using var response = await Send(HttpMethod.Put, $"/api/v1/municipalities/{Code}/systems/koseki", Encoding.GetEncoding("shift_jis").GetBytes(Vendor), "application/json");
        var problem = await ApiHost.AssertProblem(response, HttpStatusCode.BadRequest, "vendor"); // the member holding the bytes
        Assert.Equal("invalid_utf8", problem.GetProperty("errors")[0].GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("text/json")]
    [InlineData("application/xml")]
    [InlineData("multipart/form-data; boundary=x")]
    public async Task A_media_type_the_endpoint_does_not_take_is_415_naming_it(string contentType)
    {
        using var response = await Send(HttpMethod.Put, $"/api/v1/municipalities/{Code}/security/SEC-1-01", Encoding.UTF8.GetBytes("""{"status":"implemented"}"""), contentType);
        var problem = await ApiHost.AssertProblem(response, HttpStatusCode.UnsupportedMediaType, "Content-Type");
        Assert.Contains(contentType.Split(';')[0], problem.GetProperty("errors")[0].GetProperty("messageEn").GetString(), StringComparison.Ordinal);
    }

    /// <summary>Every endpoint the application maps that accepts JSON, with its route filled in: none is missed.</summary>
    private List<(string Method, string Path, string MediaType)> JsonEndpoints()
    {
        var endpoints = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>();
        var found = new List<(string, string, string)>();
        foreach (var endpoint in endpoints)
        {
            var accepts = endpoint.Metadata.GetMetadata<IAcceptsMetadata>();
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [];
            var json = accepts?.ContentTypes.FirstOrDefault(t => t == "application/json" || t.EndsWith("+json", StringComparison.Ordinal));
            if (json is null)
            {
                continue;
            }

            // Real values (a malformed one is refused as such first): this class's municipality, Osaka's prefecture.
            var path = RouteValues.Fill("/" + endpoint.RoutePattern.RawText!.TrimStart('/')
                .Replace("{code}", Code, StringComparison.Ordinal)
                .Replace("{prefCode}", "27", StringComparison.Ordinal));
            found.AddRange(methods.Select(m => (m, path, json)));
        }

        return found;
    }

    [Fact]
    public async Task Every_json_endpoint_refuses_shift_jis_with_415()
    {
        var endpoints = JsonEndpoints();
        Assert.True(endpoints.Count >= 5, string.Join(", ", endpoints));
        var sjis = Encoding.GetEncoding("shift_jis").GetBytes(Vendor);
        foreach (var (method, path, mediaType) in endpoints)
        {
            // As a caller the endpoint admits (scenarios: national staff; webhooks: administrators; a prefecture's own systems: its staff).
            var response = await Send(new HttpMethod(method), path, sjis, $"{mediaType}; charset=shift_jis");
            foreach (var role in new[] { Role.National, Role.Admin, Role.Prefecture })
            {
                if (response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden))
                {
                    break;
                }

                response.Dispose();
                response = await Send(new HttpMethod(method), path, sjis, $"{mediaType}; charset=shift_jis", role: role);
            }

            using var _ = response;
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.UnsupportedMediaType, $"{method} {path}: {(int)response.StatusCode} {text}");
            Assert.Contains("shift_jis", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_sign_in_endpoint_refuses_shift_jis_json_too()
    {
        using var client = host.Client();
        using var content = new ByteArrayContent(Encoding.GetEncoding("shift_jis").GetBytes("""{"token":"トークン"}"""));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=shift_jis");
        using var response = await client.PostAsync("/auth/local/signin", content);
        await ApiHost.AssertProblem(response, HttpStatusCode.UnsupportedMediaType, "Content-Type");
    }
}
