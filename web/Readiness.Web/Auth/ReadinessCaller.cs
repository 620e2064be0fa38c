using System.Security.Claims;
using Readiness.Catalog;

namespace Readiness.Web.Auth;

/// <summary>
/// Who is calling, as the authenticated claims say: subject, role and tenant (a municipality or prefecture code).
/// Null when the claims do not make a valid caller (unknown role, a tenant missing or not in the catalog).
/// </summary>
public sealed record ReadinessCaller(string Subject, Role Role, string? Tenant)
{
    /// <summary>A municipality viewer's account (claim read_only=true): reads its municipality, never reports.</summary>
    public bool ReadOnly { get; init; }

    public static ReadinessCaller? From(ClaimsPrincipal? user, ReadinessAuthOptions options)
    {
        if (user?.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        var subject = user.FindFirst(options.SubjectClaim)?.Value;
        var roles = user.FindAll(options.RoleClaim).Select(c => c.Value).Distinct(StringComparer.Ordinal).ToList();
        if (string.IsNullOrWhiteSpace(subject) || roles.Count != 1 || !TryParseRole(roles[0], out var role))
        {
            return null;
        }

        var tenant = user.FindFirst(options.TenantClaim)?.Value;
        return IsValidTenant(role, tenant)
            ? new ReadinessCaller(subject, role, role is Role.National or Role.Admin ? null : tenant) { ReadOnly = user.HasClaim("read_only", "true") }
            : null;
    }

    /// <summary>The four roles a person can have; "system" is the product's own and never comes from a token.</summary>
    public static bool TryParseRole(string? text, out Role role) =>
        Wire.TryParse(text, out role) && role is Role.Municipality or Role.Prefecture or Role.National or Role.Admin;

    public static bool IsValidTenant(Role role, string? tenant) => role switch
    {
        Role.Municipality => tenant is not null && ReadinessCatalog.Instance.IsMunicipality(tenant),
        Role.Prefecture => tenant is not null && ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(tenant),
        Role.National or Role.Admin => true,
        _ => false,
    };

    public Actor ToActor() => new(Subject, Role, Tenant);

    /// <summary>The rate-limit partition: one per municipality or prefecture, one per national or admin person.</summary>
    public string PartitionKey => Role is Role.Municipality or Role.Prefecture ? $"{Wire.Name(Role)}:{Tenant}" : $"{Wire.Name(Role)}:{Subject}";
}

/// <summary>
/// The tenant rules, in one place: the authorization handler applies them to every HTTP endpoint, and
/// <see cref="Api.ReportingService"/> applies them again to every write (the dashboard calls it directly).
/// </summary>
public static class TenantAccess
{
    /// <summary>Summaries (catalog, nation, prefectures): every signed-in role.</summary>
    public static bool CanReadSummaries(ReadinessCaller? caller) => caller is not null;

    /// <summary>A municipality's full state and history: itself, its prefecture, national and admin.</summary>
    public static bool CanReadMunicipality(ReadinessCaller? caller, string code) => caller?.Role switch
    {
        Role.National or Role.Admin => true,
        Role.Prefecture => code.Length >= 2 && code[..2] == caller.Tenant,
        Role.Municipality => code == caller.Tenant,
        _ => false,
    };

    /// <summary>Only the municipality itself reports its data.</summary>
    public static bool CanWriteMunicipality(ReadinessCaller? caller, string code) => caller is { Role: Role.Municipality, ReadOnly: false } && caller.Tenant == code;

    /// <summary>The detailed CSV export: national and admin for any prefecture or all, a prefecture for its own.</summary>
    public static bool CanExport(ReadinessCaller? caller, string? prefectureCode) => caller?.Role switch
    {
        Role.National or Role.Admin => true,
        Role.Prefecture => prefectureCode is null || prefectureCode == caller.Tenant,
        _ => false,
    };
}
