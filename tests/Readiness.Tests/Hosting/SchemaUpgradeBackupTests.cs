using Microsoft.Data.Sqlite;
using Readiness.Hosting;
using Readiness.Testing;
using Xunit;

namespace Readiness.Tests.Hosting;

/// <summary>
/// An embedded database an earlier version wrote is backed up before its schema is upgraded (operator's finding: the
/// upgrade applied one-way steps, such as compressed states an older version cannot read, with no copy to go back to).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // also checks the copy is owner-only (POSIX modes)
public class SchemaUpgradeBackupTests
{
    private static readonly int Newest = SqliteSchema.Scripts.Count;

    [Fact]
    public void An_upgrade_backs_up_the_database_as_it_was_first_and_a_current_or_new_database_is_not_copied()
    {
        using var root = new TempFolder("readiness-upgrade");
        var data = Path.Combine(root.Path, "data");
        Directory.CreateDirectory(data);
        var database = Path.Combine(data, SqliteSchema.DatabaseFileName);
        Assert.Equal(Newest - 1, SqliteSchema.Apply(SqliteSchema.ConnectionString(database), upTo: Newest - 1)); // as the version before wrote it

        StorageConnection.For(new ReadinessOptions { DataPath = data }).EnsureSchema();

        var backups = Path.Combine(data, "backups");
        var taken = Assert.Single(Directory.GetFiles(backups));
        Assert.Matches(@"before-upgrade-readiness-\d{8}T\d{6}Z-schema-" + (Newest - 1) + @"\.db$", taken);
        Assert.Equal(Newest - 1, SchemaVersion(taken));
        Assert.Equal(Newest, SchemaVersion(database));
        Assert.Null(SqliteBackup.Validate(taken));
        Assert.Equal("600", Convert.ToString((int)File.GetUnixFileMode(taken) & 0x1FF, 8));

        StorageConnection.For(new ReadinessOptions { DataPath = data }).EnsureSchema(); // current: nothing to copy
        Assert.Single(Directory.GetFiles(backups));

        var fresh = Path.Combine(root.Path, "fresh");
        StorageConnection.For(new ReadinessOptions { DataPath = fresh }).EnsureSchema(); // new: nothing to copy
        Assert.False(Directory.Exists(Path.Combine(fresh, "backups")));
    }

    [Fact]
    public void An_upgrade_whose_backup_cannot_be_made_refuses_and_upgrades_nothing()
    {
        using var root = new TempFolder("readiness-upgrade");
        var data = Path.Combine(root.Path, "data");
        Directory.CreateDirectory(data);
        var database = Path.Combine(data, SqliteSchema.DatabaseFileName);
        SqliteSchema.Apply(SqliteSchema.ConnectionString(database), upTo: Newest - 1);
        var notAFolder = Path.Combine(root.Path, "backups-is-a-file");
        File.WriteAllText(notAFolder, "x");

        var refused = Assert.Throws<InvalidOperationException>(() =>
            StorageConnection.For(new ReadinessOptions { DataPath = data, Backup = { Path = notAFolder } }).EnsureSchema());

        Assert.Contains($"schema upgrade ({Newest - 1} -> {Newest})", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was upgraded", refused.Message, StringComparison.Ordinal);
        Assert.Equal(Newest - 1, SchemaVersion(database));
    }

    /// <summary>
    /// Two silos in one process (or two processes) opening the same new file at once (the fresh-clone CI's race): the
    /// schema appears whole or not at all to any other connection, so a second opener never sees a half-made schema and
    /// takes it for an old one to upgrade (which backed it up and refused the start); every opener finds it complete.
    /// </summary>
    [Fact]
    public async Task Openers_of_one_new_file_at_once_never_see_a_half_made_schema_and_none_takes_it_for_an_upgrade()
    {
        using var root = new TempFolder("readiness-schema-race");
        for (var round = 0; round < 5; round++)
        {
            var database = Path.Combine(root.Path, $"race-{round}.db");
            var cs = SqliteSchema.ConnectionString(database);
            var upgrades = 0;
            var seen = new System.Collections.Concurrent.ConcurrentDictionary<long, bool>();
            using var created = new ManualResetEventSlim();
            var first = Task.Run(() =>
            {
                created.Wait();
                return SqliteSchema.Apply(cs, (_, _) => Interlocked.Increment(ref upgrades));
            });
            // What another opener reads while the first creates the schema: the versions committed so far.
            var watcher = Task.Run(() =>
            {
                using var connection = new SqliteConnection(cs);
                connection.Open();
                using (var wal = connection.CreateCommand())
                {
                    wal.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS ReadinessSchema (Version INTEGER NOT NULL PRIMARY KEY, Script TEXT NOT NULL, AppliedAt TEXT NOT NULL);";
                    wal.ExecuteNonQuery();
                }

                created.Set();
                using var read = connection.CreateCommand();
                read.CommandText = "SELECT COUNT(*) FROM ReadinessSchema";
                do
                {
                    seen[Convert.ToInt64(read.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture)] = true;
                }
                while (!first.IsCompleted);
            });
            var second = Task.Run(() =>
            {
                created.Wait();
                return SqliteSchema.Apply(cs, (_, _) => Interlocked.Increment(ref upgrades));
            });
            var counts = await Task.WhenAll(first, second);
            await watcher;

            Assert.Equal(0, upgrades);
            Assert.Equal(Newest, counts.Sum());
            Assert.Equal(Newest, SchemaVersion(database));
            Assert.All(seen.Keys, count => Assert.True(count == 0 || count == Newest, $"another connection saw {count} of {Newest} scripts"));
        }
    }

    private static int SchemaVersion(string file)
    {
        using var connection = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT MAX(Version) FROM ReadinessSchema";
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
