using System.Collections.Immutable;
using Readiness.Planning;

namespace Readiness.Grains;

[GenerateSerializer, Alias("Readiness.Planning.ForecastArchiveState")]
public sealed class ForecastArchiveState
{
    [Id(0)] public ImmutableArray<KeptForecastInfo> Kept { get; set; } = [];
}

[GenerateSerializer, Alias("Readiness.Planning.KeptForecastState")]
public sealed class KeptForecastState
{
    [Id(0)] public KeptForecast? Forecast { get; set; }
}

/// <summary>
/// The index of kept forecasts. The day's forecast is written before the index names it, so the index never lists a
/// forecast that is not stored; a keep is acknowledged only after both writes.
/// </summary>
public sealed class ForecastArchiveGrain(
    [PersistentState("forecastArchive", ReadinessStorage.Name)] IPersistentState<ForecastArchiveState> state) : Grain, IForecastArchiveGrain
{
    public async Task<KeptForecastInfo> KeepAsync(KeptForecast forecast)
    {
        await GrainFactory.GetGrain<IKeptForecastGrain>(IKeptForecastGrain.KeyOf(forecast.AsOf)).SetAsync(forecast);
        var info = KeptForecasts.Info(forecast);
        var previous = state.State.Kept;
        state.State.Kept = [.. previous.Where(k => k.AsOf != forecast.AsOf).Append(info).OrderBy(k => k.AsOf)];
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            state.State.Kept = previous;
            throw;
        }

        return info;
    }

    public Task<ImmutableArray<KeptForecastInfo>> ListAsync() => Task.FromResult(state.State.Kept);
}

/// <summary>One day's kept forecast, in grain storage.</summary>
public sealed class KeptForecastGrain(
    [PersistentState("keptForecast", ReadinessStorage.Name)] IPersistentState<KeptForecastState> state) : Grain, IKeptForecastGrain
{
    public async Task SetAsync(KeptForecast forecast)
    {
        var previous = state.State.Forecast;
        state.State.Forecast = forecast;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            state.State.Forecast = previous;
            throw;
        }
    }

    public Task<KeptForecast?> GetAsync() => Task.FromResult(state.State.Forecast);
}
