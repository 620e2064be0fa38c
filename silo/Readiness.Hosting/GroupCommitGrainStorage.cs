using System.Data;
using System.Data.Common;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Storage;
using Readiness.Grains;

namespace Readiness.Hosting;

/// <summary>
/// Grain storage that commits many grains' writes in one transaction (group commit), in the readiness_grain_state
/// table (Sql/sqlite/050-grain-state.sql, deploy/sql/postgresql/050-grain-state.sql).
/// </summary>
/// <remarks>
/// <para>
/// <see cref="WriteStateAsync{T}"/> serializes the state with the silo's <see cref="IGrainStorageSerializer"/>
/// (System.Text.Json; the municipality's state with <see cref="GrainStateJson"/>, which writes the same bytes and reads them back; on
/// SQLite a state of 1 KiB or more is stored compressed, <see cref="StatePayload"/>) and queues it; one writer loop per
/// silo takes every write waiting (at most <see cref="MaxWritesPerCommit"/>) into ONE transaction, commits it (one
/// fsync) and only then answers each caller, so an acknowledged write is durable. A lone write commits at once; under a
/// rush hundreds share a commit.
/// </para>
/// <para>
/// A state that is an <see cref="IAuditedGrainState"/> brings its change's audit entries and applied requests: they are
/// written to readiness_audit and readiness_applied_request in the same transaction, right after the state's row and
/// only if it applied, so a change is one durable commit (not one for the audit trail and one for the state) and is in
/// the trail exactly when it is stored.
/// </para>
/// <para>
/// Optimistic concurrency as Orleans expects: the ETag is the row's version; a write applies only when the stored
/// version equals the caller's ETag (a new row only when the caller has none and no row exists). Otherwise that caller
/// alone gets <see cref="InconsistentStateException"/>. When a statement of a group fails, each write of the group is
/// tried again in a transaction of its own, so one bad write fails nobody else (as <see cref="SqlAuditLog"/> does).
/// Driver failures reach callers as <see cref="StorageUnavailableException"/>.
/// </para>
/// <para>
/// Upgrade: a state not (yet) in the table is read from the Orleans ADO.NET table (OrleansStorage on SQLite,
/// orleans_grain_state on PostgreSQL) through the legacy
/// provider, with the ETag "legacy:{version}"; its first write here checks that the old row still has that version
/// and stores the state as version + 1 (a new row only if none exists). A first write (no ETag) checks that the old
/// table has no row either. The old table is only read from then on, so every silo of a cluster must run this provider
/// before any silo writes again.
/// </para>
/// <para>
/// It also reads many grains' states in one query without activating them (<see cref="IStoredGrainStates"/>), which
/// reconciliation uses for the municipalities.
/// </para>
/// <para>
/// SQLite: each commit takes its turn at <see cref="SqliteWriteGate"/> (shared with the audit trail), so a lock held by
/// another process still fails fast: when a group gives up on the lock, it and everything queued behind it fail at
/// once with <see cref="StorageUnavailableException"/> (503 with Retry-After) instead of each waiting the lock timeout.
/// </para>
/// </remarks>
public sealed class GroupCommitGrainStorage : IGrainStorage, IStoredGrainStates, ILifecycleParticipant<ISiloLifecycle>, IAsyncDisposable
{
    /// <summary>At most this many state writes go into one transaction.</summary>
    public const int MaxWritesPerCommit = 500;

    /// <summary>At most this many grains are named in one query of <see cref="ReadAsync{T}"/> (well under SQLite's and PostgreSQL's parameter limits).</summary>
    public const int MaxGrainsPerRead = 500;

    private const string Table = "readiness_grain_state";
    private const string LegacyPrefix = "legacy:";
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;

    private readonly IStorageConnection storage;
    private readonly IGrainStorage legacy;
    private readonly IGrainStorageSerializer serializer;
    private readonly string serviceId;
    private readonly SqliteWriteGate? gate;
    private readonly StorageWriteMonitor? monitor;
    private readonly Channel<PendingWrite> pending = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lazy<Task> writer;
    private Lazy<Task<bool>> legacyHasRows;
    private readonly Counter<long>? commitCounter;
    private readonly Histogram<long>? groupSize;
    private long commits;
    private long writesCommitted;
    private int largestGroup;

