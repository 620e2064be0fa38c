namespace Readiness.Planning;

/// <summary>
/// How good a kept forecast has been: of the systems it forecast that have an outcome now, the share whose go-live fell
/// inside the P10–P90 band (months, inclusive), and the share at or before the P50. A well-calibrated forecast has
/// <see cref="Coverage"/> ≈ 0.8 and <see cref="ShareAtOrBeforeP50"/> ≈ 0.5.
/// </summary>
public sealed record ForecastCoverage(int Assessed, int Covered, int AtOrBeforeP50, int Pending)
{
    /// <summary>Covered / assessed (0..1); NaN when nothing could be assessed yet.</summary>
    public double Coverage => Assessed == 0 ? double.NaN : Covered / (double)Assessed;

    public double ShareAtOrBeforeP50 => Assessed == 0 ? double.NaN : AtOrBeforeP50 / (double)Assessed;
}

public static class ForecastCalibration
{
    /// <summary>
    /// Compares a forecast with what happened. <paramref name="goLives"/>: the actual go-live day of systems that went live
    /// after the forecast was made, keyed by (municipality code, business id). A system still not live is assessed once
    /// <paramref name="now"/> is past its P90 month (a miss above the band); before that it is pending. Systems already
    /// migrated when the forecast was made are not assessed.
    /// </summary>
    public static ForecastCoverage Coverage(
        ForecastResult forecast,
        IReadOnlyDictionary<(string MunicipalityCode, string BusinessId), DateOnly> goLives,
        DateOnly? now = null) =>
        Coverage(forecast.Systems.Select(s => new SystemForecastBand(s.MunicipalityCode, s.BusinessId, s.Band)), goLives, now);

    /// <summary>The same comparison over bands alone, e.g. a kept forecast's (<see cref="KeptForecasts.Systems"/>).</summary>
    public static ForecastCoverage Coverage(
        IEnumerable<SystemForecastBand> systems,
        IReadOnlyDictionary<(string MunicipalityCode, string BusinessId), DateOnly> goLives,
        DateOnly? now = null)
    {
        int assessed = 0, covered = 0, atOrBeforeP50 = 0, pending = 0;
        foreach (var system in systems)
        {
            var band = system.Band;
            if (band.Migrated)
            {
                continue;
            }

            if (goLives.TryGetValue((system.MunicipalityCode, system.BusinessId), out var actual))
            {
                var month = MonthEnd(actual);
                assessed++;
                if (band.P10 <= month && (band.P90 is null || month <= band.P90))
                {
                    covered++;
                }

                if (band.P50 is null || month <= band.P50)
                {
                    atOrBeforeP50++;
                }
            }
            else if (now is { } today && band.P90 is { } p90 && today > p90)
            {
                assessed++;
            }
            else
            {
                pending++;
            }
        }

        return new ForecastCoverage(assessed, covered, atOrBeforeP50, pending);
    }

    /// <summary>
    /// The first go-live (a phase move from below in_production to in_production or later) of each system on or after
    /// <paramref name="since"/>, from the audit trail's phase moves: the outcomes a forecast made on that day is judged by.
    /// </summary>
    public static IReadOnlyDictionary<(string MunicipalityCode, string BusinessId), DateOnly> GoLivesSince(IEnumerable<PhaseTransition> transitions, DateOnly since)
    {
        var goLives = new Dictionary<(string, string), DateOnly>();
        foreach (var t in transitions)
        {
            if (t.At >= since && t.From < MigrationPhase.InProduction && t.To >= MigrationPhase.InProduction
                && (!goLives.TryGetValue((t.MunicipalityCode, t.BusinessId), out var first) || t.At < first))
            {
                goLives[(t.MunicipalityCode, t.BusinessId)] = t.At;
            }
        }

        return goLives;
    }

    private static DateOnly MonthEnd(DateOnly day) => new DateOnly(day.Year, day.Month, 1).AddMonths(1).AddDays(-1);
}

/// <summary>One system's band, as a forecast (computed or kept) gave it.</summary>
public sealed record SystemForecastBand(string MunicipalityCode, string BusinessId, ForecastBand Band);
