using Microsoft.Extensions.Diagnostics.HealthChecks;
using Readiness.Grains;

namespace Readiness.Hosting;

/// <summary>Ready only while the grain store answers.</summary>
internal sealed class StorageHealthCheck(IStorageConnection storage) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await storage.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            command.CommandTimeout = 3;
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy(storage.Location);
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy($"Storage unreachable: {storage.Location}", ex);
        }
    }
}

/// <summary>Ready only when the nation answers within a few seconds.</summary>
internal sealed class NationHealthCheck(IGrainFactory grains) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var nation = await grains.GetGrain<INationGrain>(INationGrain.NationKey).GetAsync().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            return HealthCheckResult.Healthy($"{nation.Figures.Municipalities} municipalities");
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy("The nation grain did not answer", ex);
        }
    }
}
