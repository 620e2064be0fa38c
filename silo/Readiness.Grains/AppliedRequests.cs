namespace Readiness.Grains;

/// <summary>
/// The requests a grain applied last, oldest first, at most <see cref="Capacity"/>, found by id in constant time. A
/// request's id is looked up on every change (is this a retry?): a scan of 256 ids was 0.7 % of the server's CPU per
/// single change (profile of 2026-12-01), and remembering one more request copied the whole window twice (~4 KB).
/// </summary>
/// <remarks>
/// When an id occurs more than once in the window, <see cref="Find"/> gives the newest, as a scan from the newest did.
/// </remarks>
public sealed class AppliedRequests
{
    private readonly Queue<AppliedRequest> oldestFirst;
    private readonly Dictionary<string, AppliedRequest> byId;

    /// <param name="capacity">How many requests are kept (≥ 1); the oldest goes when one more is added.</param>
    public AppliedRequests(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        // Grown as requests come: an empty window made at full size takes ~10 KB, ~17 MB for 1,741 municipalities.
        oldestFirst = new Queue<AppliedRequest>();
        byId = new Dictionary<string, AppliedRequest>(StringComparer.Ordinal);
    }

    /// <summary>How many requests are kept at most.</summary>
    public int Capacity { get; }

    /// <summary>How many requests are kept now.</summary>
    public int Count => oldestFirst.Count;

    /// <summary>The newest kept request with this id, or null.</summary>
    public AppliedRequest? Find(string requestId) => byId.GetValueOrDefault(requestId);

    /// <summary>Keeps <paramref name="request"/> as the newest; the oldest goes once more than <see cref="Capacity"/> are kept.</summary>
    public void Add(AppliedRequest request)
    {
        oldestFirst.Enqueue(request);
        byId[request.RequestId] = request;
        if (oldestFirst.Count > Capacity)
        {
            var oldest = oldestFirst.Dequeue();

            // A newer request under the same id stays findable.
            if (byId.TryGetValue(oldest.RequestId, out var kept) && ReferenceEquals(kept, oldest))
            {
                byId.Remove(oldest.RequestId);
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

    /// <summary>The kept requests, oldest first.</summary>
    public IReadOnlyCollection<AppliedRequest> OldestFirst => oldestFirst;
}
