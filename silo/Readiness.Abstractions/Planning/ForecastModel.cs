using System.Collections.Immutable;
using MathNet.Numerics.Distributions;

namespace Readiness.Planning;

/// <summary>Where a distribution's parameters came from.</summary>
public enum EstimateSource
{
    /// <summary>The documented prior alone (no usable history).</summary>
    Prior,

    /// <summary>History shrunk towards the prior (<see cref="ForecastPriors.PriorStrength"/> pseudo-observations).</summary>
    History,
}

/// <summary>
/// The log-normal duration of one phase for one stratum: ln(months) ~ N(<see cref="LogMean"/>, <see cref="LogSigma"/>²).
/// <see cref="Observed"/> complete spells and <see cref="Censored"/> open ones (still in the phase) were used.
/// </summary>
public sealed record PhaseDuration(
    MigrationPhase Phase,
    bool Designated,
    double LogMean,
    double LogSigma,
    int Observed,
    int Censored,
    EstimateSource Source)
{
    /// <summary>Median months in the phase.</summary>
    public double MedianMonths => Math.Exp(LogMean);
}

/// <summary>Normal slip (actual − planned go-live) in months, with how many go-lives and overdue plans informed it.</summary>
public sealed record SlipDistribution(double MeanMonths, double SdMonths, int Observed, int Censored, EstimateSource Source);

/// <summary>A vendor's go-live capacity per month and where it came from.</summary>
public sealed record VendorCapacityEstimate(string Vendor, int PerMonth, int GoLivesInWindow, bool Set);

/// <summary>
/// Everything the simulation draws from: phase durations per stratum (not designated / designated), plan and
/// designation-target slippage, and vendor capacities. Built by <see cref="ForecastModel.Estimate"/> from history.
/// </summary>
public sealed record ForecastModel
{
    /// <summary>Indexed [designated ? 1 : 0][phase 0..8].</summary>
    public required ImmutableArray<ImmutableArray<PhaseDuration>> Phases { get; init; }

    public required SlipDistribution PlanSlip { get; init; }

    public required SlipDistribution TargetSlip { get; init; }

    /// <summary>Capacity per vendor (go-lives per month): estimates from history, replaced by any that were set.</summary>
    public required ImmutableDictionary<string, VendorCapacityEstimate> VendorCapacity { get; init; }

    public PhaseDuration Phase(MigrationPhase phase, bool designated) => Phases[designated ? 1 : 0][(int)phase];

    /// <summary>Months between two days (a month is 365.2425 / 12 days).</summary>
    public static double Months(DateOnly from, DateOnly to) => (to.DayNumber - from.DayNumber) / DaysPerMonth;

    public const double DaysPerMonth = 365.2425 / 12;

    // A same-day move still took some time; log(0) is undefined.
    private const double MinimumMonths = 0.1;

