using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace Readiness.Grains;

/// <summary>
/// A grain's recent changes, newest first, at most <c>limit</c> of them (<see cref="MunicipalityGrainState.RememberedChanges"/>).
/// Kept in a ring: a change puts its entries in place of the oldest, and the list is made only when read (a write's
/// answer with the municipality's view, or the history's first page), then kept until the next change. Copying the 50
/// kept entries on every change was ~1.5 % of what a change allocated (issue 14), mostly for writes nobody read back.
/// Not thread-safe: a grain's own turn-based calls use it.
/// </summary>
public sealed class RecentChangeList
{
    private readonly ChangeEntry[] ring;
    private int newest; // the slot of the newest entry
    private int count;
    private ImmutableArray<ChangeEntry>? made;

    /// <param name="limit">How many are kept (≥ 1).</param>
    public RecentChangeList(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ring = new ChangeEntry[limit];
    }

    /// <summary>The kept entries, newest first.</summary>
    public ImmutableArray<ChangeEntry> Newest => made ??= Make();

    /// <summary>Replaces what is kept with <paramref name="newestFirst"/> (read back from the audit trail), at most the limit.</summary>
    public void Reset(ImmutableArray<ChangeEntry> newestFirst)
    {
        Array.Clear(ring);
        count = 0;
        newest = 0;
        for (var i = Math.Min(newestFirst.Length, ring.Length) - 1; i >= 0; i--)
        {
            Put(newestFirst[i]);
        }

        made = null;
    }

    /// <summary>
    /// Adds one version's <paramref name="entries"/> before those kept: in the order the audit trail gives them back on
    /// the next activation (target ascending, ordinal; a stable order), so the first of them comes first.
    /// </summary>
    public void Add(ImmutableArray<ChangeEntry> entries)
    {
        if (entries.IsDefaultOrEmpty)
        {
            return;
        }

        if (entries.Length == 1)
        {
            Put(entries[0]);
        }
        else
        {
            // Several entries (a report): only the first `limit` in target order can be kept; put last-first so the first ends newest.
            var sorted = entries.OrderBy(e => e.Target, StringComparer.Ordinal).Take(ring.Length).ToArray();
            for (var i = sorted.Length - 1; i >= 0; i--)
            {
                Put(sorted[i]);
            }
        }

        made = null;
    }

    private void Put(ChangeEntry entry)
    {
        newest = count == 0 ? 0 : (newest + ring.Length - 1) % ring.Length;
        ring[newest] = entry;
        count = Math.Min(count + 1, ring.Length);
    }

    private ImmutableArray<ChangeEntry> Make()
    {
        var result = new ChangeEntry[count];
        for (var i = 0; i < count; i++)
        {
            result[i] = ring[(newest + i) % ring.Length];
        }

        return ImmutableCollectionsMarshal.AsImmutableArray(result);
    }
}
