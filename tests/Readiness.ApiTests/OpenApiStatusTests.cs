using System.Net;
using System.Text;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>
/// Every operation of the served /openapi/v1.json, called the way a generated client meets its two commonest refusals,
/// declares the status it answers (round 50: webhook DELETE/retry answered an unknown id 404 and bodies sent as text/plain
/// 415 without the document saying so, so a generated client had no type for the answer): each path value that can
/// name something is given a well-formed value that names nothing, and each request body is sent as text/plain.
/// A new operation is walked unasked.
/// </summary>
public sealed class OpenApiStatusTests(ApiHost host, ITestOutputHelper output) : IClassFixture<ApiHost>
{
    /// <summary>Well-formed values that name nothing, by route parameter (a prefecture code always names a prefecture).</summary>
    private static readonly Dictionary<string, string> Unknown = new(StringComparer.Ordinal)
    {
        ["code"] = "131008",
        ["businessId"] = "no_such_system",
        ["itemId"] = "SEC-9-99",
        ["clientId"] = "rc_none",
        ["scenario"] = "no-such-scenario",
        ["name"] = "readiness-20000101T000000Z.db",
    };

    [Fact]
    public async Task An_operation_that_answers_an_unknown_id_404_declares_404()
    {
        using var document = await DocumentAsync();
        var failures = new List<string>();
        var notFound = 0;
        foreach (var (method, path, operation) in Operations(document))
        {
            foreach (var name in PathParameters(operation))
            {
                var value = UnknownValue(path, name);
                if (value is null)
                {
                    continue;
                }

                const string Marker = "\u0001";
                var url = RouteValues.Fill(path.Replace("{" + name + "}", Marker, StringComparison.Ordinal)).Replace(Marker, Uri.EscapeDataString(value), StringComparison.Ordinal);
                using var caller = CallerFor(path);
                using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), url);
                if (HasRequestBody(operation))
                {
                    request.Content = new StringContent("{}", Encoding.UTF8, BodyType(operation));
                }

                using var response = await caller.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                output.WriteLine($"{method.ToUpperInvariant()} {path} {name}={value}: {(int)response.StatusCode}");
                if (response.StatusCode == HttpStatusCode.NotFound)
                {
                    notFound++;
                    if (!Declares(operation, "404"))
                    {
                        failures.Add($"{method.ToUpperInvariant()} {path}: answers {name}={value} 404; the document declares no 404");
                    }
                }
            }
        }

        output.WriteLine($"{notFound} unknown path values answered 404");
        Assert.True(notFound >= 20, $"only {notFound} unknown path values answered 404");
        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n{string.Join("\n", failures)}");
    }

    [Fact]
    public async Task An_operation_with_a_body_answers_text_plain_415_and_declares_it()
    {
        using var document = await DocumentAsync();
        var failures = new List<string>();
        var bodies = 0;
        foreach (var (method, path, operation) in Operations(document).Where(o => HasRequestBody(o.Operation)))
        {
            bodies++;
            using var caller = CallerFor(path);
            using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), RouteValues.Fill(path))
            {
                Content = new StringContent("{}", Encoding.UTF8, "text/plain"),
            };
            // Only the headers the operation requires: an optional If-Match naming no version is rightly 412 first.
            if (RequiresHeader(operation, "If-Match"))
            {
                request.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
            }

            if (RequiresHeader(operation, "Idempotency-Key"))
            {
                request.Headers.TryAddWithoutValidation("Idempotency-Key", Guid.NewGuid().ToString());
            }

            using var response = await caller.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            output.WriteLine($"{method.ToUpperInvariant()} {path}: {(int)response.StatusCode}");
            if (response.StatusCode != HttpStatusCode.UnsupportedMediaType)
            {
                failures.Add($"{method.ToUpperInvariant()} {path}: a text/plain body answered {(int)response.StatusCode}, not 415");
            }
            else if (!Declares(operation, "415"))
            {
                failures.Add($"{method.ToUpperInvariant()} {path}: answers a text/plain body 415; the document declares no 415");
            }
        }

        output.WriteLine($"{bodies} operations take a body");
        Assert.True(bodies >= 14, $"only {bodies} operations take a body");
        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n{string.Join("\n", failures)}");
    }

    /// <summary>A well-formed value naming nothing: an id as <see cref="RouteValues"/> fills it (wh_none, ntf_none, 64 zeros), others from <see cref="Unknown"/>.</summary>
    private static string? UnknownValue(string path, string name) => name switch
    {
        "id" => RouteValues.Fill(path[..(path.IndexOf("{id}", StringComparison.Ordinal) + 4)]).Split('/')[^1],
        _ => Unknown.GetValueOrDefault(name),
    };

    private static bool Declares(JsonElement operation, string status) => operation.GetProperty("responses").TryGetProperty(status, out _);

    private static bool HasRequestBody(JsonElement operation) => operation.TryGetProperty("requestBody", out _);

    /// <summary>The first media type the operation's requestBody declares (application/merge-patch+json for a PATCH).</summary>
    private static string BodyType(JsonElement operation) =>
        operation.GetProperty("requestBody").GetProperty("content").EnumerateObject().First().Name.Split(';')[0];

    private static bool RequiresHeader(JsonElement operation, string name) =>
        operation.TryGetProperty("parameters", out var ps) && ps.EnumerateArray().Any(p => p.GetProperty("in").GetString() == "header"
            && string.Equals(p.GetProperty("name").GetString(), name, StringComparison.OrdinalIgnoreCase) && p.TryGetProperty("required", out var r) && r.GetBoolean());

    private async Task<JsonDocument> DocumentAsync()
    {
        await host.WaitUntilReadyAsync();
        using var national = host.National();
        return JsonDocument.Parse(await national.GetStringAsync("/openapi/v1.json"));
    }

    private static List<(string Method, string Path, JsonElement Operation)> Operations(JsonDocument document) =>
        [.. document.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Where(o => o.Name is "get" or "put" or "patch" or "post" or "delete").Select(o => (o.Name, p.Name, o.Value)))];

    private static IEnumerable<string> PathParameters(JsonElement operation) =>
        (operation.TryGetProperty("parameters", out var ps) ? ps.EnumerateArray().ToList() : [])
            .Where(p => p.GetProperty("in").GetString() == "path").Select(p => p.GetProperty("name").GetString()!);

    /// <summary>A caller every operation under the path allows (as <see cref="OpenApiConformanceTests"/> picks one).</summary>
    private HttpClient CallerFor(string path) =>
        path.StartsWith("/api/v1/admin/", StringComparison.Ordinal) ? host.Client(host.Token(Role.Admin))
        : path.StartsWith("/api/v1/imports", StringComparison.Ordinal) || path.StartsWith("/api/v1/scenarios", StringComparison.Ordinal) || path.StartsWith("/api/v1/notifications", StringComparison.Ordinal) || path.StartsWith("/api/v1/nation", StringComparison.Ordinal) || path.StartsWith("/api/v1/export", StringComparison.Ordinal) ? host.National()
        : path.Contains("/municipalities/{code}", StringComparison.Ordinal) ? host.Municipality(ApiHost.Chiyoda, "status@city.chiyoda")
        : host.Client(host.Token(Role.Prefecture, "13"));
}
