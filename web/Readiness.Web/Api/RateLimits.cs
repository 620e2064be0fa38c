using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Readiness.Hosting;
using Readiness.Web.Auth;

namespace Readiness.Web.Api;

/// <summary>
/// The "Readiness:RateLimits" section, requests per minute. <see cref="ReadsPerMinute"/> and
/// <see cref="WritesPerMinute"/> are each person's (and each API client's) own budget; the tenant ceilings cap a whole
/// municipality or prefecture, all national staff together, all administrators together. Anonymous callers: per
/// client address (reads and streams with their own, larger budgets: one address is often many people).
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

    /// <summary>
    /// Reads of anonymous readers (Readiness:Auth:AnonymousSummaries) from one client address together; default
    /// <see cref="DefaultTenantFactor"/> × <see cref="ReadsPerMinute"/>: one address is often many people (an office or
    /// a prefecture behind one LGWAN NAT address), like a tenant.
    /// </summary>
    public int? AnonymousReadsPerMinute { get; set; }

    /// <summary>
    /// Event streams (<see cref="StreamSlot"/>) one person or API client may hold open at once: more than the 6
    /// connections a browser opens to one host over HTTP/1.1, so every tab of a person (on two machines too) stays live.
    /// </summary>
    public int StreamsPerCaller { get; set; } = 10;

    /// <summary>
    /// Event streams anonymous readers (Readiness:Auth:AnonymousSummaries) may hold open from one client address
    /// together. Larger than <see cref="StreamsPerCaller"/>: one address is often many people (a prefecture's offices
    /// behind one LGWAN NAT address). <see cref="StreamsPerNode"/> still applies.
    /// </summary>
    public int AnonymousStreamsPerAddress { get; set; } = 200;

    /// <summary>Open streams of one tenant together; default <see cref="DefaultTenantFactor"/> × <see cref="StreamsPerCaller"/>.</summary>
    public int? TenantStreams { get; set; }

    /// <summary>
    /// Open streams on this node, anonymous readers included (they have no tenant ceiling). The default is what one
    /// 2-core web node was measured to serve, every subscriber updated within 2 s (docs/performance.md, viewers).
    /// </summary>
    public int StreamsPerNode { get; set; } = 10000;

    /// <summary>Retry-After when a stream is refused for the number open: a slot frees only when another stream closes.</summary>
    public int StreamRetryAfterSeconds { get; set; } = 10;

    /// <summary>Every setting that is not a positive whole number (a limiter cannot be made with zero or less).</summary>
    public IEnumerable<string> Problems() =>
        typeof(RateLimitOptions).GetProperties()
            .Where(p => p.PropertyType == typeof(int) || p.PropertyType == typeof(int?))
            .Select(p => (p.Name, Value: (int?)p.GetValue(this)))
            .Where(v => v.Value <= 0)
            .Select(v => $"{Section}:{v.Name} = {v.Value}: 正の整数を指定してください / must be a positive whole number.");

    internal int TenantStreamLimit => TenantStreams ?? (int)Math.Min(int.MaxValue, (long)StreamsPerCaller * DefaultTenantFactor);

    internal int TenantWrites => TenantWritesPerMinute ?? (int)Math.Min(int.MaxValue, (long)WritesPerMinute * DefaultTenantFactor);

    internal int TenantReads => TenantReadsPerMinute ?? (int)Math.Min(int.MaxValue, (long)ReadsPerMinute * DefaultTenantFactor);

    internal int AnonymousReads => AnonymousReadsPerMinute ?? (int)Math.Min(int.MaxValue, (long)ReadsPerMinute * DefaultTenantFactor);
}

/// <summary>
/// Two fixed-window budgets per request: the caller's own (person or API client, <see cref="ReadinessCaller.PartitionKey"/>)
/// first, as the rate limiter's global limiter, then the tenant ceiling (<see cref="ReadinessCaller.TenantPartitionKey"/>)
/// as the endpoint's policy. In that order a caller past their own budget is refused without using up their
/// colleagues' ceiling. Endpoints without one of the two policies are not limited (RateLimitCoverageTests lists the
/// few that may be so). An endpoint with <see cref="StreamSlot"/> also holds a slot of the caller's, the tenant's and the
/// node's open streams while it runs (concurrency limiters chained to the global limiter; the middleware releases the
/// lease when the response ends).
/// </summary>
public static class RateLimits
{
    public const string ReadsPolicy = "readiness:reads";
    public const string WritesPolicy = "readiness:writes";

