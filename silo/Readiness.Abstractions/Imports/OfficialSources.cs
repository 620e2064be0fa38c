namespace Readiness.Imports;

/// <summary>
/// Which applied official dataset each official layer comes from at an instant. Pure.
/// - The step-completion layer (PMO step completion and phases): MIC's per-municipality tally or its step detail.
/// - The designation layer (特定移行支援システム): the Digital Agency's list.
/// A layer's dataset in effect is the applied one with the latest as-of day (a later apply breaks a tie), for a dataset
/// older than the one a municipality holds changes nothing there (<see cref="Rules.OfficialRules"/>). A dataset whose
/// apply changed no municipality (the same figures in another file) is no source: every municipality still names the
/// one before it. Null: none applied yet, the public baseline stands.
/// </summary>
public static class OfficialSources
{
    /// <summary>True for the kinds that make the step-completion layer; false for the designation list.</summary>
    public static bool IsStepLayer(string kind) => kind is OfficialImportRecord.MicProgressKind or OfficialImportRecord.MicStepDetailKind;

    /// <summary>The datasets in effect at <paramref name="at"/> (applied at or before it), one per layer.</summary>
    public static (OfficialImportListing? StepCompletion, OfficialImportListing? Designation) InEffect(IEnumerable<OfficialImportListing> listings, DateTimeOffset at)
    {
        OfficialImportListing? steps = null, designation = null;
        foreach (var l in listings)
        {
            if (l.AppliedAt is not { } appliedAt || appliedAt > at || l.MunicipalitiesChanged == 0)
            {
                continue;
            }

            if (IsStepLayer(l.Kind))
            {
                steps = Later(steps, l);
            }
            else if (l.Kind == OfficialImportRecord.DesignationListKind)
            {
                designation = Later(designation, l);
            }
        }

        return (steps, designation);
    }

    private static OfficialImportListing Later(OfficialImportListing? held, OfficialImportListing candidate) =>
        held is null || candidate.AsOf > held.AsOf || (candidate.AsOf == held.AsOf && candidate.AppliedAt > held.AppliedAt) ? candidate : held;
}
