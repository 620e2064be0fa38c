using System.Collections.Immutable;

namespace Readiness.Catalog;

/// <summary>
/// One concept's words on every surface (pages, Excel template, change history, problem messages): <see cref="Ja"/> and
/// <see cref="En"/> in full (form labels, template headers), <see cref="ShortJa"/> and <see cref="ShortEn"/> where room
/// is short (table headers, legends, inside a sentence); the same as the full words when no shorter form is needed.
/// <see cref="Retired"/>: words the product used before for the same concept, never to be shown again (a test scans the
/// pages, the template and the messages for them; a regular expression).
/// </summary>
public sealed record Term(string Ja, string En, string ShortJa, string ShortEn, string? Retired = null)
{
    /// <summary>A term without a shorter form.</summary>
    public Term(string ja, string en, string? retired = null) : this(ja, en, ja, en, retired)
    {
    }

    /// <summary>The short English inside a sentence ("The planned go-live date must …"): its first letter lower case.</summary>
    public string ShortEnInText => ShortEn.Length > 1 && char.IsUpper(ShortEn[0]) && !char.IsUpper(ShortEn[1])
        ? char.ToLowerInvariant(ShortEn[0]) + ShortEn[1..]
        : ShortEn;
}

/// <summary>
/// The product's words for what a municipality reports and how its figures are judged: one name per concept, the domain's
/// (docs: domain.md, "Per system, a municipality reports" and "Words the product should use the same way everywhere").
/// Pages (<c>UiText</c>), the Excel template's headers (<see cref="Readiness.Imports.ReportingTemplate"/>), the change
/// history and the problem details' field names all take their words from here; wire names (JSON members, CSV columns)
/// are not words and stay as they are.
/// </summary>
public static class Vocabulary
{
    public static readonly Term Phase = new("移行フェーズ", "Migration phase", "フェーズ", "Phase");

    // 本稼働 was the planning pages' word for a go-live (本番稼働, the phase in_production).
    public static readonly Term PlannedGoLive = new("本番稼働予定日", "Planned go-live date", retired: "(?<!本番)稼働予定日|本稼働");

    public static readonly Term Vendor = new("ベンダ（アプリ提供事業者）", "Vendor (application provider)", "ベンダ", "Vendor", "事業者名|ベンダー|アプリ事業者");

    public static readonly Term Hosting = new("稼働環境", "Hosting");

    public static readonly Term CloudProvider = new("ガバメントクラウドの事業者（CSP）", "Government Cloud provider (CSP)", "クラウド事業者（CSP）", "Cloud provider (CSP)", "(?<!(クラウド|の))事業者（CSP）");

    public static readonly Term NotApplicable = new("対象外", "Not applicable");

    public static readonly Term Designated = new("特定移行支援システム", "Designated system", "特定移行支援", "Designated");

    public static readonly Term DesignationReason = new("該当理由", "Designation reason", "該当理由", "Reason");

    /// <summary>What the designation reason 「その他」 (other) is, in the municipality's words (required with that reason).</summary>
    public static readonly Term DesignationReasonNote = new("該当理由「その他」の内容", "Details of the reason \"other\"", retired: "該当理由が「その他」の場合の内容|該当理由（その他）の内容");

    public static readonly Term DesignationTarget = new("移行目標時期", "Target date", retired: "目標期限|目標日|(?<!移行)目標時期(?!超過)");

    public static readonly Term PastTarget = new("目標時期超過", "Past target");

    public static readonly Term Regression = new("後退", "Regression");

    public static readonly Term RegressionReason = new("後退理由", "Regression reason", retired: "フェーズを戻す理由");

    public static readonly Term SecurityStatus = new("対応状況", "Status");

    public static readonly Term Evidence = new("根拠・証跡（メモまたはリンク）", "Evidence (a note or a link)", "根拠・証跡", "Evidence", "根拠(?!・証跡)");

    public static readonly Term LastReviewed = new("最終確認日", "Last reviewed");

    /// <summary>
    /// A report whose values were those stored (a form saved as it stands, a PUT of the same values): the audit trail
    /// records it with before equal to after and the 30-day stale rule counts it, so every list of changes names it so,
    /// never as "no change" (a breaker's finding: the history said 「変更なし」).
    /// </summary>
    public static readonly Term Confirmed = new("確認済み", "Confirmed", retired: "\"(変更なし|No change)\"");

    /// <summary>A system's or municipality's flags on the day (migrated, overdue, past target, regression …).</summary>
    public static readonly Term Flags = new("状態", "Flags");

    /// <summary>Where a municipality's or a row's figures come from (its values: <see cref="OriginOf"/>).</summary>
    public static readonly Term Origin = new("データの出所", "Where the figures come from");

    /// <summary>The words of each <see cref="DataOrigin"/> (the export's and the API's <c>origin</c>).</summary>
    public static Term OriginOf(DataOrigin origin) => origin switch
    {
        DataOrigin.PublicBaseline => new("公開データ（初期値）", "Public baseline"),
        DataOrigin.Synthetic => new("合成データ（デモ）", "Synthetic (demo)"),
        DataOrigin.MunicipalityReport => new("市区町村の報告", "Municipality's report"),
        _ => new(Wire.Name(origin), Wire.Name(origin)),
    };

    /// <summary>A phase's words: the catalog's full name (migration_phases.csv name_ja, name_en) and its short form beside it (short_ja, short_en).</summary>
    public static Term PhaseOf(MigrationPhase phase)
    {
        var p = ReadinessCatalog.Instance.Phases[(int)phase];
        return new(p.NameJa, p.NameEn, p.ShortJa, p.ShortEn);
    }

    /// <summary>Every term above with its name, for the test that holds them against the domain's words and the surfaces.</summary>
    public static ImmutableArray<(string Name, Term Term)> All { get; } =
    [
        (nameof(Phase), Phase), (nameof(PlannedGoLive), PlannedGoLive), (nameof(Vendor), Vendor), (nameof(Hosting), Hosting),
        (nameof(CloudProvider), CloudProvider), (nameof(NotApplicable), NotApplicable), (nameof(Designated), Designated),
        (nameof(DesignationReason), DesignationReason), (nameof(DesignationReasonNote), DesignationReasonNote), (nameof(DesignationTarget), DesignationTarget), (nameof(PastTarget), PastTarget),
        (nameof(Regression), Regression), (nameof(RegressionReason), RegressionReason), (nameof(SecurityStatus), SecurityStatus),
        (nameof(Evidence), Evidence), (nameof(LastReviewed), LastReviewed), (nameof(Confirmed), Confirmed), (nameof(Flags), Flags), (nameof(Origin), Origin),
    ];
}
