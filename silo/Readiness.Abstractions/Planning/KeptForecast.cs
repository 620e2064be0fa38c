using System.Collections.Immutable;
using System.Globalization;

namespace Readiness.Planning;

/// <summary>
/// A baseline forecast kept as it was made, compact, to be compared later with what happened. Months are counted from
/// the as-of month (0 = the month containing <see cref="AsOf"/>); <see cref="Migrated"/> (−1) marks a municipality
/// already complete, <see cref="AfterHorizon"/> a completion after the horizon. Systems already migrated when the
/// forecast was made are left out (nothing to compare). Parallel arrays: system i is municipality
/// <see cref="SystemMunicipalities"/>[i] (the 6-digit code as a number), business
/// <see cref="BusinessIds"/>[<see cref="SystemBusinesses"/>[i]], band <see cref="SystemP10"/>[i] / P50 / P90.
/// About 11 bytes per open system (≈ 0.4 MB for the 34,820 systems).
/// </summary>
[GenerateSerializer, Immutable, Alias("Readiness.Planning.KeptForecast")]
public sealed record KeptForecast
{
    public const short Migrated = -1;
    public const short AfterHorizon = short.MaxValue;

    [Id(0)] public required DateOnly AsOf { get; init; }
    [Id(1)] public required DateTimeOffset ComputedAt { get; init; }
    [Id(2)] public required ulong Seed { get; init; }
    [Id(3)] public required int Trials { get; init; }
    [Id(4)] public required ImmutableArray<string> BusinessIds { get; init; }
    [Id(5)] public required ImmutableArray<int> SystemMunicipalities { get; init; }
    [Id(6)] public required ImmutableArray<byte> SystemBusinesses { get; init; }
    [Id(7)] public required ImmutableArray<short> SystemP10 { get; init; }
    [Id(8)] public required ImmutableArray<short> SystemP50 { get; init; }
    [Id(9)] public required ImmutableArray<short> SystemP90 { get; init; }
    [Id(10)] public required ImmutableArray<int> Municipalities { get; init; }
    [Id(11)] public required ImmutableArray<short> MunicipalityP10 { get; init; }
    [Id(12)] public required ImmutableArray<short> MunicipalityP50 { get; init; }
    [Id(13)] public required ImmutableArray<short> MunicipalityP90 { get; init; }
    [Id(14)] public required short NationP10 { get; init; }
    [Id(15)] public required short NationP50 { get; init; }
    [Id(16)] public required short NationP90 { get; init; }

    /// <summary>Open systems this forecast covers.</summary>
    public int Systems => SystemMunicipalities.Length;
}

/// <summary>What the archive lists of one kept forecast (the index is small; the forecast itself is read on demand).</summary>
[GenerateSerializer, Immutable, Alias("Readiness.Planning.KeptForecastInfo")]
public sealed record KeptForecastInfo(
    [property: Id(0)] DateOnly AsOf,
    [property: Id(1)] DateTimeOffset ComputedAt,
    [property: Id(2)] int Systems,
    [property: Id(3)] int Trials);

/// <summary>How one kept forecast has done so far (<see cref="ForecastCalibration.Coverage(IEnumerable{SystemForecastBand}, IReadOnlyDictionary{ValueTuple{string, string}, DateOnly}, DateOnly?)"/>).</summary>
public sealed record KeptForecastCoverage(KeptForecastInfo Forecast, ForecastCoverage Coverage);

