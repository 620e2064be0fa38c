using System.Collections.Immutable;
using Readiness.Rules;

namespace Readiness.Tests.Rules;

/// <summary>
/// The decision for a dashboard form or template made from an older version (breaker's finding: the version is the
/// whole municipality's, so an unrelated save refused it): it conflicts only with the targets it changes that the audit
/// trail shows changed since; the template's rows are compared with the version it was made from, rebuilt from the trail.
/// </summary>
public sealed class ChangesSinceTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);

    private static ChangeEntry Entry(long version, string target, string subject, ImmutableArray<AuditField> before, ImmutableArray<AuditField> after) => new()
    {
        MunicipalityCode = "131016", Version = version, At = Now, Actor = new Actor(subject, Role.Municipality, "131016"),
        RequestId = "r" + version, Target = target, BeforeFields = before, AfterFields = after,
    };

    private static ChangeEntry SystemEntry(long version, string businessId, string subject, SystemStatus before, SystemStatus after) =>
        Entry(version, "system:" + businessId, subject, AuditFields.Of(before), AuditFields.Of(after));

    private static readonly SystemStatus Juki17 = new() { BusinessId = "resident_registry", Phase = MigrationPhase.Testing, Vendor = "A社" };
    private static readonly SystemStatus Juki18 = Juki17 with { Vendor = "B社" };

    [Fact]
    public void A_change_to_another_target_since_is_no_conflict()
    {
        ChangeEntry[] history = [SystemEntry(18, "resident_registry", "suzuki", Juki17, Juki18)];
        Assert.Empty(ChangesSince.Conflicts(history, 17, ["system:koseki"]));
        Assert.Empty(ChangesSince.Conflicts(history, 17, ["security:SEC-2-01"]));
    }

    [Fact]
    public void A_change_to_the_same_target_since_is_a_conflict_naming_who_and_which_version()
    {
        ChangeEntry[] history =
        [
            SystemEntry(19, "resident_registry", "tanaka", Juki18, Juki18 with { Phase = MigrationPhase.InProduction }),
            SystemEntry(18, "resident_registry", "suzuki", Juki17, Juki18),
            SystemEntry(18, "koseki", "suzuki", Juki17 with { BusinessId = "koseki" }, Juki18 with { BusinessId = "koseki" }),
        ];
        var conflict = Assert.Single(ChangesSince.Conflicts(history, 17, ["system:resident_registry", "security:SEC-2-01"]));
        Assert.Equal("system:resident_registry", conflict.Target);
        Assert.Equal(19, conflict.LastVersion);
        Assert.Equal(new[] { "suzuki", "tanaka" }, conflict.Actors.ToArray());
    }

    [Fact]
    public void Changes_at_or_below_the_version_made_from_are_not_conflicts()
    {
        ChangeEntry[] history = [SystemEntry(17, "resident_registry", "suzuki", Juki17, Juki18), SystemEntry(12, "resident_registry", "suzuki", Juki17, Juki18)];
        Assert.Empty(ChangesSince.Conflicts(history, 17, ["system:resident_registry"]));
    }

    [Fact]
    public void An_official_import_moving_only_its_step_completion_is_no_conflict_but_a_legacy_entry_is()
    {
        var before = AuditFields.Of(Juki17).Add(new AuditField("stepCompletion", "0.5"));
        var after = AuditFields.Of(Juki17).Add(new AuditField("stepCompletion", "0.75"));
        Assert.Empty(ChangesSince.Conflicts([Entry(18, "system:resident_registry", "import", before, after)], 17, ["system:resident_registry"]));

        // Written before the trail stored fields: nothing says what changed, so it counts as a change.
        var legacy = Entry(18, "system:resident_registry", "someone", [], []) with { Before = "phase=testing", After = "phase=in_production" };
        Assert.Single(ChangesSince.Conflicts([legacy], 17, ["system:resident_registry"]));
    }

    [Fact]
    public void The_record_as_of_a_version_puts_back_the_fields_before_the_first_later_change()
    {
        var koseki = new SystemStatus { BusinessId = "koseki", Phase = MigrationPhase.NotStarted };
        var item = new SecurityItemStatus { ItemId = "SEC-2-01", Status = SecurityStatus.Implemented, Evidence = "規程 v2" };
        var current = Baseline.Empty("131016", Now.AddDays(-100), Baseline.Provenance) with { Version = 20 };
        current = current with
        {
            Systems = [.. current.Systems.Select(s => s.BusinessId == "resident_registry" ? Juki18 with { Phase = MigrationPhase.InProduction } : s.BusinessId == "koseki" ? koseki : s)],
            Security = [.. current.Security.Select(s => s.ItemId == item.ItemId ? item : s)],
        };
        ChangeEntry[] history =
        [
            SystemEntry(19, "resident_registry", "tanaka", Juki18, Juki18 with { Phase = MigrationPhase.InProduction }),
            SystemEntry(18, "resident_registry", "suzuki", Juki17, Juki18),
            Entry(20, "security:SEC-2-01", "sato", AuditFields.Of(item with { Status = SecurityStatus.Partial, Evidence = null }), AuditFields.Of(item)),
        ];

        var then = ChangesSince.AsOf(current, history, 17);

        Assert.Equal(17, then.Version);
        Assert.Equal(Juki17.Phase, then.FindSystem("resident_registry")!.Phase);
        Assert.Equal("A社", then.FindSystem("resident_registry")!.Vendor);
        Assert.Equal(koseki, then.FindSystem("koseki")); // not changed since: as it is now
        Assert.Equal(SecurityStatus.Partial, then.FindSecurityItem("SEC-2-01")!.Status);
        Assert.Null(then.FindSecurityItem("SEC-2-01")!.Evidence);
    }
}
