using System.Diagnostics;
using System.Globalization;
using System.Net;
using Npgsql;
using Xunit.Abstractions;
using Readiness.Testing;

namespace Readiness.ClusterTests;

/// <summary>
/// <see cref="Hosting.SiloExitDetector"/> with real processes: a silo whose process is killed is declared dead from its
/// refused port, long before probes could; a silo that leaves on purpose is not declared dead by anyone else.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class SiloExitTests(PostgresServer postgres, ITestOutputHelper output)
{
    private const int Active = 3;
    private const int Dead = 6;
    private const string Declaring = "refuses connections on its silo port";

    [Fact]
    public async Task A_killed_silo_is_declared_dead_from_its_refused_port_and_one_that_leaves_gracefully_is_not()
    {
        var db = await postgres.CreateDatabaseAsync("exit");
        await using var cluster = new LocalCluster(db, "exit");
        // Probes as usual (every second at most: they keep a connection open to every silo) but so patient (30 missed
        // to vote) that only the detector can declare the killed silo dead within the wait below.
        var slowProbes = new Dictionary<string, string> { ["Readiness__Membership__NumMissedProbesLimit"] = "30" };
        var ports = Enumerable.Range(0, 3).Select(_ => SiloPorts.Free()).ToList();
        foreach (var p in ports)
        {
            cluster.StartSilo(p, warmUp: false, slowProbes);
        }

        foreach (var (silo, p) in cluster.Silos.Zip(ports))
        {
            await LocalCluster.WaitForStatusAsync(new Uri($"http://127.0.0.1:{p.Http}/health/live"), HttpStatusCode.OK, TimeSpan.FromMinutes(2), silo);
        }

        await WaitForStatusAsync(db, ports.Select(p => p.Silo), Active, TimeSpan.FromMinutes(1));
        var (survivor, victim, leaver) = (cluster.Silos[0], cluster.Silos[1], cluster.Silos[2]);

        // Leaving on purpose: the silo records its own end, exits 0, and no other silo declares it dead.
        await leaver.StopAsync(TimeSpan.FromSeconds(30));
        Assert.True(leaver.HasExited);
        Assert.True(leaver.ExitCode == 0, $"the silo stopped with SIGTERM exited {leaver.ExitCode}:\n{leaver.Tail()}");
        await WaitForStatusAsync(db, [ports[2].Silo], Dead, TimeSpan.FromSeconds(10));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(survivor.Wrote(Declaring), survivor.Tail());
        Assert.False(victim.Wrote(Declaring), victim.Tail());

        // The leave made the others check once or so; their checks' own connections set off no further checks.
        var checksAfterLeave = await ExitChecksAsync(ports[0].Http) + await ExitChecksAsync(ports[1].Http);
        Assert.True(checksAfterLeave >= 1, "no silo checked the others when a connection closed");
        await Task.Delay(TimeSpan.FromSeconds(3));
        output.WriteLine($"Checks after the leave: {checksAfterLeave}; 3 s later: {await ExitChecksAsync(ports[0].Http) + await ExitChecksAsync(ports[1].Http)}");
        Assert.Equal(checksAfterLeave, await ExitChecksAsync(ports[0].Http) + await ExitChecksAsync(ports[1].Http));

        var clock = Stopwatch.StartNew();
        victim.KillHard();
        TimeSpan declared;
        try
        {
            declared = await WaitForStatusAsync(db, [ports[1].Silo], Dead, TimeSpan.FromSeconds(8));
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\n--- survivor:\n{survivor.Tail(40)}", ex);
        }

        output.WriteLine($"The killed silo was declared dead {declared.TotalSeconds:F2} s after the kill (probes: 30 missed to vote)");
        Assert.True(survivor.Wrote(Declaring), $"the survivor never declared the killed silo dead from its port:\n{survivor.Tail()}");
        Assert.Contains(survivor.Tail(100000).Split('\n'), l => l.Contains(Declaring, StringComparison.Ordinal)
            && l.Contains($":{ports[1].Silo.ToString(CultureInfo.InvariantCulture)}:", StringComparison.Ordinal));
        // Each log entry of a node carries its UTC time, so that a failover can be read as a timeline across the nodes
        // (appsettings.json: the simple console formatter's timestamp).
        Assert.Contains(survivor.Tail(100000).Split('\n'), l => System.Text.RegularExpressions.Regex.IsMatch(l,
            @"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z warn: Readiness\.Hosting\.SiloExitDetector"));
        Assert.False(survivor.HasExited, survivor.Tail());
        await LocalCluster.WaitForStatusAsync(new Uri($"http://127.0.0.1:{ports[0].Http}/health/live"), HttpStatusCode.OK, TimeSpan.FromSeconds(10), survivor);
    }

    /// <summary>readiness_membership_exit_checks_total on the silo's /metrics (0 before the first).</summary>
    private static async Task<double> ExitChecksAsync(int httpPort)
    {
        var text = await LocalCluster.Http.GetStringAsync(new Uri($"http://127.0.0.1:{httpPort}/metrics"));
        // name{labels} value [timestamp]
        return text.Split('\n')
            .Select(l => System.Text.RegularExpressions.Regex.Match(l, @"^readiness_membership_exit_checks_total(\{[^}]*\})? (\S+)"))
            .Where(m => m.Success)
            .Sum(m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    /// <summary>Waits until every silo on <paramref name="siloPorts"/> has <paramref name="status"/> in the membership table; how long that took.</summary>
    private static async Task<TimeSpan> WaitForStatusAsync(string db, IEnumerable<int> siloPorts, int status, TimeSpan timeout)
    {
        var wanted = siloPorts.ToArray();
        var clock = Stopwatch.StartNew();
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(DISTINCT port) FROM orleans_membership WHERE port = ANY(@ports) AND status = @status", connection);
        command.Parameters.AddWithValue("ports", wanted);
        command.Parameters.AddWithValue("status", status);
        while (clock.Elapsed < timeout)
        {
            if (Convert.ToInt32(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture) == wanted.Length)
            {
                return clock.Elapsed;
            }

            await Task.Delay(25);
        }

        throw new TimeoutException($"silos on ports {string.Join(", ", wanted)} did not reach status {status} in the membership table within {timeout}");
    }
}
