using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Readiness.Rules;

namespace Readiness.Web.Api;

/// <summary>
/// One business system as a client reads and writes it: GET /api/v1/municipalities/{code}/systems/{businessId}
/// answers this shape, PUT takes it back (a member left out keeps its value, null clears it), PATCH takes any part
/// of it as a JSON Merge Patch (RFC 7396). The same names as in the municipality's view, the form, the CSV export
/// and the grain's state: designated / designationReason / designationTarget / regressionReason.
/// </summary>
public record SystemReport
{
    /// <summary>
    /// Migration phase (snake_case, e.g. fit_gap, in_production). Null only where no phase was ever reported: a
    /// prefecture-run system before its first report reads null, and a write may send that null back (it keeps the
    /// system as it is, as leaving phase out does). A system that has a phase cannot have it cleared: null is refused
    /// there (400 null_not_allowed naming phase).
    /// </summary>
    public MigrationPhase? Phase { get; init; }

    /// <summary>Planned go-live date, YYYY-MM-DD (2020-01-01..2040-12-31).</summary>
    public DateOnly? PlannedGoLive { get; init; }

    /// <summary>Application vendor, up to 100 characters (code points) as stored: the name is kept in its NFKC form, so ｶﾞ counts as one (ガ) and ㍿ as four (株式会社).</summary>
    [MaxLength(ChangeRules.MaxVendorLength)]
    public string? Vendor { get; init; }

    /// <summary>Where it runs (government_cloud, ...).</summary>
    public HostingKind? Hosting { get; init; }

    /// <summary>The Government Cloud provider (CSP): aws, microsoft_azure, google_cloud, oracle_cloud_infrastructure, sakura_cloud; only with hosting government_cloud.</summary>
    public CloudProvider? CloudProvider { get; init; }

    /// <summary>True when this business does not apply to the municipality (e.g. no welfare office); cannot be null.</summary>
    public bool NotApplicable { get; init; }

    /// <summary>True when it is a 特定移行支援システム; then designationReason and designationTarget are required. False clears both.</summary>
    public bool Designated { get; init; }

    public DesignationReason? DesignationReason { get; init; }

    /// <summary>Its own migration target date, YYYY-MM-DD (the limit is 2031-03-31).</summary>
    public DateOnly? DesignationTarget { get; init; }

    /// <summary>Why the phase moved backwards: required with a backward move (up to 500 characters); kept as recorded otherwise.</summary>
    [MaxLength(ChangeRules.MaxReasonLength)]
    public string? RegressionReason { get; init; }

    /// <summary>What the designation reason other (その他) means, up to 500 characters: required with designationReason other (422 designation_reason_note_required), refused with another reason (422 not_other), cleared when the reason changes.</summary>
    [MaxLength(ChangeRules.MaxReasonLength)]
    public string? DesignationReasonNote { get; init; }

    /// <summary>The members the client sent (null: all of them, as a form does); the others keep their current values.</summary>
    [JsonIgnore]
    public IReadOnlySet<string>? Given { get; init; }

    /// <summary>True when the client sent phase as null (given explicitly, or a full report without a phase).</summary>
    [JsonIgnore]
    public bool GivesNullPhase => Phase is null && (Given is null || Given.Contains("phase"));

    /// <summary>The refusal of a null phase for a system that has one, named as <see cref="JsonBody"/> names a null it refuses.</summary>
    internal static ValidationError NullPhase(string field) =>
        new(field, "null_not_allowed", $"「{field}」に null は指定できません（値を消せない項目です）。", $"'{field}' cannot be null (this member cannot be cleared).");

    /// <summary>
    /// A stored system as GET shows it; <paramref name="reported"/> false (a prefecture-run system never reported:
    /// <see cref="PrefectureRunRecord.Counts"/>) reads phase null, as the prefecture's list and page show it.
    /// </summary>
    public static SystemReport From(SystemStatus s, bool reported = true) => new()
    {
        Phase = reported ? s.Phase : null,
        PlannedGoLive = s.PlannedGoLive,
        Vendor = s.Vendor,
        Hosting = s.Hosting,
        CloudProvider = s.CloudProvider,
        NotApplicable = s.NotApplicable,
        Designated = s.Designated,
        DesignationReason = s.DesignationReason,
        DesignationTarget = s.DesignationTarget,
        RegressionReason = s.RegressionReason,
        DesignationReasonNote = s.DesignationReasonNote,
    };
}

/// <summary>
/// One security checklist item as a client reads and writes it: GET, PUT and PATCH on
/// /api/v1/municipalities/{code}/security/{itemId}, with the same rules as <see cref="SystemReport"/>.
/// </summary>
public record SecurityReport
{
    /// <summary>implemented, partial, not_implemented, not_applicable; cannot be null.</summary>
    public SecurityStatus Status { get; init; }

    /// <summary>A note or a link, up to 1,000 characters.</summary>
    [MaxLength(ChangeRules.MaxEvidenceLength)]
    public string? Evidence { get; init; }

    /// <summary>When the item was last reviewed, YYYY-MM-DD, not in the future.</summary>
    public DateOnly? LastReviewed { get; init; }

    [JsonIgnore]
    public IReadOnlySet<string>? Given { get; init; }

    public static SecurityReport From(SecurityItemStatus s) => new() { Status = s.Status, Evidence = s.Evidence, LastReviewed = s.LastReviewed };
}

public sealed record SystemReportItem : SystemReport
{
    public required string BusinessId { get; init; }
}

public sealed record SecurityReportItem : SecurityReport
{
    public required string ItemId { get; init; }
}

/// <summary>Body of POST /api/v1/municipalities/{code}/reports: any subset of systems and items, applied all or nothing.</summary>
public sealed record MunicipalityReport
{
    public IReadOnlyList<SystemReportItem>? Systems { get; init; }

    public IReadOnlyList<SecurityReportItem>? Security { get; init; }
}
