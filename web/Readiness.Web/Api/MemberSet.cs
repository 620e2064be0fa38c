using System.Collections;
using System.Numerics;

namespace Readiness.Web.Api;

/// <summary>
/// The members a request sent (<see cref="JsonBody.Members{T}"/>), as bits over its contract's member names (at most
/// 64): read-only, ordinal, in the contract's order when enumerated.
/// </summary>
public sealed class MemberSet(string[] names, ulong sent) : IReadOnlySet<string>
{
    public int Count => BitOperations.PopCount(sent);

    public bool Contains(string item)
    {
        var i = Array.IndexOf(names, item);
        return i >= 0 && (sent & (1UL << i)) != 0;
    }

    public IEnumerator<string> GetEnumerator()
    {
        for (var i = 0; i < names.Length; i++)
        {
            if ((sent & (1UL << i)) != 0)
            {
                yield return names[i];
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public bool IsProperSubsetOf(IEnumerable<string> other) => ToSet().IsProperSubsetOf(other);

    public bool IsProperSupersetOf(IEnumerable<string> other) => ToSet().IsProperSupersetOf(other);

    public bool IsSubsetOf(IEnumerable<string> other) => ToSet().IsSubsetOf(other);

    public bool IsSupersetOf(IEnumerable<string> other) => ToSet().IsSupersetOf(other);

    public bool Overlaps(IEnumerable<string> other) => other.Any(Contains);

    public bool SetEquals(IEnumerable<string> other) => ToSet().SetEquals(other);

    private HashSet<string> ToSet() => new(this, StringComparer.Ordinal);
}
