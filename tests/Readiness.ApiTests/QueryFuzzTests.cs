using System.Net;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Readiness.Web.Components;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>
/// Bad input never gets a 5xx from a query string, on any GET endpoint: every API endpoint and every page of the
/// running host's <see cref="EndpointDataSource"/> (a new one is covered without being listed) is sent hostile values
/// for every query parameter it reads (an API handler's parameters that are not route values or services; a page's
/// <see cref="SupplyParameterFromQueryAttribute"/> names, its components' included) by a visitor, a national token and a
/// municipality's token. An API endpoint (/api/…) that refuses a value answers 400 with a problem naming that parameter. The
/// kind of fault found: <c>/municipalities/{code}?saved=abc</c> was a 500 (Blazor could not convert it to a version)
/// and <c>/api/v1/nation/history?to=0001-01-01</c> was a 500 (the default period began before the calendar).
/// </summary>
public sealed class QueryFuzzTests(ApiHost host, ITestOutputHelper output) : IClassFixture<ApiHost>
{
    private static readonly string[] Hostile =
    [
        string.Empty, "-1", "99999999999999999999", "-9223372036854775808", "abc", "１２", "\u3164", "\0", new('a', 600),
        "0001-01-01", "9999-12-31", "2026-02-30", "{}", "https://evil.example/",
    ];

    /// <summary>The query names every page and component reads: <see cref="SupplyParameterFromQueryAttribute"/> in the web assembly, and the ones read by hand.</summary>
    private static readonly string[] PageNames = [.. typeof(QueryValues).Assembly.GetTypes()
        .SelectMany(t => t.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        .Select(p => p.GetCustomAttribute<SupplyParameterFromQueryAttribute>() is { } a ? a.Name ?? p.Name : null)
        .OfType<string>()
        .Concat(["prefecture", "token", "v"])
        .Distinct(StringComparer.OrdinalIgnoreCase)
        .Order(StringComparer.Ordinal)];

    [Fact]
    public async Task No_get_endpoint_answers_a_server_error_to_hostile_query_values()
    {
        var endpoints = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.Contains("GET") ?? e.Metadata.GetMetadata<ComponentTypeMetadata>() is not null)
            .Where(e => !e.RoutePattern.RawText!.Contains("stream", StringComparison.Ordinal) && !e.RoutePattern.RawText!.StartsWith("/_", StringComparison.Ordinal))
            .GroupBy(e => e.RoutePattern.RawText!)
            .Select(g => (Pattern: g.Key, Page: g.Any(e => e.Metadata.GetMetadata<ComponentTypeMetadata>() is not null), Names: g.SelectMany(QueryNames).Distinct().ToArray()))
            .OrderBy(e => e.Pattern, StringComparer.Ordinal)
            .ToList();
        var api = endpoints.Where(e => !e.Page && e.Names.Length > 0).ToList();
        var pages = endpoints.Where(e => e.Page).ToList();
        Assert.Contains(api, e => e.Pattern == "/api/v1/nation/history" && e.Names.Contains("to"));
        Assert.Contains(pages, e => e.Pattern == "/municipalities/{Code}");
        Assert.Contains("saved", PageNames);
        Assert.True(pages.Count >= 15, $"only {pages.Count} pages: {string.Join(", ", pages.Select(p => p.Pattern))}");

        using var visitor = host.Client();
        using var national = host.National();
        using var municipality = host.Municipality(ApiHost.Chiyoda, "query-fuzz@city.chiyoda");
        var callers = new (string Name, HttpClient Http)[] { ("visitor", visitor), ("national", national), ("municipality", municipality) };

        var failures = new List<string>();
        var requests = 0;
        var started = System.Diagnostics.Stopwatch.StartNew();
        foreach (var (caller, http) in callers)
        {
            // API endpoints one parameter at a time: a refusal of one must not hide a fault behind another.
            foreach (var (pattern, _, names) in api)
            {
                foreach (var name in names)
                {
                    foreach (var value in Hostile)
                    {
                        requests++;
                        var url = $"{RouteValues.Fill(pattern)}?{Uri.EscapeDataString(name)}={Uri.EscapeDataString(value)}";
                        using var response = await http.GetAsync(url);
                        var text = await response.Content.ReadAsStringAsync();
                        if ((int)response.StatusCode >= 500)
                        {
                            failures.Add($"{(int)response.StatusCode} GET {url[..Math.Min(160, url.Length)]} as {caller}: {text[..Math.Min(200, text.Length)]}");
                        }
                        else if (response.StatusCode == HttpStatusCode.BadRequest && pattern.StartsWith("/api/", StringComparison.Ordinal) && !NamesField(text, name))
                        {
                            failures.Add($"400 GET {url[..Math.Min(160, url.Length)]} as {caller} does not name '{name}': {text[..Math.Min(200, text.Length)]}");
                        }
                    }
                }
            }

            // Pages ignore what they cannot use, so every name at once.
            foreach (var (pattern, _, _) in pages)
            {
                foreach (var value in Hostile)
                {
                    requests++;
                    var url = $"{RouteValues.Fill(pattern)}?{string.Join("&", PageNames.Select(n => $"{n}={Uri.EscapeDataString(value)}"))}";
                    using var response = await http.GetAsync(url);
                    if ((int)response.StatusCode >= 500)
                    {
                        var text = await response.Content.ReadAsStringAsync();
                        failures.Add($"{(int)response.StatusCode} GET {pattern} with every page parameter = {Shown(value)} as {caller}: {text[..Math.Min(200, text.Length)]}");
                    }
                }
            }
        }

        output.WriteLine($"{api.Count} API endpoints ({api.Sum(a => a.Names.Length)} parameters) and {pages.Count} pages ({PageNames.Length} page parameters) × {callers.Length} callers × {Hostile.Length} values = {requests} requests in {started.Elapsed.TotalSeconds:F1} s");
        Assert.True(failures.Count == 0, $"{failures.Count} of {requests} requests failed:\n{string.Join("\n", failures.Take(40))}");
    }

