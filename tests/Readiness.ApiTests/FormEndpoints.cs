using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Readiness.ApiTests;

/// <summary>
/// Every form post endpoint of a host, read from its <see cref="EndpointDataSource"/> (a new form is walked without
/// being listed): the route patterns outside /api that take POST and require the antiforgery token, in ordinal order,
/// each once. Pages that handle their own form (a Razor component taking POST) are included unless asked not to be.
/// </summary>
public static class FormEndpoints
{
    /// <summary>The route patterns (e.g. <c>/account/signin</c>, <c>/admin/clients/{clientId}/secret</c>); <paramref name="pages"/> false leaves out Razor pages.</summary>
    public static IReadOnlyList<string> Patterns(IServiceProvider services, bool pages = true) =>
        services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => !e.RoutePattern.RawText!.StartsWith("/api", StringComparison.OrdinalIgnoreCase)
                && e.Metadata.GetMetadata<IAntiforgeryMetadata>() is { RequiresValidation: true }
                && e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.Contains("POST") == true
                && (pages || e.Metadata.GetMetadata<ComponentTypeMetadata>() is null))
            .Select(e => e.RoutePattern.RawText!)
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();
}
