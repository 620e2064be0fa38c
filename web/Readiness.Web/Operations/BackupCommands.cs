using Readiness.Hosting;

namespace Readiness.Web.Operations;

/// <summary>
/// <c>backup [--out FILE]</c> takes an online backup of the embedded database while the product runs (or not);
/// <c>restore --from FILE</c> puts a backup in place of the database, with the product stopped. Both use the same
/// configuration as the server (Readiness__DataPath). Exit codes: 0 done, 1 failed, 2 usage or a setting the server would refuse (one line, as at its start).
/// </summary>
public static class BackupCommands
{
    private const string Usage = """
        Usage: backup [--out FILE]       online backup (default: {data folder}/backups/readiness-<UTC time>.db)
               restore --from FILE       replace the database with FILE (stop the product first)
        --out FILE and --out=FILE are the same; each option once.
        The data folder comes from Readiness:DataPath (env Readiness__DataPath), as for the server.
        """;

    public static bool IsInvoked(string[] args) => args.Length > 0 && args[0] is "backup" or "restore";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        if (CommandOptions.Read(args, args[0] == "backup" ? ["out"] : ["from"], Usage, output, error, out var values, ("ファイルを指定してください", "needs a file.")) is { } exit)
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

                var target = values.GetValueOrDefault("out") ?? Path.Combine(options.Backup.ResolvePath(options), SqliteBackup.FileName(DateTimeOffset.UtcNow));
                subject = Path.GetFullPath(target);
                var result = SqliteBackup.BackupAsync(database, target).GetAwaiter().GetResult();
                output.WriteLine($"Backup written: {result.File} ({result.Bytes:N0} bytes, {result.GrainStates:N0} grain states, {result.AuditRows:N0} audit rows, {result.Elapsed.TotalMilliseconds:N0} ms; consistent as of {result.TakenAt:O})");
                return 0;
            }

            if (!values.TryGetValue("from", out var from))
            {
                error.WriteLine(StartRefusal.Say("restore", "--from FILE で復元するファイルを指定してください", "needs --from FILE."));
                error.WriteLine(Usage);
                return 2;
            }

            subject = Path.GetFullPath(from);
            var restored = SqliteBackup.Restore(from, dataPath);
            output.WriteLine($"Restored {restored.Database} from {Path.GetFullPath(from)} ({restored.GrainStates:N0} grain states, {restored.AuditRows:N0} audit rows).");
            if (restored.PreviousKeptAs is not null)
            {
                output.WriteLine($"The database it replaced is kept as {restored.PreviousKeptAs}.");
            }

            return 0;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or InvalidOperationException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException or Readiness.UnreadableStateException)
        {
            // The product's own refusals are said in both languages; a file system's or SQLite's words become the detail of one.
            error.WriteLine(args[0] == "backup"
                ? StartRefusal.Explain(ex, subject, "バックアップを作れませんでした", "the backup could not be made")
                : StartRefusal.Explain(ex, subject, "復元できませんでした（データベースは元のままです）", "the restore failed (the database is as it was)"));
            return 1;
        }
    }
}
