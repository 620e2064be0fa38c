using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Readiness.Grains;
using Readiness.Hosting;
using Readiness.Testing;

namespace Readiness.HostTests.Grains;

/// <summary>
/// Two in-process silos sharing one SQLite file through the product's own ADO.NET schema and storage wiring.
/// Reconciliation is slowed right down so that the aggregates must be right from pushes alone.
/// </summary>
public sealed class GrainClusterFixture : IAsyncLifetime
{
    private readonly TempFolder folder = new("readiness-grains");

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public ReadinessOptions Options { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Options = new ReadinessOptions { DataPath = folder.Path, ReconcileInterval = TimeSpan.FromHours(1), WarmUp = false };
        var storage = StorageConnection.For(Options);
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSiloHost((_, host) =>
        {
            SiloHosting.AddReadinessGrainServices(host.Services, Options);
            host.Services.Configure<AggregationOptions>(a => a.Debounce = TimeSpan.FromMilliseconds(50));
        });
        builder.ConfigureSilo((_, silo) =>
        {
            storage.EnsureSchema();
            SiloHosting.ConfigureGrainStorage(silo, storage);
            RememberedGrainInterfaceTypes.AddTo(silo.Services);
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        folder.Dispose();
    }
}
