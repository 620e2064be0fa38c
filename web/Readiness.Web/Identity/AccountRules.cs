using Readiness.Catalog;

namespace Readiness.Web.Identity;

/// <summary>
/// The tenant rules of accounts, as pure functions: how a role maps onto the API's roles, who needs a second factor,
/// who may invite (or give) which role for which tenant, and whose accounts an administrator manages.
/// </summary>
public static class AccountRules
{
    /// <summary>The wire names used in forms, the admin log and docs (snake_case, like every other enum on the wire).</summary>
    public static string Name(AccountRole role) => role switch
    {
        AccountRole.SystemAdministrator => "system_administrator",
        AccountRole.NationalStaff => "national_staff",
        AccountRole.PrefectureAdministrator => "prefecture_administrator",
        AccountRole.PrefectureStaff => "prefecture_staff",
        AccountRole.MunicipalityAdministrator => "municipality_administrator",
        AccountRole.MunicipalityReporter => "municipality_reporter",
        AccountRole.MunicipalityViewer => "municipality_viewer",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    public static bool TryParse(string? text, out AccountRole role)
    {
        foreach (var r in Enum.GetValues<AccountRole>())
        {
            if (Name(r) == text)
            {
                role = r;
                return true;
            }
        }

        role = default;
        return false;
    }

    /// <summary>The API role a person of this account role acts as (claims "role" and "tenant").</summary>
    public static Role ApiRole(AccountRole role) => role switch
    {
        AccountRole.SystemAdministrator => Role.Admin,
        AccountRole.NationalStaff => Role.National,
        AccountRole.PrefectureAdministrator or AccountRole.PrefectureStaff => Role.Prefecture,
        _ => Role.Municipality,
    };

    /// <summary>A viewer reads its municipality but never reports.</summary>
    public static bool IsReadOnly(AccountRole role) => role == AccountRole.MunicipalityViewer;

    public static bool IsAdministrator(AccountRole role) =>
        role is AccountRole.SystemAdministrator or AccountRole.PrefectureAdministrator or AccountRole.MunicipalityAdministrator;

    /// <summary>
    /// Roles that write municipal data or administer users need a second factor (MIC's security guideline asks for
    /// strong authentication around the My Number segment); <c>Readiness:Auth:RequireMfa=false</c> turns this off for demos.
    /// </summary>
    public static bool RequiresMfa(AccountRole role) =>
        IsAdministrator(role) || role == AccountRole.MunicipalityReporter;

    /// <summary>Whether the tenant code fits the role: none for national roles, a prefecture or a municipality code otherwise.</summary>
    public static bool IsValidTenant(AccountRole role, string? tenant) => ApiRole(role) switch
    {
        Role.Admin or Role.National => tenant is null,
        Role.Prefecture => tenant is not null && ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(tenant),
        _ => tenant is not null && ReadinessCatalog.Instance.IsMunicipality(tenant),
    };

    /// <summary>
    /// The fault of a tenant code that does not fit <paramref name="role"/> (null: no role chosen), code invalid_tenant,
    /// its words saying which code the role needs (<see cref="Auth.TenantCodeWording"/>), on the page and in a problem.
    /// </summary>
    public static Components.FieldFault TenantFault(AccountRole? role)
    {
        var (ja, en) = role is { } r ? Auth.TenantCodeWording.Needed(ApiRole(r)) : Auth.TenantCodeWording.Either;
        return new("tenant", "invalid_tenant", null, ja, en);
    }

    /// <summary>
    /// Whether the tenant code fits some role (a prefecture's 2 digits or a municipality's 6): what a code is judged by
    /// when the role beside it is itself at fault, so that both faults are told at once.
    /// </summary>
    public static bool IsKnownTenant(string tenant) =>
        ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(tenant) || ReadinessCatalog.Instance.IsMunicipality(tenant);

    /// <summary>
    /// Who may invite (or assign) whom: system administrators invite national staff, prefecture administrators (and
    /// other system administrators); a prefecture administrator its own staff and its municipalities' administrators;
    /// a municipality administrator its own reporters and viewers.
    /// </summary>
    public static bool CanAssign(AccountRole actorRole, string? actorTenant, AccountRole role, string? tenant)
    {
        if (!IsValidTenant(role, tenant))
        {
            return false;
        }

        return actorRole switch
        {
            AccountRole.SystemAdministrator => role is AccountRole.SystemAdministrator or AccountRole.NationalStaff or AccountRole.PrefectureAdministrator,
            AccountRole.PrefectureAdministrator => actorTenant is not null
                && ((role == AccountRole.PrefectureStaff && tenant == actorTenant)
                    || (role == AccountRole.MunicipalityAdministrator && tenant!.StartsWith(actorTenant, StringComparison.Ordinal))),
            AccountRole.MunicipalityAdministrator => actorTenant is not null
                && role is AccountRole.MunicipalityReporter or AccountRole.MunicipalityViewer && tenant == actorTenant,
            _ => false,
        };
    }

    /// <summary>
    /// Why <see cref="CanAssign"/> refuses, naming what is at fault: null when allowed; field tenant, forbidden_tenant,
    /// when the actor may give the role but not for this tenant (another prefecture's municipality); field role,
    /// forbidden_role, when it may not give the role at all. The tenant must already fit the role (<see cref="IsValidTenant"/>).
    /// </summary>
    public static AccountResult? AssignRefusal(AccountRole actorRole, string? actorTenant, AccountRole role, string? tenant) =>
        CanAssign(actorRole, actorTenant, role, tenant) ? null
        : Assignable(actorRole).Contains(role) ? AccountResult.Fail("tenant", "forbidden_tenant")
        : AccountResult.Fail("role", "forbidden_role");

    /// <summary>Whose accounts an administrator lists and manages: system administrators all; a prefecture
    /// administrator its prefecture's and its municipalities' accounts; a municipality administrator its own.</summary>
    public static bool CanManage(AccountRole actorRole, string? actorTenant, AccountRole targetRole, string? targetTenant) => actorRole switch
    {
        AccountRole.SystemAdministrator => true,
        AccountRole.PrefectureAdministrator => actorTenant is not null && targetTenant is not null
            && targetTenant.StartsWith(actorTenant, StringComparison.Ordinal) && targetRole != AccountRole.PrefectureAdministrator,
        AccountRole.MunicipalityAdministrator => actorTenant is not null && targetTenant == actorTenant
            && targetRole is AccountRole.MunicipalityReporter or AccountRole.MunicipalityViewer,
        _ => false,
    };

    /// <summary>The roles an administrator can offer in the invitation form.</summary>
    public static IReadOnlyList<AccountRole> Assignable(AccountRole actorRole) => actorRole switch
    {
        AccountRole.SystemAdministrator => [AccountRole.NationalStaff, AccountRole.PrefectureAdministrator, AccountRole.SystemAdministrator],
        AccountRole.PrefectureAdministrator => [AccountRole.MunicipalityAdministrator, AccountRole.PrefectureStaff],
        AccountRole.MunicipalityAdministrator => [AccountRole.MunicipalityReporter, AccountRole.MunicipalityViewer],
        _ => [],
    };

    public static string Label(AccountRole role, bool english) => role switch
    {
        AccountRole.SystemAdministrator => english ? "System administrator" : "システム管理者",
        AccountRole.NationalStaff => english ? "National staff" : "国の職員",
        AccountRole.PrefectureAdministrator => english ? "Prefecture administrator" : "都道府県管理者",
        AccountRole.PrefectureStaff => english ? "Prefecture staff" : "都道府県職員",
        AccountRole.MunicipalityAdministrator => english ? "Municipality administrator" : "市区町村管理者",
        AccountRole.MunicipalityReporter => english ? "Municipality reporter" : "市区町村報告担当",
        AccountRole.MunicipalityViewer => english ? "Municipality viewer" : "市区町村閲覧者",
        _ => role.ToString(),
    };
}
