using System.Collections.Immutable;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Readiness.Catalog;
using Readiness.Grains;
using Readiness.Hosting;
using Readiness.Rules;
using Readiness.Web.Auth;
using Readiness.Web.Api.OpenApi;

namespace Readiness.Web.Api;

/// <summary>
/// A prefecture's own prefecture-run systems as counts (the prefecture summary carries these; the full figures are in
/// <see cref="PrefectureRunView"/>): systems, by the municipality's rules, of the reported systems only. Every system
/// counter of the nation's <c>figures</c> is Σ over the prefectures of <c>figures</c> + <c>prefectureRun</c>.
/// </summary>
public sealed record PrefectureRunCountsView(long Version, int ApplicableSystems, int MigratedSystems, double? Progress, int NotApplicableSystems, int DesignatedSystems, int OverdueSystems,
    int DesignationIncomplete, int PastTargetSystems, int BeyondLimitSystems, int RegressionSystems);

/// <summary>
/// One prefecture-run system: <c>listed</c> marked on the prefecture's row of the designation list in force;
/// <c>counted</c> reported by the prefecture and so in its figures and the nation's; <c>system</c> as a municipality's system.
/// </summary>
public sealed record PrefectureRunSystemView(string BusinessId, bool Listed, bool Counted, SystemView System);

/// <summary>
/// The businesses a prefecture runs itself (児童扶養手当, 生活保護 for towns and villages without a welfare office): its
/// 6-digit 団体コード (<c>code</c>), version (the ETag), the designation list the listing comes from, its own figures
/// (apart from its municipalities'; the nation counts them once), each system, and the recent changes (the audit trail's).
/// </summary>
public sealed record PrefectureRunView(
    string PrefectureCode, string Code, string Name, string NameEn, long Version, DateTimeOffset? LastReportedAt, DateTimeOffset? UpdatedAt, string? UpdatedBy,
    SourceView DesignationList, FiguresView Figures, IReadOnlyList<PrefectureRunSystemView> Systems, IReadOnlyList<ChangeView> RecentChanges)
{
    public static PrefectureRunView From(PrefectureRunRecord r, ImmutableArray<ChangeEntry> recent, DateOnly today)
    {
        var p = ReadinessCatalog.Instance.PrefecturesByCode[r.PrefectureCode];
        var list = r.OfficialDesignation is { } d ? Views.SourceOf(d, designation: true) : Views.Sources[1];
        return new PrefectureRunView(r.PrefectureCode, r.Code, p.Name, p.NameEn, r.Version, r.LastReportedAt, r.UpdatedAt, r.UpdatedBy?.Subject, list,
            Views.Figures(PrefectureRunRules.Summarize(r, today)),
            [.. r.Systems.Select(s => new PrefectureRunSystemView(s.BusinessId, r.IsListed(s.BusinessId), PrefectureRunRecord.Counts(s), Views.PrefectureRunSystemOf(s, today)))],
            [.. recent.Select(Views.Change)]);
    }
}

/// <summary>What became of a report of a prefecture's own system (as <see cref="ReportResult"/> for a municipality).</summary>
public sealed record PrefectureRunResult(ReportStatus Status, string RequestId, PrefectureRunRecord? Record, ImmutableArray<ValidationError> Errors)
{
    /// <summary>
    /// On success the audit entries of the first application (also for a replay), as the grain audited them: whether
    /// the save was a confirmation (<see cref="SavedNotice.IsConfirmation"/>) is read here. Empty for refusals.
    /// </summary>
    public ImmutableArray<ChangeEntry> Changes { get; init; } = [];

    /// <summary>The prefecture's most recent changes after the report, newest first (empty for refusals and for a <see cref="ReportContext.Minimal"/> report).</summary>
    public ImmutableArray<ChangeEntry> RecentChanges { get; init; } = [];

    public bool Succeeded => Status is ReportStatus.Accepted or ReportStatus.Replayed;
}

/// <summary>
/// The write side of the prefecture-run systems, shared by the API and the prefecture page's form: the tenant from the
/// caller's claims (only the prefecture's own staff), the actor, then the prefecture-run grain (validation, version,
/// idempotency, audit, storage).
/// </summary>
public sealed class PrefectureRunService(IGrainFactory grains, GrainCalls calls, IAuditLog audit, IOptions<ReadinessAuthOptions> authOptions, SecurityLog securityLog, TimeProvider time)
{
    public ReadinessCaller? Caller(ClaimsPrincipal user) => ReadinessCaller.From(user, authOptions.Value);

