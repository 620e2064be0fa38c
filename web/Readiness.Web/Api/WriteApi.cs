using System.Globalization;
using Readiness.Grains;
using Readiness.Rules;
using Readiness.Web.Auth;

namespace Readiness.Web.Api;

/// <summary>
/// Write endpoints: one system, one checklist item (both need If-Match), or a whole report (needs Idempotency-Key).
/// The tenant is checked by the <see cref="ReadinessPolicies.MunicipalityWrite"/> policy and again by
/// <see cref="ReportingService"/>; the municipality comes from the route and the caller's claims only.
/// </summary>
public static class WriteApi
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";
    public const string RequestIdHeader = "X-Request-Id";

    public static IEndpointRouteBuilder MapWriteApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/municipalities/{code}")
            .RequireAuthorization(ReadinessPolicies.MunicipalityWrite)
            .RequireRateLimiting(RateLimits.WritesPolicy)
            .WithTags("Reporting")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        api.MapPut("/systems/{businessId}", PutSystem)
            .Accepts<SystemReport>("application/json")
            .Produces<MunicipalityView>()
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired)
            .WithSummary("Report one business system (requires If-Match: the ETag of GET /municipalities/{code})");
        api.MapPut("/security/{itemId}", PutSecurity)
            .Accepts<SecurityReport>("application/json")
            .Produces<MunicipalityView>()
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired)
            .WithSummary("Report one security checklist item (requires If-Match)");
        api.MapPost("/reports", PostReport)
            .Accepts<MunicipalityReport>("application/json")
            .Produces<ReportResultView>()
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .WithSummary("Report any subset of systems and items, all or nothing (requires Idempotency-Key; If-Match optional)");
        return app;
    }

    private static async Task<IResult> PutSystem(string code, string businessId, HttpContext http, ReportingService reporting, TimeProvider time, SecurityLog securityLog)
    {
        var (context, problem) = ReadHeaders(http, requireIfMatch: true, requireIdempotencyKey: false, code);
        if (problem is null)
        {
            var (body, bodyProblem) = await JsonBody.ReadAsync<SystemReport>(http.Request, JsonBody.MaxBodyBytes, http.RequestAborted);
            if (bodyProblem is null)
            {
                return ToHttp(await reporting.ReportSystemAsync(http.User, code, businessId, body!, context!), http, time, reportShape: false);
            }

            problem = bodyProblem;
        }

        return Refused(http, reporting, securityLog, problem);
    }

    private static async Task<IResult> PutSecurity(string code, string itemId, HttpContext http, ReportingService reporting, TimeProvider time, SecurityLog securityLog)
    {
        var (context, problem) = ReadHeaders(http, requireIfMatch: true, requireIdempotencyKey: false, code);
        if (problem is null)
        {
            var (body, bodyProblem) = await JsonBody.ReadAsync<SecurityReport>(http.Request, JsonBody.MaxBodyBytes, http.RequestAborted);
            if (bodyProblem is null)
            {
                return ToHttp(await reporting.ReportSecurityAsync(http.User, code, itemId, body!, context!), http, time, reportShape: false);
            }

            problem = bodyProblem;
        }

        return Refused(http, reporting, securityLog, problem);
    }

    private static async Task<IResult> PostReport(string code, HttpContext http, ReportingService reporting, TimeProvider time, SecurityLog securityLog)
    {
        var (context, problem) = ReadHeaders(http, requireIfMatch: false, requireIdempotencyKey: true, code);
        if (problem is null)
        {
            var (body, bodyProblem) = await JsonBody.ReadAsync<MunicipalityReport>(http.Request, JsonBody.MaxBodyBytes, http.RequestAborted);
            if (bodyProblem is null)
            {
                return ToHttp(await reporting.ReportAsync(http.User, code, body!, context!), http, time, reportShape: true);
            }

            problem = bodyProblem;
        }

        return Refused(http, reporting, securityLog, problem);
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Refused(HttpContext http, ReportingService reporting, SecurityLog securityLog, Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult problem)
    {
        var errors = problem.ProblemDetails.Extensions.TryGetValue("errors", out var e) && e is IEnumerable<ProblemError> list ? list : [];
        securityLog.Refused(http, reporting.Caller(http.User), "invalid", problem.StatusCode, string.Join("; ", errors.Select(x => $"{x.Field}: {x.Code}")));
        return problem;
    }

    /// <summary>Route code first (400/404 naming it), then If-Match (428 when required and missing) and Idempotency-Key.</summary>
    private static (ReportContext? Context, Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult? Problem) ReadHeaders(HttpContext http, bool requireIfMatch, bool requireIdempotencyKey, string code)
    {
        if (Problems.CheckMunicipalityCode(code) is { } codeProblem)
        {
            return (null, codeProblem);
        }

        long? expected = null;
        var ifMatch = http.Request.Headers.IfMatch;
        if (ifMatch.Count == 0 || string.IsNullOrWhiteSpace(ifMatch.ToString()))
        {
            if (requireIfMatch)
            {
                return (null, Problems.Create(StatusCodes.Status428PreconditionRequired, "Precondition required", "If-Match", "precondition_required",
                    "If-Match ヘッダーに、取得した時点の ETag（例: \"12\"）を指定してください。", "Send If-Match with the ETag you read (e.g. \"12\"), so that nobody's change is overwritten unseen."));
            }
        }
        else
        {
            var text = ifMatch.ToString().Trim();
            if (ifMatch.Count > 1 || text.Length < 3 || text[0] != '"' || text[^1] != '"'
                || !long.TryParse(text.AsSpan(1, text.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                return (null, Problems.BadRequest("If-Match", "invalid_if_match",
                    "If-Match は1つの強い ETag（例: \"12\"）で指定してください。", $"If-Match must be one strong ETag such as \"12\", not '{Problems.Truncate(text)}'."));
            }

            expected = version;
        }

        string? key = null;
        var keyHeader = http.Request.Headers[IdempotencyKeyHeader];
        if (keyHeader.Count > 1)
        {
            return (null, Problems.BadRequest(IdempotencyKeyHeader, "invalid_idempotency_key", "Idempotency-Key は1つだけ指定してください。", "Send exactly one Idempotency-Key."));
        }

        if (keyHeader.Count == 1)
        {
            key = keyHeader.ToString();
        }
        else if (requireIdempotencyKey)
        {
            return (null, Problems.BadRequest(IdempotencyKeyHeader, "required",
                "Idempotency-Key ヘッダー（例: UUID）を指定してください。再送しても二重に反映されません。", "Send an Idempotency-Key header (e.g. a UUID): a retry then applies nothing twice."));
        }

        return (new ReportContext(expected, key, http.Connection.RemoteIpAddress?.ToString()), null);
    }

    private static IResult ToHttp(ReportResult result, HttpContext http, TimeProvider time, bool reportShape)
    {
        if (!string.IsNullOrEmpty(result.RequestId))
        {
            http.Response.Headers[RequestIdHeader] = result.RequestId;
        }

        if (!result.Succeeded)
        {
            if (result.Status == ReportStatus.VersionConflict && result.Record is { } current)
            {
                http.Response.Headers.ETag = ETag(current.Version);
            }

            var (status, title) = result.Status switch
            {
                ReportStatus.BadRequest => (StatusCodes.Status400BadRequest, "Invalid request"),
                ReportStatus.NotFound => (StatusCodes.Status404NotFound, "Not found"),
                ReportStatus.Forbidden => (StatusCodes.Status403Forbidden, "Forbidden"),
                ReportStatus.VersionConflict => (StatusCodes.Status412PreconditionFailed, "Precondition failed"),
                ReportStatus.IdempotencyKeyReused => (StatusCodes.Status422UnprocessableEntity, "Idempotency key reused"),
                _ => (StatusCodes.Status422UnprocessableEntity, "Validation failed"),
            };
            // The grain names its own fields; over HTTP the version is the If-Match header and the request id the Idempotency-Key.
            return Problems.FromValidation(status, title, result.Errors.Select(e => e.Field switch
            {
                "version" => e with { Field = "If-Match" },
                "requestId" => e with { Field = IdempotencyKeyHeader },
                _ => e,
            }));
        }

        var record = result.Record!;
        var recent = result.RecentChanges;
        var view = Views.Municipality(record, recent, ReadinessRules.TodayInJapan(time.GetUtcNow()));
        http.Response.Headers.ETag = ETag(record.Version);
        if (result.Status == ReportStatus.Replayed)
        {
            http.Response.Headers[ReplayedHeader] = "true";
        }

        return reportShape
            ? TypedResults.Ok(new ReportResultView(Wire.Name(result.Status), result.RequestId, result.AppliedVersion ?? record.Version,
                result.Changes.Select(AuditApi.View).ToList(), view))
            : TypedResults.Ok(view);
    }

    public static string ETag(long version) => $"\"{version.ToString(CultureInfo.InvariantCulture)}\"";
}
