using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Readiness.Hosting;

/// <summary>A finished backup: the file, its size in bytes, how long it took, and the moment it is consistent with.</summary>
public sealed record BackupResult(string File, long Bytes, TimeSpan Elapsed, DateTimeOffset TakenAt, long GrainStates, long AuditRows);

/// <summary>
/// Online backup and restore of the embedded database (grain state, audit trail and everything else the product keeps
/// in its one SQLite file). A backup is taken with <c>VACUUM INTO</c> (https://sqlite.org/lang_vacuum.html#vacuuminto):
/// it reads inside one transaction, so the copy is the database as of one commit while the product goes on writing
/// (WAL readers never block the writer); copying the live file and its -wal by hand is not a safe backup.
/// </summary>
public static class SqliteBackup
{
    /// <summary>Tables a Readiness database has; a file without them is refused by <see cref="Validate"/>.</summary>
    public static IReadOnlyList<string> RequiredTables { get; } = ["ReadinessSchema", "OrleansStorage", "readiness_audit"];

    /// <summary>The file name of a backup taken at <paramref name="at"/>: readiness-20261130T091500Z.db.</summary>
    public static string FileName(DateTimeOffset at) => $"readiness-{at.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}.db";

    /// <summary>
    /// Writes a consistent copy of <paramref name="databaseFile"/> to <paramref name="destinationFile"/> (which must not
    /// exist), checks it with <see cref="Validate"/>, and only then gives it its name. Throws IOException when the
    /// destination exists, <see cref="Readiness.UnreadableStateException"/> (naming them) when stored states cannot be
    /// read, InvalidDataException when the copy does not validate otherwise.
    /// </summary>
    public static async Task<BackupResult> BackupAsync(string databaseFile, string destinationFile, CancellationToken cancellationToken = default)
    {
        destinationFile = Path.GetFullPath(destinationFile);
        if (File.Exists(destinationFile))
        {
            throw new IOException(StartRefusal.Say(destinationFile, "既にあります。別のファイル名を指定してください", "already exists; choose another file name."));
        }

        OwnerOnly.CreateFolder(Path.GetDirectoryName(destinationFile)!);
        var partial = destinationFile + ".partial";
        File.Delete(partial);
        OwnerOnly.Touch(partial); // VACUUM INTO fills an empty file and keeps its mode: owner-only from the first page
        var started = Stopwatch.StartNew();
        var takenAt = DateTimeOffset.UtcNow;
        await using (var connection = new SqliteConnection(Connection(databaseFile, SqliteOpenMode.ReadWrite)))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "VACUUM INTO $file";
            command.Parameters.AddWithValue("$file", partial);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        var (problem, grains, audit, unreadable) = Inspect(partial);
        if (problem is { } p)
        {
            File.Delete(partial);
            // The data itself is damaged: asking again copies the same rows, so this is no failure to retry, and the
            // answer names the states as a read of them does.
            throw unreadable.Count > 0
                ? new Readiness.UnreadableStateException(string.Join(", ", unreadable), $"the backup did not validate: {p.English}")
                : new InvalidDataException(StartRefusal.Say(destinationFile, $"バックアップの検証に失敗しました（{p.Japanese}）", $"the backup did not validate: {p.English}"));
        }

        File.Move(partial, destinationFile);
        OwnerOnly.Narrow(destinationFile);
        return new BackupResult(destinationFile, new FileInfo(destinationFile).Length, started.Elapsed, takenAt, grains, audit);
    }

    /// <summary>Null when <paramref name="file"/> is an intact Readiness database; otherwise why it is not, "Japanese / English".</summary>
    public static string? Validate(string file) => Inspect(file).Problem is { } p ? $"{p.Japanese} / {p.English}" : null;

