using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Readiness.Imports;
using Readiness.Web.Api;
using Readiness.Web.Auth;
using Readiness.Web.Components.Access;

namespace Readiness.Web.Imports;

/// <summary>
/// The /imports page's form posts (plain HTML forms with an antiforgery token): upload → 303 to the preview page
/// /imports/{id}; refused → the imports page again with the problem (400/413), nothing imported; apply → 303 back to
/// the preview page showing the result.
/// </summary>
public static class ImportPages
{
    public static IEndpointRouteBuilder MapImportPages(this IEndpointRouteBuilder app)
    {
        app.MapPost("/imports/upload", UploadAsync).ExcludeFromDescription()
            .RequireAuthorization(ReadinessPolicies.OfficialImport)
            .RequireRateLimiting(RateLimits.WritesPolicy)
            // The upload form is on /imports; /imports/upload would be read as the import "upload" (/imports/{id}).
            .WithMetadata(new RequireAntiforgeryTokenAttribute(), new UploadLimit(OfficialWorkbook.MaxFileBytes), new FormPageAttribute("/imports"));
        app.MapPost("/imports/{id}/apply", ApplyAsync).ExcludeFromDescription()
            .RequireAuthorization(ReadinessPolicies.OfficialImport)
            .RequireRateLimiting(RateLimits.WritesPolicy)
            .WithMetadata(new RequireAntiforgeryTokenAttribute());
        return app;
    }

    private static async Task<IResult> UploadAsync(HttpContext http, OfficialImportService service, IOptions<ReadinessAuthOptions> auth)
    {
        var (file, problem) = await ImportsApi.ReadFileAsync(http, OfficialWorkbook.MaxFileBytes);
        var kind = http.Request.HasFormContentType ? http.Request.Form["kind"].ToString() : null;
        kind = string.IsNullOrWhiteSpace(kind) ? null : kind.Trim();
        if (file is null)
        {
            return Refused(Errors(problem), kind, problem?.StatusCode ?? StatusCodes.Status400BadRequest);
        }

        var caller = ReadinessCaller.From(http.User, auth.Value)!;
        var (record, error, _, _) = await service.UploadAsync(file.Value.Name, file.Value.Bytes, caller.ToActor(), kind);
        if (record is null)
        {
            return Refused([error!], kind, OfficialWorkbook.Status(error!));
        }

        http.Response.Headers.Location = $"/imports/{record.Id}";
        return Results.StatusCode(StatusCodes.Status303SeeOther);
    }

    private static async Task<IResult> ApplyAsync(string id, HttpContext http, OfficialImportService service, IOptions<ReadinessAuthOptions> auth)
    {
        var caller = ReadinessCaller.From(http.User, auth.Value)!;
        // The confirmation box of a list that would take designations away (DesignationRemovals): ticked, or absent.
        var confirm = http.Request.HasFormContentType ? http.Request.Form["confirm"].ToString() : "";
        (OfficialImportRecord? applied, DesignationRemovals? unconfirmed) = OfficialImportService.IsId(id)
            ? await service.ApplyAsync(id, caller.ToActor(), http.Connection.RemoteIpAddress?.ToString(), removalsConfirmed: confirm == DesignationRemovals.PartialList)
            : (null, null);
        if (applied is null)
        {
            return FormAnswers.NotFound("id", id, "この取り込みはありません（プレビュー済みのアップロードのID）。", "There is no such import (the id of an uploaded, previewed file).");
        }

        if (unconfirmed is not null)
        {
            // The page again, with the box's fault beside it: nothing was applied.
            return new RazorComponentResult<ImportDocument>(new { Id = id, Refused = unconfirmed }) { StatusCode = StatusCodes.Status422UnprocessableEntity };
        }

        http.Response.Headers.Location = $"/imports/{id}";
        return Results.StatusCode(StatusCodes.Status303SeeOther);
    }

    private static RazorComponentResult<ImportsDocument> Refused(IReadOnlyList<ProblemError> errors, string? kind, int status) =>
        new RazorComponentResult<ImportsDocument>(new { Errors = errors, Kind = kind }) { StatusCode = status };

    private static IReadOnlyList<ProblemError> Errors(ProblemHttpResult? problem) =>
        problem?.ProblemDetails.Extensions.TryGetValue("errors", out var list) == true && list is IEnumerable<ProblemError> errors
            ? [.. errors]
            : [new ProblemError("file", "required", "ファイルを選んでください。", "Choose a file.")];
}
