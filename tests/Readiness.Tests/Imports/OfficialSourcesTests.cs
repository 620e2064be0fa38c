using Readiness.Imports;

namespace Readiness.Tests.Imports;

public sealed class OfficialSourcesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 10, 0, 0, 0, TimeSpan.Zero);

    private static OfficialImportListing Listing(string id, string kind, DateOnly asOf, DateTimeOffset? appliedAt, int? changed = 10) =>
        new(id, kind, "source " + id, asOf, id + ".xlsx", "import@digital.go.jp", T0.AddDays(-1), appliedAt is null ? null : "import@digital.go.jp", appliedAt)
        {
            MunicipalitiesSourced = appliedAt is null ? null : changed,
        };

    // The dataset in effect per layer: the first of each chain.
    private static (OfficialImportListing? Steps, OfficialImportListing? Designation) InEffect(OfficialImportListing[] listings, DateTimeOffset at) =>
        (OfficialSources.Chain(listings, at, designation: false, 1741)[0], OfficialSources.Chain(listings, at, designation: true, 1741)[0]);

    [Fact]
    public void Each_layer_names_the_applied_dataset_with_the_latest_as_of_day_at_the_instant_asked()
    {
        var feb = Listing("feb", OfficialImportRecord.MicProgressKind, new DateOnly(2026, 2, 28), T0);
        var janLater = Listing("jan", OfficialImportRecord.MicProgressKind, new DateOnly(2026, 1, 31), T0.AddHours(1));
        var febSteps = Listing("febsteps", OfficialImportRecord.MicStepDetailKind, new DateOnly(2026, 2, 28), T0.AddHours(2));
        var marUploaded = Listing("mar", OfficialImportRecord.MicProgressKind, new DateOnly(2026, 3, 31), appliedAt: null);
        var list = Listing("list", OfficialImportRecord.DesignationListKind, new DateOnly(2026, 3, 1), T0.AddHours(3));
        var listings = new[] { list, marUploaded, febSteps, janLater, feb };

        // Before anything was applied: the baseline stands (null).
        Assert.Equal((null, null), InEffect(listings, T0.AddMinutes(-1)));

        // January applied after February is older: February stays in effect.
        Assert.Equal((feb, null), InEffect(listings, T0.AddHours(1)));

        // The step detail of the same as-of day, applied later, takes over; an upload not applied is no source.
        Assert.Equal((febSteps, list), InEffect(listings, T0.AddDays(1)));
    }

    [Fact]
    public void A_dataset_that_changed_no_municipality_is_no_source()
    {
        var feb = Listing("feb", OfficialImportRecord.MicProgressKind, new DateOnly(2026, 2, 28), T0);
        var resent = Listing("resent", OfficialImportRecord.MicProgressKind, new DateOnly(2026, 2, 28), T0.AddHours(1), changed: 0);
        var stored = Listing("stored", OfficialImportRecord.MicProgressKind, new DateOnly(2026, 2, 28), T0.AddHours(2), changed: null);
        Assert.Equal((feb, null), InEffect([feb, resent], T0.AddDays(1)));

        // A listing stored before counts were kept (null) is taken as having changed something.
        Assert.Equal((stored, null), InEffect([feb, resent, stored with { MunicipalitiesSourced = null }], T0.AddDays(1)));
    }

    [Fact]
    public void The_nations_chain_names_partial_releases_down_to_one_that_covered_every_municipality_or_the_baseline()
    {
        var tokyoMarch = Listing("tokyo-mar", OfficialImportRecord.MicProgressKind, new DateOnly(2026, 3, 31), T0.AddHours(3), changed: 62);
        var february = Listing("feb", OfficialImportRecord.MicProgressKind, new DateOnly(2026, 2, 28), T0.AddHours(1), changed: 1741);
        var january = Listing("jan", OfficialImportRecord.MicProgressKind, new DateOnly(2026, 1, 31), T0, changed: 1741);
        var list = Listing("list", OfficialImportRecord.DesignationListKind, new DateOnly(2026, 3, 1), T0.AddHours(2), changed: 900);
        OfficialImportListing[] all = [tokyoMarch, list, february, january];

        Assert.Equal([tokyoMarch, february], OfficialSources.Chain(all, T0.AddDays(1), designation: false, 1741));
        Assert.Equal([february], OfficialSources.Chain(all, T0.AddHours(2), designation: false, 1741));
        // The list covered 900: the baseline's list still stands for the others (null).
        Assert.Equal([list, null], OfficialSources.Chain(all, T0.AddDays(1), designation: true, 1741));
        Assert.Equal([null], OfficialSources.Chain(all, T0.AddMinutes(-1), designation: true, 1741));
    }
}
