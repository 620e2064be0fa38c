using System.Collections.Immutable;
using Readiness.Catalog;
using Readiness.Imports;
using Readiness.Rules;

namespace Readiness.Web.Api;

/// <summary>
/// A source of official figures: the public baseline the product ships with (<c>importedBy</c>/<c>importedAt</c> null,
/// <c>asOf</c> YYYY-MM) or an applied dataset version (<c>id</c> the file's SHA-256, <c>asOf</c> YYYY-MM-DD, who applied
/// it and when).
/// <c>municipalities</c>: on the nation, how many municipalities' figures the dataset was applied to when it was applied
/// (changed or confirmed; a later partial dataset may since have taken some over); null for the baseline and on a municipality.
/// </summary>
public sealed record SourceView(string Id, string Publisher, string Title, string AsOf, string? ImportedBy = null, DateTimeOffset? ImportedAt = null,
    int? Municipalities = null);

/// <summary>
/// Where a municipality's official figures come from: <c>stepCompletion</c> (each system's stepCompletion, and the phases
/// derived from it where the municipality has not reported itself) and <c>designation</c> (the designated flags from the
/// Digital Agency's list). Null for a layer that is synthetic demo data.
/// </summary>
public sealed record OfficialSourcesView(SourceView? StepCompletion, SourceView? Designation);

public sealed record BusinessFiguresView(string Id, string NameJa, string NameEn, IReadOnlyDictionary<string, int> Phases, int NotApplicable, int Migrated, int Designated);

/// <summary>
/// Counts as stored, and the ratios derived from them (progress and security score 0..1, null when nothing applies).
/// Two measures are never mixed: <c>migratedSystems</c> (phase ≥ in_production) and <c>stepCompletion</c>, MIC's mean
/// PMO step completion 0..1 over the <c>stepCompletionSystems</c> with an official figure (source: 総務省 PMOツール集計).
/// </summary>
public sealed record FiguresView(
    int Municipalities,
    int CompleteMunicipalities,
    int StaleMunicipalities,
    int ReportedMunicipalities,
    int MunicipalitiesWithDesignation,
    int MunicipalitiesWithOverdue,
    int ApplicableSystems,
    int MigratedSystems,
    double? Progress,
    int NotApplicableSystems,
    int DesignatedSystems,
    IReadOnlyDictionary<string, int> DesignatedByReason,
    int DesignationIncomplete,
    int OverdueSystems,
    int PastTargetSystems,
    int BeyondLimitSystems,
    int RegressionSystems,
    IReadOnlyDictionary<string, int> Phases,
    double? SecurityScore,
    int SecurityApplicableItems,
    IReadOnlyDictionary<string, int> SecurityStatuses,
    IReadOnlyList<BusinessFiguresView> Businesses,
    double? StepCompletion,
    int StepCompletionSystems);

public sealed record TileView(int Col, int Row);

/// <summary>
/// One prefecture. <c>figures</c> is the sum of its municipalities; <c>prefectureRun</c> the prefecture's own systems
/// for the prefecture-run businesses (児童扶養手当, 生活保護), counted once reported and shown apart. The nation's system
/// counters (applicable, migrated, designated, overdue, regressions …) are Σ of both over the prefectures.
/// </summary>
public sealed record PrefectureSummaryView(string Code, string Name, string NameEn, string Region, TileView Tile, long Version, string AsOf, FiguresView Figures,
    PrefectureRunCountsView PrefectureRun);

public sealed record NationView(
    int Municipalities,
    long Version,
    DateTimeOffset ComputedAt,
    FiguresView Figures,
    IReadOnlyList<PrefectureSummaryView> Prefectures,
    IReadOnlyList<SourceView> Sources,
    FiguresView PrefectureRun,
    UnreadableMunicipalitiesView Missing);

public sealed record MunicipalitySummaryView(
    string Code, string Name, string Kana, [property: Readiness.Web.Api.OpenApi.WireEnum(typeof(MunicipalityKind))] string Kind, int Population, long Version, DateTimeOffset? LastReportedAt, [property: Readiness.Web.Api.OpenApi.WireEnum(typeof(DataOrigin))] string Origin, FiguresView Figures);

