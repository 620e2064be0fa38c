using Readiness.Hosting;
using Readiness.Web.Api;
using Readiness.Web.Auth;
using Readiness.Web.Identity;
using Readiness.Web.Notifications;
using Readiness.Web.Planning;
using Readiness.Web.Summaries;

namespace Readiness.Web;

/// <summary>
/// The checks of the configuration alone (misspelt names, values a setting's type cannot take, values out of range, URLs
/// a library refuses later) that refuse the server's start, each registered here once; the server runs them before it
/// builds anything (and again at start, for sources added later), and the <c>backup</c>, <c>restore</c> and <c>token</c>
/// commands run the same ones before doing anything, so a setting the server refuses is not taken in silence by a
/// command (Readiness__DataPth used to back up the default data folder; the notification and webhook settings were
/// checked by the server only).
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
        services.AddHostingChecks(configuration, KnownSettings.Web());
        services.AddOptionsCheck<ReadinessAuthOptions>(configuration, ReadinessAuthOptions.Section, o => o.Problems());
        services.AddOptionsCheck<ProxyOptions>(configuration, ProxyOptions.Section, o => o.Problems());
        services.AddOptionsCheck<AccountOptions>(configuration, AccountOptions.Section, o => o.Problems());
        services.AddOptionsCheck<FederationOptions>(configuration, FederationOptions.Section, o => o.Problems());
        services.AddOptionsCheck<SmtpOptions>(configuration, SmtpOptions.Section, o => o.Problems());
        services.AddOptionsCheck<RateLimitOptions>(configuration, RateLimitOptions.Section, o => o.Problems());
        services.AddOptionsCheck<SummaryCacheOptions>(configuration, SummaryCacheOptions.Section, o => o.Problems());
        services.AddOptionsCheck<PlanningOptions>(configuration, PlanningOptions.Section, o => o.Problems());
        services.AddOptionsCheck<GrainCallOptions>(configuration, GrainCallOptions.Section, o => o.Problems());
        services.AddOptionsCheck<NotificationOptions>(configuration, NotificationOptions.Section, o => o.Problems());
        services.AddOptionsCheck<WebhookOptions>(configuration, WebhookOptions.Section, o => o.Problems());
        return services;
    }

    /// <summary>
    /// Runs the checks of <see cref="AddConfigurationChecks"/> now, as the server's start does, before anything is
    /// built; throws what the start would (an <see cref="Microsoft.Extensions.Options.OptionsValidationException"/>
    /// naming each setting and value, Japanese first). Report it with <see cref="StartRefusal.Report"/>.
    /// </summary>
    public static void Run(IConfiguration configuration) =>
        HostingChecks.Run(configuration, (services, c) => services.AddConfigurationChecks(c));

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
}
