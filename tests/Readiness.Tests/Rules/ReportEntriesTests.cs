using System.Collections.Immutable;
using Readiness.Rules;

namespace Readiness.Tests.Rules;

/// <summary>
/// <see cref="ChangeRules.Apply"/>'s audit entries for reports that mix changed and unchanged targets: the same as
/// the whole rule (every target's fields made, the unchanged dropped unless nothing changed), which Apply now follows
/// without making the unchanged targets' fields (issue 14).
/// </summary>
public sealed class ReportEntriesTests
{
    private static readonly DateOnly Today = new(2026, 11, 25);
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 3, 0, 0, TimeSpan.Zero);
    private static readonly Actor Staff = new("tanaka@example.lg.jp", Role.Municipality, "131016");

    [Fact]
    public void A_report_s_entries_are_those_of_the_whole_rule_for_every_mix_of_changed_and_unchanged_targets()
    {
        var random = new Random(20261206);
        var applied = 0;
        var confirmations = 0;
        for (var trial = 0; trial < 400; trial++)
        {
            var current = Current(random);
            var confirming = trial % 5 == 0; // every target as stored: the report only confirms
            var systems = new List<SystemChange>();
            foreach (var s in current.Systems.Where(_ => random.Next(3) > 0))
            {
                systems.Add((confirming ? 3 : random.Next(4)) switch
                {
                    0 => new SystemChange { BusinessId = s.BusinessId, Phase = (MigrationPhase)Math.Min((int)s.Phase + 1, (int)MigrationPhase.InProduction), PlannedGoLive = s.PlannedGoLive, Vendor = s.Vendor, Hosting = s.Hosting },
                    1 => new SystemChange { BusinessId = s.BusinessId, Phase = s.Phase, PlannedGoLive = new DateOnly(2027, 1 + random.Next(12), 1), Vendor = s.Vendor, Hosting = s.Hosting },
                    _ => new SystemChange { BusinessId = s.BusinessId, Phase = s.Phase, PlannedGoLive = s.PlannedGoLive, Vendor = s.Vendor, Hosting = s.Hosting },
                });
            }

            var security = new List<SecurityChange>();
            foreach (var i in current.Security.Where(_ => random.Next(3) > 0))
            {
                security.Add(!confirming && random.Next(4) == 0
                    ? new SecurityChange { ItemId = i.ItemId, Status = (SecurityStatus)random.Next(Enum.GetValues<SecurityStatus>().Length), Evidence = i.Evidence, LastReviewed = i.LastReviewed }
                    : new SecurityChange { ItemId = i.ItemId, Status = i.Status, Evidence = i.Evidence, LastReviewed = i.LastReviewed });
            }

            var request = new ChangeRequest { RequestId = $"r-{trial}", Actor = Staff, Systems = [.. systems], Security = [.. security] };
            if (!ChangeRules.Validate(request, current, Today).IsEmpty)
            {
                continue;
            }

            var (next, entries) = ChangeRules.Apply(current, request, Now);
            var expected = WholeRule(current, next, request);
            Assert.Equal(expected.Select(e => e.Target), entries.Select(e => e.Target));
            Assert.Equal(expected.Select(e => e.Before.ToList()), entries.Select(e => e.BeforeFields.ToList()));
            Assert.Equal(expected.Select(e => e.After.ToList()), entries.Select(e => e.AfterFields.ToList()));
            applied++;
            confirmations += entries.All(AuditFields.IsConfirmation) ? 1 : 0;
        }

        // Both kinds were tried, many times.
        Assert.True(applied > 200, $"{applied} reports applied");
        Assert.True(confirmations > 10, $"{confirmations} confirmations");
        Assert.True(applied - confirmations > 100, $"{applied - confirmations} reports with changes");
    }

    /// <summary>The rule as it reads: every target's both sides, then the ones that differ, or all when none does.</summary>
    private static List<(string Target, ImmutableArray<AuditField> Before, ImmutableArray<AuditField> After)> WholeRule(MunicipalityRecord current, MunicipalityRecord next, ChangeRequest request)
    {
        var all = new List<(string Target, ImmutableArray<AuditField> Before, ImmutableArray<AuditField> After)>();
        foreach (var s in request.Systems)
        {
            var before = current.FindSystem(s.BusinessId)!;
            var after = next.FindSystem(s.BusinessId)!;
            var afterFields = AuditFields.Of(after);
            if (ReadinessRules.MoveOf(before, after.Phase) == PhaseMove.EstimateCorrected)
            {
                afterFields = afterFields.Add(new AuditField(AuditFields.EstimateCorrected, "true", IsFlag: true));
            }

            all.Add(("system:" + s.BusinessId, AuditFields.Of(before), afterFields));
        }

        foreach (var i in request.Security)
        {
            all.Add(("security:" + i.ItemId, AuditFields.Of(current.FindSecurityItem(i.ItemId)!), AuditFields.Of(next.FindSecurityItem(i.ItemId)!)));
        }

        var changed = all.Where(e => !e.Before.SequenceEqual(e.After)).ToList();
        return changed.Count > 0 ? changed : all;
    }

    private static MunicipalityRecord Current(Random random)
    {
        var r = Baseline.Empty("131016", Now.AddDays(-100), Baseline.Provenance);
        var systems = r.Systems.Select(s => s with
        {
            Phase = (MigrationPhase)random.Next((int)MigrationPhase.InProduction + 1),
            PlannedGoLive = random.Next(2) == 0 ? null : new DateOnly(2026, 1 + random.Next(12), 1),
            Vendor = random.Next(2) == 0 ? null : "ベンダー" + random.Next(3),
            ReportedAt = Now.AddDays(-10),
        });
        var security = r.Security.Select(i => i with { Status = (SecurityStatus)random.Next(Enum.GetValues<SecurityStatus>().Length), ReportedAt = Now.AddDays(-10) });
        return r with { Systems = [.. systems], Security = [.. security] };
    }
}
