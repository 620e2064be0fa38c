using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace Readiness.WriteCeiling;

/// <summary>One accepted change: the municipality's new state and its audit row.</summary>
public sealed record LogEntry(string Code, long Version, byte[] State, string Item, string? Before, string After, string RequestId, string Subject, DateTimeOffset At);

/// <summary>
/// Every waiting change's state row and audit row in one SQLite transaction (WAL, synchronous=FULL: the commit is an
/// fsync), one writer; each change's task completes when its transaction is committed.
/// </summary>
public sealed class GroupCommitLog : IDisposable
{
    private readonly Channel<(LogEntry Entry, TaskCompletionSource Done)> queue =
        Channel.CreateUnbounded<(LogEntry, TaskCompletionSource)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SqliteConnection connection;
    private readonly Task loop;
    private long auditRows;

    public GroupCommitLog(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using (var setup = connection.CreateCommand())
        {
            setup.CommandText = """
                PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
                CREATE TABLE IF NOT EXISTS state (code TEXT PRIMARY KEY, version INTEGER NOT NULL, payload BLOB NOT NULL);
                CREATE TABLE IF NOT EXISTS audit (code TEXT NOT NULL, version INTEGER NOT NULL, item TEXT NOT NULL, before_value TEXT,
                    after_value TEXT NOT NULL, request_id TEXT NOT NULL, subject TEXT NOT NULL, at_utc TEXT NOT NULL, PRIMARY KEY (code, version));
                """;
            setup.ExecuteNonQuery();
        }

        loop = Task.Run(WriteLoopAsync);
    }

    public long AuditRows() => Interlocked.Read(ref auditRows);

    public Task WriteAsync(LogEntry entry)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!queue.Writer.TryWrite((entry, done)))
        {
            done.SetException(new InvalidOperationException("The log is closed."));
        }

        return done.Task;
    }

    private async Task WriteLoopAsync()
    {
        using var state = connection.CreateCommand();
        state.CommandText = "INSERT INTO state (code, version, payload) VALUES ($code, $version, $payload) ON CONFLICT (code) DO UPDATE SET version = excluded.version, payload = excluded.payload";
        var sCode = state.Parameters.Add("$code", SqliteType.Text);
        var sVersion = state.Parameters.Add("$version", SqliteType.Integer);
        var sPayload = state.Parameters.Add("$payload", SqliteType.Blob);
        using var audit = connection.CreateCommand();
        audit.CommandText = "INSERT INTO audit VALUES ($code, $version, $item, $before, $after, $request, $subject, $at)";
        var aCode = audit.Parameters.Add("$code", SqliteType.Text);
        var aVersion = audit.Parameters.Add("$version", SqliteType.Integer);
        var aItem = audit.Parameters.Add("$item", SqliteType.Text);
        var aBefore = audit.Parameters.Add("$before", SqliteType.Text);
        var aAfter = audit.Parameters.Add("$after", SqliteType.Text);
        var aRequest = audit.Parameters.Add("$request", SqliteType.Text);
        var aSubject = audit.Parameters.Add("$subject", SqliteType.Text);
        var aAt = audit.Parameters.Add("$at", SqliteType.Text);
        var batch = new List<(LogEntry Entry, TaskCompletionSource Done)>();
        while (await queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < 2000 && queue.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }

            try
            {
                using var transaction = connection.BeginTransaction();
                state.Transaction = transaction;
                audit.Transaction = transaction;
                foreach (var (e, _) in batch)
                {
                    (sCode.Value, sVersion.Value, sPayload.Value) = (e.Code, e.Version, e.State);
                    state.ExecuteNonQuery();
                    (aCode.Value, aVersion.Value, aItem.Value, aBefore.Value, aAfter.Value) = (e.Code, e.Version, e.Item, (object?)e.Before ?? DBNull.Value, e.After);
                    (aRequest.Value, aSubject.Value, aAt.Value) = (e.RequestId, e.Subject, e.At.UtcDateTime.ToString("O"));
                    audit.ExecuteNonQuery();
                }

                transaction.Commit();
                Interlocked.Add(ref auditRows, batch.Count);
                batch.ForEach(b => b.Done.SetResult());
            }
            catch (Exception ex)
            {
                batch.ForEach(b => b.Done.TrySetException(ex));
            }

            batch.Clear();
        }
    }

    public void Dispose()
    {
        queue.Writer.TryComplete();
        loop.GetAwaiter().GetResult();
        connection.Dispose();
    }
}