    public static IServiceCollection AddReadinessRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section); // checked in ConfigurationChecks
        // The container owns the global limiters and disposes them with the app (their timers would keep it reachable).
        services.AddSingleton<GlobalLimiters>();
        services.AddOptions<RateLimiterOptions>().Configure<GlobalLimiters>((o, limiters) => o.GlobalLimiter = limiters.Chain);
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(ReadsPolicy, http => TenantPartition(http, "reads", limits => limits.TenantReads));
            o.AddPolicy(WritesPolicy, http => TenantPartition(http, "writes", limits => limits.TenantWrites));
            o.OnRejected = async (context, cancellationToken) =>
            {
                var http = context.HttpContext;
                var windowed = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter);
                var caller = ReadinessCaller.From(http.User, http.RequestServices.GetRequiredService<IOptions<ReadinessAuthOptions>>().Value);
                if (!windowed && http.GetEndpoint()?.Metadata.GetMetadata<StreamSlot>() is not null)
                {
                    // Only the concurrency limiters refuse without a time: too many streams open, not too many requests.
                    var wait = Math.Max(1, http.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value.StreamRetryAfterSeconds);
                    http.Response.Headers.RetryAfter = wait.ToString(CultureInfo.InvariantCulture);
                    http.RequestServices.GetRequiredService<SecurityLog>().Refused(http, caller, "too_many_streams", 429, $"retry after {wait} s");
                    await Problems.Create(StatusCodes.Status429TooManyRequests, "Too many requests", "rate", "too_many_streams",
                        $"同時に開いている自動更新（イベントストリーム）が多すぎます（本人・所属団体全体・このサーバーの上限）。ほかのタブを閉じて、{wait}秒後に再度お試しください。",
                        $"Too many event streams open at once (your own limit, your organisation's or this server's). Close another tab and retry after {wait} seconds.").ExecuteAsync(http);
                    return;
                }

                var seconds = windowed ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 60;
                http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                http.RequestServices.GetRequiredService<SecurityLog>().Refused(http, caller, "rate_limited", 429, $"retry after {seconds} s");
                if (Readiness.Web.Components.Access.FormAnswers.IsBrowserPage(http) || Readiness.Web.Components.Access.FormAnswers.WantsPage(http))
                {
                    // A person's browser (a page or its form, signed in or not, or any address outside /api it opens
                    // asking for HTML: a CSV download, the external sign-in's return) is shown a page, not problem details.
                    await Readiness.Web.Components.Access.FormAnswers.TooManyRequests(http, seconds, signedIn: caller is not null).ExecuteAsync(http);
                    return;
                }

                await Problems.Create(StatusCodes.Status429TooManyRequests, "Too many requests", "rate", "rate_limited",
                    $"リクエストが多すぎます（本人または所属団体全体の上限）。{seconds}秒後に再度お試しください。",
                    $"Too many requests (your own limit or your organisation's). Retry after {seconds} seconds.").ExecuteAsync(http);
            };
        });
        return services;
    }

    /// <summary>
    /// <c>UseRateLimiter</c>, and when the app stops, disposal of the endpoint limiter the middleware makes for itself:
    /// ASP.NET Core never disposes it (dotnet/aspnetcore#66434, #69259), and its timer keeps the middleware, the whole
    /// pipeline and the app's services reachable after the app is disposed. One app per process (production) loses
    /// nothing by it; a process that starts and disposes many (the API tests: ~140 hosts, ~125 MB each) ran out of
    /// memory. The middleware's limiter fields are found by type, so a framework that names them otherwise or disposes
    /// them itself only makes this a no-op (HostLifetimeTests would then show whether the leak is back).
    /// </summary>
    public static IApplicationBuilder UseReadinessRateLimiter(this IApplicationBuilder app)
    {
        var middleware = typeof(RateLimiterApplicationBuilderExtensions).Assembly.GetType("Microsoft.AspNetCore.RateLimiting.RateLimitingMiddleware");
        if (middleware is null || middleware.GetMethod("Invoke", [typeof(HttpContext)]) is not { } invoke)
        {
            return app.UseRateLimiter();
        }

        var lifetime = app.ApplicationServices.GetRequiredService<IHostApplicationLifetime>();
        var globalLimiter = app.ApplicationServices.GetRequiredService<IOptions<RateLimiterOptions>>().Value.GlobalLimiter;
        var limiterFields = middleware.GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)
            .Where(f => f.FieldType == typeof(PartitionedRateLimiter<HttpContext>))
            .ToArray();
        return app.Use(next =>
        {
            var instance = ActivatorUtilities.CreateInstance(app.ApplicationServices, middleware, next);
            lifetime.ApplicationStopped.Register(() =>
            {
                foreach (var field in limiterFields)
                {
                    // The global limiter is the container's (GlobalLimiters); the rest is the middleware's own.
                    if (field.GetValue(instance) is PartitionedRateLimiter<HttpContext> limiter && !ReferenceEquals(limiter, globalLimiter))
                    {
                        limiter.Dispose();
                    }
                }
            });
            return invoke.CreateDelegate<RequestDelegate>(instance);
        });
    }

    /// <summary>The policy the endpoint asked for (reads or writes), or null when it is not rate limited.</summary>
    private static string? Kind(HttpContext http) => http.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName switch
    {
        ReadsPolicy => "reads",
        WritesPolicy => "writes",
        _ => null,
    };

    /// <summary>The caller's own budget: per person or API client; anonymous callers per client address (reads: <see cref="RateLimitOptions.AnonymousReadsPerMinute"/>).</summary>
    internal static RateLimitPartition<string> CallerPartition(HttpContext http)
    {
        var kind = Kind(http);
        if (kind is null || http.GetEndpoint()?.Metadata.GetMetadata<CountedBeforeAuthentication>() is not null)
        {
            return RateLimitPartition.GetNoLimiter(string.Empty);
        }

        var caller = ReadinessCaller.From(http.User, http.RequestServices.GetRequiredService<IOptions<ReadinessAuthOptions>>().Value);
        var limits = http.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
        // Anonymous writes (sign-in, token requests) keep a person's budget per address: they are what guessing needs.
        return FixedWindow($"{kind}|{caller?.PartitionKey ?? "ip:" + http.Connection.RemoteIpAddress}",
            kind == "writes" ? limits.WritesPerMinute : caller is null ? limits.AnonymousReads : limits.ReadsPerMinute);
    }

    /// <summary>The tenant ceiling; anonymous callers have only their address's budget.</summary>
    private static RateLimitPartition<string> TenantPartition(HttpContext http, string kind, Func<RateLimitOptions, int> permits)
    {
        var caller = ReadinessCaller.From(http.User, http.RequestServices.GetRequiredService<IOptions<ReadinessAuthOptions>>().Value);
        return caller is null
            ? RateLimitPartition.GetNoLimiter(string.Empty)
            : FixedWindow($"{kind}|{caller.TenantPartitionKey}", permits(http.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value));
    }

    /// <summary>
    /// One open stream against a concurrency limit keyed by <paramref name="key"/> (null: no limit, e.g. an anonymous
    /// reader has no tenant); endpoints without <see cref="StreamSlot"/> are not counted. The limit may depend on the
    /// caller (anonymous readers share their address's).
    /// </summary>
    internal static RateLimitPartition<string> StreamPartition(HttpContext http, Func<ReadinessCaller?, string?> key, Func<ReadinessCaller?, RateLimitOptions, int> permits)
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<StreamSlot>() is null)
        {
            return RateLimitPartition.GetNoLimiter(string.Empty);
        }

        var caller = ReadinessCaller.From(http.User, http.RequestServices.GetRequiredService<IOptions<ReadinessAuthOptions>>().Value);
        if (key(caller) is not { } partition)
        {
            return RateLimitPartition.GetNoLimiter(string.Empty);
        }

        var limit = Math.Max(1, permits(caller, http.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value));
        return RateLimitPartition.GetConcurrencyLimiter("streams|" + partition, _ => new ConcurrencyLimiterOptions { PermitLimit = limit, QueueLimit = 0 });
    }

    /// <summary>A long-lived response (Server-Sent Events): a read when it opens, and one of the caller's open streams while it runs.</summary>
    public static TBuilder RequireStreamSlot<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireRateLimiting(ReadsPolicy).WithMetadata(StreamSlot.Instance);

    private static RateLimitPartition<string> FixedWindow(string key, int permits) =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = Math.Max(1, permits),
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
}

