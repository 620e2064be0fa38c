using System.Buffers;
using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Readiness.Grains;

/// <summary>A request already applied: its id, a fingerprint of its content, the version it produced and the call that sent it.</summary>
[GenerateSerializer, Immutable, Alias("Readiness.AppliedRequest")]
public sealed record AppliedRequest(
    [property: Id(0)] string RequestId,
    [property: Id(1)] string Fingerprint,
    [property: Id(2)] long Version)
{
    [Id(3)] public string? CallId { get; init; }

    /// <summary>
    /// What tells a retry of the same request from a different request under a reused id: SHA-256 (upper-case hex) of
    /// the request's systems and security items as web JSON.
    /// </summary>
    public static string FingerprintOf(ChangeRequest request)
    {
        // Serialized by generated code into this thread's buffer: the same bytes as the reflection-based serializer with
        // web defaults gave when the stored fingerprints were made (FingerprintTests), without its per-call metadata
        // lookups or a new array for every report.
        var (buffer, json) = fingerprintWriter ??= (new ArrayBufferWriter<byte>(4096), new Utf8JsonWriter(Stream.Null));
        buffer.ResetWrittenCount();
        json.Reset(buffer);
        JsonSerializer.Serialize(json, new FingerprintContent(request.Systems, request.Security), FingerprintJson.Default.FingerprintContent);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(buffer.WrittenSpan, hash);
        return Convert.ToHexString(hash);
    }

    [ThreadStatic]
    private static (ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Json)? fingerprintWriter;
}

/// <summary>What a request's fingerprint covers (<see cref="AppliedRequest.FingerprintOf"/>): its systems and security items, in this order.</summary>
internal sealed record FingerprintContent(ImmutableArray<SystemChange> Systems, ImmutableArray<SecurityChange> Security);

/// <summary>Web defaults (camelCase names, enums as numbers), as every stored fingerprint was made.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(FingerprintContent))]
internal sealed partial class FingerprintJson : JsonSerializerContext;

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