    public bool CanWrite(ClaimsPrincipal user, string prefectureCode) => TenantAccess.CanWritePrefectureRun(Caller(user), prefectureCode);

    public bool CanRead(ClaimsPrincipal user, string prefectureCode) => TenantAccess.CanReadPrefectureRun(Caller(user), prefectureCode);

    public async Task<(PrefectureRunRecord Record, ImmutableArray<ChangeEntry> Recent)> GetAsync(string prefectureCode, CancellationToken cancellationToken)
    {
        var grain = grains.GetGrain<IPrefectureRunGrain>(prefectureCode);
        var record = await calls.Run(() => grain.GetAsync(), idempotent: true, cancellationToken);
        var recent = await calls.Run(() => grain.GetRecentChangesAsync(), idempotent: true, cancellationToken);
        return (record, recent);
    }

    /// <summary>
    /// Read only, nothing saved: the prefecture's own systems now and what changed them after version
    /// <paramref name="madeFrom"/> (the targets a person reported, with who and when, from the trail kept under the
    /// prefecture's 団体コード); empty when nothing did, or when the trail since is too long to read. The version is the
    /// whole record's, so a change to either system since refuses a form: every target counts.
    /// </summary>
    public async Task<(PrefectureRunRecord Record, ImmutableArray<TargetConflict> Conflicts)> ConflictsNowAsync(
        string prefectureCode, long madeFrom, CancellationToken cancellationToken)
    {
        var grain = grains.GetGrain<IPrefectureRunGrain>(prefectureCode);
        var record = await calls.Run(() => grain.GetAsync(), idempotent: true, cancellationToken);
        return (record, await ConflictsSinceAsync(record, madeFrom, cancellationToken));
    }

    /// <summary>What changed <paramref name="current"/> after <paramref name="madeFrom"/> (<see cref="ConflictsNowAsync"/>'s second part).</summary>
    public async Task<ImmutableArray<TargetConflict>> ConflictsSinceAsync(PrefectureRunRecord current, long madeFrom, CancellationToken cancellationToken) =>
        current.Version > madeFrom && await audit.ChangesSinceAsync(current.Code, madeFrom, current.Version, cancellationToken) is { } history
            ? ChangesSince.Conflicts(history, madeFrom, current.Systems.Select(s => "system:" + s.BusinessId))
            : [];

    /// <summary>The refusal of an empty (null) phase for a system already reported: a reported phase is never taken back.</summary>
    public static readonly ValidationError ReportedPhaseKept = new("phase", "null_not_allowed",
        "この業務は報告済みのため、移行フェーズを「未報告」に戻すことはできません。フェーズを選択してください。",
        "This system has been reported, so its phase cannot be taken back to not reported (null): choose a phase.");