/// <summary>Packing a forecast for keeping and reading it back. Pure.</summary>
public static class KeptForecasts
{
    /// <summary>The compact form of <paramref name="result"/> (its systems not yet migrated, every municipality, the nation).</summary>
    public static KeptForecast From(ForecastResult result, DateTimeOffset computedAt)
    {
        var businessIds = new List<string>();
        var businessIndex = new Dictionary<string, byte>(StringComparer.Ordinal);
        var municipalities = ImmutableArray.CreateBuilder<int>();
        var businesses = ImmutableArray.CreateBuilder<byte>();
        var p10 = ImmutableArray.CreateBuilder<short>();
        var p50 = ImmutableArray.CreateBuilder<short>();
        var p90 = ImmutableArray.CreateBuilder<short>();
        foreach (var s in result.Systems)
        {
            if (s.Band.Migrated)
            {
                continue;
            }

            if (!businessIndex.TryGetValue(s.BusinessId, out var b))
            {
                if (businessIds.Count > byte.MaxValue)
                {
                    throw new InvalidOperationException("More than 256 business ids.");
                }

                b = (byte)businessIds.Count;
                businessIndex[s.BusinessId] = b;
                businessIds.Add(s.BusinessId);
            }

            municipalities.Add(int.Parse(s.MunicipalityCode, NumberStyles.None, CultureInfo.InvariantCulture));
            businesses.Add(b);
            p10.Add(Month(result.AsOf, s.Band, s.Band.P10));
            p50.Add(Month(result.AsOf, s.Band, s.Band.P50));
            p90.Add(Month(result.AsOf, s.Band, s.Band.P90));
        }

        return new KeptForecast
        {
            AsOf = result.AsOf,
            ComputedAt = computedAt,
            Seed = result.Seed,
            Trials = result.Trials,
            BusinessIds = [.. businessIds],
            SystemMunicipalities = municipalities.ToImmutable(),
            SystemBusinesses = businesses.ToImmutable(),
            SystemP10 = p10.ToImmutable(),
            SystemP50 = p50.ToImmutable(),
            SystemP90 = p90.ToImmutable(),
            Municipalities = [.. result.Municipalities.Select(m => int.Parse(m.Code, NumberStyles.None, CultureInfo.InvariantCulture))],
            MunicipalityP10 = [.. result.Municipalities.Select(m => Month(result.AsOf, m.Band, m.Band.P10))],
            MunicipalityP50 = [.. result.Municipalities.Select(m => Month(result.AsOf, m.Band, m.Band.P50))],
            MunicipalityP90 = [.. result.Municipalities.Select(m => Month(result.AsOf, m.Band, m.Band.P90))],
            NationP10 = Month(result.AsOf, result.Nation.Band, result.Nation.Band.P10),
            NationP50 = Month(result.AsOf, result.Nation.Band, result.Nation.Band.P50),
            NationP90 = Month(result.AsOf, result.Nation.Band, result.Nation.Band.P90),
        };
    }

    /// <summary>The kept systems' bands as the forecast gave them (month-end dates; null after the horizon). The deadline probability is not kept (NaN).</summary>
    public static IEnumerable<SystemForecastBand> Systems(KeptForecast kept)
    {
        for (var i = 0; i < kept.Systems; i++)
        {
            yield return new SystemForecastBand(
                kept.SystemMunicipalities[i].ToString("D6", CultureInfo.InvariantCulture),
                kept.BusinessIds[kept.SystemBusinesses[i]],
                Band(kept.AsOf, kept.SystemP10[i], kept.SystemP50[i], kept.SystemP90[i]));
        }
    }

    /// <summary>The band of municipality <paramref name="code"/> as kept; null when the forecast did not cover it.</summary>
    public static ForecastBand? Municipality(KeptForecast kept, string code)
    {
        var i = kept.Municipalities.IndexOf(int.Parse(code, NumberStyles.None, CultureInfo.InvariantCulture));
        return i < 0 ? null : Band(kept.AsOf, kept.MunicipalityP10[i], kept.MunicipalityP50[i], kept.MunicipalityP90[i]);
    }

    /// <summary>The nation's band as kept.</summary>
    public static ForecastBand Nation(KeptForecast kept) => Band(kept.AsOf, kept.NationP10, kept.NationP50, kept.NationP90);

    public static KeptForecastInfo Info(KeptForecast kept) => new(kept.AsOf, kept.ComputedAt, kept.Systems, kept.Trials);

    /// <summary>The last day of the month <paramref name="month"/> months after the as-of month.</summary>
    public static DateOnly MonthEnd(DateOnly asOf, int month) => new DateOnly(asOf.Year, asOf.Month, 1).AddMonths(month + 1).AddDays(-1);

    private static ForecastBand Band(DateOnly asOf, short p10, short p50, short p90) =>
        p50 == KeptForecast.Migrated
            ? new ForecastBand(true, null, null, null, double.NaN)
            : new ForecastBand(false, Date(asOf, p10), Date(asOf, p50), Date(asOf, p90), double.NaN);

    private static DateOnly? Date(DateOnly asOf, short month) => month == KeptForecast.AfterHorizon ? null : MonthEnd(asOf, month);

    private static short Month(DateOnly asOf, ForecastBand band, DateOnly? date)
    {
        if (band.Migrated)
        {
            return KeptForecast.Migrated;
        }

        if (date is not { } d)
        {
            return KeptForecast.AfterHorizon;
        }

        var months = ((d.Year - asOf.Year) * 12) + d.Month - asOf.Month;
        return (short)Math.Clamp(months, 0, KeptForecast.AfterHorizon - 1);
    }
}
