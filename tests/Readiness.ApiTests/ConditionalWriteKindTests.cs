using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Readiness.Catalog;
using Readiness.Imports;
using Readiness.Testing;
using Readiness.Web.Api;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>
/// The conditions of the API's writes, each fault a breaker found in round 48 checked as a kind, on every write the
/// endpoint list holds: every 412 carries the ETag its target's GET answers (template apply and scenario writes sent
/// none); a client's secret rotation changes the tag it is conditioned on; an item a list's tag guards that is not
/// there is 404, not 412; a malformed condition is 400 before the media type's 415; a tag that names no version of the
/// target is told so; the OpenAPI document declares If-Match, If-None-Match and the 412 on every write.
/// </summary>
public sealed class ConditionalWriteKindTests(ApiHost host, ITestOutputHelper output) : IClassFixture<ApiHost>
{
    private const string Bunkyo = "131059";
    private const string NoVersionJa = "この対象のどの版も指していません";
    private const string NoVersionEn = "names no version of this resource";

    private static readonly string[] WriteMethods = [HttpMethods.Post, HttpMethods.Put, HttpMethods.Patch, HttpMethods.Delete];

    private (string Name, string Token)[] Callers() =>
    [
        ("municipality", host.Token(Role.Municipality, ApiHost.Chiyoda, "kind-conditions@city.chiyoda")),
        ("prefecture", host.Token(Role.Prefecture, "13", "kind-conditions@pref.tokyo")),
        ("national", host.Token(Role.National, subject: "kind-conditions@digital.go.jp")),
        ("admin", host.Token(Role.Admin, subject: "kind-conditions.admin@digital.go.jp")),
    ];

