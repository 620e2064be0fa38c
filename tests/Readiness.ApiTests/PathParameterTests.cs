using System.Net;
using System.Text.Json;
using Readiness.Catalog;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>
/// One rule for path parameters, on every operation of <c>/openapi/v1.json</c> (a new one is covered without being
/// listed): a value that cannot be that kind of identifier is 400 <c>invalid_path_value</c> naming the route parameter
/// as the document declares it; a well-formed identifier that names nothing is 404 naming it. The kind found: a
/// prefecture code <c>1x</c> or <c>999</c> was 404 on the prefecture routes while a municipality code <c>12345</c> was
/// 400, and <c>GET /api/v1/scenarios/{name}</c> answered 404 naming <c>scenario</c>.
/// </summary>
public sealed class PathParameterTests(ApiHost host, ITestOutputHelper output) : IClassFixture<ApiHost>
{
    /// <summary>Values that cannot be the parameter's kind of identifier; a parameter not listed here fails the test until it is.</summary>
    private static readonly Dictionary<string, string[]> Malformed = new(StringComparer.Ordinal)
    {
        ["code"] = ["12345", "ABCDEF", "131017", "１３１０１６"],
        ["prefCode"] = ["1x", "999", "48", "00"],
        ["businessId"] = ["KOSEKI", "koseki!"],
        ["itemId"] = ["SEC-2", "sec-2-01"],
        ["clientId"] = ["client1", "rc_ABC"],
        ["id"] = ["none", "x y"],
        ["scenario"] = [new string('a', 81), "a\u202Eb"],
        ["name"] = ["readiness.db", "readiness-2026.db", "x y"],
    };

    /// <summary>A well-formed identifier that names nothing; none for a prefecture code (all 47 exist).</summary>
    private static string? Unknown(string path, string name) => name switch
    {
        "code" => UnknownMunicipality(),
        "businessId" => "no_such_business",
        "itemId" => "SEC-99-99",
        "clientId" => "rc_none",
        "scenario" => "no-such-scenario",
        "name" => "readiness-20000101T000000Z.db",
        "id" => RouteValues.Fill(path).Split('/').SkipWhile(s => s is not ("webhooks" or "notifications" or "imports")).Skip(1).FirstOrDefault(),
        _ => null,
    };

    [Fact]
    public async Task A_malformed_path_value_is_400_naming_the_route_parameter_on_every_operation()
    {
        var operations = await OperationsAsync();
        Assert.Contains(operations, o => o.Path == "/api/v1/prefectures/{prefCode}" && o.Method == "get");
        Assert.Contains(operations, o => o.Path == "/api/v1/municipalities/{code}/systems/{businessId}" && o.Method == "put");

        var failures = new List<string>();
        var requests = 0;
        foreach (var (method, path, names) in operations)
        {
            using var caller = CallerFor(path);
            if (method == "get")
            {
                // The caller is one the operation allows with real values, so a refusal below is about the value.
                requests++;
                using var allowed = await caller.GetAsync(RouteValues.Fill(path));
                if (allowed.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                {
                    failures.Add($"GET {path} with real values answered {(int)allowed.StatusCode}: pick an allowed caller");
                    continue;
                }
            }

            foreach (var name in names)
            {
                if (!Malformed.TryGetValue(name, out var values))
                {
                    failures.Add($"{method.ToUpperInvariant()} {path}: no malformed values for path parameter '{name}' (add them to {nameof(Malformed)})");
                    continue;
                }

                foreach (var value in values)
                {
                    requests++;
                    var url = Substitute(path, name, Uri.EscapeDataString(value));
                    using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), url);
                    if (method is "put" or "post" or "patch")
                    {
                        request.Content = new StringContent("{}", System.Text.Encoding.UTF8, method == "patch" ? "application/merge-patch+json" : "application/json");
                        request.Headers.TryAddWithoutValidation("If-Match", "\"0\"");
                        request.Headers.TryAddWithoutValidation("Idempotency-Key", Guid.NewGuid().ToString());
                    }

                    using var response = await caller.SendAsync(request);
                    var text = await response.Content.ReadAsStringAsync();
                    if (response.StatusCode != HttpStatusCode.BadRequest || !Names(text, name, "invalid_path_value"))
                    {
                        failures.Add($"{method.ToUpperInvariant()} {path} with {name}={Shown(value)}: {(int)response.StatusCode}, not 400 invalid_path_value naming '{name}': {text[..Math.Min(200, text.Length)]}");
                    }
                }
            }
        }