    public async Task<PrefectureRunResult> ReportSystemAsync(ClaimsPrincipal user, string prefectureCode, string businessId, SystemReport report, ReportContext context)
    {
        var caller = Caller(user);
        // An invalid key is refused below and never becomes the request's id (nor is it echoed in X-Request-Id).
        var requestId = context.IdempotencyKey is { } given && ReportingService.IsValidIdempotencyKey(given) ? given : "req-" + Guid.CreateVersion7().ToString("N");
        PrefectureRunResult Refuse(ReportStatus status, string field, string code, string ja, string en, PrefectureRunRecord? record = null, ImmutableArray<ValidationError>? errors = null)
        {
            var list = errors ?? [new ValidationError(field, code, ja, en)];
            // A dry run's refusal was the refused save's, already logged.
            if (!context.DryRun)
            {
                securityLog.RefusedWrite(caller, "pref:" + Problems.Shown(prefectureCode), Wire.Name(status), string.Join("; ", list.Select(e => $"{e.Field}: {e.Code}")), context.ClientAddress);
            }

            return new PrefectureRunResult(status, requestId, record, list);
        }

        if (!ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(prefectureCode))
        {
            return Refuse(ReportStatus.NotFound, "prefCode", "not_found",
                $"都道府県コード「{Problems.Shown(prefectureCode)}」はありません（01〜47の2桁）。", $"Unknown prefecture code '{Problems.Shown(prefectureCode)}' (two digits, 01-47).");
        }

        if (!TenantAccess.CanWritePrefectureRun(caller, prefectureCode))
        {
            var (field, why, ja, en) = TenantAccess.WriteRefusal(caller, caller is { Role: Role.Prefecture } && caller.Tenant == prefectureCode, ("prefCode", "forbidden_tenant",
                $"都道府県「{prefectureCode}」が実施する事務を報告する権限がありません（報告できるのはその都道府県の職員のみです）。",
                $"You may not report the systems prefecture '{prefectureCode}' runs: only that prefecture's staff report them."));
            return Refuse(ReportStatus.Forbidden, field, why, ja, en);
        }

        if (!ReadinessCatalog.IsPrefectureRun(businessId))
        {
            return Refuse(ReportStatus.NotFound, "businessId", "not_prefecture_run",
                $"業務「{Problems.Shown(businessId)}」は都道府県が実施する事務（児童扶養手当・生活保護）ではありません。",
                $"'{Problems.Shown(businessId)}' is not a business run by the prefecture (child_rearing_allowance, public_assistance).");
        }

        if (context.IdempotencyKey is { } key && !ReportingService.IsValidIdempotencyKey(key))
        {
            return Refuse(ReportStatus.BadRequest, "Idempotency-Key", "invalid_idempotency_key",
                $"Idempotency-Key は1〜{ReportingService.MaxIdempotencyKeyLength}文字の英数字・記号（空白なし）で指定してください。",
                $"The Idempotency-Key must be 1 to {ReportingService.MaxIdempotencyKeyLength} visible ASCII characters.");
        }

        var grain = grains.GetGrain<IPrefectureRunGrain>(prefectureCode);
        if (report.GivesNullPhase)
        {
            // A system never reported reads phase null (GET, the list, the page, the form's 「未報告」), so a client sends
            // that null back: it keeps the system not reported, as leaving phase out does (ChangeRules.Apply). Once
            // reported, a phase cannot be taken back to not reported.
            var current = await calls.Run(() => grain.GetAsync(), idempotent: true);
            if (PrefectureRunRecord.Counts(current.FindSystem(businessId)!))
            {
                return Refuse(ReportStatus.BadRequest, "phase", "null_not_allowed", string.Empty, string.Empty, errors: [ReportedPhaseKept]);
            }

            report = report with { Given = (report.Given ?? SystemChange.Members.ToHashSet(StringComparer.Ordinal)).Where(m => m != "phase").ToHashSet(StringComparer.Ordinal) };
        }

        var request = new ChangeRequest
        {
            RequestId = requestId,
            Actor = caller!.ToActor(),
            ExpectedVersion = context.ExpectedVersion,
            Systems = [ReportingService.ToChange(businessId, report)],
            ClientAddress = context.ClientAddress,
            CallId = Guid.NewGuid().ToString("N"),
            Minimal = context.Minimal,
        };
        if (context.DryRun)
        {
            // The grain's own rules against its record now, read only (the version check left to the caller).
            var now = await calls.Run(() => grain.GetAsync(), idempotent: true);
            var errors = PrefectureRunRules.Validate(request, now, ReadinessRules.TodayInJapan(time.GetUtcNow()));
            return errors.IsEmpty
                ? new PrefectureRunResult(ReportStatus.Accepted, requestId, now, [])
                : Refuse(ReportStatus.Invalid, string.Empty, string.Empty, string.Empty, string.Empty, now, errors);
        }

        var outcome = await calls.Run(() => grain.ApplyAsync(request), idempotent: true);
        if (!outcome.Succeeded)
        {
            var status = outcome.Status switch
            {
                ChangeStatus.VersionConflict => ReportStatus.VersionConflict,
                ChangeStatus.IdempotencyKeyReused => ReportStatus.IdempotencyKeyReused,
                _ => ReportStatus.Invalid,
            };
            return Refuse(status, string.Empty, string.Empty, string.Empty, string.Empty, outcome.Record, outcome.Errors);
        }

        // As ReportingService: an accepted request's entries come back from the grain as audited; a replay's are read
        // from the audit trail (the prefecture's 団体コード is its trail's key), where the first application left them.
        var changes = outcome.Status == ChangeStatus.Accepted
            ? outcome.Applied
            : await audit.FindRequestAsync(outcome.Record.Code, requestId, outcome.Record.Version);
        var replayed = outcome.Status == ChangeStatus.Replayed && outcome.AppliedBy != request.CallId;
        return new PrefectureRunResult(replayed ? ReportStatus.Replayed : ReportStatus.Accepted, requestId, outcome.Record, [])
        {
            RecentChanges = outcome.RecentChanges,
            Changes = changes,
        };
    }
}

