using System.Globalization;
using System.Net;
using System.Text.Json;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// The dashboard's security score says how it is computed (breaker's finding M3): over every applicable item of every
/// municipality in the area, not-assessed counting 0 (the domain rule), shown once any item is assessed. The caption
/// said 「評価済み項目のある団体のみ」 (only where any item is assessed), so one municipality's first assessment read as
/// 0.0 % for a figure the caption claimed covered only assessing municipalities.
/// </summary>
public sealed class SecurityScoreCaptionTests(ApiHost host) : IClassFixture<ApiHost>
{
    [Fact]
    public async Task The_headline_score_is_the_nations_over_every_applicable_item_and_its_caption_says_so()
    {
        using var pages = await host.SignedInPagesAsync(host.Token(Role.National, subject: "caption@digital.go.jp"));
        var before = await SecurityCard(pages);
        Assert.Contains("data-value=\"\"", before.Score, StringComparison.Ordinal); // nothing assessed: not reported, not 0 %

        // One municipality assesses one item as implemented.
        var (body, version) = await host.GetMunicipality(ApiHost.Chiyoda);
        var item = body.GetProperty("security").EnumerateArray().First(i => i.GetProperty("status").GetString() == "not_assessed").GetProperty("itemId").GetString();
        using var chiyoda = host.Municipality(ApiHost.Chiyoda, "security@city.chiyoda");
        using var put = ApiHost.Request(HttpMethod.Put, $"/api/v1/municipalities/{ApiHost.Chiyoda}/security/{item}", """{"status":"implemented"}""", version);
        using var answer = await chiyoda.SendAsync(put);
        Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{answer.StatusCode}: {await answer.Content.ReadAsStringAsync()}");
        var own = (await ApiHost.Json(answer)).GetProperty("figures").GetProperty("securityScore").GetDouble();

        using var national = host.National();
        JsonElement figures = default;
        for (var attempt = 0; attempt < 60; attempt++)
        {
            figures = (await ApiHost.Json(await national.GetAsync("/api/v1/nation"))).GetProperty("figures");
            if (figures.GetProperty("securityStatuses").GetProperty("implemented").GetInt32() > 0)
            {
                break;
            }

            await Task.Delay(500);
        }

        // The nation's score: one implemented item over every applicable item of 1,741 municipalities.
        var applicable = figures.GetProperty("securityApplicableItems").GetInt32();
        Assert.True(applicable > 1741 * 40, $"applicable items {applicable}");
        var nation = figures.GetProperty("securityScore").GetDouble();
        Assert.Equal(1.0 / applicable, nation, 12);
        Assert.NotEqual(own, nation, 6); // the assessing municipality's own score is another figure

        // The card shows that figure, and its caption says what it is computed over.
        var after = await SecurityCard(pages);
        Assert.Contains($"data-value=\"{nation.ToString("R", CultureInfo.InvariantCulture)}\"", after.Score, StringComparison.Ordinal);
        Assert.DoesNotContain("評価済み項目のある団体のみ", after.Hint, StringComparison.Ordinal);
        Assert.Contains("未評価=0", after.Hint, StringComparison.Ordinal);
        Assert.Contains("全団体の対象項目", after.Hint, StringComparison.Ordinal);
        Assert.Contains($">{applicable.ToString("N0", CultureInfo.InvariantCulture)}<", after.Note, StringComparison.Ordinal);
    }

    private static async Task<(string Score, string Note, string Hint)> SecurityCard(HttpClient pages)
    {
        using var response = await pages.GetAsync("/");
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}");
        var start = html.IndexOf("aria-labelledby=\"card-security\"", StringComparison.Ordinal);
        Assert.True(start >= 0, "no security card");
        var card = html[start..html.IndexOf("</section>", start, StringComparison.Ordinal)];
        string Part(string cls)
        {
            var at = card.IndexOf($"class=\"{cls}\"", StringComparison.Ordinal);
            Assert.True(at >= 0, $"no {cls} in the security card");
            return card[at..card.IndexOf("</p>", at, StringComparison.Ordinal)];
        }

        return (Part("card-value"), Part("card-note"), Part("card-hint"));
    }
}
