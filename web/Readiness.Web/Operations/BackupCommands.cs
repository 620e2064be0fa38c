using Readiness.Hosting;

namespace Readiness.Web.Operations;

/// <summary>
/// <c>backup [--out FILE|FOLDER]</c> takes an online backup of the embedded database while the product runs (or not);
/// <c>restore --from FILE</c> puts a backup in place of the database, with the product stopped. Both use the same
/// configuration as the server (Readiness__DataPath). Exit codes: 0 done, 1 failed, 2 usage or a setting the server would refuse (one line, as at its start).
/// </summary>
public static class BackupCommands
{
    // Each command's usage names only its own options (restore's used to offer --out, which it refuses).
    private const string BackupUsage = """
        Usage: backup [--out FILE|FOLDER]   online backup (default: {data folder}/backups/readiness-<UTC time>.db)
          --out FILE     write the backup to FILE (it must not exist)
          --out FOLDER   an existing folder (or a path ending in /): write readiness-<UTC time>.db inside it
        --out FILE and --out=FILE are the same; the option once.
        The data folder comes from Readiness:DataPath (env Readiness__DataPath), as for the server.
        """;

    private const string RestoreUsage = """
        Usage: restore --from FILE   replace the database with the backup FILE (stop the product first)
        --from FILE and --from=FILE are the same; the option once.
        The data folder comes from Readiness:DataPath (env Readiness__DataPath), as for the server.
        """;

    public static bool IsInvoked(string[] args) => args.Length > 0 && args[0] is "backup" or "restore";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var usage = args[0] == "backup" ? BackupUsage : RestoreUsage;
        if (CommandOptions.Read(args, args[0] == "backup" ? ["out"] : ["from"], usage, output, error, out var values, ("ファイルを指定してください", "needs a file.")) is { } exit)
        {
            return exit;
        }

        var configuration = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] }).Configuration;

        // A setting the server would refuse (Readiness__DataPth) is refused here too, before any file is touched.
        if (ConfigurationChecks.Refusal(configuration, error) is { } refused)
        {
            return refused;
        }

        var options = SiloHosting.ReadOptions(configuration);
        if (options.Mode != HostingMode.Embedded)
        {
            error.WriteLine(StartRefusal.Say("Readiness:Mode = Cluster",
                "クラスターのデータは PostgreSQL にあります。pg_dump でバックアップし、pg_restore で復元してください（deploy/README.md「Backup and restore」）",
                "cluster mode keeps its data in PostgreSQL: back it up with pg_dump and restore with pg_restore (deploy/README.md, \"Backup and restore\")."));
            return 2;
        }

        var dataPath = options.ResolveDataPath();
        var database = Path.Combine(dataPath, SqliteSchema.DatabaseFileName);
        var subject = database;
        try
        {
            if (args[0] == "backup")
            {
                if (!File.Exists(database))
                {
                    error.WriteLine(StartRefusal.Say(database, "Readiness のデータベースがありません（Readiness__DataPath にサーバーのデータフォルダーを指定してください）",
                        "there is no Readiness database here (set Readiness__DataPath to the server's data folder)."));
                    return 1;
                }

                var target = Target(values.GetValueOrDefault("out"), options.Backup.ResolvePath(options), DateTimeOffset.UtcNow);
                subject = Path.GetFullPath(target);
                var result = SqliteBackup.BackupAsync(database, target).GetAwaiter().GetResult();
                output.WriteLine(FormattableString.Invariant(
                    $"バックアップを書き出しました: {result.File}（{result.Bytes:N0} バイト、状態 {result.GrainStates:N0} 件、監査記録 {result.AuditRows:N0} 件、{result.Elapsed.TotalMilliseconds:N0} ms。{result.TakenAt:O} 時点で整合） / Backup written: {result.File} ({result.Bytes:N0} bytes, {result.GrainStates:N0} grain states, {result.AuditRows:N0} audit rows, {result.Elapsed.TotalMilliseconds:N0} ms; consistent as of {result.TakenAt:O})"));
                return 0;
            }

            if (!values.TryGetValue("from", out var from))
            {
                error.WriteLine(StartRefusal.Say("restore", "--from FILE で復元するファイルを指定してください", "needs --from FILE."));
                error.WriteLine(RestoreUsage);
                return 2;
            }

            subject = Path.GetFullPath(from);
            var restored = SqliteBackup.Restore(from, dataPath);
            output.WriteLine(FormattableString.Invariant(
                $"{Path.GetFullPath(from)} から {restored.Database} を復元しました（状態 {restored.GrainStates:N0} 件、監査記録 {restored.AuditRows:N0} 件） / Restored {restored.Database} from {Path.GetFullPath(from)} ({restored.GrainStates:N0} grain states, {restored.AuditRows:N0} audit rows)."));
            if (restored.PreviousKeptAs is not null)
            {
                output.WriteLine($"置き換えたデータベースは {restored.PreviousKeptAs} として残してあります / The database it replaced is kept as {restored.PreviousKeptAs}.");
            }

            return 0;
        }
        catch (Exception ex) when (!StartRefusal.IsUnexpected(ex))
        {
            // The product's own refusals are said in both languages; a file system's or SQLite's failure is said in
            // both by its kind (StartRefusal.Explain), its own English words kept only when the kind is not known.
            // Any failure but a fault of the program (whose stack the runtime prints): a path .NET refuses (a NUL in
            // it: ArgumentException) reached the user as an unhandled exception's stack.
            error.WriteLine(args[0] == "backup"
                ? StartRefusal.Explain(ex, subject, "バックアップを作れませんでした", "the backup could not be made")
                : StartRefusal.Explain(ex, subject, "復元できませんでした（データベースは元のままです）", "the restore failed (the database is as it was)"));
            return 1;
        }
    }

    /// <summary>
    /// The file a backup is written to: <paramref name="given"/> (--out) as a file, or, when it names an existing
    /// folder or ends in a path separator, readiness-&lt;UTC time&gt;.db inside it, the name the default folder's
    /// backups have (and the one the retention and the backup list know). Chosen over a refusal because "copy into
    /// this folder" is what a folder given to cp or rsync means, and the name is the product's own; before, a folder
    /// ended in an IOException of the final rename with a .partial file left beside it.
    /// </summary>
    public static string Target(string? given, string defaultFolder, DateTimeOffset now)
    {
        if (given is null)
        {
            return Path.Combine(defaultFolder, SqliteBackup.FileName(now));
        }

        return Directory.Exists(given) || Path.EndsInDirectorySeparator(given) ? Path.Combine(given, SqliteBackup.FileName(now)) : given;
    }
}
