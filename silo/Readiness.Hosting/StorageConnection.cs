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
        HostingMode.Embedded => new SqliteStorage(options.ResolveDataPath(), options.StorageLockTimeout, options.Backup.ResolvePath(options)),
        _ => new PostgresStorage(ClusterHosting.WithPoolDefaults(options.ConnectionString
            ?? throw new InvalidOperationException("Cluster mode needs Readiness:ConnectionString (env Readiness__ConnectionString) for PostgreSQL."))),
    };
}

internal sealed class SqliteStorage : IStorageConnection, IDisposable
{
    private readonly string backupFolder;

    public SqliteStorage(string dataPath, TimeSpan lockTimeout, string backupFolder)
    {
        this.backupFolder = backupFolder;
        try
        {
            OwnerOnly.CreateFolder(dataPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw StartRefusal.Refused($"Readiness:DataPath = '{dataPath}'", "データフォルダーを作れません（親フォルダーの権限と空きを確かめてください）",
                "the data folder cannot be made (check the parent folder's permissions and free space).", e);
        }

        DataFolder = dataPath;
        Location = Path.Combine(dataPath, SqliteSchema.DatabaseFileName);
        ConnectionString = SqliteSchema.ConnectionString(Location, lockTimeout);
    }

    public string DataFolder { get; }

    public string Invariant => SiloHosting.SqliteInvariant;

    public string ConnectionString { get; }

    public string Location { get; }

    /// <summary>
    /// With the host (the container disposes it after the silo has stopped): closes the pooled SQLite connections, so
    /// the files are released, and stops each pool's prune timer. That timer holds the execution context the pool was
    /// made in, which holds the host being built, so a process that ran many hosts (the API tests) kept every one of
    /// them reachable. All of the process's pools: the identity and audit stores open their own connection strings.
    /// </summary>
    public void Dispose() => SqliteConnection.ClearAllPools();

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
        var applied = SqliteSchema.Apply(ConnectionString, BackUpBeforeUpgrade);
        Console.WriteLine($"Readiness data: {Location} (SQLite{(applied > 0 ? $", schema applied: {applied} script(s)" : string.Empty)})");
    }

    /// <summary>
    /// A validated copy of the database as it was before a schema upgrade, kept in the backup folder as
    /// before-upgrade-readiness-{UTC}-schema-{version}.db (outside the scheduled backups' pruning, which matches
    /// readiness-*.db): some steps are one way, so going back to the version before means restoring this file. A copy
    /// that cannot be made (disk full, damaged rows) refuses the start, and nothing is upgraded.
    /// </summary>
    private void BackUpBeforeUpgrade(int from, int to)
    {
        var file = Path.Combine(backupFolder, $"before-upgrade-{SqliteBackup.FileName(DateTimeOffset.UtcNow)[..^3]}-schema-{from}.db");
        try
        {
            var taken = SqliteBackup.BackupAsync(Location, file).GetAwaiter().GetResult();
            Console.WriteLine($"Readiness data: schema {from} -> {to}; the database before it was backed up to {taken.File} ({taken.Bytes:N0} bytes)");
        }
        catch (Exception e) when (e is IOException or InvalidDataException or SqliteException or UnauthorizedAccessException or Readiness.UnreadableStateException)
        {
            throw StartRefusal.Refused(file,
                $"データベースのスキーマ更新（{from} → {to}）の前のバックアップを作れませんでした。何も更新していません。空きを作るかフォルダー（Readiness__Backup__Path）を直すか、正常なバックアップを復元してから起動し直してください",
                $"the database needs a schema upgrade ({from} -> {to}), and the backup taken before it could not be made. " +
                "Nothing was upgraded. Free space or fix the folder (Readiness__Backup__Path), or restore an intact backup, and start again.", e);
        }
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