    /// <summary>
    /// Estimates the model from history observed up to <paramref name="asOf"/> (later records are ignored, which is how a
    /// backtest hides the future). Phase spells: the time between entering a phase and the next forward move; a spell still
    /// open at <paramref name="asOf"/>, or ended by a move backwards, is right-censored. The spell before a system's first
    /// recorded move has no known start and is not used. Log-normal parameters are fitted by EM for censored normal data on
    /// ln(months), then shrunk towards the prior. Slippage: the last plan recorded before the go-live against the go-live;
    /// a plan whose date passed without a go-live is censored. Capacity: the most go-lives of a vendor in one month in the
    /// <see cref="ForecastPriors.CapacityWindowMonths"/> months before the as-of month, when it had at least
    /// <see cref="ForecastPriors.MinGoLivesForCapacity"/>; <paramref name="setCapacity"/> replaces estimates.
    /// </summary>
    public static ForecastModel Estimate(ForecastHistory history, DateOnly asOf, IReadOnlyDictionary<string, int>? setCapacity = null, bool estimateCapacity = true)
    {
        var spells = new List<(double Log, bool Censored)>[2, 9];
        for (var s = 0; s < 2; s++)
        {
            for (var p = 0; p < 9; p++)
            {
                spells[s, p] = [];
            }
        }

        var bySystem = history.Transitions
            .Where(t => t.At <= asOf)
            .GroupBy(t => (t.MunicipalityCode, t.BusinessId));
        var goLives = new Dictionary<(string, string), DateOnly>();
        var goLivesByVendor = new Dictionary<string, List<DateOnly>>(StringComparer.Ordinal);
        foreach (var system in bySystem)
        {
            var moves = system.OrderBy(t => t.At).ToList();
            for (var i = 0; i < moves.Count; i++)
            {
                var move = moves[i];
                if (move.From < MigrationPhase.InProduction && move.To >= MigrationPhase.InProduction)
                {
                    goLives[system.Key] = move.At;
                    if (Rules.FreeText.Identifier(move.Vendor) is { } vendor)
                    {
                        (goLivesByVendor.TryGetValue(vendor, out var list) ? list : goLivesByVendor[vendor] = []).Add(move.At);
                    }
                }

                if (move.To >= MigrationPhase.InProduction)
                {
                    continue;
                }

                var stratum = move.Designated ? 1 : 0;
                if (i + 1 < moves.Count)
                {
                    var next = moves[i + 1];
                    var months = Math.Max(MinimumMonths, Months(move.At, next.At));
                    spells[stratum, (int)move.To].Add((Math.Log(months), next.To < move.To));
                }
                else
                {
                    var months = Math.Max(MinimumMonths, Months(move.At, asOf));
                    spells[stratum, (int)move.To].Add((Math.Log(months), true));
                }
            }
        }

        var phases = ImmutableArray.CreateBuilder<ImmutableArray<PhaseDuration>>(2);
        for (var s = 0; s < 2; s++)
        {
            var row = ImmutableArray.CreateBuilder<PhaseDuration>(9);
            for (var p = 0; p < 9; p++)
            {
                var (median, sigma) = ForecastPriors.Phase((MigrationPhase)p, s == 1);
                var (mean, sd, observed, censored, source) = Fit(spells[s, p], Math.Log(median), sigma);
                row.Add(new PhaseDuration((MigrationPhase)p, s == 1, mean, sd, observed, censored, source));
            }

            phases.Add(row.MoveToImmutable());
        }

        var planSlips = new List<(double, bool)>();
        var targetSlips = new List<(double, bool)>();
        foreach (var system in history.Plans.Where(p => p.RecordedAt <= asOf).GroupBy(p => (p.MunicipalityCode, p.BusinessId)))
        {
            var live = goLives.TryGetValue(system.Key, out var day) ? day : (DateOnly?)null;
            foreach (var kind in system.GroupBy(p => p.IsDesignationTarget))
            {
                var list = kind.Key ? targetSlips : planSlips;
                var candidates = kind.Where(p => live is null || p.RecordedAt <= live).OrderBy(p => p.RecordedAt).ToList();
                if (candidates.Count == 0)
                {
                    continue;
                }

                var last = candidates[^1];
                if (live is { } actual)
                {
                    list.Add((Months(last.Planned, actual), false));
                }
                else if (last.Planned < asOf)
                {
                    list.Add((Months(last.Planned, asOf), true));
                }
            }
        }

        var capacity = ImmutableDictionary.CreateBuilder<string, VendorCapacityEstimate>(StringComparer.Ordinal);
        if (estimateCapacity)
        {
            var windowStart = new DateOnly(asOf.Year, asOf.Month, 1).AddMonths(-ForecastPriors.CapacityWindowMonths);
            var windowEnd = new DateOnly(asOf.Year, asOf.Month, 1);
            foreach (var (vendor, days) in goLivesByVendor)
            {
                var inWindow = days.Where(d => d >= windowStart && d < windowEnd).ToList();
                if (inWindow.Count >= ForecastPriors.MinGoLivesForCapacity)
                {
                    var most = inWindow.GroupBy(d => (d.Year * 12) + d.Month).Max(g => g.Count());
                    capacity[vendor] = new VendorCapacityEstimate(vendor, most, inWindow.Count, false);
                }
            }
        }

        foreach (var (given, perMonth) in setCapacity ?? ImmutableDictionary<string, int>.Empty)
        {
            var vendor = Rules.FreeText.Identifier(given) ?? given;
            var window = capacity.TryGetValue(vendor, out var estimate) ? estimate.GoLivesInWindow : 0;
            capacity[vendor] = new VendorCapacityEstimate(vendor, Math.Max(1, perMonth), window, true);
        }

        return new ForecastModel
        {
            Phases = phases.MoveToImmutable(),
            PlanSlip = Slip(planSlips, ForecastPriors.PlanSlipMeanMonths, ForecastPriors.PlanSlipSdMonths),
            TargetSlip = Slip(targetSlips, ForecastPriors.TargetSlipMeanMonths, ForecastPriors.TargetSlipSdMonths),
            VendorCapacity = capacity.ToImmutable(),
        };
    }