/// <summary>
/// <c>/api/v1/prefectures/{prefCode}/systems</c>: the businesses a prefecture runs itself, shaped as the municipality's
/// <c>/systems/{businessId}</c> (GET with ETag, PUT/PATCH with If-Match; Idempotency-Key optional). Reading: the
/// prefecture, national staff, administrators; reporting: only the prefecture's own staff.
/// </summary>
public static class PrefectureRunApi
{
    public static IEndpointRouteBuilder MapPrefectureRunApi(this IEndpointRouteBuilder app)
    {
        var reads = app.MapGroup("/api/v1/prefectures/{prefCode}")
            .RequireAuthorization(ReadinessPolicies.PrefectureRunRead)
            .RequireRateLimiting(RateLimits.ReadsPolicy)
            .WithTags("Prefecture-run businesses")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
        reads.MapGet("/systems", GetAll).AnswersConditionalRequests()
            .Produces<PrefectureRunView>()
            .WithSummary("The businesses the prefecture runs itself (児童扶養手当, 生活保護): listing, figures apart from its municipalities', systems, recent changes; the ETag is its version")
            .WithDescription("Prefectures run 児童扶養手当 and 生活保護 for towns and villages without a welfare office. A system is listed when the prefecture's row of the designation list in force marks it, and counted (in the prefecture's own figures and once in the nation's) from the prefecture's first report of it.");
        reads.MapGet("/systems/history", GetHistory).AnswersConditionalRequests().WithTypedQuery(AuditApi.Limit)
            .Produces<HistoryView>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithSummary("The audit trail of the systems the prefecture runs itself, newest first: ?limit=1..200 (default 50), ?cursor= from nextCursor")
            .WithDescription("The same shape and paging as GET /api/v1/municipalities/{code}/history; code is the prefecture's own 6-digit 団体コード (北海道 010006) the entries are kept under, version (the ETag) the prefecture-run record's.");
        reads.MapGet("/systems/history.csv", GetHistoryCsv).AnswersConditionalRequests()
            .Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .WithSummary("The whole audit trail of the systems the prefecture runs itself as CSV (the columns of a municipality's history.csv; municipality_code is the prefecture's 団体コード)");
        reads.MapGet("/systems/{businessId}", GetSystem).AnswersConditionalRequests()
            .Produces<SystemReport>()
            .WithSummary("One prefecture-run system as PUT and PATCH take it; the ETag is the prefecture-run record's version")
            .WithDescription("businessId: child_rearing_allowance or public_assistance (404 naming businessId otherwise). A system the prefecture has not yet reported reads phase null, as in the list; PUT takes that null back (the system keeps its state, as when phase is left out), while for a reported system null is refused (400 naming phase).");

        var writes = app.MapGroup("/api/v1/prefectures/{prefCode}")
            .WritesConditionallyOn("GET /api/v1/prefectures/{prefCode}/systems/{businessId}") // the grain checks If-Match atomically
            .RequireAuthorization(ReadinessPolicies.PrefectureRunWrite)
            .RequireRateLimiting(RateLimits.WritesPolicy)
            .WithTags("Prefecture-run businesses")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        foreach (var method in new[] { HttpMethods.Put, HttpMethods.Patch })
        {
            var patch = method == HttpMethods.Patch;
            writes.MapMethods("/systems/{businessId}", [method], WriteSystem)
                .Accepts<SystemReport>(patch ? MediaTypes.MergePatch : MediaTypes.Json)
                .Produces<PrefectureRunView>()
                .Produces(StatusCodes.Status204NoContent)
                .WithSummary(patch
                    ? "Change part of one prefecture-run system (JSON Merge Patch, RFC 7396; requires If-Match)"
                    : "Report one prefecture-run system as GET .../systems/{businessId} shows it (a member left out keeps its value; requires If-Match)")
                .WithDescription("Only the prefecture's own staff (role prefecture, its tenant). The same fields and rules as a municipality's system; audited in the audit trail under the prefecture's 6-digit 団体コード. An Idempotency-Key makes a retry apply nothing twice (Idempotent-Replayed: true). With `Prefer: return=minimal` (RFC 7240) a change answers 204 No Content with the new ETag and `Preference-Applied: return=minimal` instead of the view.");
        }

        return app;
    }

