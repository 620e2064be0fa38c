using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Readiness.Web.Auth;

namespace Readiness.Web.Api;

/// <summary>
/// The "Readiness:RateLimits" section, requests per minute. <see cref="ReadsPerMinute"/> and
/// <see cref="WritesPerMinute"/> are each person's (and each API client's) own budget; the tenant ceilings cap a whole
/// municipality or prefecture, all national staff together, all administrators together. Anonymous callers: per
/// client address.
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = "Readiness:RateLimits";

    /// <summary>Default tenant ceiling, as a multiple of the per-person budget, when none is configured.</summary>
    public const int DefaultTenantFactor = 10;

    public int WritesPerMinute { get; set; } = 120;

    public int ReadsPerMinute { get; set; } = 1200;

    /// <summary>All callers of one tenant together; default <see cref="DefaultTenantFactor"/> × <see cref="WritesPerMinute"/>.</summary>
    public int? TenantWritesPerMinute { get; set; }

    /// <summary>All callers of one tenant together; default <see cref="DefaultTenantFactor"/> × <see cref="ReadsPerMinute"/>.</summary>
    public int? TenantReadsPerMinute { get; set; }

    internal int TenantWrites => TenantWritesPerMinute ?? (int)Math.Min(int.MaxValue, (long)WritesPerMinute * DefaultTenantFactor);

    internal int TenantReads => TenantReadsPerMinute ?? (int)Math.Min(int.MaxValue, (long)ReadsPerMinute * DefaultTenantFactor);
}

/// <summary>
/// Two fixed-window budgets per request: the caller's own (person or API client, <see cref="ReadinessCaller.PartitionKey"/>)
/// first, as the rate limiter's global limiter, then the tenant ceiling (<see cref="ReadinessCaller.TenantPartitionKey"/>)
/// as the endpoint's policy. In that order a caller past their own budget is refused without using up their
/// colleagues' ceiling. Endpoints without one of the two policies are not limited.
/// </summary>
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
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(CallerPartition);
            o.AddPolicy(ReadsPolicy, http => TenantPartition(http, "reads", limits => limits.TenantReads));
            o.AddPolicy(WritesPolicy, http => TenantPartition(http, "writes", limits => limits.TenantWrites));
            o.OnRejected = async (context, cancellationToken) =>
            {
                var http = context.HttpContext;
                var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 60;
                http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                var caller = ReadinessCaller.From(http.User, http.RequestServices.GetRequiredService<IOptions<ReadinessAuthOptions>>().Value);
                http.RequestServices.GetRequiredService<SecurityLog>().Refused(http, caller, "rate_limited", 429, $"retry after {seconds} s");
                await Problems.Create(StatusCodes.Status429TooManyRequests, "Too many requests", "rate", "rate_limited",
                    $"リクエストが多すぎます（本人または所属団体全体の上限）。{seconds}秒後に再度お試しください。",
                    $"Too many requests (your own limit or your organisation's). Retry after {seconds} seconds.").ExecuteAsync(http);
            };
        });
        return services;
    }

    /// <summary>The policy the endpoint asked for (reads or writes), or null when it is not rate limited.</summary>
    private static string? Kind(HttpContext http) => http.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName switch
    {
        ReadsPolicy => "reads",
        WritesPolicy => "writes",
        _ => null,
    };

    /// <summary>The caller's own budget: per person or API client; anonymous callers per client address.</summary>
    private static RateLimitPartition<string> CallerPartition(HttpContext http)
    {
        var kind = Kind(http);
        if (kind is null)
        {
            return RateLimitPartition.GetNoLimiter(string.Empty);
        }

        var caller = ReadinessCaller.From(http.User, http.RequestServices.GetRequiredService<IOptions<ReadinessAuthOptions>>().Value);
        var limits = http.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
        return FixedWindow($"{kind}|{caller?.PartitionKey ?? "ip:" + http.Connection.RemoteIpAddress}",
            kind == "reads" ? limits.ReadsPerMinute : limits.WritesPerMinute);
    }

    /// <summary>The tenant ceiling; anonymous callers have only their address's budget.</summary>
    private static RateLimitPartition<string> TenantPartition(HttpContext http, string kind, Func<RateLimitOptions, int> permits)
    {
        var caller = ReadinessCaller.From(http.User, http.RequestServices.GetRequiredService<IOptions<ReadinessAuthOptions>>().Value);
        return caller is null
            ? RateLimitPartition.GetNoLimiter(string.Empty)
            : FixedWindow($"{kind}|{caller.TenantPartitionKey}", permits(http.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value));
    }

    private static RateLimitPartition<string> FixedWindow(string key, int permits) =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = Math.Max(1, permits),
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
}
