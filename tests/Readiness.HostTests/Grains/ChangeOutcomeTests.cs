using Readiness.Grains;

namespace Readiness.HostTests.Grains;

/// <summary>
/// What an accepted or replayed change answers: the recent changes come back unless the caller asked for a minimal
/// answer (<see cref="ChangeRequest.Minimal"/>, RFC 7240 return=minimal at the API), and leaving them out of the answer
/// leaves the grain's own list as it was. (The prefecture-run grain's: PreferReturnTests, on its own host, since a
/// prefecture run's versions count in the nation that AggregationTests recomputes from the municipalities alone.)
/// </summary>
[Collection(GrainClusterCollection.Name)]
public sealed class ChangeOutcomeTests(GrainClusterFixture fixture)
{
    private static readonly Actor Staff = new("suzuki", Role.Municipality, "012068");

    [Fact]
    public async Task A_minimal_municipality_change_answers_without_recent_changes_and_keeps_them()
    {
        var grain = fixture.Grains.GetGrain<IMunicipalityGrain>("012068"); // 釧路市
        var full = await grain.ApplyAsync(new ChangeRequest { RequestId = "outcome-full", Actor = Staff, Systems = [new SystemChange { BusinessId = "koseki", Vendor = "Full" }] });
        Assert.Equal(ChangeStatus.Accepted, full.Status);
        Assert.Contains(full.RecentChanges, c => c.RequestId == "outcome-full");

        var minimalRequest = new ChangeRequest { RequestId = "outcome-minimal", Actor = Staff, Minimal = true, Systems = [new SystemChange { BusinessId = "koseki", Vendor = "Minimal" }] };
        var minimal = await grain.ApplyAsync(minimalRequest);
        Assert.Equal(ChangeStatus.Accepted, minimal.Status);
        Assert.Empty(minimal.RecentChanges);
        Assert.Equal(full.Record.Version + 1, minimal.Record.Version);
        Assert.Equal("Minimal", minimal.Record.FindSystem("koseki")!.Vendor);
        Assert.Single(minimal.Applied, e => e.RequestId == "outcome-minimal"); // what it changed is still answered

        // Kept by the grain all the same: the next full answer and the grain's list have both requests, newest first.
        var recent = await grain.GetRecentChangesAsync();
        Assert.Equal(["outcome-minimal", "outcome-full"], recent.Take(2).Select(c => c.RequestId));

        // A replay answers as its own request asks: minimal again, or with the list when asked without.
        var minimalReplay = await grain.ApplyAsync(minimalRequest);
        Assert.Equal(ChangeStatus.Replayed, minimalReplay.Status);
        Assert.Empty(minimalReplay.RecentChanges);
        var replayed = await grain.ApplyAsync(minimalRequest with { Minimal = false });
        Assert.Equal(ChangeStatus.Replayed, replayed.Status);
        Assert.Equal(recent.Select(c => (c.RequestId, c.Version, c.Target)), replayed.RecentChanges.Select(c => (c.RequestId, c.Version, c.Target)));
    }
}