    private static async Task<IResult> GetAll(string prefCode, HttpContext http, PrefectureRunService service, TimeProvider time)
    {
        if (Unknown(prefCode) is { } problem)
        {
            return problem;
        }

        var (record, recent) = await service.GetAsync(prefCode, http.RequestAborted);
        var today = ReadinessRules.TodayInJapan(time.GetUtcNow());
        return Preconditions.ForRead(http, Views.ETag(record, today)) ?? TypedResults.Ok(PrefectureRunView.From(record, recent, today));
    }

    private static async Task<IResult> GetHistory(string prefCode, string? limit, string? cursor, HttpContext http, PrefectureRunService service, IAuditLog audit)
    {
        if (Unknown(prefCode) is { } unknown)
        {
            return unknown;
        }

        if (AuditApi.Paging(limit, cursor, out var take, out var after) is { } refused)
        {
            return refused;
        }

        // Only versions the record has stored are history, as for a municipality.
        var (record, _) = await service.GetAsync(prefCode, http.RequestAborted);
        return await AuditApi.Page(http, audit, record.Code, record.Version, take, after, http.RequestAborted);
    }

    /// <summary>The whole trail of the prefecture's own systems as CSV (history-{団体コード}.csv): the API's and the prefecture page's download.</summary>
    public static async Task<IResult> GetHistoryCsv(string prefCode, HttpContext http, PrefectureRunService service, IAuditLog audit)
    {
        if (Unknown(prefCode) is { } problem)
        {
            return problem;
        }

        var (record, _) = await service.GetAsync(prefCode, http.RequestAborted);
        return await AuditApi.Csv(http, audit, record.Code, record.Version);
    }

    private static async Task<IResult> GetSystem(string prefCode, string businessId, HttpContext http, PrefectureRunService service)
    {
        if ((Unknown(prefCode) ?? UnknownBusiness(businessId)) is { } problem)
        {
            return problem;
        }

        var (record, _) = await service.GetAsync(prefCode, http.RequestAborted);
        http.Response.Headers["Accept-Patch"] = MediaTypes.MergePatch;
        return Preconditions.ForRead(http, Preconditions.ETag(record.Version)) ?? TypedResults.Ok(Views.PrefectureRunReportOf(record.FindSystem(businessId)!));
    }

    private static async Task<IResult> WriteSystem(string prefCode, string businessId, HttpContext http, PrefectureRunService service, TimeProvider time, SecurityLog securityLog)
    {
        var problem = Unknown(prefCode) ?? UnknownBusiness(businessId);
        ReportContext? context = null;
        if (problem is null)
        {
            (context, problem) = await ReadHeadersAsync(http, service, prefCode);
        }

        if (problem is null)
        {
            var (body, document, bodyProblem, rest) = await JsonBody.ReadWithRestAsync<SystemReport>(http.Request, BodyLimit.OneRecord, http.RequestAborted,
                HttpMethods.IsPatch(http.Request.Method) ? MediaTypes.MergePatchOnly : MediaTypes.JsonOnly);
            if (bodyProblem is null)
            {
                var given = JsonBody.Members<SystemReport>(document);
                return ToHttp(await service.ReportSystemAsync(http.User, prefCode, businessId, body! with { Given = given }, context!), http, time);
            }

            problem = bodyProblem;
            if (rest is { } judged)
            {
                // Every fault in one 400, as on a municipality's write (WriteApi.WithRuleFaults): the rest judged, nothing applied.
                var rules = await service.ReportSystemAsync(http.User, prefCode, businessId, judged.Value with { Given = JsonBody.Members<SystemReport>(judged.Document) }, context! with { DryRun = true });
                problem = WriteApi.WithRuleFaults(bodyProblem, rules.Status, rules.Errors);
            }
        }

        var errors = problem.ProblemDetails.Extensions.TryGetValue("errors", out var e) && e is IEnumerable<ProblemError> list ? list : [];
        securityLog.Refused(http, service.Caller(http.User), "invalid", problem.StatusCode, string.Join("; ", errors.Select(x => $"{x.Field}: {x.Code}")));
        return problem;
    }

