using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Storage;
using Readiness.Grains;

namespace Readiness.Hosting;

/// <summary>Configures a silo for the chosen mode: one code path, chosen by configuration.</summary>
public static class SiloHosting
{
    public const string SqliteInvariant = "System.Data.SQLite";
    public const string PostgresInvariant = "Npgsql";

    public static ReadinessOptions ReadOptions(IConfiguration configuration)
    {
        var options = new ReadinessOptions();
        configuration.GetSection(ReadinessOptions.Section).Bind(options);
        return options;
    }

    /// <summary>Co-hosts a silo in this process (embedded) or runs a cluster silo, per the Readiness section.</summary>
    public static IHostApplicationBuilder AddReadinessSilo(this IHostApplicationBuilder builder)
    {
        // Load and validate the embedded data now: broken data stops start-up with a message naming the file and row.
        _ = Readiness.Catalog.ReadinessCatalog.Instance;
        var options = ReadOptions(builder.Configuration);
        ValidateOnStart(builder.Services, options);
        AddReadinessGrainServices(builder.Services, options);

        // Before the silo's hosted service: the data folder's lock and the schema come first when the host starts.
        StorageStart.Register(builder.Services, applySchema: true);
        builder.UseOrleans(silo => ConfigureSilo(silo, options));
        if (options.Mode == HostingMode.Embedded)
        {
            Backups.Register(builder.Services, options);
        }

        builder.Services.AddHostedService<NationWarmUp>();
        builder.Services.AddHealthChecks()
            .AddCheck<StorageHealthCheck>("storage", tags: [ServiceDefaults.ReadyTag])
            .AddCheck<NationHealthCheck>("nation", tags: [ServiceDefaults.ReadyTag]);
        return builder;
    }

    /// <summary>
    /// Refuses the start for <see cref="ReadinessOptions.Problems"/> of the options read at build time (registered as
    /// a fixed instance, not bound, so the check is of that instance).
    /// </summary>
    public static void ValidateOnStart(IServiceCollection services, ReadinessOptions options) =>
        services.AddOptions<ReadinessOptions>().ValidateProblemsOnStart(_ => options.Problems());

    /// <summary>The services grains need, shared by every host and by the test cluster.</summary>
    public static void AddReadinessGrainServices(IServiceCollection services, ReadinessOptions options)
    {
        services.AddSingleton(Options.Create(options));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ReadinessMetrics>();
        services.Configure<AggregationOptions>(a => a.ReconcileInterval = options.ReconcileInterval);
        services.AddSingleton<IMunicipalitySeed>(sp => options.Seed == SeedMode.Demo
            ? new SyntheticSeed(options.DemoSeed, sp.GetRequiredService<TimeProvider>())
            : new PublicBaselineSeed());
        services.AddSingleton<IStorageConnection>(_ => StorageConnection.For(options));
        services.AddSingleton(sp => SqliteWriteGate.For(sp.GetRequiredService<IStorageConnection>()));
        services.AddSingleton<StorageWriteMonitor>();
        services.AddSingleton<IAuditLog, SqlAuditLog>();
    }

    /// <summary>
    /// Configures the silo; touches no data (<see cref="StorageStart"/> takes the data folder's lock and applies the
    /// schema when the host starts), so a refusal here or at start leaves the data folder as it was.
    /// </summary>
    public static void ConfigureSilo(ISiloBuilder silo, ReadinessOptions options)
    {
        var storage = StorageConnection.For(options);
        silo.Configure<ClusterOptions>(c =>
        {
            c.ClusterId = options.ClusterId;
            c.ServiceId = options.ServiceId;
        });
        if (options.Mode == HostingMode.Embedded)
        {
            ListenPorts.Refuse(silo, IPAddress.Loopback, ("Readiness:SiloPort", options.SiloPort), ("Readiness:GatewayPort", options.GatewayPort));
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort);
            silo.UseInMemoryReminderService();
        }
        else
        {
            ClusterHosting.ConfigureClusterSilo(silo, options, storage);
        }

        ConfigureGrainStorage(silo, storage);
        RememberedGrainInterfaceTypes.AddTo(silo.Services);
        if (options.OrleansDashboard)
        {
            silo.AddDashboard();
        }
    }

    /// <summary>Grain storage on the project's own ADO.NET schema, stored as JSON so renames do not break rows.</summary>
    public static void ConfigureGrainStorage(ISiloBuilder silo, IStorageConnection storage)
    {
        silo.AddAdoNetGrainStorage(ReadinessStorage.Name, s =>
        {
            s.Invariant = storage.Invariant;
            s.ConnectionString = storage.ConnectionString;
        });
        // Replaces the provider registered above with group commit (GroupCommitGrainStorage: many grains' writes in one
        // transaction, readiness_grain_state); the ADO.NET provider stays underneath to read states written before the
        // upgrade (OrleansStorage).
        silo.Services.AddKeyedSingleton<IGrainStorage>(ReadinessStorage.Name, (sp, _) =>
            GroupCommitGrainStorage.Create(sp, storage, AdoNetGrainStorageFactory.Create(sp, ReadinessStorage.Name)));
        // Reconciliation reads its municipalities' stored states through the same provider, without activating them.
        silo.Services.AddSingleton<IStoredGrainStates>(sp => (GroupCommitGrainStorage)sp.GetRequiredKeyedService<IGrainStorage>(ReadinessStorage.Name));

        silo.UseSystemTextJsonGrainStorageSerializer();
        if (ServiceDefaults.TracesExported(silo.Configuration))
        {
            silo.AddActivityPropagation(); // a trace follows each grain call only when traces are exported
        }
    }
}

/// <summary>Activates the nation right after start-up, so the first reader does not wait for its prefectures' reconciliation (or, on a new installation, for 1,741 seeds).</summary>
internal sealed class NationWarmUp(IGrainFactory grains, IOptions<ReadinessOptions> options, ILogger<NationWarmUp> logger, IHostApplicationLifetime lifetime) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.WarmUp)
        {
            return Task.CompletedTask;
        }

        lifetime.ApplicationStarted.Register(() => _ = Task.Run(async () =>
        {
            var started = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                var nation = await grains.GetGrain<INationGrain>(INationGrain.NationKey).GetAsync();
                logger.LogInformation("Nation ready: {Municipalities} municipalities in {Elapsed} ms", nation.Figures.Municipalities, started.ElapsedMilliseconds);
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Warm-up of the nation failed; it will be activated by the first reader");
            }
        }));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