/// <summary>
/// One prefecture and its municipalities' summaries. <c>missing</c>: the municipalities of the prefecture that are not in
/// its figures (their stored state cannot be read, or their summary has not reached the prefecture yet), never silently.
/// </summary>
public sealed record PrefectureView(PrefectureSummaryView Prefecture, int Municipalities, IReadOnlyList<MunicipalitySummaryView> Items, UnreadableMunicipalitiesView Missing);

/// <summary>
/// One business system. <c>phase</c>/<c>phaseNameJa</c> are null only for a prefecture-run system not
/// yet reported (it has no phase: 未報告, never 未着手), whose flags (overdue, pastTarget, beyondLimit, designationIncomplete) are then false.
/// </summary>
public sealed record SystemView(
    string BusinessId, string NameJa, string NameEn, [property: Readiness.Web.Api.OpenApi.WireEnum(typeof(MigrationPhase))] string? Phase, string? PhaseNameJa, DateOnly? PlannedGoLive, string? Vendor, [property: Readiness.Web.Api.OpenApi.WireEnum(typeof(HostingKind))] string? Hosting,
    bool NotApplicable, bool Designated, [property: Readiness.Web.Api.OpenApi.WireEnum(typeof(DesignationReason))] string? DesignationReason, DateOnly? DesignationTarget, bool Regression, string? RegressionReason,
    decimal? BaselineStepCompletion, DateTimeOffset? ReportedAt, bool Migrated, bool Overdue, bool PastTarget, bool BeyondLimit, bool DesignationIncomplete,
    double Progress, [property: Readiness.Web.Api.OpenApi.WireEnum(typeof(CloudProvider))] string? CloudProvider, string? DesignationReasonNote = null);

public sealed record SecurityItemView(
    string ItemId, int Chapter, string ChapterJa, string TitleJa, string TitleEn, string Party, string Reference, string Basis,
    [property: Readiness.Web.Api.OpenApi.WireEnum(typeof(SecurityStatus))] string Status, string? Evidence, DateOnly? LastReviewed, DateTimeOffset? ReportedAt);

public sealed record ChapterScoreView(int Chapter, string ChapterJa, double? Score, int ApplicableItems);

/// <summary>A recent change as the municipality view carries it; before/after and confirmed as in <see cref="AuditEntryView"/>.</summary>
public sealed record ChangeView(
    long Version, DateTimeOffset At, string Subject, [property: Readiness.Web.Api.OpenApi.WireEnum(typeof(Role))] string Role, string? Tenant, string Target,
    IReadOnlyDictionary<string, object?>? Before, IReadOnlyDictionary<string, object?>? After, string RequestId, bool Confirmed);

public sealed record MunicipalityView(
    string Code, string Name, string Kana, [property: Readiness.Web.Api.OpenApi.WireEnum(typeof(MunicipalityKind))] string Kind, int Population, string PrefectureCode, string PrefectureName,
    long Version, DateTimeOffset? LastReportedAt, bool Stale, [property: Readiness.Web.Api.OpenApi.WireEnum(typeof(DataOrigin))] string Origin, string ProvenanceDescription, IReadOnlyList<string> Sources,
    OfficialSourcesView OfficialSources, DateTimeOffset? UpdatedAt, string? UpdatedBy,
    FiguresView Figures, IReadOnlyList<SystemView> Systems, IReadOnlyList<SecurityItemView> Security, IReadOnlyList<ChapterScoreView> SecurityChapters,
    IReadOnlyList<ChangeView> RecentChanges);

public static class Views
{
    public static IReadOnlyList<SourceView> Sources { get; } =
    [
        new(ReadinessCatalog.PmoSource.Id, ReadinessCatalog.PmoSource.Publisher, ReadinessCatalog.PmoSource.Title, Day(ReadinessCatalog.PmoSource.AsOfDay)),
        new(ReadinessCatalog.DesignationSource.Id, ReadinessCatalog.DesignationSource.Publisher, ReadinessCatalog.DesignationSource.Title, Day(ReadinessCatalog.DesignationSource.AsOfDay)),
    ];

