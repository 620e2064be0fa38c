using System.Text.Json;
using Orleans.Core.Internal;
using Readiness.Grains;

namespace Readiness.HostTests.Grains;

[Collection(GrainClusterCollection.Name)]
public sealed class BadInputTests(GrainClusterFixture fixture)
{
    private static readonly Actor Staff = new("sato", Role.Municipality, "012025");

    public static TheoryData<string, ChangeRequest> Bad() => new()
    {
        { "report", new ChangeRequest { RequestId = "bad-empty", Actor = Staff } },
        { "systems[0].businessId", new ChangeRequest { RequestId = "bad-1", Actor = Staff, Systems = [new SystemChange { BusinessId = "'; DROP TABLE OrleansStorage; --" }] } },
        { "systems[koseki].plannedGoLive", new ChangeRequest { RequestId = "bad-2", Actor = Staff, Systems = [new SystemChange { BusinessId = "koseki", PlannedGoLive = new DateOnly(1900, 1, 1) }] } },
        { "systems[koseki].designation.reason", new ChangeRequest { RequestId = "bad-3", Actor = Staff, Systems = [new SystemChange { BusinessId = "koseki", Designation = new DesignationInput(null, new DateOnly(2030, 1, 1)) }] } },
        { "security[SEC-1-01].status", new ChangeRequest { RequestId = "bad-5", Actor = Staff, Security = [new SecurityChange { ItemId = "SEC-1-01" }] } },
        // Valid first change, invalid second: all or nothing.
        { "security[1].itemId", new ChangeRequest { RequestId = "bad-6", Actor = Staff, Systems = [new SystemChange { BusinessId = "koseki", Phase = MigrationPhase.InProduction }], Security = [new SecurityChange { ItemId = "SEC-1-01", Status = SecurityStatus.Implemented }, new SecurityChange { ItemId = "nope", Status = SecurityStatus.Implemented }] } },
    };

    [Theory]
    [MemberData(nameof(Bad))]
    public async Task Bad_input_is_rejected_and_changes_nothing(string field, ChangeRequest request)
    {
        var grain = fixture.Grains.GetGrain<IMunicipalityGrain>("012025"); // 函館市
        var before = JsonSerializer.Serialize(await grain.GetAsync());
        var outcome = await grain.ApplyAsync(request);
        Assert.Equal(ChangeStatus.Invalid, outcome.Status);
        Assert.Contains(outcome.Errors, e => e.Field == field);
        Assert.Equal(before, JsonSerializer.Serialize(await grain.GetAsync()));
        Assert.Equal(before, JsonSerializer.Serialize(outcome.Record));
    }

    [Fact]
    public async Task A_move_back_from_a_reported_phase_without_a_reason_is_rejected_and_changes_nothing()
    {
        // A move below the public baseline's estimate corrects it and needs no reason; below what the municipality
        // itself reported it is a regression, which does.
        var grain = fixture.Grains.GetGrain<IMunicipalityGrain>("012076"); // 帯広市
        var reported = await grain.ApplyAsync(new ChangeRequest { RequestId = "back-1", Actor = Staff with { Tenant = "012076" }, Systems = [new SystemChange { BusinessId = "koseki", Phase = MigrationPhase.InProduction }] });
        Assert.Equal(ChangeStatus.Accepted, reported.Status);
        var before = JsonSerializer.Serialize(await grain.GetAsync());

        var outcome = await grain.ApplyAsync(new ChangeRequest { RequestId = "back-2", Actor = Staff with { Tenant = "012076" }, Systems = [new SystemChange { BusinessId = "koseki", Phase = MigrationPhase.NotStarted }] });

        Assert.Equal(ChangeStatus.Invalid, outcome.Status);
        Assert.Contains(outcome.Errors, e => e.Field == "systems[koseki].reason");
        Assert.Equal(before, JsonSerializer.Serialize(await grain.GetAsync()));
    }

    [Fact]
    public async Task A_stale_expected_version_is_refused_and_changes_nothing()
    {
        var grain = fixture.Grains.GetGrain<IMunicipalityGrain>("012033"); // 小樽市
        var current = await grain.GetAsync();
        var first = await grain.ApplyAsync(new ChangeRequest { RequestId = "v-1", Actor = Staff, ExpectedVersion = current.Version, Systems = [new SystemChange { BusinessId = "koseki", Phase = MigrationPhase.InProduction }] });
        Assert.Equal(ChangeStatus.Accepted, first.Status);
        Assert.Equal(current.Version + 1, first.Record.Version);
        var stale = await grain.ApplyAsync(new ChangeRequest { RequestId = "v-2", Actor = Staff, ExpectedVersion = current.Version, Systems = [new SystemChange { BusinessId = "koseki", Phase = MigrationPhase.Testing, Reason = "x" }] });
        Assert.Equal(ChangeStatus.VersionConflict, stale.Status);
        Assert.Equal(current.Version + 1, (await grain.GetAsync()).Version);
        Assert.Equal(MigrationPhase.InProduction, (await grain.GetAsync()).FindSystem("koseki")!.Phase);
    }

