using System.Text.Json;
using Readiness.Catalog;
using Readiness.Grains;
using Readiness.Hosting;
using Readiness.Rules;
using Readiness.Web.Auth;
using Readiness.Web.Api.OpenApi;

namespace Readiness.Web.Api;

/// <summary>
/// Write endpoints: one system, one checklist item, or a whole report (all need If-Match; a report also Idempotency-Key).
/// The tenant is checked by the <see cref="ReadinessPolicies.MunicipalityWrite"/> policy and again by
/// <see cref="ReportingService"/>; the municipality comes from the route and the caller's claims only.
/// </summary>
public static class WriteApi
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";
    public const string RequestIdHeader = "X-Request-Id";

    private const string MinimalAnswer =
        "Answers 200 with the whole municipality view and its ETag. With `Prefer: return=minimal` (RFC 7240) a change answers "
        + "204 No Content with the new ETag and `Preference-Applied: return=minimal` (no view rendered or sent: the lighter answer for "
        + "clients that only need the new version); `Prefer: return=representation` or no preference keeps the view.";

    /// <summary>The answer of a whole report (POST …/reports, and an applied template): the same preference as a single change.</summary>
    public const string MinimalReportAnswer =
        "Answers 200 with the report's status, its audit entries and the whole municipality view. With `Prefer: return=minimal` "
        + "(RFC 7240) an applied report answers 204 No Content with the new ETag, its `Idempotency-Key` and `Preference-Applied: "
        + "return=minimal` (a replay adds `Idempotent-Replayed: true`); `Prefer: return=representation` or no preference keeps the full answer.";

    public static IEndpointRouteBuilder MapWriteApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/municipalities/{code}")
            .WritesConditionallyOn("GET /api/v1/municipalities/{code}") // ReadHeadersAsync; the grain checks If-Match atomically
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

        foreach (var method in new[] { HttpMethods.Put, HttpMethods.Patch })
        {
            var patch = method == HttpMethods.Patch;
            var mediaType = patch ? MediaTypes.MergePatch : MediaTypes.Json;
            api.MapMethods("/systems/{businessId}", [method], WriteSystem)
                .Accepts<SystemReport>(mediaType)
                .Produces<MunicipalityView>()
                .Produces(StatusCodes.Status204NoContent)
                .ProducesProblem(StatusCodes.Status412PreconditionFailed)
                .ProducesProblem(StatusCodes.Status428PreconditionRequired)
                .WithSummary(patch
                    ? "Change part of one business system (JSON Merge Patch, RFC 7396: null clears a member; requires If-Match)"
                    : "Report one business system as GET .../systems/{businessId} shows it (a member left out keeps its value; requires If-Match)")
                .WithDescription(MinimalAnswer);
            api.MapMethods("/security/{itemId}", [method], WriteSecurity)
                .Accepts<SecurityReport>(mediaType)
                .Produces<MunicipalityView>()
                .Produces(StatusCodes.Status204NoContent)
                .ProducesProblem(StatusCodes.Status412PreconditionFailed)
                .ProducesProblem(StatusCodes.Status428PreconditionRequired)
                .WithSummary(patch
                    ? "Change part of one security checklist item (JSON Merge Patch; requires If-Match)"
                    : "Report one security checklist item as GET .../security/{itemId} shows it (requires If-Match)")
                .WithDescription(MinimalAnswer);
        }

        api.MapPost("/reports", PostReport)
            .Accepts<MunicipalityReport>(MediaTypes.Json)
            .Produces<ReportResultView>()
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired)
            .WithSummary("Report any subset of systems and items, all or nothing (requires If-Match and Idempotency-Key)")
            .WithDescription(MinimalReportAnswer);

        var reads = app.MapGroup("/api/v1/municipalities/{code}")
            .RequireAuthorization(ReadinessPolicies.MunicipalityRead)
            .RequireRateLimiting(RateLimits.ReadsPolicy)
            .WithTags("Reporting")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
        reads.MapGet("/systems/{businessId}", GetSystem).AnswersConditionalRequests()
            .Produces<SystemReport>()
            .WithSummary("One business system as PUT and PATCH take it; the ETag is the municipality's version");
        reads.MapGet("/security/{itemId}", GetSecurity).AnswersConditionalRequests()
            .Produces<SecurityReport>()
            .WithSummary("One security checklist item as PUT and PATCH take it; the ETag is the municipality's version");
        return app;
    }

    private static async Task<IResult> GetSystem(string code, string businessId, HttpContext http, IGrainFactory grains, GrainCalls calls)
    {
        if (Problems.CheckMunicipalityCode(code) is { } problem)
        {
            return problem;
        }

        if (UnknownBusiness(businessId) is { } unknown)
        {
            return unknown;
        }

        var record = await calls.Run(() => grains.GetGrain<IMunicipalityGrain>(code).GetAsync(), idempotent: true, http.RequestAborted);
        http.Response.Headers["Accept-Patch"] = MediaTypes.MergePatch;
        return Preconditions.ForRead(http, Preconditions.ETag(record.Version)) ?? TypedResults.Ok(SystemReport.From(record.FindSystem(businessId)!));
    }

    private static async Task<IResult> GetSecurity(string code, string itemId, HttpContext http, IGrainFactory grains, GrainCalls calls)
    {
        if (Problems.CheckMunicipalityCode(code) is { } problem)
        {
            return problem;
        }

        if (UnknownItem(itemId) is { } unknown)
        {
            return unknown;
        }

        var record = await calls.Run(() => grains.GetGrain<IMunicipalityGrain>(code).GetAsync(), idempotent: true, http.RequestAborted);
        http.Response.Headers["Accept-Patch"] = MediaTypes.MergePatch;
        return Preconditions.ForRead(http, Preconditions.ETag(record.Version)) ?? TypedResults.Ok(SecurityReport.From(record.FindSecurityItem(itemId)!));
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult? UnknownBusiness(string businessId) => ReadinessCatalog.Instance.BusinessIndex.ContainsKey(businessId) ? null
        : Problems.NotFound("businessId", $"業務「{Problems.Shown(businessId)}」は標準化対象の20業務にありません。", $"Unknown business system '{Problems.Shown(businessId)}'.");

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult? UnknownItem(string itemId) => ReadinessCatalog.Instance.SecurityIndex.ContainsKey(itemId) ? null
        : Problems.NotFound("itemId", $"セキュリティ項目「{Problems.Shown(itemId)}」はチェックリストにありません。", $"Unknown security checklist item '{Problems.Shown(itemId)}'.");

    /// <summary>PUT or PATCH of one system: the members sent are the change, the others keep their values (so both are the same operation on this flat representation).</summary>
    private static async Task<IResult> WriteSystem(string code, string businessId, HttpContext http, ReportingService reporting, IGrainFactory grains, GrainCalls calls, TimeProvider time, SecurityLog securityLog)
    {
        // The address first, as a GET of it answers: an unknown system is 404 before any header is asked for (it was 428).
        var (context, problem) = Problems.CheckMunicipalityCode(code) is null && UnknownBusiness(businessId) is { } unknown
            ? (null, unknown)
            : await ReadHeadersAsync(http, grains, calls, requireIfMatch: true, requireIdempotencyKey: false, code);
        if (problem is null)
        {
            var (body, document, bodyProblem, rest) = await JsonBody.ReadWithRestAsync<SystemReport>(http.Request, BodyLimit.OneRecord, http.RequestAborted, AcceptedBy(http));
            if (bodyProblem is null)
            {
                return ToHttp(await reporting.ReportSystemAsync(http.User, code, businessId, body! with { Given = JsonBody.Members<SystemReport>(document) }, WithPreference(context!, http)), http, time, reportShape: false, BodyFields.Single());
            }

            problem = bodyProblem;
            if (rest is { } judged)
            {
                // The members not at fault, judged by the rules (nothing applied): their faults join the format's.
                var rules = await reporting.ReportSystemAsync(http.User, code, businessId, judged.Value with { Given = JsonBody.Members<SystemReport>(judged.Document) }, context! with { DryRun = true });
                problem = WithRuleFaults(bodyProblem, rules.Status, rules.Errors);
            }
        }

        return Refused(http, reporting, securityLog, problem);
    }

    private static async Task<IResult> WriteSecurity(string code, string itemId, HttpContext http, ReportingService reporting, IGrainFactory grains, GrainCalls calls, TimeProvider time, SecurityLog securityLog)
    {
        var (context, problem) = Problems.CheckMunicipalityCode(code) is null && UnknownItem(itemId) is { } unknown
            ? (null, unknown)
            : await ReadHeadersAsync(http, grains, calls, requireIfMatch: true, requireIdempotencyKey: false, code);
        if (problem is null)
        {
            var (body, document, bodyProblem, rest) = await JsonBody.ReadWithRestAsync<SecurityReport>(http.Request, BodyLimit.OneRecord, http.RequestAborted, AcceptedBy(http));
            if (bodyProblem is null)
            {
                return ToHttp(await reporting.ReportSecurityAsync(http.User, code, itemId, body! with { Given = JsonBody.Members<SecurityReport>(document) }, WithPreference(context!, http)), http, time, reportShape: false, BodyFields.Single());
            }

            problem = bodyProblem;
            if (rest is { } judged)
            {
                // The members not at fault, judged by the rules (nothing applied): their faults join the format's.
                var rules = await reporting.ReportSecurityAsync(http.User, code, itemId, judged.Value with { Given = JsonBody.Members<SecurityReport>(judged.Document) }, context! with { DryRun = true });
                problem = WithRuleFaults(bodyProblem, rules.Status, rules.Errors);
            }
        }

        return Refused(http, reporting, securityLog, problem);
    }

    private static async Task<IResult> PostReport(string code, HttpContext http, ReportingService reporting, IGrainFactory grains, GrainCalls calls, TimeProvider time, SecurityLog securityLog)
    {
        // If-Match is required as on a single change: a report sent from an old read would otherwise revert, unseen,
        // whatever a colleague saved since ("*" overwrites knowingly). A replay still answers as one (the grain looks
        // up the Idempotency-Key before it compares versions).
        var (context, problem) = await ReadHeadersAsync(http, grains, calls, requireIfMatch: true, requireIdempotencyKey: true, code);
        if (problem is null)
        {
            var (body, document, bodyProblem) = await JsonBody.ReadWithMembersAsync<MunicipalityReport>(http.Request, BodyLimit.Report, http.RequestAborted);
            if (bodyProblem is null)
            {
                // Each item keeps what it leaves out, as a PUT does.
                var report = body! with
                {
                    Systems = body.Systems?.Zip(document.GetProperty("systems").EnumerateArray(), (s, sent) => s with { Given = JsonBody.Members<SystemReportItem>(sent) }).ToList(),
                    Security = body.Security?.Zip(document.GetProperty("security").EnumerateArray(), (s, sent) => s with { Given = JsonBody.Members<SecurityReportItem>(sent) }).ToList(),
                };
                return ToHttp(await reporting.ReportAsync(http.User, code, report, WithPreference(context!, http)), http, time, reportShape: true,
                    BodyFields.Report([.. (body.Systems ?? []).Select(x => x?.BusinessId)], [.. (body.Security ?? []).Select(x => x?.ItemId)]));
            }

            problem = bodyProblem;
        }

        return Refused(http, reporting, securityLog, problem);
    }

    /// <summary>
    /// A body's format faults with the rule faults the rest of it meets (judged, nothing applied): every fault in one
    /// 400, as a PUT or a form answers them. Any other outcome of the rest (a version conflict, a refusal of the
    /// caller) leaves the format faults alone: they are the answer until they are fixed.
    /// </summary>
    internal static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult WithRuleFaults(Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult formatProblem, ReportStatus restStatus, IReadOnlyList<ValidationError> restErrors)
    {
        if (restStatus is not (ReportStatus.Invalid or ReportStatus.BadRequest) || restErrors.Count == 0
            || !formatProblem.ProblemDetails.Extensions.TryGetValue("errors", out var e) || e is not IEnumerable<ProblemError> formatErrors)
        {
            return formatProblem;
        }

        var fields = BodyFields.Single();
        return Problems.Create(StatusCodes.Status400BadRequest, "Invalid request",
            [.. formatErrors, .. restErrors.Select(x => new ProblemError(fields.Name(x), x.Code, x.MessageJa, x.MessageEn))]);
    }

    /// <summary>A change or report answered <c>return=minimal</c> renders no view, so the grain need not send what only the view shows.</summary>
    private static ReportContext WithPreference(ReportContext context, HttpContext http) =>
        Preferences.AsksMinimal(http.Request) ? context with { Minimal = true } : context;

    private static IReadOnlyList<string> AcceptedBy(HttpContext http) => HttpMethods.IsPatch(http.Request.Method) ? MediaTypes.MergePatchOnly : MediaTypes.JsonOnly;

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Refused(HttpContext http, ReportingService reporting, SecurityLog securityLog, Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult problem)
    {
        var errors = problem.ProblemDetails.Extensions.TryGetValue("errors", out var e) && e is IEnumerable<ProblemError> list ? list : [];
        securityLog.Refused(http, reporting.Caller(http.User), "invalid", problem.StatusCode, string.Join("; ", errors.Select(x => $"{x.Field}: {x.Code}")));
        return problem;
    }

    /// <summary>
    /// Route code first (400/404 naming it), then the preconditions (RFC 9110 §13 through <see cref="Preconditions"/>:
    /// 428 when If-Match is required and missing, 400 when malformed, 412 when If-None-Match matches) and the
    /// Idempotency-Key. If-Match becomes the version the grain checks atomically: "*" none (the municipality exists),
    /// a list the one version it names that is current, or -1 (never current: 412) when it names none.
    /// </summary>
    private static async Task<(ReportContext? Context, Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult? Problem)> ReadHeadersAsync(
        HttpContext http, IGrainFactory grains, GrainCalls calls, bool requireIfMatch, bool requireIdempotencyKey, string code)
    {
        if (Problems.CheckMunicipalityCode(code) is { } codeProblem)
        {
            return (null, codeProblem);
        }

        var headers = http.Request.Headers;
        if (Preconditions.ReadIfMatch(http, requireIfMatch, out var versions) is { } ifMatchProblem)
        {
            return (null, ifMatchProblem);
        }

        long? current = null;
        async Task<long> Current() => current ??= (await calls.Run(() => grains.GetGrain<IMunicipalityGrain>(code).GetAsync(), idempotent: true, http.RequestAborted)).Version;

        // An If-None-Match is compared with the current version (the grain checks the If-Match version again atomically).
        if (await Preconditions.IfNoneMatchOnWriteAsync(http, Current) is { } noneMatchProblem)
        {
            return (null, noneMatchProblem);
        }

        var expected = await Preconditions.ExpectedVersionAsync(versions, Current);

        string? key = null;
        var keyHeader = headers[IdempotencyKeyHeader];
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

    /// <summary>The grain names a system's members as its change does ("designation.reason", "reason"); the wire names are the representation's.</summary>
    public static string WireField(string field) =>
        !field.StartsWith("systems[", StringComparison.Ordinal) ? field
        : field.EndsWith(".designation.reason", StringComparison.Ordinal) ? field[..^".designation.reason".Length] + ".designationReason"
        : field.EndsWith(".designation.targetDate", StringComparison.Ordinal) ? field[..^".designation.targetDate".Length] + ".designationTarget"
        : field.EndsWith("].reason", StringComparison.Ordinal) ? field[..^".reason".Length] + ".regressionReason"
        : field;

    private static IResult ToHttp(ReportResult result, HttpContext http, TimeProvider time, bool reportShape, BodyFields fields)
    {
        if (!string.IsNullOrEmpty(result.RequestId))
        {
            http.Response.Headers[RequestIdHeader] = result.RequestId;
        }

        if (!result.Succeeded)
        {
            if (result.Status == ReportStatus.VersionConflict && result.Record is { } current)
            {
                http.Response.Headers.ETag = Preconditions.ETag(current.Version);
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
            // The grain names its own fields; over HTTP the version is the If-Match header, the request id the
            // Idempotency-Key, and a member the JSON path of the body sent (as a malformed body's 400 names it).
            return Problems.FromValidation(status, title, result.Errors.Select(e => e.Field switch
            {
                "version" => e with { Field = "If-Match" },
                "requestId" => e with { Field = IdempotencyKeyHeader },
                _ => e with { Field = fields.Name(e) },
            }).ToList());
        }

        var record = result.Record!;
        http.Response.Headers.ETag = Preconditions.ETag(record.Version);
        if (result.Status == ReportStatus.Replayed)
        {
            http.Response.Headers[ReplayedHeader] = "true";
        }

        if (Preferences.AnswerMinimal(http))
        {
            return TypedResults.NoContent();
        }

        var view = Views.Municipality(record, result.RecentChanges, ReadinessRules.TodayInJapan(time.GetUtcNow()));

        return reportShape
            ? TypedResults.Ok(ReportResultView.Of(result, view))
            : TypedResults.Ok(view);
    }

    public static string ETag(long version) => Preconditions.ETag(version);
}
