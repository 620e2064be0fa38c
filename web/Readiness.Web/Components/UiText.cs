using System.Globalization;
using Readiness.Catalog;

namespace Readiness.Web.Components;

/// <summary>
/// The page language: Japanese unless the visitor chose English, remembered in a cookie so it works without scripts
/// and survives reloads. <c>T["日本語", "English"]</c> picks the text.
/// </summary>
public sealed class UiText(IHttpContextAccessor accessor)
{
    public const string Cookie = "readiness-lang";

    // One resolution for every page (LanguageSwitch.Current): ?language= before its cookie comes back, else the cookie.
    public bool IsEnglish { get; } = accessor.HttpContext is { } http && LanguageSwitch.Current(http) == "en";

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
        "csp" => Short(Vocabulary.CloudProvider),
        "app_vendor" => Short(Vocabulary.Vendor),
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

    /// <summary>
    /// A phase's fixed short form (chart legends, the change history, an edit form's summary; the systems tables say the
    /// full name, <see cref="Phase"/>; migration_phases.csv short_ja and
    /// short_en, beside its full name); "not_applicable" as <see cref="Vocabulary.NotApplicable"/>; an unknown one as it is.
    /// </summary>
    public string PhaseShort(string phase) =>
        phase == "not_applicable" ? this[Vocabulary.NotApplicable]
        : Wire.TryParse<MigrationPhase>(phase, out var known) ? Short(Vocabulary.PhaseOf(known))
        : phase;

    /// <summary>
    /// A phase's full name (migration_phases.csv name_ja, name_en): the systems tables (SystemsTable), the Excel template's
    /// drop-down and the CSV's phase_ja say it so; "not_applicable" as <see cref="Vocabulary.NotApplicable"/>; an unknown one as it is.
    /// </summary>
    public string Phase(string phase) =>
        phase == "not_applicable" ? this[Vocabulary.NotApplicable]
        : Wire.TryParse<MigrationPhase>(phase, out var known) ? this[Vocabulary.PhaseOf(known)]
        : phase;

    /// <summary>An <c>origin</c> (the API's and the exports' wire name) in words (<see cref="Vocabulary.OriginOf"/>); an unknown one as it is.</summary>
    public string Origin(string origin) => Wire.TryParse<DataOrigin>(origin, out var known) ? this[Vocabulary.OriginOf(known)] : origin;

    /// <summary>A term in full (form labels, headings): <see cref="Term.Ja"/> or <see cref="Term.En"/>.</summary>
    public string this[Term term] => IsEnglish ? term.En : term.Ja;

    /// <summary>A term's fixed short form (table headers, legends, within a sentence).</summary>
    public string Short(Term term) => IsEnglish ? term.ShortEn : term.ShortJa;
}