    /// <param name="storage">The database (SQLite file or PostgreSQL).</param>
    /// <param name="legacy">The Orleans ADO.NET provider over OrleansStorage, read for states written before the upgrade.</param>
    /// <param name="serializer">The silo's grain-storage serializer.</param>
    /// <param name="serviceId">Orleans' ClusterOptions.ServiceId: part of every row's key.</param>
    /// <param name="gate">The SQLite write gate; null on PostgreSQL.</param>
    /// <param name="monitor">Told of every commit and failure (the storage health check).</param>
    /// <param name="meters">Publishes readiness.storage.state_commits and readiness.storage.state_group_size.</param>
    public GroupCommitGrainStorage(IStorageConnection storage, IGrainStorage legacy, IGrainStorageSerializer serializer, string serviceId,
        SqliteWriteGate? gate = null, StorageWriteMonitor? monitor = null, IMeterFactory? meters = null)
    {
        this.storage = storage;
        this.legacy = legacy;
        this.serializer = serializer;
        this.serviceId = serviceId;
        this.gate = IsSqlite ? gate : null;
        this.monitor = monitor;
        var meter = meters?.Create(ReadinessMetrics.MeterName);
        commitCounter = meter?.CreateCounter<long>("readiness.storage.state_commits", description: "Transactions committed by the grain-state writer (each one fsync)");
        groupSize = meter?.CreateHistogram<long>("readiness.storage.state_group_size", unit: "{write}", description: "Grain-state writes committed together in one transaction");
        writer = new Lazy<Task>(() => Task.Run(WriteLoopAsync));
        legacyHasRows = new Lazy<Task<bool>>(LegacyHasRowsAsync);
    }

    /// <summary>Creates the provider as the silo registers it (keyed <see cref="ReadinessStorage.Name"/>).</summary>
    public static GroupCommitGrainStorage Create(IServiceProvider services, IStorageConnection storage, IGrainStorage legacy) =>
        new(storage, legacy, services.GetRequiredService<IGrainStorageSerializer>(), services.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId,
            services.GetService<SqliteWriteGate>(), services.GetService<StorageWriteMonitor>(), services.GetService<IMeterFactory>());

    /// <summary>Transactions committed so far (each one fsync), counting single retries.</summary>
    public long Commits => Interlocked.Read(ref commits);

    /// <summary>Writes (and clears) committed so far.</summary>
    public long WritesCommitted => Interlocked.Read(ref writesCommitted);

    /// <summary>The most writes committed in one transaction so far.</summary>
    public int LargestGroup => Volatile.Read(ref largestGroup);

    private bool IsSqlite => storage.Invariant == SiloHosting.SqliteInvariant;

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        Stored? row;
        try
        {
            row = await ReadRowAsync(stateName, grainId);
        }
        catch (DbException ex)
        {
            throw StorageUnavailableException.From(ex);
        }

        if (row is null)
        {
            if (!await LegacyMayHoldAsync())
            {
                grainState.ETag = null;
                grainState.RecordExists = false;
                grainState.State = Activator.CreateInstance<T>();
                return;
            }

            // Not written since the upgrade: the Orleans table may still hold it.
            try
            {
                await legacy.ReadStateAsync(stateName, grainId, grainState);
            }
            catch (DbException ex)
            {
                throw StorageUnavailableException.From(ex);
            }

            if (!string.IsNullOrWhiteSpace(grainState.ETag))
            {
                grainState.ETag = LegacyPrefix + grainState.ETag;
            }

            return;
        }

        grainState.ETag = row.Version.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = row.Payload is not null;
        try
        {
            grainState.State = row.Payload is null ? Activator.CreateInstance<T>() : Deserialize<T>(row.Payload)!;
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidDataException or NotSupportedException)
        {
            monitor?.RecordUnreadable($"{grainId}/{stateName}");
            // The reason as text: the inner exception (a JsonException, ...) need not cross an Orleans call.
            throw new UnreadableStateException($"{grainId}/{stateName}", ex.Message);
        }

        if (grainState.State is IAuditedGrainState { HoldsRecord: false })
        {
            // A row without its record ('{}', a null record, a cleared payload) is damaged, not new: seeding it again would
            // write versions its audit trail already holds, and the audit writer replaces rows at or above a new version.
            monitor?.RecordUnreadable($"{grainId}/{stateName}");
            throw new UnreadableStateException($"{grainId}/{stateName}", "The stored row holds no record.");
        }

