using System.Collections.Immutable;
using System.Globalization;
using Readiness.Imports;

namespace Readiness.Rules;

/// <summary>
/// How an official dataset updates a municipality's official layer (architecture.md, flow 3). Pure.
/// - Two layers, each with the dataset it comes from: step completion (MIC's tally or step detail;
///   <see cref="MunicipalityRecord.Official"/>) and designation (the Digital Agency's list;
///   <see cref="MunicipalityRecord.OfficialDesignation"/>); until one is applied, the public baseline's as-of day
///   (<see cref="BaselineAsOf"/>) stands for it. A dataset as of an earlier day than the layer holds changes nothing.
/// - The official step completion of each system is replaced by the dataset's figure.
/// - The phase follows the documented step-to-phase rule (<see cref="Baseline.PhaseFromSteps"/>) only where the
///   municipality has not reported that system itself on or after the as-of day of the step figures the phase comes
///   from (for the designation list: the step figures already held); a report of the same day or later wins.
/// - Step detail also stores the 40 step states (<see cref="SystemStatus.OfficialSteps"/>); a business whose 40 steps
///   are all 対象外 becomes not applicable.
/// - The designation list sets <see cref="SystemStatus.Designated"/> (and so the cap at testing) per business unless the
///   municipality reported the system on or after the list's day; a system it no longer designates loses its reason and
///   target, as when the municipality clears the flag itself (<see cref="ChangeRules"/>).
/// - A dataset newer than the layer's that changes no figure still becomes the layer's source (one audit entry, target
///   <c>official:step_completion</c> or <c>official:designation</c>), so the as-of day shown is the latest that
///   confirms the figures and an older file cannot apply over them. The same figures of the same day change nothing.
/// Official data is not a self-report: it leaves ReportedAt and LastReportedAt alone.
/// </summary>
public static class OfficialRules
{
    /// <summary>
    /// The as-of day of the public baseline's layer for a municipality seeded from it (the last day of the PMO tally's
    /// month, or of the designation list's); null for synthetic demo data, which any dataset may replace.
    /// </summary>
    public static DateOnly? BaselineAsOf(MunicipalityRecord record, bool designation)
    {
        if (record.Provenance.Origin != DataOrigin.PublicBaseline)
        {
            return null;
        }

        var month = DateOnly.ParseExact((designation ? Catalog.ReadinessCatalog.DesignationSource : Catalog.ReadinessCatalog.PmoSource).AsOf + "-01", "yyyy-MM-dd",
            CultureInfo.InvariantCulture);
        return month.AddMonths(1).AddDays(-1);
    }

    /// <summary>The as-of day of the layer's figures: the applied dataset's, else the baseline's (null: synthetic).</summary>
    public static DateOnly? LayerAsOf(MunicipalityRecord record, bool designation) =>
        (designation ? record.OfficialDesignation : record.Official)?.AsOf ?? BaselineAsOf(record, designation);

    /// <summary>True when the municipality reported the system itself on or after <paramref name="asOf"/> (null: never official).</summary>
    public static bool ReportedSince(SystemStatus s, DateOnly? asOf) =>
        s.ReportedAt is { } r && (asOf is not { } day || ReadinessRules.TodayInJapan(r) >= day);

    /// <summary>Systems of <paramref name="current"/> whose own report since the dataset's day keeps what the dataset says otherwise.</summary>
    public static int KeptSelfReported(MunicipalityRecord current, OfficialUpdate update)
    {
        var catalog = Catalog.ReadinessCatalog.Instance;
        var kept = 0;
        foreach (var s in current.Systems)
        {
            var b = catalog.BusinessIndex[s.BusinessId];
            if (ReportedSince(s, update.Dataset.AsOf)
                && ((b < update.StepCompletion.Length && update.StepCompletion[b] is { } steps && Baseline.PhaseFromSteps(steps, s.Designated) != s.Phase)
                    || (b < update.Designated.Length && s.Designated != update.Designated[b])))
            {
                kept++;
            }
        }

        return kept;
    }

