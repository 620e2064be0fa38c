using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text.Json;

namespace Readiness.Grains;

/// <summary>A request already applied: its id, a fingerprint of its content, the version it produced and the call that sent it.</summary>
[GenerateSerializer, Immutable, Alias("Readiness.AppliedRequest")]
public sealed record AppliedRequest(
    [property: Id(0)] string RequestId,
    [property: Id(1)] string Fingerprint,
    [property: Id(2)] long Version)
{
    private static readonly JsonSerializerOptions FingerprintJson = new(JsonSerializerDefaults.Web);

    [Id(3)] public string? CallId { get; init; }

    /// <summary>
    /// What tells a retry of the same request from a different request under a reused id: SHA-256 (upper-case hex) of
    /// the request's systems and security items as web JSON.
    /// </summary>
    public static string FingerprintOf(ChangeRequest request) =>
        Convert.ToHexString(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(new { request.Systems, request.Security }, FingerprintJson)));
}

/// <summary>
/// What the municipality grain stores: the record. Applied requests (for safe retries) and recent changes are kept in
/// readiness_applied_request and readiness_audit, written in the same transaction (<see cref="IAuditedGrainState"/>);
/// <see cref="Requests"/> and <see cref="RecentChanges"/> are only read from states stored before that, and written empty.
/// </summary>
[GenerateSerializer, Alias("Readiness.MunicipalityGrainState")]
public sealed class MunicipalityGrainState : IRememberingGrainState<MunicipalityRecord>
{
    public const int RememberedRequests = 256;
    public const int RememberedChanges = 50;

    [Id(0)] public MunicipalityRecord? Record { get; set; }
    [Id(1)] public ImmutableArray<AppliedRequest> Requests { get; set; } = [];
    [Id(2)] public ImmutableArray<ChangeEntry> RecentChanges { get; set; } = [];

    // Not stored in the state: the storage writes it to its own tables with the state (IAuditedGrainState).
    [NonSerialized]
    private PendingAudit? audit;

    /// <inheritdoc />
    [System.Text.Json.Serialization.JsonIgnore]
    public PendingAudit? Audit { get => audit; set => audit = value; }
}
