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

    private static int SchemaVersion(string file)
    {
        using var connection = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT MAX(Version) FROM ReadinessSchema";
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
