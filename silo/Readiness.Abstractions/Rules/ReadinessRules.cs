using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Readiness.Catalog;

namespace Readiness.Rules;

/// <summary>Flags of one business system on one day, exactly as domain.md defines them.</summary>
public readonly record struct SystemFlags(
    bool Applicable,
    bool Migrated,
    bool Overdue,
    bool Designated,
    bool PastTarget,
    bool BeyondLimit,
    bool DesignationIncomplete,
    bool Regression,
    int ProgressUnits);

/// <summary>How a report's phase counts against the phase it replaces (<see cref="ReadinessRules.MoveOf"/>).</summary>
public enum PhaseMove
{
    /// <summary>The same phase or a later one.</summary>
    NotBack,

    /// <summary>Below a phase the municipality itself reported: work went back (a reason is required; flagged 後退, notified).</summary>
    Regression,

    /// <summary>Below an estimate the municipality never reported (public baseline, official import): a correction, not a regression.</summary>
    EstimateCorrected,
}

/// <summary>The product's rules: derived figures and flags. Pure functions of state and the day (JST).</summary>
public static class ReadinessRules
{
    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    /// <summary>Deadlines are Japanese dates, so "today" is the date in Japan (UTC+9, no daylight saving).</summary>
    public static DateOnly TodayInJapan(DateTimeOffset now) => DateOnly.FromDateTime(now.ToOffset(Jst).DateTime);

    public static bool IsMigrated(MigrationPhase phase) => phase >= MigrationPhase.InProduction;

    /// <summary>Phase order over the order of in_production, capped at 1, in integer units of 1/9.</summary>
    public static int ProgressUnits(MigrationPhase phase) => Math.Min((int)phase, (int)MigrationPhase.InProduction);

    public static SystemFlags Evaluate(SystemStatus s, DateOnly today)
    {
        if (s.NotApplicable)
        {
            return new SystemFlags(false, false, false, false, false, false, false, false, 0);
        }

        var migrated = IsMigrated(s.Phase);
        var designated = s.Designated;
        var overdue = !migrated && !designated
            && (today > ReadinessCatalog.StandardizationDeadline || (s.PlannedGoLive is { } planned && planned < today));
        // A designated system's target is met once it is in production: its target flags no longer apply (a live system
        // is neither past its target nor beyond the FY2030 limit, and its plan needs no reason or target any more).
        var open = designated && !migrated;
        var pastTarget = open && s.DesignationTarget is { } target && target < today;
        var beyondLimit = open && s.DesignationTarget is { } t && t > ReadinessCatalog.DesignationLimit;
        var incomplete = open && (s.DesignationReason is null || s.DesignationTarget is null);
        return new SystemFlags(true, migrated, overdue, designated, pastTarget, beyondLimit, incomplete, s.Regression, ProgressUnits(s.Phase));
    }

    /// <summary>
    /// True while a system's phase is an estimate the municipality never reported (<see cref="SystemStatus.ReportedAt"/>
    /// null): the public baseline's, derived from the PMO step share (where every step done can also mean 対象外), or an
    /// official import's, derived the same way. The municipality's first report of the system makes the phase its own.
    /// </summary>
    public static bool IsEstimate(SystemStatus s) => s.ReportedAt is null;

    /// <summary>
    /// Where figures come from, the one rule for every surface (the API's municipality and prefecture views, the
    /// detailed export's rows, the prefecture table's CSV, the pages): synthetic data stays <see cref="DataOrigin.Synthetic"/>
    /// whatever was reported over it (always labelled synthetic); else <see cref="DataOrigin.MunicipalityReport"/> once
    /// the municipality reported (<paramref name="reportedAt"/> set), else what the record started from
    /// (<see cref="DataOrigin.PublicBaseline"/>).
    /// </summary>
    public static DataOrigin OriginOf(DataOrigin startedFrom, DateTimeOffset? reportedAt) =>
        startedFrom == DataOrigin.Synthetic ? DataOrigin.Synthetic
        : reportedAt is not null ? DataOrigin.MunicipalityReport
        : startedFrom;

    /// <summary>One system's origin (<see cref="OriginOf(DataOrigin, DateTimeOffset?)"/> with <see cref="SystemStatus.ReportedAt"/>).</summary>
    public static DataOrigin OriginOf(MunicipalityRecord r, SystemStatus s) => OriginOf(r.Provenance.Origin, s.ReportedAt);

