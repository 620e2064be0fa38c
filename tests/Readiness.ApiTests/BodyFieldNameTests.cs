using System.Net;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// One member, one name: a member sent with the wrong type (400 from the body reader) and the same member breaking a
/// rule (422 from the rules) are named by the same JSON path relative to the body, on a single system or item write
/// (<c>plannedGoLive</c>) and inside a report (<c>systems[1].plannedGoLive</c>). The kind found: the 400 said
/// <c>plannedGoLive</c> / <c>systems[1].plannedGoLive</c> while the 422 said <c>systems[child_allowance].plannedGoLive</c>.
/// </summary>
public sealed class BodyFieldNameTests(ApiHost host) : IClassFixture<ApiHost>
{
    /// <summary>(collection, member, wrong type, rule violation, other members the violation needs).</summary>
    public static TheoryData<string, string, string, string, string> Members => new()
    {
        { "systems", "plannedGoLive", "5", "\"2019-12-31\"", "" },
        { "systems", "vendor", "5", "\"株式会社\\u202Eサンプル\"", "" },
        { "systems", "regressionReason", "5", "\"体制\\u202E見直し\"", "" },
        { "systems", "designationTarget", "5", "\"2019-12-31\"", "\"designated\":true,\"designationReason\":\"mainframe\"," },
        { "security", "lastReviewed", "5", "\"2019-12-31\"", "\"status\":\"implemented\"," },
        { "security", "evidence", "5", "\"規程\\u001B第3条\"", "\"status\":\"implemented\"," },
    };

    [Theory]
    [MemberData(nameof(Members))]
    public async Task A_member_has_one_name_whether_malformed_or_refused_by_a_rule(string collection, string member, string wrongType, string violation, string needs)
    {
        using var client = host.Municipality(ApiHost.Chiyoda, "field-names@city.chiyoda");
        var (target, key, keyName, other) = collection == "systems"
            ? ("systems/child_allowance", "child_allowance", "businessId", "koseki")
            : ("security/SEC-1-02", "SEC-1-02", "itemId", "SEC-1-01");

        // A single write: the body is the item, so the member is named by itself.
        foreach (var (value, status) in new[] { (wrongType, HttpStatusCode.BadRequest), (violation, HttpStatusCode.UnprocessableEntity) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/municipalities/{ApiHost.Chiyoda}/{target}")
            {
                Content = new StringContent($"{{{needs}\"{member}\":{value}}}", Encoding.UTF8, "application/json"),
            };
            request.Headers.TryAddWithoutValidation("If-Match", "*");
            using var response = await client.SendAsync(request);
            await AssertNames(response, status, member);
        }

        // A report: the item is named by its index in the array sent; an item sent twice by the index of the second.
        foreach (var (value, status) in new[] { (wrongType, HttpStatusCode.BadRequest), (violation, HttpStatusCode.UnprocessableEntity) })
        {
            var first = collection == "systems" ? $"{{\"{keyName}\":\"{other}\"}}" : $"{{\"{keyName}\":\"{other}\",\"status\":\"implemented\"}}";
            var item = $"{{\"{keyName}\":\"{key}\",{needs}\"{member}\":{value}}}";
            foreach (var (items, index) in new[] { ($"[{first},{item}]", 1), ($"[{first},{{\"{keyName}\":\"{key}\"{(collection == "security" ? ",\"status\":\"implemented\"" : "")}}},{item}]", 2) })
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/municipalities/{ApiHost.Chiyoda}/reports")
                {
                    Content = new StringContent($"{{\"{collection}\":{items}}}", Encoding.UTF8, "application/json"),
                };
                request.Headers.TryAddWithoutValidation("Idempotency-Key", Guid.NewGuid().ToString());
                request.Headers.TryAddWithoutValidation("If-Match", "*");
                using var response = await client.SendAsync(request);
                await AssertNames(response, status, $"{collection}[{index}].{member}");
            }
        }
    }

    private static async Task AssertNames(HttpResponseMessage response, HttpStatusCode status, string field)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status} naming '{field}', got {(int)response.StatusCode}: {text}");
        var fields = JsonDocument.Parse(text).RootElement.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()).ToList();
        Assert.True(fields.Contains(field), $"{(int)status} should name '{field}', named {string.Join(", ", fields)}: {text}");
    }
}