    private static SlipDistribution Slip(List<(double, bool)> values, double priorMean, double priorSd)
    {
        var (mean, sd, observed, censored, source) = Fit(values, priorMean, priorSd);
        return new SlipDistribution(mean, sd, observed, censored, source);
    }

    /// <summary>
    /// EM for right-censored normal data (a censored value c means the true value is above c), then shrinkage towards the
    /// prior by <see cref="ForecastPriors.PriorStrength"/> pseudo-observations. No complete observation: the prior alone
    /// (censored data alone cannot place a distribution).
    /// </summary>
    public static (double Mean, double Sd, int Observed, int Censored, EstimateSource Source) Fit(
        IReadOnlyList<(double Value, bool Censored)> values, double priorMean, double priorSd)
    {
        var observed = values.Count(v => !v.Censored);
        var censored = values.Count - observed;
        if (observed == 0)
        {
            return (priorMean, priorSd, 0, censored, EstimateSource.Prior);
        }

        var mean = values.Where(v => !v.Censored).Average(v => v.Value);
        var variance = Math.Max(1e-4, values.Where(v => !v.Censored).Average(v => (v.Value - mean) * (v.Value - mean)));
        if (observed == 1)
        {
            variance = priorSd * priorSd;
        }

        for (var iteration = 0; iteration < 60; iteration++)
        {
            var sd = Math.Sqrt(variance);
            double sum = 0, sumSquares = 0;
            foreach (var (value, isCensored) in values)
            {
                if (!isCensored)
                {
                    sum += value;
                    sumSquares += value * value;
                    continue;
                }

                var a = (value - mean) / sd;
                var tail = 1 - Normal.CDF(0, 1, a);
                // Inverse Mills ratio; for a far tail it tends to a.
                var lambda = tail > 1e-12 ? Normal.PDF(0, 1, a) / tail : a;
                var expected = mean + (sd * lambda);
                var truncatedVariance = variance * Math.Max(1e-6, 1 + (a * lambda) - (lambda * lambda));
                sum += expected;
                sumSquares += truncatedVariance + (expected * expected);
            }

            var newMean = sum / values.Count;
            var newVariance = Math.Max(1e-4, (sumSquares / values.Count) - (newMean * newMean));
            var converged = Math.Abs(newMean - mean) < 1e-5 && Math.Abs(newVariance - variance) < 1e-5;
            mean = newMean;
            variance = newVariance;
            if (converged)
            {
                break;
            }
        }

        var n = (double)values.Count;
        var k = ForecastPriors.PriorStrength;
        var shrunkMean = ((k * priorMean) + (n * mean)) / (k + n);
        var shrunkVariance = ((k * priorSd * priorSd) + (n * variance)) / (k + n);
        return (shrunkMean, Math.Sqrt(shrunkVariance), observed, censored, EstimateSource.History);
    }

    /// <summary>
    /// The day each system entered the phase it is in: its last recorded move up to <paramref name="asOf"/>, keyed by
    /// (municipality code, business id).
    /// </summary>
    public static Dictionary<(string MunicipalityCode, string BusinessId), DateOnly> PhaseSince(ForecastHistory history, DateOnly asOf)
    {
        var result = new Dictionary<(string, string), DateOnly>();
        foreach (var t in history.Transitions)
        {
            if (t.At > asOf)
            {
                continue;
            }

            var key = (t.MunicipalityCode, t.BusinessId);
            if (!result.TryGetValue(key, out var day) || t.At >= day)
            {
                result[key] = t.At;
            }
        }

        return result;
    }
}
