using System.Net;
using System.Text.Json;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A refusal of the history's period names exactly the bounds sent that are at fault (a bound not sent is told as the
/// default day it stood for), and the API description declares the rules the server refuses by: the period's order and
/// 366-day span on from and to, and a prefecture code's two digits as a pattern. A breaker's findings, round 42.
/// </summary>
public sealed class QueryRuleTests(ApiHost host) : IClassFixture<ApiHost>
{
    private static async Task<List<JsonElement>> RefusedAsync(HttpClient client, string query)
    {
        using var response = await client.GetAsync(new Uri($"/api/v1/nation/history?{query}", UriKind.Relative));
        var problem = await ApiHost.AssertProblem(response, HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors").EnumerateArray().ToList();
        Assert.All(errors, e => Assert.Equal("out_of_range", e.GetProperty("code").GetString()));
        return errors;
    }

    /// <summary>Failed before: from alone was told "from must not be after to" and "the period from 'from' to 'to'", a 'to' never sent; both sent named only from.</summary>
    [Fact]
    public async Task A_period_refusal_names_only_the_bounds_sent()
    {
        using var client = host.National();

        // from alone, after today: from is at fault, against to's default (today), said as such.
        var errors = await RefusedAsync(client, "from=2999-01-01");
        Assert.Equal(["from"], errors.Select(e => e.GetProperty("field").GetString()));
        Assert.Contains("default of 'to'", errors[0].GetProperty("messageEn").GetString(), StringComparison.Ordinal);
        Assert.Contains("既定値", errors[0].GetProperty("messageJa").GetString(), StringComparison.Ordinal);

        // from alone, too far back.
        errors = await RefusedAsync(client, "from=2001-01-01");
        Assert.Equal(["from"], errors.Select(e => e.GetProperty("field").GetString()));
        Assert.Contains("default of 'to'", errors[0].GetProperty("messageEn").GetString(), StringComparison.Ordinal);
        Assert.Contains("366", errors[0].GetProperty("messageEn").GetString(), StringComparison.Ordinal);

        // Both sent, in the wrong order or too far apart: both named, each with the other's day.
        errors = await RefusedAsync(client, "from=2026-12-01&to=2026-11-01");
        Assert.Equal(["from", "to"], errors.Select(e => e.GetProperty("field").GetString()));
        Assert.Contains("2026-11-01", errors[0].GetProperty("messageEn").GetString(), StringComparison.Ordinal);
        Assert.Contains("2026-12-01", errors[1].GetProperty("messageEn").GetString(), StringComparison.Ordinal);
        errors = await RefusedAsync(client, "from=2024-01-01&to=2026-11-01");
        Assert.Equal(["from", "to"], errors.Select(e => e.GetProperty("field").GetString()));
        Assert.DoesNotContain("default", string.Join(" ", errors.Select(e => e.GetProperty("messageEn").GetString())), StringComparison.Ordinal);

        // 366 days, both ends included, is taken; 367 is not.
        using (var ok = await client.GetAsync(new Uri("/api/v1/nation/history?from=2025-11-01&to=2026-11-01", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        errors = await RefusedAsync(client, "from=2025-10-31&to=2026-11-01");
        Assert.Contains("367", errors[0].GetProperty("messageEn").GetString(), StringComparison.Ordinal);
    }

    /// <summary>Failed before: neither the period's rule nor the prefecture code's shape was in the description's schema.</summary>
    [Fact]
    public async Task The_description_declares_the_period_rule_and_the_prefecture_code_shape()
    {
        using var national = host.National();
        using var document = JsonDocument.Parse(await national.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative)));
        var paths = document.RootElement.GetProperty("paths");
        var history = paths.GetProperty("/api/v1/nation/history").GetProperty("get");
        Assert.Contains("366", history.GetProperty("description").GetString(), StringComparison.Ordinal);
        foreach (var name in new[] { "from", "to" })
        {
            var parameter = history.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == name);
            Assert.Contains("366", parameter.GetProperty("description").GetString(), StringComparison.Ordinal);
            Assert.Equal("date", parameter.GetProperty("schema").GetProperty("format").GetString());
        }

        var prefectures = 0;
        foreach (var path in paths.EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Value.ValueKind == JsonValueKind.Object && o.Value.TryGetProperty("parameters", out _)))
            {
                foreach (var parameter in operation.Value.GetProperty("parameters").EnumerateArray()
                    .Where(p => p.GetProperty("in").GetString() == "query" && p.GetProperty("name").GetString() == "prefecture"))
                {
                    prefectures++;
                    var schema = parameter.GetProperty("schema");
                    Assert.True(schema.TryGetProperty("pattern", out var pattern) && pattern.GetString() == "^[0-9]{2}$", $"{path.Name} {operation.Name}: {schema}");
                    Assert.Equal(2, schema.GetProperty("minLength").GetInt32());
                    Assert.Equal(2, schema.GetProperty("maxLength").GetInt32());
                }
            }
        }

        Assert.True(prefectures >= 3, $"{prefectures} ?prefecture= parameters");
    }
}