    [Fact]
    public async Task A_repeated_request_id_applies_nothing_again()
    {
        var grain = fixture.Grains.GetGrain<IMunicipalityGrain>("012041"); // 旭川市
        var request = new ChangeRequest { RequestId = "retry-1", Actor = Staff, Systems = [new SystemChange { BusinessId = "koseki", Phase = MigrationPhase.InProduction }] };
        var first = await grain.ApplyAsync(request);
        var again = await grain.ApplyAsync(request);
        Assert.Equal(ChangeStatus.Accepted, first.Status);
        Assert.Equal(ChangeStatus.Replayed, again.Status);
        Assert.Equal(first.Record.Version, (await grain.GetAsync()).Version);
        Assert.Single(await grain.GetRecentChangesAsync(), c => c.RequestId == "retry-1");

        var different = await grain.ApplyAsync(request with { Systems = [new SystemChange { BusinessId = "koseki", Phase = MigrationPhase.LegacyDecommissioned }] });
        Assert.Equal(ChangeStatus.IdempotencyKeyReused, different.Status);
        Assert.Equal(first.Record.Version, (await grain.GetAsync()).Version);
    }

    [Fact]
    public async Task A_replay_names_the_call_that_applied_the_request()
    {
        // The web tier tells its own retried first attempt (same call id) from a client's repeat (another call id).
        var grain = fixture.Grains.GetGrain<IMunicipalityGrain>("012050"); // 室蘭市
        var request = new ChangeRequest { RequestId = "call-1", CallId = "web-call-a", Actor = Staff, Systems = [new SystemChange { BusinessId = "koseki", Phase = MigrationPhase.InProduction }] };
        Assert.Equal(ChangeStatus.Accepted, (await grain.ApplyAsync(request)).Status);
        var ownRetry = await grain.ApplyAsync(request);
        var clientRepeat = await grain.ApplyAsync(request with { CallId = "web-call-b" });
        Assert.Equal(ChangeStatus.Replayed, ownRetry.Status);
        Assert.Equal("web-call-a", ownRetry.AppliedBy);
        Assert.Equal(ChangeStatus.Replayed, clientRepeat.Status);
        Assert.Equal("web-call-a", clientRepeat.AppliedBy);
    }

    [Fact]
    public async Task A_request_id_is_remembered_for_the_last_256_accepted_requests_also_after_reactivation()
    {
        // docs/api.md: keys are remembered per municipality for its last 256 accepted requests, across restarts.
        var grain = fixture.Grains.GetGrain<IMunicipalityGrain>("472115"); // 沖縄市
        ChangeRequest Request(int i) => new() { RequestId = "window-" + i, Actor = Staff with { Tenant = "472115" }, Systems = [new SystemChange { BusinessId = "koseki", Vendor = "vendor " + i }] };
        for (var i = 0; i <= MunicipalityGrainState.RememberedRequests; i++)
        {
            Assert.Equal(ChangeStatus.Accepted, (await grain.ApplyAsync(Request(i))).Status);
        }

        // 257 accepted: the first has left the window; the second is the oldest still remembered.
        var version = (await grain.GetAsync()).Version;
        Assert.Equal(ChangeStatus.Replayed, (await grain.ApplyAsync(Request(1))).Status);
        Assert.Equal(ChangeStatus.Replayed, (await grain.ApplyAsync(Request(MunicipalityGrainState.RememberedRequests))).Status);
        Assert.Equal(version, (await grain.GetAsync()).Version);
        var forgotten = await grain.ApplyAsync(Request(0));
        Assert.Equal(ChangeStatus.Accepted, forgotten.Status);
        Assert.Equal(version + 1, forgotten.Record.Version);
        Assert.Equal(ChangeStatus.Accepted, (await grain.ApplyAsync(Request(1))).Status); // pushed out by window-0

        // Remembered now: window-2 … window-256, window-0, window-1 (259 accepted in all). A new activation reads the
        // window back from the applied-request table: the same 256, no more.
        await grain.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        await Task.Delay(200);
        version = (await grain.GetAsync()).Version;
        foreach (var kept in new[] { 3, 0, 1, MunicipalityGrainState.RememberedRequests })
        {
            Assert.Equal(ChangeStatus.Replayed, (await grain.ApplyAsync(Request(kept))).Status);
        }

        Assert.Equal(version, (await grain.GetAsync()).Version);
        Assert.Equal(ChangeStatus.Accepted, (await grain.ApplyAsync(Request(2))).Status);
    }

    [Fact]
    public async Task A_code_that_is_not_a_municipality_cannot_be_activated()
    {
        await Assert.ThrowsAnyAsync<Exception>(() => fixture.Grains.GetGrain<IMunicipalityGrain>("131017").GetAsync());
        await Assert.ThrowsAnyAsync<Exception>(() => fixture.Grains.GetGrain<IPrefectureGrain>("48").GetAsync());
    }
}
