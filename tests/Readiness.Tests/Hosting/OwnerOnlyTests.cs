using Microsoft.Data.Sqlite;
using Readiness.Hosting;
using Readiness.Testing;
using Readiness.Web.Auth;
using Xunit;

namespace Readiness.Tests.Hosting;

/// <summary>
/// What the product keeps on disk is owner-only whatever the umask (files 0600, its folders 0700): the database and its
/// -wal/-shm, backups, a restore's files, the lock file and the signing key hold password hashes, TOTP secrets and the
/// data-protection key ring. Files are made the way the test process's umask (022 here) would leave 0644.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // POSIX modes; on Windows the folder's ACL governs
public class OwnerOnlyTests
{
    private const string File0644 = "644";

    [Fact]
    public void A_new_database_its_wal_and_shm_and_the_lock_file_are_0600_and_a_new_data_folder_0700()
    {
        using var root = new TempFolder("readiness-modes");
        var data = Path.Combine(root.Path, "data");
        var storage = StorageConnection.For(new ReadinessOptions { DataPath = data });
        storage.EnsureSchema();
        Write(storage.Location);
        using var held = DataFolderLock.TryAcquire(data);

        Assert.Equal("700", Mode(data));
        foreach (var file in new[] { "readiness.db", "readiness.db-wal", "readiness.db-shm", DataFolderLock.FileName })
        {
            Assert.True(File.Exists(Path.Combine(data, file)), file);
            Assert.Equal("600", Mode(Path.Combine(data, file)));
        }
    }

    [Fact]
    public async Task A_backup_and_a_restore_are_0600_in_new_0700_folders_and_the_database_a_restore_keeps_is_narrowed()
    {
        using var root = new TempFolder("readiness-modes");
        var source = Path.Combine(root.Path, "source.db");
        SqliteSchema.Apply(SqliteSchema.ConnectionString(source));
        Assert.Equal(File0644, Mode(source)); // the umask leaves 0644: what every backup was before

        var backup = Path.Combine(root.Path, "backups", "nested", "readiness-1.db");
        await SqliteBackup.BackupAsync(source, backup);
        Assert.Equal("600", Mode(backup));
        Assert.Equal("700", Mode(Path.GetDirectoryName(backup)!));

        var data = Path.Combine(root.Path, "data");
        Directory.CreateDirectory(data);
        var previous = Path.Combine(data, SqliteSchema.DatabaseFileName);
        File.Copy(source, previous);
        File.SetUnixFileMode(previous, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var restored = SqliteBackup.Restore(backup, data);
        Assert.Equal("600", Mode(restored.Database));
        Assert.Equal("600", Mode(restored.PreviousKeptAs!));
    }

    [Fact]
    public void At_start_a_data_folder_of_an_earlier_version_is_narrowed_except_the_folder_itself_which_is_warned_about()
    {
        using var root = new TempFolder("readiness-modes");
        var data = Path.Combine(root.Path, "data");
        var open = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        var openFolder = open | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        Directory.CreateDirectory(data, openFolder);
        var files = new[]
        {
            "readiness.db", "readiness.db-wal", "readiness.db-shm", "readiness.db.before-restore-20261201T000000Z", DataFolderLock.FileName,
            Path.Combine("auth", LocalSigningKey.FileName), Path.Combine("backups", "readiness-20261201T000000Z.db"),
        };
        foreach (var file in files)
        {
            var path = Path.Combine(data, file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!, openFolder);
            File.WriteAllText(path, "x");
            File.SetUnixFileMode(path, open);
        }

        var operators = Path.Combine(data, "notes.txt"); // not the product's: left alone
        File.WriteAllText(operators, "x");
        File.SetUnixFileMode(operators, open);

        OwnerOnly.SecureDataFolder(data);

        Assert.All(files, f => Assert.Equal("600", Mode(Path.Combine(data, f))));
        Assert.Equal("700", Mode(Path.Combine(data, "auth")));
        Assert.Equal("700", Mode(Path.Combine(data, "backups")));
        Assert.Equal(File0644, Mode(operators));
        Assert.Equal("755", Mode(data));
        var warning = OwnerOnly.OpenFolderWarning(data, "データフォルダー", "data folder");
        Assert.Contains($"データフォルダー {data} は他のユーザーにも開かれています（0755）", warning, StringComparison.Ordinal);
        Assert.Contains($"The data folder {data} is open to other users (0755); chmod 700 it.", warning, StringComparison.Ordinal);

        File.SetUnixFileMode(data, OwnerOnly.FolderMode);
        Assert.Null(OwnerOnly.OpenFolderWarning(data, "データフォルダー", "data folder"));
    }

    [Fact]
    public void The_signing_key_folder_and_its_lock_are_owner_only_even_when_the_folder_was_made_open()
    {
        using var root = new TempFolder("readiness-modes");
        var auth = Path.Combine(root.Path, "auth");
        Directory.CreateDirectory(auth, OwnerOnly.FolderMode | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        LocalSigningKey.Resolve(new ReadinessAuthOptions(), new ReadinessOptions { DataPath = root.Path }, out var key, out var created);

        Assert.True(created);
        Assert.Equal("700", Mode(auth));
        Assert.Equal("600", Mode(key!));
        Assert.Equal("600", Mode(key + ".lock"));
    }

    private static void Write(string database)
    {
        using var connection = new SqliteConnection(SqliteSchema.ConnectionString(database));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS mode_probe (x INTEGER); INSERT INTO mode_probe VALUES (1);";
        command.ExecuteNonQuery();
    }

    private static string Mode(string path) => Convert.ToString((int)File.GetUnixFileMode(path) & 0x1FF, 8);
}
