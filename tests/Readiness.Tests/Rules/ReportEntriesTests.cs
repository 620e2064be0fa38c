using System.Collections.Immutable;
using Readiness.Rules;

namespace Readiness.Tests.Rules;

/// <summary>
/// <see cref="ChangeRules.Apply"/>'s audit entries for reports that mix changed and unchanged targets: every target the
/// report names has its entry, in the order sent, a changed one before and after, an unchanged one a confirmation
/// (before = after). The forty-first round dropped the unchanged targets of a changing report to save allocation, so
/// the trail did not say that the report had confirmed them (a breaker's finding).
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

    [Fact]
    public void A_full_report_that_changes_3_targets_records_the_other_64_as_confirmed()
    {
        var current = Current(new Random(7));
        var changed = new HashSet<string>(StringComparer.Ordinal) { "system:" + current.Systems[0].BusinessId, "system:" + current.Systems[5].BusinessId, "security:" + current.Security[10].ItemId };
        var request = new ChangeRequest
        {
            RequestId = "full",
            Actor = Staff,
            Systems = [.. current.Systems.Select(s => new SystemChange
            {
                BusinessId = s.BusinessId, Phase = s.Phase, PlannedGoLive = s.PlannedGoLive, Hosting = s.Hosting,
                Vendor = changed.Contains("system:" + s.BusinessId) ? "新ベンダー" : s.Vendor,
            })],
            Security = [.. current.Security.Select(i => new SecurityChange
            {
                ItemId = i.ItemId, LastReviewed = i.LastReviewed,
                Status = i.Status, Evidence = changed.Contains("security:" + i.ItemId) ? "規程第3条" : i.Evidence,
            })],
        };
        Assert.Empty(ChangeRules.Validate(request, current, Today));

        var (next, entries) = ChangeRules.Apply(current, request, Now);
        Assert.Equal(67, entries.Length);
        Assert.Equal([.. request.Systems.Select(s => "system:" + s.BusinessId), .. request.Security.Select(i => "security:" + i.ItemId)], entries.Select(e => e.Target));
        Assert.Equal(changed.Order(StringComparer.Ordinal), entries.Where(e => !AuditFields.IsConfirmation(e)).Select(e => e.Target).Order(StringComparer.Ordinal));
        Assert.All(entries.Where(AuditFields.IsConfirmation), e => Assert.Equal(e.Target.StartsWith("system:", StringComparison.Ordinal)
            ? AuditFields.Of(current.FindSystem(e.Target[7..])!).AsEnumerable() : AuditFields.Of(current.FindSecurityItem(e.Target[9..])!), e.AfterFields.AsEnumerable()));
        Assert.All(entries, e => Assert.Equal((next.Version, Now, "full", Staff.Subject), (e.Version, e.At, e.RequestId, e.Actor.Subject)));
    }

    /// <summary>The rule as it reads: every target the report names, its both sides (equal when it is left as it stands).</summary>
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

        return all;
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