    /// <summary>A municipality's origin: its report once it reported anything (<see cref="MunicipalityRecord.LastReportedAt"/>).</summary>
    public static DataOrigin OriginOf(MunicipalityRecord r) => OriginOf(r.Provenance.Origin, r.LastReportedAt);

    /// <summary>A municipality's origin from the summary its prefecture holds (the same rule as <see cref="OriginOf(MunicipalityRecord)"/>).</summary>
    public static DataOrigin OriginOf(MunicipalitySummary s) => OriginOf(s.Origin, s.LastReportedAt);

    /// <summary>
    /// How a report moving <paramref name="before"/> to <paramref name="next"/> counts. Only a move below a phase the
    /// municipality reported is a regression (domain.md): below an estimate it never reported, the report corrects the
    /// estimate, so the first reports before a reporting date do not flood prefectures with false 後退 alerts. An
    /// official import lowering a phase is decided in <see cref="OfficialRules"/> (a fall in the step share stays a regression).
    /// </summary>
    public static PhaseMove MoveOf(SystemStatus before, MigrationPhase next) =>
        next >= before.Phase ? PhaseMove.NotBack
        : IsEstimate(before) ? PhaseMove.EstimateCorrected
        : PhaseMove.Regression;

    /// <summary>Stale: no report for 30 days (never reported counts as stale).</summary>
    public static bool IsStale(DateTimeOffset? lastReportedAt, DateOnly today) =>
        lastReportedAt is not { } last || today.DayNumber - TodayInJapan(last).DayNumber > ReadinessCatalog.StaleAfterDays;

    public static int SecurityHalves(SecurityStatus status) => status switch
    {
        SecurityStatus.Implemented => 2,
        SecurityStatus.Partial => 1,
        _ => 0,
    };

    /// <summary>Security score over applicable items: implemented 1, partial 0.5, anything else 0; null when none apply.</summary>
    public static double? SecurityScore(IEnumerable<SecurityItemStatus> items)
    {
        var applicable = 0;
        var halves = 0;
        foreach (var item in items)
        {
            if (item.Status == SecurityStatus.NotApplicable)
            {
                continue;
            }

            applicable++;
            halves += SecurityHalves(item.Status);
        }

        return applicable == 0 ? null : halves / (2.0 * applicable);
    }

    /// <summary>The additive figures of one municipality on one day.</summary>
    public static Figures Summarize(MunicipalityRecord record, DateOnly today) => Summarize(record, today, SystemsFigures(record.Systems, today));

    /// <summary>
    /// The additive figures of one municipality on one day, with the systems' counts taken from
    /// <paramref name="systems"/>, which must be <see cref="SystemsFigures"/> of this record's systems on
    /// <paramref name="today"/> (<see cref="SystemsFiguresMemo"/> keeps them between changes that leave the systems alone).
    /// </summary>
    public static Figures Summarize(MunicipalityRecord record, DateOnly today, Figures systems)
    {
        var securityCounts = new int[Figures.SecurityStatusCount];
        var securityApplicable = 0;
        long halves = 0;
        foreach (var item in record.Security)
        {
            securityCounts[(int)item.Status]++;
            if (item.Status != SecurityStatus.NotApplicable)
            {
                securityApplicable++;
                halves += SecurityHalves(item.Status);
            }
        }

        return systems with
        {
            Municipalities = 1,
            StaleMunicipalities = IsStale(record.LastReportedAt, today) ? 1 : 0,
            ReportedMunicipalities = record.LastReportedAt is null ? 0 : 1,
            SecurityApplicableItems = securityApplicable,
            SecurityScoreHalves = halves,
            SecurityStatusCounts = ImmutableCollectionsMarshal.AsImmutableArray(securityCounts),
        };
    }

