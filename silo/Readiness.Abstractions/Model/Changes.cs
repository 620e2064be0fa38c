using System.Collections.Immutable;

namespace Readiness;

/// <summary>The designation as 特定移行支援システム that a municipality reports for one system.</summary>
[GenerateSerializer, Immutable, Alias("Readiness.DesignationInput")]
public sealed record DesignationInput(
    [property: Id(0)] DesignationReason? Reason,
    [property: Id(1)] DateOnly? TargetDate);

/// <summary>
/// A report for one business system. Every member is given (null clears it) unless named in <see cref="Omitted"/>:
/// an omitted member keeps its current value, resolved by <see cref="Over"/> inside the grain, atomically with the
/// version check, so a client that leaves a member out never clears it (RFC 7396 merge semantics for a flat object).
/// </summary>
[GenerateSerializer, Immutable, Alias("Readiness.SystemChange")]
public sealed record SystemChange
{
    [Id(0)] public required string BusinessId { get; init; }
    [Id(1)] public MigrationPhase? Phase { get; init; }
    [Id(2)] public DateOnly? PlannedGoLive { get; init; }
    [Id(3)] public string? Vendor { get; init; }
    [Id(4)] public HostingKind? Hosting { get; init; }
    [Id(5)] public bool NotApplicable { get; init; }

    /// <summary>Null: not designated.</summary>
    [Id(6)] public DesignationInput? Designation { get; init; }

    /// <summary>Required when the phase moves backwards (the wire name is regressionReason).</summary>
    [Id(7)] public string? Reason { get; init; }

    /// <summary>Wire names (<see cref="Members"/>) the client left out: their current values are kept. Empty: a full report.</summary>
    [Id(8)] public ImmutableArray<string> Omitted { get; init; } = [];

    /// <summary>The Government Cloud provider (CSP); allowed only with hosting government_cloud.</summary>
    [Id(9)] public CloudProvider? CloudProvider { get; init; }

    /// <summary>What the designation reason other (その他) means: required with that reason, stored only with it (wire name designationReasonNote).</summary>
    /// <remarks>Left out of a request's fingerprint when null, so requests stored before this member keep theirs (FingerprintTests).</remarks>
    [Id(10)]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? DesignationReasonNote { get; init; }

    /// <summary>The representation's member names, as on the wire (GET, PUT, PATCH, the form and the CSV say the same).</summary>
    public static readonly ImmutableArray<string> Members =
        ["phase", "plannedGoLive", "vendor", "hosting", "notApplicable", "designated", "designationReason", "designationTarget", "regressionReason", "cloudProvider", "designationReasonNote"];

    /// <summary>This change with every omitted member taken from <paramref name="current"/> (a regression reason is never carried over: each backward move gives its own).</summary>
    public SystemChange Over(SystemStatus? current)
    {
        if (Omitted.IsDefaultOrEmpty || current is null)
        {
            return this;
        }

        bool Kept(string member) => Omitted.Contains(member);
        var designated = Kept("designated") ? current.Designated : Designation is not null;
        return this with
        {
            Phase = Kept("phase") ? current.Phase : Phase,
            PlannedGoLive = Kept("plannedGoLive") ? current.PlannedGoLive : PlannedGoLive,
            Vendor = Kept("vendor") ? current.Vendor : Vendor,
            Hosting = Kept("hosting") ? current.Hosting : Hosting,
            CloudProvider = Kept("cloudProvider") ? current.CloudProvider : CloudProvider,
            DesignationReasonNote = Kept("designationReasonNote") ? current.DesignationReasonNote : DesignationReasonNote,
            NotApplicable = Kept("notApplicable") ? current.NotApplicable : NotApplicable,
            Designation = designated
                ? new DesignationInput(
                    Kept("designationReason") ? current.DesignationReason : Designation?.Reason,
                    Kept("designationTarget") ? current.DesignationTarget : Designation?.TargetDate)
                : null,
            Omitted = [],
        };
    }
}

[GenerateSerializer, Immutable, Alias("Readiness.SecurityChange")]
public sealed record SecurityChange
{
    [Id(0)] public required string ItemId { get; init; }
    [Id(1)] public SecurityStatus? Status { get; init; }
    [Id(2)] public string? Evidence { get; init; }
    [Id(3)] public DateOnly? LastReviewed { get; init; }

    /// <summary>Wire names (<see cref="Members"/>) the client left out: their current values are kept.</summary>
    [Id(4)] public ImmutableArray<string> Omitted { get; init; } = [];

    public static readonly ImmutableArray<string> Members = ["status", "evidence", "lastReviewed"];

    /// <summary>This change with every omitted member taken from <paramref name="current"/>.</summary>
    public SecurityChange Over(SecurityItemStatus? current) =>
        Omitted.IsDefaultOrEmpty || current is null
            ? this
            : this with
            {
                Status = Omitted.Contains("status") ? current.Status : Status,
                Evidence = Omitted.Contains("evidence") ? current.Evidence : Evidence,
                LastReviewed = Omitted.Contains("lastReviewed") ? current.LastReviewed : LastReviewed,
                Omitted = [],
            };
}

/// <summary>One request to change a municipality: applied all or nothing.</summary>
[GenerateSerializer, Immutable, Alias("Readiness.ChangeRequest")]
public sealed record ChangeRequest
{
    /// <summary>Makes the request safe to retry: a repeat with the same id applies nothing again.</summary>
    [Id(0)] public required string RequestId { get; init; }
    [Id(1)] public required Actor Actor { get; init; }

