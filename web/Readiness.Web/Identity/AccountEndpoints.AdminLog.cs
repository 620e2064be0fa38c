using Microsoft.AspNetCore.Identity;
using Readiness.Web.Api;

namespace Readiness.Web.Identity;

/// <summary>The administration log (readiness_admin_log) as a CSV download, in the administrator's own scope.</summary>
public static partial class AccountEndpoints
{
    /// <summary>Download name and address of the export.</summary>
    public const string AdminLogCsvPath = "/admin/log.csv";

    /// <summary>The CSV header, in column order (the <see cref="AdminLogEntry"/> fields, in the product's snake_case).</summary>
    public static readonly string[] AdminLogColumns =
        ["id", "at_utc", "actor_subject", "actor_role", "actor_tenant", "action", "target_subject", "target_tenant", "before", "after", "client_address", CsvOutput.JstColumn("at_utc")];

    private static void MapAdminLog(IEndpointRouteBuilder app) =>
        app.MapGet(AdminLogCsvPath, AdminLogCsvAsync).ExcludeFromDescription().RequireAuthorization().RequireRateLimiting(RateLimits.WritesPolicy);

    /// <summary>
    /// Every entry the administrator may see, oldest first: a system administrator all of them; a prefecture or
    /// municipality administrator those about its own tenant (a prefecture's includes its municipalities') and its own
    /// actions (<see cref="AccountService.LogEntriesAsync"/>). Anyone else: 403. The export itself is logged.
    /// </summary>
    private static async Task<IResult> AdminLogCsvAsync(HttpContext http, SignInManager<ReadinessUser> signIn, AccountService accounts)
    {
        var actor = await AdministratorAsync(http, signIn);
        if (actor is null)
        {
            return Forbidden(http);
        }

        var entries = await accounts.LogEntriesAsync(actor, int.MaxValue, http.RequestAborted);
        await accounts.LogAsync(actor, "export_admin_log", null, actor.Tenant, null, $"{entries.Count} entries", Client(http), http.RequestAborted);
        var name = $"readiness-admin-log-{actor.Tenant ?? "all"}-{DateTime.UtcNow:yyyyMMdd'T'HHmmss'Z'}.csv";
        return await CsvOutput.Respond(http, name, async csv =>
        {
            await csv.Row(AdminLogColumns);
            foreach (var e in entries.OrderBy(e => e.Id))
            {
                var at = new DateTimeOffset(DateTime.SpecifyKind(e.AtUtc, DateTimeKind.Utc));
                await csv.Row(e.Id, CsvOutput.Instant(at), e.ActorSubject, e.ActorRole, e.ActorTenant, e.Action, e.TargetSubject, e.TargetTenant, e.Before, e.After, e.ClientAddress, CsvOutput.InstantJst(at));
            }
        });
    }
}
