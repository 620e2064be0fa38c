using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.TestingHost;
using Readiness.Catalog;
using Readiness.Grains;
using Readiness.HostTests.Hosting;
using Readiness.Hosting;
using Readiness.Rules;
using Readiness.Testing;
using Xunit.Abstractions;

namespace Readiness.HostTests.Grains;

/// <summary>
/// Reconciliation reads the municipalities' stored states (<see cref="IStoredGrainStates"/>) instead of waking them:
/// after a restart (as after a silo's death) the aggregates are whole again without activating one municipality.
/// </summary>
public sealed class ReconciliationFromStorageTests(ITestOutputHelper output)
{
    private static readonly Actor Tester = new("reconciliation-test", Role.Admin, null);

    [Fact]
    public async Task After_a_restart_the_nation_is_whole_and_equal_to_a_recomputation_without_activating_a_municipality()
    {
        using var folder = new TempFolder();
        var options = new ReadinessOptions { DataPath = folder.Path, WarmUp = false, ReconcileInterval = TimeSpan.FromHours(1) };
        var catalog = ReadinessCatalog.Instance;
        MunicipalityRecord[] records;
        await using (var first = await GroupCommitSilo.StartAsync(options))
        {
            // Nothing is stored yet: each municipality is asked, which seeds and stores it.
            var nation = await first.Cluster.Client.GetGrain<INationGrain>(INationGrain.NationKey).GetAsync();
            Assert.Equal(1741, nation.Figures.Municipalities);
            Assert.Equal(1741, await ActiveMunicipalitiesAsync(first));

            var random = new Random(20261202);
            var changed = catalog.Municipalities.OrderBy(_ => random.Next()).Take(150).Select(m => m.Code).ToList();
            foreach (var (code, i) in changed.Select((c, i) => (c, i)))
            {
                var business = catalog.BusinessSystems[random.Next(catalog.BusinessSystems.Count)];
                var outcome = await first.Cluster.Client.GetGrain<IMunicipalityGrain>(code).ApplyAsync(new ChangeRequest
                {
                    RequestId = $"restart-{i}",
                    Actor = Tester,
                    Systems = [new SystemChange { BusinessId = business.Id, Phase = MigrationPhase.Testing, Reason = "再計画" }],
                });
                Assert.Equal(ChangeStatus.Accepted, outcome.Status);
            }

            records = await Task.WhenAll(catalog.Municipalities.Select(m => first.Cluster.Client.GetGrain<IMunicipalityGrain>(m.Code).GetAsync()));
            Assert.Equal(nation.VersionSum + changed.Count, records.Sum(r => r.Version));
        }

        var today = ReadinessRules.TodayInJapan(DateTimeOffset.UtcNow);
        var byPrefecture = records.Select(r => ReadinessRules.Summary(r, today)).GroupBy(s => s.PrefectureCode)
            .ToDictionary(g => g.Key, g => Aggregation.Prefecture(g.Key, g, today, DateTimeOffset.UtcNow));
        var expected = Aggregation.Nation(byPrefecture.Values, DateTimeOffset.UtcNow);

        await using var restarted = await GroupCommitSilo.StartAsync(options);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var actual = await restarted.Cluster.Client.GetGrain<INationGrain>(INationGrain.NationKey).GetAsync();
        output.WriteLine($"nation whole {started.ElapsedMilliseconds} ms after its first call on the restarted silo; version sum {actual.VersionSum:N0}");

        Assert.Equal(expected.VersionSum, actual.VersionSum);
        Assert.True(expected.Figures.SameAs(actual.Figures), "the nation's figures differ from a recomputation of the stored records");
        foreach (var p in catalog.Prefectures)
        {
            var detail = await restarted.Cluster.Client.GetGrain<IPrefectureGrain>(p.Code).GetAsync();
            Assert.Equal(catalog.MunicipalitiesByPrefecture[p.Code].Count, detail.Municipalities.Length);
            Assert.True(byPrefecture[p.Code].Figures.SameAs(detail.Summary.Figures), $"prefecture {p.Code} differs");
        }

        Assert.Equal(0, await ActiveMunicipalitiesAsync(restarted));
    }

    [Fact]
    public async Task A_deep_reconciliation_reads_every_municipality_from_storage_one_query_per_prefecture()
    {
        using var folder = new TempFolder();
        var options = new ReadinessOptions { DataPath = folder.Path, WarmUp = false, ReconcileInterval = TimeSpan.FromHours(1) };
        var storage = StorageConnection.For(options);
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ServiceId = GroupCommitSilo.ServiceId;
        builder.ConfigureSiloHost((_, host) => SiloHosting.AddReadinessGrainServices(host.Services, options));
        builder.ConfigureSilo((_, silo) =>
        {
            storage.EnsureSchema();
            SiloHosting.ConfigureGrainStorage(silo, storage);
            silo.Services.AddSingleton(sp => new CountingStoredStates((IStoredGrainStates)sp.GetRequiredKeyedService<IGrainStorage>(ReadinessStorage.Name)));
            silo.Services.AddSingleton<IStoredGrainStates>(sp => sp.GetRequiredService<CountingStoredStates>());
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        try
        {
            var nation = cluster.Client.GetGrain<INationGrain>(INationGrain.NationKey);
            Assert.Equal(1741, (await nation.GetAsync()).Figures.Municipalities); // seeds and stores every municipality
            var counting = cluster.Silos[0].ServiceProvider.GetRequiredService<CountingStoredStates>();
            Assert.Equal((47, 0), (counting.Calls, counting.Found)); // nothing was stored yet
            counting.Reset();

            // As after a silo's death: no municipality active (here: every grain deactivated); the aggregates activate
            // again, each prefecture reading its municipalities once; then a deep reconciliation reads them once more.
            await cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
            Assert.Equal(1741, (await nation.GetAsync()).Figures.Municipalities);
            Assert.Equal((47, 1741), (counting.Calls, counting.Found));
            counting.Reset();
            await nation.ReconcileAsync(deep: true);
            output.WriteLine($"deep reconciliation: {counting.Calls} reads, {counting.Found} states found");
            Assert.Equal(47, counting.Calls);
            Assert.Equal(1741, counting.Found);
            Assert.Equal(0, await ActiveMunicipalitiesAsync(cluster));
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    private static Task<int> ActiveMunicipalitiesAsync(GroupCommitSilo silo) => ActiveMunicipalitiesAsync(silo.Cluster);

    private static async Task<int> ActiveMunicipalitiesAsync(InProcessTestCluster cluster)
    {
        var type = cluster.Client.GetGrain<IMunicipalityGrain>("011002").GetGrainId().Type;
        var statistics = await cluster.Client.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        return statistics.Count(s => s.GrainId.Type.Equals(type));
    }
}

/// <summary>The product's <see cref="IStoredGrainStates"/>, counting its reads and the states they found.</summary>
internal sealed class CountingStoredStates(IStoredGrainStates inner) : IStoredGrainStates
{
    private int calls;
    private int found;

    public int Calls => Volatile.Read(ref calls);

    public int Found => Volatile.Read(ref found);

    public void Reset() => (calls, found) = (0, 0);

    public async Task<IReadOnlyDictionary<GrainId, T>> ReadAsync<T>(string stateName, IReadOnlyList<GrainId> grainIds)
    {
        Interlocked.Increment(ref calls);
        var read = await inner.ReadAsync<T>(stateName, grainIds);
        Interlocked.Add(ref found, read.Count);
        return read;
    }
}
