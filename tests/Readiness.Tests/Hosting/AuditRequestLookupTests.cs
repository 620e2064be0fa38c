using Microsoft.Data.Sqlite;
using Readiness.Hosting;

namespace Readiness.Tests.Hosting;

/// <summary>
/// The audit trail keeps no index by request (070-audit-request-index.sql): one request's rows are found through the
/// primary key's municipality prefix, never by scanning the whole trail, and a database from before loses the index. A
/// database a newer version migrated is refused (a build before this one would misread its compressed states).
/// </summary>
public sealed class AuditRequestLookupTests : IDisposable
{
    private readonly string file = Path.Combine(Path.GetTempPath(), $"readiness-audit-{Guid.NewGuid():N}.db");

    private string ConnectionString => SqliteSchema.ConnectionString(file);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var path in new[] { file, file + "-wal", file + "-shm" })
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void One_requests_rows_are_read_through_the_municipality_prefix_of_the_primary_key_not_a_scan()
    {
        SqliteSchema.Apply(ConnectionString);
        using var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        Assert.False(IndexExists(connection));

        using var plan = connection.CreateCommand();
        plan.CommandText = "EXPLAIN QUERY PLAN " + SqlAuditLog.FindRequestSql;
        foreach (var name in new[] { "@code", "@requestId", "@upTo" })
        {
            plan.Parameters.AddWithValue(name, name == "@upTo" ? 10L : "x");
        }

        var steps = new List<string>();
        using (var reader = plan.ExecuteReader())
        {
            while (reader.Read())
            {
                steps.Add(reader.GetString(3));
            }
        }

        var detail = string.Join(" | ", steps);
        Assert.True(steps.Any(s => s.StartsWith("SEARCH readiness_audit USING INDEX sqlite_autoindex_readiness_audit_1 (municipality_code=?", StringComparison.Ordinal)), detail);
        Assert.False(steps.Any(s => s.StartsWith("SCAN readiness_audit", StringComparison.Ordinal)), detail);
    }

    [Fact]
    public void A_database_from_before_loses_the_index_and_keeps_its_rows()
    {
        SqliteSchema.Apply(ConnectionString);
        var dropping = SqliteSchema.Scripts.ToList().FindIndex(s => s.EndsWith("070-audit-request-index.sql", StringComparison.Ordinal)) + 1;
        Assert.True(dropping > 0, "no script drops the index");
        using (var connection = new SqliteConnection(ConnectionString))
        {
            connection.Open();
            // As the database stood before the script: the index there, the script not yet recorded.
            Execute(connection, $"""
                CREATE INDEX ix_readiness_audit_request ON readiness_audit (municipality_code, request_id);
                DELETE FROM ReadinessSchema WHERE Version >= {dropping};
                INSERT INTO readiness_audit (municipality_code, version, target, at_utc, actor_subject, actor_role, request_id)
                VALUES ('131016', 1, 'system:koseki', '2026-12-02T00:00:00Z', 'staff@example.jp', 'municipality', 'r-1');
                """);
            Assert.True(IndexExists(connection));
        }

        Assert.Equal(SqliteSchema.Scripts.Count - dropping + 1, SqliteSchema.Apply(ConnectionString));
        using (var connection = new SqliteConnection(ConnectionString))
        {
            connection.Open();
            Assert.False(IndexExists(connection));
            using var count = connection.CreateCommand();
            count.CommandText = "SELECT COUNT(*) FROM readiness_audit WHERE request_id = 'r-1'";
            Assert.Equal(1L, (long)count.ExecuteScalar()!);
        }
    }

    [Fact]
    public void A_database_a_newer_version_migrated_is_refused_with_the_reason_and_left_unchanged()
    {
        SqliteSchema.Apply(ConnectionString);
        using (var connection = new SqliteConnection(ConnectionString))
        {
            connection.Open();
            Execute(connection, $"INSERT INTO ReadinessSchema (Version, Script, AppliedAt) VALUES ({SqliteSchema.Scripts.Count + 1}, 'Readiness.Sql.sqlite.999-future.sql', '2027-04-01T00:00:00Z')");
        }

        var refused = Assert.Throws<NewerSchemaException>(() => SqliteSchema.Apply(ConnectionString));
        Assert.Contains($"schema version {SqliteSchema.Scripts.Count + 1}", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"knows up to {SqliteSchema.Scripts.Count}", refused.Message, StringComparison.Ordinal);
        Assert.Contains("restore a backup", refused.Message, StringComparison.Ordinal);
    }

    private static bool IndexExists(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'ix_readiness_audit_request'";
        return (long)command.ExecuteScalar()! > 0;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
