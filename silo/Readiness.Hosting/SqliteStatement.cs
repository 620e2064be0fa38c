using System.Diagnostics;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Readiness.Hosting;

/// <summary>
/// One SQLite statement prepared on an open connection, bound by position and run again and again inside the
/// connection's transaction, for the statements every change runs (its audit rows, its applied request).
/// </summary>
/// <remarks>
/// Microsoft.Data.Sqlite allocates on every execution, per bound value, a binder object, the UTF-8 bytes of the
/// parameter's name (to look its position up again) and of a text value, plus a data reader: ~2 KB of a single
/// change's ~40 KB (issue 14's profile). Here the positions are looked up once, text is bound as UTF-16 (SQLite
/// stores it as UTF-8, the same text) and a run is one step. Values are typed as Microsoft.Data.Sqlite types them:
/// string TEXT, long/int/bool INTEGER, byte[] BLOB, null/DBNull NULL; anything else is refused. A statement SQLite
/// reports busy or locked is retried as Microsoft.Data.Sqlite does, up to <see cref="Timeout"/>; any other failure
/// throws <see cref="SqliteException"/> with SQLite's code and message. Dispose before the connection.
/// </remarks>
internal sealed class SqliteStatement : IDisposable
{
    /// <summary>How long a busy or locked statement is retried (the commands' timeout elsewhere: 30 s).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly sqlite3 db;
    private readonly sqlite3_stmt statement;
    private readonly int[] positions;

    private SqliteStatement(sqlite3 db, sqlite3_stmt statement, int[] positions)
    {
        this.db = db;
        this.statement = statement;
        this.positions = positions;
    }

    /// <summary>The statement, its <paramref name="names"/> (with their prefix, e.g. "@code") bound by their index in this list.</summary>
    /// <exception cref="SqliteException">The SQL does not compile.</exception>
    /// <exception cref="ArgumentException">A name is not in the SQL.</exception>
    public static SqliteStatement Prepare(SqliteConnection connection, string sql, params string[] names)
    {
        var db = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        var rc = raw.sqlite3_prepare_v2(db, sql, out var statement);
        SqliteException.ThrowExceptionForRC(rc, db);
        var positions = new int[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            positions[i] = raw.sqlite3_bind_parameter_index(statement, names[i]);
            if (positions[i] == 0)
            {
                statement.Dispose();
                throw new ArgumentException($"The SQL has no parameter {names[i]}.", nameof(names));
            }
        }

        return new SqliteStatement(db, statement, positions);
    }

    /// <summary>Binds the <paramref name="i"/>th name's value (kept by SQLite until the next bind).</summary>
    public void Bind(int i, object? value)
    {
        var position = positions[i];
        var rc = value switch
        {
            null or DBNull => raw.sqlite3_bind_null(statement, position),
            string text => raw.sqlite3_bind_text16(statement, position, text.AsSpan()),
            long number => raw.sqlite3_bind_int64(statement, position, number),
            int number => raw.sqlite3_bind_int64(statement, position, number),
            bool flag => raw.sqlite3_bind_int64(statement, position, flag ? 1 : 0),
            byte[] bytes => raw.sqlite3_bind_blob(statement, position, bytes),
            _ => throw new ArgumentException($"A value of type {value.GetType()} is not bound here.", nameof(value)),
        };
        SqliteException.ThrowExceptionForRC(rc, db);
    }

    /// <summary>Binds the <paramref name="i"/>th name to a BLOB of <paramref name="bytes"/> (SQLite copies them: the span may be reused at once).</summary>
    public void BindBlob(int i, ReadOnlySpan<byte> bytes) =>
        SqliteException.ThrowExceptionForRC(raw.sqlite3_bind_blob(statement, positions[i], bytes), db);

    /// <summary>Runs the statement with its bound values; returns the rows it changed.</summary>
    /// <exception cref="SqliteException">SQLite refused it (a constraint, a full disk), or stayed busy past <see cref="Timeout"/>.</exception>
    public int Execute()
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var rc = raw.sqlite3_step(statement);
            if (rc == raw.SQLITE_DONE || rc == raw.SQLITE_ROW)
            {
                raw.sqlite3_reset(statement);
                return raw.sqlite3_changes(db);
            }

            raw.sqlite3_reset(statement);
            if ((rc == raw.SQLITE_BUSY || rc == raw.SQLITE_LOCKED || rc == raw.SQLITE_LOCKED_SHAREDCACHE) && Stopwatch.GetElapsedTime(started) < Timeout)
            {
                Thread.Sleep(150); // as Microsoft.Data.Sqlite waits between attempts
                continue;
            }

            SqliteException.ThrowExceptionForRC(rc, db);
            return 0; // not reached: rc is an error
        }
    }

    public void Dispose() => statement.Dispose();
}
