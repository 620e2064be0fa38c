using Readiness.Catalog;
using Readiness.Rules;

namespace Readiness.Tests.Rules;

/// <summary>
/// A change copies only the list it touches, and a municipality's summary reuses its systems' counts while that list
/// and the day stay (issue 14: allocation per change); the figures stay those of a recomputation.
/// </summary>
public sealed class SummaryReuseTests
{
    private static readonly DateOnly Today = new(2026, 11, 25);
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 3, 0, 0, TimeSpan.Zero);
    private static readonly Actor Staff = new("tanaka@example.lg.jp", Role.Municipality, "131016");

    private static MunicipalityRecord Current()
    {
        var r = Baseline.Empty("131016", Now.AddDays(-100), Baseline.Provenance);
        return r with { Systems = r.Systems.SetItem(0, r.Systems[0] with { Phase = MigrationPhase.Contract }) };
    }

    private static ChangeRequest Security(string itemId, SecurityStatus status, string requestId = "r-1") => new()
    {
        RequestId = requestId,
        Actor = Staff,
        Security = [new SecurityChange { ItemId = itemId, Status = status }],
    };

    private static ChangeRequest System(string businessId, MigrationPhase phase, string requestId = "r-1") => new()
    {
        RequestId = requestId,
        Actor = Staff,
        Systems = [new SystemChange { BusinessId = businessId, Phase = phase, Reason = "体制の見直し" }],
    };

    [Fact]
    public void A_change_to_one_list_keeps_the_other_and_leaves_the_old_record_as_it_was()
    {
        var before = Current();
        var item = before.Security[3];
        var (afterSecurity, _) = ChangeRules.Apply(before, Security(item.ItemId, SecurityStatus.Implemented), Now);
        Assert.True(afterSecurity.Systems == before.Systems, "a security change copied the systems list");
        Assert.False(afterSecurity.Security == before.Security);
        Assert.Equal(SecurityStatus.Implemented, afterSecurity.Security[3].Status);
        Assert.Same(item, before.Security[3]);

        var system = before.Systems[1];
        var (afterSystem, _) = ChangeRules.Apply(before, System(system.BusinessId, MigrationPhase.Testing), Now);
        Assert.True(afterSystem.Security == before.Security, "a system change copied the security list");
        Assert.False(afterSystem.Systems == before.Systems);
        Assert.Equal(MigrationPhase.Testing, afterSystem.Systems[1].Phase);
        Assert.Same(system, before.Systems[1]);
    }

    [Fact]
    public void The_remembered_systems_counts_give_the_figures_of_a_recomputation_and_are_reused_only_while_the_systems_and_the_day_stay()
    {
        var memo = new SystemsFiguresMemo();
        var record = Current();
        var items = record.Security.Select(s => s.ItemId).ToList();
        var businesses = record.Systems.Select(s => s.BusinessId).ToList();
        var day = Today;
        MunicipalitySummary? last = null;
        var reused = 0;
        var systemChanges = 0;
        for (var step = 0; step < 60; step++)
        {
            var systemsBefore = record.Systems;
            var dayBefore = day;
            var request = (step % 7) switch
            {
                3 => System(businesses[step % businesses.Count], (MigrationPhase)(step % 9), $"r-{step}"),
                _ => Security(items[step % items.Count], (SecurityStatus)(step % Figures.SecurityStatusCount), $"r-{step}"),
            };
            if (ChangeRules.Validate(request, record, day).IsEmpty)
            {
                record = ChangeRules.Apply(record, request, Now.AddDays(day.DayNumber - Today.DayNumber)).Record;
                systemChanges += record.Systems == systemsBefore ? 0 : 1;
            }

            if (step % 11 == 10)
            {
                day = day.AddDays(1); // a new day moves overdue and stale flags without a change
            }

            var summary = ReadinessRules.Summary(record, day, memo);
            Assert.True(summary.Figures.SameAs(ReadinessRules.Summarize(record, day)), $"step {step}: the figures differ from a recomputation");
            Assert.Equal(ReadinessRules.Summary(record, day) with { Figures = summary.Figures }, summary);
            if (last is not null)
            {
                var same = record.Systems == systemsBefore && day == dayBefore;
                Assert.Equal(same, summary.Figures.BusinessPhaseCounts == last.Figures.BusinessPhaseCounts);
                reused += same ? 1 : 0;
            }

            last = summary;
        }

        Assert.True(reused > 30, $"only {reused} of 59 summaries reused the systems' counts");
        Assert.True(systemChanges >= 5, $"only {systemChanges} system changes were applied");
    }
}
