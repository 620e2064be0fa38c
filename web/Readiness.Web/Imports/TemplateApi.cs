using Microsoft.AspNetCore.Http.HttpResults;
using Readiness.Catalog;
using Readiness.Grains;
using Readiness.Hosting;
using Readiness.Imports;
using Readiness.Rules;
using Readiness.Web.Api;
using Readiness.Web.Api.OpenApi;
using Readiness.Web.Auth;
using Readiness.Web.Components;
using Readiness.Web.Summaries;

namespace Readiness.Web.Imports;

/// <summary>One change of an uploaded template: the cell, the target, the field (wire name), its label and both values (wire form and Japanese display).</summary>
public sealed record TemplateChangeView(string Cell, string Target, string Field, string LabelJa, string LabelEn, string? Before, string? After, string? BeforeJa, string? AfterJa);

/// <summary>
/// The preview of an uploaded template: municipality code, the file's SHA-256, the version the file was made from and
/// the current one, whether this very file was already applied, whether it can be applied, every change and every
/// error (field = the cell, e.g. "D7" or "セキュリティ!D8"; the messages begin with the cell).
/// <c>rows</c>: the businesses and checklist items applying it reports (those it changes and those it confirms as they
/// stand, as a full report with the same content); <c>fileRows</c>: every row the file has (an id in column A), those
/// with errors too; <c>leftAsIs</c>: targets such as "system:koseki" of rows changed after the file's version (by others
/// or by the uploader elsewhere; the message says which): not reported, left as they are now, their cells still checked;
/// <c>confirmation</c>: it changes nothing and applying it records every row reported as confirmed (<c>確認済み</c>).
/// <c>outcome</c> (applied, errors, none, partly, all) and <c>messageJa</c>/<c>messageEn</c>: what applying does, for
/// every outcome, counting the file's rows and naming those not reported.
/// A change with field <c>regression</c> (cell C) or <c>regressionReason</c> (cell K) is the 後退 and its reason the apply records.
/// </summary>
public sealed record TemplatePreviewView(
    string Code, string FileHash, long? FileVersion, long CurrentVersion, bool AlreadyApplied, bool CanApply,
    IReadOnlyList<TemplateChangeView> Changes, IReadOnlyList<ProblemError> Errors, int Rows, bool Confirmation, string MessageJa, string MessageEn,
    int FileRows, IReadOnlyList<string> LeftAsIs, string Outcome);

/// <summary>
/// Excel reporting over the API: GET /api/v1/municipalities/{code}/template.xlsx, POST …/template/preview and
/// POST …/template/apply (multipart field "file"), for the municipality's own staff; and the tables as .xlsx beside
/// their CSV: GET /api/v1/prefectures/{prefCode}/municipalities.xlsx and GET /api/v1/export/municipalities.xlsx.
/// </summary>
public static class TemplateApi
{
    public static WebApplication MapTemplateApi(this WebApplication app)
    {
        var group = app.MapGroup("/api/v1/municipalities/{code}").RequireAuthorization(ReadinessPolicies.MunicipalityWrite).WithTags("Excel reporting")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/template.xlsx", Download).AnswersConditionalRequests().WithName("getReportingTemplate")
            .RequireRateLimiting(RateLimits.ReadsPolicy)
            .Produces(StatusCodes.Status200OK, contentType: ReportingWorkbook.ContentType)
            .WithSummary("The municipality's current state as an Excel reporting template (.xlsx); the ETag is the version it is made from")
            .WithDescription("Sheets 業務システム (20 systems) and セキュリティ (47 checklist items) with Japanese headers, drop-down lists for phases, hosting, yes/no, designation reasons and checklist statuses, date cells; B2 holds the municipality code and B3 the version (ETag). Only the cells to report are unlocked.");
        group.MapPost("/template/preview", Preview).WithName("previewReportingTemplate").WritesConditionallyOn("GET /api/v1/municipalities/{code}/template.xlsx").DisableAntiforgery().WithMetadata(new UploadLimit(ReportingWorkbook.MaxTemplateBytes))
            .RequireRateLimiting(RateLimits.WritesPolicy)
            .AddOpenApiOperationTransformer(DescribeUpload)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .WithSummary("Preview a filled-in template: every change and every error, naming the cell; nothing is applied")
            .WithDescription("Multipart form with one field 'file'. The file itself is refused (400/413 naming 'file') when over 2 MB, not an .xlsx, encrypted, macro-enabled, with external links or a zip bomb. Errors in cells (unknown phase, a date that is not a date, another municipality's code in B2, a version in B3 older than the current one) are listed in 'errors' with the cell as the field.");
        group.MapPost("/template/apply", Apply).WithName("applyReportingTemplate").WritesConditionallyOn("GET /api/v1/municipalities/{code}/template.xlsx").DisableAntiforgery().WithMetadata(new UploadLimit(ReportingWorkbook.MaxTemplateBytes))
            .RequireRateLimiting(RateLimits.WritesPolicy)
            .AddOpenApiOperationTransformer(DescribeUpload)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType).ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("Apply a filled-in template all or nothing, through the same validation and audit as POST …/reports")
            .WithDescription(WriteApi.MinimalReportAnswer + " B3 is the version the file was made from. Made from an older one, it applies on top of the current version unless someone changed a row it changes since: 412 with one changed_since error per such cell, nothing applied. An If-Match header, when sent, must name that same version (412 naming If-Match otherwise) and is strict: B3 must then be the current version (412 naming B3). Any error in a cell → 422 listing every error by cell, nothing applied. Rows that change nothing are reported too, as a full report with the same content: a file that changes nothing records every row it covers as confirmed (confirmed: true, each change with before = after, the as-of days renewed); a file with no row at all → 422 no_rows. The file's SHA-256 is the idempotency key: the same file again answers the first application (Idempotent-Replayed: true) and applies nothing twice.");

