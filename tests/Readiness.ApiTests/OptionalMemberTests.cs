using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using Readiness.Web.Api;
using Xunit;
using Readiness.Testing;

namespace Readiness.ApiTests;

/// <summary>
/// Leaving an optional member out of a request body means the same as sending it as null (breaker's finding: a target
/// shift without <c>prefectureCode</c> was refused 400 <c>required</c> although the message says "omit for all", and a
/// webhook without <c>tenant</c> likewise). The kind: a nullable positional record parameter without a default is
/// required under <see cref="System.Text.Json.JsonSerializerOptions.RespectRequiredConstructorParameters"/>.
/// </summary>
public sealed partial class OptionalMemberTests(ApiHost host) : IClassFixture<ApiHost>
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>Every type the server reads a JSON body as (found in the sources, so a new one is checked too): no member is both nullable and required.</summary>
    [Fact]
    public void No_request_member_is_both_nullable_and_required()
    {
        var web = typeof(JsonBody).Assembly;
        var roots = Directory.EnumerateFiles(Path.Combine(RepositoryFolder.Root, "web"), "*.cs", SearchOption.AllDirectories)
            .SelectMany(f => ReadCall().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))
            .Distinct(StringComparer.Ordinal)
            .Select(name => web.GetTypes().Single(t => t.Name == name))
            .ToList();
        Assert.True(roots.Count >= 8, string.Join(", ", roots.Select(t => t.Name)));

        var faults = new List<string>();
        var seen = new HashSet<Type>();
        foreach (var root in roots)
        {
            Walk(JsonBody.RequestOptions.GetTypeInfo(root), root.Name);
        }

        Assert.True(faults.Count == 0, "nullable yet required (leaving it out is refused while null is accepted): " + string.Join("; ", faults));

        void Walk(JsonTypeInfo info, string path)
        {
            if (!seen.Add(info.Type))
            {
                return;
            }

            if (info.ElementType is { } element)
            {
                Walk(JsonBody.RequestOptions.GetTypeInfo(element), path + "[]");
            }

            if (info.Kind != JsonTypeInfoKind.Object)
            {
                return;
            }

            foreach (var property in info.Properties)
            {
                if (property.IsRequired && property.IsSetNullable)
                {
                    faults.Add($"{path}.{property.Name}");
                }

                Walk(JsonBody.RequestOptions.GetTypeInfo(Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType), $"{path}.{property.Name}");
            }
        }
    }

    [Fact]
    public async Task A_target_shift_without_prefectureCode_is_for_all_prefectures_as_with_null()
    {
        using var national = host.National();
        using var omitted = await national.PostAsync("/api/v1/scenarios", Json("""{"name":"omit-prefecture","targetShifts":[{"months":6}]}"""));
        Assert.True(omitted.StatusCode == HttpStatusCode.Created, await omitted.Content.ReadAsStringAsync());
        using var explicitNull = await national.PostAsync("/api/v1/scenarios", Json("""{"name":"null-prefecture","targetShifts":[{"prefectureCode":null,"months":6}]}"""));
        Assert.Equal(HttpStatusCode.Created, explicitNull.StatusCode);

        var list = await national.GetFromJsonAsync<JsonElement>("/api/v1/scenarios");
        var shifts = list.GetProperty("scenarios").EnumerateArray()
            .Where(s => s.GetProperty("name").GetString() is "omit-prefecture" or "null-prefecture")
            .Select(s => s.GetProperty("targetShifts").GetRawText()).ToList();
        Assert.Equal(2, shifts.Count);
        Assert.Equal(shifts[0], shifts[1]);
        Assert.Contains("\"prefectureCode\":null", shifts[0], StringComparison.Ordinal);

        // months stays required: without it nothing is saved and the answer names it.
        using var noMonths = await national.PostAsync("/api/v1/scenarios", Json("""{"name":"no-months","targetShifts":[{"prefectureCode":"13"}]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, noMonths.StatusCode);
        Assert.Contains("targetShifts[0].months", await noMonths.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_webhook_without_tenant_is_for_all_tenants_as_with_null()
    {
        using var admin = host.Client(host.Token(Role.Admin, subject: "optional-member-admin"));
        using var registered = await admin.PostAsync("/api/v1/admin/webhooks", Json("""{"url":"https://hooks.example/omitted-tenant"}"""));
        var body = await registered.Content.ReadAsStringAsync();
        Assert.True(registered.StatusCode == HttpStatusCode.Created, body);
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(body).RootElement.GetProperty("tenant").ValueKind);
    }

    [GeneratedRegex(@"JsonBody\.Read\w*Async<(\w+)>")]
    private static partial Regex ReadCall();
}
