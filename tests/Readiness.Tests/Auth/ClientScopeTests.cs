using Readiness.Web.Api;
using Readiness.Web.Clients;

namespace Readiness.Tests.Auth;

/// <summary>The scopes an API client's token gets, and the scope each documented operation asks of it.</summary>
public sealed class ClientScopeTests
{
    [Theory]
    [InlineData(ClientScope.Write, "", "read write")]
    [InlineData(ClientScope.Read, "", "read")]
    [InlineData(ClientScope.Write, "read", "read")]
    [InlineData(ClientScope.Write, "write", "write")]
    [InlineData(ClientScope.Write, "read write read", "read write")]
    [InlineData(ClientScope.Read, "read", "read")]
    [InlineData(ClientScope.Read, "read write", "read")] // never more than the client has, even if asked
    [InlineData(ClientScope.Write, "openid", "read write")] // names of no meaning here grant nothing extra
    public void A_token_gets_the_scopes_asked_for_within_the_clients_own_or_the_clients_own_when_none_is_named(ClientScope client, string requested, string granted) =>
        Assert.Equal(granted, string.Join(' ', ClientRules.GrantedScopes(client, requested.Split(' ', StringSplitOptions.RemoveEmptyEntries))));

    /// <summary>Only the tenant's own administrator, or a system administrator, gives write (breaker's finding M2).</summary>
    [Theory]
    [InlineData("system_administrator", null, "131016", true)]
    [InlineData("municipality_administrator", "131016", "131016", true)]
    [InlineData("prefecture_administrator", "13", "13", true)]
    [InlineData("prefecture_administrator", "13", "131016", false)] // reads its municipalities, never reports for them
    [InlineData("municipality_administrator", "131016", "131024", false)]
    [InlineData("prefecture_staff", "13", "13", false)]
    [InlineData("national_staff", null, "131016", false)]
    [InlineData(null, null, "131016", false)]
    public void Write_is_given_by_the_tenants_own_administrator_or_a_system_administrator(string? role, string? actorTenant, string tenant, bool allowed) =>
        Assert.Equal(allowed, ClientRules.MayGrantWrite(role, actorTenant, tenant));

    [Theory]
    [InlineData(ClientScope.Write, "prefecture_administrator", "13", true, ClientScope.Read)] // made before the rule
    [InlineData(ClientScope.Write, "municipality_administrator", "131016", false, ClientScope.Read)] // no record: no proof
    [InlineData(ClientScope.Write, "municipality_administrator", "131016", true, ClientScope.Write)]
    [InlineData(ClientScope.Read, null, null, false, ClientScope.Read)]
    public void A_write_client_writes_only_when_its_creation_is_on_record_by_one_who_may_give_write(ClientScope scope, string? role, string? actorTenant, bool recorded, ClientScope effective) =>
        Assert.Equal(effective, ClientRules.EffectiveScope(scope, "131016", role, actorTenant, recorded));

    [Theory]
    [InlineData("GET", "/api/v1/municipalities/{code}", "read")]
    [InlineData("head", "/api/v1/nation", "read")]
    [InlineData("PUT", "/api/v1/municipalities/{code}/systems/{businessId}", "write")]
    [InlineData("POST", "/api/v1/municipalities/{code}/reports", "write")]
    [InlineData("PATCH", "/api/v1/prefectures/{prefCode}/systems/{businessId}", "write")]
    [InlineData("GET", "/api/v1/municipalities/{code}/template.xlsx", "write")]
    [InlineData("GET", "/api/v1/admin/clients", null)]
    [InlineData("POST", "/api/v1/imports", null)]
    [InlineData("GET", "/api/v1/scenarios/{scenario}", null)]
    [InlineData("GET", "/api/v1/notifications", null)]
    public void An_operation_asks_API_clients_for_read_to_read_write_to_change_and_nothing_where_only_people_may_call(string method, string path, string? scope) =>
        Assert.Equal(scope, ApiDocs.ClientScopeOf(method, path));
}
