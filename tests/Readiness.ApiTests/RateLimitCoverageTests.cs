using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Readiness.Web.Api;
using Xunit;

namespace Readiness.ApiTests;

/// <summary>
/// Every endpoint of the running host (its <see cref="EndpointDataSource"/>, so a new one is covered without being
/// listed) is counted against the reads or writes policy of <see cref="RateLimits"/>, or is on the short exemption
/// list below with its reason. The kind of fault found: /api/v1/stream, /live/map-data and /prefectures/{code}/search
/// had no policy, so a caller past their 1,200 reads a minute still got 1,250 × 200 from them.
/// </summary>
public sealed class RateLimitCoverageTests(ApiHost host) : IClassFixture<ApiHost>
{
    /// <summary>Route patterns not limited, and why. Keep it short: anything a person or client can call at will belongs under a policy.</summary>
    private static readonly Dictionary<string, string> Exempt = new(StringComparer.Ordinal)
    {
        // The orchestrator's probes: a limited probe would make a busy node look dead and get it restarted.
        ["/health/live"] = "liveness probe (cluster)",
        ["/health/ready"] = "readiness probe (cluster)",

        // Prometheus scrapes it from inside the cluster every few seconds; the ingress does not route it.
        ["/metrics"] = "metrics scrape (cluster)",

        // Map geometry served from memory, versioned and cached immutable by browsers and proxies, as the static files are.
        ["/map/{layer}.json"] = "static asset (map geometry)",
    };

    [Fact]
    public void Every_endpoint_is_rate_limited_or_exempt_with_a_reason()
    {
        var endpoints = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        Assert.True(endpoints.Count > 80, $"only {endpoints.Count} endpoints");
        Assert.Contains(endpoints, e => e.RoutePattern.RawText == "/api/v1/stream");

        var unlimited = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var endpoint in endpoints)
        {
            var pattern = endpoint.RoutePattern.RawText!;
            seen.Add(pattern);
            var policy = endpoint.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName;
            var limited = endpoint.Metadata.GetMetadata<DisableRateLimitingAttribute>() is null
                && policy is RateLimits.ReadsPolicy or RateLimits.WritesPolicy;
            if (!limited && !Exempt.ContainsKey(pattern))
            {
                var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods is { Count: > 0 } m ? string.Join(",", m) : "*";
                unlimited.Add($"{methods} {pattern} ({policy ?? "no policy"})");
            }
        }

        Assert.True(unlimited.Count == 0, "not rate limited and not exempt:\n" + string.Join("\n", unlimited.Distinct().Order(StringComparer.Ordinal)));

        // An exemption for a route that no longer exists would hide the next one that takes its name.
        Assert.All(Exempt.Keys, pattern => Assert.Contains(pattern, seen));
    }
}
