using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;
using Readiness.Grains;
using Readiness.Hosting;

namespace Readiness.HostTests.Hosting;

/// <summary>A plain grain state for the storage tests: what STJ writes and reads back.</summary>
public sealed class NoteState
{
    public string Text { get; set; } = "";

    public int Count { get; set; }
}

/// <summary>A state that brings audit entries to record with its write, as the municipality grain's does.</summary>
public sealed class AuditedNoteState : IAuditedGrainState
{
    public string Text { get; set; } = "";

    [System.Text.Json.Serialization.JsonIgnore]
    public PendingAudit? Audit { get; set; }

    [System.Text.Json.Serialization.JsonIgnore]
    public bool HoldsRecord => true;
}

/// <summary>
/// Real in-process silos over a real database, with the grain storage as the product wires it (group commit) or as it
/// was before (the Orleans ADO.NET provider alone, OrleansStorage), to write states the way an older data folder has them.
/// </summary>
public sealed class GroupCommitSilo : IAsyncDisposable
{
    public const string ServiceId = "readiness-group-commit-tests";

    private GroupCommitSilo(InProcessTestCluster cluster) => Cluster = cluster;

    public InProcessTestCluster Cluster { get; }

    public static async Task<GroupCommitSilo> StartAsync(ReadinessOptions options, bool legacyProvider = false, short silos = 1)
    {
        var storage = StorageConnection.For(options);
        var builder = new InProcessTestClusterBuilder(silos);
        builder.Options.ServiceId = ServiceId;
        builder.ConfigureSiloHost((_, host) => SiloHosting.AddReadinessGrainServices(host.Services, options));
        builder.ConfigureSilo((_, silo) =>
        {
            storage.EnsureSchema();
            if (legacyProvider)
            {
                silo.AddAdoNetGrainStorage(ReadinessStorage.Name, s =>
                {
                    s.Invariant = storage.Invariant;
                    s.ConnectionString = storage.ConnectionString;
                });
                silo.UseSystemTextJsonGrainStorageSerializer();
            }
            else
            {
                SiloHosting.ConfigureGrainStorage(silo, storage);
            }
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new GroupCommitSilo(cluster);
    }

    public IGrainStorage Storage(int silo = 0) => Cluster.Silos[silo].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(ReadinessStorage.Name);

    public GroupCommitGrainStorage GroupCommit(int silo = 0) => (GroupCommitGrainStorage)Storage(silo);

    public SqliteWriteGate Gate(int silo = 0) => Cluster.Silos[silo].ServiceProvider.GetRequiredService<SqliteWriteGate>();

    public static GrainId Grain(string key) => GrainId.Create("note", key);

    public static GrainState<NoteState> State(string text, int count, string? etag = null) =>
        new(new NoteState { Text = text, Count = count }) { ETag = etag, RecordExists = etag is not null };

    public async Task<GrainState<NoteState>> ReadAsync(string key, int silo = 0)
    {
        var state = new GrainState<NoteState>();
        await Storage(silo).ReadStateAsync("note", Grain(key), state);
        return state;
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }
}
