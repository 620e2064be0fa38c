using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Readiness.Web.Api;

/// <summary>
/// Counts under a fixed list of names (phases, designation reasons, security statuses), read as a dictionary and
/// written as a JSON object in the names' order. The names are shared by every view and the counts are one small
/// array: a view of a summary holds some twenty of these, and the dashboard's cache renders several summaries per
/// change (allocation profile, issue 14), so a hash table each was a sixth of what the server allocated.
/// </summary>
public sealed class SlotCountDictionary : IReadOnlyDictionary<string, int>
{
    private readonly SlotNames names;
    private readonly int[] values;

    private SlotCountDictionary(SlotNames names, int[] values)
    {
        this.names = names;
        this.values = values;
    }

    /// <summary>The counts of <paramref name="counts"/> at each name's slot.</summary>
    internal static SlotCountDictionary From(SlotNames names, ReadOnlySpan<int> counts)
    {
        var values = new int[names.Names.Length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = counts[names.Slots[i]];
        }

        return new SlotCountDictionary(names, values);
    }

    public int this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"No count named '{key}'.");

    public IEnumerable<string> Keys => names.Names.AsReadOnly(); // shared by every view: never handed out writable

    public IEnumerable<int> Values => values.AsReadOnly();

    public int Count => values.Length;

    public bool ContainsKey(string key) => Array.IndexOf(names.Names, key) >= 0;

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out int value)
    {
        var i = Array.IndexOf(names.Names, key);
        value = i >= 0 ? values[i] : 0;
        return i >= 0;
    }

    public IEnumerator<KeyValuePair<string, int>> GetEnumerator()
    {
        for (var i = 0; i < values.Length; i++)
        {
            yield return new KeyValuePair<string, int>(names.Names[i], values[i]);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>The names of a <see cref="SlotCountDictionary"/> (wire names, in order) and the slot each is counted in.</summary>
internal sealed record SlotNames(string[] Names, int[] Slots)
{
    public static SlotNames Of(IEnumerable<(string Name, int Slot)> slots)
    {
        var list = slots.ToList();
        return new SlotNames([.. list.Select(s => s.Name)], [.. list.Select(s => s.Slot)]);
    }
}
