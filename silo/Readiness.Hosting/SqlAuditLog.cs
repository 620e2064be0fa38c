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
    internal const string Columns = "municipality_code, version, target, at_utc, actor_subject, actor_role, actor_tenant, request_id, before_value, after_value, client_address, before_fields, after_fields";

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
        AuditRowWriter.CheckOneVersion(municipalityCode, version, entries);
        var record = new PendingRecord(municipalityCode, version, AuditRowWriter.Prepare(entries, IsSqlite));
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
            var cap = IsSqlite ? MaxRowsPerCommit : AuditRowWriter.MaxRowsPerPostgresTransaction;
            while (rows < cap && pending.Reader.TryRead(out var record))
            {
                group.Add(record);
                rows += record.Rows.Length;
            }

            await CommitAsync(group);
            group.ForEach(r => r.Rows.Dispose()); // answered: the callers no longer wait on them (they may have left)
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
        if (!IsSqlite)
        {
            // One round trip and one INSERT for the group, as the grain states' group commit writes them.
            await AuditRowWriter.WriteBatchAsync(connection, transaction, [.. group.Select(r => new PreparedAudit(r.MunicipalityCode, r.Version, r.Rows, []))]);
            await transaction.CommitAsync();
            return;
        }

        await using var rows = AuditRowWriter.Create(connection, transaction, IsSqlite);
        foreach (var record in group)
        {
            await rows.WriteAsync(record.MunicipalityCode, record.Version, record.Rows);
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

    /// <summary>
    /// AuditFields.IsConfirmation in SQL, 1 or 0 for the row alias <paramref name="row"/>: both sides there and equal (the
    /// fields as stored JSON text, written by one serializer, or a legacy row's text). Compared as text: PostgreSQL's
    /// json has no equality.
    /// </summary>
    public static string ConfirmationSql(string row) =>
        $"(CASE WHEN {row}.after_fields IS NOT NULL THEN (CASE WHEN {row}.before_fields IS NOT NULL AND CAST({row}.before_fields AS TEXT) = CAST({row}.after_fields AS TEXT) THEN 1 ELSE 0 END)"
        + $" WHEN {row}.after_value IS NOT NULL AND {row}.before_value = {row}.after_value THEN 1 ELSE 0 END)";

    /// <summary>
    /// The query of <see cref="ReadAreaAsync"/>: the order of recording is SQLite's rowid and PostgreSQL's identity
    /// <c>position</c> (040-notifications.sql); a prefecture's page is a backward range of ix_readiness_audit_prefecture
    /// (Sql/sqlite/080, deploy/sql/postgresql/100), whose expression this repeats exactly; the nation's is the rowid
    /// order (SQLite) or ix_readiness_audit_position. A prefecture's own systems (kept under its 団体コード, PP000C) are
    /// part of its area and of the nation's: the people following an area see every change in it in one place.
    /// Confirmations (<see cref="AreaConfirmations"/>): a report's confirmation rows share municipality and version, so
    /// grouped they are shown as the confirmed row of the smallest target alone (a primary key range of the report's
    /// rows), with the count of its confirmed rows as the last column; a report that also changed targets keeps those
    /// as rows of their own. Every other confirmed row of the group is left out wherever it lies, so paging by position
    /// stays exact.
    /// </summary>
    public static string AreaSql(bool sqlite, bool prefecture, bool after, AreaConfirmations confirmations = AreaConfirmations.Each)
    {
        var position = sqlite ? "rowid" : "position";
        var where = new List<string>();
        if (prefecture)
        {
            where.Add("substr(a.municipality_code, 1, 2) = @prefecture");
        }

        if (after)
        {
            where.Add($"a.{position} < @before");
        }

        var confirmation = ConfirmationSql("a");

        // A report's confirmations are its group, whether or not other targets of it changed (then those are rows of
        // their own): the group's row is its smallest confirmed target, its count the confirmed targets alone.
        var sameChange = $"FROM readiness_audit g WHERE g.municipality_code = a.municipality_code AND g.version = a.version AND {ConfirmationSql("g")} = 1";
        var first = $"a.target = (SELECT MIN(g.target) {sameChange})";
        switch (confirmations)
        {
            case AreaConfirmations.Grouped:
                where.Add($"({confirmation} = 0 OR {first})");
                break;
            case AreaConfirmations.Exclude:
                where.Add($"{confirmation} = 0");
                break;
            case AreaConfirmations.Only:
                where.Add($"{confirmation} = 1 AND {first}");
                break;
        }

        var grouped = confirmations is AreaConfirmations.Grouped or AreaConfirmations.Only
            ? $", CASE WHEN {confirmation} = 1 THEN (SELECT COUNT(*) {sameChange}) ELSE 0 END"
            : string.Empty;
        var filter = where.Count == 0 ? string.Empty : " WHERE " + string.Join(" AND ", where);
        var columns = string.Join(", ", Columns.Split(", ").Select(c => "a." + c));
        return $"SELECT {columns}, a.{position}{grouped} FROM readiness_audit a{filter} ORDER BY a.{position} DESC LIMIT @take";
    }

    public async Task<AreaChangesPage> ReadAreaAsync(string? prefectureCode, long? before, int limit, AreaConfirmations confirmations = AreaConfirmations.Each, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var connection = await storage.OpenAsync(cancellationToken);
        await using var query = Command(connection, null, AreaSql(IsSqlite, prefectureCode is not null, before is not null, confirmations));
        if (prefectureCode is not null)
        {
            Add(query, "@prefecture", prefectureCode);
        }

        if (before is not null)
        {
            Add(query, "@before", before.Value);
        }

        Add(query, "@take", limit + 1);
        var positions = new List<long>();
        var counts = confirmations is AreaConfirmations.Grouped or AreaConfirmations.Only ? new List<int>() : null;
        var entries = await ReadEntries(query, cancellationToken, positions, counts);
        long? next = null;
        if (entries.Count > limit)
        {
            entries.RemoveAt(limit);
            counts?.RemoveAt(limit);
            next = positions[limit - 1];
        }

        return new AreaChangesPage([.. entries], next) { Grouped = counts is null ? [] : [.. counts] };
    }

    /// <summary>
    /// The query of <see cref="ReadAreaFingerprintAsync"/>: one aggregate over the area's rows that the view shows.
    /// Grouped and only show every confirmation row in a group's count, so those views sum every row they draw on;
    /// exclude and only leave out (or keep alone) the confirmation rows by <see cref="AreaSql"/>'s own test, in the same
    /// aggregate, so a row the view does not show never moves the tag.
    /// </summary>
    public static string AreaFingerprintSql(bool sqlite, bool prefecture, AreaConfirmations confirmations)
    {
        var position = sqlite ? "rowid" : "position";
        var where = new List<string>();
        if (prefecture)
        {
            // The filter of AreaSql, so SQLite reads ix_readiness_audit_prefecture (every index entry holds the rowid).
            where.Add("substr(a.municipality_code, 1, 2) = @prefecture");
        }

        switch (confirmations)
        {
            case AreaConfirmations.Exclude:
                where.Add($"{ConfirmationSql("a")} = 0");
                break;
            case AreaConfirmations.Only:
                where.Add($"{ConfirmationSql("a")} = 1");
                break;
        }

        return $"SELECT COUNT(*), COALESCE(MAX(a.{position}), 0), COALESCE(SUM(a.{position}), 0) FROM readiness_audit a"
            + (where.Count == 0 ? string.Empty : " WHERE " + string.Join(" AND ", where));
    }

    public async Task<string> ReadAreaFingerprintAsync(string? prefectureCode, AreaConfirmations confirmations = AreaConfirmations.Each, CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenAsync(cancellationToken);
        await using var query = Command(connection, null, AreaFingerprintSql(IsSqlite, prefectureCode is not null, confirmations));
        if (prefectureCode is not null)
        {
            Add(query, "@prefecture", prefectureCode);
        }

        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return string.Join(':', Enumerable.Range(0, 3).Select(i => Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture)));
    }

    public async Task<RecentHistory> ReadRecentAsync(string code, long upToVersion, int requests, int changes, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(requests, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(changes, 1);
        await using var connection = await storage.OpenAsync(cancellationToken);
        var applied = ImmutableArray.CreateBuilder<AppliedRequest>();
        await using (var query = Command(connection, null,
            "SELECT request_id, fingerprint, version, call_id FROM readiness_applied_request WHERE code = @code AND version <= @upTo ORDER BY version DESC LIMIT @take"))
        {
            Add(query, "@code", code);
            Add(query, "@upTo", upToVersion);
            Add(query, "@take", requests);
            await using var reader = await query.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                applied.Add(new AppliedRequest(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)) { CallId = reader.IsDBNull(3) ? null : reader.GetString(3) });
            }
        }

        await using var entries = Command(connection, null,
            $"SELECT {Columns} FROM readiness_audit WHERE municipality_code = @code AND version <= @upTo ORDER BY version DESC, target ASC LIMIT @take");
        Add(entries, "@code", code);
        Add(entries, "@upTo", upToVersion);
        Add(entries, "@take", changes);
        return new RecentHistory(applied.ToImmutable(), [.. await ReadEntries(entries, cancellationToken)]);
    }

    /// <summary>
    /// One request's rows: read through the primary key's municipality prefix and filtered by request, since the audit
    /// trail keeps no index by request (070-audit-request-index.sql: a request is looked up on a replay and on a template
    /// preview or upload, a row is written on every change). Cost grows with the municipality's history (67,000 rows:
    /// ~40 ms).
    /// </summary>
    internal const string FindRequestSql =
        $"SELECT {Columns} FROM readiness_audit WHERE municipality_code = @code AND request_id = @requestId AND version <= @upTo ORDER BY version DESC, target ASC";

    public async Task<ImmutableArray<ChangeEntry>> FindRequestAsync(string municipalityCode, string requestId, long upToVersion, CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenAsync(cancellationToken);
        await using var query = Command(connection, null, FindRequestSql);
        Add(query, "@code", municipalityCode);
        Add(query, "@requestId", requestId);
        Add(query, "@upTo", upToVersion);
        return [.. await ReadEntries(query, cancellationToken)];
    }

    /// <summary>
    /// The entries of <paramref name="query"/> (<see cref="Columns"/>, then, when <paramref name="positions"/> is given, each
    /// row's position, then, when <paramref name="counts"/> is given, the rows a grouped confirmation stands for).
    /// </summary>
    private static async Task<List<ChangeEntry>> ReadEntries(DbCommand query, CancellationToken cancellationToken, List<long>? positions = null, List<int>? counts = null)
    {
        var entries = new List<ChangeEntry>();
        var sqlite = query is Microsoft.Data.Sqlite.SqliteCommand;
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);

        // SQLite hands over a text column's UTF-8 bytes as they are; a string would be decoded only to be encoded again.
        ImmutableArray<AuditField> Fields(int i) =>
            reader.IsDBNull(i) ? [] : sqlite ? AuditFields.FromUtf8Json(reader.GetFieldValue<byte[]>(i)) : AuditFields.FromJson(reader.GetString(i));

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
                BeforeFields = Fields(11),
                AfterFields = Fields(12),
            });
            positions?.Add(reader.GetInt64(13));
            counts?.Add(Convert.ToInt32(reader.GetValue(14), CultureInfo.InvariantCulture));
        }

        return entries;
    }

    internal static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.CommandTimeout = 30;
        return command;
    }

    /// <summary>
    /// The SQL that stores a side bound as its UTF-8 bytes (<see cref="AuditFields.ToUtf8Json"/>) as text: TEXT on SQLite,
    /// json on PostgreSQL (convert_from also refuses bytes that are not UTF-8). NULL stays NULL.
    /// </summary>
    internal static string JsonFromUtf8(string parameter, bool sqlite) =>
        sqlite ? $"CAST({parameter} AS TEXT)" : $"CAST(convert_from({parameter}, 'UTF8') AS json)";

    internal static DbParameter Add(DbCommand command, string name, object? value)
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

    private sealed record PendingRecord(string MunicipalityCode, long Version, AuditRows Rows)
    {
        public TaskCompletionSource Committed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>
/// Writes audit rows inside a transaction someone else owns: the audit trail's own group commits and the grain-state
/// storage, which records a change's entries in the same transaction as the state (<see cref="IAuditedGrainState"/>).
/// </summary>
internal sealed class AuditRowWriter : IAsyncDisposable
{
    /// <summary>
    /// PostgreSQL: at most this many audit (and request) rows in one transaction, below the notification dispatcher's
    /// re-read window (Readiness:Notifications:PositionLookback, 1,000): identity values of a long transaction may commit
    /// after later ones, and rows further behind than the window would never be read.
    /// </summary>
    public const int MaxRowsPerPostgresTransaction = 900;

    private const string OrphansSql = "DELETE FROM readiness_audit WHERE municipality_code = @code AND version >= @version";
    private const string RequestInsertSql = """
        INSERT INTO readiness_applied_request (code, version, request_id, fingerprint, call_id)
        VALUES (@code, @version, @requestId, @fingerprint, @callId)
        ON CONFLICT (code, version) DO UPDATE SET request_id = excluded.request_id, fingerprint = excluded.fingerprint, call_id = excluded.call_id
        """;

    private static readonly string[] InsertNames = ["@code", "@version", "@target", "@at", "@subject", "@role", "@tenant", "@requestId", "@before", "@after", "@client", "@beforeFields", "@afterFields"];
    private static readonly string[] RequestNames = ["@code", "@version", "@requestId", "@fingerprint", "@callId"];

    private readonly DbConnection connection;
    private readonly DbTransaction transaction;

    // SQLite (Microsoft.Data.Sqlite): the statements every change runs, prepared on the connection and bound by
    // position (SqliteStatement: none of the provider's per-execution objects). Otherwise: commands.
    private readonly SqliteStatement? orphanStatement;
    private readonly SqliteStatement? insertStatement;
    private SqliteStatement? requestStatement;
    private readonly DbCommand? orphans;
    private readonly DbParameter? orphanCode;
    private readonly DbParameter? orphanVersion;
    /// <summary>Rows in one multi-row insert (<see cref="WriteAsync(string, long, AuditRows)"/>): a full report's 67 go in 4 of them and 3 single ones.</summary>
    internal const int RowsPerInsert = 16;

    private readonly DbCommand? insert;
    private readonly DbParameter[]? values;
    private readonly bool sqlite;
    private DbCommand? insertMany;
    private DbParameter[]? manyShared;
    private DbParameter[]? manyRows;
    private SqliteStatement? insertManyStatement;
    private DbCommand? requestInsert;
    private DbParameter[]? requestValues;

    private AuditRowWriter(DbConnection connection, DbTransaction transaction, bool sqlite)
    {
        this.sqlite = sqlite;
        this.connection = connection;
        this.transaction = transaction;

        // One statement per kind, prepared once and bound again for every row. PostgreSQL keeps the sides in json
        // columns (checked as JSON, order kept); SQLite in TEXT.
        string Json(string parameter) => SqlAuditLog.JsonFromUtf8(parameter, sqlite);
        var insertSql = $"INSERT INTO readiness_audit ({SqlAuditLog.Columns}) VALUES (@code, @version, @target, @at, @subject, @role, @tenant, @requestId, @before, @after, @client, {Json("@beforeFields")}, {Json("@afterFields")})";
        if (sqlite && connection is Microsoft.Data.Sqlite.SqliteConnection sqliteConnection)
        {
            // Only rows of a write that never completed can sit at or above the new version: replace them.
            orphanStatement = SqliteStatement.Prepare(sqliteConnection, OrphansSql, "@code", "@version");
            insertStatement = SqliteStatement.Prepare(sqliteConnection, insertSql, InsertNames);
            return;
        }

        orphans = SqlAuditLog.Command(connection, transaction, OrphansSql);
        orphanCode = SqlAuditLog.Add(orphans, "@code", null);
        orphanVersion = SqlAuditLog.Add(orphans, "@version", null);
        insert = SqlAuditLog.Command(connection, transaction, insertSql);
        values = InsertNames.Select(name => SqlAuditLog.Add(insert, name, null)).ToArray();
    }

    public static AuditRowWriter Create(DbConnection connection, DbTransaction transaction, bool sqlite) => new(connection, transaction, sqlite);

    /// <summary>Writes a state's change: its audit rows (see below) and its applied requests.</summary>
    public async Task WriteAsync(PreparedAudit audit)
    {
        if (audit.Rows.Length > 0)
        {
            await WriteAsync(audit.Code, audit.Version, audit.Rows);
        }

        if (audit.Requests.IsEmpty)
        {
            return;
        }

        if (connection is Microsoft.Data.Sqlite.SqliteConnection sqliteConnection && insertStatement is not null)
        {
            // One request per version; a row at that version can only be one an older release left behind: replace it.
            requestStatement ??= SqliteStatement.Prepare(sqliteConnection, RequestInsertSql, RequestNames);
            foreach (var request in audit.Requests)
            {
                requestStatement.Bind(0, audit.Code);
                requestStatement.Bind(1, request.Version);
                requestStatement.Bind(2, request.RequestId);
                requestStatement.Bind(3, request.Fingerprint);
                requestStatement.Bind(4, request.CallId);
                requestStatement.Execute();
            }

            return;
        }

        requestInsert ??= CreateRequestInsert();
        foreach (var request in audit.Requests)
        {
            requestValues![0].Value = audit.Code;
            requestValues[1].Value = request.Version;
            requestValues[2].Value = request.RequestId;
            requestValues[3].Value = request.Fingerprint;
            requestValues[4].Value = (object?)request.CallId ?? DBNull.Value;
            await requestInsert.ExecuteNonQueryAsync();
        }
    }

    private DbCommand CreateRequestInsert()
    {
        // One request per version; a row at that version can only be one an older release left behind: replace it.
        var command = SqlAuditLog.Command(connection, transaction, RequestInsertSql);
        requestValues = [.. RequestNames.Select(name => SqlAuditLog.Add(command, name, null))];
        return command;
    }

    /// <summary>
    /// Writes many states' changes in one round trip (a <see cref="DbBatch"/>, PostgreSQL): per state, the orphans'
    /// DELETE of <see cref="WriteAsync(PreparedAudit)"/>; then ALL the states' audit rows in one INSERT and all their
    /// applied requests in another, each column bound once as an array and expanded by <c>unnest</c> in the rows'
    /// order (so the identity <c>position</c> follows it, as row by row). One statement per kind, not per row: a
    /// group's 900 single-row INSERTs each cost PostgreSQL a parse, a plan and an executor start, and Npgsql a rewrite
    /// of named parameters, which together were a fifth of a cluster's CPU in a deadline rush (docs/performance.md,
    /// eighteenth round). Parameters are positional ($1…): Npgsql then sends the SQL as it is.
    /// </summary>
    public static async Task WriteBatchAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<PreparedAudit> audits)
    {
        await using var batch = connection.CreateBatch();
        batch.Transaction = transaction;
        batch.Timeout = 30;
        void Add(string sql, params object[] values)
        {
            var command = batch.CreateBatchCommand();
            command.CommandText = sql;
            foreach (var value in values)
            {
                var parameter = command.CreateParameter();
                parameter.Value = value;
                command.Parameters.Add(parameter);
            }

            batch.BatchCommands.Add(command);
        }

        var rowCount = 0;
        var requestCount = 0;
        foreach (var audit in audits)
        {
            if (audit.Rows.Length > 0)
            {
                Add("DELETE FROM readiness_audit WHERE municipality_code = $1 AND version >= $2", audit.Code, audit.Version);
            }

            rowCount += audit.Rows.Length;
            requestCount += audit.Requests.Length;
        }

        if (rowCount > 0)
        {
            Add(InsertRowsSql, RowColumnsAsArrays(audits, rowCount));
        }

        if (requestCount > 0)
        {
            Add(InsertRequestsSql, RequestColumnsAsArrays(audits, requestCount));
        }

        if (batch.BatchCommands.Count > 0)
        {
            await batch.PrepareAsync();
            await batch.ExecuteNonQueryAsync();
        }
    }

    /// <summary>The audit rows' INSERT of <see cref="WriteBatchAsync"/>: $1…$13 are the columns of <see cref="SqlAuditLog.Columns"/> as arrays.</summary>
    internal static readonly string InsertRowsSql = $"""
        INSERT INTO readiness_audit ({SqlAuditLog.Columns})
        SELECT code, version, target, at_utc, subject, role, tenant, request_id, before_value, after_value, client_address,
               {SqlAuditLog.JsonFromUtf8("before_fields", sqlite: false)}, {SqlAuditLog.JsonFromUtf8("after_fields", sqlite: false)}
        FROM unnest($1::varchar[], $2::bigint[], $3::varchar[], $4::timestamptz[], $5::varchar[], $6::varchar[], $7::varchar[],
                    $8::varchar[], $9::text[], $10::text[], $11::varchar[], $12::bytea[], $13::bytea[])
             WITH ORDINALITY AS r(code, version, target, at_utc, subject, role, tenant, request_id, before_value, after_value,
                                  client_address, before_fields, after_fields, n)
        ORDER BY n
        """;

    /// <summary>The applied requests' INSERT of <see cref="WriteBatchAsync"/>: one per version (a row there can only be one an older release left: replaced).</summary>
    internal const string InsertRequestsSql = """
        INSERT INTO readiness_applied_request (code, version, request_id, fingerprint, call_id)
        SELECT code, version, request_id, fingerprint, call_id
        FROM unnest($1::varchar[], $2::bigint[], $3::text[], $4::varchar[], $5::text[]) AS r(code, version, request_id, fingerprint, call_id)
        ON CONFLICT (code, version) DO UPDATE SET request_id = excluded.request_id, fingerprint = excluded.fingerprint, call_id = excluded.call_id
        """;

    /// <summary>The rows of <paramref name="audits"/>, in order, as 13 arrays (one per column of <see cref="SqlAuditLog.Columns"/>; null for DBNull).</summary>
    internal static object[] RowColumnsAsArrays(IReadOnlyList<PreparedAudit> audits, int rowCount)
    {
        var codes = new string[rowCount];
        var versions = new long[rowCount];
        var targets = new string[rowCount];
        var ats = new DateTimeOffset[rowCount];
        var subjects = new string[rowCount];
        var roles = new string[rowCount];
        var tenants = new string?[rowCount];
        var requestIds = new string[rowCount];
        var befores = new string?[rowCount];
        var afters = new string?[rowCount];
        var clients = new string?[rowCount];
        var beforeFields = new byte[]?[rowCount];
        var afterFields = new byte[]?[rowCount];
        var i = 0;
        foreach (var audit in audits)
        {
            var rows = audit.Rows;
            for (var r = 0; r < rows.Length; r++)
            {
                codes[i] = (string)rows.Value(r, 0);
                versions[i] = (long)rows.Value(r, 1);
                targets[i] = rows.Target(r);
                ats[i] = (DateTimeOffset)rows.Value(r, 3);
                subjects[i] = (string)rows.Value(r, 4);
                roles[i] = (string)rows.Value(r, 5);
                tenants[i] = rows.Value(r, 6) as string;
                requestIds[i] = (string)rows.Value(r, 7);
                befores[i] = rows.Value(r, 8) as string;
                afters[i] = rows.Value(r, 9) as string;
                clients[i] = rows.Value(r, 10) as string;
                beforeFields[i] = rows.Value(r, 11) as byte[];
                afterFields[i] = rows.Value(r, 12) as byte[];
                i++;
            }
        }

        return [codes, versions, targets, ats, subjects, roles, tenants, requestIds, befores, afters, clients, beforeFields, afterFields];
    }

    private static object[] RequestColumnsAsArrays(IReadOnlyList<PreparedAudit> audits, int requestCount)
    {
        var codes = new string[requestCount];
        var versions = new long[requestCount];
        var requestIds = new string[requestCount];
        var fingerprints = new string[requestCount];
        var callIds = new string?[requestCount];
        var i = 0;
        foreach (var audit in audits)
        {
            foreach (var request in audit.Requests)
            {
                codes[i] = audit.Code;
                versions[i] = request.Version;
                requestIds[i] = request.RequestId;
                fingerprints[i] = request.Fingerprint;
                callIds[i] = request.CallId;
                i++;
            }
        }

        return [codes, versions, requestIds, fingerprints, callIds];
    }

    /// <summary>
    /// Replaces whatever an incomplete write left at <paramref name="version"/> or above with <paramref name="rows"/>,
    /// in their order. Rows that share who, when and which request (every row of one change does) go
    /// <see cref="RowsPerInsert"/> to a statement with those values bound once: a full report's 67 rows are 7
    /// statements and ~270 bound values instead of 67 and 871 (the binding, not the insert, was the cost: SQLite finds each
    /// named parameter by a linear scan of the statement's names, so a statement's cost grows with the square of them).
    /// </summary>
    public async Task WriteAsync(string municipalityCode, long version, AuditRows rows)
    {
        if (orphanStatement is not null)
        {
            orphanStatement.Bind(0, municipalityCode);
            orphanStatement.Bind(1, version);
            orphanStatement.Execute();
        }
        else
        {
            orphanCode!.Value = municipalityCode;
            orphanVersion!.Value = version;
            await orphans!.ExecuteNonQueryAsync();
        }

        var shared = AuditRows.SharedColumns;
        var own = AuditRows.RowColumns;
        var next = 0;
        for (; next + RowsPerInsert <= rows.Length && rows.ShareColumns(next, RowsPerInsert); next += RowsPerInsert)
        {
            if (insertStatement is not null)
            {
                // SQLite: the multi-row statement bound by position, as the single row's (no binder objects, no UTF-8
                // copy of each text value and name per execution: ~8 % of a full report's allocation, issue 14).
                insertManyStatement ??= SqliteStatement.Prepare((Microsoft.Data.Sqlite.SqliteConnection)connection, InsertManySql(), InsertManyNames);
                for (var k = 0; k < shared.Length; k++)
                {
                    insertManyStatement.Bind(k, rows.Shared(next, k));
                }

                for (var r = 0; r < RowsPerInsert; r++)
                {
                    BindOwn(insertManyStatement, shared.Length + (r * own.Length), rows, next + r);
                }

                insertManyStatement.Execute();
                continue;
            }

            if (insertMany is null)
            {
                (insertMany, manyShared, manyRows) = CreateInsertMany();
            }

            for (var k = 0; k < shared.Length; k++)
            {
                manyShared![k].Value = rows.Shared(next, k);
            }

            for (var r = 0; r < RowsPerInsert; r++)
            {
                for (var k = 0; k < own.Length; k++)
                {
                    manyRows![(r * own.Length) + k].Value = rows.Value(next + r, own[k]);
                }
            }

            await insertMany.ExecuteNonQueryAsync();
        }

        for (; next < rows.Length; next++)
        {
            if (insertStatement is not null)
            {
                // InsertNames are in column order: the shared ones by their index, the row's own by BindOwn.
                for (var k = 0; k < shared.Length; k++)
                {
                    insertStatement.Bind(shared[k], rows.Shared(next, k));
                }

                insertStatement.Bind(own[0], rows.Target(next));
                BindSide(insertStatement, own[1], rows, next, after: false);
                BindSide(insertStatement, own[2], rows, next, after: true);
                insertStatement.Execute();
                continue;
            }

            for (var i = 0; i < values!.Length; i++)
            {
                values[i].Value = rows.Value(next, i);
            }

            await insert!.ExecuteNonQueryAsync();
        }
    }

    /// <summary>Binds a row's target and both sides to the three parameters from <paramref name="first"/>.</summary>
    private static void BindOwn(SqliteStatement statement, int first, AuditRows rows, int row)
    {
        statement.Bind(first, rows.Target(row));
        BindSide(statement, first + 1, rows, row, after: false);
        BindSide(statement, first + 2, rows, row, after: true);
    }

    private static void BindSide(SqliteStatement statement, int parameter, AuditRows rows, int row, bool after)
    {
        if (rows.TrySide(row, after, out var json))
        {
            statement.BindBlob(parameter, json);
        }
        else
        {
            statement.Bind(parameter, null);
        }
    }

    /// <summary>The multi-row statement's names: the <see cref="AuditRows.SharedColumns"/>' in their order, then each row's <see cref="AuditRows.RowColumns"/>'.</summary>
    private static readonly string[] InsertManyNames =
    [
        "@code", "@version", "@at", "@subject", "@role", "@tenant", "@requestId", "@before", "@after", "@client",
        .. Enumerable.Range(0, RowsPerInsert).SelectMany(r => new[] { $"@target{r}", $"@beforeFields{r}", $"@afterFields{r}" }),
    ];

    private string InsertManySql()
    {
        // A named parameter used in every row is one parameter: SQLite and Npgsql bind it once per statement.
        string Json(string parameter) => SqlAuditLog.JsonFromUtf8(parameter, sqlite);
        var tuples = Enumerable.Range(0, RowsPerInsert).Select(r =>
            $"(@code, @version, @target{r}, @at, @subject, @role, @tenant, @requestId, @before, @after, @client, {Json($"@beforeFields{r}")}, {Json($"@afterFields{r}")})");
        return $"INSERT INTO readiness_audit ({SqlAuditLog.Columns}) VALUES {string.Join(", ", tuples)}";
    }

    private (DbCommand Command, DbParameter[] Shared, DbParameter[] Rows) CreateInsertMany()
    {
        var command = SqlAuditLog.Command(connection, transaction, InsertManySql());
        var parameters = InsertManyNames.Select(name => SqlAuditLog.Add(command, name, null)).ToArray();
        return (command, parameters[..AuditRows.SharedColumns.Length], parameters[AuditRows.SharedColumns.Length..]);
    }

    /// <summary>The entries' rows, made on the caller's thread (<see cref="AuditRows.Prepare"/>).</summary>
    public static AuditRows Prepare(ImmutableArray<ChangeEntry> entries, bool sqlite) => AuditRows.Prepare(entries, sqlite);

    /// <summary>Checks that every entry belongs to one municipality's one version (the unit the trail replaces).</summary>
    public static void CheckOneVersion(string municipalityCode, long version, ImmutableArray<ChangeEntry> entries)
    {
        foreach (var e in entries)
        {
            if (e.MunicipalityCode != municipalityCode || e.Version != version)
            {
                throw new ArgumentException($"Entry {e.MunicipalityCode}/{e.Version}/{e.Target} does not belong to {municipalityCode} version {version}.", nameof(entries));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        orphanStatement?.Dispose();
        insertStatement?.Dispose();
        insertManyStatement?.Dispose();
        requestStatement?.Dispose();
        if (orphans is not null)
        {
            await orphans.DisposeAsync();
        }

        if (insert is not null)
        {
            await insert.DisposeAsync();
        }

        if (insertMany is not null)
        {
            await insertMany.DisposeAsync();
        }

        if (requestInsert is not null)
        {
            await requestInsert.DisposeAsync();
        }
    }
}

/// <summary>A state's change made ready for <see cref="AuditRowWriter"/>: its audit rows and the requests it applies.</summary>
/// <remarks>Disposed once its write is answered (committed or failed): <see cref="AuditRows"/> gives its pooled array back.</remarks>
internal sealed record PreparedAudit(string Code, long Version, AuditRows Rows, ImmutableArray<AppliedRequest> Requests) : IDisposable
{
    public void Dispose() => Rows.Dispose();

    public static PreparedAudit Of(PendingAudit audit, bool sqlite)
    {
        var entries = audit.Entries.IsDefault ? [] : audit.Entries;
        var version = entries.IsEmpty ? 0 : entries[0].Version;
        AuditRowWriter.CheckOneVersion(audit.Code, version, entries);
        return new PreparedAudit(audit.Code, version, AuditRowWriter.Prepare(entries, sqlite), audit.Requests.IsDefault ? [] : audit.Requests);
    }
}
