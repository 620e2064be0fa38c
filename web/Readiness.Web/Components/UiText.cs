using System.Globalization;

namespace Readiness.Web.Components;

/// <summary>
/// The page language: Japanese unless the visitor chose English, remembered in a cookie so it works without scripts
/// and survives reloads. <c>T["日本語", "English"]</c> picks the text.
/// </summary>
public sealed class UiText(IHttpContextAccessor accessor)
{
    public const string Cookie = "readiness-lang";

    public bool IsEnglish { get; } = accessor.HttpContext?.Request.Cookies[Cookie] == "en";

    public string Code => IsEnglish ? "en" : "ja";

    public string this[string ja, string en] => IsEnglish ? en : ja;

    public string NotReported => this["未報告", "Not yet reported"];

    public string Int(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A 0..1 share as a percentage with one decimal; null means there was nothing to measure.</summary>
    public string Percent(double? share) => share is { } s ? (s * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "—";

    public string Share(int part, int whole) => Percent(whole == 0 ? null : part / (double)whole);

    public static string DateTimeJst(DateTimeOffset value) =>
        value.ToOffset(TimeSpan.FromHours(9)).ToString("yyyy/MM/dd HH:mm", CultureInfo.InvariantCulture) + " JST";

    public static string Date(DateOnly value) => value.ToString("yyyy/MM/dd", CultureInfo.InvariantCulture);

    public string Kind(string kind) => kind switch
    {
        "designated_city" => this["政令指定都市", "Designated city"],
        "city" => this["市", "City"],
        "town" => this["町", "Town"],
        "village" => this["村", "Village"],
        "special_ward" => this["特別区", "Special ward"],
        _ => kind,
    };

    public string Reason(string? reason) => reason switch
    {
        "mainframe" => this["メインフレーム", "Mainframe"],
        "custom_built" => this["個別開発システム", "Custom-built system"],
        "no_standard_product" => this["標準準拠製品なし", "No standard product"],
        "vendor_capacity" => this["事業者の対応困難", "Vendor capacity"],
        "other" => this["その他", "Other"],
        "unreported" or null => this["理由未報告", "Reason not yet reported"],
        _ => reason,
    };

    public string Hosting(string? hosting) => hosting switch
    {
        "government_cloud" => this["ガバメントクラウド", "Government Cloud"],
        "other_cloud" => this["その他のクラウド", "Other cloud"],
        "on_premises" => this["オンプレミス", "On premises"],
        _ => NotReported,
    };

    public string SecurityStatus(string status) => status switch
    {
        "not_assessed" => this["未評価（未報告）", "Not assessed (not yet reported)"],
        "not_implemented" => this["未実施", "Not implemented"],
        "partial" => this["一部実施", "Partly implemented"],
        "implemented" => this["実施済み", "Implemented"],
        "not_applicable" => this["対象外", "Not applicable"],
        _ => status,
    };

    /// <summary>
    /// The role a change was made in (the audit trail's wire name: municipality, prefecture, national, admin, system)
    /// in words, as the change history shows it under the person; an unknown one as it is.
    /// </summary>
    public string CallerRole(string role) => role switch
    {
        "municipality" => this["市区町村", "Municipality"],
        "prefecture" => this["都道府県", "Prefecture"],
        "national" => this["国", "National"],
        "admin" => this["システム管理者", "System administrator"],
        "system" => this["システム（自動・取込）", "System (automatic, import)"],
        _ => role,
    };

    public string Party(string party) => party switch
    {
        "municipality" => this["団体", "Municipality"],
        "csp" => this["クラウド事業者", "Cloud provider"],
        "app_vendor" => this["アプリ事業者", "Application vendor"],
        "shared" => this["共同", "Shared"],
        _ => party,
    };

    public string Chapter(int chapter, string chapterJa) => IsEnglish
        ? chapter switch
        {
            1 => "Organisation",
            2 => "Classification and management of information assets",
            3 => "Resilience of the whole information system",
            4 => "Physical security",
            5 => "Human security",
            6 => "Technical security",
            7 => "Operations",
            8 => "Outsourcing and external services",
            9 => "Evaluation and review",
            _ => chapterJa,
        }
        : chapterJa;

    /// <summary>Short phase names for chart legends; the catalog's names are long.</summary>
    public string PhaseShort(string phase) => phase switch
    {
        "not_started" => this["未着手", "Not started"],
        "project_setup" => this["計画立案", "Set-up"],
        "current_system_survey" => this["現行調査", "Survey"],
        "fit_gap" => this["Fit&Gap", "Fit & gap"],
        "migration_plan" => this["移行計画", "Plan"],
        "procurement" => this["調達", "Procurement"],
        "contract" => this["契約", "Contract"],
        "build_and_data_migration" => this["構築・移行", "Build"],
        "testing" => this["テスト", "Testing"],
        "in_production" => this["本番稼働", "In production"],
        "legacy_decommissioned" => this["旧システム廃止", "Legacy retired"],
        "not_applicable" => this["対象外", "Not applicable"],
        _ => phase,
    };

    public string Origin(string origin) => origin switch
    {
        "public_baseline" => this["公開データ（初期値）", "Public baseline"],
        "synthetic" => this["合成データ（デモ）", "Synthetic (demo)"],
        _ => origin,
    };
}
