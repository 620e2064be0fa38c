namespace Readiness.Imports;

/// <summary>
/// Which applied official dataset each official layer comes from at an instant. Pure.
/// - The step-completion layer (PMO step completion and phases): MIC's per-municipality tally or its step detail.
/// - The designation layer (特定移行支援システム): the Digital Agency's list.
/// A layer's dataset in effect is the applied one with the latest as-of day (a later apply breaks a tie), for a dataset
/// older than the one a municipality holds changes nothing there (<see cref="Rules.OfficialRules"/>). A dataset whose
/// apply changed or confirmed no municipality (the same figures of the same day in another file) is no source: every
/// municipality still names the one before it. The nation's sources and the reconciliation's list both read it here.
/// </summary>
public static class OfficialSources
{
    /// <summary>True for the kinds that make the step-completion layer; false for the designation list.</summary>
    public static bool IsStepLayer(string kind) => kind is OfficialImportRecord.MicProgressKind or OfficialImportRecord.MicStepDetailKind;

    /// <summary>
    /// The datasets a layer's figures come from across the nation at <paramref name="at"/>, newest first: the dataset
    /// in effect (the rule above), then older applied ones while none before covered every municipality (a release
    /// listing only some, such as one prefecture's CSV, leaves the others on an earlier one); ends with a dataset that
    /// covered all <paramref name="municipalities"/>, or with null (the public baseline still stands for some; alone:
    /// none applied yet).
    /// </summary>
    public static IReadOnlyList<OfficialImportListing?> Chain(IEnumerable<OfficialImportListing> listings, DateTimeOffset at, bool designation, int municipalities)
    {
        var applied = listings
            .Where(l => l.AppliedAt is { } t && t <= at && l.MunicipalitiesSourced != 0
                        && (designation ? l.Kind == OfficialImportRecord.DesignationListKind : IsStepLayer(l.Kind)))
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
}
