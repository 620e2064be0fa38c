using System.Collections.Immutable;
using Microsoft.Data.Sqlite;
using Readiness.Grains;
using Readiness.Hosting;
using Readiness.Rules;

namespace Readiness.Tests.Hosting;

/// <summary>
/// The audit writer binds SQLite's statements by position (SqliteStatement) rather than through Microsoft.Data.Sqlite's
/// commands: the text stored is the same text (UTF-16 bound, stored as UTF-8 TEXT), nulls stay NULL, and a statement
/// SQLite refuses throws SQLite's own error, as the commands did (the group commit's fallback relies on it).
/// </summary>
public sealed class SqliteStatementTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2026, 12, 5, 1, 2, 3, TimeSpan.Zero);
    private readonly string file = Path.Combine(Path.GetTempPath(), $"readiness-statement-{Guid.NewGuid():N}.db");

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
    public async Task A_changes_rows_and_request_are_stored_as_the_same_text_with_nulls_kept()
    {
        SqliteSchema.Apply(ConnectionString);
        // Characters outside the BMP (𠮷), half-width kana, a combining mark and an emoji: UTF-16 surrogates must arrive whole.
        var subject = "𠮷野 ﾀﾛｳ e\u0301 🙂";
        ImmutableArray<ChangeEntry> entries =
        [
            new ChangeEntry
            {
                MunicipalityCode = "131016", Version = 4, At = At, Actor = new Actor(subject, Role.Municipality, null), RequestId = "要求-𠮷-1",
                Target = "security:SEC-1-01", ClientAddress = null, BeforeFields = [], AfterFields = [new AuditField("evidence", "規程 第3条 ｶﾞ 🙂")],
            },
            new ChangeEntry
            {
                MunicipalityCode = "131016", Version = 4, At = At, Actor = new Actor(subject, Role.Municipality, "131016"), RequestId = "要求-𠮷-1",
                Target = "security:SEC-1-02", ClientAddress = "2001:db8::1", Before = "status=partial", BeforeFields = [new AuditField("status", "partial")], AfterFields = [],
            },
        ];
        var requests = ImmutableArray.Create(new AppliedRequest("要求-𠮷-1", "ab12", 4) { CallId = null });

        await using (var connection = new SqliteConnection(ConnectionString))
        {
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await using (var writer = AuditRowWriter.Create(connection, transaction, sqlite: true))
            {
                await writer.WriteAsync(new PreparedAudit("131016", 4, AuditRowWriter.Prepare(entries, sqlite: true), requests));
            }

            await transaction.CommitAsync();
        }

        await using var check = new SqliteConnection(ConnectionString);
        await check.OpenAsync();
        await using var rows = check.CreateCommand();
        rows.CommandText = """
            SELECT target, actor_subject, typeof(actor_subject), actor_tenant, typeof(actor_tenant), request_id, client_address, typeof(client_address),
                   before_value, typeof(before_value), after_fields, typeof(after_fields), typeof(version), at_utc
            FROM readiness_audit WHERE municipality_code = '131016' ORDER BY target
            """;
        var read = new List<object?[]>();
        await using (var reader = await rows.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var values = new object?[reader.FieldCount];
                reader.GetValues(values!);
                read.Add([.. values.Select(v => v is DBNull ? null : v)]);
            }
        }

        Assert.Equal(2, read.Count);
        Assert.Equal(["security:SEC-1-01", subject, "text", null, "null", "要求-𠮷-1", null, "null", null, "null", AuditFields.ToJson(entries[0].AfterFields), "text", "integer", At.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture)], read[0]);
        Assert.Equal(["security:SEC-1-02", subject, "text", "131016", "text", "要求-𠮷-1", "2001:db8::1", "text", "status=partial", "text", null, "null", "integer", At.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture)], read[1]);

        await using var request = check.CreateCommand();
        request.CommandText = "SELECT request_id, fingerprint, version, typeof(version), call_id FROM readiness_applied_request WHERE code = '131016'";
        await using var requestRow = await request.ExecuteReaderAsync();
        Assert.True(await requestRow.ReadAsync());
        Assert.Equal(("要求-𠮷-1", "ab12", 4L, "integer", true), (requestRow.GetString(0), requestRow.GetString(1), requestRow.GetInt64(2), requestRow.GetString(3), requestRow.IsDBNull(4)));
        Assert.False(await requestRow.ReadAsync());
    }

    [Fact]
    public async Task A_refused_statement_throws_SQLites_error_and_a_value_it_cannot_bind_is_refused_before_it_runs()
    {
        await using var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync();
        await using (var create = connection.CreateCommand())
        {
            create.CommandText = "CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER NOT NULL, b BLOB)";
            await create.ExecuteNonQueryAsync();
        }

        Assert.Throws<ArgumentException>(() => SqliteStatement.Prepare(connection, "INSERT INTO t (k, n) VALUES (@k, @n)", "@k", "@missing"));
        using var insert = SqliteStatement.Prepare(connection, "INSERT INTO t (k, n, b) VALUES (@k, @n, @b)", "@k", "@n", "@b");
        insert.Bind(0, "a");
        insert.Bind(1, 1L);
        insert.Bind(2, new byte[] { 1, 2, 3 });
        Assert.Equal(1, insert.Execute());
        Assert.Throws<ArgumentException>(() => insert.Bind(1, 1.5m));

        // The same key again: SQLite's constraint error (19), and the statement is usable afterwards.
        var refused = Assert.Throws<SqliteException>(() => insert.Execute());
        Assert.Equal(19, refused.SqliteErrorCode);
        insert.Bind(0, "b");
        insert.Bind(1, true);
        insert.Bind(2, DBNull.Value);
        Assert.Equal(1, insert.Execute());

        await using var check = connection.CreateCommand();
        check.CommandText = "SELECT group_concat(k || ':' || n || ':' || typeof(b), ',') FROM (SELECT * FROM t ORDER BY k)";
        Assert.Equal("a:1:blob,b:1:null", await check.ExecuteScalarAsync());
    }
}