    [Fact]
    public async Task Every_412_of_a_write_carries_the_etag_its_target_get_answers()
    {
        await host.WaitUntilReadyAsync();
        using var admin = host.Client(host.Token(Role.Admin, subject: "kind-conditions.admin@digital.go.jp"));
        using var national = host.Client(host.Token(Role.National, subject: "kind-conditions@digital.go.jp"));

        // Items that are there, so the writes on them reach their conditions: a client, a webhook, a scenario.
        using var client = await admin.PostAsync("/api/v1/admin/clients", Json($$"""{"name":"kind client","tenant":"131016","scope":"read","expiresAt":"{{DateTime.UtcNow.AddDays(30):yyyy-MM-dd}}"}"""));
        Assert.True(client.StatusCode == HttpStatusCode.Created, await client.Content.ReadAsStringAsync());
        var clientId = client.Headers.Location!.OriginalString.Split('/')[^1];
        using var webhook = await admin.PostAsync("/api/v1/admin/webhooks", Json("""{"url":"https://hooks.example/kind-conditions","tenant":"13"}"""));
        Assert.True(webhook.StatusCode == HttpStatusCode.Created, await webhook.Content.ReadAsStringAsync());
        var webhookId = webhook.Headers.Location!.OriginalString.Split('/')[^1];
        using var scenario = await national.PostAsync("/api/v1/scenarios", Json("""{"name":"x"}"""));
        Assert.True(scenario.StatusCode == HttpStatusCode.Created, await scenario.Content.ReadAsStringAsync());

        string Fill(string pattern) => RouteValues.Fill(pattern).Replace("rc_none", clientId, StringComparison.Ordinal).Replace("wh_none", webhookId, StringComparison.Ordinal);

        var failures = new List<string>();
        var failed = new List<string>();
        foreach (var (method, pattern, endpoint) in ApiWrites())
        {
            var target = endpoint.Metadata.GetMetadata<ConditionalWrite>()!.Target["GET ".Length..];
            foreach (var (name, token) in Callers())
            {
                using var caller = host.Client(token);
                // An empty JSON object where a body may come (routing answers a JSON write without one 415 first).
                using var request = new HttpRequestMessage(new HttpMethod(method), Fill(pattern))
                {
                    Content = method == HttpMethods.Delete ? null : new StringContent("{}", Encoding.UTF8, method == HttpMethods.Patch ? "application/merge-patch+json" : "application/json"),
                };
                // If-Match: * holds where the target is there (and meets the writes that require If-Match); If-None-Match: * then fails.
                request.Headers.TryAddWithoutValidation("If-Match", "*");
                request.Headers.TryAddWithoutValidation("If-None-Match", "*");
                using var response = await caller.SendAsync(request);
                if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                {
                    continue;
                }

                output.WriteLine($"{method} {Fill(pattern)} If-None-Match: * as {name}: {(int)response.StatusCode} ETag {response.Headers.ETag?.Tag}");
                if (response.StatusCode == HttpStatusCode.PreconditionFailed)
                {
                    failed.Add($"{method} {pattern}");
                    using var get = await caller.GetAsync(Fill(target));
                    var current = get.Headers.ETag?.Tag;
                    if (response.Headers.ETag?.Tag is not { } sent || sent != current)
                    {
                        failures.Add($"{method} {Fill(pattern)}: 412 with ETag {response.Headers.ETag?.Tag ?? "(none)"}, GET {Fill(target)} answers {current ?? "(none)"}");
                    }
                }

                break;
            }
        }

        // The writes the walk cannot reach without a body, with a stale or versionless If-Match: a template's apply
        // (stale, weak, a cell changed since the file's version) and a scenario's replacement and deletion.
        using var municipality = host.Municipality(Bunkyo, "kind-conditions@city.bunkyo");
        var templatePath = $"/api/v1/municipalities/{Bunkyo}/template.xlsx";
        var workbook = await TemplateRequests.DownloadAsync(municipality, Bunkyo);
        foreach (var ifMatch in new[] { "\"99\"", "W/\"0\"" })
        {
            using var apply = await PostFileAsync(municipality, $"/api/v1/municipalities/{Bunkyo}/template/apply", workbook, ifMatch);
            await ExpectCurrentAsync(apply, municipality, templatePath, $"template apply If-Match: {ifMatch}");
        }

        var business = (await host.GetMunicipality(Bunkyo)).Body.GetProperty("systems").EnumerateArray()
            .First(s => !s.GetProperty("designated").GetBoolean() && !s.GetProperty("regression").GetBoolean() && !s.GetProperty("notApplicable").GetBoolean())
            .GetProperty("businessId").GetString()!;
        using (var other = host.Municipality(Bunkyo, "kind-conditions.other@city.bunkyo"))
        {
            await host.PutSystem(other, Bunkyo, business, """{"phase":"testing","designated":false,"vendor":"他の人のベンダ"}""");
        }

        var changed = TemplateCells.Edit(workbook, (ReportingTemplate.SystemsSheet, $"E{ReportingTemplate.FirstRow + ReadinessCatalog.Instance.BusinessIndex[business]}", "このファイルのベンダ"));
        using (var conflict = await PostFileAsync(municipality, $"/api/v1/municipalities/{Bunkyo}/template/apply", changed, null))
        {
            Assert.Contains("changed_since", await conflict.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            await ExpectCurrentAsync(conflict, municipality, templatePath, "template apply changed_since");
        }

        using (var replace = new HttpRequestMessage(HttpMethod.Post, "/api/v1/scenarios") { Content = Json("""{"name":"x","description":"stale"}""") })
        {
            replace.Headers.TryAddWithoutValidation("If-Match", "\"99\"");
            using var answer = await national.SendAsync(replace);
            await ExpectCurrentAsync(answer, national, "/api/v1/scenarios/x", "scenario replace If-Match: \"99\"");
        }

        foreach (var ifMatch in new[] { "\"99\"", "W/\"1\"" })
        {
            using var delete = new HttpRequestMessage(HttpMethod.Delete, "/api/v1/scenarios/x");
            delete.Headers.TryAddWithoutValidation("If-Match", ifMatch);
            using var answer = await national.SendAsync(delete);
            await ExpectCurrentAsync(answer, national, "/api/v1/scenarios/x", $"scenario delete If-Match: {ifMatch}");
        }

        output.WriteLine($"{failed.Count} writes answered If-None-Match: * with 412");
        Assert.True(failed.Count >= 18, $"only {failed.Count} writes reached their conditions: {string.Join(", ", failed)}");
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        async Task ExpectCurrentAsync(HttpResponseMessage answer, HttpClient reader, string target, string what)
        {
            var body = await answer.Content.ReadAsStringAsync();
            Assert.True(answer.StatusCode == HttpStatusCode.PreconditionFailed, $"{what}: {(int)answer.StatusCode} {body}");
            using var get = await reader.GetAsync(target);
            var current = get.Headers.ETag?.Tag;
            if (answer.Headers.ETag?.Tag != current || current is null)
            {
                failures.Add($"{what}: 412 with ETag {answer.Headers.ETag?.Tag ?? "(none)"}, GET {target} answers {current ?? "(none)"}");
            }
        }
    }

    [Fact]
    public async Task A_secret_rotation_changes_the_clients_etag_so_a_second_rotation_with_the_old_tag_is_412()
    {
        await host.WaitUntilReadyAsync();
        using var admin = host.Client(host.Token(Role.Admin, subject: "kind-conditions.admin@digital.go.jp"));
        using var created = await admin.PostAsync("/api/v1/admin/clients", Json($$"""{"name":"rotated client","tenant":"131016","scope":"read","expiresAt":"{{DateTime.UtcNow.AddDays(30):yyyy-MM-dd}}"}"""));
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var location = created.Headers.Location!.OriginalString;
        using var before = await admin.GetAsync(location);
        var tag = before.Headers.ETag!.Tag;
        var beforeBody = await before.Content.ReadAsStringAsync();

        using (var first = new HttpRequestMessage(HttpMethod.Post, location + "/secret"))
        {
            first.Headers.TryAddWithoutValidation("If-Match", tag);
            using var rotated = await admin.SendAsync(first);
            Assert.True(rotated.StatusCode == HttpStatusCode.OK, await rotated.Content.ReadAsStringAsync());
        }

        using var after = await admin.GetAsync(location);
        var afterBody = await after.Content.ReadAsStringAsync();
        Assert.NotEqual(tag, after.Headers.ETag!.Tag);
        Assert.DoesNotContain("secret\":\"", afterBody.Replace("secretHolder\":\"", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        output.WriteLine(beforeBody);
        output.WriteLine(afterBody);
        Assert.Equal(1, JsonDocument.Parse(beforeBody).RootElement.GetProperty("secretVersion").GetInt32());
        Assert.Equal(2, JsonDocument.Parse(afterBody).RootElement.GetProperty("secretVersion").GetInt32());

        using var second = new HttpRequestMessage(HttpMethod.Post, location + "/secret");
        second.Headers.TryAddWithoutValidation("If-Match", tag);
        using var refused = await admin.SendAsync(second);
        await ApiHost.AssertProblem(refused, HttpStatusCode.PreconditionFailed, "If-Match");
        Assert.Equal(after.Headers.ETag!.Tag, refused.Headers.ETag?.Tag);
    }

    /// <summary>Webhook DELETE, outbox retry and a notification's read mark compare with their list's tag: an id the list does not hold is 404 (RFC 9110 §13.2.1), a malformed header still 400.</summary>
    [Theory]
    [InlineData("DELETE", "/api/v1/admin/webhooks/wh_none", "admin")]
    [InlineData("POST", "/api/v1/admin/notifications/ntf_none/retry", "admin")]
    [InlineData("POST", "/api/v1/notifications/ntf_none/read", "municipality")]
    public async Task A_condition_on_an_item_that_is_not_there_is_404_and_a_malformed_one_400(string method, string path, string caller)
    {
        await host.WaitUntilReadyAsync();
        using var client = host.Client(Callers().Single(c => c.Name == caller).Token);
        foreach (var (header, value) in new[] { ("If-Match", "\"0000000000000000\""), ("If-Match", "*"), ("If-None-Match", "*") })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            request.Headers.TryAddWithoutValidation(header, value);
            using var response = await client.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{method} {path} {header}: {value}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        using var garbage = new HttpRequestMessage(new HttpMethod(method), path);
        garbage.Headers.TryAddWithoutValidation("If-Match", "garbage");
        await ApiHost.AssertProblem(await client.SendAsync(garbage), HttpStatusCode.BadRequest, "If-Match");
    }

    [Fact]
    public async Task A_malformed_condition_is_400_before_the_media_type_on_every_write()
    {
        await host.WaitUntilReadyAsync();
        var failures = new List<string>();
        var checkedWrites = 0;
        foreach (var (method, pattern, _) in ApiWrites())
        {
            var path = RouteValues.Fill(pattern);
            foreach (var (header, contentType) in new[] { ("If-Match", "text/plain"), ("If-None-Match", "application/xml") })
            {
                foreach (var (name, token) in Callers())
                {
                    using var client = host.Client(token);
                    using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("x", Encoding.UTF8, contentType) };
                    request.Headers.TryAddWithoutValidation(header, "garbage");
                    using var response = await client.SendAsync(request);
                    if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                    {
                        continue;
                    }

                    checkedWrites++;
                    var body = await response.Content.ReadAsStringAsync();
                    output.WriteLine($"{method} {path} {header}: garbage, {contentType} as {name}: {(int)response.StatusCode}");
                    if (response.StatusCode != HttpStatusCode.BadRequest || !body.Contains($"\"field\":\"{header}\"", StringComparison.Ordinal))
                    {
                        failures.Add($"{method} {path} {header}: garbage with {contentType}: {(int)response.StatusCode} {body}");
                    }

                    break;
                }
            }
        }

        Assert.True(checkedWrites >= 40, $"only {checkedWrites} writes checked");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>A tag that can name no version of the target (weak, or not its form) is 412 saying so, not "changed since you read it".</summary>
    [Theory]
    [InlineData("POST", "/api/v1/admin/webhooks", "W/\"0\"")] // content-tagged: weak
    [InlineData("POST", "/api/v1/admin/webhooks", "\"12\"")] // content-tagged: a version's form
    [InlineData("POST", "/api/v1/admin/digests/13", "\"0\"")]
    [InlineData("GET", "/api/v1/admin/webhooks", "\"12\"")] // a read's 412 alike
    [InlineData("POST", "/api/v1/municipalities/131059/template/preview", "W/\"0\"")] // version-tagged: weak
    public async Task A_tag_that_names_no_version_of_the_target_is_told_so(string method, string path, string ifMatch)
    {
        await host.WaitUntilReadyAsync();
        using var client = path.Contains("/municipalities/", StringComparison.Ordinal)
            ? host.Municipality(Bunkyo, "kind-conditions@city.bunkyo")
            : host.Client(host.Token(Role.Admin, subject: "kind-conditions.admin@digital.go.jp"));
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (path.EndsWith("/webhooks", StringComparison.Ordinal) && method == "POST")
        {
            request.Content = Json("""{"url":"https://hooks.example/no-version","tenant":"13"}""");
        }
        else if (path.EndsWith("/preview", StringComparison.Ordinal))
        {
            var form = new MultipartFormDataContent();
            var file = new ByteArrayContent(await TemplateRequests.DownloadAsync(client, Bunkyo));
            file.Headers.ContentType = new MediaTypeHeaderValue(TemplateRequests.XlsxMediaType);
            form.Add(file, "file", "template.xlsx");
            request.Content = form;
        }

        request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        using var response = await client.SendAsync(request);
        var problem = await ApiHost.AssertProblem(response, HttpStatusCode.PreconditionFailed, "If-Match");
        var error = problem.GetProperty("errors")[0];
        Assert.Contains(NoVersionJa, error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        Assert.Contains(NoVersionEn, error.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
        Assert.NotNull(response.Headers.ETag);
    }

    [Fact]
    public async Task Every_write_declares_if_match_if_none_match_and_its_412_with_the_etag_in_the_openapi_document()
    {
        await host.WaitUntilReadyAsync();
        using var national = host.National();
        using var document = JsonDocument.Parse(await national.GetStringAsync("/openapi/v1.json"));
        var failures = new List<string>();
        var writes = 0;
        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject().Where(p => p.Name.StartsWith("/api/", StringComparison.Ordinal)))
        {
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Name is "post" or "put" or "patch" or "delete"))
            {
                writes++;
                var headers = operation.Value.TryGetProperty("parameters", out var parameters)
                    ? parameters.EnumerateArray().Where(p => p.GetProperty("in").GetString() == "header").Select(p => p.GetProperty("name").GetString()).ToList()
                    : [];
                foreach (var header in new[] { "If-Match", "If-None-Match" })
                {
                    if (headers.Count(h => h == header) != 1)
                    {
                        failures.Add($"{operation.Name.ToUpperInvariant()} {path.Name}: {header} declared {headers.Count(h => h == header)} times");
                    }
                }

                if (!operation.Value.GetProperty("responses").TryGetProperty("412", out var failed)
                    || !failed.TryGetProperty("headers", out var failedHeaders) || !failedHeaders.TryGetProperty("ETag", out _))
                {
                    failures.Add($"{operation.Name.ToUpperInvariant()} {path.Name}: no 412 with an ETag header");
                }
            }
        }

        Assert.True(writes >= 20, $"only {writes} writes in the document");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static async Task<HttpResponseMessage> PostFileAsync(HttpClient client, string path, byte[] workbook, string? ifMatch)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(workbook);
        file.Headers.ContentType = new MediaTypeHeaderValue(TemplateRequests.XlsxMediaType);
        form.Add(file, "file", "template.xlsx");
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = form };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return await client.SendAsync(request);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private IEnumerable<(string Method, string Pattern, RouteEndpoint Endpoint)> ApiWrites() =>
        host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/", StringComparison.OrdinalIgnoreCase))
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Where(m => WriteMethods.Contains(m, StringComparer.OrdinalIgnoreCase)).Select(m => (m, e.RoutePattern.RawText!, e)))
            .OrderBy(w => w.Item2, StringComparer.Ordinal).ThenBy(w => w.m, StringComparer.Ordinal);
}
