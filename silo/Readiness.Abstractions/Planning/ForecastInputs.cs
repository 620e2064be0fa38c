using System.Collections.Immutable;

namespace Readiness.Planning;

/// <summary>
/// One applicable business system of one municipality as the forecast sees it today. Pure input: the wiring builds it
/// from the municipality's record (phase, planned go-live, designation, vendor) and its history (when it entered the
/// phase it is in).
/// </summary>
public sealed record ForecastSystem
{
    /// <summary>6-digit 全国地方公共団体コード; its first two digits are the prefecture.</summary>
    public required string MunicipalityCode { get; init; }

    /// <summary>The business system id of business_systems.csv.</summary>
    public required string BusinessId { get; init; }

    public MigrationPhase Phase { get; init; }

    /// <summary>When the system entered its current phase (from the audit trail); null when unknown (treated as today).</summary>
    public DateOnly? PhaseSince { get; init; }

    /// <summary>The planned go-live date the municipality reported (evidence, subject to slippage).</summary>
    public DateOnly? PlannedGoLive { get; init; }

    /// <summary>特定移行支援システム.</summary>
    public bool Designated { get; init; }

    /// <summary>The designation's own target date (evidence when no planned go-live is given).</summary>
    public DateOnly? DesignationTarget { get; init; }

    /// <summary>The application vendor; systems of one vendor queue for its go-live capacity. Null: unknown, not queued.</summary>
    public string? Vendor { get; init; }

    /// <summary>The Government Cloud provider (CSP); not used by the simulation, only by the lock-in view over the same inputs.</summary>
    public CloudProvider? CloudProvider { get; init; }

    /// <summary>False when nobody has reported on the system (it shows only the public baseline).</summary>
    public bool Reported { get; init; } = true;

    /// <summary>The prefecture code (first two digits of the municipality code).</summary>
    public string PrefectureCode => MunicipalityCode[..2];

    /// <summary>The date this system is expected by: the planned go-live, else the designation target; null when neither.</summary>
    public DateOnly? OwnTarget => PlannedGoLive ?? (Designated ? DesignationTarget : null);
}

/// <summary>
/// One phase move of one system, from the audit trail: the phase it left, the phase it entered and the day (Japan).
/// The designation and vendor are the system's at that moment (they choose the duration stratum and the vendor queue).
/// </summary>
public sealed record PhaseTransition(
    string MunicipalityCode,
    string BusinessId,
    MigrationPhase From,
    MigrationPhase To,
    DateOnly At,
    bool Designated = false,
    string? Vendor = null);

/// <summary>
/// A planned go-live (or designation target) as recorded on a day; paired with the actual go-live it measures slippage
/// (actual − planned, in months).
/// </summary>
public sealed record PlanRecord(
    string MunicipalityCode,
    string BusinessId,
    DateOnly RecordedAt,
    DateOnly Planned,
    bool IsDesignationTarget = false);

/// <summary>The history the estimator learns from: phase moves and plans. Empty history: the priors alone.</summary>
public sealed record ForecastHistory
{
    public static ForecastHistory Empty { get; } = new();

    public ImmutableArray<PhaseTransition> Transitions { get; init; } = [];
    public ImmutableArray<PlanRecord> Plans { get; init; } = [];
}

/// <summary>
/// How to run the simulation. Scenario levers (capacity, completion rate of unreported systems) are here so that a
/// scenario is just other options over the same inputs and seed.
/// </summary>
public sealed record ForecastOptions
{
    /// <summary>The day the forecast is made (Japan); month 0 is the month containing it.</summary>
    public required DateOnly AsOf { get; init; }

    public int Trials { get; init; } = 1000;

    public ulong Seed { get; init; } = 20310331;

    /// <summary>Months simulated after the as-of month; later completions count as "after the horizon" (null dates).</summary>
    public int HorizonMonths { get; init; } = 120;

    /// <summary>The deadline probabilities are given for: the end of FY2030 (domain.md: ~5 years for designated systems).</summary>
    public DateOnly Deadline { get; init; } = new(2031, 3, 31);

    /// <summary>
    /// Go-lives per month per vendor, overriding what the history shows (national staff's setting or a scenario).
    /// A vendor in neither this map nor the history's estimate is not constrained.
    /// </summary>
    public ImmutableDictionary<string, int> VendorCapacity { get; init; } = ImmutableDictionary<string, int>.Empty;

    /// <summary>Whether capacities estimated from the history apply (the overrides always do).</summary>
    public bool EstimateVendorCapacity { get; init; } = true;

    /// <summary>
    /// Scenario lever: the monthly probability that a system nobody has reported on goes live (a geometric waiting
    /// time replaces the phase model for those systems). Null: unreported systems follow the phase model like others.
    /// </summary>
    public double? UnreportedMonthlyCompletionRate { get; init; }

    /// <summary>Keep every trial's month per system, municipality, prefecture and nation (tests only; memory trials × systems).</summary>
    public bool KeepSamples { get; init; }

    /// <summary>Degree of parallelism; trials are split across workers, the result does not depend on it.</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;
}
