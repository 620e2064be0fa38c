using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Readiness.Catalog;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>
/// The served /openapi/v1.json against what the server really answers, for every operation (a new one is covered
/// without being listed): a GET that answers 304 to its own ETag declares 304, the ETag header and If-None-Match, and
/// 412 when a failing If-Match gets it; an operation that answers a malformed path value 400 declares 400; a
/// rate-limited endpoint declares 429 with Retry-After. The kind found: twelve conditional GETs, fourteen operations
/// with checked path values and many rate-limited ones declared none of it, so a generated client broke on the answer.
/// </summary>
public sealed class OpenApiConformanceTests(ApiHost host, ITestOutputHelper output) : IClassFixture<ApiHost>
{
    private static readonly Dictionary<string, string> Malformed = new(StringComparer.Ordinal)
    {
        ["code"] = "12345",
        ["prefCode"] = "1x",
        ["businessId"] = "KOSEKI",
        ["itemId"] = "SEC-2",
        ["clientId"] = "client1",
        ["id"] = "x y",
        ["scenario"] = "a\u202Eb",
    };

    [Fact]
    public async Task A_get_that_answers_304_or_412_declares_them_with_ETag_and_its_conditional_headers()
    {
        using var document = await DocumentAsync();
        var failures = new List<string>();
        var notModified = 0;
        foreach (var (path, operation) in Operations(document, "get"))
        {
            using var caller = CallerFor(path);
            var url = RouteValues.Fill(path);
            string? etag;
            using (var first = await caller.GetAsync(url, HttpCompletionOption.ResponseHeadersRead))
            {
                if (first.StatusCode != HttpStatusCode.OK || first.Headers.ETag is null
                    || first.Content.Headers.ContentType?.MediaType == "text/event-stream")
                {
                    continue;
                }

                etag = first.Headers.ETag.ToString();
            }

            using var revalidate = new HttpRequestMessage(HttpMethod.Get, url);
            revalidate.Headers.TryAddWithoutValidation("If-None-Match", etag);
            using var again = await caller.SendAsync(revalidate);
            if (again.StatusCode == HttpStatusCode.NotModified)
            {
                notModified++;
                if (!Responses(operation).TryGetProperty("304", out var status304) || !HasHeader(status304, "ETag"))
                {
                    failures.Add($"GET {path}: answers 304 with an ETag; the document declares no 304 with ETag");
                }

                if (!HasHeader(Responses(operation).GetProperty("200"), "ETag"))
                {
                    failures.Add($"GET {path}: sends ETag on 200; the document does not declare it");
                }

                if (!HasParameter(operation, "If-None-Match"))
                {
                    failures.Add($"GET {path}: reads If-None-Match; the document does not declare it");
                }
            }

            using var stale = new HttpRequestMessage(HttpMethod.Get, url);
            stale.Headers.TryAddWithoutValidation("If-Match", "\"no-such-version\"");
            using var failed = await caller.SendAsync(stale);
            if (failed.StatusCode == HttpStatusCode.PreconditionFailed && (!Responses(operation).TryGetProperty("412", out _) || !HasParameter(operation, "If-Match")))
            {
                failures.Add($"GET {path}: answers a failing If-Match 412; the document declares no 412 or If-Match");
            }
        }

        output.WriteLine($"{notModified} GET operations answered 304");
        Assert.True(notModified >= 16, $"only {notModified} GET operations answered 304 to their own ETag");
        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n{string.Join("\n", failures)}");
    }

