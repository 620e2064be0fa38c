using Orleans.Storage;

namespace Readiness.Hosting;

/// <summary>
/// One SQLite writer at a time, queued without blocking threads. SQLite admits a single writer; when several connections
/// try at once, Microsoft.Data.Sqlite waits for the lock by sleeping on the calling thread and retrying, so a burst of
/// concurrent writes parks thread-pool threads that Orleans and Kestrel need, and every request (reads too) stalls for
/// seconds. Waiting here instead is asynchronous. Durability is unchanged: each write still commits (and syncs) before
/// it returns. PostgreSQL takes concurrent writers and does not use the gate.
/// </summary>
/// A write that cannot get its turn within the lock timeout (another process holds SQLite's lock, so the writer ahead
/// of it is stuck) fails with <see cref="StorageUnavailableException"/>: the caller answers 503 with Retry-After instead
/// of holding the request while the queue grows.
public sealed class SqliteWriteGate(TimeSpan waitLimit)
{
    private readonly SemaphoreSlim gate = new(1, 1);

    public SqliteWriteGate()
        : this(TimeSpan.FromSeconds(30))
    {
    }

    public async Task<T> RunAsync<T>(Func<Task<T>> write, CancellationToken cancellationToken = default)
    {
        if (!await gate.WaitAsync(waitLimit, cancellationToken))
        {
            throw new StorageUnavailableException($"The database is busy: no turn to write within {waitLimit.TotalSeconds:0.#} s (another process may hold its lock).");
        }

        try
        {
            return await write();
        }
        finally
        {
            gate.Release();
        }
    }

    public Task RunAsync(Func<Task> write, CancellationToken cancellationToken = default) =>
        RunAsync(async () =>
        {
            await write();
            return true;
        }, cancellationToken);
}

/// <summary>
/// The ADO.NET grain storage as every silo uses it: driver exceptions become <see cref="StorageUnavailableException"/>
/// (which Orleans can carry back to the caller), and on SQLite writes pass through the <see cref="SqliteWriteGate"/>;
/// reads go straight through (WAL readers never wait for the writer).
/// </summary>
internal sealed class ReadinessGrainStorage(IGrainStorage inner, SqliteWriteGate? gate, StorageWriteMonitor? monitor) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Guard(() => inner.ReadStateAsync(stateName, grainId, grainState));

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Monitored(() => Guard(() => gate is null ? inner.WriteStateAsync(stateName, grainId, grainState) : gate.RunAsync(() => inner.WriteStateAsync(stateName, grainId, grainState))));

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Guard(() => gate is null ? inner.ClearStateAsync(stateName, grainId, grainState) : gate.RunAsync(() => inner.ClearStateAsync(stateName, grainId, grainState)));

    public void Participate(ISiloLifecycle observer) => (inner as ILifecycleParticipant<ISiloLifecycle>)?.Participate(observer);

    private async Task Monitored(Func<Task> write)
    {
        try
        {
            await write();
            monitor?.RecordSuccess();
        }
        catch (StorageUnavailableException ex)
        {
            monitor?.RecordFailure(ex);
            throw;
        }
    }

    private static async Task Guard(Func<Task> operation)
    {
        try
        {
            await operation();
        }
        catch (System.Data.Common.DbException ex)
        {
            throw StorageUnavailableException.From(ex);
        }
    }
}
