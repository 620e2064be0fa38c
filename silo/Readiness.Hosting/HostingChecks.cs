using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Readiness.Hosting;

/// <summary>
/// The checks of the configuration alone that every process of the product runs (a silo, a web node, the web's commands):
/// names and values under "Readiness" (<see cref="SettingNames"/>: Readiness:Health:Details, an enum, is judged there),
/// the hosting options and /metrics. Each
/// check is registered here once; the web adds its own in ConfigurationChecks on top of these.
/// </summary>
public static class HostingChecks
{
    /// <summary>
    /// Registers the checks with the options checked on start (<see cref="OptionsProblems"/>), each options type bound
    /// afresh from <paramref name="configuration"/> when checked. <paramref name="onlyOwnSections"/>: see
    /// <see cref="SettingNames.Problems"/>.
    /// </summary>
    public static IServiceCollection AddHostingChecks(this IServiceCollection services, IConfiguration configuration, SettingNames names, bool onlyOwnSections = false)
    {
        services.RefuseUnknownSettings(configuration, names, onlyOwnSections);
        services.AddOptionsCheck<ReadinessOptions>(configuration, ReadinessOptions.Section, o => o.Problems());
        services.AddOptionsCheck<MetricsOptions>(configuration, MetricsOptions.Section, o => o.Problems());
        return services;
    }

    /// <summary>
    /// Runs the checks <paramref name="add"/> registers now, in a collection of their own, as a start runs them; throws
    /// what the start would (an <see cref="OptionsValidationException"/> naming each setting, Japanese first), to be
    /// reported with <see cref="StartRefusal.Report"/>. A process runs this before it builds anything: the silo's
    /// configuration applied the schema to the data folder before a port out of range was refused at start.
    /// </summary>
    /// <exception cref="OptionsValidationException">A setting is refused.</exception>
    public static void Run(IConfiguration configuration, Action<IServiceCollection, IConfiguration> add)
    {
        var services = new ServiceCollection();
        add(services, configuration);
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
    }
}
