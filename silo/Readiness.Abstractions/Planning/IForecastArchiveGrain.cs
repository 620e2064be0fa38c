using System.Collections.Immutable;

namespace Readiness.Planning;

/// <summary>
/// The kept baseline forecasts (key <see cref="Key"/>): an index of what was kept, one <see cref="KeptForecast"/> per
/// as-of day in its own grain (<see cref="IKeptForecastGrain"/>), all in grain storage (the product's SQLite file or
/// PostgreSQL). Keeping a forecast for a day that has one replaces it (the latest of the day is kept).
/// </summary>
[Alias("Readiness.Planning.IForecastArchiveGrain")]
public interface IForecastArchiveGrain : IGrainWithStringKey
{
    public const string Key = "national";

    /// <summary>Stores the forecast (its day's grain first, then the index); returns the index entry.</summary>
    [Alias("Keep")]
    Task<KeptForecastInfo> KeepAsync(KeptForecast forecast);

    /// <summary>What is kept, oldest first.</summary>
    [Alias("List")]
    Task<ImmutableArray<KeptForecastInfo>> ListAsync();
}

/// <summary>One kept forecast (key: its as-of day, yyyy-MM-dd).</summary>
[Alias("Readiness.Planning.IKeptForecastGrain")]
public interface IKeptForecastGrain : IGrainWithStringKey
{
    [Alias("Set")]
    Task SetAsync(KeptForecast forecast);

    /// <summary>The kept forecast; null when none was kept for that day.</summary>
    [Alias("Get")]
    Task<KeptForecast?> GetAsync();

    public static string KeyOf(DateOnly asOf) => asOf.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
}