    /// <summary>Optimistic concurrency: the version the caller saw, or null to apply on top of whatever is current.</summary>
    [Id(2)] public long? ExpectedVersion { get; init; }
    [Id(3)] public ImmutableArray<SystemChange> Systems { get; init; } = [];
    [Id(4)] public ImmutableArray<SecurityChange> Security { get; init; } = [];
    [Id(5)] public string? ClientAddress { get; init; }

    /// <summary>
    /// One caller's sending of this request, the same across the web tier's retries of it: a retry answered
    /// <see cref="ChangeStatus.Replayed"/> with this id in <see cref="ChangeOutcome.AppliedBy"/> was applied by this
    /// caller's own earlier attempt (a first report, not a client's repeat).
    /// </summary>
    [Id(6)] public string? CallId { get; init; }

    /// <summary>
    /// The caller answers with RFC 7240 <c>return=minimal</c> and renders no view, so the outcome leaves
    /// <see cref="ChangeOutcome.RecentChanges"/> (and <see cref="PrefectureRunOutcome.RecentChanges"/>) empty: on a
    /// cluster that keeps the last 50 changes off the wire between silo and web node on every change. The grain keeps
    /// them all the same. False (absent, as from an older caller): they are sent.
    /// </summary>
    [Id(7)] public bool Minimal { get; init; }
}

/// <summary>A field at fault, with a message in Japanese (first) and English.</summary>
[GenerateSerializer, Immutable, Alias("Readiness.ValidationError")]
public sealed record ValidationError(
    [property: Id(0)] string Field,
    [property: Id(1)] string Code,
    [property: Id(2)] string MessageJa,
    [property: Id(3)] string MessageEn);

public enum ChangeStatus
{
    Accepted,
    Replayed,
    Invalid,
    VersionConflict,
    IdempotencyKeyReused,
}

/// <summary>What happened to a change request. Rejections carry the unchanged current record.</summary>
[GenerateSerializer, Immutable, Alias("Readiness.ChangeOutcome")]
public sealed record ChangeOutcome(
    [property: Id(0)] ChangeStatus Status,
    [property: Id(1)] MunicipalityRecord Record,
    [property: Id(2)] ImmutableArray<ValidationError> Errors)
{
    /// <summary>What an accepted request changed, as audited (empty for every other status).</summary>
    [Id(3)] public ImmutableArray<ChangeEntry> Applied { get; init; } = [];

    /// <summary>The municipality's most recent changes, newest first, as they stand after this request (empty for a <see cref="ChangeRequest.Minimal"/> request).</summary>
    [Id(4)] public ImmutableArray<ChangeEntry> RecentChanges { get; init; } = [];

    /// <summary>For <see cref="ChangeStatus.Replayed"/>: the <see cref="ChangeRequest.CallId"/> of the call that applied it.</summary>
    [Id(5)] public string? AppliedBy { get; init; }

    public bool Succeeded => Status is ChangeStatus.Accepted or ChangeStatus.Replayed;
}

/// <summary>One accepted change of one target (a system or a checklist item): the audit trail's unit.</summary>
[GenerateSerializer, Immutable, Alias("Readiness.ChangeEntry")]
public sealed record ChangeEntry
{
    [Id(0)] public required string MunicipalityCode { get; init; }
    [Id(1)] public required long Version { get; init; }
    [Id(2)] public required DateTimeOffset At { get; init; }
    [Id(3)] public required Actor Actor { get; init; }
    [Id(4)] public required string RequestId { get; init; }

    /// <summary>"system:{businessId}" or "security:{itemId}".</summary>
    [Id(5)] public required string Target { get; init; }

    /// <summary>
    /// Entries recorded before the audit trail stored fields (2026-11): the target as one "key=value; …" text. Ambiguous
    /// (a value may itself contain "; key=value"), so it is never written now and is served only as legacy text.
    /// </summary>
    [Id(6)] public string? Before { get; init; }

    /// <summary>See <see cref="Before"/>.</summary>
    [Id(7)] public string? After { get; init; }
    [Id(8)] public string? ClientAddress { get; init; }

    /// <summary>The target's fields before the change, in a fixed order (see <see cref="Rules.AuditFields"/>); empty for legacy entries.</summary>
    [Id(9)] public ImmutableArray<AuditField> BeforeFields { get; init; } = [];

    /// <summary>The target's fields after the change; empty for legacy entries.</summary>
    [Id(10)] public ImmutableArray<AuditField> AfterFields { get; init; } = [];
}

/// <summary>
/// One field of an audited target and its value: the field's name in the API (e.g. "vendor", "phase"); the value as
/// text (wire names, yyyy-MM-dd dates, free text as stored) or, when <see cref="IsFlag"/>, "true"/"false". Null: not set.
/// A value, not an object: a full report's audit holds ~760 of them on each of its two sides' arrays, and the arrays of
/// values are one allocation each instead of one per field.
/// </summary>
[GenerateSerializer, Immutable, Alias("Readiness.AuditField")]
public readonly record struct AuditField(
    [property: Id(0)] string Name,
    [property: Id(1)] string? Value,
    [property: Id(2)] bool IsFlag = false);
