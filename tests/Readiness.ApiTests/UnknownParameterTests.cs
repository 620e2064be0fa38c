using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Xunit.Abstractions;

namespace Readiness.ApiTests;

/// <summary>
/// Under /api a query parameter the endpoint does not take is refused (400 <c>unknown_parameter</c> naming it, both
/// languages), on every GET operation of the API description, while every parameter it declares is taken. The kind
/// found: <c>/api/v1/export/municipalities.csv?pref=27</c> answered the whole nation (34,822 lines) as if filtered, and
/// <c>…/prefectures/27/municipalities.csv?flags=overdue</c> every row.
/// </summary>
public sealed class UnknownParameterTests(ApiHost host, ITestOutputHelper output) : IClassFixture<ApiHost>
{
    /// <summary>
    /// A handler's injected services are no query parameters: on every API GET, a query named like one of them is refused
    /// as unknown, and no refusal lists it among the names taken (a breaker's finding: the change feeds took ?audit=x, the
    /// name of their IAuditLog, and offered "audit").
    /// </summary>
    [Fact]
    public async Task A_service_a_handler_is_given_is_no_query_parameter()
    {
        var endpoints = host.Services.GetRequiredService<Microsoft.AspNetCore.Routing.EndpointDataSource>().Endpoints.OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/v1/", StringComparison.Ordinal) && e.RoutePattern.RawText != "/api/v1/stream"
                && (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IHttpMethodMetadata>()?.HttpMethods.Contains("GET") ?? false))
            .ToList();
        using var national = host.National();
        var asked = 0;
        var failures = new List<string>();
        foreach (var endpoint in endpoints)
        {
            var services = endpoint.Metadata.GetMetadata<System.Reflection.MethodInfo>()?.GetParameters()
                .Where(p => p.ParameterType.IsInterface || (p.ParameterType.IsClass && p.ParameterType != typeof(string) && !p.ParameterType.IsArray
                    && p.ParameterType.Namespace?.StartsWith("Readiness", StringComparison.Ordinal) == true))
                .Select(p => p.Name!).ToList() ?? [];
            foreach (var name in services)
            {
                using var response = await national.GetAsync($"{RouteValues.Fill(endpoint.RoutePattern.RawText!)}?{name}=x");
                var text = await response.Content.ReadAsStringAsync();
                if (response.StatusCode == HttpStatusCode.Forbidden)
                {
                    continue; // not national staff's to read (administrators', a municipality's): authorization answers first
                }

                asked++;
                if (response.StatusCode != HttpStatusCode.BadRequest || !text.Contains("unknown_parameter", StringComparison.Ordinal) || text.Contains($" {name},", StringComparison.Ordinal) || text.Contains($" {name} ", StringComparison.Ordinal))
                {
                    failures.Add($"{endpoint.RoutePattern.RawText}?{name}=x: {(int)response.StatusCode} {text[..Math.Min(200, text.Length)]}");
                }
            }
        }

        output.WriteLine($"{asked} service parameters asked as queries");
        Assert.True(asked > 10, $"only {asked} service parameters found");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task A_misspelt_filter_is_refused_naming_it_and_the_right_one_is_taken()
    {
        using var national = host.National();
        foreach (var (url, name) in new[]
        {
            ("/api/v1/export/municipalities.csv?pref=27", "pref"),
            ("/api/v1/prefectures/27/municipalities.csv?flags=overdue", "flags"),
            ("/api/v1/nation?Prefecture=13&zz=1", "Prefecture"),
        })
        {
            using var response = await national.GetAsync(url);
            var problem = await ApiHost.AssertProblem(response, HttpStatusCode.BadRequest, name);
            var error = problem.GetProperty("errors")[0];
            Assert.Equal("unknown_parameter", error.GetProperty("code").GetString());
            Assert.Contains($"「{name}」", error.GetProperty("messageJa").GetString(), StringComparison.Ordinal);
        }

        using (var filtered = await national.GetAsync("/api/v1/export/municipalities.csv?prefecture=27"))
        {
            Assert.Equal(HttpStatusCode.OK, filtered.StatusCode);
        }

        // Names compared ignoring case, as binding does; an empty value is as if absent.
        using (var cased = await national.GetAsync("/api/v1/prefectures/27/municipalities.csv?FLAG=overdue&unused="))
        {
            Assert.Equal(HttpStatusCode.OK, cased.StatusCode);
        }
    }

    [Fact]
    public async Task Every_get_operation_refuses_a_name_it_does_not_declare_and_takes_each_it_does()
    {
        using var national = host.National();
        using var admin = host.Client(host.Token(Readiness.Role.Admin));
        using var document = JsonDocument.Parse(await national.GetStringAsync("/openapi/v1.json"));
        var failures = new List<string>();
        var operations = 0;
        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject().Where(p => p.Value.TryGetProperty("get", out _)))
        {
            operations++;
            var client = path.Name.StartsWith("/api/v1/admin/", StringComparison.Ordinal) ? admin : national;
            var url = RouteValues.Fill(path.Name);
            using (var response = await client.GetAsync($"{url}?zz_not_a_parameter=1"))
            {
                var text = await response.Content.ReadAsStringAsync();
                if (response.StatusCode == HttpStatusCode.Forbidden)
                {
                    continue; // authorization comes first: this caller may not read it at all (a municipality's template)
                }

                if (response.StatusCode != HttpStatusCode.BadRequest || !text.Contains("\"unknown_parameter\"", StringComparison.Ordinal) || !text.Contains("zz_not_a_parameter", StringComparison.Ordinal))
                {
                    failures.Add($"GET {path.Name}?zz_not_a_parameter=1 answered {(int)response.StatusCode}, not 400 unknown_parameter");
                }
            }

            // Every declared name at once: the check runs before the handler and names the first it does not take.
            var declared = path.Value.GetProperty("get").TryGetProperty("parameters", out var ps)
                ? ps.EnumerateArray().Where(x => x.GetProperty("in").GetString() == "query").Select(x => x.GetProperty("name").GetString()!).ToList()
                : [];
            if (declared.Count > 0)
            {
                using var response = await client.GetAsync($"{url}?{string.Join("&", declared.Select(n => $"{n}=zz"))}");
                var text = await response.Content.ReadAsStringAsync();
                if (text.Contains("\"unknown_parameter\"", StringComparison.Ordinal))
                {
                    failures.Add($"GET {path.Name} declares {string.Join(", ", declared)} but refuses one as unknown: {text}");
                }
            }
        }

        output.WriteLine($"{operations} GET operations checked");
        Assert.True(operations > 20, $"only {operations} GET operations in the description");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