    /// <summary>
    /// Replaces the database in <paramref name="dataPath"/> with the database in <paramref name="backupFile"/>. The
    /// product must be stopped (its data-folder lock is checked). The backup is read through SQLite into a copy beside
    /// the database (<c>VACUUM INTO</c>: a -wal left beside the file, as after a crash, is part of what is read), the copy
    /// is validated, and only then does the database it replaces move aside, kept as readiness.db.before-restore-{time}
    /// (with its -wal and -shm), and the copy take its name: what is put in place is what was validated, and a restore
    /// that fails at any step leaves the database where it was. <paramref name="backupFile"/> may be the database itself.
    /// Returns what was restored; throws InvalidOperationException (product running) or InvalidDataException (not a
    /// valid Readiness database) and then changes nothing.
    /// </summary>
    public static RestoreResult Restore(string backupFile, string dataPath)
    {
        backupFile = Path.GetFullPath(backupFile);
        if (!File.Exists(backupFile))
        {
            throw new FileNotFoundException(StartRefusal.Say(backupFile, "バックアップファイルがありません", "there is no backup file at this path."), backupFile);
        }

        // Checked before the lock, so that a file that is no database is refused the same way whether or not the product runs.
        var (problem, _, _, _) = Inspect(backupFile);
        if (problem is not null)
        {
            throw NotValid(backupFile, problem.Value);
        }

        OwnerOnly.CreateFolder(dataPath);
        using var folderLock = DataFolderLock.TryAcquire(dataPath)
            ?? throw StartRefusal.Refused($"Readiness:DataPath = '{dataPath}'",
                "Readiness がこのデータフォルダーで動いています（readiness.lock を保持）。復元の前に止めてください",
                "Readiness is running on this data folder (its lock file is held); stop it before restoring.");
        var target = Path.Combine(dataPath, SqliteSchema.DatabaseFileName);
        var partial = target + ".restoring";
        File.Delete(partial); // left by an interrupted restore
        OwnerOnly.Touch(partial); // VACUUM INTO fills an empty file and keeps its mode: owner-only from the first page
        long grains, audit;
        try
        {
            using (var connection = new SqliteConnection(Connection(backupFile, SqliteOpenMode.ReadOnly)))
            {
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = "VACUUM INTO $file";
                command.Parameters.AddWithValue("$file", partial);
                command.ExecuteNonQuery();
            }

            using (var written = new FileStream(partial, FileMode.Open, FileAccess.ReadWrite))
            {
                written.Flush(flushToDisk: true);
            }

            (problem, grains, audit, _) = Inspect(partial);
            if (problem is not null)
            {
                throw NotValid(backupFile, problem.Value);
            }
        }
        catch
        {
            File.Delete(partial);
            throw;
        }

        string? keptAs = null;
        if (File.Exists(target))
        {
            keptAs = $"{target}.before-restore-{DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}";
            File.Move(target, keptAs);
            OwnerOnly.Narrow(keptAs);
            foreach (var suffix in new[] { "-wal", "-shm" })
            {
                // Moved with their database: a -wal left beside the restored file would be applied to it.
                if (File.Exists(target + suffix))
                {
                    File.Move(target + suffix, keptAs + suffix);
                    OwnerOnly.Narrow(keptAs + suffix);
                }
            }
        }

        File.Move(partial, target);
        return new RestoreResult(target, keptAs, grains, audit);
    }

    /// <summary>The refusal of a file that is not an intact Readiness database, naming it, Japanese first.</summary>
    private static InvalidDataException NotValid(string file, (string Japanese, string English) problem) =>
        new(StartRefusal.Say(file, $"Readiness の正しいデータベースではありません（{problem.Japanese}）", $"is not a valid Readiness database: {problem.English}"));

