using System.Collections.Immutable;

namespace Readiness;

/// <summary>What a municipality reports for one business system.</summary>
[GenerateSerializer, Immutable, Alias("Readiness.SystemStatus")]
public sealed record SystemStatus
{
    [Id(0)] public required string BusinessId { get; init; }
    [Id(1)] public MigrationPhase Phase { get; init; }
    [Id(2)] public DateOnly? PlannedGoLive { get; init; }
    [Id(3)] public string? Vendor { get; init; }
    [Id(4)] public HostingKind? Hosting { get; init; }
    [Id(5)] public bool NotApplicable { get; init; }
    [Id(6)] public bool Designated { get; init; }
    [Id(7)] public DesignationReason? DesignationReason { get; init; }
    [Id(8)] public DateOnly? DesignationTarget { get; init; }

    /// <summary>Set when the latest phase move went backwards; cleared by a forward move.</summary>
    [Id(9)] public bool Regression { get; init; }
    [Id(10)] public string? RegressionReason { get; init; }

    /// <summary>Share of the PMO tool's 40 steps done, from the public baseline (null once nothing was published).</summary>
    [Id(11)] public decimal? BaselineStepCompletion { get; init; }

    /// <summary>When this system was last reported by the municipality; null while it shows only baseline data.</summary>
    [Id(12)] public DateTimeOffset? ReportedAt { get; init; }

    /// <summary>The Government Cloud provider (CSP) the system runs or will run on; only with hosting government_cloud. Null: not reported.</summary>
    [Id(13)] public CloudProvider? CloudProvider { get; init; }
    /// <summary>
    /// MIC's step detail for this system, one character per PMO step (40): D 完了済み, W 作業中, N 未着手, X 対象外
    /// (see <see cref="Imports.StepStates"/>); null until a step-detail dataset was applied.
    /// </summary>
    [Id(14)] public string? OfficialSteps { get; init; }

    /// <summary>What 「その他」 (designation reason other) means for this system, in the municipality's words; only with that reason.</summary>
    [Id(15)] public string? DesignationReasonNote { get; init; }
}

/// <summary>One security checklist item as the municipality assessed it.</summary>
[GenerateSerializer, Immutable, Alias("Readiness.SecurityItemStatus")]
public sealed record SecurityItemStatus
{
    [Id(0)] public required string ItemId { get; init; }
    [Id(1)] public SecurityStatus Status { get; init; }
    [Id(2)] public string? Evidence { get; init; }
    [Id(3)] public DateOnly? LastReviewed { get; init; }
    [Id(4)] public DateTimeOffset? ReportedAt { get; init; }
}

/// <summary>Who made a change; the tenant always comes from the authenticated caller, never from a request body.</summary>
[GenerateSerializer, Immutable, Alias("Readiness.Actor")]
public sealed record Actor(
    [property: Id(0)] string Subject,
    [property: Id(1)] Role Role,
    [property: Id(2)] string? Tenant)
{
    public static Actor System { get; } = new("system", Role.System, null);
}

/// <summary>Provenance of the figures a municipality started from.</summary>
[GenerateSerializer, Immutable, Alias("Readiness.DataProvenance")]
public sealed record DataProvenance(
    [property: Id(0)] DataOrigin Origin,
    [property: Id(1)] string Description,
    [property: Id(2)] ImmutableArray<string> Sources);

/// <summary>An applied official dataset version: its id (the file's SHA-256), source, as-of day and who imported it.</summary>
[GenerateSerializer, Immutable, Alias("Readiness.OfficialDatasetRef")]
public sealed record OfficialDatasetRef(
    [property: Id(0)] string DatasetId,
    [property: Id(1)] string Source,
    [property: Id(2)] DateOnly AsOf,
    [property: Id(3)] string ImportedBy,
    [property: Id(4)] DateTimeOffset ImportedAt);

/// <summary>
/// The official figures of one municipality from one dataset: PMO step completion per business (catalog order; null
/// where the dataset has no figure).
/// </summary>
[GenerateSerializer, Immutable, Alias("Readiness.OfficialUpdate")]
public sealed record OfficialUpdate(
    [property: Id(0)] OfficialDatasetRef Dataset,
    [property: Id(1)] ImmutableArray<decimal?> StepCompletion,
    [property: Id(2)] Actor Actor)
{
    /// <summary>Designation list (特定移行支援システム) per business, catalog order; empty when the dataset says nothing of it.</summary>
    [Id(3)] public ImmutableArray<bool> Designated { get; init; } = [];

    /// <summary>Step detail per business, catalog order (40 characters each, see <see cref="Imports.StepStates"/>); empty when none.</summary>
    [Id(4)] public ImmutableArray<string> Steps { get; init; } = [];

    /// <summary>The address of the client that applied the import (IPv4/IPv6 text), recorded on every audit entry as a report's is; null when unknown.</summary>
    [Id(5)] public string? ClientAddress { get; init; }

    /// <summary>True for the Digital Agency's designation list: its as-of day is compared with <see cref="MunicipalityRecord.OfficialDesignation"/>.</summary>
    public bool IsDesignationList => !Designated.IsDefaultOrEmpty;
}

public enum OfficialOutcome
{
    /// <summary>Something changed: a new version, audited as the import.</summary>
    Applied,

    /// <summary>The figures were already so (the same file again): nothing changed.</summary>
    Unchanged,

    /// <summary>The municipality already holds official data as of a later day: nothing changed.</summary>
    Older,

    /// <summary>A newer dataset with the same figures: only the layer's source (and its as-of day) changed, audited as the import.</summary>
    Confirmed,
}

/// <summary>The whole state of one municipality: what it reported and where each figure came from.</summary>
[GenerateSerializer, Immutable, Alias("Readiness.MunicipalityRecord")]
public sealed record MunicipalityRecord
{
    [Id(0)] public required string Code { get; init; }

    /// <summary>Increases by one with every accepted change; the ETag of the API.</summary>
    [Id(1)] public long Version { get; init; }
    [Id(2)] public required ImmutableArray<SystemStatus> Systems { get; init; }
    [Id(3)] public required ImmutableArray<SecurityItemStatus> Security { get; init; }
    [Id(4)] public required DataProvenance Provenance { get; init; }
    [Id(5)] public DateTimeOffset? LastReportedAt { get; init; }
    [Id(6)] public DateTimeOffset CreatedAt { get; init; }
    [Id(7)] public DateTimeOffset? UpdatedAt { get; init; }
    [Id(8)] public Actor? UpdatedBy { get; init; }

    /// <summary>The official dataset the official layer (step completion per system) comes from; null: the public baseline.</summary>
    [Id(9)] public OfficialDatasetRef? Official { get; init; }

    /// <summary>The Digital Agency designation list the designation flags come from; null: the public baseline's list.</summary>
    [Id(10)] public OfficialDatasetRef? OfficialDesignation { get; init; }

    public SystemStatus? FindSystem(string businessId)
    {
        foreach (var s in Systems)
        {
            if (s.BusinessId == businessId)
            {
                return s;
            }
        }

        return null;
    }

    public SecurityItemStatus? FindSecurityItem(string itemId)
    {
        foreach (var s in Security)
        {
            if (s.ItemId == itemId)
            {
                return s;
            }
        }

        return null;
    }
}
