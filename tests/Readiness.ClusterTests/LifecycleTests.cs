using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Npgsql;
using Readiness.Catalog;
using Readiness.Grains;
using Readiness.Rules;
using Xunit.Abstractions;
using Readiness.Testing;

namespace Readiness.ClusterTests;

/// <summary>Whole-cluster restarts and PostgreSQL outages, with real processes.</summary>
[Collection(PostgresCollection.Name)]
public sealed class LifecycleTests(PostgresServer postgres, ITestOutputHelper output)
{
    [Fact]
    public async Task Everything_written_through_the_cluster_is_there_after_every_process_restarts()
    {
        var total = Stopwatch.StartNew();
        var db = await postgres.CreateDatabaseAsync("restart");
        var ports = new[] { SiloPorts.Free(), SiloPorts.Free() };
        var webPort = PostgresServer.FreePort();
        var catalog = ReadinessCatalog.Instance;
        var codes = catalog.Municipalities.Where((_, i) => i % 29 == 3).Select(m => m.Code).ToList();
        var items = catalog.SecurityItems.Select(i => i.Id).ToArray();
        var today = ReadinessRules.TodayInJapan(DateTimeOffset.UtcNow);
        var expected = new Dictionary<string, long>();
        long nationVersion;
        await using (var cluster = await StartAsync(db, ports, webPort))
        {
            foreach (var code in codes)
            {
                var grain = cluster.Grains.GetGrain<IMunicipalityGrain>(code);
                for (var k = 0; k < 3; k++)
                {
                    var request = new ChangeRequest
                    {
                        RequestId = $"restart-{code}-{k}",
                        Actor = new Actor("restart-test", Role.Municipality, code),
                        Security = [new SecurityChange { ItemId = items[k], Status = SecurityStatus.Implemented, Evidence = $"restart {code} {k}", LastReviewed = today.AddDays(-1) }],
                    };
                    var outcome = await cluster.Calls.Run(() => grain.ApplyAsync(request), idempotent: true);
                    Assert.Equal(ChangeStatus.Accepted, outcome.Status);
                    expected[code] = outcome.Record.Version;
                }
            }

            await Recomputation.ConvergeAsync(cluster.Grains, cluster.Calls, TimeSpan.FromSeconds(30));
            nationVersion = (await cluster.Calls.Run(() => cluster.Grains.GetGrain<INationGrain>(INationGrain.NationKey).GetAsync(), idempotent: true)).VersionSum;
            var stopping = Stopwatch.StartNew();
            await cluster.StopAllAsync();
            await postgres.StopAsync();
            output.WriteLine($"Wrote {codes.Count * 3} updates to {codes.Count} municipalities; stopped the web node, 2 silos and PostgreSQL in {stopping.Elapsed.TotalSeconds:F1} s");
        }

        NpgsqlConnection.ClearAllPools();
        await postgres.StartAsync();
        var restarting = Stopwatch.StartNew();
        await using (var cluster = await StartAsync(db, ports, webPort))
        {
            output.WriteLine($"Restarted PostgreSQL, 2 silos (same ports) and the web node: ready in {restarting.Elapsed.TotalSeconds:F1} s");
            foreach (var code in codes)
            {
                var view = JsonDocument.Parse(await LocalCluster.Http.GetStringAsync(new Uri(cluster.Web!.BaseAddress, $"/api/v1/municipalities/{code}"))).RootElement;
                Assert.Equal(expected[code], view.GetProperty("version").GetInt64());
                var evidence = view.GetProperty("security").EnumerateArray().ToDictionary(s => s.GetProperty("itemId").GetString()!, s => s.GetProperty("evidence").GetString());
                for (var k = 0; k < 3; k++)
                {
                    Assert.Equal($"restart {code} {k}", evidence[items[k]]);
                }

                var requests = view.GetProperty("recentChanges").EnumerateArray().Select(c => c.GetProperty("requestId").GetString()).ToList();
                Assert.Equal(3, requests.Count(r => r!.StartsWith($"restart-{code}-", StringComparison.Ordinal)));
            }

            // The web node's summary cache takes its first picture as the silos come back: ask until it has caught up.
            Assert.Equal(nationVersion, (await LocalCluster.NationAsync(cluster.Web!.BaseAddress, n => n.GetProperty("version").GetInt64() == nationVersion, TimeSpan.FromSeconds(15))).GetProperty("version").GetInt64());
            Assert.Empty(await Recomputation.DifferencesAsync(cluster.Grains, cluster.Calls));
            var history = JsonDocument.Parse(await LocalCluster.Http.GetStringAsync(new Uri(cluster.Web!.BaseAddress, "/api/v1/nation/history"))).RootElement;
            var days = history.GetProperty("days").EnumerateArray().Select(d => d.GetProperty("day").GetString()).ToList();
            Assert.Contains(today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), days);
            Assert.Equal(2L, await ScalarAsync(db, $"SELECT count(*) FROM orleans_reminder WHERE grain_id = 'nation/JP' AND reminder_name IN ('{NationGrain.ReconcileReminder}', '{NationGrain.SnapshotReminder}')"));
            Assert.Equal(2L, await ScalarAsync(db, "SELECT count(*) FROM orleans_membership WHERE status = 3"));
            output.WriteLine($"Read back {codes.Count} municipalities over HTTP, the nation (version {nationVersion}), {days.Count} daily snapshot(s) and both nation reminders; test time {total.Elapsed.TotalSeconds:F0} s");
        }
    }

    [Fact]
    public async Task Ready_reports_503_while_PostgreSQL_is_down_and_200_when_it_is_back()
    {
        var db = await postgres.CreateDatabaseAsync("health");
        await using var cluster = await StartAsync(db, [SiloPorts.Free()], PostgresServer.FreePort());
        var silo = cluster.Silos[0];
        var siloReady = new Uri(silo.BaseAddress, "/health/ready");
        var webReady = new Uri(cluster.Web!.BaseAddress, "/health/ready");
        var municipality = new Uri(cluster.Web!.BaseAddress, "/api/v1/municipalities/131016");
        string etag;
        using (var read = await LocalCluster.Http.GetAsync(municipality))
        {
            etag = read.Headers.ETag!.Tag;
        }

        try
        {
            await postgres.StopAsync();
            var siloDown = await LocalCluster.WaitForStatusAsync(siloReady, HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30), silo);

            // A write while the database is down is answered 503 with Retry-After (not 500, not a hang), and is safe to repeat.
            using (var write = new HttpRequestMessage(HttpMethod.Put, new Uri(municipality + "/systems/koseki")))
            {
                write.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", LocalCluster.Token(Role.Municipality, "131016"));
                write.Headers.IfMatch.ParseAdd(etag);
                write.Content = new StringContent("""{"phase":"in_production","hosting":"government_cloud"}""", System.Text.Encoding.UTF8, "application/json");
                var started = System.Diagnostics.Stopwatch.StartNew();
                using var refused = await LocalCluster.Http.SendAsync(write);
                Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
                Assert.NotNull(refused.Headers.RetryAfter);
                Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
                output.WriteLine($"write with PostgreSQL down: 503 after {started.ElapsedMilliseconds} ms (with retries)");
            }

            var webDown = await LocalCluster.WaitForStatusAsync(webReady, HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30), cluster.Web);
            using (var live = await LocalCluster.Http.GetAsync(new Uri(silo.BaseAddress, "/health/live")))
            {
                Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            }

            await postgres.StartAsync();
            var siloUp = await LocalCluster.WaitForStatusAsync(siloReady, HttpStatusCode.OK, TimeSpan.FromSeconds(60), silo);
            var webUp = await LocalCluster.WaitForStatusAsync(webReady, HttpStatusCode.OK, TimeSpan.FromSeconds(60), cluster.Web);
            output.WriteLine($"PostgreSQL stopped: silo not ready after {siloDown.TotalSeconds:F1} s, web node after {webDown.TotalSeconds:F1} s more (alive throughout)");
            output.WriteLine($"PostgreSQL back: silo ready after {siloUp.TotalSeconds:F1} s, web node after {webUp.TotalSeconds:F1} s more");
        }
        finally
        {
            if (!postgres.Running)
            {
                await postgres.StartAsync();
            }
        }
    }

    private static async Task<LocalCluster> StartAsync(string db, SiloPorts[] ports, int webPort)
    {
        var cluster = new LocalCluster(db, "lifecycle");
        try
        {
            for (var i = 0; i < ports.Length; i++)
            {
                cluster.StartSilo(ports[i], warmUp: i == 0);
            }

            foreach (var (silo, p) in cluster.Silos.Zip(ports))
            {
                await LocalCluster.WaitForStatusAsync(new Uri($"http://127.0.0.1:{p.Http}/health/live"), HttpStatusCode.OK, TimeSpan.FromMinutes(2), silo);
            }

            var web = cluster.StartWeb(webPort);
            await LocalCluster.WaitForStatusAsync(new Uri(web.BaseAddress, "/health/ready"), HttpStatusCode.OK, TimeSpan.FromMinutes(4), [web, .. cluster.Silos]);
            await cluster.StartClientAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private static async Task<long> ScalarAsync(string db, string sql)
    {
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}
