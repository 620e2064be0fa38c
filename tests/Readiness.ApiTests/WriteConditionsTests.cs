using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Readiness.Catalog;
using Readiness.Web.Api;
using Readiness.Web.Api.OpenApi;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>
/// Every write under /api reads If-Match and If-None-Match the one way (a breaker's finding, round 47, medium: POST
/// /api/v1/imports/{id}/apply applied under <c>If-Match: garbage</c> and under a stale tag although GET
/// /api/v1/imports/{id} has an ETag; low: a client secret's rotation, a webhook's deletion, a digest and the template
/// preview ignored both headers). The writes are read from the host's <see cref="EndpointDataSource"/>, so a new one
/// is covered unasked: each names the GET whose ETag it is conditional on (<see cref="ConditionalWrite"/>), and a
/// malformed header is 400 naming it, nothing done.
/// </summary>
public sealed class WriteConditionsTests(ApiHost host, ITestOutputHelper output) : IClassFixture<ApiHost>
{
    private const string Bunkyo = "131059";

    static WriteConditionsTests() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    private static readonly string[] WriteMethods = [HttpMethods.Post, HttpMethods.Put, HttpMethods.Patch, HttpMethods.Delete];

    [Fact]
    public void Every_write_under_the_api_names_the_etag_its_conditions_are_compared_with()
    {
        var gets = Endpoints().Where(e => Methods(e).Contains(HttpMethods.Get)).ToList();
        var failures = new List<string>();
        foreach (var (method, pattern, endpoint) in ApiWrites())
        {
            if (endpoint.Metadata.GetMetadata<ConditionalWrite>() is not { } conditional)
            {
                failures.Add($"{method} {pattern}: no ConditionalWrite (which GET's ETag do If-Match and If-None-Match compare with?)");
                continue;
            }

            // The target is a GET of the API that sends an ETag (a scenario's is its version, declared by the scenario's own GET).
            var targetPattern = conditional.Target["GET ".Length..];
            var target = gets.FirstOrDefault(g => g.RoutePattern.RawText!.TrimEnd('/') == targetPattern.TrimEnd('/'));
            if (!conditional.Target.StartsWith("GET ", StringComparison.Ordinal) || target is null)
            {
                failures.Add($"{method} {pattern}: its target '{conditional.Target}' is no GET of the API");
            }
            else if (target.Metadata.GetMetadata<ConditionalRead>() is null && targetPattern != "/api/v1/scenarios/{scenario}")
            {
                failures.Add($"{method} {pattern}: its target '{conditional.Target}' sends no ETag");
            }

            output.WriteLine($"{method} {pattern} → {conditional.Target}");
        }

        Assert.True(ApiWrites().Count() >= 20, $"only {ApiWrites().Count()} writes found");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Every_write_under_the_api_refuses_a_malformed_condition_and_does_nothing()
    {
        await host.WaitUntilReadyAsync();
        var callers = new (string Name, string Token)[]
        {
            ("municipality", host.Token(Role.Municipality, ApiHost.Chiyoda, "write-conditions@city.chiyoda")),
            ("prefecture", host.Token(Role.Prefecture, "13", "write-conditions@pref.tokyo")),
            ("national", host.Token(Role.National, subject: "write-conditions@digital.go.jp")),
            ("admin", host.Token(Role.Admin, subject: "write-conditions.admin@digital.go.jp")),
        };
        var before = (await host.GetMunicipality(ApiHost.Chiyoda)).Version;
        var failures = new List<string>();
        var checkedWrites = 0;
        foreach (var (method, pattern, _) in ApiWrites())
        {
            var path = RouteValues.Fill(pattern);
            foreach (var header in new[] { "If-Match", "If-None-Match" })
            {
                // The first caller allowed past authorization answers; 401/403 are another caller's.
                HttpStatusCode? answered = null;
                string body = string.Empty;
                foreach (var (name, token) in callers)
                {
                    using var client = host.Client(token);
                    using var request = new HttpRequestMessage(new HttpMethod(method), path);
                    request.Headers.TryAddWithoutValidation(header, "garbage");
                    using var response = await client.SendAsync(request);
                    if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                    {
                        continue;
                    }

                    answered = response.StatusCode;
                    body = await response.Content.ReadAsStringAsync();
                    output.WriteLine($"{method} {path} {header}: garbage as {name}: {(int)response.StatusCode}");
                    break;
                }

                if (answered is null)
                {
                    failures.Add($"{method} {path}: no caller was allowed");
                    continue;
                }

                checkedWrites++;
                if (answered != HttpStatusCode.BadRequest || !NamesField(body, header))
                {
                    failures.Add($"{method} {path} with {header}: garbage answered {(int)answered}: {body}");
                }
            }
        }

        Assert.True(checkedWrites >= 40, $"only {checkedWrites} writes checked");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Equal(before, (await host.GetMunicipality(ApiHost.Chiyoda)).Version);
    }

    /// <summary>
    /// The writes whose conditions were ignored until round 47, each with its target: a stale If-Match, and
    /// If-None-Match "*" or the current tag, are 412 naming the header with the target's current ETag and change
    /// nothing; the current tag as If-Match lets the write through.
    /// </summary>
    [Theory]
    [InlineData("import apply")]
    [InlineData("client secret")]
    [InlineData("webhook delete")]
    [InlineData("digest")]
    [InlineData("template preview")]
    public async Task A_write_that_ignored_its_conditions_answers_them(string kind)
    {
        await host.WaitUntilReadyAsync();
        var (client, method, path, target, content) = await ArrangeAsync(kind);
        using (client)
        {
            var current = await ETagAsync(client, target);
            foreach (var (header, value) in new[] { ("If-Match", "\"0000000000000000\""), ("If-None-Match", "*"), ("If-None-Match", current) })
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = content?.Invoke() };
                request.Headers.TryAddWithoutValidation(header, value);
                using var response = await client.SendAsync(request);
                var problem = await ApiHost.AssertProblem(response, HttpStatusCode.PreconditionFailed, header);
                Assert.Equal(current, response.Headers.ETag?.Tag);
                if (header == "If-None-Match")
                {
                    // It says what the sender asked not to act on, not "it may have changed since you read it".
                    var error = problem.GetProperty("errors")[0];
                    Assert.Contains("すでに存在するか、If-None-Match に指定した ETag と一致する", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
                    Assert.Contains("The resource already exists, or matches an entity tag given in If-None-Match", error.GetProperty("messageEn").GetString(), StringComparison.Ordinal);
                }
                Assert.Equal(current, await ETagAsync(client, target));
            }

            using var garbage = new HttpRequestMessage(new HttpMethod(method), path) { Content = content?.Invoke() };
            garbage.Headers.TryAddWithoutValidation("If-Match", "garbage");
            using (var refused = await client.SendAsync(garbage))
            {
                await ApiHost.AssertProblem(refused, HttpStatusCode.BadRequest, "If-Match");
            }

            Assert.Equal(current, await ETagAsync(client, target));

            using var written = new HttpRequestMessage(new HttpMethod(method), path) { Content = content?.Invoke() };
            written.Headers.TryAddWithoutValidation("If-Match", current);
            using var through = await client.SendAsync(written);
            Assert.True((int)through.StatusCode is >= 200 and < 300, $"{method} {path} with its current tag: {(int)through.StatusCode} {await through.Content.ReadAsStringAsync()}");
        }
    }

