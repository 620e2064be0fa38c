using Readiness.Catalog;
using Readiness.Web.Auth;
using Readiness.Web.Identity;

namespace Readiness.Web.Clients;

/// <summary>Who administers API clients, for which tenants, as pure functions (tested directly).</summary>
public static class ClientRules
{
    /// <summary>Longest lifetime of an access token; a client's expiry shortens it further.</summary>
    public static readonly TimeSpan MaxTokenLifetime = TimeSpan.FromMinutes(10);

    /// <summary>Longest a client may live (a year: vendors rotate secrets at least yearly).</summary>
    public static readonly TimeSpan MaxClientLifetime = TimeSpan.FromDays(366);

    /// <summary>Days from today (in Japan) to the expiry a new client gets when none is given: the dashboard form's default too.</summary>
    public const int DefaultLifetimeDays = 90;

    /// <summary>The default expiry day: today in Japan plus <see cref="DefaultLifetimeDays"/>.</summary>
    public static DateOnly DefaultExpiryDay(DateTimeOffset now) => Api.JapanTime.Today(now).AddDays(DefaultLifetimeDays);

    /// <summary>The default expiry: the end of <see cref="DefaultExpiryDay"/> in Japan time.</summary>
    public static DateTimeOffset DefaultExpiry(DateTimeOffset now) => Api.JapanTime.EndOfDay(DefaultExpiryDay(now));

    public static string Name(ClientScope scope) => scope == ClientScope.Write ? "write" : "read";

    /// <summary>
    /// A scope's name (<see cref="Name"/>: "read" or "write") in words, as the dashboard's form offers it, the wire name
    /// kept in brackets (it is what the connected system asks for); an unknown name as it is.
    /// </summary>
    public static string Label(string scope, bool english) => scope switch
    {
        "read" => english ? "Read (read)" : "閲覧（read）",
        "write" => english ? "Read and report (write)" : "閲覧と報告（write）",
        _ => scope,
    };

    public static bool TryParseScope(string? text, out ClientScope scope)
    {
        scope = text == "write" ? ClientScope.Write : ClientScope.Read;
        return text is "read" or "write";
    }

    /// <summary>
    /// The scopes a token gets (RFC 6749 §3.3): those requested, or, when none is named, the client's own (read, and
    /// write for a write client). A write client that asks for <c>read</c> alone gets a read-only token, so a job that
    /// only reads can hold a token that cannot change anything. OpenIddict has already refused (invalid_scope) a scope
    /// the client is not permitted.
    /// </summary>
    public static IReadOnlyList<string> GrantedScopes(ClientScope clientScope, IEnumerable<string> requested)
    {
        var granted = requested.Where(s => s is "read" or "write").Distinct(StringComparer.Ordinal).ToList();
        if (granted.Count > 0)
        {
            return clientScope == ClientScope.Write ? granted : [.. granted.Where(s => s == "read")];
        }

        return clientScope == ClientScope.Write ? ["read", "write"] : ["read"];
    }

    /// <summary>A client's tenant: a municipality (6 digits) or a prefecture (2 digits) of the catalog.</summary>
    public static bool IsValidTenant(string? tenant) =>
        tenant is not null && (ReadinessCatalog.Instance.IsMunicipality(tenant) || ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(tenant));

    /// <summary>The API role a client of this tenant acts as.</summary>
    public static Role RoleOf(string tenant) => tenant.Length == 2 ? Role.Prefecture : Role.Municipality;

    /// <summary>
    /// Whether the caller may create, list or revoke clients of <paramref name="tenant"/>: system administrators (an
    /// admin token or account) any; a prefecture administrator its prefecture and its municipalities; a municipality
    /// administrator its own municipality. Staff, viewers, reporters and API clients themselves: none.
    /// </summary>
    public static bool CanAdminister(ClientAdministrator actor, string tenant) => actor.Kind switch
    {
        AccountRole.SystemAdministrator => true,
        AccountRole.PrefectureAdministrator => actor.Tenant is not null && tenant.StartsWith(actor.Tenant, StringComparison.Ordinal),
        AccountRole.MunicipalityAdministrator => actor.Tenant is not null && tenant == actor.Tenant,
        _ => false,
    };

    /// <summary>
    /// Whether an administrator may give a client of <paramref name="tenant"/> the write scope: only reporting staff
    /// edit a tenant's figures, so a write client comes from that tenant's own administrator (a municipality
    /// administrator for its municipality, a prefecture administrator for its prefecture's own systems) or a system
    /// administrator (the operator setting up a vendor's feed). A prefecture administrator reads its municipalities
    /// and may give their clients read only. <paramref name="actorRole"/> is an account role's wire name
    /// (<see cref="AccountRules.Name"/>), as the admin log records it; unknown or null: no.
    /// </summary>
    public static bool MayGrantWrite(string? actorRole, string? actorTenant, string tenant) =>
        AccountRules.TryParse(actorRole, out var role) && role switch
        {
            AccountRole.SystemAdministrator => true,
            AccountRole.PrefectureAdministrator or AccountRole.MunicipalityAdministrator => actorTenant is not null && actorTenant == tenant,
            _ => false,
        };

    /// <summary>
    /// The scope a client's tokens may carry: its own, except that a write client whose creation is not on record as
    /// made by an administrator who may give write (<see cref="MayGrantWrite"/>), from the admin log's
    /// create_api_client entry, reads only. That covers clients created before the rule (a prefecture administrator's
    /// write client for a municipality) and a client whose entry is missing: with no proof of who gave write, the
    /// safe answer is read.
    /// </summary>
    public static ClientScope EffectiveScope(ClientScope scope, string tenant, string? creatorRole, string? creatorTenant, bool creationRecorded) =>
        scope == ClientScope.Write && (!creationRecorded || !MayGrantWrite(creatorRole, creatorTenant, tenant)) ? ClientScope.Read : scope;

    /// <summary>The administrator behind a request, or null: an account's role (account_role claim), else an admin token.</summary>
    public static ClientAdministrator? Administrator(ReadinessCaller? caller, string? accountRole)
    {
        if (caller is null || caller.IsApiClient)
        {
            return null;
        }

        if (accountRole is not null)
        {
            return AccountRules.TryParse(accountRole, out var role) && AccountRules.IsAdministrator(role) ? new ClientAdministrator(caller.Subject, role, caller.Tenant) : null;
        }

        return caller.Role == Role.Admin ? new ClientAdministrator(caller.Subject, AccountRole.SystemAdministrator, null) : null;
    }
}

/// <summary>Who administers clients: subject, the administrator kind (an account role) and tenant.</summary>
public sealed record ClientAdministrator(string Subject, AccountRole Kind, string? Tenant);
