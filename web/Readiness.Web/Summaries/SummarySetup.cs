using Readiness.Hosting;

namespace Readiness.Web.Summaries;

public static class SummarySetup
{
    /// <summary>The one read path for summaries on this web node: the cache, its serializer, the event fan-out, the trend.</summary>
    public static IServiceCollection AddReadinessSummaries(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SummaryCacheOptions>().Bind(configuration.GetSection(SummaryCacheOptions.Section)); // checked in ConfigurationChecks
        services.AddSingleton<SummarySerializer>();
        services.AddSingleton<LiveHub>();
        services.AddSingleton<SummaryCache>();
        services.AddHostedService(sp => sp.GetRequiredService<SummaryCache>());
        services.AddSingleton<IDailySnapshotSource, NationHistorySnapshots>();
        return services;
    }
}
