using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A field sent twice and bytes that are not UTF-8, on every write, as the API already refuses a repeated query
/// parameter and a duplicate JSON member: every dashboard form post (URL-encoded and multipart) answers the 400 form
/// page naming the field, nothing changed; the form posts without an antiforgery token (sign-in) the same, as problem
/// details; every /api write that takes no body reads one it is sent as any other write reads its own.
/// </summary>
public sealed partial class RepeatedFormFieldTests(WarmApiHost host) : IClassFixture<WarmApiHost>
{
    /// <summary>
    /// Every form endpoint (<see cref="FormEndpoints"/>: systems, checklist, prefecture systems, scenarios, templates,
    /// imports, account, admin, invitations, API clients, notifications, webhooks, the pages that take their own form),
    /// posted a valid token and <c>phase=a&amp;Phase=b</c> URL-encoded and as multipart: the 400 form page naming
    /// "phase" in both languages. The kind found: the municipality system form took <c>designated=true&amp;designated=false</c>.
    /// </summary>
    [Fact]
    public async Task Every_form_endpoint_refuses_a_field_sent_twice_naming_it()
    {
        await host.WaitUntilReadyAsync();
        var forms = FormEndpoints.Patterns(host.Services);
        Assert.Contains("/municipalities/{code}/systems/{businessId}", forms);
        Assert.Contains("/prefectures/{prefCode}/systems/{businessId}", forms);

        var clients = new List<(HttpClient Client, string Token)>();
        foreach (var (token, page) in new[]
                 {
                     (host.Token(Readiness.Role.Admin), "/admin/users"), (host.Token(Readiness.Role.Municipality, ApiHost.Chiyoda, "repeated@" + ApiHost.Chiyoda), "/municipalities/" + ApiHost.Chiyoda),
                     (host.Token(Readiness.Role.Prefecture, "13"), "/prefectures/13"), (host.Token(Readiness.Role.National), "/"),
                 })
        {
            var client = await host.SignedInPagesAsync(token);
            clients.Add((client, await AntiforgeryAsync(client, page)));
        }

        var failures = new List<string>();
        foreach (var pattern in forms)
        {
            var path = RouteValues.Fill(pattern);
            foreach (var multipart in new[] { false, true })
            {
                var answers = new List<string>();
                var refused = false;
                foreach (var (client, token) in clients)
                {
                    using var response = await client.PostAsync(path, Repeated(token, multipart));
                    var html = await response.Content.ReadAsStringAsync();
                    answers.Add($"{(int)response.StatusCode}");
                    if (response.StatusCode == HttpStatusCode.BadRequest && html.Contains("phase: 同じ項目が2回以上送られています", StringComparison.Ordinal)
                        && html.Contains("phase: the field is sent more than once", StringComparison.Ordinal) && html.Contains("Nothing was changed", StringComparison.Ordinal))
                    {
                        refused = true;
                        break;
                    }
                }

                if (!refused)
                {
                    failures.Add($"{pattern} ({(multipart ? "multipart" : "URL-encoded")}): {string.Join(", ", answers)}");
                }
            }
        }

        foreach (var (client, _) in clients)
        {
            client.Dispose();
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {forms.Count * 2} form posts took a repeated field:\n{string.Join("\n", failures)}");
    }

    /// <summary>The breaker's case: the municipality's system form with designated twice is refused and the system is as it was.</summary>
    [Fact]
    public async Task The_system_form_with_designated_twice_changes_nothing()
    {
        await host.WaitUntilReadyAsync();
        var code = ApiHost.Chiyoda;
        using var api = host.Municipality(code);
        var system = $"/api/v1/municipalities/{code}/systems/child_allowance";
        var before = await TagAsync(api, system);
        using var pages = await host.SignedInPagesAsync(host.Token(Readiness.Role.Municipality, code, "designated-twice@" + code));
        var html = await (await pages.GetAsync("/municipalities/" + code)).Content.ReadAsStringAsync();
        var token = Token(html);
        var version = Regex.Match(html, "name=\"version\" value=\"([^\"]+)\"").Groups[1].Value;
        using var response = await pages.PostAsync($"/municipalities/{code}/systems/child_allowance", new StringContent(
            $"__RequestVerificationToken={Uri.EscapeDataString(token)}&version={version}&phase=in_production&designated=true&designated=false&requestId=form-{Guid.NewGuid():N}",
            Encoding.ASCII, "application/x-www-form-urlencoded"));
        var answer = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest && answer.Contains("designated: 同じ項目が2回以上", StringComparison.Ordinal), $"{(int)response.StatusCode} {answer[..Math.Min(300, answer.Length)]}");
        Assert.Equal(before, await TagAsync(api, system));
    }