    /// <summary>Why <paramref name="file"/> is not an intact Readiness database, in Japanese and English (null when it is), and what it holds.</summary>
    private static ((string Japanese, string English)? Problem, long GrainStates, long AuditRows, IReadOnlyList<string> Unreadable) Inspect(string file)
    {
        if (!File.Exists(file))
        {
            return (("ファイルがありません", $"no file at {file}"), 0, 0, []);
        }

        try
        {
            using var connection = new SqliteConnection(Connection(file, SqliteOpenMode.ReadOnly));
            connection.Open();
            var integrity = Scalar(connection, "PRAGMA integrity_check");
            if (!string.Equals(integrity, "ok", StringComparison.Ordinal))
            {
                return (($"整合性検査に失敗しました（{integrity}）", $"integrity check failed: {integrity}"), 0, 0, []);
            }

            // A database a newer version migrated would be refused at start: refuse it here, before it replaces one.
            if (Scalar(connection, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'ReadinessSchema'") != "0")
            {
                var version = int.Parse(Scalar(connection, "SELECT COALESCE(MAX(Version), 0) FROM ReadinessSchema")!, CultureInfo.InvariantCulture);
                if (version > SqliteSchema.Scripts.Count)
                {
                    return ((FormattableString.Invariant($"新しい版の Readiness で移行されています（スキーマ版 {version}、この版は {SqliteSchema.Scripts.Count} まで）。その版以降で使うか、移行前のバックアップを選んでください"),
                        FormattableString.Invariant($"this database was migrated by a newer version of Readiness (schema version {version}; this version knows up to {SqliteSchema.Scripts.Count}). Use that version or a later one, or choose a backup taken before the upgrade")), 0, 0, []);
                }
            }

            var missing = RequiredTables.Where(t => Scalar(connection, $"SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '{t}'") == "0").ToList();
            if (missing.Count > 0)
            {
                return (($"Readiness の表がありません: {string.Join(", ", missing)}", $"tables missing: {string.Join(", ", missing)}"), 0, 0, []);
            }

            // Grain-state rows: readiness_grain_state (group commit, 050-grain-state.sql; absent in backups taken before
            // it) plus OrleansStorage (states written before that, still read from there until first rewritten).
            var grainStates = long.Parse(Scalar(connection, "SELECT COUNT(*) FROM OrleansStorage")!, CultureInfo.InvariantCulture);
            if (Scalar(connection, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'readiness_grain_state'") != "0")
            {
                grainStates += long.Parse(Scalar(connection, "SELECT COUNT(*) FROM readiness_grain_state")!, CultureInfo.InvariantCulture);

                // Every stored state must read: a compressed one passes its checksum (StatePayload), a text one parses as
                // JSON. A row that does not would fail its grain on every read after a restore, so the file is refused
                // here, naming the rows.
                var unreadable = UnreadableStates(connection);
                if (unreadable.Count > 0)
                {
                    return (($"{unreadable.Count} 件の保存された状態を読めません（圧縮したものがチェックサムに合わないか、テキストが JSON ではありません）: {string.Join(", ", unreadable.Take(10))}",
                        $"{unreadable.Count} stored grain state(s) cannot be read (a compressed one fails its checksum, a text one is not JSON): {string.Join(", ", unreadable.Take(10))}"), 0, 0, unreadable);
                }
            }

            return (null, grainStates,
                long.Parse(Scalar(connection, "SELECT COUNT(*) FROM readiness_audit")!, CultureInfo.InvariantCulture), []);
        }
        catch (SqliteException ex)
        {
            // A truncated or overwritten file: SQLite's own words ("database disk image is malformed") are the detail.
            return (($"SQLite で読めません（途中で切れたファイルか、データベースではありません）: {ex.Message}", $"SQLite cannot read it (a truncated file, or no database): {ex.Message}"), 0, 0, []);
        }
    }

    private static List<string> UnreadableStates(SqliteConnection connection)
    {
        var unreadable = new List<string>();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT grain_id, state_name, payload FROM readiness_grain_state WHERE payload IS NOT NULL";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            try
            {
                using var json = System.Text.Json.JsonDocument.Parse(StatePayload.ReadJson(reader.GetValue(2))!.ToMemory());
            }
            catch (Exception ex) when (ex is InvalidDataException or System.Text.Json.JsonException)
            {
                unreadable.Add($"{reader.GetString(0)}/{reader.GetString(1)}");
            }
        }

        return unreadable;
    }

    private static string? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static string Connection(string file, SqliteOpenMode mode) => new SqliteConnectionStringBuilder
    {
        DataSource = file,
        Mode = mode,
        Pooling = false, // a pooled connection would keep the file open after a restore moved it
        DefaultTimeout = 60,
    }.ToString();
}

/// <summary>What a restore put in place, and where the database it replaced was kept (null when there was none).</summary>
public sealed record RestoreResult(string Database, string? PreviousKeptAs, long GrainStates, long AuditRows);

/// <summary>
/// An exclusive lock on {data folder}/readiness.lock, held by the running product: a restore (or a second server on the
/// same folder) finds it held and refuses. The operating system releases it when the process dies, even by kill -9.
/// </summary>
public sealed class DataFolderLock : IDisposable
{
    private readonly FileStream stream;

    private DataFolderLock(FileStream stream) => this.stream = stream;

    /// <summary>The lock file's name in the data folder.</summary>
    public const string FileName = "readiness.lock";

    public static DataFolderLock? TryAcquire(string dataPath)
    {
        try
        {
            return new DataFolderLock(new FileStream(Path.Combine(dataPath, FileName), OwnerOnly.Create(FileMode.OpenOrCreate, FileAccess.ReadWrite)));
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void Dispose() => stream.Dispose();
}