    // Wire name and slot of each value, worked out once: views are built for every municipality on every refresh.
    private static readonly SlotNames PhaseSlots = SlotNames.Of(Enum.GetValues<MigrationPhase>().Select(v => (Wire.Name(v), (int)v)));
    private static readonly SlotNames StatusSlots = SlotNames.Of(Enum.GetValues<SecurityStatus>().Select(v => (Wire.Name(v), (int)v)));

    // The reasons, then "unreported": designated systems whose reason is not reported yet (the last slot).
    private static readonly SlotNames ReasonSlots = SlotNames.Of(Enum.GetValues<DesignationReason>().Select(v => (Wire.Name(v), (int)v))
        .Append(("unreported", Readiness.Figures.ReasonSlots - 1)));

    public static FiguresView Figures(Figures f)
    {
        var reasons = SlotCountDictionary.From(ReasonSlots, f.DesignatedByReason);
        var businesses = new BusinessFiguresList(f);

        return new FiguresView(
            f.Municipalities, f.CompleteMunicipalities, f.StaleMunicipalities, f.ReportedMunicipalities, f.MunicipalitiesWithDesignation, f.MunicipalitiesWithOverdue,
            f.ApplicableSystems, f.MigratedSystems, f.Progress, f.NotApplicableSystems, f.DesignatedSystems, reasons, f.DesignationIncomplete,
            f.OverdueSystems, f.PastTargetSystems, f.BeyondLimitSystems, f.RegressionSystems,
            SlotCountDictionary.From(PhaseSlots, f.PhaseCounts),
            f.SecurityScore, f.SecurityApplicableItems,
            SlotCountDictionary.From(StatusSlots, f.SecurityStatusCounts),
            businesses,
            f.StepCompletion,
            f.StepCompletionSystems);
    }

    /// <summary>The 20 businesses' counts of <paramref name="f"/> in catalog order (<see cref="FiguresView.Businesses"/>).</summary>
    internal static BusinessFiguresView[] Businesses(Figures f)
    {
        var catalog = ReadinessCatalog.Instance;
        var businesses = new BusinessFiguresView[catalog.BusinessSystems.Count];
        for (var i = 0; i < businesses.Length; i++)
        {
            var b = catalog.BusinessSystems[i];
            var slots = f.BusinessPhaseCounts.AsSpan().Slice(i * Readiness.Figures.BusinessSlots, Readiness.Figures.BusinessSlots);
            businesses[i] = new BusinessFiguresView(b.Id, b.NameJa, b.NameEn, SlotCountDictionary.From(PhaseSlots, f.BusinessPhaseCounts, i * Readiness.Figures.BusinessSlots), slots[Readiness.Figures.PhaseCount],
                slots[(int)MigrationPhase.InProduction] + slots[(int)MigrationPhase.LegacyDecommissioned], f.BusinessDesignated[i]);
        }

        return businesses;
    }

