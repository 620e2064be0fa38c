using System.Collections.Immutable;
using Readiness.Catalog;

namespace Readiness.Rules;

/// <summary>
/// The documented rule from the public baseline to the phase model:
/// PMO step completion 0 is not_started, 1 is in_production, and a share s in between falls on
/// project_setup..testing as phase 1 + floor(8·s). A business in the designation list is never shown as migrated:
/// it is capped at testing and marked designated, with reason and target left unreported.
/// Nothing the public data does not say (vendor, dates, hosting, the security checklist) is filled in.
/// </summary>
public static class Baseline
{
    public static MigrationPhase PhaseFromSteps(decimal stepCompletion, bool designated)
    {
        MigrationPhase phase;
        if (stepCompletion <= 0)
        {
            phase = MigrationPhase.NotStarted;
        }
        else if (stepCompletion >= 1)
        {
            phase = MigrationPhase.InProduction;
        }
        else
        {
            phase = (MigrationPhase)(1 + (int)Math.Floor(stepCompletion * 8));
        }

        return designated && phase >= MigrationPhase.InProduction ? MigrationPhase.Testing : phase;
    }

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