    /// <summary>
    /// A multipart form's text field whose bytes are not UTF-8 (the form reader made them U+FFFD in silence; only
    /// URL-encoded forms were checked): the 400 form page naming it. A file part is never looked at, nor a part in its own charset.
    /// </summary>
    [Fact]
    public async Task A_multipart_text_field_that_is_not_utf8_is_400_naming_it()
    {
        await host.WaitUntilReadyAsync();
        using var stranger = new FormClient(host.BaseAddress);
        var (_, page) = await stranger.GetAsync("/signin");
        var token = Token(page);
        foreach (var (bad, field) in new[] { ("email", "email"), ("password", "password") })
        {
            using var content = new MultipartFormDataContent
            {
                { new StringContent(token), "__RequestVerificationToken" },
                { Part(bad == "email" ? [.. "nobody@example.jp"u8, 0xFF] : "nobody@example.jp"u8.ToArray()), "email" },
                { Part(bad == "password" ? [0xED, 0xA0, 0x80] : "x"u8.ToArray()), "password" },
                { new StringContent("/"), "returnUrl" },
            };
            using var response = await stranger.Http.PostAsync("/account/signin", content);
            var html = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest && html.Contains($"{field}: UTF-8", StringComparison.Ordinal)
                && html.Contains($"{field}: the value holds bytes that are not UTF-8", StringComparison.Ordinal), $"{field}: {(int)response.StatusCode} {html[..Math.Min(300, html.Length)]}");
        }

        // Shift_JIS declared on the part: decoded in that charset by the form reader, not refused here (the sign-in answers it).
        using var declared = new MultipartFormDataContent
        {
            { new StringContent(token), "__RequestVerificationToken" },
            { new StringContent("nobody@example.jp"), "email" },
            { new ByteArrayContent([0x82, 0xA0]) { Headers = { ContentType = MediaTypeHeaderValue.Parse("text/plain; charset=shift_jis") } }, "password" },
        };
        using var signIn = await stranger.Http.PostAsync("/account/signin", declared);
        Assert.DoesNotContain("UTF-8", await signIn.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    /// <summary>
    /// The form post that skips antiforgery (the token sign-in, /auth/local/signin, URL-encoded or multipart): a field
    /// sent twice is 400 repeated_field, one that is not UTF-8 400 invalid_utf8, naming it, as problem details; a
    /// browser's post (Accept text/html) gets the form page. Before, the first token was used and %FF was U+FFFD.
    /// </summary>
    [Fact]
    public async Task The_sign_in_without_antiforgery_refuses_a_repeated_or_not_utf8_field()
    {
        await host.WaitUntilReadyAsync();
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = host.BaseAddress };
        var token = host.Token(Readiness.Role.National);
        foreach (var (body, field, code) in new[]
                 {
                     ($"token={token}&token={token}&returnUrl=%2F", "token", "repeated_field"),
                     ($"token={token}&returnUrl=%2F&ReturnUrl=%2Fprefectures", "returnUrl", "repeated_field"),
                     ($"token={token}&returnUrl=%2F%FF", "returnUrl", "invalid_utf8"),
                 })
        {
            using var response = await http.PostAsync("/auth/local/signin", new StringContent(body, Encoding.ASCII, "application/x-www-form-urlencoded"));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest && NamesField(text, field, code), $"{body[..20]}…: {(int)response.StatusCode} {text}");
        }