        monitor?.RecordReadable($"{grainId}/{stateName}");
    }

    /// <inheritdoc/>
    /// <remarks>
    /// One query per <see cref="MaxGrainsPerRead"/> grains, by the table's primary key. A row that cannot be read is left
    /// out without a word: its grain's own read names it (<see cref="UnreadableStateException"/>) when it is asked.
    /// </remarks>
    public Task<IReadOnlyDictionary<GrainId, T>> ReadAsync<T>(string stateName, IReadOnlyList<GrainId> grainIds) =>
        // On the thread pool: Microsoft.Data.Sqlite's async methods run synchronously, and a prefecture's read of up to 179
        // states held its activation's scheduler thread for a second on a busy machine (Orleans warned of it).
        Task.Run(() => ReadStoredAsync<T>(stateName, grainIds));

    private async Task<IReadOnlyDictionary<GrainId, T>> ReadStoredAsync<T>(string stateName, IReadOnlyList<GrainId> grainIds)
    {
        var found = new Dictionary<GrainId, T>(grainIds.Count);
        var byKey = new Dictionary<string, GrainId>(grainIds.Count, StringComparer.Ordinal);
        foreach (var id in grainIds)
        {
            byKey.TryAdd(id.ToString(), id);
        }

        try
        {
            await using var connection = await storage.OpenAsync();
            foreach (var chunk in byKey.Keys.Chunk(MaxGrainsPerRead))
            {
                await using var query = Command(connection, null,
                    $"SELECT grain_id, payload FROM {Table} WHERE service_id = @service AND state_name = @state AND grain_id IN ({string.Join(", ", chunk.Select((_, i) => $"@g{i}"))})");
                Add(query, "@service", DbType.String, serviceId);
                Add(query, "@state", DbType.String, stateName);
                for (var i = 0; i < chunk.Length; i++)
                {
                    Add(query, $"@g{i}", DbType.String, chunk[i]);
                }

                await using var reader = await query.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    if (!byKey.TryGetValue(reader.GetString(0), out var id))
                    {
                        continue;
                    }

                    try
                    {
                        if (StatePayload.ReadJson(reader.GetValue(1)) is { } json && Deserialize<T>(json) is { } state
                            && state is not IAuditedGrainState { HoldsRecord: false })
                        {
                            found[id] = state;
                        }
                    }
                    catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidDataException or NotSupportedException)
                    {
                        // Left to the grain: its own read refuses the row and names it.
                    }
                }
            }
        }
        catch (DbException ex)
        {
            throw StorageUnavailableException.From(ex);
        }

        return found;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        // Serialized now, on the grain's turn: the queued bytes are the state as it was when the grain asked.
        // The serializer's UTF-8 bytes go to the database as they are (the SQL makes them text): no UTF-16 copy of a
        // 5 KB state and no second UTF-8 copy when it is bound, on every change (allocation profile, issue 14).
        // The municipality's state, written on every change, goes through generated code (GrainStateJson: the same
        // bytes) into a pooled array, given back once the write is answered (committed or failed).
        // SQLite stores a state of a page or more compressed (StatePayload), made here on the caller's turn too.
        using var pooled = GrainStateJson.TrySerialize(grainState.State);
        var json = pooled?.Memory ?? serializer.Serialize(grainState.State).ToMemory();
        using var compressed = IsSqlite ? StatePayload.Compress(json.Span) : null;
        var payload = new Payload(compressed?.Memory ?? json, Compressed: compressed is not null);
        using var audit = AuditOf(grainState.State); // its pooled JSON too, given back once the write is answered
        var version = await EnqueueAsync<T>(stateName, grainId, grainState.ETag, payload, audit);
        grainState.ETag = version;
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (grainState.RecordExists || !string.IsNullOrWhiteSpace(grainState.ETag))
        {
            grainState.ETag = await EnqueueAsync<T>(stateName, grainId, grainState.ETag, null, null);
        }

        grainState.RecordExists = false;
        grainState.State = Activator.CreateInstance<T>();
    }

    public void Participate(ISiloLifecycle observer) => (legacy as ILifecycleParticipant<ISiloLifecycle>)?.Participate(observer);

    /// <summary>Stops taking writes; those already queued are still committed.</summary>
    public async ValueTask DisposeAsync()
    {
        pending.Writer.TryComplete();
        if (writer.IsValueCreated)
        {
            await writer.Value;
        }
    }

    private async Task<string> EnqueueAsync<T>(string stateName, GrainId grainId, string? etag, Payload? payload, PreparedAudit? audit)
    {
        long? expected = null;
        var insert = true;
        if (!string.IsNullOrWhiteSpace(etag))
        {
            var moving = etag.StartsWith(LegacyPrefix, StringComparison.Ordinal);
            if (!long.TryParse(moving ? etag[LegacyPrefix.Length..] : etag, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                throw new InconsistentStateException($"ETag '{etag}' of {grainId}/{stateName} is not a version of this storage.", "(unknown)", etag);
            }

            expected = parsed;
            insert = moving;
        }

        if (insert && await LegacyMayHoldAsync())
        {
            // A new row here: the old table must agree (no row for a first write; the version read for a moving one).
            // Once per grain; the old table is no longer written, so what it says now holds at commit.
            var old = new GrainState<T>();
            try
            {
                await legacy.ReadStateAsync(stateName, grainId, old);
            }
            catch (DbException ex)
            {
                throw StorageUnavailableException.From(ex);
            }

            var oldVersion = string.IsNullOrWhiteSpace(old.ETag) ? null : old.ETag;
            var expectedOld = expected?.ToString(CultureInfo.InvariantCulture);
            if (!string.Equals(oldVersion, expectedOld, StringComparison.Ordinal))
            {
                throw new InconsistentStateException(
                    $"Version conflict writing {grainId}/{stateName}: the Orleans table holds version {oldVersion ?? "(none)"}, the grain's ETag is {etag ?? "(none)"}.",
                    oldVersion is null ? "(none)" : LegacyPrefix + oldVersion, etag ?? "(none)");
            }
        }

        var write = new PendingWrite(stateName, grainId.ToString(), expected, insert, payload, etag, audit);
        if (!pending.Writer.TryWrite(write))
        {
            throw new StorageUnavailableException("The grain storage is shutting down; the state was not written.");
        }

        _ = writer.Value;
        return await write.Committed.Task;
    }

    /// <summary>What a state asks to record with its write (<see cref="IAuditedGrainState"/>), prepared on the caller's turn.</summary>
    private PreparedAudit? AuditOf<T>(T state) =>
        state is IAuditedGrainState { Audit: { } audit } ? PreparedAudit.Of(audit, IsSqlite) : null;

    /// <summary>
    /// False when the Orleans table was empty at the first look: a data folder or database created with this provider
    /// (nothing writes that table any more), so first writes need not ask it.
    /// </summary>
    private async Task<bool> LegacyMayHoldAsync()
    {
        var asked = Volatile.Read(ref legacyHasRows);
        try
        {
            return await asked.Value;
        }
        catch (DbException ex)
        {
            // Not remembered: the next write asks again.
            Interlocked.CompareExchange(ref legacyHasRows, new Lazy<Task<bool>>(LegacyHasRowsAsync), asked);
            throw StorageUnavailableException.From(ex);
        }
    }

    private async Task<bool> LegacyHasRowsAsync()
    {
        await using var connection = await storage.OpenAsync();
        // The Orleans provider's table: OrleansStorage (Sql/sqlite/001), orleans_grain_state (deploy/sql/postgresql/002).
        await using var query = Command(connection, null, $"SELECT 1 FROM {(IsSqlite ? "OrleansStorage" : "orleans_grain_state")} LIMIT 1");
        return await query.ExecuteScalarAsync() is not null and not DBNull;
    }

    private async Task WriteLoopAsync()
    {
        var group = new List<PendingWrite>();
        PendingWrite? carried = null;
        // PostgreSQL: a transaction's audit positions (identity values) may commit after later ones; the notification
        // dispatcher re-reads a bounded window behind its position, so a transaction must not hold more rows than that.
        var auditRowCap = IsSqlite ? int.MaxValue : AuditRowWriter.MaxRowsPerPostgresTransaction;
        while (carried is not null || await pending.Reader.WaitToReadAsync())
        {
            var auditRows = 0;
            if (carried is not null)
            {
                group.Add(carried);
                auditRows = carried.AuditRows;
                carried = null;
            }

            while (group.Count < MaxWritesPerCommit && pending.Reader.TryRead(out var write))
            {
                if (group.Count > 0 && auditRows + write.AuditRows > auditRowCap)
                {
                    carried = write;
                    break;
                }

                group.Add(write);
                auditRows += write.AuditRows;
            }

            try
            {
                await CommitAsync(group);
            }
            catch (Exception ex)
            {
                // CommitAsync answers every caller itself; this is only a last guard so that the loop never dies.
                group.ForEach(w => w.Committed.TrySetException(StorageUnavailableException.From(ex)));
            }

            group.Clear();
        }
    }

    private async Task CommitAsync(List<PendingWrite> group)
    {
        // A fixed order (by key) keeps two silos' groups from locking the same rows in opposite orders (PostgreSQL).
        group.Sort(static (a, b) => string.CompareOrdinal(a.GrainId, b.GrainId) is var c and not 0 ? c : string.CompareOrdinal(a.StateName, b.StateName));
        var started = false;
        try
        {
            var outcomes = await WriteGatedAsync(group, () => started = true);
            Committed(group.Count);
            Answer(group, outcomes);
        }
        catch (Exception ex) when (group.Count > 1 && started && !IsLockTimeout(ex))
        {
            // A statement failed: one write must not fail the others, so each is written on its own and each caller
            // learns its own outcome. (When the database could not be reached or its lock was held elsewhere, all fail
            // at once below instead of trying again write by write.)
            foreach (var write in group)
            {
                try
                {
                    var outcome = await WriteGatedAsync([write], static () => { });
                    Committed(1);
                    Answer([write], outcome);
                }
                catch (Exception single)
                {
                    monitor?.RecordFailure(single);
                    write.Committed.TrySetException(AsStorageFailure(single));
                }
            }
        }
        catch (Exception ex)
        {
            monitor?.RecordFailure(ex);
            var failure = AsStorageFailure(ex);
            group.ForEach(w => w.Committed.TrySetException(failure));
            if (IsLockTimeout(ex))
            {
                // Like SqliteWriteGate: everyone queued now would wait the same lock timeout in turn; answer them now.
                while (pending.Reader.TryRead(out var waiting))
                {
                    waiting.Committed.TrySetException(new StorageUnavailableException("The database is locked (by another process); the write ahead of this one gave up waiting for it."));
                }
            }
        }
    }

    private void Committed(int writes)
    {
        Interlocked.Increment(ref commits);
        Interlocked.Add(ref writesCommitted, writes);
        for (var seen = Volatile.Read(ref largestGroup); writes > seen; seen = Volatile.Read(ref largestGroup))
        {
            if (Interlocked.CompareExchange(ref largestGroup, writes, seen) == seen)
            {
                break;
            }
        }

        commitCounter?.Add(1);
        groupSize?.Record(writes);
        monitor?.RecordSuccess();
    }

    private static void Answer(IReadOnlyList<PendingWrite> group, long?[] outcomes)
    {
        for (var i = 0; i < group.Count; i++)
        {
            var write = group[i];
            if (outcomes[i] is null)
            {
                write.Committed.TrySetResult(write.NewVersion.ToString(CultureInfo.InvariantCulture));
            }
            else
            {
                var stored = outcomes[i] is { } v and >= 0 ? v.ToString(CultureInfo.InvariantCulture) : "(none)";
                var current = write.ETag ?? "(none)";
                write.Committed.TrySetException(new InconsistentStateException(
                    $"Version conflict writing {write.GrainId}/{write.StateName}: stored version {stored}, the grain's ETag {current}.", stored, current));
            }
        }
    }

    private Task<long?[]> WriteGatedAsync(IReadOnlyList<PendingWrite> group, Action transactionStarted) =>
        gate is not null ? gate.RunAsync(() => WriteAsync(group, transactionStarted)) : WriteAsync(group, transactionStarted);

    /// <summary>Writes the group in one transaction; per write, null when it applied, else the stored version (-1: no row).</summary>
    private async Task<long?[]> WriteAsync(IReadOnlyList<PendingWrite> group, Action transactionStarted)
    {
        await using var connection = await storage.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        transactionStarted();
        if (!IsSqlite)
        {
            var written = await WriteRowsBatchedAsync(connection, transaction, group);
            await transaction.CommitAsync();
            return written;
        }

        if (connection is Microsoft.Data.Sqlite.SqliteConnection sqliteConnection)
        {
            AuditRowWriter? preparedAudit = null;
            try
            {
                var outcomes = await WritePreparedRowsAsync(sqliteConnection, transaction, group, () => preparedAudit ??= AuditRowWriter.Create(connection, transaction, IsSqlite));
                await transaction.CommitAsync();
                return outcomes;
            }
            finally
            {
                if (preparedAudit is not null)
                {
                    await preparedAudit.DisposeAsync();
                }
            }
        }

        // Two statements, each prepared once and bound again for every write: a new row only when none exists (a first
        // write, or one moving a state over from the Orleans table); else an update only when the stored version is the
        // caller's ETag.
        await using var insert = Command(connection, transaction, SqliteInsertState);
        await using var update = Command(connection, transaction, SqliteUpdateState);
        var insertParameters = Bind(insert, withExpected: false);
        var updateParameters = Bind(update, withExpected: true);

        // The audit rows of the writes that carry them (IAuditedGrainState), in the same transaction.
        AuditRowWriter? auditRows = null;
        try
        {
            var outcomes = await WriteRowsAsync(connection, transaction, group, insert, insertParameters, update, updateParameters, () => auditRows ??= AuditRowWriter.Create(connection, transaction, IsSqlite));
            await transaction.CommitAsync();
            return outcomes;
        }
        finally
        {
            if (auditRows is not null)
            {
                await auditRows.DisposeAsync();
            }
        }
    }

    private const string SqliteInsertState = $"""
        INSERT INTO {Table} (service_id, grain_id, state_name, payload, version, modified_at_utc)
        VALUES (@service, @grain, @state, {PayloadText}, @version, @at)
        ON CONFLICT (service_id, grain_id, state_name) DO NOTHING
        """;

    private const string SqliteUpdateState = $"""
        UPDATE {Table} SET payload = {PayloadText}, version = @version, modified_at_utc = @at
        WHERE service_id = @service AND grain_id = @grain AND state_name = @state AND version = @expected
        """;

    private static readonly string[] StateNames = ["@service", "@at", "@grain", "@state", "@payload", "@version", "@payload_length", "@payload_compressed"];

    /// <summary>
    /// <see cref="WriteRowsAsync"/> on Microsoft.Data.Sqlite's connection with the statements bound by position
    /// (<see cref="SqliteStatement"/>): the same SQL, values and order, without the provider's objects per execution and
    /// value; the service and the time are bound once per group (SQLite keeps bindings across runs).
    /// </summary>
    private async Task<long?[]> WritePreparedRowsAsync(Microsoft.Data.Sqlite.SqliteConnection connection, DbTransaction transaction, IReadOnlyList<PendingWrite> group, Func<AuditRowWriter> auditRows)
    {
        using var insert = SqliteStatement.Prepare(connection, SqliteInsertState, StateNames);
        using var update = SqliteStatement.Prepare(connection, SqliteUpdateState, [.. StateNames, "@expected"]);
        var at = DateTimeOffset.UtcNow.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
        foreach (var statement in (ReadOnlySpan<SqliteStatement>)[insert, update])
        {
            statement.Bind(0, serviceId);
            statement.Bind(1, at);
        }

        var outcomes = new long?[group.Count];
        for (var i = 0; i < group.Count; i++)
        {
            var write = group[i];
            var statement = write.Insert ? insert : update;
            statement.Bind(2, write.GrainId);
            statement.Bind(3, write.StateName);
            if (write.Payload is { Bytes: var bytes, Compressed: var compressed })
            {
                statement.Bind(4, MemoryMarshal.TryGetArray(bytes, out var segment) && segment.Offset == 0 ? segment.Array! : bytes.ToArray());
                statement.Bind(6, bytes.Length);
                statement.Bind(7, compressed);
            }
            else
            {
                statement.Bind(4, null);
                statement.Bind(6, null);
                statement.Bind(7, false);
            }

            statement.Bind(5, write.NewVersion);
            if (!write.Insert)
            {
                statement.Bind(8, write.Expected);
            }

            if (statement.Execute() == 0)
            {
                // Not applied (a version conflict): its audit rows are not written either.
                outcomes[i] = await StoredVersionAsync(connection, transaction, write);
            }
            else if (write.Audit is { } audit)
            {
                await auditRows().WriteAsync(audit);
            }
        }

        return outcomes;
    }

    private async Task<long?[]> WriteRowsAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<PendingWrite> group,
        DbCommand insert, Parameters insertParameters, DbCommand update, Parameters updateParameters, Func<AuditRowWriter> auditRows)
    {
        // SQLite runs in process: statements prepared once, bound again for every write, taken one by one.
        var outcomes = new long?[group.Count];
        for (var i = 0; i < group.Count; i++)
        {
            var write = group[i];
            var (command, p) = write.Insert ? (insert, insertParameters) : (update, updateParameters);
            p.Grain.Value = write.GrainId;
            p.State.Value = write.StateName;
            BindPayload(p, write.Payload);
            p.Version.Value = write.NewVersion;
            if (p.Expected is not null)
            {
                p.Expected.Value = (object?)write.Expected ?? DBNull.Value;
            }

            if (await command.ExecuteNonQueryAsync() == 0)
            {
                // Not applied (a version conflict): its audit rows are not written either.
                outcomes[i] = await StoredVersionAsync(connection, transaction, write);
            }
            else if (write.Audit is { } audit)
            {
                await auditRows().WriteAsync(audit);
            }
        }

        return outcomes;
    }

    /// <summary>
    /// PostgreSQL answers each statement over the network: the group's states go in one round trip (a batch, each
    /// statement's count of rows telling whether its write applied), then the applied writes' audit rows and requests in
    /// another (<see cref="AuditRowWriter.WriteBatchAsync"/>), in the same transaction. Before, each state was a round
    /// trip of its own while the group's single writer waited.
    /// </summary>
    private async Task<long?[]> WriteRowsBatchedAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<PendingWrite> group)
    {
        await using var batch = connection.CreateBatch();
        batch.Transaction = transaction;
        batch.Timeout = 30;
        var now = DateTimeOffset.UtcNow;
        foreach (var write in group)
        {
            var command = batch.CreateBatchCommand();
            command.CommandText = write.Insert ? PostgresInsertState : PostgresUpdateState;
            Positional(command, DbType.String, serviceId);
            Positional(command, DbType.String, write.GrainId);
            Positional(command, DbType.String, write.StateName);
            Positional(command, DbType.Binary, write.Payload is { Bytes: var bytes } ? bytes : DBNull.Value); // NULL when cleared
            Positional(command, DbType.Int64, write.NewVersion);
            Positional(command, DbType.DateTimeOffset, now);
            if (!write.Insert)
            {
                Positional(command, DbType.Int64, write.Expected);
            }

            batch.BatchCommands.Add(command);
        }

        // Prepared once per connection (Npgsql keeps them): PostgreSQL then neither parses nor plans them again.
        await batch.PrepareAsync();
        await batch.ExecuteNonQueryAsync();
        var outcomes = new long?[group.Count];
        var applied = new List<PreparedAudit>(group.Count);
        for (var i = 0; i < group.Count; i++)
        {
            if (batch.BatchCommands[i].RecordsAffected == 0)
            {
                // Not applied (a version conflict): its audit rows are not written either.
                outcomes[i] = await StoredVersionAsync(connection, transaction, group[i]);
            }
            else if (group[i].Audit is { } audit)
            {
                applied.Add(audit);
            }
        }

        if (applied.Count > 0)
        {
            await AuditRowWriter.WriteBatchAsync(connection, transaction, applied);
        }

        return outcomes;
    }

    // The statements of WriteAsync for PostgreSQL with positional parameters ($1…, see Positional): Npgsql sends them as
    // they are instead of rewriting named ones in every batch.
    private const string PostgresInsertState = $"""
        INSERT INTO {Table} (service_id, grain_id, state_name, payload, version, modified_at_utc)
        VALUES ($1, $2, $3, convert_from($4, 'UTF8'), $5, $6)
        ON CONFLICT (service_id, grain_id, state_name) DO NOTHING
        """;

    private const string PostgresUpdateState = $"""
        UPDATE {Table} SET payload = convert_from($4, 'UTF8'), version = $5, modified_at_utc = $6
        WHERE service_id = $1 AND grain_id = $2 AND state_name = $3 AND version = $7
        """;

    private static void Positional(DbBatchCommand command, DbType type, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.DbType = type;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    // SQLite's statements (PostgreSQL's are PostgresInsertState and PostgresUpdateState). SQLite stores a compressed state
    // as a BLOB and JSON as text (the bytes taken as text in the database's UTF-8), see StatePayload; its bytes are the
    // first @payload_length of a pooled array: Microsoft.Data.Sqlite 10 binds only whole arrays (and copies one to
    // truncate it), so the statement takes the prefix itself.
    private const string PayloadText =
        "CASE WHEN @payload_compressed THEN substr(@payload, 1, @payload_length) ELSE CAST(substr(@payload, 1, @payload_length) AS TEXT) END";

    private static void BindPayload(Parameters p, Payload? payload)
    {
        if (payload is not { Bytes: var bytes, Compressed: var compressed })
        {
            p.Payload.Value = DBNull.Value;
            p.PayloadLength.Value = DBNull.Value;
            p.PayloadCompressed.Value = false;
            return;
        }

        p.Payload.Value = MemoryMarshal.TryGetArray(bytes, out var segment) && segment.Offset == 0 ? segment.Array! : bytes.ToArray();
        p.PayloadLength.Value = bytes.Length;
        p.PayloadCompressed.Value = compressed;
    }

    private Parameters Bind(DbCommand command, bool withExpected)
    {
        Add(command, "@service", DbType.String, serviceId);
        var now = DateTimeOffset.UtcNow;
        Add(command, "@at", DbType.String, now.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        return new Parameters(Add(command, "@grain", DbType.String, null), Add(command, "@state", DbType.String, null), Add(command, "@payload", DbType.Binary, null),
            Add(command, "@version", DbType.Int64, null), withExpected ? Add(command, "@expected", DbType.Int64, null) : null,
            Add(command, "@payload_length", DbType.Int32, null), Add(command, "@payload_compressed", DbType.Boolean, null));
    }

    private async Task<long> StoredVersionAsync(DbConnection connection, DbTransaction transaction, PendingWrite write)
    {
        await using var query = Command(connection, transaction, $"SELECT version FROM {Table} WHERE service_id = @service AND grain_id = @grain AND state_name = @state");
        Add(query, "@service", DbType.String, serviceId);
        Add(query, "@grain", DbType.String, write.GrainId);
        Add(query, "@state", DbType.String, write.StateName);
        return await query.ExecuteScalarAsync() is { } v and not DBNull ? Convert.ToInt64(v, CultureInfo.InvariantCulture) : -1;
    }

    private async Task<Stored?> ReadRowAsync(string stateName, GrainId grainId)
    {
        await using var connection = await storage.OpenAsync();
        await using var query = Command(connection, null, $"SELECT payload, version FROM {Table} WHERE service_id = @service AND grain_id = @grain AND state_name = @state");
        Add(query, "@service", DbType.String, serviceId);
        Add(query, "@grain", DbType.String, grainId.ToString());
        Add(query, "@state", DbType.String, stateName);
        await using var reader = await query.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
        {
            return null;
        }

        try
        {
            return new Stored(StatePayload.ReadJson(reader.GetValue(0)), reader.GetInt64(1));
        }
        catch (InvalidDataException ex)
        {
            monitor?.RecordUnreadable($"{grainId}/{stateName}");
            throw new UnreadableStateException($"{grainId}/{stateName}", ex.Message);
        }
    }

    /// <summary>The municipality's state through generated code (<see cref="GrainStateJson.TryDeserialize{T}"/>), any other through the silo's serializer.</summary>
    private T? Deserialize<T>(BinaryData json) =>
        GrainStateJson.TryDeserialize<T>(json.ToMemory().Span, out var state) ? state : serializer.Deserialize<T>(json);

    private static Exception AsStorageFailure(Exception ex) => ex switch
    {
        StorageUnavailableException or InconsistentStateException => ex,
        _ when IsLockTimeout(ex) => new StorageUnavailableException($"The database is locked (by another process): {ex.Message}"),
        DbException => StorageUnavailableException.From(ex),
        _ => StorageUnavailableException.From(ex),
    };

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

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.CommandTimeout = 30;
        return command;
    }

    private static DbParameter Add(DbCommand command, string name, DbType type, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = type;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return parameter;
    }

    private sealed record Stored(BinaryData? Payload, long Version);

    /// <summary>A state as it is bound: UTF-8 JSON, or its zlib form (SQLite, <see cref="StatePayload"/>).</summary>
    private readonly record struct Payload(ReadOnlyMemory<byte> Bytes, bool Compressed);

    private sealed record Parameters(DbParameter Grain, DbParameter State, DbParameter Payload, DbParameter Version, DbParameter? Expected, DbParameter PayloadLength, DbParameter PayloadCompressed);

    /// <param name="Insert">A new row (first write, or moving a state over from the Orleans table); else an update of <paramref name="Expected"/>.</param>
    /// <param name="Audit">Audit rows committed with the state, only if it applies.</param>
    private sealed record PendingWrite(string StateName, string GrainId, long? Expected, bool Insert, Payload? Payload, string? ETag, PreparedAudit? Audit)
    {
        public long NewVersion => (Expected ?? 0) + 1;

        public int AuditRows => Audit is null ? 0 : Audit.Rows.Length + Audit.Requests.Length;

        public TaskCompletionSource<string> Committed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
