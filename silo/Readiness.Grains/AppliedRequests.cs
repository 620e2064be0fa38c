using System.Buffers;
using System.Buffers.Binary;

namespace Readiness.Grains;

/// <summary>
/// The requests a grain applied last, oldest first, at most <see cref="Capacity"/>, found by id in constant time. A
/// request's id is looked up on every change (is this a retry?): a scan of 256 ids was 0.7 % of the server's CPU per
/// single change (profile of 2026-12-01), and remembering one more request copied the whole window twice (~4 KB).
/// </summary>
/// <remarks>
/// <para>
/// When an id occurs more than once in the window, <see cref="Find"/> gives the newest, as a scan from the newest did.
/// </para>
/// <para>
/// Held compactly: a full window is most of an active municipality's memory (loadtests/Readiness.StateMemory: 110 KB
/// per municipality as <see cref="AppliedRequest"/> records, 187 MiB for the nation; 70 KB and 120 MiB so). A fingerprint as the grain makes
/// it (64 upper-case hex digits) is kept as its 32 bytes and a call id in the web's form (32 lower-case hex digits) as a
/// GUID; any other value is kept as it is. <see cref="Find"/> gives back the very strings that were added.
/// </para>
/// </remarks>
public sealed class AppliedRequests
{
    private readonly Queue<(string RequestId, long Version)> oldestFirst;
    private readonly Dictionary<string, Kept> byId;

    /// <param name="capacity">How many requests are kept (≥ 1); the oldest goes when one more is added.</param>
    public AppliedRequests(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;

        // Grown as requests come: an empty window made at full size takes ~10 KB, ~17 MB for 1,741 municipalities.
        oldestFirst = new Queue<(string, long)>();
        byId = new Dictionary<string, Kept>(StringComparer.Ordinal);
    }

    /// <summary>How many requests are kept at most.</summary>
    public int Capacity { get; }

    /// <summary>How many requests are kept now.</summary>
    public int Count => oldestFirst.Count;

    /// <summary>The ids and versions kept, oldest first.</summary>
    public IEnumerable<(string RequestId, long Version)> OldestFirst => oldestFirst;

    /// <summary>The newest kept request with this id (equal to the one added), or null.</summary>
    public AppliedRequest? Find(string requestId) => byId.TryGetValue(requestId, out var kept) ? kept.ToRequest(requestId) : null;

    /// <summary>Keeps <paramref name="request"/> as the newest; the oldest goes once more than <see cref="Capacity"/> are kept.</summary>
    public void Add(AppliedRequest request)
    {
        oldestFirst.Enqueue((request.RequestId, request.Version));
        byId[request.RequestId] = Kept.From(request);
        if (oldestFirst.Count > Capacity)
        {
            var (id, version) = oldestFirst.Dequeue();

            // A newer request under the same id (a later version: each applied request has its own) stays findable.
            if (byId.TryGetValue(id, out var kept) && kept.Version == version)
            {
                byId.Remove(id);
            }
        }
    }

    /// <summary>Replaces what is kept with <paramref name="requests"/>, oldest first (only the last <see cref="Capacity"/> stay).</summary>
    public void Reset(IEnumerable<AppliedRequest> requests)
    {
        oldestFirst.Clear();
        byId.Clear();
        foreach (var request in requests)
        {
            Add(request);
        }
    }

    /// <summary>One request without its id (the dictionary's key): ~80 bytes in place of ~330 in three strings and a record.</summary>
    private readonly record struct Kept(long Version, UInt128 FingerprintHigh, UInt128 FingerprintLow, string? FingerprintText, Guid Call, string? CallText)
    {
        public static Kept From(AppliedRequest request)
        {
            var (high, low, fingerprintText) = TryPack(request.Fingerprint, out var h, out var l) ? (h, l, null) : (default(UInt128), default(UInt128), request.Fingerprint);
            var (call, callText) = request.CallId is { Length: 32 } id && IsLowerHex(id) && Guid.TryParseExact(id, "N", out var g) && g != Guid.Empty
                ? (g, null)
                : (Guid.Empty, request.CallId);
            return new Kept(request.Version, high, low, fingerprintText, call, callText);
        }

        public AppliedRequest ToRequest(string requestId) => new(requestId, FingerprintText ?? Unpack(FingerprintHigh, FingerprintLow), Version)
        {
            CallId = CallText ?? (Call == Guid.Empty ? null : Call.ToString("N")),
        };

        private static bool TryPack(string fingerprint, out UInt128 high, out UInt128 low)
        {
            high = low = default;
            if (fingerprint.Length != 64 || !IsUpperHex(fingerprint))
            {
                return false;
            }

            Span<byte> bytes = stackalloc byte[32];
            Convert.FromHexString(fingerprint, bytes, out _, out _);
            high = BinaryPrimitives.ReadUInt128BigEndian(bytes);
            low = BinaryPrimitives.ReadUInt128BigEndian(bytes[16..]);
            return true;
        }

        private static string Unpack(UInt128 high, UInt128 low)
        {
            Span<byte> bytes = stackalloc byte[32];
            BinaryPrimitives.WriteUInt128BigEndian(bytes, high);
            BinaryPrimitives.WriteUInt128BigEndian(bytes[16..], low);
            return Convert.ToHexString(bytes);
        }

        // Only the exact forms are packed, so that unpacking gives back the very string (a lower-case fingerprint
        // stays text: it must keep comparing unequal to the upper-case fingerprints the grain makes).
        private static bool IsUpperHex(string s) => !s.AsSpan().ContainsAnyExcept(UpperHex);

        private static bool IsLowerHex(string s) => !s.AsSpan().ContainsAnyExcept(LowerHex);

        private static readonly SearchValues<char> UpperHex = SearchValues.Create("0123456789ABCDEF");

        private static readonly SearchValues<char> LowerHex = SearchValues.Create("0123456789abcdef");
    }
}
