using System.Collections.Immutable;
using System.Globalization;
using Readiness.Imports;

namespace Readiness.Rules;

/// <summary>
/// How an official dataset updates a municipality's official layer (architecture.md, flow 3). Pure.
/// - The official step completion of each system is replaced by the dataset's figure.
/// - The phase follows the documented step-to-phase rule (<see cref="Baseline.PhaseFromSteps"/>) only where the
///   municipality has not reported that system itself after the dataset's as-of day: a newer self-report wins.
/// - A dataset as of an earlier day than the one already applied changes nothing; nor does the same figures again.
/// - Step detail also stores the 40 step states (<see cref="SystemStatus.OfficialSteps"/>); a business whose 40 steps
///   are all 対象外 becomes not applicable.
/// - The designation list sets <see cref="SystemStatus.Designated"/> (and so the cap at testing) per business, compared
///   by as-of day with the designation list already held (<see cref="MunicipalityRecord.OfficialDesignation"/>).
/// Official data is not a self-report: it leaves ReportedAt and LastReportedAt alone.
/// </summary>
public static class OfficialRules
{
    public static (OfficialOutcome Outcome, MunicipalityRecord Record, ImmutableArray<ChangeEntry> Entries) Apply(
        MunicipalityRecord current, OfficialUpdate update, DateTimeOffset now)
    {
        var held = update.IsDesignationList ? current.OfficialDesignation : current.Official;
        if (held is { } applied && applied.AsOf > update.Dataset.AsOf)
        {
            return (OfficialOutcome.Older, current, []);
        }

        var version = current.Version + 1;
        var requestId = "import:" + update.Dataset.DatasetId;
        var catalog = Catalog.ReadinessCatalog.Instance;
        var systems = current.Systems.ToBuilder();
        var entries = ImmutableArray.CreateBuilder<ChangeEntry>();
        for (var i = 0; i < systems.Count; i++)
        {
            var before = systems[i];
            var b = catalog.BusinessIndex[before.BusinessId];
            var steps = b < update.StepCompletion.Length ? update.StepCompletion[b] : null;
            var stepStates = b < update.Steps.Length ? update.Steps[b] : null;
            bool? designatedOfficially = b < update.Designated.Length ? update.Designated[b] : null;
            if (steps is null && designatedOfficially is null)
            {
                continue;
            }

            var selfReportedLater = before.ReportedAt is { } r && ReadinessRules.TodayInJapan(r) > update.Dataset.AsOf;
            var completion = steps ?? before.BaselineStepCompletion;
            var designated = selfReportedLater || designatedOfficially is not { } d ? before.Designated : d;

            // Every one of the 40 steps 対象外: the business does not apply here (only step detail can say so).
            var notApplicable = before.NotApplicable || (!selfReportedLater && stepStates is not null && StepStates.AllNotApplicable(stepStates));
            var phase = selfReportedLater || notApplicable || completion is not { } c ? before.Phase : Baseline.PhaseFromSteps(c, designated);
            if (completion == before.BaselineStepCompletion && phase == before.Phase && designated == before.Designated
                && notApplicable == before.NotApplicable && (stepStates is null || stepStates == before.OfficialSteps))
            {
                continue;
            }

            var after = before with
            {
                BaselineStepCompletion = completion,
                OfficialSteps = stepStates ?? before.OfficialSteps,
                Designated = designated,
                NotApplicable = notApplicable,
                Phase = phase,
                Regression = phase < before.Phase || (phase == before.Phase && before.Regression),
                RegressionReason = phase < before.Phase
                    ? $"公式データ {update.Dataset.Source}（{update.Dataset.AsOf:yyyy-MM}時点）による更新 / Official data as of {update.Dataset.AsOf:yyyy-MM}"
                    : phase == before.Phase ? before.RegressionReason : null,
            };
            systems[i] = after;
            entries.Add(new ChangeEntry
            {
                MunicipalityCode = current.Code,
                Version = version,
                At = now,
                Actor = update.Actor,
                RequestId = requestId,
                Target = "system:" + before.BusinessId,
                BeforeFields = Fields(before),
                AfterFields = Fields(after),
            });
        }

        if (entries.Count == 0)
        {
            return (OfficialOutcome.Unchanged, current, []);
        }

        var record = current with
        {
            Version = version,
            Systems = systems.ToImmutable(),
            Official = update.IsDesignationList ? current.Official : update.Dataset,
            OfficialDesignation = update.IsDesignationList ? update.Dataset : current.OfficialDesignation,
            UpdatedAt = now,
            UpdatedBy = update.Actor,
        };
        return (OfficialOutcome.Applied, record, entries.ToImmutable());
    }

    // The system's audited fields plus the official figure, so the trail shows what the import changed.
    private static ImmutableArray<AuditField> Fields(SystemStatus s) =>
        AuditFields.Of(s)
            .Add(new AuditField("stepCompletion", s.BaselineStepCompletion?.ToString(CultureInfo.InvariantCulture)))
            .Add(new AuditField("officialSteps", s.OfficialSteps));
}
