using System.Text.Json;
using System.Text.Json.Serialization;
using Readiness.Web.Auth;
using Scalar.AspNetCore;

namespace Readiness.Web.Api;

public static class ApiServices
{
    /// <summary>camelCase JSON with enums as their snake_case names (fit_gap, vendor_capacity), as in the data files.</summary>
    public static void ConfigureJson(JsonSerializerOptions json)
    {
        json.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        json.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
        json.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
    }

    public static IServiceCollection AddReadinessApi(this IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(o => ConfigureJson(o.SerializerOptions));
        services.AddProblemDetails();
        services.AddSingleton<ReportingService>();
        services.AddReadinessRateLimits();
        services.AddReadinessOpenApi();
        return services;
    }

    /// <summary>Authentication, per-tenant rate limits (after authentication, so the tenant is known), authorization.</summary>
    public static WebApplication UseReadinessApi(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
        return app;
    }

    /// <summary>Every API endpoint, the sign-in endpoints, the OpenAPI document (/openapi/v1.json) and its UI (/api/docs).</summary>
    public static WebApplication MapReadinessApi(this WebApplication app)
    {
        app.MapReadApi();
        app.MapWriteApi();
        app.MapHistoryApi();
        app.MapExportApi();
        app.MapAuthEndpoints();
        app.MapOpenApi();
        app.MapScalarApiReference("/api/docs", o => o
            .WithTitle("Readiness API — 標準化・ガバメントクラウド移行状況")
            .WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        return app;
    }
}
