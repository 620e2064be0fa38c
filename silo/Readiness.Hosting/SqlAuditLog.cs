using System.Collections.Immutable;
using System.Data.Common;
using System.Globalization;
using Readiness.Grains;

namespace Readiness.Hosting;

/// <summary>
/// The audit trail in the readiness_audit table (Sql/sqlite/002-audit.sql, deploy/sql/postgresql/020-audit.sql),
/// with SQL that both SQLite and PostgreSQL accept.
/// </summary>
public sealed class SqlAuditLog(IStorageConnection storage, SqliteWriteGate? writeGate = null) : IAuditLog
{
    private const string Columns = "municipality_code, version, target, at_utc, actor_subject, actor_role, actor_tenant, request_id, before_value, after_value, client_address";

    private bool IsSqlite => storage.Invariant == SiloHosting.SqliteInvariant;

    public Task RecordAsync(string municipalityCode, long version, ImmutableArray<ChangeEntry> entries, CancellationToken cancellationToken = default) =>
        IsSqlite && writeGate is not null
            ? writeGate.RunAsync(() => WriteAsync(municipalityCode, version, entries, cancellationToken), cancellationToken)
            : WriteAsync(municipalityCode, version, entries, cancellationToken);

    private async Task WriteAsync(string municipalityCode, long version, ImmutableArray<ChangeEntry> entries, CancellationToken cancellationToken)
    {
        await using var connection = await storage.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // Only rows of a write that never completed can sit at or above the new version: replace them.
        await using (var orphans = Command(connection, transaction, "DELETE FROM readiness_audit WHERE municipality_code = @code AND version >= @version"))
        {
            Add(orphans, "@code", municipalityCode);
            Add(orphans, "@version", version);
            await orphans.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var e in entries)
        {
            if (e.MunicipalityCode != municipalityCode || e.Version != version)
            {
                throw new ArgumentException($"Entry {e.MunicipalityCode}/{e.Version}/{e.Target} does not belong to {municipalityCode} version {version}.", nameof(entries));
            }

            await using var insert = Command(connection, transaction,
                $"INSERT INTO readiness_audit ({Columns}) VALUES (@code, @version, @target, @at, @subject, @role, @tenant, @requestId, @before, @after, @client)");
            Add(insert, "@code", e.MunicipalityCode);
            Add(insert, "@version", e.Version);
            Add(insert, "@target", e.Target);
            Add(insert, "@at", IsSqlite ? e.At.UtcDateTime.ToString("O", CultureInfo.InvariantCulture) : e.At.ToUniversalTime());
            Add(insert, "@subject", e.Actor.Subject);
            Add(insert, "@role", Wire.Name(e.Actor.Role));
            Add(insert, "@tenant", e.Actor.Tenant);
            Add(insert, "@requestId", e.RequestId);
            Add(insert, "@before", e.Before);
            Add(insert, "@after", e.After);
            Add(insert, "@client", e.ClientAddress);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
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
            });
        }

        return entries;
    }

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.CommandTimeout = 30;
        return command;
    }

    private static void Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }
}
