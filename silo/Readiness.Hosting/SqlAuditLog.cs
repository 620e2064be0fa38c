using System.Collections.Immutable;
using System.Data.Common;
using System.Globalization;
using System.Threading.Channels;
using Readiness.Grains;
using Readiness.Rules;

namespace Readiness.Hosting;

/// <summary>
/// The audit trail in the readiness_audit table (Sql/sqlite/002-audit.sql, deploy/sql/postgresql/020-audit.sql),
/// with SQL that both SQLite and PostgreSQL accept. Each side of a change is stored as fields (a JSON object in
/// before_fields/after_fields, see <see cref="AuditFields"/>); before_value/after_value hold only the "key=value; …" text
/// of rows written before that (003-audit-fields.sql, 021-audit-fields.sql), served as legacy text.
/// </summary>
/// <remarks>
/// Writes are committed in groups: every record waiting when the single writer loop is free goes into one transaction,
/// and each caller is answered only after that transaction has committed, so nothing is acknowledged before it is
/// durable. Under a reporting rush this turns hundreds of small commits (each an fsync, and on SQLite each a turn at
/// the one write lock) into a few large ones; a lone write still commits at once.
/// </remarks>
public sealed class SqlAuditLog : IAuditLog, IDisposable
{
    private const string Columns = "municipality_code, version, target, at_utc, actor_subject, actor_role, actor_tenant, request_id, before_value, after_value, client_address, before_fields, after_fields";

    /// <summary>At most this many audit rows go into one transaction (a full report has 67).</summary>
    internal const int MaxRowsPerCommit = 2_000;

    private readonly IStorageConnection storage;
    private readonly SqliteWriteGate? writeGate;
    private readonly Channel<PendingRecord> pending = Channel.CreateUnbounded<PendingRecord>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lazy<Task> writer;

    private readonly StorageWriteMonitor? monitor;

    public SqlAuditLog(IStorageConnection storage, SqliteWriteGate? writeGate = null, StorageWriteMonitor? monitor = null)
    {
        this.storage = storage;
        this.writeGate = writeGate;
        this.monitor = monitor;
        writer = new Lazy<Task>(() => Task.Run(WriteLoopAsync));
    }

    private bool IsSqlite => storage.Invariant == SiloHosting.SqliteInvariant;

