using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// Every change is attributable: each kind of write that leaves an audit or administration log entry records who, when
/// and the client address (and the request id where the entry has one), read back where people read it. A municipality's
/// change did; a planning scenario's save and deletion did not (review finding). Official imports have
/// ImportAuditAddressTests, a designation list's entries PrefectureRunRulesTests (their read view shows no address).
/// </summary>
public sealed class AttributionTests(AccountHost host) : IClassFixture<AccountHost>
{
    private static void AssertLoopback(string? address, string what) =>
        Assert.True(address is not null && IPAddress.TryParse(address, out var ip) && IPAddress.IsLoopback(ip), $"{what}: clientAddress {address ?? "null"}");

    [Fact]
    public async Task Every_kind_of_audited_write_records_who_when_and_the_client_address()
    {
        var start = DateTimeOffset.UtcNow.AddMinutes(-1);

        // A municipality's change: its history.
        using var staff = host.Municipality(ApiHost.Chuo, "attr.staff@city.chuo");
        await host.PutSystem(staff, ApiHost.Chuo, "koseki", """{"phase":"in_production"}""");
        using var national = host.National();
        var history = await national.GetFromJsonAsync<JsonElement>($"/api/v1/municipalities/{ApiHost.Chuo}/history");
        var changes = history.GetProperty("items").EnumerateArray().Where(e => e.GetProperty("subject").GetString() == "attr.staff@city.chuo").ToList();
        Assert.NotEmpty(changes);
        Assert.All(changes, e =>
        {
            Assert.True(e.GetProperty("at").GetDateTimeOffset() >= start);
            Assert.False(string.IsNullOrEmpty(e.GetProperty("requestId").GetString()));
            AssertLoopback(e.GetProperty("clientAddress").GetString(), "municipality change");
        });

        // A planning scenario: created, replaced, deleted; its audit trail in the scenario list.
        using var planner = host.Client(host.Token(Role.National, subject: "attr.planner@digital.go.jp"));
        using (var created = await planner.PostAsync("/api/v1/scenarios", Json("""{"name":"attr-walk","description":"v1"}""")))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using (var replaced = await planner.PostAsync("/api/v1/scenarios", Json("""{"name":"attr-walk","description":"v2","version":1}""")))
        {
            Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        }

        using (var delete = new HttpRequestMessage(HttpMethod.Delete, "/api/v1/scenarios/attr-walk"))
        {
            delete.Headers.IfMatch.Add(new EntityTagHeaderValue("\"2\""));
            using var deleted = await planner.SendAsync(delete);
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        var list = await planner.GetFromJsonAsync<JsonElement>("/api/v1/scenarios");
        var audit = list.GetProperty("audit").EnumerateArray().Where(a => a.GetProperty("name").GetString() == "attr-walk").ToList();
        Assert.Equal(["delete", "update", "create"], audit.Select(a => a.GetProperty("action").GetString()!).ToArray());
        Assert.All(audit, a =>
        {
            Assert.Equal("attr.planner@digital.go.jp", a.GetProperty("actor").GetProperty("subject").GetString());
            Assert.True(a.GetProperty("at").GetDateTimeOffset() >= start);
            AssertLoopback(a.TryGetProperty("clientAddress", out var address) ? address.GetString() : null, "scenario " + a.GetProperty("action").GetString());
            Assert.StartsWith("req-", a.TryGetProperty("requestId", out var id) ? id.GetString() : null, StringComparison.Ordinal);
        });
        Assert.Equal(3, audit.Select(a => a.GetProperty("requestId").GetString()).Distinct(StringComparer.Ordinal).Count());

        // Administration: an API client created, its secret rotated, revoked; a webhook registered and stopped.
        using var admin = host.Client(host.Token(Role.Admin, subject: "attr.admin@digital.go.jp"));
        using var client = await admin.PostAsync("/api/v1/admin/clients",
            Json(JsonSerializer.Serialize(new { name = "attr vendor", tenant = ApiHost.Chuo, scope = "read", expiresAt = DateTimeOffset.UtcNow.AddDays(30) })));
        Assert.Equal(HttpStatusCode.Created, client.StatusCode);
        var clientId = (await client.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("client").GetProperty("clientId").GetString()!;
        using (var rotated = await admin.PostAsync($"/api/v1/admin/clients/{clientId}/secret", null))
        {
            Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        }

        using (var revoked = await admin.DeleteAsync($"/api/v1/admin/clients/{clientId}"))
        {
            Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        }

        using var hook = await admin.PostAsJsonAsync("/api/v1/admin/webhooks", new { url = "https://hooks.example/attr", tenant = "13" });
        Assert.Equal(HttpStatusCode.Created, hook.StatusCode);
        var hookId = (await hook.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        using (var stopped = await admin.DeleteAsync($"/api/v1/admin/webhooks/{hookId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, stopped.StatusCode);
        }

        await host.WithDbAsync(async db =>
        {
            var entries = await db.AdminLog.Where(e => e.ActorSubject == "attr.admin@digital.go.jp").OrderBy(e => e.Id).ToListAsync();
            Assert.Equal(["create_api_client", "rotate_api_client_secret", "revoke_api_client", "register_webhook", "stop_webhook"], entries.Select(e => e.Action).ToArray());
            Assert.All(entries, e =>
            {
                Assert.True(new DateTimeOffset(DateTime.SpecifyKind(e.AtUtc, DateTimeKind.Utc)) >= start);
                AssertLoopback(e.ClientAddress, e.Action);
            });
        });
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