    public static PrefectureSummaryView PrefectureSummary(PrefectureSummary s)
    {
        var p = ReadinessCatalog.Instance.PrefecturesByCode[s.PrefectureCode];
        return new PrefectureSummaryView(p.Code, p.Name, p.NameEn, p.Region, new TileView(p.TileCol, p.TileRow), s.VersionSum,
            s.AsOf.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), Figures(s.Figures), PrefectureRunCounts(s.PrefectureRun ?? Readiness.Figures.Zero, s.PrefectureRunVersion));
    }

    /// <summary>
    /// The nation with the sources of its official figures (<see cref="NationSources"/>) and the municipalities not in
    /// its figures: <paramref name="missing"/> when the caller knows them (the prefectures' pictures), else only how many
    /// (the catalog's 1,741 less those counted; a past day's snapshot keeps no names).
    /// </summary>
    public static NationView Nation(NationSummary n, IReadOnlyList<SourceView> sources, IReadOnlyList<MunicipalityInfo>? missing = null) => new(
        n.Figures.Municipalities, n.VersionSum, n.ComputedAt, Figures(n.Figures), n.Prefectures.Select(PrefectureSummary).ToList(), sources,
        Figures(n.PrefectureRun ?? Readiness.Figures.Zero),
        missing is not null ? UnreadableMunicipalitiesView.Missing(missing) : UnreadableMunicipalitiesView.Missing(ReadinessCatalog.Instance.Municipalities.Count - n.Figures.Municipalities));

    /// <summary>
    /// The sources of the nation's official figures at <paramref name="at"/>: per layer (step completion first, then the
    /// designation list) the datasets its figures come from, newest first (<see cref="OfficialSources.Chain"/>: the
    /// dataset in effect, then older ones while none covered every municipality, then the public baseline's if it still
    /// stands for some), each with how many municipalities it was applied to.
    /// </summary>
    public static IReadOnlyList<SourceView> NationSources(IEnumerable<OfficialImportListing> listings, DateTimeOffset at)
    {
        var all = listings as IReadOnlyCollection<OfficialImportListing> ?? [.. listings];
        var count = ReadinessCatalog.Instance.Municipalities.Count;
        return
        [
            .. OfficialSources.Chain(all, at, designation: false, count).Select(l => l is null ? Sources[0] : SourceOf(l)),
            .. OfficialSources.Chain(all, at, designation: true, count).Select(l => l is null ? Sources[1] : SourceOf(l)),
        ];
    }

    /// <summary>An applied dataset version as a source (who applied it, when).</summary>
    public static SourceView SourceOf(OfficialImportListing l) =>
        new(l.Id, Publisher(!OfficialSources.IsStepLayer(l.Kind)), l.Source, Day(l.AsOf), l.AppliedBy, l.AppliedAt, l.MunicipalitiesSourced);

    /// <summary>The dataset a record's layer was applied from, as a source (who applied it, when).</summary>
    public static SourceView SourceOf(OfficialDatasetRef d, bool designation) =>
        new(d.DatasetId, Publisher(designation), d.Source, Day(d.AsOf), d.ImportedBy, d.ImportedAt);

    /// <summary>A municipality's sources: the applied dataset of each layer, else the baseline's (none when synthetic).</summary>
    public static OfficialSourcesView OfficialSourcesOf(MunicipalityRecord r)
    {
        var synthetic = r.Provenance.Origin == DataOrigin.Synthetic;
        return new(
            r.Official is { } o ? SourceOf(o, designation: false) : synthetic ? null : Sources[0],
            r.OfficialDesignation is { } d ? SourceOf(d, designation: true) : synthetic ? null : Sources[1]);
    }

    private static string Publisher(bool designation) => designation ? ReadinessCatalog.DesignationSource.Publisher : ReadinessCatalog.PmoSource.Publisher;

    private static string Day(DateOnly d) => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// A view's day text (yyyy-MM-dd, as <see cref="SourceView.AsOf"/> carries it) as a day, for the exports: a CSV writes
    /// it the same, an .xlsx as a date cell (docs/api.md "Dates in exports"); null when absent or not a day.
    /// </summary>
    public static DateOnly? DayOf(string? day) =>
        DateOnly.TryParseExact(day, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var d) ? d : null;

    public static MunicipalitySummaryView MunicipalitySummary(MunicipalitySummary s)
    {
        var m = ReadinessCatalog.Instance.MunicipalitiesByCode[s.Code];
        return new(m.Code, m.Name, m.Kana, Wire.Name(m.Kind), m.Population, s.Version, s.LastReportedAt, Wire.Name(ReadinessRules.OriginOf(s)), Figures(s.Figures));
    }

    public static PrefectureView Prefecture(PrefectureDetail d) => Prefecture(d, MunicipalitySummary);

    /// <summary>The prefecture with each municipality's view made by <paramref name="municipality"/> (which may reuse views it made before).</summary>
    public static PrefectureView Prefecture(PrefectureDetail d, Func<MunicipalitySummary, MunicipalitySummaryView> municipality) =>
        new(PrefectureSummary(d.Summary), d.Municipalities.Length, d.Municipalities.Select(municipality).ToList(), UnreadableMunicipalitiesView.Missing(MissingFrom(d)));

    /// <summary>The prefecture's municipalities (catalog order) that <paramref name="d"/> has no summary of.</summary>
    public static IReadOnlyList<MunicipalityInfo> MissingFrom(PrefectureDetail d)
    {
        var all = ReadinessCatalog.Instance.MunicipalitiesByPrefecture[d.Summary.PrefectureCode];
        if (d.Municipalities.Length >= all.Count)
        {
            return [];
        }

        var present = d.Municipalities.Select(m => m.Code).ToHashSet(StringComparer.Ordinal);
        return [.. all.Where(m => !present.Contains(m.Code))];
    }

    /// <summary>One system with its flags on <paramref name="today"/>; the same for a municipality's and a prefecture's own systems.</summary>
    public static SystemView SystemOf(SystemStatus s, DateOnly today)
    {
        var catalog = ReadinessCatalog.Instance;
        var b = catalog.BusinessSystems[catalog.BusinessIndex[s.BusinessId]];
        var f = ReadinessRules.Evaluate(s, today);
        return new SystemView(s.BusinessId, b.NameJa, b.NameEn, Wire.Name(s.Phase), catalog.Phases[(int)s.Phase].NameJa, s.PlannedGoLive, s.Vendor,
            s.Hosting is { } h ? Wire.Name(h) : null, s.NotApplicable, s.Designated, s.DesignationReason is { } dr ? Wire.Name(dr) : null,
            s.DesignationTarget, s.Regression, s.RegressionReason, s.BaselineStepCompletion, s.ReportedAt, f.Migrated, f.Overdue, f.PastTarget,
            f.BeyondLimit, f.DesignationIncomplete, f.ProgressUnits / (double)(int)MigrationPhase.InProduction,
            s.CloudProvider is { } cp ? Wire.Name(cp) : null, s.DesignationReasonNote);
    }

    /// <summary>
    /// A prefecture-run system as the prefecture's view shows it: as <see cref="SystemOf"/> once reported; before its first
    /// report (<see cref="PrefectureRunRecord.Counts"/> false) no phase, no progress and no flag raised, for nothing was
    /// reported to judge (the figures leave it out likewise: <see cref="PrefectureRunRules.Summarize"/>).
    /// </summary>
    public static SystemView PrefectureRunSystemOf(SystemStatus s, DateOnly today) =>
        PrefectureRunRecord.Counts(s)
            ? SystemOf(s, today)
            : SystemOf(s, today) with
            {
                Phase = null, PhaseNameJa = null, Migrated = false, Overdue = false, PastTarget = false, BeyondLimit = false,
                DesignationIncomplete = false,
            };

    /// <summary>A prefecture-run system as its single GET shows it: phase null before its first report, as <see cref="PrefectureRunSystemOf"/>.</summary>
    public static SystemReport PrefectureRunReportOf(SystemStatus s) => SystemReport.From(s, reported: PrefectureRunRecord.Counts(s));

    public static PrefectureRunCountsView PrefectureRunCounts(Figures f, long version) =>
        new(version, f.ApplicableSystems, f.MigratedSystems, f.Progress, f.NotApplicableSystems, f.DesignatedSystems, f.OverdueSystems,
            f.DesignationIncomplete, f.PastTargetSystems, f.BeyondLimitSystems, f.RegressionSystems);

    /// <summary>
    /// The ETag of <see cref="Municipality"/>'s view on <paramref name="today"/> (the version and, when a flag has turned
    /// since, a digest of the flags: <see cref="DayETag"/>).
    /// </summary>
    public static string ETag(MunicipalityRecord r, DateOnly today) =>
        DayETag(r.Version, r.Systems, r.LastReportedAt, withStale: true, r.UpdatedAt ?? r.CreatedAt, today);

    /// <summary>The ETag of a prefecture's own systems' view on <paramref name="today"/>: as <see cref="ETag(MunicipalityRecord, DateOnly)"/>, over the systems it counts.</summary>
    public static string ETag(PrefectureRunRecord r, DateOnly today) =>
        DayETag(r.Version, r.Systems.Where(PrefectureRunRecord.Counts), null, withStale: false, r.UpdatedAt ?? r.CreatedAt, today);

    /// <summary>
    /// The ETag of a view whose flags depend on the day (stale after 30 days without a report; each system's overdue and
    /// past target, <see cref="ReadinessRules.Evaluate"/>). While every such flag on <paramref name="today"/> is as it was
    /// on the day the version was made (JST), the ETag is the version, e.g. "12", as everywhere else. Once one has turned,
    /// it is the version and 8 hex digits of a SHA-256 of today's flags, e.g. "12-5be0c1a7": the same on every day the flags
    /// are the same, so a 304 never keeps a flag that has since turned (before, a cached "stale": false stayed "current"
    /// past its 30 days). If-Match takes either form (<see cref="Preconditions.Versions"/>): writes compare the version.
    /// </summary>
    public static string DayETag(long version, IEnumerable<SystemStatus> systems, DateTimeOffset? lastReportedAt, bool withStale, DateTimeOffset made, DateOnly today)
    {
        var madeOn = ReadinessRules.TodayInJapan(made);
        if (madeOn == today)
        {
            return Preconditions.ETag(version); // made today: no flag can have turned, nothing to evaluate
        }

        var listed = systems as IReadOnlyCollection<SystemStatus> ?? [.. systems];
        var now = DayFlags(listed, lastReportedAt, withStale, today);
        return now.AsSpan().SequenceEqual(DayFlags(listed, lastReportedAt, withStale, madeOn))
            ? Preconditions.ETag(version)
            : Preconditions.ETag(version, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(now))[..8]);
    }

    /// <summary>Each day-dependent flag as one byte: stale (when <paramref name="withStale"/>), then each system's flags as bits.</summary>
    private static byte[] DayFlags(IReadOnlyCollection<SystemStatus> systems, DateTimeOffset? lastReportedAt, bool withStale, DateOnly day)
    {
        var flags = new byte[systems.Count + 1];
        flags[0] = (byte)(withStale && ReadinessRules.IsStale(lastReportedAt, day) ? 1 : 0);
        var i = 1;
        foreach (var s in systems)
        {
            var f = ReadinessRules.Evaluate(s, day);
            flags[i++] = (byte)((f.Overdue ? 1 : 0) | (f.PastTarget ? 2 : 0) | (f.BeyondLimit ? 4 : 0) | (f.DesignationIncomplete ? 8 : 0) | (f.Migrated ? 16 : 0));
        }

        return flags;
    }

    public static MunicipalityView Municipality(MunicipalityRecord r, ImmutableArray<ChangeEntry> recent, DateOnly today)
    {
        var catalog = ReadinessCatalog.Instance;
        var m = catalog.MunicipalitiesByCode[r.Code];
        var systems = r.Systems.Select(s => SystemOf(s, today)).ToList();
        var security = r.Security.Select(s =>
        {
            var i = catalog.SecurityItems[catalog.SecurityIndex[s.ItemId]];
            return new SecurityItemView(s.ItemId, i.Chapter, i.ChapterJa, i.TitleJa, i.TitleEn, i.Party, i.Reference, i.Basis, Wire.Name(s.Status), s.Evidence, s.LastReviewed, s.ReportedAt);
        }).ToList();
        var chapters = r.Security.GroupBy(s => catalog.SecurityItems[catalog.SecurityIndex[s.ItemId]].Chapter).OrderBy(g => g.Key).Select(g =>
        {
            var items = g.ToList();
            var chapterJa = catalog.SecurityItems[catalog.SecurityIndex[items[0].ItemId]].ChapterJa;
            return new ChapterScoreView(g.Key, chapterJa, ReadinessRules.SecurityScore(items), items.Count(s => s.Status != SecurityStatus.NotApplicable));
        }).ToList();
        return new MunicipalityView(
            m.Code, m.Name, m.Kana, Wire.Name(m.Kind), m.Population, m.PrefectureCode, catalog.PrefecturesByCode[m.PrefectureCode].Name,
            r.Version, r.LastReportedAt, ReadinessRules.IsStale(r.LastReportedAt, today), Wire.Name(ReadinessRules.OriginOf(r)), r.Provenance.Description, r.Provenance.Sources,
            OfficialSourcesOf(r), r.UpdatedAt, r.UpdatedBy?.Subject,
            Figures(ReadinessRules.Summarize(r, today)), systems, security, chapters,
            recent.Select(Change).ToList());
    }

    public static ChangeView Change(ChangeEntry c) =>
        new(c.Version, c.At, c.Actor.Subject, Wire.Name(c.Actor.Role), c.Actor.Tenant, c.Target, AuditSide.Before(c), AuditSide.After(c), c.RequestId, AuditFields.IsConfirmation(c));
}
