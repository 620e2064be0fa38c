using Orleans.Core.Internal;
using Readiness.Catalog;
using Readiness.Grains;

namespace Readiness.HostTests.Grains;

/// <summary>
/// The recent changes a municipality grain keeps in memory after each write (newest version first, one version's
/// entries by target, at most <see cref="MunicipalityGrainState.RememberedChanges"/>) are the ones a new activation
/// reads back from the audit trail.
/// </summary>
[Collection(GrainClusterCollection.Name)]
public sealed class RecentChangesTests(GrainClusterFixture fixture)
{
    [Fact]
    public async Task The_recent_changes_kept_after_each_write_are_those_a_new_activation_reads_back()
    {
        // A town no other test writes to (the 101st of the catalog).
        var code = ReadinessCatalog.Instance.Municipalities[100].Code;
        var actor = new Actor("recent", Role.Municipality, code);
        var items = ReadinessCatalog.Instance.SecurityItems.Select(i => i.Id).ToList();
        var grain = fixture.Grains.GetGrain<IMunicipalityGrain>(code);
        for (var i = 0; i < 40; i++)
        {
            // Single changes, and every fifth a change of three items given in descending order (kept by target).
            SecurityChange Item(int k) => new() { ItemId = items[(i + k) % items.Count], Status = (SecurityStatus)((i + k) % 4), Evidence = $"recent {i}" };
            var request = new ChangeRequest
            {
                RequestId = $"recent-{i}",
                Actor = actor,
                Minimal = i % 2 == 0,
                Security = i % 5 == 0 ? [Item(2), Item(1), Item(0)] : [Item(0)],
            };
            Assert.Equal(ChangeStatus.Accepted, (await grain.ApplyAsync(request)).Status);
        }

        var kept = await grain.GetRecentChangesAsync();
        Assert.Equal(MunicipalityGrainState.RememberedChanges, kept.Length);
        Assert.Equal("recent-39", kept[0].RequestId);
        Assert.All(kept.Zip(kept.Skip(1)), pair => Assert.True(pair.First.Version > pair.Second.Version
            || (pair.First.Version == pair.Second.Version && string.CompareOrdinal(pair.First.Target, pair.Second.Target) < 0)));

        await grain.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        await Task.Delay(200);
        var readBack = await grain.GetRecentChangesAsync();
        Assert.Equal(kept.Select(c => (c.RequestId, c.Version, c.Target, c.After)), readBack.Select(c => (c.RequestId, c.Version, c.Target, c.After)));
    }
}