    [Fact]
    public async Task An_operation_that_answers_a_malformed_path_value_400_declares_400()
    {
        using var document = await DocumentAsync();
        var failures = new List<string>();
        var refused = 0;
        foreach (var method in new[] { "get", "put", "patch", "post", "delete" })
        {
            foreach (var (path, operation) in Operations(document, method))
            {
                foreach (var name in PathParameters(operation).Where(Malformed.ContainsKey))
                {
                    using var caller = CallerFor(path);
                    const string Marker = "\u0001";
                    var url = RouteValues.Fill(path.Replace("{" + name + "}", Marker, StringComparison.Ordinal)).Replace(Marker, Uri.EscapeDataString(Malformed[name]), StringComparison.Ordinal);
                    using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), url);
                    using var response = await caller.SendAsync(request);
                    if (response.StatusCode == HttpStatusCode.BadRequest)
                    {
                        refused++;
                        if (!Responses(operation).TryGetProperty("400", out _))
                        {
                            failures.Add($"{method.ToUpperInvariant()} {path}: answers {name}={Malformed[name]} 400; the document declares no 400");
                        }
                    }
                }
            }
        }

        output.WriteLine($"{refused} malformed path values answered 400");
        Assert.True(refused >= 30, $"only {refused} answered 400");
        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n{string.Join("\n", failures)}");
    }

    [Fact]
    public async Task Every_rate_limited_operation_declares_429_with_Retry_After()
    {
        using var document = await DocumentAsync();
        var limited = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<EnableRateLimitingAttribute>() is not null && e.Metadata.GetMetadata<DisableRateLimitingAttribute>() is null)
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (Method: m.ToLowerInvariant(), Path: e.RoutePattern.RawText!)))
            .ToHashSet();
        var failures = new List<string>();
        var described = 0;
        foreach (var (path, item) in document.RootElement.GetProperty("paths").EnumerateObject().Select(p => (p.Name, p.Value)))
        {
            foreach (var operation in item.EnumerateObject().Where(o => limited.Contains((o.Name, path))))
            {
                described++;
                if (!Responses(operation.Value).TryGetProperty("429", out var tooMany) || !HasHeader(tooMany, "Retry-After"))
                {
                    failures.Add($"{operation.Name.ToUpperInvariant()} {path}: rate limited; the document declares no 429 with Retry-After");
                }
            }
        }

        Assert.True(described >= 40, $"only {described} rate-limited operations found in the document");
        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n{string.Join("\n", failures)}");
    }

    [Fact]
    public async Task A_member_a_write_body_declares_as_an_enum_is_that_enum_in_every_view()
    {
        using var document = await DocumentAsync();
        var schemas = document.RootElement.GetProperty("components").GetProperty("schemas");
        var written = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var body in new[] { "SystemReport", "SecurityReport" })
        {
            foreach (var property in schemas.GetProperty(body).GetProperty("properties").EnumerateObject())
            {
                if (EnumReference(property.Value) is { } enumName)
                {
                    written[property.Name] = enumName;
                }
            }
        }

        // Members that hold an enum's wire names without a write body: the municipality's kind, its data's origin, an actor's role.
        var expected = new Dictionary<string, string>(written, StringComparer.Ordinal) { ["kind"] = "MunicipalityKind", ["origin"] = "DataOrigin", ["role"] = "Role" };
        Assert.True(written.Count >= 5, "the write bodies declare only " + string.Join(", ", written.Keys));

        var failures = new List<string>();
        foreach (var view in new[] { "SystemView", "SecurityItemView", "MunicipalityView", "MunicipalitySummaryView", "ChangeView", "AuditEntryView" })
        {
            foreach (var property in schemas.GetProperty(view).GetProperty("properties").EnumerateObject().Where(p => expected.ContainsKey(p.Name)))
            {
                if (EnumReference(property.Value) != expected[property.Name])
                {
                    failures.Add($"{view}.{property.Name}: {property.Value.GetRawText()}, not the {expected[property.Name]} schema");
                }
                else if (!schemas.TryGetProperty(expected[property.Name], out var enumSchema) || !enumSchema.TryGetProperty("enum", out _))
                {
                    failures.Add($"{view}.{property.Name}: {expected[property.Name]} is not an enum schema");
                }
            }
        }

        // The wire is unchanged and within the enums: the municipality's own answer.
        using var municipality = host.Municipality(ApiHost.Chiyoda, "conformance@city.chiyoda");
        using var state = JsonDocument.Parse(await municipality.GetStringAsync($"/api/v1/municipalities/{ApiHost.Chiyoda}"));
        Allowed(schemas, "MunicipalityKind", state.RootElement.GetProperty("kind"), failures);
        Allowed(schemas, "DataOrigin", state.RootElement.GetProperty("origin"), failures);
        foreach (var system in state.RootElement.GetProperty("systems").EnumerateArray())
        {
            Allowed(schemas, "MigrationPhase", system.GetProperty("phase"), failures);
            Allowed(schemas, "HostingKind", system.GetProperty("hosting"), failures);
        }

        foreach (var item in state.RootElement.GetProperty("security").EnumerateArray())
        {
            Allowed(schemas, "SecurityStatus", item.GetProperty("status"), failures);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n{string.Join("\n", failures)}");
    }

    private static string? EnumReference(JsonElement property)
    {
        var candidates = property.TryGetProperty("oneOf", out var oneOf) || property.TryGetProperty("anyOf", out oneOf) ? [.. oneOf.EnumerateArray()] : new[] { property };
        return candidates.Select(c => c.TryGetProperty("$ref", out var r) ? r.GetString()!.Split('/')[^1] : null).FirstOrDefault(r => r is not null);
    }

    private static void Allowed(JsonElement schemas, string enumName, JsonElement value, List<string> failures)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (!schemas.TryGetProperty(enumName, out var schema) || !schema.TryGetProperty("enum", out var values)
            || !values.EnumerateArray().Any(v => v.GetString() == value.GetString()))
        {
            failures.Add($"'{value}' is not a value of the {enumName} schema");
        }
    }

    private async Task<JsonDocument> DocumentAsync()
    {
        using var national = host.National();
        return JsonDocument.Parse(await national.GetStringAsync("/openapi/v1.json"));
    }

    private static List<(string Path, JsonElement Operation)> Operations(JsonDocument document, string method) =>
        document.RootElement.GetProperty("paths").EnumerateObject()
            .Where(p => p.Value.TryGetProperty(method, out _))
            .Select(p => (p.Name, p.Value.GetProperty(method)))
            .ToList();

    private static JsonElement Responses(JsonElement operation) => operation.GetProperty("responses");

    private static bool HasHeader(JsonElement response, string name) =>
        response.TryGetProperty("headers", out var headers) && headers.EnumerateObject().Any(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase));

    private static List<JsonElement> Parameters(JsonElement operation) =>
        operation.TryGetProperty("parameters", out var ps) ? [.. ps.EnumerateArray()] : [];

    private static bool HasParameter(JsonElement operation, string header) =>
        Parameters(operation).Any(p => p.GetProperty("in").GetString() == "header" && string.Equals(p.GetProperty("name").GetString(), header, StringComparison.OrdinalIgnoreCase));

    private static IEnumerable<string> PathParameters(JsonElement operation) =>
        Parameters(operation).Where(p => p.GetProperty("in").GetString() == "path").Select(p => p.GetProperty("name").GetString()!);

    /// <summary>A caller every operation under the path allows (as <see cref="PathParameterTests"/> picks one).</summary>
    private HttpClient CallerFor(string path) =>
        path.StartsWith("/api/v1/admin/", StringComparison.Ordinal) ? host.Client(host.Token(Role.Admin))
        : path.StartsWith("/api/v1/imports", StringComparison.Ordinal) || path.StartsWith("/api/v1/scenarios", StringComparison.Ordinal) || path.StartsWith("/api/v1/notifications", StringComparison.Ordinal) || path.StartsWith("/api/v1/nation", StringComparison.Ordinal) || path.StartsWith("/api/v1/export", StringComparison.Ordinal) ? host.National()
        : path.Contains("/municipalities/{code}", StringComparison.Ordinal) ? host.Municipality(ApiHost.Chiyoda, "conformance@city.chiyoda")
        : host.Client(host.Token(Role.Prefecture, "13"));
}