        output.WriteLine($"{operations.Count} operations with path parameters, {operations.Sum(o => o.Names.Length)} parameters, {requests} requests");
        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n{string.Join("\n", failures.Take(60))}");
    }

    [Fact]
    public async Task A_well_formed_identifier_that_names_nothing_is_404_naming_the_route_parameter()
    {
        var operations = await OperationsAsync();
        var failures = new List<string>();
        var checkedCount = 0;
        foreach (var (method, path, names) in operations)
        {
            using var caller = CallerFor(path);
            foreach (var name in names)
            {
                if (!Malformed.ContainsKey(name))
                {
                    failures.Add($"{method.ToUpperInvariant()} {path}: path parameter '{name}' is not a known kind of identifier (add it to {nameof(Malformed)} and {nameof(Unknown)})");
                    continue;
                }

                if (Unknown(path, name) is not { } value)
                {
                    continue;
                }

                checkedCount++;
                using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), Substitute(path, name, Uri.EscapeDataString(value)));
                if (method is "put" or "post" or "patch")
                {
                    request.Content = new StringContent("{}", System.Text.Encoding.UTF8, method == "patch" ? "application/merge-patch+json" : "application/json");
                    request.Headers.TryAddWithoutValidation("If-Match", "*");
                    request.Headers.TryAddWithoutValidation("Idempotency-Key", Guid.NewGuid().ToString());
                }

                using var response = await caller.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                // The same fault reads the same on every method: GET said not_found where PUT/PATCH said unknown_business.
                if (response.StatusCode != HttpStatusCode.NotFound || !Names(text, name, "not_found"))
                {
                    failures.Add($"{method.ToUpperInvariant()} {path} with {name}={value}: {(int)response.StatusCode}, not 404 not_found naming '{name}': {text[..Math.Min(200, text.Length)]}");
                }
            }
        }

        output.WriteLine($"{checkedCount} unknown identifiers checked");
        Assert.True(checkedCount >= 10, $"only {checkedCount} checked");
        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n{string.Join("\n", failures)}");
    }

    private async Task<List<(string Method, string Path, string[] Names)>> OperationsAsync()
    {
        using var national = host.National();
        using var document = JsonDocument.Parse(await national.GetStringAsync("/openapi/v1.json"));
        return [.. document.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Where(o => o.Name is "get" or "put" or "post" or "patch" or "delete")
                .Select(o => (Method: o.Name, Path: p.Name, Names: o.Value.TryGetProperty("parameters", out var ps)
                    ? ps.EnumerateArray().Where(x => x.GetProperty("in").GetString() == "path").Select(x => x.GetProperty("name").GetString()!).ToArray()
                    : [])))
            .Where(o => o.Names.Length > 0)
            .OrderBy(o => o.Path, StringComparer.Ordinal).ThenBy(o => o.Method, StringComparer.Ordinal)];
    }

    /// <summary>A caller every operation under the path allows: an administrator for /admin, national staff for imports, scenarios and the inbox, 千代田区 for its own routes, Tokyo for a prefecture's.</summary>
    private HttpClient CallerFor(string path) =>
        path.StartsWith("/api/v1/admin/", StringComparison.Ordinal) ? host.Client(host.Token(Role.Admin))
        : path.StartsWith("/api/v1/imports", StringComparison.Ordinal) || path.StartsWith("/api/v1/scenarios", StringComparison.Ordinal) || path.StartsWith("/api/v1/notifications", StringComparison.Ordinal) ? host.National()
        : path.Contains("/municipalities/{code}", StringComparison.Ordinal) ? host.Municipality(ApiHost.Chiyoda, "path-values@city.chiyoda")
        : host.Client(host.Token(Role.Prefecture, "13"));

    /// <summary>The path with real values, except <paramref name="name"/>, which gets <paramref name="escaped"/>.</summary>
    private static string Substitute(string path, string name, string escaped)
    {
        const string Marker = "\u0001";
        return RouteValues.Fill(path.Replace("{" + name + "}", Marker, StringComparison.Ordinal)).Replace(Marker, escaped, StringComparison.Ordinal);
    }

    private static string UnknownMunicipality()
    {
        for (var n = 99999; ; n--)
        {
            var five = n.ToString("D5", System.Globalization.CultureInfo.InvariantCulture);
            var code = five + MunicipalityCode.CheckDigit(five).ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!ReadinessCatalog.Instance.IsMunicipality(code))
            {
                return code;
            }
        }
    }

    private static bool Names(string problem, string name, string? code)
    {
        try
        {
            using var json = JsonDocument.Parse(problem);
            return json.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array
                && errors.EnumerateArray().Any(e => e.TryGetProperty("field", out var f) && f.GetString() == name
                    && (code is null || (e.TryGetProperty("code", out var c) && c.GetString() == code))
                    && e.TryGetProperty("messageJa", out var ja) && !string.IsNullOrWhiteSpace(ja.GetString())
                    && e.TryGetProperty("messageEn", out var en) && !string.IsNullOrWhiteSpace(en.GetString()));
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Shown(string value) => value.Length > 20 ? $"{value.Length} × '{value[0]}'" : $"\"{value}\"";
}
