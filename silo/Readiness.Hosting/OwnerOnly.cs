namespace Readiness.Hosting;

/// <summary>
/// File modes for what the product keeps on disk: the database, its -wal and -shm, backups, the lock file and the local
/// signing key hold accounts' password hashes, TOTP secrets, recovery codes and the data-protection key ring, so they are
/// owner-only (files 0600, folders 0700) whatever the process's umask. Before, the database and every backup were 0644
/// (any local user could copy them). No-ops on Windows, where the folder's ACL governs.
/// </summary>
public static class OwnerOnly
{
    /// <summary>rw------- (0600).</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>rwx------ (0700).</summary>
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private const UnixFileMode OthersBits = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// Creates <paramref name="folder"/> and each missing parent as 0700; existing folders are left as they are. Throws
    /// <see cref="NotAFolderException"/> (naming it) when a file stands where a folder on the path should be.
    /// </summary>
    public static void CreateFolder(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
            return;
        }

        // Each missing folder is made 0700 itself, top down: Directory.CreateDirectory(path, mode) gives the mode to the
        // last folder only, so the parents a backup's --out made were 0755 (measured; a breaker's finding). A file on
        // the path is named here: .NET said "The file '…' already exists" or "Could not find a part of the path".
        var missing = new Stack<string>();
        for (var at = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)); !Directory.Exists(at); at = Path.GetDirectoryName(at)!)
        {
            if (File.Exists(at))
            {
                throw new NotAFolderException(at);
            }

            missing.Push(at);
        }

        while (missing.TryPop(out var create))
        {
            Directory.CreateDirectory(create, FolderMode);
        }
    }

    /// <summary>
    /// Creates <paramref name="folder"/> as 0700, or narrows an existing one to 0700: for folders the product owns
    /// ({data folder}/auth, {data folder}/backups), never for one an operator chose.
    /// </summary>
    public static void OwnFolder(string folder)
    {
        CreateFolder(folder);
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(folder) & OthersBits) != 0)
        {
            File.SetUnixFileMode(folder, FolderMode);
        }
    }

    /// <summary>Options for a new file that is 0600 from its first byte (FileStreamOptions.UnixCreateMode).</summary>
    public static FileStreamOptions Create(System.IO.FileMode mode, FileAccess access, FileShare share = FileShare.None)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share };
        if (!OperatingSystem.IsWindows() && mode != System.IO.FileMode.Open && mode != System.IO.FileMode.Truncate)
        {
            options.UnixCreateMode = FileMode;
        }

        return options;
    }

    /// <summary>Makes an empty 0600 file at <paramref name="file"/> when none is there (SQLite keeps the mode it finds).</summary>
    public static void Touch(string file)
    {
        using (new FileStream(file, Create(System.IO.FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite)))
        {
        }

        Narrow(file);
    }

    /// <summary>Narrows an existing file to 0600 when group or others have any access; a missing file is skipped.</summary>
    public static void Narrow(string file)
    {
        if (OperatingSystem.IsWindows() || !File.Exists(file))
        {
            return;
        }

        if ((File.GetUnixFileMode(file) & OthersBits) != 0)
        {
            File.SetUnixFileMode(file, FileMode);
        }
    }

    /// <summary>True when group or others may list or enter <paramref name="folder"/> (0750, 0755, 0777 …).</summary>
    public static bool IsOpenToOthers(string folder) =>
        !OperatingSystem.IsWindows() && Directory.Exists(folder) && (File.GetUnixFileMode(folder) & OthersBits) != 0;

    /// <summary>
    /// At start, on an embedded data folder: creates it as 0700 when missing; narrows the database, its -wal and -shm,
    /// the files kept by a restore, the lock file, and the product's own auth/ and backups/ folders and their files to
    /// owner-only (data folders written by versions before 2026-12-05 had them 0644). The data folder itself is left as
    /// the operator made it (<see cref="OpenFolderWarning"/> says when it is open).
    /// </summary>
    public static void SecureDataFolder(string dataFolder)
    {
        CreateFolder(dataFolder);
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        foreach (var file in Directory.EnumerateFiles(dataFolder, SqliteSchema.DatabaseFileName + "*"))
        {
            Narrow(file);
        }

        Narrow(Path.Combine(dataFolder, DataFolderLock.FileName));
        foreach (var owned in new[] { "auth", "backups" })
        {
            var folder = Path.Combine(dataFolder, owned);
            if (!Directory.Exists(folder))
            {
                continue;
            }

            OwnFolder(folder);
            foreach (var file in Directory.EnumerateFiles(folder))
            {
                Narrow(file);
            }
        }

    }

    /// <summary>
    /// Narrows every file in an operator's backup folder (Readiness:Backup:Path) to 0600; backups written before
    /// 2026-12-05 were 0644.
    /// </summary>
    public static void SecureFiles(string folder)
    {
        if (OperatingSystem.IsWindows() || !Directory.Exists(folder))
        {
            return;
        }

        foreach (var file in Directory.EnumerateFiles(folder))
        {
            Narrow(file);
        }
    }

    /// <summary>
    /// A warning in Japanese and English when <paramref name="folder"/> (what: データフォルダー/data folder,
    /// バックアップフォルダー/backup folder) is open to group or others, else null. The files in it are owner-only either way;
    /// an open folder still shows their names and lets others watch them change.
    /// </summary>
    public static string? OpenFolderWarning(string folder, string whatJa, string whatEn)
    {
        if (OperatingSystem.IsWindows() || !IsOpenToOthers(folder))
        {
            return null;
        }

        var mode = Octal(File.GetUnixFileMode(folder));
        return $"{whatJa} {folder} は他のユーザーにも開かれています（{mode}）。chmod 700 を推奨します。 / " +
               $"The {whatEn} {folder} is open to other users ({mode}); chmod 700 it.";
    }

    /// <summary>A mode as the four octal digits ls and chmod use: 0755.</summary>
    public static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0x1FF, 8).PadLeft(3, '0');
}

/// <summary>A file stands where a folder of a path to be made should be; <see cref="File"/> is that file's full path.</summary>
public sealed class NotAFolderException(string file) : IOException($"'{file}' is a file, not a folder.")
{
    public string File { get; } = file;
}
