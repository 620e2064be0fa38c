using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Readiness.Web.Notifications;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// What the notification dispatcher reads of the audit trail: every row's position (so that it moves past all of
/// them), and the sides only of a system's rows, the only rows an event comes from (a full report's 47 checklist rows
/// are not parsed).
/// </summary>
public sealed class NotificationAuditReadTests(ApiHost host) : IClassFixture<ApiHost>
{
    [Fact]
    public async Task The_dispatcher_reads_the_sides_of_system_rows_and_only_the_position_of_checklist_rows()
    {
        const string Code = ApiHost.Chuo;
        var store = host.Services.GetRequiredService<NotificationStore>();
        var end = await store.AuditEndAsync();
        using var client = host.Municipality(Code, "reader@city.chuo");
        var itemId = Catalog.ReadinessCatalog.Instance.SecurityItems[5].Id;
        var vendor = "Dispatcher " + Guid.NewGuid().ToString("N")[..8];
        var json = $$"""{"systems":[{"businessId":"child_allowance","vendor":"{{vendor}}","designated":false}],"security":[{"itemId":"{{itemId}}","status":"partial"}]}""";
        using var response = await client.SendAsync(ApiHost.Request(HttpMethod.Post, $"/api/v1/municipalities/{Code}/reports", json, idempotencyKey: Guid.NewGuid().ToString()));
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");

        var rows = (await store.ReadAuditAsync(end, 0, 1000)).Where(r => r.MunicipalityCode == Code && r.Position > end).ToList();
        var system = Assert.Single(rows, r => r.Target == "system:child_allowance");
        Assert.Contains(system.After, f => f.Name == "vendor" && f.Value == vendor);
        Assert.False(system.Before.IsDefaultOrEmpty);
        var item = Assert.Single(rows, r => r.Target == "security:" + itemId);
        Assert.True(item.Before.IsDefaultOrEmpty && item.After.IsDefaultOrEmpty, "a checklist row's sides are not read");
        Assert.Equal(system.Version, item.Version);
    }
}