/// <summary>
/// The caller's own budget and the three open-stream limits, chained as the rate limiter's global limiter. A singleton,
/// so the container disposes every limiter (and its timer) with the app: the chain does not dispose the limiters it holds.
/// </summary>
internal sealed class GlobalLimiters : IDisposable
{
    private readonly PartitionedRateLimiter<HttpContext>[] parts;

    public GlobalLimiters()
    {
        parts =
        [
            PartitionedRateLimiter.Create<HttpContext, string>(RateLimits.CallerPartition),
            PartitionedRateLimiter.Create<HttpContext, string>(http => RateLimits.StreamPartition(http, caller => caller?.PartitionKey ?? "ip:" + http.Connection.RemoteIpAddress,
                (caller, limits) => caller is null ? limits.AnonymousStreamsPerAddress : limits.StreamsPerCaller)),
            PartitionedRateLimiter.Create<HttpContext, string>(http => RateLimits.StreamPartition(http, caller => caller?.TenantPartitionKey, (_, limits) => limits.TenantStreamLimit)),
            PartitionedRateLimiter.Create<HttpContext, string>(http => RateLimits.StreamPartition(http, _ => "node", (_, limits) => limits.StreamsPerNode)),
        ];
        // A refused stream has used one of the caller's reads (the fixed window does not give a permit back): retrying in a loop is paid for.
        Chain = PartitionedRateLimiter.CreateChained(parts);
    }

    public PartitionedRateLimiter<HttpContext> Chain { get; }

    public void Dispose()
    {
        Chain.Dispose();
        foreach (var part in parts)
        {
            part.Dispose();
        }
    }
}

/// <summary>Endpoint metadata: the response stays open (see <see cref="RateLimits.RequireStreamSlot"/>).</summary>
public sealed class StreamSlot
{
    public static readonly StreamSlot Instance = new();

    private StreamSlot()
    {
    }
}

/// <summary>
/// Endpoint metadata: its requests were counted before authentication (the token endpoint, Clients.TokenRequestLimits),
/// so the caller's budget here would count them twice.
/// </summary>
public sealed class CountedBeforeAuthentication
{
    public static readonly CountedBeforeAuthentication Instance = new();

    private CountedBeforeAuthentication()
    {
    }
}
