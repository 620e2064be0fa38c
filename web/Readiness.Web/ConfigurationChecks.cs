using Readiness.Hosting;
using Readiness.Web.Api;
using Readiness.Web.Auth;
using Readiness.Web.Identity;
using Readiness.Web.Planning;
using Readiness.Web.Summaries;

namespace Readiness.Web;

/// <summary>
/// The checks of the configuration alone (misspelt names, values out of range, URLs a library refuses later) that refuse
/// the server's start; the <c>backup</c>, <c>restore</c> and <c>token</c> commands run the same ones before doing
/// anything, so a setting the server refuses by name is not taken in silence by a command (Readiness__DataPth used to
/// back up the default data folder).
/// </summary>
public static class ConfigurationChecks
{
    /// <summary>
    /// Registers every check with the options checked on start (<see cref="OptionsProblems"/>). Each options type is
    /// bound afresh from <paramref name="configuration"/> for its check, so a collection without the server's bindings
    /// (a command's) checks the same values.
    /// </summary>
    public static IServiceCollection AddConfigurationChecks(this IServiceCollection services, IConfiguration configuration)
    {
        services.RefuseUnknownSettings(configuration, KnownSettings.Web());
        SiloHosting.ValidateOnStart(services, SiloHosting.ReadOptions(configuration));
        Check<ReadinessAuthOptions>(services, configuration, ReadinessAuthOptions.Section, o => o.Problems());
        Check<ProxyOptions>(services, configuration, ProxyOptions.Section, o => o.Problems());
        Check<AccountOptions>(services, configuration, AccountOptions.Section, o => o.Problems());
        Check<FederationOptions>(services, configuration, FederationOptions.Section, o => o.Problems());
        Check<SmtpOptions>(services, configuration, SmtpOptions.Section, o => o.Problems());
        Check<RateLimitOptions>(services, configuration, RateLimitOptions.Section, o => o.Problems());
        Check<SummaryCacheOptions>(services, configuration, SummaryCacheOptions.Section, o => o.Problems());
        Check<PlanningOptions>(services, configuration, PlanningOptions.Section, o => o.Problems());
        Check<GrainCallOptions>(services, configuration, GrainCallOptions.Section, o => o.Problems());
        return services;
    }

    /// <summary>
    /// Runs the checks of <see cref="AddConfigurationChecks"/> now, as the server's start does; throws what the start
    /// would (an <see cref="Microsoft.Extensions.Options.OptionsValidationException"/> naming each setting, or the
    /// binder's InvalidOperationException naming a value that does not convert). Report it with <see cref="StartRefusal.Report"/>.
    /// </summary>
    public static void Run(IConfiguration configuration)
    {
        var services = new ServiceCollection();
        services.AddConfigurationChecks(configuration);
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>().Validate();
    }

    /// <summary>
    /// For a command: runs <see cref="Run"/> and, when the configuration is refused, writes the server's one-line
    /// refusal to <paramref name="error"/> and returns its exit code (<see cref="StartRefusal.ExitCode"/>, 2); null when
    /// the configuration passes.
    /// </summary>
    public static int? Refusal(IConfiguration configuration, TextWriter error)
    {
        try
        {
            Run(configuration);
            return null;
        }
        catch (Exception refused)
        {
            return StartRefusal.Report(refused, error);
        }
    }

    private static void Check<T>(IServiceCollection services, IConfiguration configuration, string section, Func<T, IEnumerable<string>> problems)
        where T : class, new() =>
        services.AddOptions<T>().ValidateProblemsOnStart(_ => problems(configuration.GetSection(section).Get<T>() ?? new T()));
}
