using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Readiness.Web.Auth;

namespace Readiness.Web.Api;

/// <summary>The "Readiness:RateLimits" section: requests per minute per tenant (anonymous callers: per client address).</summary>
public sealed class RateLimitOptions
{
    public const string Section = "Readiness:RateLimits";

    public int WritesPerMinute { get; set; } = 120;

    public int ReadsPerMinute { get; set; } = 1200;
}

public static class RateLimits
{
    public const string ReadsPolicy = "readiness:reads";
    public const string WritesPolicy = "readiness:writes";

    public static IServiceCollection AddReadinessRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section);
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(ReadsPolicy, http => Partition(http, "reads", limits => limits.ReadsPerMinute));
            o.AddPolicy(WritesPolicy, http => Partition(http, "writes", limits => limits.WritesPerMinute));
            o.OnRejected = async (context, cancellationToken) =>
            {
                var http = context.HttpContext;
                var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 60;
                http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                var caller = ReadinessCaller.From(http.User, http.RequestServices.GetRequiredService<IOptions<ReadinessAuthOptions>>().Value);
                http.RequestServices.GetRequiredService<SecurityLog>().Refused(http, caller, "rate_limited", 429, $"retry after {seconds} s");
                await Problems.Create(StatusCodes.Status429TooManyRequests, "Too many requests", "rate", "rate_limited",
                    $"リクエストが多すぎます。{seconds}秒後に再度お試しください。", $"Too many requests for your organisation. Retry after {seconds} seconds.").ExecuteAsync(http);
            };
        });
        return services;
    }

    private static RateLimitPartition<string> Partition(HttpContext http, string kind, Func<RateLimitOptions, int> permits)
    {
        var caller = ReadinessCaller.From(http.User, http.RequestServices.GetRequiredService<IOptions<ReadinessAuthOptions>>().Value);
        var key = $"{kind}|{caller?.PartitionKey ?? "ip:" + http.Connection.RemoteIpAddress}";
        var limit = Math.Max(1, permits(http.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value));
        return RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = limit,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }
}
