using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Dashboard;

namespace Readiness.Hosting;

/// <summary>
/// Cluster mode: silos on PostgreSQL (ADO.NET clustering, grain storage and reminders) and web nodes that are Orleans
/// clients of them. Embedded mode stays as <see cref="SiloHosting.AddReadinessSilo"/> configures it.
/// </summary>
public static class ClusterHosting
{
    /// <summary>Overrides of the membership timings below, e.g. Readiness__Membership__ProbeTimeout=00:00:02.</summary>
    public const string MembershipSection = "Readiness:Membership";

    /// <summary>
    /// Orleans for a web host: a co-hosted silo in embedded mode, or a client of the cluster's silos in cluster mode.
    /// Both register <see cref="GrainCalls"/>, the resilient way to call grains from the web tier.
    /// </summary>
    public static IHostApplicationBuilder AddReadinessOrleans(this IHostApplicationBuilder builder)
    {
        builder.Services.AddGrainCalls(builder.Configuration);
        var options = SiloHosting.ReadOptions(builder.Configuration);
        return options.Mode == HostingMode.Embedded ? builder.AddReadinessSilo() : builder.AddReadinessClient(options);
    }

    /// <summary>A web node in cluster mode: holds no grain state, finds the silos' gateways in PostgreSQL.</summary>
    public static IHostApplicationBuilder AddReadinessClient(this IHostApplicationBuilder builder, ReadinessOptions options)
    {
        var storage = StorageConnection.For(options);
        SiloHosting.ValidateOnStart(builder.Services, options);
        builder.Services.AddSingleton(Options.Create(options));
        builder.Services.AddSingleton(storage);
        builder.Services.AddSingleton(SqliteWriteGate.For(storage));
        builder.Services.AddSingleton<StorageWriteMonitor>();
        var gatewayWatch = new GatewayConnectionWatch();
        builder.Services.AddSingleton(gatewayWatch);

        // The web tier's own tables (IStorageStartStep) when the host starts; the silos apply the schema.
        StorageStart.Register(builder.Services, applySchema: false);
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(c =>
            {
                c.ClusterId = options.ClusterId;
                c.ServiceId = options.ServiceId;
            });
            client.UseAdoNetClustering(c =>
            {
                c.Invariant = SiloHosting.PostgresInvariant;
                c.ConnectionString = storage.ConnectionString;
            });
            // A silo that joins is used within seconds; a dead one is dropped as soon as its connection breaks.
            client.Configure<GatewayOptions>(g => g.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
            client.UseConnectionRetryFilter<ClusterConnectionRetry>();
            RememberedGrainInterfaceTypes.AddTo(client.Services);
            // Calls in flight through a gateway whose connection closes are attempted again at once (GrainCalls).
            client.AddClusterConnectionStatusObserver(gatewayWatch);
            if (options.OrleansDashboard)
            {
                client.AddDashboard();
            }
            if (ServiceDefaults.TracesExported(builder.Configuration))
            {
                client.AddActivityPropagation(); // a trace follows each grain call only when traces are exported
            }
        });
        builder.Services.AddHealthChecks()
            .AddCheck<StorageHealthCheck>("storage", tags: [ServiceDefaults.ReadyTag])
            .AddCheck<NationHealthCheck>("nation", tags: [ServiceDefaults.ReadyTag]);
        return builder;
    }

    /// <summary>The cluster half of <see cref="SiloHosting.ConfigureSilo"/>: clustering, reminders, endpoints, failure detection.</summary>
    public static void ConfigureClusterSilo(ISiloBuilder silo, ReadinessOptions options, IStorageConnection storage)
    {
        silo.UseAdoNetClustering(c =>
        {
            c.Invariant = SiloHosting.PostgresInvariant;
            c.ConnectionString = storage.ConnectionString;
        });
        silo.UseAdoNetReminderService(r =>
        {
            r.Invariant = SiloHosting.PostgresInvariant;
            r.ConnectionString = storage.ConnectionString;
        });
        var advertised = string.IsNullOrWhiteSpace(options.AdvertisedAddress) ? IPAddress.Loopback : IPAddress.Parse(options.AdvertisedAddress);
        ListenPorts.Refuse(silo, IPAddress.IsLoopback(advertised) ? advertised : IPAddress.Any, ("Readiness:SiloPort", options.SiloPort), ("Readiness:GatewayPort", options.GatewayPort));
        silo.ConfigureEndpoints(advertised, options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: !IPAddress.IsLoopback(advertised));
        silo.Configure<ClusterMembershipOptions>(ConfigureFailureDetection);
        silo.Configure<ClusterMembershipOptions>(silo.Configuration.GetSection(MembershipSection));
        SiloExitDetector.AddTo(silo.Services);
        silo.Services.AddSingleton<SiloDeathReconciler>();
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<SiloDeathReconciler>());
        if (options.Kubernetes)
        {
            // Last, so the pod's own name, IP and cluster labels win over the settings above.
            silo.UseKubernetesHosting();
        }
    }

    /// <summary>Connections one process may hold unless the connection string says otherwise.</summary>
    public const int DefaultMaxPoolSize = 30;

    /// <summary>Statements each connection keeps prepared (Npgsql's Max Auto Prepare; prepared after 5 uses) unless the connection string says otherwise.</summary>
    public const int DefaultMaxAutoPrepare = 64;

    /// <summary>
    /// Npgsql pools up to 100 connections per process by default. A silo activating all 1,741 municipalities at once
    /// would take them all, and two or three silos exhaust PostgreSQL's default of 100 connections ("too many clients"),
    /// locking out everything else. Requests beyond the pool wait briefly for a free connection instead.
    /// </summary>
    /// <remarks>
    /// Also prepares the statements a connection repeats (Npgsql's automatic preparation, <see cref="DefaultMaxAutoPrepare"/>
    /// per connection): the group commit, audit and membership statements are the same text every time, and parsing and
    /// planning them again on each use was ~5 % of the machine in a profile of the local cluster (docs/performance.md,
    /// fifth round). A setting given in the connection string is kept as given.
    /// </remarks>
    public static string WithPoolDefaults(string connectionString)
    {
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(k => k.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!given.Contains("maxautoprepare"))
        {
            builder.MaxAutoPrepare = DefaultMaxAutoPrepare;
        }

        if (given.Contains("maxpoolsize") || given.Contains("maximumpoolsize"))
        {
            return builder.ConnectionString;
        }

        // A short wait for a pooled connection: under overload a fast, retryable failure beats 15 s of queueing
        // behind callers that have long given up (the web tier's attempts time out after 5 s).
        builder.MaxPoolSize = DefaultMaxPoolSize;
        if (!given.Contains("timeout"))
        {
            builder.Timeout = 5;
        }

        return builder.ConnectionString;
    }

    /// <summary>
    /// A silo that stops answering is declared dead in about 2 s instead of the default ~15 s: probes every second with
    /// one missed probe tolerated, and one vote suffices (with 2 silos only one other can vote). Probe timeouts still
    /// adapt to observed latency and stretch while the prober itself is degraded, which keeps a busy silo from being
    /// voted out. A silo whose process exited is declared dead sooner, by <see cref="SiloExitDetector"/>.
    /// </summary>
    public static void ConfigureFailureDetection(ClusterMembershipOptions m)
    {
        m.ProbeTimeout = TimeSpan.FromSeconds(1);
        m.NumMissedProbesLimit = 2;
        m.NumVotesForDeathDeclaration = 1;
        m.TableRefreshTimeout = TimeSpan.FromSeconds(2);
        m.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(10);
    }
}

/// <summary>A web node may start before any silo: keep trying to reach the cluster for a while instead of failing at once.</summary>
internal sealed class ClusterConnectionRetry(ILogger<ClusterConnectionRetry> logger) : IClientConnectionRetryFilter
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);
    private readonly DateTime started = DateTime.UtcNow;
    private int attempts;

    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        if (DateTime.UtcNow - started > Patience)
        {
            logger.LogError(exception, "Gave up reaching the Readiness cluster after {Attempts} attempts", attempts);
            return false;
        }

        attempts++;
        logger.LogWarning("Cluster not reachable yet (attempt {Attempt}): {Reason}", attempts, exception.Message);
        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        return true;
    }
}