    /// <summary>
    /// The figures that depend only on <paramref name="systems"/> and the day (the municipality's own and security
    /// fields left at zero): the costly part of a summary (~1 KB of counts), the same for every change that touches only
    /// security items on the same day.
    /// </summary>
    public static Figures SystemsFigures(ImmutableArray<SystemStatus> systems, DateOnly today)
    {
        var catalog = ReadinessCatalog.Instance;
        var phaseCounts = new int[Figures.PhaseCount];
        var businessPhase = new int[catalog.BusinessSystems.Count * Figures.BusinessSlots];
        var businessDesignated = new int[catalog.BusinessSystems.Count];
        var reasons = new int[Figures.ReasonSlots];
        int applicable = 0, migrated = 0, notApplicable = 0, designated = 0, incomplete = 0, overdue = 0, pastTarget = 0, beyond = 0, regressions = 0;
        long progress = 0, stepsDone = 0;
        var stepSystems = 0;
        foreach (var s in systems)
        {
            var b = catalog.BusinessIndex[s.BusinessId];

            // MIC's step measure counts every system it has a figure for, 対象外 steps included (its own definition).
            if (Baseline.StepsDone(s.BaselineStepCompletion) is { } steps)
            {
                stepSystems++;
                stepsDone += steps;
            }

            var f = Evaluate(s, today);
            if (!f.Applicable)
            {
                notApplicable++;
                businessPhase[(b * Figures.BusinessSlots) + Figures.PhaseCount]++;
                continue;
            }

            applicable++;
            phaseCounts[(int)s.Phase]++;
            businessPhase[(b * Figures.BusinessSlots) + (int)s.Phase]++;
            progress += f.ProgressUnits;
            if (f.Migrated)
            {
                migrated++;
            }

            if (f.Designated)
            {
                designated++;
                businessDesignated[b]++;
                reasons[s.DesignationReason is { } r ? (int)r : Figures.ReasonSlots - 1]++;
            }

            if (f.DesignationIncomplete)
            {
                incomplete++;
            }

            if (f.Overdue)
            {
                overdue++;
            }

            if (f.PastTarget)
            {
                pastTarget++;
            }

            if (f.BeyondLimit)
            {
                beyond++;
            }

            if (f.Regression)
            {
                regressions++;
            }
        }

        // The arrays are this call's own and never written again: wrapped, not copied as ImmutableArray.Create would (a
        // summary is made on every change: ~1.2 KB a change less, issue 14).
        return new Figures
        {
            CompleteMunicipalities = applicable == migrated ? 1 : 0,
            MunicipalitiesWithDesignation = designated > 0 ? 1 : 0,
            MunicipalitiesWithOverdue = overdue > 0 ? 1 : 0,
            ApplicableSystems = applicable,
            MigratedSystems = migrated,
            ProgressUnits = progress,
            NotApplicableSystems = notApplicable,
            DesignatedSystems = designated,
            DesignatedByReason = ImmutableCollectionsMarshal.AsImmutableArray(reasons),
            DesignationIncomplete = incomplete,
            OverdueSystems = overdue,
            PastTargetSystems = pastTarget,
            BeyondLimitSystems = beyond,
            RegressionSystems = regressions,
            PhaseCounts = ImmutableCollectionsMarshal.AsImmutableArray(phaseCounts),
            BusinessPhaseCounts = ImmutableCollectionsMarshal.AsImmutableArray(businessPhase),
            BusinessDesignated = ImmutableCollectionsMarshal.AsImmutableArray(businessDesignated),
            StepCompletionSystems = stepSystems,
            StepsDone = stepsDone,
        };
    }

    public static MunicipalitySummary Summary(MunicipalityRecord record, DateOnly today) => Summary(record, today, SystemsFigures(record.Systems, today));

    /// <summary>As <see cref="Summary(MunicipalityRecord, DateOnly)"/>, the systems' counts kept in <paramref name="memo"/> while the systems and the day stay.</summary>
    public static MunicipalitySummary Summary(MunicipalityRecord record, DateOnly today, SystemsFiguresMemo memo) => Summary(record, today, memo.For(record.Systems, today));

    private static MunicipalitySummary Summary(MunicipalityRecord record, DateOnly today, Figures systems) => new()
    {
        Code = record.Code,
        Version = record.Version,
        Figures = Summarize(record, today, systems),
        LastReportedAt = record.LastReportedAt,
        Origin = record.Provenance.Origin,
        AsOf = today,
    };
}

/// <summary>
/// One municipality's last <see cref="ReadinessRules.SystemsFigures"/>, reused while its systems are the very same list
/// (a change to security items alone keeps the list, <see cref="ChangeRules.Apply"/>) and the day is the same. Not
/// thread-safe: one per grain activation.
/// </summary>
public sealed class SystemsFiguresMemo
{
    private ImmutableArray<SystemStatus> systems;
    private DateOnly day;
    private Figures? figures;

    /// <summary>The systems' figures of <paramref name="current"/> on <paramref name="today"/>, computed again only when either moved.</summary>
    public Figures For(ImmutableArray<SystemStatus> current, DateOnly today)
    {
        // ImmutableArray's == compares the underlying arrays by reference; records never change in place.
        if (figures is null || day != today || current != systems)
        {
            figures = ReadinessRules.SystemsFigures(current, today);
            systems = current;
            day = today;
        }

        return figures;
    }
}
