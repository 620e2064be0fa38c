using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Readiness.Hosting;

/// <summary>One numbered script of deploy/sql/postgresql, embedded in this assembly.</summary>
public sealed record SchemaScript(int Version, string Name, string Sql)
{
    public string Checksum { get; } = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Sql.ReplaceLineEndings("\n"))));
}

/// <summary>
/// Applies the project's PostgreSQL schema (deploy/sql/postgresql/NNN-*.sql, embedded) in file-name order, each script
/// once, each in its own transaction, recorded in readiness_schema_version. A session-level advisory lock makes it
/// safe for several silos (and an operator's migrate command) to start at once: one applies, the others wait and
/// then find nothing left to do.
/// </summary>
public static class PostgresSchema
{
    public const string VersionTable = "readiness_schema_version";

    /// <summary>The advisory lock key: any fixed 64-bit number, shared by every process that migrates this database.</summary>
    public const long LockKey = 0x52_45_41_44_59_53_51_4C; // "READYSQL"

    private const string ResourcePrefix = "Readiness.Sql.postgresql/";

    public static IReadOnlyList<SchemaScript> Scripts { get; } = LoadScripts();

    /// <summary>Returns the number of scripts applied now (0 when the database was already current).</summary>
    public static int Apply(string connectionString, TextWriter? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        using var connection = OpenWithRetry(connectionString, TimeSpan.FromSeconds(30), cancellationToken);
        Execute(connection, null, $"SELECT pg_advisory_lock({LockKey})");
        try
        {
            Execute(connection, null, $"""
                CREATE TABLE IF NOT EXISTS {VersionTable}
                (
                    version    integer      NOT NULL PRIMARY KEY,
                    script     varchar(200) NOT NULL,
                    checksum   char(64)     NOT NULL,
                    applied_at timestamptz  NOT NULL DEFAULT now()
                )
                """);
            var applied = ReadApplied(connection);
            NewerSchemaException.ThrowIfNewer(applied.Keys, Scripts.Select(s => s.Version).DefaultIfEmpty(0).Max(), "database");
            var count = 0;
            foreach (var script in Scripts)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (applied.TryGetValue(script.Version, out var recorded))
                {
                    if (!string.Equals(recorded.Checksum, script.Checksum, StringComparison.OrdinalIgnoreCase))
                    {
                        // An applied script is history: editing it would leave existing databases different from new ones.
                        throw StartRefusal.Refused(script.Name,
                            $"スキーマ版 {script.Version} として適用済みのもの（{recorded.Script}）と内容が違います。適用済みのスクリプトは変えず、番号の新しいスクリプトを加えてください",
                            $"Schema script {script.Name} differs from the one applied as version {script.Version} ({recorded.Script}). " +
                            "Add a new numbered script instead of editing an applied one.");
                    }

                    continue;
                }

                using var transaction = connection.BeginTransaction();
                Execute(connection, transaction, script.Sql);
                using (var record = new NpgsqlCommand($"INSERT INTO {VersionTable} (version, script, checksum) VALUES (@v, @s, @c)", connection, transaction))
                {
                    record.Parameters.AddWithValue("v", script.Version);
                    record.Parameters.AddWithValue("s", script.Name);
                    record.Parameters.AddWithValue("c", script.Checksum);
                    record.ExecuteNonQuery();
                }

                transaction.Commit();
                count++;
                log?.WriteLine($"Applied schema script {script.Name}");
            }

            return count;
        }
        finally
        {
            // Not on a connection that broke: its session (and lock) is gone, and the unlock's own error would replace
            // the one that broke it.
            if (connection.State == System.Data.ConnectionState.Open)
            {
                Execute(connection, null, $"SELECT pg_advisory_unlock({LockKey})");
            }
        }
    }

    /// <summary>The versions recorded as applied, in order; empty when the schema was never applied.</summary>
    public static IReadOnlyList<int> AppliedVersions(string connectionString)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using var exists = new NpgsqlCommand($"SELECT to_regclass('{VersionTable}') IS NOT NULL", connection);
        return exists.ExecuteScalar() is true ? ReadApplied(connection).Keys.Order().ToList() : [];
    }

    private static Dictionary<int, (string Script, string Checksum)> ReadApplied(NpgsqlConnection connection)
    {
        var applied = new Dictionary<int, (string, string)>();
        using var read = new NpgsqlCommand($"SELECT version, script, checksum FROM {VersionTable}", connection);
        using var reader = read.ExecuteReader();
        while (reader.Read())
        {
            applied[reader.GetInt32(0)] = (reader.GetString(1), reader.GetString(2));
        }

        return applied;
    }

    private static NpgsqlConnection OpenWithRetry(string connectionString, TimeSpan patience, CancellationToken cancellationToken)
    {
        // Silos may start together with the database (a fresh container set, the local cluster script).
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            var connection = new NpgsqlConnection(connectionString);
            try
            {
                connection.Open();
                return connection;
            }
            catch (NpgsqlException ex) when (ex.IsTransient && DateTime.UtcNow < deadline)
            {
                connection.Dispose();
                Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken).GetAwaiter().GetResult();
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }
    }

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = 120 };
        command.ExecuteNonQuery();
    }

    private static List<SchemaScript> LoadScripts()
    {
        var assembly = typeof(PostgresSchema).Assembly;
        var scripts = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n => Load(assembly, n))
            .ToList();
        var duplicate = scripts.GroupBy(s => s.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Two schema scripts share version {duplicate.Key}: {string.Join(", ", duplicate.Select(s => s.Name))}");
        }

        return scripts;
    }

    private static SchemaScript Load(Assembly assembly, string resource)
    {
        var name = resource[ResourcePrefix.Length..];
        var digits = new string(name.TakeWhile(char.IsAsciiDigit).ToArray());
        if (digits.Length == 0)
        {
            throw new InvalidOperationException($"Schema script '{name}' must start with its version number, e.g. 001-name.sql");
        }

        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return new SchemaScript(int.Parse(digits, CultureInfo.InvariantCulture), name, reader.ReadToEnd());
    }
}
