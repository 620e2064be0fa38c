using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry.Metrics;
using Readiness.Hosting;
using Readiness.Notifications;
using Readiness.Web.Identity;

namespace Readiness.Web.Notifications;

/// <summary>Notifications (docs/notifications.md): Program.cs gains one line to add them and one to map their endpoints.</summary>
public static class NotificationSetup
{
    public static WebApplicationBuilder AddReadinessNotifications(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        // Their Problems() are checked in ConfigurationChecks, with the commands' (as the webhooks' below).
        services.AddOptions<NotificationOptions>().BindConfiguration(NotificationOptions.Section);
        services.AddOptions<SmtpOptions>().BindConfiguration(SmtpOptions.Section);
        services.AddSingleton<NotificationStore>();
        services.AddSingleton<NotificationRecipients>();
        services.AddSingleton<NotificationMailer>();
        services.AddSingleton<SiteLinks>();
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section);
        services.AddSingleton<WebhookTargets>();
        services.AddTransient<WebhookProxyCheck>();

        // Directly (no proxy set): every connection a webhook opens goes through WebhookTargets after name resolution,
        // redirects included. Through the operator's proxy the proxy resolves the name, so the receiver's host is checked
        // before each request instead, and redirects are not followed (their host would not be checked).
        services.AddHttpClient(WebhookSender.ClientName, c => c.Timeout = TimeSpan.FromSeconds(30))
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var proxy = WebhookOptions.TryParseProxy(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<WebhookOptions>>().Value.Proxy, out var parsed) ? parsed : null;
                return proxy is null
                    ? new SocketsHttpHandler
                    {
                        ConnectCallback = sp.GetRequiredService<WebhookTargets>().ConnectAsync,
                        UseProxy = false,
                        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                    }
                    : new SocketsHttpHandler
                    {
                        Proxy = new System.Net.WebProxy(proxy) { BypassProxyOnLocal = false },
                        UseProxy = true,
                        AllowAutoRedirect = false,
                        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                    };
            })
            .AddHttpMessageHandler<WebhookProxyCheck>();
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<NotificationDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<NotificationDispatcher>());
        services.AddSingleton<DigestService>();
        services.TryAddKeyedSingleton<TimeProvider>(NotificationScan.ClockKey, (sp, _) => sp.GetRequiredService<TimeProvider>());
        services.AddSingleton<NotificationScan>();
        services.AddSingleton<INotificationScheduleHandler, NotificationSchedule>();
        services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(NotificationDispatcher.MeterName));
        services.AddHostedService<NotificationScheduleStarter>();
        return builder;
    }
}

/// <summary>
/// Registers the schedule grain's reminder once the silo is up (embedded mode). A web node without a co-hosted silo
/// (cluster mode) checks the schedule itself on the same interval: the stored digest times make both idempotent.
/// </summary>
public sealed class NotificationScheduleStarter(IServiceProvider services, IConfiguration configuration, Microsoft.Extensions.Options.IOptions<NotificationOptions> options, ILogger<NotificationScheduleStarter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        var embedded = SiloHosting.ReadOptions(configuration).Mode == HostingMode.Embedded;
        for (var attempt = 0; embedded && !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await services.GetRequiredService<NotificationScan>().EnsureStartedAsync();
                await services.GetRequiredService<IGrainFactory>().GetGrain<INotificationScheduleGrain>(INotificationScheduleGrain.Key).StartAsync(options.Value.ScheduleInterval);
                logger.LogInformation("Notification schedule: reminder every {Interval} (weekly digest {Day} {Time} JST)", options.Value.ScheduleInterval, options.Value.DigestDay, options.Value.DigestTime);
                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The silo may still be starting.
                if (attempt % 10 == 9)
                {
                    logger.LogWarning(ex, "Notification schedule: the reminder could not be registered yet");
                }

                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
        }

        using var timer = new PeriodicTimer(options.Value.ScheduleInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await services.GetRequiredService<INotificationScheduleHandler>().RunDueAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Notification schedule: digests failed this time");
            }
        }
    }
}

/// <summary>
/// When webhooks go through the outbound proxy (<see cref="WebhookOptions.Proxy"/>), checks each request's receiver
/// with <see cref="WebhookTargets.CheckThroughProxyAsync"/> before it leaves; without a proxy it passes requests on
/// (the connection itself is checked).
/// </summary>
public sealed class WebhookProxyCheck(WebhookTargets targets, Microsoft.Extensions.Options.IOptions<WebhookOptions> options) : DelegatingHandler
{
    private readonly bool throughProxy = !string.IsNullOrWhiteSpace(options.Value.Proxy);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (throughProxy && request.RequestUri is { } target)
        {
            try
            {
                await targets.CheckThroughProxyAsync(target, cancellationToken);
            }
            catch (WebhookTargetRefusedException refused)
            {
                // Wrapped as the direct path's ConnectCallback refusal is, so WebhookSender treats both alike.
                throw new HttpRequestException(refused.Message, refused);
            }
        }

        return await base.SendAsync(request, cancellationToken);
    }
}
