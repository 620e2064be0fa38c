using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Readiness.Web.Notifications;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// What the notification dispatcher reads of the audit trail: a window of positions that it moves past whole, and of
/// it only a system's rows, the only rows an event comes from (a full report's 47 checklist rows are counted, never
/// read).
/// </summary>
public sealed class NotificationAuditReadTests(ApiHost host) : IClassFixture<ApiHost>
{
    [Fact]
    public async Task The_dispatcher_reads_the_system_rows_of_a_window_and_moves_past_the_checklist_rows()
    {
        const string Code = ApiHost.Chuo;
        var store = host.Services.GetRequiredService<NotificationStore>();
        var end = await store.AuditEndAsync();
        using var client = host.Municipality(Code, "reader@city.chuo");
        var itemId = Catalog.ReadinessCatalog.Instance.SecurityItems[5].Id;
        var vendor = "Dispatcher " + Guid.NewGuid().ToString("N")[..8];
        var json = $$"""{"systems":[{"businessId":"child_allowance","vendor":"{{vendor}}","plannedGoLive":"2027-04-01","designated":false}],"security":[{"itemId":"{{itemId}}","status":"partial"}]}""";
        using (var response = await client.SendAsync(ApiHost.Request(HttpMethod.Post, $"/api/v1/municipalities/{Code}/reports", json, idempotencyKey: Guid.NewGuid().ToString(), anyVersion: true)))
        {
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        var window = await store.ReadAuditAsync(end, 0, 1000);
        var rows = window.SystemRows.Where(r => r.MunicipalityCode == Code && r.Position > end).ToList();
        var system = Assert.Single(rows, r => r.Target == "system:child_allowance");
        // Read as the rules judge it: their fields with their values, nothing else (the vendor is not judged).
        Assert.Contains(system.After, f => f.Name == "plannedGoLive" && f.Value == "2027-04-01");
        Assert.Contains(system.After, f => f.Name == "phase");
        Assert.All(system.After, f => Assert.Contains(f.Name, Readiness.Notifications.NotificationRules.JudgedFields));
        Assert.DoesNotContain(system.After, f => f.Name == "vendor");
        Assert.False(system.Before.IsDefaultOrEmpty);
        Assert.All(window.SystemRows, r => Assert.StartsWith("system:", r.Target));
        Assert.True(window.NewRows >= 2, $"the window counts the checklist row too: {window.NewRows}");
        Assert.True(window.End > system.Position, "the checklist row, written after the system's, is inside the window");

        // The same report again keeps every target as stored: its system row is a confirmation, which no rule can
        // judge (both sides alike), so it is counted and moved past, never read.
        var beforeConfirming = await store.AuditEndAsync();
        using (var response = await client.SendAsync(ApiHost.Request(HttpMethod.Post, $"/api/v1/municipalities/{Code}/reports", json, idempotencyKey: Guid.NewGuid().ToString(), anyVersion: true)))
        {
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        var afterConfirming = await store.AuditEndAsync();
        Assert.True(afterConfirming >= beforeConfirming + 2, "the confirming report recorded its system and its item");
        var confirming = await store.ReadAuditAsync(beforeConfirming, 0, 1000);
        Assert.DoesNotContain(confirming.SystemRows, r => r.MunicipalityCode == Code && r.Position > beforeConfirming);
        Assert.Equal(afterConfirming - beforeConfirming, confirming.NewRows);
        Assert.Equal(afterConfirming, confirming.End);

        // A report of checklist items only: nothing to read, but the window still moves past it.
        var before = await store.AuditEndAsync();
        var items = string.Join(",", Catalog.ReadinessCatalog.Instance.SecurityItems.Take(3).Select(i => $$"""{"itemId":"{{i.Id}}","status":"implemented","evidence":"{{vendor}}"}"""));
        using (var response = await client.SendAsync(ApiHost.Request(HttpMethod.Post, $"/api/v1/municipalities/{Code}/reports", $$"""{"security":[{{items}}]}""", idempotencyKey: Guid.NewGuid().ToString(), anyVersion: true)))
        {
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        var after = await store.AuditEndAsync();
        Assert.True(after > before, "the checklist report wrote audit rows");
        var checklist = await store.ReadAuditAsync(before, 0, 1000);
        Assert.DoesNotContain(checklist.SystemRows, r => r.MunicipalityCode == Code && r.Position > before);
        Assert.Equal(after - before, checklist.NewRows);
        Assert.Equal(after, checklist.End);

        // A window smaller than what is there ends at its last row, and nothing new leaves the position where it was.
        var first = await store.ReadAuditAsync(before, 0, 1);
        Assert.Equal((1, before + 1), (first.NewRows, first.End));
        var none = await store.ReadAuditAsync(after, 0, 1000);
        Assert.Equal((0, after), (none.NewRows, none.End));
    }
}
