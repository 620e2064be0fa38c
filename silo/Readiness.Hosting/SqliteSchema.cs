using System.Reflection;
using Microsoft.Data.Sqlite;

namespace Readiness.Hosting;

/// <summary>
/// Applies the project's own SQLite schema (embedded scripts, numbered) once per version, all in one transaction,
/// before the Orleans storage provider reads its queries.
/// </summary>
public static class SqliteSchema
{
    /// <summary>The database file's name in the data folder.</summary>
    public const string DatabaseFileName = "readiness.db";

    /// <summary>
    /// <paramref name="lockTimeout"/> bounds how long a command waits for SQLite's lock (Microsoft.Data.Sqlite retries a
    /// busy database until the command timeout); past it the write fails and the caller answers 503 with Retry-After.
    /// </summary>
    public static string ConnectionString(string databaseFile, TimeSpan? lockTimeout = null) => new SqliteConnectionStringBuilder
    {
        DataSource = databaseFile,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Cache = SqliteCacheMode.Private,
        Pooling = true,
        DefaultTimeout = Math.Max(1, (int)Math.Ceiling((lockTimeout ?? TimeSpan.FromSeconds(30)).TotalSeconds)),
    }.ToString();

    public static IReadOnlyList<string> Scripts { get; } = typeof(SqliteSchema).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith("Readiness.Sql.sqlite", StringComparison.Ordinal))
        .Order(StringComparer.Ordinal)
        .ToList();

    /// <summary>
    /// Applies the scripts the database has not had; returns how many (0 when it was already current). On a database
    /// that already had a schema and lacks some script, <paramref name="beforeUpgrade"/> is called first with the
    /// newest version it had and the version it is brought to (the embedded product takes a backup there, since some
    /// steps are one way); an exception from it applies nothing. <paramref name="upTo"/> applies only the first scripts,
    /// as an older version would have (tests of an upgrade).
    /// </summary>
    public static int Apply(string connectionString, Action<int, int>? beforeUpgrade = null, int? upTo = null)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        Execute(connection, null, "PRAGMA journal_mode=WAL;");
        Execute(connection, null, "CREATE TABLE IF NOT EXISTS ReadinessSchema (Version INTEGER NOT NULL PRIMARY KEY, Script TEXT NOT NULL, AppliedAt TEXT NOT NULL);");
        // One IMMEDIATE transaction from reading the version to the last script: a second opener of the same file (a
        // second silo in this process or another process) waits at BEGIN for the first to finish, then finds the schema
        // complete. Read outside it, the second saw the first's half-made schema and took it for an old one to upgrade.
        using var transaction = connection.BeginTransaction(deferred: false);
        int had;
        long present;
        using (var newest = connection.CreateCommand())
        {
            newest.Transaction = transaction;
            newest.CommandText = "SELECT COALESCE(MAX(Version), 0), COUNT(*) FROM ReadinessSchema";
            using var reader = newest.ExecuteReader();
            reader.Read();
            had = reader.GetInt32(0);
            present = reader.GetInt64(1);
            NewerSchemaException.ThrowIfNewer([had], Scripts.Count, "data folder's database");
        }

        var target = Math.Min(upTo ?? Scripts.Count, Scripts.Count);
        if (had > 0 && present < target)
        {
            // WAL: the backup's VACUUM INTO reads the committed database on its own connection while this one holds the
            // write lock without having written.
            beforeUpgrade?.Invoke(had, target);
        }

        var applied = 0;
        for (var i = 0; i < target; i++)
        {
            var version = i + 1;
            using (var check = connection.CreateCommand())
            {
                check.Transaction = transaction;
                check.CommandText = "SELECT COUNT(*) FROM ReadinessSchema WHERE Version = $v";
                check.Parameters.AddWithValue("$v", version);
                if (Convert.ToInt64(check.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0)
                {
                    continue;
                }
            }

            Execute(connection, transaction, Read(Scripts[i]));
            using (var record = connection.CreateCommand())
            {
                record.Transaction = transaction;
                record.CommandText = "INSERT INTO ReadinessSchema (Version, Script, AppliedAt) VALUES ($v, $s, strftime('%Y-%m-%dT%H:%M:%fZ','now'))";
                record.Parameters.AddWithValue("$v", version);
                record.Parameters.AddWithValue("$s", Scripts[i]);
                record.ExecuteNonQuery();
            }

            applied++;
        }

        // All scripts or none: an upgrade that fails part way leaves the database as the backup shows it.
        transaction.Commit();
        return applied;
    }

    private static string Read(string resource)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