    /// <summary>
    /// The API description tells the truth about query parameters, so a generated client can send them and a typo is
    /// not taken for a filter: (1) a parameter an operation refuses a value of (400 naming it) is declared on that
    /// operation; (2) a declared closed set (<c>enum</c>) refuses a value outside it, naming the parameter; (3) a declared
    /// parameter without one refuses <c>{}</c>, unless it is free text (listed here with why). The kind found: the
    /// prefecture table's <c>kind</c>, <c>flag</c>, <c>sort</c> and <c>dir</c> ignored a misspelt value and answered
    /// every row as if filtered, and the export's <c>prefecture</c> was read but not declared.
    /// </summary>
    [Fact]
    public async Task Query_parameters_are_declared_and_a_closed_set_refuses_what_is_outside_it()
    {
        // Free text: any value is a search or a name to look up (404 when nothing has it), never a filter that could be misspelt.
        string[] freeText = ["q", "business", "scenario", "cursor"];
        using var national = host.National();
        using var admin = host.Client(host.Token(Readiness.Role.Admin));
        using var document = JsonDocument.Parse(await national.GetStringAsync("/openapi/v1.json"));
        var operations = document.RootElement.GetProperty("paths").EnumerateObject()
            .Where(p => p.Value.TryGetProperty("get", out _))
            .Select(p => (Path: p.Name, Parameters: p.Value.GetProperty("get").TryGetProperty("parameters", out var ps)
                ? ps.EnumerateArray().Where(x => x.GetProperty("in").GetString() == "query")
                    .Select(x => (Name: x.GetProperty("name").GetString()!, Enum: x.TryGetProperty("schema", out var schema) && schema.TryGetProperty("enum", out var e)
                        ? e.EnumerateArray().Select(v => v.GetString()!).ToArray() : null)).ToArray()
                : []))
            .ToList();
        var everyName = operations.SelectMany(o => o.Parameters.Select(p => p.Name)).Concat(["prefecture", "kind", "flag", "sort", "dir", "status", "limit"])
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

        var failures = new List<string>();
        var requests = 0;
        async Task<(HttpStatusCode Status, string Text)> Get(string url)
        {
            requests++;
            using var response = await (url.StartsWith("/api/v1/admin/", StringComparison.Ordinal) ? admin : national).GetAsync(url);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        foreach (var (path, parameters) in operations)
        {
            var url = RouteValues.Fill(path);
            foreach (var name in everyName.Where(n => !parameters.Any(p => p.Name == n)))
            {
                var (status, text) = await Get($"{url}?{name}=%7B%7D");
                // Refused as a name it does not take (unknown_parameter, UnknownParameterTests) is right; refused for its value means it reads it.
                if (status == HttpStatusCode.BadRequest && NamesField(text, name) && !text.Contains("\"unknown_parameter\"", StringComparison.Ordinal))
                {
                    failures.Add($"GET {path} refuses ?{name}= but does not declare it");
                }
            }

            foreach (var (name, allowed) in parameters)
            {
                var (status, text) = await Get($"{url}?{name}={(allowed is null ? "%7B%7D" : "zz-not-a-value")}");
                if (allowed is null && freeText.Contains(name))
                {
                    continue;
                }

                if (status != HttpStatusCode.BadRequest || !NamesField(text, name))
                {
                    failures.Add($"GET {path}?{name}={(allowed is null ? "{}" : "zz-not-a-value")} answered {(int)status}, not 400 naming '{name}'{(allowed is null ? " (declare its values, or list it as free text)" : "")}");
                }
            }
        }

        output.WriteLine($"{operations.Count} GET operations, {operations.Sum(o => o.Parameters.Length)} declared query parameters ({operations.Sum(o => o.Parameters.Count(p => p.Enum is not null))} closed sets), {requests} requests");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>
    /// The type of every declared query parameter that is not free text or a closed set (a new one fails here until its
    /// type is said), with values not of that type, values of it outside its bounds, and the words its form is said in.
    /// </summary>
    private static readonly Dictionary<string, (string[] NotOfType, string[] OutOfRange, string FormJa, string FormEn)> Typed = new(StringComparer.Ordinal)
    {
        ["limit"] = (["abc", "1.5", "１２", "1e3", "0x10", "{}"], ["0", "-1", "201", "99999999999999999999"], "整数", "an integer"),
        ["from"] = (["abc", "2026-02-30", "2026/01/01", "20260101", "{}"], [], "YYYY-MM-DD 形式の日付", "a date, YYYY-MM-DD"),
        ["to"] = (["abc", "2026-13-01", "2026-1-1", "{}"], [], "YYYY-MM-DD 形式の日付", "a date, YYYY-MM-DD"),
        ["cursor"] = (["abc", "%%%", "{}"], [], "前のページの nextCursor", "a previous page's nextCursor"),
        ["prefecture"] = (["abc", "1", "013", "１３", "{}"], [], "2桁の都道府県コード（01〜47）", "a two-digit prefecture code (01-47)"),
    };

    /// <summary>
    /// A query value that is not of its parameter's type is a format error, not a range error (a breaker's finding:
    /// <c>?limit=abc</c> was refused as out_of_range): for every query parameter every GET operation declares, each
    /// value not of its type is 400 <c>invalid_format</c> naming the parameter and saying the form expected, Japanese
    /// first (「limit は整数で指定してください（「abc」は整数ではありません）。」); a value of its type outside its bounds
    /// is <c>out_of_range</c>; a value outside a closed set (<c>enum</c>) is <c>unknown_value</c> naming it; never a 5xx.
    /// Failed before: limit=abc was out_of_range, to=abc and from=abc the generic invalid, a malformed cursor
    /// invalid_cursor, prefecture=abc unknown_prefecture and the reconciliation's kind unknown_kind.
    /// </summary>
    [Fact]
    public async Task A_value_not_of_its_parameters_type_is_a_format_error_saying_the_form()
    {
        string[] freeText = ["q", "business", "scenario"];
        using var national = host.National();
        using var admin = host.Client(host.Token(Readiness.Role.Admin));
        using var document = JsonDocument.Parse(await national.GetStringAsync("/openapi/v1.json"));
        var parameters = document.RootElement.GetProperty("paths").EnumerateObject()
            .Where(p => p.Value.TryGetProperty("get", out var get) && get.TryGetProperty("parameters", out _))
            .SelectMany(p => p.Value.GetProperty("get").GetProperty("parameters").EnumerateArray()
                .Where(x => x.GetProperty("in").GetString() == "query")
                .Select(x => (Path: p.Name, Name: x.GetProperty("name").GetString()!, Closed: x.TryGetProperty("schema", out var schema) && schema.TryGetProperty("enum", out _))))
            .ToList();
        Assert.Contains(parameters, p => p.Name == "limit");

        var failures = new List<string>();
        var requests = 0;
        async Task Expect(string path, string name, string value, string code, string? formJa = null, string? formEn = null, string also = "")
        {
            requests++;
            var url = $"{RouteValues.Fill(path)}?{name}={Uri.EscapeDataString(value)}{also}";
            using var response = await (path.StartsWith("/api/v1/admin/", StringComparison.Ordinal) ? admin : national).GetAsync(url);
            var text = await response.Content.ReadAsStringAsync();
            var error = response.StatusCode == HttpStatusCode.BadRequest && response.Content.Headers.ContentType?.MediaType == "application/problem+json"
                ? JsonDocument.Parse(text).RootElement.GetProperty("errors")[0].Clone()
                : default;
            if (error.ValueKind != JsonValueKind.Object)
            {
                failures.Add($"GET {url}: {(int)response.StatusCode}, not a 400 problem: {text[..Math.Min(160, text.Length)]}");
                return;
            }

            var (field, got, ja, en) = (error.GetProperty("field").GetString(), error.GetProperty("code").GetString(), error.GetProperty("messageJa").GetString()!, error.GetProperty("messageEn").GetString()!);
            if (field != name || got != code)
            {
                failures.Add($"GET {url}: {field}/{got}, not {name}/{code}: {ja}");
            }
            else if ((!ja.StartsWith(name, StringComparison.Ordinal) && !ja.Contains($" {name} ", StringComparison.Ordinal)) || !en.Contains(name, StringComparison.Ordinal))
            {
                failures.Add($"GET {url}: the message does not name '{name}': {ja} / {en}");
            }
            else if (formJa is not null && (!ja.Contains(formJa, StringComparison.Ordinal) || !en.Contains(formEn!, StringComparison.Ordinal)))
            {
                failures.Add($"GET {url}: the message does not say the form ({formJa} / {formEn}): {ja} / {en}");
            }
        }

        foreach (var (path, name, closed) in parameters)
        {
            if (closed)
            {
                await Expect(path, name, "zz-not-a-value", "unknown_value");
            }
            else if (Typed.TryGetValue(name, out var type))
            {
                foreach (var value in type.NotOfType)
                {
                    await Expect(path, name, value, "invalid_format", type.FormJa, type.FormEn);
                }

                foreach (var value in type.OutOfRange)
                {
                    await Expect(path, name, value, "out_of_range");
                }
            }
            else if (!freeText.Contains(name))
            {
                failures.Add($"GET {path}?{name}=: say its type in {nameof(Typed)} (or that it is free text)");
            }
        }

        // Two dates that are dates but not a period: a range fault too.
        await Expect("/api/v1/nation/history", "from", "2026-12-01", "out_of_range", also: "&to=2026-11-01");
        await Expect("/api/v1/nation/history", "from", "2024-01-01", "out_of_range", also: "&to=2026-11-01");

        // The event stream (not in the description: it is no JSON operation) takes a closed set of topics.
        await Expect("/api/v1/stream", "topic", "prefecture:99", "unknown_value");

        output.WriteLine($"{parameters.Count} declared query parameters, {requests} requests");
        Assert.True(failures.Count == 0, $"{failures.Count} of {requests}:\n{string.Join("\n", failures.Take(60))}");
    }

    /// <summary>The query parameters an API handler binds: its simple-typed parameters that are not route values, services or headers.</summary>
    private static IEnumerable<string> QueryNames(RouteEndpoint endpoint)
    {
        if (endpoint.Metadata.GetMetadata<MethodInfo>() is not { } method)
        {
            return [];
        }

        var route = endpoint.RoutePattern.Parameters.Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return method.GetParameters()
            .Where(p => p.GetCustomAttribute<FromServicesAttribute>() is null && p.GetCustomAttribute<FromHeaderAttribute>() is null
                && p.GetCustomAttribute<FromRouteAttribute>() is null && p.GetCustomAttribute<FromBodyAttribute>() is null)
            .Where(p => IsSimple(Nullable.GetUnderlyingType(p.ParameterType) ?? p.ParameterType))
            .Select(p => p.GetCustomAttribute<FromQueryAttribute>()?.Name ?? p.Name!)
            .Where(n => !route.Contains(n));
    }

    private static bool IsSimple(Type type) =>
        type == typeof(string) || type.IsPrimitive || type.IsEnum || type == typeof(DateOnly) || type == typeof(DateTimeOffset)
        || type == typeof(DateTime) || type == typeof(decimal) || type == typeof(Guid) || type == typeof(string[]);

    private static bool NamesField(string problem, string name)
    {
        try
        {
            using var json = JsonDocument.Parse(problem);
            return json.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array
                && errors.EnumerateArray().Any(e => e.TryGetProperty("field", out var f) && string.Equals(f.GetString(), name, StringComparison.OrdinalIgnoreCase));
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Shown(string value) => value.Length > 20 ? $"{value.Length} × '{value[0]}'" : $"\"{value}\"";
}
