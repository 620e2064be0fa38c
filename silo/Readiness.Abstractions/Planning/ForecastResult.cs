using System.Collections.Immutable;

namespace Readiness.Planning;

/// <summary>
/// Completion quantiles of one system or area. Dates are the last day of the month in which completion falls (the
/// simulation works in months). <see cref="Migrated"/>: already complete (dates null). A null date otherwise means
/// "after the horizon" (<see cref="ForecastResult.HorizonEnd"/>).
/// </summary>
public sealed record ForecastBand(
    bool Migrated,
    DateOnly? P10,
    DateOnly? P50,
    DateOnly? P90,
    double ProbabilityByDeadline);

/// <summary>The forecast of one system. <see cref="ProbabilityByOwnTarget"/>: P(go-live by its own target), null without one.</summary>
public sealed record SystemForecast(
    string MunicipalityCode,
    string BusinessId,
    MigrationPhase Phase,
    string? Vendor,
    DateOnly? OwnTarget,
    ForecastBand Band,
    double? ProbabilityByOwnTarget);

/// <summary>
/// The forecast of one municipality: it completes, per trial, when its last applicable system goes live.
/// <see cref="ProbabilityByOwnTargets"/>: the share of trials in which every system with a target (planned go-live,
/// else designation target) went live by it; null when none has one. <see cref="Risk"/> = 1 − P(by deadline).
/// </summary>
public sealed record MunicipalityForecast(
    string Code,
    int Systems,
    int Remaining,
    ForecastBand Band,
    double? ProbabilityByOwnTargets,
    DateOnly? LatestOwnTarget)
{
    public double Risk => 1 - Band.ProbabilityByDeadline;
}

/// <summary>The forecast of a prefecture (code "01".."47") or of the nation (code "00"): per trial the max of its municipalities.</summary>
public sealed record AreaForecast(
    string Code,
    int Systems,
    int Remaining,
    ForecastBand Band);

/// <summary>The share of applicable systems migrated by the end of a month: the mean over trials and the P10–P90 band (0..1).</summary>
public sealed record MonthlyShare(DateOnly MonthEnd, double Expected, double P10, double P90);

/// <summary>
/// A vendor whose go-live capacity (per month) holds its customers back: the mean number of its systems per trial that
/// went live later than they were ready, and their mean delay in months.
/// </summary>
public sealed record VendorQueue(
    string Vendor,
    int PerMonth,
    bool Set,
    int WaitingSystems,
    double ExpectedDelayedSystems,
    double MeanDelayMonths);

/// <summary>Per-trial months (−1 migrated, 0.. months after the as-of month, horizon = later), kept only when asked for (tests).</summary>
public sealed record ForecastSamples(
    short[][] Systems,
    short[][] Municipalities,
    short[][] Prefectures,
    short[] Nation);

/// <summary>
/// One run of the forecast. Systems are ordered by municipality code, then in input order; municipalities by code;
/// prefectures by code. <see cref="Monthly"/> runs from the as-of month to the deadline's month.
/// </summary>
public sealed record ForecastResult
{
    public required DateOnly AsOf { get; init; }
    public required ulong Seed { get; init; }
    public required int Trials { get; init; }
    public required int HorizonMonths { get; init; }
    public required DateOnly Deadline { get; init; }

    /// <summary>The last day of the last simulated month; a completion after it has a null date.</summary>
    public required DateOnly HorizonEnd { get; init; }

    public required ForecastModel Model { get; init; }
    public required ImmutableArray<SystemForecast> Systems { get; init; }
    public required ImmutableArray<MunicipalityForecast> Municipalities { get; init; }
    public required ImmutableArray<AreaForecast> Prefectures { get; init; }
    public required AreaForecast Nation { get; init; }
    public required ImmutableArray<MonthlyShare> Monthly { get; init; }

    /// <summary>Vendors with a capacity, most delayed systems first.</summary>
    public required ImmutableArray<VendorQueue> Vendors { get; init; }

    public ForecastSamples? Samples { get; init; }
}
