using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Readiness.Hosting;

/// <summary>Where grain state lives for the chosen mode, and how to reach it directly (schema, health).</summary>
public interface IStorageConnection
{
    string Invariant { get; }

    string ConnectionString { get; }

    /// <summary>Human-readable location, printed at start-up.</summary>
    string Location { get; }

    /// <summary>The folder holding the database file (embedded SQLite); null when the database is a server.</summary>
    string? DataFolder => null;

    /// <summary>
    /// Opens a connection without blocking the calling thread: waiting for a pooled connection synchronously inside a
    /// grain parks an Orleans scheduler thread, and under load the whole silo stalls (timers seconds late).
    /// </summary>
    Task<DbConnection> OpenAsync(CancellationToken cancellationToken = default);

    void EnsureSchema();
}

public static class StorageConnection
{
    public static IStorageConnection For(ReadinessOptions options) => options.Mode switch
    {
        HostingMode.Embedded => new SqliteStorage(options.ResolveDataPath(), options.StorageLockTimeout),
        _ => new PostgresStorage(ClusterHosting.WithPoolDefaults(options.ConnectionString
            ?? throw new InvalidOperationException("Cluster mode needs Readiness:ConnectionString (env Readiness__ConnectionString) for PostgreSQL."))),
    };
}

internal sealed class SqliteStorage : IStorageConnection
{
    public SqliteStorage(string dataPath, TimeSpan lockTimeout)
    {
        OwnerOnly.CreateFolder(dataPath);
        DataFolder = dataPath;
        Location = Path.Combine(dataPath, SqliteSchema.DatabaseFileName);
        ConnectionString = SqliteSchema.ConnectionString(Location, lockTimeout);
    }

    public string DataFolder { get; }

    public string Invariant => SiloHosting.SqliteInvariant;

    public string ConnectionString { get; }

    public string Location { get; }

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    public void EnsureSchema()
    {
        OwnerOnly.SecureDataFolder(DataFolder);
        // Made 0600 before SQLite first opens it: SQLite creates the -wal and -shm with the database file's mode.
        OwnerOnly.Touch(Location);
        var applied = SqliteSchema.Apply(ConnectionString);
        Console.WriteLine($"Readiness data: {Location} (SQLite{(applied > 0 ? $", schema applied: {applied} script(s)" : string.Empty)})");
    }
}

internal sealed class PostgresStorage(string connectionString) : IStorageConnection
{
    public string Invariant => SiloHosting.PostgresInvariant;

    public string ConnectionString { get; } = connectionString;

    public string Location
    {
        get
        {
            var b = new NpgsqlConnectionStringBuilder(ConnectionString);
            return $"postgresql://{b.Host}:{b.Port}/{b.Database}";
        }
    }

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    public void EnsureSchema() => PostgresSchema.Apply(ConnectionString);
}
