using System.Collections.Immutable;

namespace Readiness.Grains;

/// <summary>A request already applied: its id, a fingerprint of its content, the version it produced and the call that sent it.</summary>
[GenerateSerializer, Immutable, Alias("Readiness.AppliedRequest")]
public sealed record AppliedRequest(
    [property: Id(0)] string RequestId,
    [property: Id(1)] string Fingerprint,
    [property: Id(2)] long Version)
{
    [Id(3)] public string? CallId { get; init; }
}

/// <summary>What the municipality grain stores: the record, the recent request ids (for safe retries) and recent changes.</summary>
[GenerateSerializer, Alias("Readiness.MunicipalityGrainState")]
public sealed class MunicipalityGrainState
{
    public const int RememberedRequests = 256;
    public const int RememberedChanges = 50;

    [Id(0)] public MunicipalityRecord? Record { get; set; }
    [Id(1)] public ImmutableArray<AppliedRequest> Requests { get; set; } = [];
    [Id(2)] public ImmutableArray<ChangeEntry> RecentChanges { get; set; } = [];
}