        app.MapGet("/api/v1/prefectures/{prefCode}/municipalities.xlsx", PrefectureTable).AnswersConditionalRequests().WithName("getPrefectureTableXlsx")
            .RequireAuthorization(ReadinessPolicies.Summaries).RequireRateLimiting(RateLimits.ReadsPolicy).WithTags("Export")
            .Produces(StatusCodes.Status200OK, contentType: ReportingWorkbook.ContentType)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status404NotFound)
            .WithClosedValues(("kind", MunicipalityQuery.Kinds), ("flag", MunicipalityQuery.Flags), ("sort", MunicipalityQuery.Columns), ("dir", MunicipalityQuery.Directions))
            .WithSummary("A prefecture's municipalities as .xlsx: the same columns and rows as municipalities.csv (?q= ?kind= ?flag= ?sort= ?dir=)")
            .WithDescription("Numbers as numbers, dates as date cells, the header row frozen.");
        app.MapGet("/api/v1/export/municipalities.xlsx", Export).AnswersConditionalRequests().WithName("getExportXlsx")
            .RequireAuthorization(ReadinessPolicies.Export).RequireRateLimiting(RateLimits.ReadsPolicy).WithTags("Export")
            .Produces(StatusCodes.Status200OK, contentType: ReportingWorkbook.ContentType)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .WithQueryParameter("prefecture", "任意。都道府県コード（2桁）で1都道府県に絞ります（都道府県職員は省略時に自団体）。 / Optional: a two-digit prefecture code for one prefecture (a prefecture's staff get their own when they name none); an unknown code is 400.", "13")
            .WithSummary("Every municipality × business system as .xlsx (the columns of municipalities.csv); ?prefecture=13 for one prefecture")
            .WithDescription("The same rows and columns as GET /api/v1/export/municipalities.csv; a prefecture's own is its default.");
        return app;
    }

    private static Task DescribeUpload(Microsoft.OpenApi.OpenApiOperation operation, Microsoft.AspNetCore.OpenApi.OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        operation.RequestBody = new Microsoft.OpenApi.OpenApiRequestBody
        {
            Required = true,
            Description = "The filled-in template as the multipart field 'file' (.xlsx, at most 2 MB).",
            Content = new Dictionary<string, Microsoft.OpenApi.OpenApiMediaType>
            {
                ["multipart/form-data"] = new()
                {
                    Schema = new Microsoft.OpenApi.OpenApiSchema
                    {
                        Type = Microsoft.OpenApi.JsonSchemaType.Object,
                        Required = new HashSet<string> { "file" },
                        Properties = new Dictionary<string, Microsoft.OpenApi.IOpenApiSchema>
                        {
                            ["file"] = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.String, Format = "binary" },
                        },
                    },
                },
            },
        };
        return Task.CompletedTask;
    }

    private static async Task<IResult> Download(string code, HttpContext http, TemplateService templates)
    {
        if (Problems.CheckMunicipalityCode(code) is { } problem)
        {
            return problem;
        }

        var record = await templates.CurrentAsync(code, http.RequestAborted);
        http.Response.Headers.CacheControl = "no-store";

        // The ETag is the version the workbook is made from (B3, the If-Match of its upload): its conditions are those
        // of every other read. Two downloads of one version hold the same cells; the file's bytes may differ (the
        // package's part ids and times), so a 304 means "the same template", not the same bytes.
        if (Preconditions.ForRead(http, Preconditions.ETag(record.Version)) is { } conditional)
        {
            return conditional;
        }

        return TypedResults.File(ReportingWorkbook.Template(record), ReportingWorkbook.ContentType, TemplateService.FileName(code, record.Version));
    }

    private static async Task<Results<Ok<TemplatePreviewView>, ProblemHttpResult>> Preview(string code, HttpContext http, TemplateService templates)
    {
        if (Problems.CheckMunicipalityCode(code) is { } problem)
        {
            return problem;
        }

        // The conditions of the template it previews against, as its apply reads them (a preview stores nothing).
        if (await Preconditions.OnVersionAsync(http, async () => (await templates.CurrentAsync(code, http.RequestAborted)).Version) is { } conditionProblem)
        {
            return conditionProblem;
        }

        var (file, fileProblem) = await ImportsApi.ReadFileAsync(http, ReportingWorkbook.MaxTemplateBytes, []);
        if (file is null)
        {
            return fileProblem!;
        }

        var (preview, error) = await templates.PreviewAsync(http.User, code, file.Value.Name, file.Value.Bytes, http.RequestAborted);
        if (preview is null)
        {
            var status = OfficialWorkbook.Status(error!);
            return Problems.Create(status, status == 413 ? "Payload too large" : "Invalid file", [error!]);
        }

        return TypedResults.Ok(View(preview));
    }

    private static async Task<Results<Ok<ReportResultView>, NoContent, ProblemHttpResult>> Apply(string code, HttpContext http, TemplateService templates, TimeProvider time)
    {
        if (Problems.CheckMunicipalityCode(code) is { } problem)
        {
            return problem;
        }

        // If-Match is optional (the file's B3 is the version it was made from); when sent, it must name that version.
        if (Preconditions.ReadIfMatch(http, required: false, out var ifMatch) is { } ifMatchProblem)
        {
            return ifMatchProblem;
        }

        // If-None-Match as on every write with a version: "*" (the municipality exists) or its current tag is 412.
        if (await Preconditions.IfNoneMatchOnWriteAsync(http, async () => (await templates.CurrentAsync(code, http.RequestAborted)).Version) is { } noneMatchProblem)
        {
            return noneMatchProblem;
        }

        var (file, fileProblem) = await ImportsApi.ReadFileAsync(http, ReportingWorkbook.MaxTemplateBytes, []);
        if (file is null)
        {
            return fileProblem!;
        }

        var outcome = await templates.ApplyAsync(http.User, code, file.Value.Name, file.Value.Bytes, http.Connection.RemoteIpAddress?.ToString(),
            Preferences.AsksMinimal(http.Request), ifMatch, http.RequestAborted);
        if (outcome.Result is { Succeeded: true } result)
        {
            var record = result.Record!;
            http.Response.Headers.ETag = Preconditions.ETag(record.Version);
            http.Response.Headers[WriteApi.RequestIdHeader] = result.RequestId;
            if (result.Status == ReportStatus.Replayed)
            {
                http.Response.Headers[WriteApi.ReplayedHeader] = "true";
            }

            if (Preferences.AnswerMinimal(http))
            {
                return TypedResults.NoContent();
            }

            var view = Views.Municipality(record, result.RecentChanges, ReadinessRules.TodayInJapan(time.GetUtcNow()));
            return TypedResults.Ok(ReportResultView.Of(result, view));
        }

        if (outcome.Result?.Record is { } current)
        {
            http.Response.Headers.ETag = Preconditions.ETag(current.Version);
        }
        else if (outcome.Status == StatusCodes.Status412PreconditionFailed)
        {
            // Every 412 says what is current, so the client can read, review and retry (RFC 9110 §15.5.13): a stale
            // If-Match, one naming no version and a cell changed since the file's version (changed_since) hold no record.
            http.Response.Headers.ETag = Preconditions.ETag((await templates.CurrentAsync(code, http.RequestAborted)).Version);
        }

        var title = outcome.Status switch
        {
            StatusCodes.Status412PreconditionFailed => "Precondition failed",
            StatusCodes.Status413PayloadTooLarge => "Payload too large",
            StatusCodes.Status403Forbidden => "Forbidden",
            StatusCodes.Status422UnprocessableEntity => "Validation failed",
            _ => "Invalid file",
        };
        return Problems.Create(outcome.Status, title, outcome.Errors);
    }

    public static TemplatePreviewView View(TemplatePreview p)
    {
        var notice = p.Notice;
        return new(p.Code, p.FileHash, p.FileVersion, p.CurrentVersion, p.AlreadyApplied, p.CanApply,
            [.. p.Changes.Select(c => new TemplateChangeView(c.Cell, c.Target, c.Field, c.LabelJa, c.LabelEn, c.Before, c.After, c.BeforeJa, c.AfterJa))],
            [.. p.Errors.Select(TemplateService.Problem)], p.Rows, p.Confirmation, notice.MessageJa, notice.MessageEn, p.FileRows, p.Left, notice.Outcome);
    }

    private static async Task<IResult> PrefectureTable(HttpContext http, string prefCode, SummaryCache cache, string? q, string? kind, string? flag, string? sort, string? dir)
    {
        if (!ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(prefCode))
        {
            return Problems.NotFound("prefCode", $"都道府県コード「{Problems.Shown(prefCode)}」はありません（01〜47の2桁）。", $"Unknown prefecture code '{Problems.Shown(prefCode)}' (two digits, 01-47).");
        }

        if (MunicipalityQuery.Refused(kind, flag, sort, dir) is { } refused)
        {
            return Problems.UnknownValue(refused.Name, refused.Value, refused.Allowed);
        }

        var snapshot = await cache.GetAsync(TimeSpan.FromSeconds(60), http.RequestAborted);
        if (snapshot is null || !snapshot.Prefectures.TryGetValue(prefCode, out var prefecture))
        {
            return Problems.Create(StatusCodes.Status503ServiceUnavailable, "Service unavailable", "service", "unavailable",
                "集計を準備中です。しばらくしてから再度お試しください。", "The summaries are being prepared; try again shortly.");
        }

        if (Preconditions.ForRead(http, ExportApi.TableETag("xlsx", prefecture, q, kind, flag, sort, dir)) is { } conditional)
        {
            return conditional;
        }

        var query = MunicipalityQuery.From(q, kind, flag, sort, dir);
        var p = prefecture.View.Prefecture;
        var bytes = ReportingWorkbook.Table(p.Code + p.Name, MunicipalityTableCsv.Header, MunicipalityTableCsv.Rows(prefecture, query));
        return TypedResults.File(bytes, ReportingWorkbook.ContentType, Path.ChangeExtension(MunicipalityTableCsv.FileName(prefecture), ".xlsx"));
    }

    private static async Task<IResult> Export(HttpContext http, MunicipalityRecords reads, TimeProvider time, ReportingService reporting, IGrainFactory grains, GrainCalls calls)
    {
        if (ExportApi.Scope(http, reporting) is not { } scope)
        {
            return ExportApi.UnknownPrefecture(http);
        }

        var today = ReadinessRules.TodayInJapan(time.GetUtcNow());
        var read = await reads.ReadAsync(scope.Municipalities, http.RequestAborted);
        var prefectureRun = await ExportApi.ReadPrefectureRunAsync(scope.Code, grains, calls, http.RequestAborted);
        if (Preconditions.ForRead(http, ExportApi.ExportETag("xlsx", today, read, prefectureRun)) is { } conditional)
        {
            return conditional;
        }

        var bytes = ReportingWorkbook.Table("municipalities", [.. ExportApi.ExportColumns.Select(c => (string)c!)], ExportApi.ExportRows(scope.Municipalities, read, prefectureRun, today));
        return TypedResults.File(bytes, ReportingWorkbook.ContentType, $"municipalities-{scope.Code ?? "all"}-{today:yyyyMMdd}.xlsx");
    }

}