        using var multipart = new MultipartFormDataContent { { new StringContent(token), "token" }, { new StringContent(token), "token" } };
        using var repeated = await http.PostAsync("/auth/local/signin", multipart);
        Assert.True(repeated.StatusCode == HttpStatusCode.BadRequest && NamesField(await repeated.Content.ReadAsStringAsync(), "token", "repeated_field"), $"{(int)repeated.StatusCode}");

        using var browser = new HttpRequestMessage(HttpMethod.Post, "/auth/local/signin")
        {
            Content = new StringContent($"token={token}&token=x", Encoding.ASCII, "application/x-www-form-urlencoded"),
            Headers = { { "Accept", "text/html,*/*;q=0.8" } },
        };
        using var page = await http.SendAsync(browser);
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.BadRequest && html.Contains("token: 同じ項目が2回以上", StringComparison.Ordinal), $"{(int)page.StatusCode} {html[..Math.Min(300, html.Length)]}");

        using var fine = await http.PostAsync("/auth/local/signin", new StringContent($"token={token}&returnUrl=%2F", Encoding.ASCII, "application/x-www-form-urlencoded"));
        Assert.True(fine.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.SeeOther, $"{(int)fine.StatusCode}");
    }

    /// <summary>
    /// The breaker's case: POST /api/v1/admin/backups with <c>{"a":1,"a":2}</c> took a backup. Every /api write that
    /// takes no body (no declared request body; read from the endpoint list, so a new one is walked unlisted) reads one
    /// it is sent as the others read theirs: a duplicate member 400 duplicate_property, not UTF-8 400 invalid_utf8,
    /// malformed 400, text/plain 415; none and <c>{}</c> go on.
    /// </summary>
    [Fact]
    public async Task Every_api_write_that_takes_no_body_refuses_one_it_cannot_read()
    {
        await host.WaitUntilReadyAsync();
        var writes = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/", StringComparison.Ordinal)
                && e.Metadata.GetMetadata<IAcceptsMetadata>() is null && e.Metadata.GetMetadata<Readiness.Web.Imports.UploadLimit>() is null)
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Where(m => m is "POST" or "PUT" or "PATCH" or "DELETE")
                .Select(m => (Method: m, Pattern: e.RoutePattern.RawText!)))
            .Distinct().OrderBy(w => w.Pattern, StringComparer.Ordinal).ToList();
        Assert.Contains(("POST", "/api/v1/admin/backups/"), writes);
        Assert.True(writes.Count >= 8, string.Join(", ", writes));

        var clients = new[]
        {
            host.Client(host.Token(Readiness.Role.Admin)), host.Municipality(ApiHost.Chiyoda), host.Client(host.Token(Readiness.Role.Prefecture, "13")),
            host.National(),
        };
        var failures = new List<string>();
        foreach (var (method, pattern) in writes)
        {
            var path = RouteValues.Fill(pattern);
            foreach (var (body, type, field, code) in new (byte[], string, string?, string)[]
                     {
                         ("""{"a":1,"a":2}"""u8.ToArray(), "application/json", "a", "duplicate_property"),
                         ((byte[])[(byte)'"', 0xFF, (byte)'"'], "application/json", "body", "invalid_utf8"),
                         ("""{"\ud800":1}"""u8.ToArray(), "application/json", null, "invalid_character"),
                         ("{"u8.ToArray(), "application/json", null, "invalid_json"),
                         ("a"u8.ToArray(), "text/plain", "Content-Type", "unsupported_media_type"),
                     })
            {
                var answers = new List<string>();
                var refused = false;
                foreach (var client in clients)
                {
                    using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new ByteArrayContent(body) };
                    request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(type);
                    request.Headers.TryAddWithoutValidation("If-Match", "*");
                    using var response = await client.SendAsync(request);
                    var text = await response.Content.ReadAsStringAsync();
                    answers.Add($"{(int)response.StatusCode}");
                    if (response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnsupportedMediaType && NamesField(text, field, code))
                    {
                        refused = true;
                        break;
                    }
                }

                if (!refused)
                {
                    failures.Add($"{method} {pattern} {code}: {string.Join(", ", answers)}");
                }
            }
        }

        foreach (var client in clients)
        {
            client.Dispose();
        }

        Assert.True(failures.Count == 0, $"{failures.Count} bodies taken:\n{string.Join("\n", failures)}");
    }

    /// <summary>No backup is taken for a body it cannot read; none or {} still takes one (or answers as before: not a body fault).</summary>
    [Fact]
    public async Task A_backup_is_not_taken_for_a_duplicate_member_and_is_for_no_body_or_an_empty_object()
    {
        await host.WaitUntilReadyAsync();
        using var admin = host.Client(host.Token(Readiness.Role.Admin));
        var before = await BackupCountAsync(admin);
        using var refused = await admin.PostAsync("/api/v1/admin/backups", new StringContent("""{"a":1,"a":2}""", Encoding.UTF8, "application/json"));
        Assert.True(refused.StatusCode == HttpStatusCode.BadRequest && NamesField(await refused.Content.ReadAsStringAsync(), "a", "duplicate_property"), $"{(int)refused.StatusCode}");
        Assert.Equal(before, await BackupCountAsync(admin));

        foreach (var content in new HttpContent?[] { null, new StringContent("{}", Encoding.UTF8, "application/json"), new ByteArrayContent([]) })
        {
            using var taken = await admin.PostAsync("/api/v1/admin/backups", content);
            var text = await taken.Content.ReadAsStringAsync();
            Assert.False(taken.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnsupportedMediaType, text);
        }
    }

    private static async Task<int> BackupCountAsync(HttpClient admin)
    {
        using var list = await admin.GetAsync("/api/v1/admin/backups");
        using var json = JsonDocument.Parse(await list.Content.ReadAsStringAsync());
        return json.RootElement.ValueKind == JsonValueKind.Array ? json.RootElement.GetArrayLength() : -1;
    }

    private static HttpContent Repeated(string token, bool multipart)
    {
        if (!multipart)
        {
            return new StringContent($"__RequestVerificationToken={Uri.EscapeDataString(token)}&version=0&phase=in_production&Phase=planning", Encoding.ASCII, "application/x-www-form-urlencoded");
        }

        return new MultipartFormDataContent
        {
            { new StringContent(token), "__RequestVerificationToken" },
            { new StringContent("0"), "version" },
            { new StringContent("in_production"), "phase" },
            { new StringContent("planning"), "Phase" },
        };
    }

    private static ByteArrayContent Part(byte[] bytes) => new(bytes);

    /// <summary>The person's antiforgery token from the first of their pages that has a form (any form's token is the person's).</summary>
    private static async Task<string> AntiforgeryAsync(HttpClient client, string page)
    {
        foreach (var path in new[] { page, "/notifications", "/account", "/planning", "/admin/notifications", "/prefectures/13", "/municipalities/" + ApiHost.Chiyoda })
        {
            using var response = await client.GetAsync(path);
            var html = await response.Content.ReadAsStringAsync();
            if (html.Contains("name=\"__RequestVerificationToken\"", StringComparison.Ordinal))
            {
                return Token(html);
            }
        }

        Assert.Fail($"no page of {page}'s person has a form");
        return string.Empty;
    }

    private static string Token(string html)
    {
        // The input's attributes in whatever order the page writes them.
        var at = html.IndexOf("name=\"__RequestVerificationToken\"", StringComparison.Ordinal);
        Assert.True(at >= 0, "no antiforgery token on the page: " + html[..Math.Min(300, html.Length)]);
        var input = html[html.LastIndexOf("<input", at, StringComparison.Ordinal)..html.IndexOf('>', at)];
        var valueAt = input.IndexOf("value=\"", StringComparison.Ordinal) + 7;
        return WebUtility.HtmlDecode(input[valueAt..input.IndexOf('"', valueAt)]);
    }

    private static async Task<string?> TagAsync(HttpClient api, string path)
    {
        using var response = await api.GetAsync(path);
        return response.Headers.ETag?.Tag;
    }

    private static bool NamesField(string text, string? field, string code)
    {
        try
        {
            using var json = JsonDocument.Parse(text);
            return json.RootElement.TryGetProperty("errors", out var errors)
                && errors.EnumerateArray().Any(e => (field is null || e.GetProperty("field").GetString() == field) && e.GetProperty("code").GetString() == code);
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