    private async Task<(HttpClient Client, string Method, string Path, string Target, Func<HttpContent>? Content)> ArrangeAsync(string kind)
    {
        switch (kind)
        {
            case "import apply":
            {
                var national = host.Client(host.Token(Role.National, subject: "write-conditions@digital.go.jp"));
                using var upload = await ApiHost.PostImportAsync(national, Tally(), "令和8年6月_進捗状況.csv");
                var text = await upload.Content.ReadAsStringAsync();
                Assert.True(upload.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, text);
                var id = JsonDocument.Parse(text).RootElement.GetProperty("id").GetString();
                return (national, "POST", $"/api/v1/imports/{id}/apply", $"/api/v1/imports/{id}", null);
            }

            case "client secret":
            {
                var admin = host.Client(host.Token(Role.Admin, subject: "write-conditions.admin@digital.go.jp"));
                using var created = await admin.PostAsync("/api/v1/admin/clients", Json($$"""{"name":"conditions client","tenant":"131016","scope":"read","expiresAt":"{{DateTime.UtcNow.AddDays(30):yyyy-MM-dd}}"}"""));
                Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
                var location = created.Headers.Location!.OriginalString;
                return (admin, "POST", location + "/secret", location, null);
            }

            case "webhook delete":
            {
                var admin = host.Client(host.Token(Role.Admin, subject: "write-conditions.admin@digital.go.jp"));
                using var created = await admin.PostAsync("/api/v1/admin/webhooks", Json("""{"url":"https://hooks.example/write-conditions","tenant":"13"}"""));
                Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
                return (admin, "DELETE", created.Headers.Location!.OriginalString, "/api/v1/admin/webhooks", null);
            }

            case "digest":
                return (host.Client(host.Token(Role.Admin, subject: "write-conditions.admin@digital.go.jp")), "POST", "/api/v1/admin/digests/13", "/api/v1/admin/notifications", null);

            case "template preview":
            {
                var municipality = host.Municipality(Bunkyo, "write-conditions@city.bunkyo");
                var workbook = await municipality.GetByteArrayAsync($"/api/v1/municipalities/{Bunkyo}/template.xlsx");
                return (municipality, "POST", $"/api/v1/municipalities/{Bunkyo}/template/preview", $"/api/v1/municipalities/{Bunkyo}/template.xlsx", () =>
                {
                    var form = new MultipartFormDataContent();
                    var file = new ByteArrayContent(workbook);
                    file.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
                    form.Add(file, "file", "template.xlsx");
                    return form;
                });
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>MIC's tally for 文京区 as Shift_JIS CSV (as OfficialCsvImportTests uploads it).</summary>
    private static byte[] Tally()
    {
        var catalog = ReadinessCatalog.Instance;
        var m = catalog.MunicipalitiesByCode[Bunkyo];
        var rates = string.Join(",", Enumerable.Repeat("0.25", 21));
        var text = $"令和8年6月末時点 市区町村別・業務別 標準化の進捗状況\r\n都道府県,市区町村名,全体,{string.Join(",", catalog.BusinessSystems.Select(b => b.SoumuLabel))}\r\n"
            + $"{catalog.PrefecturesByCode[m.PrefectureCode].Name},{m.Name},{rates}\r\n";
        return Encoding.GetEncoding(932).GetBytes(text);
    }

    private static bool NamesField(string body, string field)
    {
        try
        {
            return JsonDocument.Parse(body).RootElement.TryGetProperty("errors", out var errors)
                && errors.EnumerateArray().Any(e => e.GetProperty("field").GetString() == field);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static async Task<string> ETagAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return response.Headers.ETag!.Tag;
    }

    private IEnumerable<RouteEndpoint> Endpoints() =>
        host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/", StringComparison.OrdinalIgnoreCase));

    private static IReadOnlyList<string> Methods(RouteEndpoint endpoint) => endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [];

    /// <summary>Every write under /api: (method, route pattern, endpoint), one per method.</summary>
    private IEnumerable<(string Method, string Pattern, RouteEndpoint Endpoint)> ApiWrites() =>
        Endpoints().SelectMany(e => Methods(e).Where(m => WriteMethods.Contains(m, StringComparer.OrdinalIgnoreCase)).Select(m => (m, e.RoutePattern.RawText!, e)))
            .OrderBy(w => w.Item2, StringComparer.Ordinal).ThenBy(w => w.m, StringComparer.Ordinal);
}
