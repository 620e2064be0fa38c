using Orleans.Storage;

namespace Readiness.Hosting;

/// <summary>
/// One SQLite writer at a time, queued without blocking threads. SQLite admits a single writer; when several connections
/// try at once, Microsoft.Data.Sqlite waits for the lock by sleeping on the calling thread and retrying, so a burst of
/// concurrent writes parks thread-pool threads that Orleans and Kestrel need, and every request (reads too) stalls for
/// seconds. Waiting here instead is asynchronous. Durability is unchanged: each write still commits (and syncs) before
/// it returns. PostgreSQL takes concurrent writers and does not use the gate.
/// When the write holding the turn fails because SQLite's lock is held by another process (SQLITE_BUSY after the lock
/// timeout, Readiness:StorageLockTimeout), every write waiting behind it fails at once with
/// <see cref="StorageUnavailableException"/>: callers answer 503 with Retry-After instead of each waiting its own lock
/// timeout in turn while the queue grows. Ordinary queueing (a burst of thousands of writes) is never cut short.
/// There is one gate per database file in the process (<see cref="For(IStorageConnection)"/>), because SQLite's lock is
/// per file: two hosts in one process on the same file (two silos of a test cluster, a web host beside a silo) with a
/// gate each would meet at SQLite's lock instead, where a writer that keeps taking the lock can starve the other past
/// the lock timeout.
/// </summary>
public sealed class SqliteWriteGate
{
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, SqliteWriteGate> ByFile =
        new(OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);

    private readonly SemaphoreSlim gate = new(1, 1);
    private CancellationTokenSource waiting = new();

    /// <summary>
    /// The process's gate for <paramref name="storage"/>'s database file (by full path); a gate of its own, never used,
    /// for PostgreSQL, which takes concurrent writers.
    /// </summary>
    public static SqliteWriteGate For(IStorageConnection storage) =>
        storage is SqliteStorage sqlite ? ByFile.GetOrAdd(Path.GetFullPath(sqlite.Location), static _ => new SqliteWriteGate()) : new SqliteWriteGate();

    public async Task<T> RunAsync<T>(Func<Task<T>> write, CancellationToken cancellationToken = default)
    {
        var busy = Volatile.Read(ref waiting).Token;
        using var linked = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, busy) : null;
        try
        {
            await gate.WaitAsync(linked?.Token ?? busy);
        }
        catch (OperationCanceledException) when (busy.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new StorageUnavailableException("The database is locked (by another process); the write ahead of this one gave up waiting for it.");
        }

        try
        {
            return await write();
        }
        catch (Exception ex) when (IsLockTimeout(ex))
        {
            ReleaseWaiters();
            throw;
        }
        finally
        {
            gate.Release();
        }
    }

    private static bool IsLockTimeout(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: SqliteBusy or SqliteLocked })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Fails everyone waiting now; later arrivals wait on a fresh token (and try the lock themselves).</summary>
    private void ReleaseWaiters()
    {
        // Not disposed: a waiter may still be reading its token; a CancellationTokenSource without a timer holds nothing.
        var old = Interlocked.Exchange(ref waiting, new CancellationTokenSource());
        old.Cancel();
    }

    public Task RunAsync(Func<Task> write, CancellationToken cancellationToken = default) =>
        RunAsync(async () =>
        {
            await write();
            return true;
        }, cancellationToken);
}
