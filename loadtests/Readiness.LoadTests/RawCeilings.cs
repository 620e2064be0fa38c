using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Readiness.LoadTests;

/// <summary>
/// What the same machine does without the product, measured in the same run as the product's figures so the two are
/// read side by side (issue 14): the host's trivial endpoint over HTTP, the product's request path without a write (a
/// conditional read answered 304 after the token, the rate limiter and one grain call), and durable SQLite commits on
/// the same disk as the server's data (WAL, synchronous=FULL as the embedded default: every commit is an fsync).
/// </summary>
public static class RawCeilings
{
    /// <summary>Measures and records the ceilings as figures of <paramref name="run"/>. Takes ~15 s.</summary>
    public static async Task MeasureAsync(LoadRun run, CancellationToken cancellationToken)
    {
        // Let the backlog of an overloaded last step drain first.
        await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
        Console.WriteLine("Raw ceilings: the trivial endpoint, a conditional read, then durable SQLite commits on the same disk");
        var serverCpu = run.ServerCpuTime();
        var allocated = await ServerMetrics.ReadAsync(run.Http, ServerMetrics.Allocated, cancellationToken);
        var trivial = await run.ClosedLoopReadsAsync("GET /health/live (raw ceiling)", "/health/live", authorized: false, 64, TimeSpan.FromSeconds(5), cancellationToken);

        // The product's own request path without a write: the bearer token, the rate limiter, routing, the
        // precondition and one in-process grain call answering from memory, then 304 with no body.
        var paths = Readiness.Catalog.ReadinessCatalog.Instance.Municipalities.Select(m => $"/api/v1/municipalities/{m.Code}").ToList();
        var read = await run.ClosedLoopNotModifiedAsync("GET municipality, If-None-Match: * (raw ceiling)", paths, 64, TimeSpan.FromSeconds(5), cancellationToken);
        run.ExcludedServerCpu += run.ServerCpuTime() - serverCpu;
        if (allocated is { } before && await ServerMetrics.ReadAsync(run.Http, ServerMetrics.Allocated, cancellationToken) is { } after)
        {
            run.ExcludedServerAllocation += after - before;
        }

        run.Figure("raw ceiling: trivial endpoint of the same host (GET /health/live, 64 callers, closed loop)", $"{trivial:N0} requests/s");
        run.Figure("raw ceiling: the product's request path without a write (GET municipality with If-None-Match: *, bearer token, one grain call, 304; 64 callers, closed loop)", $"{read:N0} requests/s");

        var folder = Path.Combine(Path.GetTempPath(), "readiness-raw-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var (single, grouped) = Commits(Path.Combine(folder, "raw.db"), TimeSpan.FromSeconds(2));
            run.Figure("raw ceiling: durable SQLite commits of one 1 KB row each (WAL, synchronous=FULL, one writer)", $"{single:N0} commits/s");
            run.Figure("raw ceiling: durable SQLite rows in transactions of 500 (1 KB each)", $"{grouped:N0} rows/s");
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static (double Single, double Grouped) Commits(string path, TimeSpan each)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        Execute(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE raw (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);");
        var payload = new byte[1024];
        Random.Shared.NextBytes(payload);

        double Run(int rowsPerCommit)
        {
            var clock = Stopwatch.StartNew();
            long rows = 0;
            while (clock.Elapsed < each)
            {
                using var transaction = connection.BeginTransaction();
                using var insert = connection.CreateCommand();
                insert.Transaction = transaction;
                insert.CommandText = "INSERT INTO raw (payload) VALUES ($p)";
                var p = insert.Parameters.Add("$p", SqliteType.Blob);
                for (var i = 0; i < rowsPerCommit; i++)
                {
                    p.Value = payload;
                    insert.ExecuteNonQuery();
                }

                transaction.Commit();
                rows += rowsPerCommit;
            }

            return rows / clock.Elapsed.TotalSeconds;
        }

        return (Run(1), Run(500));
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