    public static (OfficialOutcome Outcome, MunicipalityRecord Record, ImmutableArray<ChangeEntry> Entries) Apply(
        MunicipalityRecord current, OfficialUpdate update, DateTimeOffset now)
    {
        var designationLayer = update.IsDesignationList;
        var heldAsOf = LayerAsOf(current, designationLayer);
        if (heldAsOf is { } held && held > update.Dataset.AsOf)
        {
            return (OfficialOutcome.Older, current, []);
        }

        // The phase comes from step figures: this dataset's, or (the designation list) those already held.
        var stepsAsOf = designationLayer ? LayerAsOf(current, designation: false) : update.Dataset.AsOf;
        var version = current.Version + 1;
        var requestId = "import:" + update.Dataset.DatasetId;
        var catalog = Catalog.ReadinessCatalog.Instance;
        var systems = current.Systems.ToBuilder();
        var entries = ImmutableArray.CreateBuilder<ChangeEntry>();
        var confirmed = false;
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

            var phaseReported = ReportedSince(before, stepsAsOf);
            var designationReported = ReportedSince(before, update.Dataset.AsOf);
            var completion = steps ?? before.BaselineStepCompletion;
            var designated = designationReported || designatedOfficially is not { } d ? before.Designated : d;

            // Every one of the 40 steps 対象外: the business does not apply here (only step detail can say so).
            var notApplicable = before.NotApplicable || (!phaseReported && stepStates is not null && StepStates.AllNotApplicable(stepStates));
            var phase = phaseReported || notApplicable || completion is not { } c ? before.Phase : Baseline.PhaseFromSteps(c, designated);
            if (completion == before.BaselineStepCompletion && phase == before.Phase && designated == before.Designated
                && notApplicable == before.NotApplicable && (stepStates is null || stepStates == before.OfficialSteps))
            {
                continue;
            }

            var undesignated = before.Designated && !designated;

            // A regression is work going back. A designation list newly marking a system whose steps are done shows it
            // as testing rather than in production (a designated system is not counted migrated: PhaseFromSteps), and
            // that lower phase is the list's classification, not a step undone: with its former designation the same
            // steps would not have fallen, so it is not flagged (nor notified) as a regression.
            var reclassified = phase < before.Phase && designated != before.Designated
                && completion is { } done && Baseline.PhaseFromSteps(done, before.Designated) >= before.Phase;
            var fell = phase < before.Phase && !reclassified;
            var keeps = phase == before.Phase || reclassified;
            var after = before with
            {
                BaselineStepCompletion = completion,
                OfficialSteps = stepStates ?? before.OfficialSteps,
                Designated = designated,
                DesignationReason = undesignated ? null : before.DesignationReason,
                DesignationTarget = undesignated ? null : before.DesignationTarget,
                DesignationReasonNote = undesignated ? null : before.DesignationReasonNote,
                NotApplicable = notApplicable,
                Phase = phase,
                Regression = fell || (keeps && before.Regression),
                RegressionReason = fell
                    ? $"公式データ「{update.Dataset.Source}」による更新（{update.Dataset.AsOf:yyyy-MM-dd}時点）"
                    : keeps ? before.RegressionReason : null,
            };
            systems[i] = after;
            entries.Add(Entry(current.Code, version, now, update, requestId, "system:" + before.BusinessId, Fields(before), Fields(after)));
        }

        if (entries.Count == 0)
        {
            if (heldAsOf is { } day && day >= update.Dataset.AsOf)
            {
                return (OfficialOutcome.Unchanged, current, []);
            }

            // A newer dataset confirming the figures: it becomes the layer's source.
            confirmed = true;
            var heldRef = designationLayer ? current.OfficialDesignation : current.Official;
            entries.Add(Entry(current.Code, version, now, update, requestId, designationLayer ? "official:designation" : "official:step_completion",
                DatasetFields(heldRef?.DatasetId, heldRef?.Source, heldAsOf), DatasetFields(update.Dataset.DatasetId, update.Dataset.Source, update.Dataset.AsOf)));
        }

        var record = current with
        {
            Version = version,
            Systems = systems.ToImmutable(),
            Official = designationLayer ? current.Official : update.Dataset,
            OfficialDesignation = designationLayer ? update.Dataset : current.OfficialDesignation,
            UpdatedAt = now,
            UpdatedBy = update.Actor,
        };
        return (confirmed ? OfficialOutcome.Confirmed : OfficialOutcome.Applied, record, entries.ToImmutable());
    }

    private static ChangeEntry Entry(string code, long version, DateTimeOffset now, OfficialUpdate update, string requestId, string target,
        ImmutableArray<AuditField> before, ImmutableArray<AuditField> after) => new()
    {
        MunicipalityCode = code,
        Version = version,
        At = now,
        Actor = update.Actor,
        RequestId = requestId,
        Target = target,
        BeforeFields = before,
        AfterFields = after,
        ClientAddress = update.ClientAddress,
    };

    private static ImmutableArray<AuditField> DatasetFields(string? id, string? source, DateOnly? asOf) =>
    [
        new("dataset", id ?? "public_baseline"),
        new("source", source),
        new("asOf", asOf?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
    ];

    // The system's audited fields plus the official figure, so the trail shows what the import changed.
    private static ImmutableArray<AuditField> Fields(SystemStatus s) =>
        AuditFields.Of(s)
            .Add(new AuditField("stepCompletion", s.BaselineStepCompletion?.ToString(CultureInfo.InvariantCulture)))
            .Add(new AuditField("officialSteps", s.OfficialSteps));
}
