using Readiness.Hosting;
using Microsoft.AspNetCore.Authorization;

namespace Readiness.Web.Planning;

/// <summary>Everything planning adds to the web host (two lines in Program.cs).</summary>
public static class PlanningSetup
{
    public static WebApplicationBuilder AddReadinessPlanning(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<PlanningOptions>().Bind(builder.Configuration.GetSection(PlanningOptions.Section)); // checked in ConfigurationChecks
        builder.Services.AddSingleton<ForecastService>();
        builder.Services.AddSingleton<ForecastArchive>();
        builder.Services.AddHostedService<ForecastKeeper>();
        builder.Services.AddSingleton<IAuthorizationHandler, NationalStaffHandler>();
        builder.Services.AddAuthorizationBuilder().AddPolicy(PlanningPolicies.Scenarios, p => p.AddRequirements(new NationalStaffRequirement()));
        return builder;
    }
}
