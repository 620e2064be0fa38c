using Readiness.Catalog;

namespace Readiness.Web.Auth;

/// <summary>
/// What tenant code a role needs, in one wording for every place that refuses one: the invitation and role-change
/// forms (and their 422 problem), the API client form and API, and the <c>token</c> command's <c>--code</c>. A
/// prefecture role needs the 2-digit prefecture code 01–47; a municipality role the 6-digit 全国地方公共団体コード
/// (local government code, its last digit a check digit); a national or system role none. Before, the forms said
/// "2 digits for a prefecture, 6 for a municipality" whatever role was chosen, and the command in other words again.
/// </summary>
public static class TenantCodeWording
{
    private static readonly string Count = ReadinessCatalog.ExpectedMunicipalities.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The refusal of a tenant code given with <paramref name="role"/>, Japanese and English (full sentences).</summary>
    public static (string Ja, string En) Needed(Role role) => role switch
    {
        Role.Prefecture => ("都道府県の役割には、都道府県コード（2桁、01〜47。例: 13）を指定してください。",
            "A prefecture role needs a 2-digit prefecture code, 01 to 47 (e.g. 13)."),
        Role.Municipality => ($"市区町村の役割には、全国地方公共団体コード（6桁、末尾は検査数字。{Count} 団体のいずれか。例: 131016）を指定してください。",
            $"A municipality role needs a 6-digit local government code (全国地方公共団体コード, its last digit a check digit; one of the {Count}, e.g. 131016)."),
        _ => ("国・システム管理者の役割には団体コードはありません。空欄にしてください。",
            "A national or system role has no tenant code: leave it empty."),
    };

    /// <summary>A tenant code for a role not (yet) chosen, or a client's (which acts as a prefecture or a municipality by its code).</summary>
    public static (string Ja, string En) Either { get; } = (
        "都道府県コード（2桁、01〜47）または全国地方公共団体コード（6桁、末尾は検査数字）を指定してください。",
        "Give a 2-digit prefecture code (01 to 47) or a 6-digit local government code (全国地方公共団体コード, its last digit a check digit).");
}
