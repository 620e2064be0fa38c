using System.Collections.Immutable;

namespace Readiness;

/// <summary>
/// A prefecture's own systems for the prefecture-run businesses (都道府県2業務: 児童扶養手当 and 生活保護, which it runs
/// for towns and villages without a welfare office; <see cref="Catalog.ReadinessCatalog.PrefectureRunBusinesses"/>).
/// Each system has what a municipality's system has (phase, planned go-live, vendor, hosting, designation …).
/// A system counts in the figures once the prefecture has reported it (<see cref="SystemStatus.ReportedAt"/>): no
/// public data gives a phase for it, and the product never invents one. <see cref="Listed"/> holds the businesses
/// marked ● in the prefecture's row of the newest applied designation list (the public baseline's December 2025 list
/// until one is imported): the prefecture runs them and expects them to be 特定移行支援システム.
/// </summary>
[GenerateSerializer, Immutable, Alias("Readiness.PrefectureRunRecord")]
public sealed record PrefectureRunRecord
{
    /// <summary>The 2-digit prefecture code (the grain's key).</summary>
    [Id(0)] public required string PrefectureCode { get; init; }

    /// <summary>The prefecture's own 6-digit 団体コード (東京都 130001): the audit trail's key for these systems.</summary>
    [Id(1)] public required string Code { get; init; }

    /// <summary>Increases by one with every accepted change; the ETag of the API.</summary>
    [Id(2)] public long Version { get; init; }

    /// <summary>Every prefecture-run business, catalog order.</summary>
    [Id(3)] public required ImmutableArray<SystemStatus> Systems { get; init; }

    /// <summary>Business ids marked in this prefecture's row of the designation list in force.</summary>
    [Id(4)] public ImmutableArray<string> Listed { get; init; } = [];

    /// <summary>The applied designation list <see cref="Listed"/> comes from; null: the public baseline's list.</summary>
    [Id(5)] public OfficialDatasetRef? OfficialDesignation { get; init; }
    [Id(6)] public DateTimeOffset? LastReportedAt { get; init; }
    [Id(7)] public DateTimeOffset CreatedAt { get; init; }
    [Id(8)] public DateTimeOffset? UpdatedAt { get; init; }
    [Id(9)] public Actor? UpdatedBy { get; init; }

    /// <summary>
    /// When the prefecture last sent each of its systems (business id → instant), a report or a save that leaves the
    /// system unreported (phase not given: <see cref="SystemStatus.ReportedAt"/> stays null); absent for a system no
    /// person has sent. Official data never sets it: a designation list keeps what the prefecture sent on or after the
    /// list's day (<see cref="ChangedSince"/>).
    /// </summary>
    [Id(10)] public ImmutableDictionary<string, DateTimeOffset> ChangedAt { get; init; } = ImmutableDictionary<string, DateTimeOffset>.Empty;

    /// <summary>
    /// True when the prefecture sent the system on or after <paramref name="asOf"/> (a JST day): its own values win over
    /// a list of that day. A record stored before <see cref="ChangedAt"/> existed falls back to the system's ReportedAt.
    /// </summary>
    public bool ChangedSince(SystemStatus system, DateOnly asOf) =>
        ((ChangedAt ?? ImmutableDictionary<string, DateTimeOffset>.Empty).TryGetValue(system.BusinessId, out var at) ? at : system.ReportedAt) is { } r
        && Rules.ReadinessRules.TodayInJapan(r) >= asOf;

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

    public bool IsListed(string businessId) => !Listed.IsDefault && Listed.Contains(businessId);

    /// <summary>The prefecture runs this system as far as the data says: on the designation list, or reported by the prefecture.</summary>
    public bool Holds(SystemStatus system) => system.ReportedAt is not null || IsListed(system.BusinessId);

    /// <summary>Counted in the figures (the prefecture's own and the nation's): reported by the prefecture.</summary>
    public static bool Counts(SystemStatus system) => system.ReportedAt is not null;
}

/// <summary>The summary a prefecture-run record pushes to its prefecture grain; newer <see cref="Version"/> wins.</summary>
[GenerateSerializer, Immutable, Alias("Readiness.PrefectureRunSummary")]
public sealed record PrefectureRunSummary
{
    [Id(0)] public required string PrefectureCode { get; init; }
    [Id(1)] public required long Version { get; init; }

    /// <summary>Figures of the counted systems only; every municipality count is 0 (a prefecture is not a municipality).</summary>
    [Id(2)] public required Figures Figures { get; init; }

    /// <summary>The day (JST) the date-dependent flags were computed for.</summary>
    [Id(3)] public DateOnly AsOf { get; init; }
}

/// <summary>What happened to a change of a prefecture's own systems. Rejections carry the unchanged current record.</summary>
[GenerateSerializer, Immutable, Alias("Readiness.PrefectureRunOutcome")]
public sealed record PrefectureRunOutcome(
    [property: Id(0)] ChangeStatus Status,
    [property: Id(1)] PrefectureRunRecord Record,
    [property: Id(2)] ImmutableArray<ValidationError> Errors)
{
    /// <summary>What an accepted request changed, as audited (empty for every other status).</summary>
    [Id(3)] public ImmutableArray<ChangeEntry> Applied { get; init; } = [];

    /// <summary>The most recent changes, newest first, as they stand after this request (empty for a <see cref="ChangeRequest.Minimal"/> request).</summary>
    [Id(4)] public ImmutableArray<ChangeEntry> RecentChanges { get; init; } = [];

    /// <summary>For <see cref="ChangeStatus.Replayed"/>: the <see cref="ChangeRequest.CallId"/> of the call that applied it.</summary>
    [Id(5)] public string? AppliedBy { get; init; }

    public bool Succeeded => Status is ChangeStatus.Accepted or ChangeStatus.Replayed;
}

/// <summary>One prefecture's row of an applied designation list: the prefecture-run businesses marked on it.</summary>
[GenerateSerializer, Immutable, Alias("Readiness.PrefectureRunListing")]
public sealed record PrefectureRunListing(
    [property: Id(0)] OfficialDatasetRef Dataset,
    [property: Id(1)] ImmutableArray<string> Listed,
    [property: Id(2)] Actor Actor)
{
    /// <summary>The address of the client that applied the list, recorded on its audit entries; null when unknown.</summary>
    [Id(3)] public string? ClientAddress { get; init; }
}
