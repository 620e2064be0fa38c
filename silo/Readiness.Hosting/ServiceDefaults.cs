using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Readiness.Grains;

namespace Readiness.Hosting;

/// <summary>Telemetry and health, wired once for every host (web node, silo, embedded).</summary>
public static class ServiceDefaults
{
    public const string LiveTag = "live";
    public const string ReadyTag = "ready";

    /// <summary>The OpenTelemetry setting that turns on trace (and metric) export over OTLP.</summary>
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// Whether traces go anywhere: only with an OTLP endpoint (<see cref="OtlpEndpointKey"/>). Without one, recording
    /// an activity for every request and grain call (and carrying its context along each call) only made garbage:
    /// the tracing share of the write path's allocations (docs/performance.md, fifth round).
    /// </summary>
    public static bool TracesExported(IConfiguration configuration) => !string.IsNullOrWhiteSpace(configuration[OtlpEndpointKey]);

    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder)
    {
        CheckUrls(builder.Configuration[WebHostDefaults.ServerUrlsKey]);

        // First among the hosted services, so a web address in use refuses the start before the silo starts.
        builder.Services.AddHostedService<WebPorts>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ReadinessMetrics>();
        var otel = builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddMeter("Microsoft.Orleans", ReadinessMetrics.MeterName, "Readiness.Notifications") // the last: NotificationDispatcher's deliveries (alert on failures)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddPrometheusExporter());
        if (TracesExported(builder.Configuration))
        {
            otel.WithTracing(tracing => tracing
                    .AddSource("Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application", "Microsoft.Orleans.Storage")
                    .AddAspNetCoreInstrumentation(o => o.Filter = ctx => !ctx.Request.Path.StartsWithSegments("/health") && !ctx.Request.Path.StartsWithSegments("/metrics"))
                    .AddHttpClientInstrumentation())
                .UseOtlpExporter();
        }

        // Checked with the process's other settings (HostingChecks), before anything is built.
        builder.Services.AddOptions<HealthOptions>().BindConfiguration(HealthOptions.Section);
        builder.Services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section);
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        return builder;
    }

    /// <summary>
    /// Refuses an address to listen on that Kestrel would refuse without naming it (a port past 65535 is only
    /// "Specified argument was out of the range of valid values", at bind time).
    /// </summary>
    /// <exception cref="InvalidOperationException">An address does not parse or its port is out of range.</exception>
    public static void CheckUrls(string? urls)
    {
        foreach (var url in (urls ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            BindingAddress address;
            try
            {
                address = BindingAddress.Parse(url);
            }
            catch (FormatException e)
            {
                throw new InvalidOperationException($"ASPNETCORE_URLS (urls) '{url}': 待ち受けアドレスとして読めません / not an address to listen on ({e.Message}).", e);
            }

            if (!address.IsNamedPipe && !address.IsUnixPipe && address.Port is < 0 or > 65535)
            {
                throw new InvalidOperationException($"ASPNETCORE_URLS (urls) '{url}': ポート番号は 0〜65535 です / the port must be 0-65535.");
            }
        }
    }

    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = r => r.Tags.Contains(LiveTag), ResponseWriter = HealthResponse.WriteAsync });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = r => r.Tags.Contains(ReadyTag), ResponseWriter = HealthResponse.WriteAsync });
        app.MapPrometheusScrapingEndpoint("/metrics").RequireAllowedNetwork();
        return app;
    }
}
