using System.Collections.Immutable;
using Readiness.Catalog;

namespace Readiness.Rules;

/// <summary>
/// The documented rule from the public baseline to the phase model (docs/baseline.md):
/// PMO step completion s (the share of the PMO tool's 40 steps done or 対象外, a multiple of 1/40) maps to
/// in_production from <see cref="MigratedFrom"/> (39 of 40 steps) on, to not_started at 0, and in between spreads over
/// project_setup..testing as phase 1 + floor(8·s / <see cref="MigratedFrom"/>). A business in the designation list is
/// never shown as migrated: it is capped at testing and marked designated, with reason and target left unreported.
/// Nothing the public data does not say (vendor, dates, hosting, the security checklist) is filled in.
/// </summary>
/// <remarks>
/// Why 39 of 40: calibrated so that the baseline month's national count of systems migrated comes closest to MIC's
/// published tally for the end of January 2026 (13,283 of 34,592). Counting only s = 1 gives 9,894 (−25.5 %); from
/// 39/40 on gives 12,710 (−4.3 %); from 38/40 on 14,068 (+5.9 %). The last step of the tool follows go-live, so a system
/// with one step left is in production. The mean step completion is a second, separate measure (Figures.StepCompletion).
/// </remarks>
public static class Baseline
{
    /// <summary>Steps of MIC's PMO tool; every published rate is a multiple of 1/<see cref="PmoSteps"/>.</summary>
    public const int PmoSteps = 40;

    /// <summary>The step completion (0..1) from which a system counts as in production: 39 of 40 steps.</summary>
    public const decimal MigratedFrom = 39m / PmoSteps;

    /// <summary>Phase for a PMO step completion (0..1; values outside are clamped); designated systems stop at testing.</summary>
    public static MigrationPhase PhaseFromSteps(decimal stepCompletion, bool designated)
    {
        MigrationPhase phase;
        if (stepCompletion <= 0)
        {
            phase = MigrationPhase.NotStarted;
        }
        else if (stepCompletion >= MigratedFrom)
        {
            phase = MigrationPhase.InProduction;
        }
        else
        {
            phase = (MigrationPhase)Math.Min(1 + (int)Math.Floor(stepCompletion * 8 / MigratedFrom), (int)MigrationPhase.Testing);
        }

        return designated && phase >= MigrationPhase.InProduction ? MigrationPhase.Testing : phase;
    }

    /// <summary>Whole PMO steps (0..40) in a step completion share, rounded to the nearest step; null stays null.</summary>
    public static int? StepsDone(decimal? stepCompletion) =>
        stepCompletion is { } s ? (int)Math.Round(Math.Clamp(s, 0m, 1m) * PmoSteps, MidpointRounding.AwayFromZero) : null;

    public static readonly DataProvenance Provenance = new(
        DataOrigin.PublicBaseline,
        "公開データによる初期値（未報告の項目は空欄） / Public baseline; fields the public data lacks are not yet reported",
        [
            $"{ReadinessCatalog.PmoSource.Publisher}: {ReadinessCatalog.PmoSource.Title} ({ReadinessCatalog.PmoSource.AsOf})",
            $"{ReadinessCatalog.DesignationSource.Publisher}: {ReadinessCatalog.DesignationSource.Title} ({ReadinessCatalog.DesignationSource.AsOf})",
        ]);

    public static MunicipalityRecord Create(string code, DateTimeOffset now)
    {
        var catalog = ReadinessCatalog.Instance;
        var steps = catalog.BaselineSteps.TryGetValue(code, out var s) ? s : null;
        var designated = catalog.BaselineDesignations.TryGetValue(code, out var d) ? d : null;
        var systems = catalog.BusinessSystems.Select((b, i) =>
        {
            var isDesignated = designated?.Contains(b.Id) == true;
            decimal? step = steps?[i];
            return new SystemStatus
            {
                BusinessId = b.Id,
                Phase = step is { } v ? PhaseFromSteps(v, isDesignated) : MigrationPhase.NotStarted,
                Designated = isDesignated,
                BaselineStepCompletion = step,
            };
        }).ToImmutableArray();
        return Empty(code, now, Provenance) with { Systems = systems };
    }

    /// <summary>A municipality with nothing reported: every system not started, every item not assessed.</summary>
    public static MunicipalityRecord Empty(string code, DateTimeOffset now, DataProvenance provenance)
    {
        var catalog = ReadinessCatalog.Instance;
        return new MunicipalityRecord
        {
            Code = code,
            Version = 0,
            Systems = catalog.BusinessSystems.Select(b => new SystemStatus { BusinessId = b.Id }).ToImmutableArray(),
            Security = catalog.SecurityItems.Select(i => new SecurityItemStatus { ItemId = i.Id, Status = SecurityStatus.NotAssessed }).ToImmutableArray(),
            Provenance = provenance,
            CreatedAt = now,
        };
    }
}
