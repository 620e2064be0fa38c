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
            if (l.AppliedAt is not { } appliedAt || appliedAt > at || l.MunicipalitiesSourced == 0)
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

    /// <summary>
    /// The datasets a layer's figures come from across the nation at <paramref name="at"/>, newest first: the dataset
    /// in effect, then older applied ones while none before covered every municipality (a release listing only some,
    /// such as one prefecture's CSV, leaves the others on an earlier one); ends with a dataset that covered all
    /// <paramref name="municipalities"/>, or with null (the public baseline still stands for some).
    /// </summary>
    public static IReadOnlyList<OfficialImportListing?> Chain(IEnumerable<OfficialImportListing> listings, DateTimeOffset at, bool designation, int municipalities)
    {
        var applied = listings
            .Where(l => l.AppliedAt is { } t && t <= at && l.MunicipalitiesSourced != 0 && IsStepLayer(l.Kind) != designation
                        && (designation ? l.Kind == OfficialImportRecord.DesignationListKind : true))
            .OrderByDescending(l => l.AsOf).ThenByDescending(l => l.AppliedAt)
            .ToList();
        var chain = new List<OfficialImportListing?>();
        foreach (var l in applied)
        {
            chain.Add(l);
            if (l.MunicipalitiesSourced is not { } n || n >= municipalities)
            {
                return chain;
            }
        }

        chain.Add(null);
        return chain;
    }

    private static OfficialImportListing Later(OfficialImportListing? held, OfficialImportListing candidate) =>
        held is null || candidate.AsOf > held.AsOf || (candidate.AsOf == held.AsOf && candidate.AppliedAt > held.AppliedAt) ? candidate : held;
}
