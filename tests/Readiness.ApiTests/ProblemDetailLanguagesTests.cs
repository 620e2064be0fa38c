using System.Net;
using System.Net.Http.Json;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// A 400 with several faults lists each in its <c>detail</c> in Japanese and in English (a breaker's finding, round 49:
/// the Japanese said only how many there were, "2件の誤りがあります。", while the English listed them).
/// </summary>
public sealed class ProblemDetailLanguagesTests(ApiHost host) : IClassFixture<ApiHost>
{
    [Fact]
    public async Task The_detail_of_a_refusal_with_several_faults_lists_each_in_both_languages()
    {
        await host.WaitUntilReadyAsync();
        using var me = host.Municipality(ApiHost.Chiyoda, "detail-languages@city.chiyoda");
        using var response = await me.PutAsJsonAsync("/api/v1/notifications/preferences", new
        {
            items = new object?[]
            {
                new { kind = "regression", mail = true, inApp = true, frequency = "daily" },
                new { kind = "regression", mail = false, inApp = true, frequency = "daily" },
                new { kind = "regression", mail = true, inApp = false, frequency = "weekly" },
            },
        });
        var problem = await ApiHost.AssertProblem(response, HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors").EnumerateArray().ToList();
        Assert.Equal(2, errors.Count);
        var detail = problem.GetProperty("detail").GetString()!;
        var (ja, en) = (detail[..detail.IndexOf(" / ", StringComparison.Ordinal)], detail[(detail.IndexOf(" / ", StringComparison.Ordinal) + 3)..]);
        foreach (var error in errors)
        {
            var field = error.GetProperty("field").GetString();
            Assert.Contains($"[{field}] {error.GetProperty("messageJa").GetString()}", ja, StringComparison.Ordinal);
            Assert.Contains($"[{field}] {error.GetProperty("messageEn").GetString()}", en, StringComparison.Ordinal);
        }

        Assert.StartsWith("2件の誤りがあります", ja, StringComparison.Ordinal);
        Assert.StartsWith("2 problems", en, StringComparison.Ordinal);
    }
}
