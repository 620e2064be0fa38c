using System.Collections.Immutable;

namespace Readiness;

/// <summary>The designation as 特定移行支援システム that a municipality reports for one system.</summary>
[GenerateSerializer, Immutable, Alias("Readiness.DesignationInput")]
public sealed record DesignationInput(
    [property: Id(0)] DesignationReason? Reason,
    [property: Id(1)] DateOnly? TargetDate);

/// <summary>
/// A full report for one business system (replace semantics: what is not given is cleared), so that a form and the
/// API say the same thing and a repeated request has the same effect.
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

    /// <summary>Required when the phase moves backwards.</summary>
    [Id(7)] public string? Reason { get; init; }
}

[GenerateSerializer, Immutable, Alias("Readiness.SecurityChange")]
public sealed record SecurityChange
{
    [Id(0)] public required string ItemId { get; init; }
    [Id(1)] public SecurityStatus? Status { get; init; }
    [Id(2)] public string? Evidence { get; init; }
    [Id(3)] public DateOnly? LastReviewed { get; init; }
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

    /// <summary>The municipality's most recent changes, newest first, as they stand after this request.</summary>
    [Id(4)] public ImmutableArray<ChangeEntry> RecentChanges { get; init; } = [];

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
/// </summary>
[GenerateSerializer, Immutable, Alias("Readiness.AuditField")]
public sealed record AuditField(
    [property: Id(0)] string Name,
    [property: Id(1)] string? Value,
    [property: Id(2)] bool IsFlag = false);
