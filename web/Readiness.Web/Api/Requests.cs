namespace Readiness.Web.Api;

/// <summary>
/// Body of PUT /api/v1/municipalities/{code}/systems/{businessId}: the full report for one business system
/// (replace semantics: a field left out is cleared, except the phase, which stays when omitted).
/// </summary>
public record SystemReport
{
    /// <summary>Migration phase (snake_case, e.g. fit_gap, in_production); omitted: unchanged.</summary>
    public MigrationPhase? Phase { get; init; }

    /// <summary>Planned go-live date, YYYY-MM-DD.</summary>
    public DateOnly? PlannedGoLive { get; init; }

    /// <summary>Application vendor, up to 100 characters.</summary>
    public string? Vendor { get; init; }

    public HostingKind? Hosting { get; init; }

    /// <summary>True when this business does not apply to the municipality (e.g. no welfare office).</summary>
    public bool NotApplicable { get; init; }

    /// <summary>特定移行支援システム with its reason and target date; null: not designated.</summary>
    public DesignationReport? Designation { get; init; }

    /// <summary>Why the phase moves backwards; required then, up to 500 characters.</summary>
    public string? Reason { get; init; }
}

public sealed record DesignationReport
{
    public DesignationReason? Reason { get; init; }

    /// <summary>Its own migration target date, YYYY-MM-DD (the limit is 2031-03-31).</summary>
    public DateOnly? TargetDate { get; init; }
}

/// <summary>Body of PUT /api/v1/municipalities/{code}/security/{itemId}.</summary>
public record SecurityReport
{
    public SecurityStatus? Status { get; init; }

    /// <summary>A note or a link, up to 1,000 characters.</summary>
    public string? Evidence { get; init; }

    /// <summary>When the item was last reviewed, YYYY-MM-DD, not in the future.</summary>
    public DateOnly? LastReviewed { get; init; }
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