    public Task RecordAsync(string municipalityCode, long version, ImmutableArray<ChangeEntry> entries, CancellationToken cancellationToken = default)
    {
        foreach (var e in entries)
        {
            if (e.MunicipalityCode != municipalityCode || e.Version != version)
            {
                throw new ArgumentException($"Entry {e.MunicipalityCode}/{e.Version}/{e.Target} does not belong to {municipalityCode} version {version}.", nameof(entries));
            }
        }

        var record = new PendingRecord(municipalityCode, version, [.. entries.Select(Prepare)]);
        if (!pending.Writer.TryWrite(record))
        {
            throw new ObjectDisposedException(nameof(SqlAuditLog), "The audit log is shutting down; the change was not recorded.");
        }

        _ = writer.Value;
        return record.Committed.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Stops taking records; those already queued are still written.</summary>
    public void Dispose() => pending.Writer.TryComplete();

    private async Task WriteLoopAsync()
    {
        var group = new List<PendingRecord>();
        while (await pending.Reader.WaitToReadAsync())
        {
            var rows = 0;
            while (rows < MaxRowsPerCommit && pending.Reader.TryRead(out var record))
            {
                group.Add(record);
                rows += record.Rows.Length;
            }

            await CommitAsync(group);
            group.Clear();
        }
    }

    private async Task CommitAsync(List<PendingRecord> group)
    {
        var progress = new WriteProgress();
        try
        {
            await WriteGatedAsync(group, progress);
            monitor?.RecordSuccess();
            group.ForEach(r => r.Committed.TrySetResult());
        }
        catch (Exception) when (group.Count > 1 && progress.TransactionStarted)
        {
            // A statement failed: one record must not fail the others, so each is written on its own and each caller
            // learns its own outcome. (When the database could not even be reached, all fail at once below instead of
            // trying it again record by record.)
            foreach (var record in group)
            {
                try
                {
                    await WriteGatedAsync([record], new WriteProgress());
                    record.Committed.TrySetResult();
                }
                catch (Exception ex)
                {
                    record.Committed.TrySetException(ex);
                }
            }
        }
        catch (Exception ex)
        {
            monitor?.RecordFailure(ex);
            group.ForEach(r => r.Committed.TrySetException(ex));
        }
    }

    private Task WriteGatedAsync(IReadOnlyList<PendingRecord> group, WriteProgress progress) =>
        IsSqlite && writeGate is not null ? writeGate.RunAsync(() => WriteAsync(group, progress)) : WriteAsync(group, progress);

    private async Task WriteAsync(IReadOnlyList<PendingRecord> group, WriteProgress progress)
    {
        await using var connection = await storage.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        progress.TransactionStarted = true;

        // Only rows of a write that never completed can sit at or above the new version: replace them.
        await using var orphans = Command(connection, transaction, "DELETE FROM readiness_audit WHERE municipality_code = @code AND version >= @version");
        var orphanCode = Add(orphans, "@code", null);
        var orphanVersion = Add(orphans, "@version", null);

        // One command, its statement prepared once and bound again for every row.
        await using var insert = Command(connection, transaction,
            $"INSERT INTO readiness_audit ({Columns}) VALUES (@code, @version, @target, @at, @subject, @role, @tenant, @requestId, @before, @after, @client, {Json("@beforeFields")}, {Json("@afterFields")})");
        var p = new[] { "@code", "@version", "@target", "@at", "@subject", "@role", "@tenant", "@requestId", "@before", "@after", "@client", "@beforeFields", "@afterFields" }
            .Select(name => Add(insert, name, null)).ToArray();

        foreach (var record in group)
        {
            orphanCode.Value = record.MunicipalityCode;
            orphanVersion.Value = record.Version;
            await orphans.ExecuteNonQueryAsync();
            foreach (var row in record.Rows)
            {
                for (var i = 0; i < p.Length; i++)
                {
                    p[i].Value = row[i];
                }

                await insert.ExecuteNonQueryAsync();
            }
        }

        await transaction.CommitAsync();
    }

    public async Task<AuditPage> ReadAsync(string municipalityCode, long upToVersion, AuditCursor? after, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var connection = await storage.OpenAsync(cancellationToken);
        long total;
        await using (var count = Command(connection, null, "SELECT COUNT(*) FROM readiness_audit WHERE municipality_code = @code AND version <= @upTo"))
        {
            Add(count, "@code", municipalityCode);
            Add(count, "@upTo", upToVersion);
            total = Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        }

        var sql = $"SELECT {Columns} FROM readiness_audit WHERE municipality_code = @code AND version <= @upTo"
            + (after is null ? string.Empty : " AND (version < @afterVersion OR (version = @afterVersion AND target > @afterTarget))")
            + " ORDER BY version DESC, target ASC LIMIT @take";
        await using var query = Command(connection, null, sql);
        Add(query, "@code", municipalityCode);
        Add(query, "@upTo", upToVersion);
        if (after is not null)
        {
            Add(query, "@afterVersion", after.Version);
            Add(query, "@afterTarget", after.Target);
        }

        Add(query, "@take", limit + 1);
        var entries = await ReadEntries(query, cancellationToken);
        AuditCursor? next = null;
        if (entries.Count > limit)
        {
            entries.RemoveAt(limit);
            next = new AuditCursor(entries[^1].Version, entries[^1].Target);
        }

        return new AuditPage([.. entries], next, total);
    }

    public async Task<ImmutableArray<ChangeEntry>> FindRequestAsync(string municipalityCode, string requestId, long upToVersion, CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenAsync(cancellationToken);
        await using var query = Command(connection, null,
            $"SELECT {Columns} FROM readiness_audit WHERE municipality_code = @code AND request_id = @requestId AND version <= @upTo ORDER BY version DESC, target ASC");
        Add(query, "@code", municipalityCode);
        Add(query, "@requestId", requestId);
        Add(query, "@upTo", upToVersion);
        return [.. await ReadEntries(query, cancellationToken)];
    }

    private static async Task<List<ChangeEntry>> ReadEntries(DbCommand query, CancellationToken cancellationToken)
    {
        var entries = new List<ChangeEntry>();
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var role = Wire.TryParse<Role>(reader.GetString(5), out var parsed) ? parsed : Role.System;
            entries.Add(new ChangeEntry
            {
                MunicipalityCode = reader.GetString(0),
                Version = reader.GetInt64(1),
                Target = reader.GetString(2),
                At = reader.GetValue(3) switch
                {
                    DateTime utc => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)),
                    DateTimeOffset at => at,
                    var text => DateTimeOffset.Parse(Convert.ToString(text, CultureInfo.InvariantCulture)!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                },
                Actor = new Actor(reader.GetString(4), role, reader.IsDBNull(6) ? null : reader.GetString(6)),
                RequestId = reader.GetString(7),
                Before = reader.IsDBNull(8) ? null : reader.GetString(8),
                After = reader.IsDBNull(9) ? null : reader.GetString(9),
                ClientAddress = reader.IsDBNull(10) ? null : reader.GetString(10),
                BeforeFields = AuditFields.FromJson(reader.IsDBNull(11) ? null : reader.GetString(11)),
                AfterFields = AuditFields.FromJson(reader.IsDBNull(12) ? null : reader.GetString(12)),
            });
        }

        return entries;
    }

    // PostgreSQL keeps the sides in json columns (checked as JSON, order kept); SQLite in TEXT.
    private string Json(string parameter) => IsSqlite ? parameter : $"CAST({parameter} AS json)";

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.CommandTimeout = 30;
        return command;
    }

    private static DbParameter Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return parameter;
    }

    private sealed class WriteProgress
    {
        public bool TransactionStarted { get; set; }
    }

    /// <summary>
    /// An entry's column values, in <see cref="Columns"/> order, made on the caller's thread: the JSON of both sides is
    /// the costly part of a row, and the writer loop runs while holding SQLite's one write lock.
    /// </summary>
    private object[] Prepare(ChangeEntry e) =>
    [
        e.MunicipalityCode,
        e.Version,
        e.Target,
        IsSqlite ? e.At.UtcDateTime.ToString("O", CultureInfo.InvariantCulture) : e.At.ToUniversalTime(),
        e.Actor.Subject,
        Wire.Name(e.Actor.Role),
        (object?)e.Actor.Tenant ?? DBNull.Value,
        e.RequestId,
        (object?)e.Before ?? DBNull.Value,
        (object?)e.After ?? DBNull.Value,
        (object?)e.ClientAddress ?? DBNull.Value,
        (object?)AuditFields.ToJson(e.BeforeFields) ?? DBNull.Value,
        (object?)AuditFields.ToJson(e.AfterFields) ?? DBNull.Value,
    ];

    private sealed record PendingRecord(string MunicipalityCode, long Version, object[][] Rows)
    {
        public TaskCompletionSource Committed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
