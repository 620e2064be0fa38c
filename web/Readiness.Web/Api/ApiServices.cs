using System.Text.Json;
using System.Text.Json.Serialization;

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
        return services;
    }
}
