using System.Globalization;
using System.Net;
using System.Text.Json;
using Readiness.Testing;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// Every GET's query parameters in the served /openapi/v1.json against what the server accepts and refuses, over real
/// HTTP (a breaker's finding: ?limit= and ?from=/?to= were declared strings, so a generated client took "abc" and the
/// server refused it): a parameter declared an integer has its minimum and maximum, and the server takes each bound
/// and refuses one past it as out_of_range and a non-integer as invalid_format; one declared a date (format: date)
/// is refused invalid_format for a day that does not exist; and no parameter declared a plain string is refused as
/// "not an integer" or "not a date" (its type left undeclared).
/// </summary>
public sealed class TypedQueryParameterTests(ApiHost host) : IClassFixture<ApiHost>
{
    [Fact]
    public async Task Each_query_parameter_s_declared_type_and_bounds_are_what_the_server_accepts_and_refuses()
    {
        using var national = host.National();
        using var document = JsonDocument.Parse(await national.GetStringAsync("/openapi/v1.json"));
        var failures = new List<string>();
        var (integers, days) = (0, 0);
        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject())
        {
            if (!path.Value.TryGetProperty("get", out var operation) || !operation.TryGetProperty("parameters", out var parameters))
            {
                continue;
            }

            using var caller = CallerFor(path.Name);
            var url = RouteValues.Fill(path.Name);
            foreach (var parameter in parameters.EnumerateArray().Where(p => p.GetProperty("in").GetString() == "query"))
            {
                var name = parameter.GetProperty("name").GetString()!;
                var schema = parameter.GetProperty("schema");
                var type = schema.TryGetProperty("type", out var t) ? t.ToString() : null;
                var format = schema.TryGetProperty("format", out var f) ? f.GetString() : null;
                var where = $"{path.Name} ?{name}";
                if (type?.Contains("integer", StringComparison.Ordinal) == true)
                {
                    integers++;
                    if (!schema.TryGetProperty("minimum", out var min) || !schema.TryGetProperty("maximum", out var max))
                    {
                        failures.Add($"{where}: an integer without minimum and maximum");
                        continue;
                    }

                    var (low, high) = (min.GetInt64(), max.GetInt64());
                    foreach (var (value, expected) in new (long? Value, string? Code)[] { (low, null), (high, null), (low - 1, "out_of_range"), (high + 1, "out_of_range"), (null, "invalid_format") })
                    {
                        var text = value?.ToString(CultureInfo.InvariantCulture) ?? "abc";
                        var code = await RefusalAsync(caller, url, name, text);
                        if (code != expected)
                        {
                            failures.Add($"{where}={text}: declared {low}..{high}, answered {code ?? "taken"}, expected {expected ?? "taken"}");
                        }
                    }
                }
                else if (format == "date")
                {
                    days++;
                    var code = await RefusalAsync(caller, url, name, "2026-02-30");
                    if (code != "invalid_format")
                    {
                        failures.Add($"{where}=2026-02-30: declared a date, answered {code ?? "taken"}");
                    }
                }
                else if (type == "string" && !schema.TryGetProperty("enum", out _) && !schema.TryGetProperty("pattern", out _))
                {
                    // A plain string: the server must not hold it to a type the description does not say.
                    var (code, message) = await RefusalWithMessageAsync(caller, url, name, "abc");
                    if (code == "invalid_format" && (message.Contains("an integer", StringComparison.Ordinal) || message.Contains("a date", StringComparison.Ordinal)))
                    {
                        failures.Add($"{where}: declared a plain string, refused 'abc' as: {message}");
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(integers >= 4, $"the paged trails' ?limit= are declared integers ({integers} found)");
        Assert.True(days >= 2, $"?from= and ?to= are declared dates ({days} found)");
    }

    /// <summary>The code of the refusal naming <paramref name="name"/>, null when the value is taken (no 400 names it).</summary>
    private static async Task<string?> RefusalAsync(HttpClient caller, string url, string name, string value) =>
        (await RefusalWithMessageAsync(caller, url, name, value)).Code;

    private static async Task<(string? Code, string Message)> RefusalWithMessageAsync(HttpClient caller, string url, string name, string value)
    {
        using var response = await caller.GetAsync(new Uri($"{url}?{name}={Uri.EscapeDataString(value)}", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != HttpStatusCode.BadRequest || response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return (null, string.Empty);
        }

        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var error = problem.GetProperty("errors").EnumerateArray().FirstOrDefault(e => e.GetProperty("field").GetString() == name);
        return error.ValueKind == JsonValueKind.Undefined ? (null, string.Empty) : (error.GetProperty("code").GetString(), error.GetProperty("messageEn").GetString()!);
    }

    private HttpClient CallerFor(string path) =>
        path.StartsWith("/api/v1/admin/", StringComparison.Ordinal) ? host.Client(host.Token(Role.Admin))
        : path.Contains("/municipalities/{code}", StringComparison.Ordinal) ? host.Municipality(ApiHost.Chiyoda, "typed@city.chiyoda")
        : path.StartsWith("/api/v1/prefectures/{prefCode}/systems", StringComparison.Ordinal) ? host.Client(host.Token(Role.Prefecture, "13"))
        : host.National();
}
