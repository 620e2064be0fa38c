using System.Collections;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;

namespace Readiness.Web.Api;

/// <summary>
/// Counts under a fixed list of names (phases, designation reasons, security statuses), read as a dictionary and
/// written as a JSON object in the names' order. The names are shared by every view and the counts are the summary's own
/// (immutable) array: a view of a summary holds some twenty of these, and the dashboard's cache renders several summaries per
/// change (allocation profile, issue 14), so a hash table each was a sixth of what the server allocated.
/// </summary>
public sealed class SlotCountDictionary : IReadOnlyDictionary<string, int>
{
    private readonly SlotNames names;

    // The summary's own counts, wrapped rather than copied: figures are immutable once made, and a copy per dictionary
    // was a tenth of what a change allocated through the dashboard cache (allocation profile, issue 14).
    private readonly ImmutableArray<int> counts;
    private readonly int offset;

    private SlotCountDictionary(SlotNames names, ImmutableArray<int> counts, int offset)
    {
        this.names = names;
        this.counts = counts;
        this.offset = offset;
    }

    /// <summary>
    /// The counts of <paramref name="counts"/> from <paramref name="offset"/> at each name's slot. Throws
    /// <see cref="ArgumentOutOfRangeException"/> when a slot lies outside the array.
    /// </summary>
    internal static SlotCountDictionary From(SlotNames names, ImmutableArray<int> counts, int offset = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset + names.Width, counts.Length, nameof(counts));
        return new SlotCountDictionary(names, counts, offset);
    }

    private int At(int i) => counts[offset + names.Slots[i]];

    public int this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"No count named '{key}'.");

    public IEnumerable<string> Keys => names.Names.AsReadOnly(); // shared by every view: never handed out writable

    public IEnumerable<int> Values
    {
        get
        {
            for (var i = 0; i < names.Names.Length; i++)
            {
                yield return At(i);
            }
        }
    }

    public int Count => names.Names.Length;

    public bool ContainsKey(string key) => Array.IndexOf(names.Names, key) >= 0;

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out int value)
    {
        var i = Array.IndexOf(names.Names, key);
        value = i >= 0 ? At(i) : 0;
        return i >= 0;
    }

    public IEnumerator<KeyValuePair<string, int>> GetEnumerator()
    {
        for (var i = 0; i < names.Names.Length; i++)
        {
            yield return new KeyValuePair<string, int>(names.Names[i], At(i));
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>The names of a <see cref="SlotCountDictionary"/> (wire names, in order) and the slot each is counted in.</summary>
internal sealed record SlotNames(string[] Names, int[] Slots)
{
    /// <summary>How many counts the slots span (the highest slot plus one).</summary>
    public int Width { get; } = Slots.Length == 0 ? 0 : Slots.Max() + 1;

    public static SlotNames Of(IEnumerable<(string Name, int Slot)> slots)
    {
        var list = slots.ToList();
        return new SlotNames([.. list.Select(s => s.Name)], [.. list.Select(s => s.Slot)]);
    }
}