    private static ProblemHttpResult? Unknown(string prefCode) => ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(prefCode) ? null
        : Problems.NotFound("prefCode", $"都道府県コード「{Problems.Shown(prefCode)}」はありません（01〜47の2桁）。", $"Unknown prefecture code '{Problems.Shown(prefCode)}' (two digits, 01-47).");

    private static ProblemHttpResult? UnknownBusiness(string businessId) => ReadinessCatalog.IsPrefectureRun(businessId) ? null
        : Problems.NotFound("businessId", $"業務「{Problems.Shown(businessId)}」は都道府県が実施する事務（児童扶養手当・生活保護）ではありません。",
            $"'{Problems.Shown(businessId)}' is not a business run by the prefecture (child_rearing_allowance, public_assistance).");

    /// <summary>
    /// If-Match and If-None-Match as on a municipality's writes (<see cref="Preconditions.ReadIfMatch"/>: required, 428
    /// without, 400 malformed, "*" the record exists, a list the one that is current;
    /// <see cref="Preconditions.IfNoneMatchOnWriteAsync"/>: 412 for "*" or the current version) and the optional
    /// Idempotency-Key. Round 45: If-None-Match was ignored here, so "*" or the current tag wrote.
    /// </summary>
    private static async Task<(ReportContext? Context, ProblemHttpResult? Problem)> ReadHeadersAsync(HttpContext http, PrefectureRunService service, string prefCode)
    {
        var headers = http.Request.Headers;
        if (Preconditions.ReadIfMatch(http, required: true, out var versions) is { } ifMatchProblem)
        {
            return (null, ifMatchProblem);
        }

        long? current = null;
        async Task<long> Current() => current ??= (await service.GetAsync(prefCode, http.RequestAborted)).Record.Version;
        if (await Preconditions.IfNoneMatchOnWriteAsync(http, Current) is { } noneMatchProblem)
        {
            return (null, noneMatchProblem);
        }

        var expected = await Preconditions.ExpectedVersionAsync(versions, Current);
        var keyHeader = headers[WriteApi.IdempotencyKeyHeader];
        if (keyHeader.Count > 1)
        {
            return (null, Problems.BadRequest(WriteApi.IdempotencyKeyHeader, "invalid_idempotency_key", "Idempotency-Key は1つだけ指定してください。", "Send exactly one Idempotency-Key."));
        }

        return (new ReportContext(expected, keyHeader.Count == 1 ? keyHeader.ToString() : null, http.Connection.RemoteIpAddress?.ToString(), Preferences.AsksMinimal(http.Request)), null);
    }

    private static IResult ToHttp(PrefectureRunResult result, HttpContext http, TimeProvider time)
    {
        http.Response.Headers[WriteApi.RequestIdHeader] = result.RequestId;
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
            return Problems.FromValidation(status, title, result.Errors.Select(e => e.Field switch
            {
                "version" => e with { Field = "If-Match" },
                "requestId" => e with { Field = WriteApi.IdempotencyKeyHeader },
                _ => e with { Field = BodyFields.Single().Name(e) },
            }));
        }

        var record = result.Record!;
        http.Response.Headers.ETag = Preconditions.ETag(record.Version);
        if (result.Status == ReportStatus.Replayed)
        {
            http.Response.Headers[WriteApi.ReplayedHeader] = "true";
        }

        if (Preferences.AnswerMinimal(http))
        {
            return TypedResults.NoContent();
        }

        return TypedResults.Ok(PrefectureRunView.From(record, result.RecentChanges, ReadinessRules.TodayInJapan(time.GetUtcNow())));
    }
}
