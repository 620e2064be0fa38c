using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Npgsql;
using Readiness.Catalog;
using Readiness.Grains;
using Readiness.Rules;
using Readiness.Testing;
using Xunit.Abstractions;

namespace Readiness.ClusterTests;

/// <summary>
/// The cluster's backup drill as deploy/README.md documents it: pg_dump -Fc of the live database while the cluster
/// runs, pg_restore --no-owner into an empty database, a new cluster on the restored database; every change
/// acknowledged before the dump started is there, with its audit entries.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class BackupDrillTests(PostgresServer postgres, ITestOutputHelper output)
{
    [Fact]
    public async Task A_pg_dump_taken_while_the_cluster_runs_restores_every_acknowledged_change_into_a_new_cluster()
    {
        var source = await postgres.CreateDatabaseAsync("drill");
        var catalog = ReadinessCatalog.Instance;
        var codes = catalog.Municipalities.Where((_, i) => i % 97 == 5).Select(m => m.Code).ToList();
        var items = catalog.SecurityItems.Select(i => i.Id).ToArray();
        var today = ReadinessRules.TodayInJapan(DateTimeOffset.UtcNow);
        var expected = new Dictionary<string, long>();
        var dump = Path.Combine(Path.GetTempPath(), $"readiness-drill-{Guid.NewGuid():N}.dump");
        long audited;
        try
        {
            await using (var cluster = await StartAsync(source))
            {
                foreach (var code in codes)
                {
                    var grain = cluster.Grains.GetGrain<IMunicipalityGrain>(code);
                    for (var k = 0; k < 2; k++)
                    {
                        var outcome = await cluster.Calls.Run(() => grain.ApplyAsync(new ChangeRequest
                        {
                            RequestId = $"drill-{code}-{k}",
                            Actor = new Actor("drill-test", Role.Municipality, code),
                            Security = [new SecurityChange { ItemId = items[k], Status = SecurityStatus.Implemented, Evidence = $"drill {code} {k}", LastReviewed = today.AddDays(-1) }],
                        }), idempotent: true);
                        Assert.Equal(ChangeStatus.Accepted, outcome.Status);
                        expected[code] = outcome.Record.Version;
                    }
                }

                audited = await ScalarAsync(source, "SELECT count(*) FROM readiness_audit WHERE actor_subject = 'drill-test'");
                Assert.True(audited >= codes.Count * 2, $"{audited} audit entries for {codes.Count * 2} changes");

                // The dump runs while the cluster is up (pg_dump reads one consistent snapshot).
                var dumping = Stopwatch.StartNew();
                await RunAsync(postgres.Tool("pg_dump"), ["-Fc", "-d", source, "-f", dump]);
                output.WriteLine($"pg_dump -Fc of the live database: {new FileInfo(dump).Length / 1024.0:F0} KiB in {dumping.Elapsed.TotalSeconds:F1} s ({codes.Count * 2} drill changes, the nation initialised)");
            }

            var restored = await postgres.CreateDatabaseAsync("restored");
            var restoring = Stopwatch.StartNew();
            await RunAsync(postgres.Tool("pg_restore"), ["--no-owner", "-d", restored, dump]);
            output.WriteLine($"pg_restore into an empty database: {restoring.Elapsed.TotalSeconds:F1} s");

            await using (var cluster = await StartAsync(restored))
            {
                foreach (var code in codes)
                {
                    var view = JsonDocument.Parse(await LocalCluster.Http.GetStringAsync(new Uri(cluster.Web!.BaseAddress, $"/api/v1/municipalities/{code}"))).RootElement;
                    Assert.Equal(expected[code], view.GetProperty("version").GetInt64());
                    var evidence = view.GetProperty("security").EnumerateArray().ToDictionary(s => s.GetProperty("itemId").GetString()!, s => s.GetProperty("evidence").GetString());
                    Assert.Equal($"drill {code} 0", evidence[items[0]]);
                    Assert.Equal($"drill {code} 1", evidence[items[1]]);
                }

                Assert.Equal(audited, await ScalarAsync(restored, "SELECT count(*) FROM readiness_audit WHERE actor_subject = 'drill-test'"));
                output.WriteLine($"A new cluster on the restored database: {codes.Count} municipalities at their acknowledged versions, {audited} audit entries");
            }
        }
        finally
        {
            File.Delete(dump);
        }
    }

    private static async Task<LocalCluster> StartAsync(string db)
    {
        var cluster = new LocalCluster(db, "drill");
        try
        {
            var ports = SiloPorts.Free();
            var silo = cluster.StartSilo(ports, warmUp: true);
            await LocalCluster.WaitForStatusAsync(new Uri($"http://127.0.0.1:{ports.Http}/health/live"), HttpStatusCode.OK, TimeSpan.FromMinutes(2), silo);
            var web = cluster.StartWeb(PostgresServer.FreePort());
            await LocalCluster.WaitForStatusAsync(new Uri(web.BaseAddress, "/health/ready"), HttpStatusCode.OK, TimeSpan.FromMinutes(4), [web, silo]);
            await cluster.StartClientAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs a PostgreSQL client tool with a libpq connection string (the Npgsql one converted).</summary>
    private static async Task RunAsync(string tool, string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a.StartsWith("Host=", StringComparison.Ordinal) ? Libpq(a) : a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        Assert.True(process.ExitCode == 0, $"{Path.GetFileName(tool)} exited with {process.ExitCode}: {await stderr} {await stdout}");
    }

    private static string Libpq(string npgsql)
    {
        var b = new NpgsqlConnectionStringBuilder(npgsql);
        return $"host={b.Host} port={b.Port} user={b.Username} dbname={b.Database}";
    }

    private static async Task<long> ScalarAsync(string db, string sql)
    {
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}
