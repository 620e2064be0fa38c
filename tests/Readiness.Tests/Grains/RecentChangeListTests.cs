using System.Collections.Immutable;
using Readiness.Grains;
using Xunit;

namespace Readiness.Tests.Grains;

public sealed class RecentChangeListTests
{
    private static ChangeEntry Entry(long version, string target) => new()
    {
        MunicipalityCode = "131016",
        Version = version,
        At = DateTimeOffset.UnixEpoch.AddMinutes(version),
        Actor = new Actor("someone", Role.Municipality, "131016"),
        RequestId = "r" + version,
        Target = target,
    };

    /// <summary>What the grain kept before the ring (issue 14): one version's entries in target order, before those kept, at most the limit.</summary>
    private static ImmutableArray<ChangeEntry> Expected(IEnumerable<ImmutableArray<ChangeEntry>> versions, int limit) =>
        versions.Aggregate(ImmutableArray<ChangeEntry>.Empty,
            (kept, entries) => [.. entries.OrderBy(e => e.Target, StringComparer.Ordinal).Concat(kept).Take(limit)]);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 2)]
    [InlineData(50, 7)]
    [InlineData(50, 123)]
    public void Keeps_the_newest_versions_entries_in_target_order_before_the_older_ones(int limit, int seed)
    {
        var random = new Random(seed);
        var list = new RecentChangeList(limit);
        var versions = new List<ImmutableArray<ChangeEntry>>();
        for (var v = 1; v <= 300; v++)
        {
            // Mostly single changes, now and then a report of many targets (more than the limit, at times) or nothing.
            var size = random.Next(10) switch { 0 => random.Next(2, 70), 1 => 0, _ => 1 };
            ImmutableArray<ChangeEntry> entries = [.. Enumerable.Range(0, size).Select(_ => Entry(v, $"security:sec-{random.Next(100):D2}"))];
            versions.Add(entries);
            list.Add(entries);
            if (random.Next(4) == 0)
            {
                Assert.Equal(Expected(versions, limit).ToArray(), list.Newest.ToArray());
            }
        }

        Assert.Equal(Expected(versions, limit).ToArray(), list.Newest.ToArray());
    }

    [Fact]
    public void A_reset_keeps_what_the_audit_trail_gave_back_then_adds_before_it()
    {
        var list = new RecentChangeList(3);
        list.Add([Entry(1, "system:a")]);
        ImmutableArray<ChangeEntry> readBack = [Entry(9, "system:x"), Entry(8, "system:y"), Entry(7, "system:z"), Entry(6, "system:w")];

        list.Reset(readBack);
        Assert.Equal(readBack.Take(3).ToArray(), list.Newest.ToArray());

        var next = Entry(10, "security:sec-01");
        list.Add([next]);
        Assert.Equal([next, readBack[0], readBack[1]], list.Newest.ToArray());
        Assert.True(list.Newest == list.Newest); // made once, kept until the next change
    }

    [Fact]
    public void Starts_empty() => Assert.Empty(new RecentChangeList(50).Newest);
}
