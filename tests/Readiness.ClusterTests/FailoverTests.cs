using System.Collections.Concurrent;
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

/// <summary>Three silos and a web node as real processes; one silo is killed with SIGKILL while updates stream in.</summary>
[Collection(PostgresCollection.Name)]
public sealed class FailoverTests(PostgresServer postgres, ITestOutputHelper output)
{
    private static readonly SecurityStatus[] Statuses = [SecurityStatus.Implemented, SecurityStatus.Partial, SecurityStatus.NotImplemented];

    [Fact]
    public async Task Killing_a_silo_mid_stream_loses_no_acknowledged_update_and_applies_none_twice()
    {
        var total = Stopwatch.StartNew();
        var db = await postgres.CreateDatabaseAsync("kill");
        await using var cluster = new LocalCluster(db, "kill");
        var ports = Enumerable.Range(0, 3).Select(_ => SiloPorts.Free()).ToList();
        for (var i = 0; i < ports.Count; i++)
        {
            cluster.StartSilo(ports[i], warmUp: i == 0);
        }

        foreach (var (silo, p) in cluster.Silos.Zip(ports))
        {
            await LocalCluster.WaitForStatusAsync(new Uri($"http://127.0.0.1:{p.Http}/health/live"), HttpStatusCode.OK, TimeSpan.FromMinutes(2), silo);
        }

        var web = cluster.StartWeb(PostgresServer.FreePort());
        var ready = await LocalCluster.WaitForStatusAsync(new Uri(web.BaseAddress, "/health/ready"), HttpStatusCode.OK, TimeSpan.FromMinutes(4), [web, .. cluster.Silos]);
        output.WriteLine($"3 silos and a web node started; the web node was ready {ready.TotalSeconds:F1} s after starting (1,741 municipalities seeded) at {total.Elapsed.TotalSeconds:F1} s");
        await cluster.StartClientAsync();

        var catalog = ReadinessCatalog.Instance;
        var codes = catalog.Municipalities.Where((_, i) => i % 5 == 0).Select(m => m.Code).ToList();
        var items = catalog.SecurityItems.Select(i => i.Id).ToArray();
        var initial = new ConcurrentDictionary<string, long>();
        await Parallel.ForEachAsync(codes, async (code, _) =>
            initial[code] = (await cluster.Calls.Run(() => cluster.Grains.GetGrain<IMunicipalityGrain>(code).GetAsync(), idempotent: true, _)).Version);

        var ledgers = codes.ToDictionary(c => c, _ => new Ledger());
        var clock = Stopwatch.StartNew();
        var killAfter = TimeSpan.FromSeconds(4);
        var streamFor = TimeSpan.FromSeconds(16);
        var victim = cluster.Silos[1];
        var victimPort = ports[1].Silo;
        var killedAt = TimeSpan.Zero;
        var declaredDeadAt = TimeSpan.Zero;
        var failures = 0;
        var today = ReadinessRules.TodayInJapan(DateTimeOffset.UtcNow);

        async Task SendAsync(string code, Ledger ledger)
        {
            var k = ledger.Next;
            var request = Request(code, k, items, today);
            var started = clock.Elapsed;
            try
            {
                var outcome = await cluster.Calls.Run(() => cluster.Grains.GetGrain<IMunicipalityGrain>(code).ApplyAsync(request), idempotent: true);
                Assert.True(outcome.Succeeded, $"{request.RequestId}: {outcome.Status}");
                ledger.Acknowledge(k, outcome.Status, started, clock.Elapsed);
            }
            catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
            {
                // Not acknowledged: the same request (same RequestId) is sent again in the next round.
                Interlocked.Increment(ref failures);
                ledger.Fail(started, clock.Elapsed);
            }
        }

        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var mine = codes.Where((_, i) => i % 8 == w).ToList();
            while (clock.Elapsed < streamFor)
            {
                foreach (var code in mine)
                {
                    // Recent changes keep a bounded number of entries: stay within them, so every update can be checked.
                    if (ledgers[code].Acknowledged.Count < MunicipalityGrainState.RememberedChanges - 5)
                    {
                        await SendAsync(code, ledgers[code]);
                    }
                }
            }
        })).ToList();
        var killer = Task.Run(async () =>
        {
            await Task.Delay(killAfter);
            killedAt = clock.Elapsed;
            victim.KillHard();
            declaredDeadAt = await WaitUntilDeclaredDeadAsync(db, victimPort, clock);
        });
        await Task.WhenAll([.. workers, killer]);

        // Whatever was still unacknowledged is sent again with its RequestId until it is; nothing is left in doubt.
        foreach (var (code, ledger) in ledgers.Where(l => l.Value.Pending))
        {
            await SendAsync(code, ledger);
            Assert.False(ledger.Pending, $"{code}: update {ledger.Next} still not acknowledged");
        }

        // Every acknowledged update is there exactly once, in order.
        var acknowledged = ledgers.Values.Sum(l => l.Acknowledged.Count);
        var found = 0;
        var replayed = ledgers.Values.Sum(l => l.Acknowledged.Count(a => a.Status == ChangeStatus.Replayed));
        foreach (var code in codes)
        {
            var grain = cluster.Grains.GetGrain<IMunicipalityGrain>(code);
            var record = await cluster.Calls.Run(() => grain.GetAsync(), idempotent: true);
            var recent = await cluster.Calls.Run(() => grain.GetRecentChangesAsync(), idempotent: true);
            var ledger = ledgers[code];
            var mine = recent.Where(e => e.RequestId.StartsWith($"kill-{code}-", StringComparison.Ordinal)).ToList();
            found += mine.Count;
            Assert.Equal(initial[code] + ledger.Acknowledged.Count, record.Version);
            Assert.Equal(ledger.Acknowledged.Select(a => $"kill-{code}-{a.K}").Order(StringComparer.Ordinal), mine.Select(e => e.RequestId).Order(StringComparer.Ordinal));
            Assert.Equal(Enumerable.Range(1, ledger.Acknowledged.Count).Select(v => initial[code] + v), mine.Select(e => e.Version).Order());
            var last = ledger.Acknowledged.Count - 1;
            if (last >= 0)
            {
                Assert.Equal($"failover test update {last}", record.Security.Single(s => s.ItemId == items[last % items.Length]).Evidence);
            }
        }

        // Sending an acknowledged request again (a client retry after a lost answer) changes nothing.
        foreach (var code in codes.Take(20))
        {
            var last = ledgers[code].Acknowledged.Count - 1;
            var outcome = await cluster.Calls.Run(() => cluster.Grains.GetGrain<IMunicipalityGrain>(code).ApplyAsync(Request(code, last, items, today)), idempotent: true);
            Assert.Equal(ChangeStatus.Replayed, outcome.Status);
            Assert.Equal(initial[code] + ledgers[code].Acknowledged.Count, outcome.Record.Version);
        }

        // The aggregates equal a recomputation from every municipality, without the test asking for a reconciliation:
        // the silos heal lost pushes themselves (a deep reconciliation when a silo dies).
        var converged = await Recomputation.ConvergeAsync(cluster.Grains, cluster.Calls, TimeSpan.FromSeconds(60));
        var records = await Recomputation.ReadAllAsync(cluster.Grains, cluster.Calls);
        var versionSum = records.Values.Sum(r => r.Version);
        var nationJson = await LocalCluster.NationAsync(web.BaseAddress, n => n.GetProperty("version").GetInt64() == versionSum, TimeSpan.FromSeconds(15));
        Assert.Equal(versionSum, nationJson.GetProperty("version").GetInt64());

        var after = ledgers.Values.SelectMany(l => l.Attempts).Where(a => a.Started >= killedAt).ToList();
        var hit = ledgers.Where(l => l.Value.Attempts.Any(a => a.Started >= killedAt - TimeSpan.FromSeconds(1) && a.Started <= killedAt + TimeSpan.FromSeconds(5)
                                                              && (!a.Succeeded || a.Finished - a.Started > TimeSpan.FromSeconds(1)))).ToList();
        var servedAgain = hit.Count == 0 ? TimeSpan.Zero : hit.Max(l => RecoveredAt(l.Value, killedAt)) - killedAt;
        var latencies = after.Where(a => a.Succeeded).Select(a => (a.Finished - a.Started).TotalMilliseconds).Order().ToList();
        output.WriteLine($"Stream: {codes.Count} municipalities, 8 writers, {streamFor.TotalSeconds:F0} s; silo {victim.Name} (pid {victim.Pid}) killed with SIGKILL at {killedAt.TotalSeconds:F2} s");
        output.WriteLine($"Declared dead in the membership table {(declaredDeadAt - killedAt).TotalSeconds:F2} s after the kill");
        output.WriteLine($"Municipalities whose calls failed or stalled (>1 s) around the kill: {hit.Count}; all served again {servedAgain.TotalSeconds:F2} s after the kill");
        output.WriteLine($"Calls after the kill: p50 {Percentile(latencies, 0.5):F0} ms, p99 {Percentile(latencies, 0.99):F0} ms, max {latencies.LastOrDefault():F0} ms; attempts that failed after all retries: {failures}");
        output.WriteLine($"Updates acknowledged: {acknowledged} (of which answered Replayed on a retry: {replayed}); found in the municipalities: {found}; applied twice: 0");
        output.WriteLine($"Aggregates equal the recomputation {converged.TotalSeconds:F1} s after the stream ended; test time {total.Elapsed.TotalSeconds:F0} s");
        Assert.Equal(acknowledged, found);
        Assert.True(acknowledged > codes.Count, $"only {acknowledged} updates were acknowledged");
        Assert.True(declaredDeadAt > killedAt, "the killed silo was never declared dead");
        // The client saw its connection to the killed silo's gateway close, which attempts calls in flight again at once.
        Assert.True(cluster.Gateways.Losses >= 1, "the client was never told that a gateway connection closed");
    }

    private static ChangeRequest Request(string code, int k, string[] items, DateOnly today) => new()
    {
        RequestId = $"kill-{code}-{k}",
        Actor = new Actor("failover-test", Role.Municipality, code),
        Security =
        [
            new SecurityChange
            {
                ItemId = items[k % items.Length],
                Status = Statuses[k % Statuses.Length],
                Evidence = $"failover test update {k}",
                LastReviewed = today.AddDays(-1),
            },
        ],
    };

    private static async Task<TimeSpan> WaitUntilDeclaredDeadAsync(string db, int siloPort, Stopwatch clock)
    {
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM orleans_membership WHERE port = @port AND status = 6", connection);
        command.Parameters.AddWithValue("port", siloPort);
        var deadline = clock.Elapsed + TimeSpan.FromSeconds(60);
        while (clock.Elapsed < deadline)
        {
            if (Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture) > 0)
            {
                return clock.Elapsed;
            }

            await Task.Delay(50);
        }

        return TimeSpan.Zero;
    }

    /// <summary>When a municipality hit by the kill was written promptly again: its first quick success after its last failed or stalled attempt.</summary>
    private static TimeSpan RecoveredAt(Ledger ledger, TimeSpan killedAt)
    {
        static bool Bad(Attempt a) => !a.Succeeded || a.Finished - a.Started > TimeSpan.FromSeconds(1);
        var lastBad = ledger.Attempts.Last(a => a.Started >= killedAt - TimeSpan.FromSeconds(1) && Bad(a));
        return ledger.Attempts.FirstOrDefault(a => a.Started >= lastBad.Finished && !Bad(a))?.Finished ?? lastBad.Finished;
    }

    private static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private sealed record Attempt(TimeSpan Started, TimeSpan Finished, bool Succeeded);

    private sealed record Ack(int K, ChangeStatus Status);

    /// <summary>One municipality's requests: sent strictly one after the other, each acknowledged before the next.</summary>
    private sealed class Ledger
    {
        public List<Ack> Acknowledged { get; } = [];

        public List<Attempt> Attempts { get; } = [];

        public int Next => Acknowledged.Count;

        public bool Pending { get; private set; }

        public void Acknowledge(int k, ChangeStatus status, TimeSpan started, TimeSpan finished)
        {
            Acknowledged.Add(new Ack(k, status));
            Attempts.Add(new Attempt(started, finished, true));
            Pending = false;
        }

        public void Fail(TimeSpan started, TimeSpan finished)
        {
            Attempts.Add(new Attempt(started, finished, false));
            Pending = true;
        }
    }
}
