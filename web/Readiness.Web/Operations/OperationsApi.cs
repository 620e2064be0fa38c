using Microsoft.AspNetCore.Http.HttpResults;
using Orleans.Dashboard;
using Readiness.Hosting;
using Readiness.Web.Api;
using Readiness.Web.Auth;

namespace Readiness.Web.Operations;

/// <summary>A backup file: its name in the backup folder, size in bytes, and when it was written (UTC).</summary>
public sealed record BackupView(string Name, long Bytes, DateTimeOffset WrittenAt);

/// <summary>A backup just taken: the file, its size, the time it took and what it holds.</summary>
public sealed record BackupTakenView(string Name, long Bytes, long ElapsedMs, DateTimeOffset TakenAt, long GrainStates, long AuditRows);

/// <summary>
/// Operating the product, for administrators only: online backups of the embedded database
/// (POST/GET /api/v1/admin/backups) and the Orleans Dashboard (/admin/orleans; it shows grain keys, so never anonymous).
/// </summary>
public static class OperationsApi
{
    public const string DashboardPath = "/admin/orleans";

    public static WebApplication MapOperations(this WebApplication app)
    {
        var options = SiloHosting.ReadOptions(app.Configuration);
        if (options.Mode == HostingMode.Embedded)
        {
            var backups = app.MapGroup("/api/v1/admin/backups").RequireAuthorization(ReadinessPolicies.Administration).WithTags("Administration")
                .RequireRateLimiting(RateLimits.ReadsPolicy)
                .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
            backups.MapPost("/", TakeBackup).WithName("postBackup")
                .WritesConditionallyByContent("GET /api/v1/admin/backups", h => Task.FromResult<object?>(ListBackups(h.RequestServices.GetRequiredService<Backups>()))).RequireRateLimiting(RateLimits.WritesPolicy)
                .WithSummary("Take an online backup of the embedded database now (administrators); 201 with the file's name, size and duration")
                .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
            backups.MapGet("/", ListBackups).WithName("listBackups").AnswersConditionalRequestsByContent().WithSummary("The backups in the backup folder, newest first (administrators)");
            backups.MapGet("/{name}", GetBackup).WithName("getBackup").AnswersConditionalRequestsByContent()
                .WithSummary("One backup in the backup folder: its name, size in bytes and when it was written (administrators); the Location of a backup just taken")
                .ProducesProblem(StatusCodes.Status404NotFound);
        }

        if (options.OrleansDashboard)
        {
            // Its page polls a few of its routes every second: well inside an administrator's reads.
            app.MapOrleansDashboard(DashboardPath).RequireAuthorization(ReadinessPolicies.Administration).RequireRateLimiting(RateLimits.ReadsPolicy).ExcludeFromDescription();
        }

        return app;
    }

    private static async Task<Results<Created<BackupTakenView>, ProblemHttpResult>> TakeBackup(Backups backups, ILogger<Backups> logger, HttpContext http, CancellationToken cancellationToken)
    {
        try
        {
            var result = await backups.TakeAsync(cancellationToken);
            var name = Path.GetFileName(result.File);
            logger.LogInformation("Backup {File} taken by {Subject}: {Bytes} bytes in {Elapsed} ms", result.File, http.User.Identity?.Name, result.Bytes, (long)result.Elapsed.TotalMilliseconds);
            await Notifications.NotificationApi.AdminLogAsync(http, "take_backup", name, null, null, $"{result.Bytes} bytes, {result.GrainStates} grain states, {result.AuditRows} audit rows");
            return TypedResults.Created($"/api/v1/admin/backups/{name}",
                new BackupTakenView(name, result.Bytes, (long)result.Elapsed.TotalMilliseconds, result.TakenAt, result.GrainStates, result.AuditRows));
        }
        // Stored states that cannot be read (UnreadableStateException) are not caught here: damaged data is no passing
        // failure, and the shared handler answers it as any read of them (500 naming them, no Retry-After).
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            http.Response.Headers.RetryAfter = "60";
            return Problems.Create(StatusCodes.Status503ServiceUnavailable, "Backup failed", "backup", "backup_failed",
                $"バックアップを作成できませんでした: {ex.Message}", $"The backup could not be written: {ex.Message}");
        }
    }

    private static Ok<IReadOnlyList<BackupView>> ListBackups(Backups backups) =>
        TypedResults.Ok<IReadOnlyList<BackupView>>(backups.List().Select(View).ToList());

    /// <summary>
    /// The backup <paramref name="name"/> as the listing shows it, found among the listed files only (never a path built
    /// from the name); 404 naming it when there is none (pruned, or never taken). The 201 of a backup just taken names
    /// this resource in its Location (RFC 9110 §15.3.2): before, that address answered 404.
    /// </summary>
    private static Results<Ok<BackupView>, ProblemHttpResult> GetBackup(string name, Backups backups) =>
        backups.List().FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.Ordinal)) is { } file
            ? TypedResults.Ok(View(file))
            : Problems.Create(StatusCodes.Status404NotFound, "Not Found", "name", "not_found",
                $"バックアップ「{name}」はバックアップフォルダーにありません（古いものは保持数を超えると消えます）。",
                $"There is no backup '{name}' in the backup folder (old ones are removed beyond the number kept).");

    private static BackupView View(FileInfo file) => new(file.Name, file.Length, new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero));
}
