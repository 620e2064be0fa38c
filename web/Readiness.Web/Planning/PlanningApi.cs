using System.Collections.Immutable;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Readiness.Catalog;
using Readiness.Planning;
using Readiness.Web.Api;
using Readiness.Web.Auth;

namespace Readiness.Web.Planning;

/// <summary>
/// A scenario as posted: the name and the levers (see <see cref="ForecastScenario"/>); version: the one the editor read
/// (null or 0: a new scenario). Replacing an existing scenario needs its version (or If-Match): without it 428.
/// </summary>
public sealed record ScenarioInput(
    string? Name = null,
    string? Description = null,
    IReadOnlyList<VendorCapacitySetting>? VendorCapacity = null,
    IReadOnlyList<TargetShiftInput>? TargetShifts = null,
    double? UnreportedMonthlyCompletionRate = null,
    long? Version = null);

/// <summary>
/// One target shift as posted: <c>months</c> (−120..120, positive = later) is required; <c>prefectureCode</c> (two
/// digits, 01–47) is optional, and leaving it out means the same as null: all prefectures. (A positional
/// <see cref="TargetShift"/> made it required, so the documented "omit for all" was refused 400 required.)
/// </summary>
public sealed record TargetShiftInput
{
    /// <summary>Two-digit prefecture code; null or left out: all prefectures.</summary>
    public string? PrefectureCode { get; init; }

    /// <summary>Months to move the targets by, −120..120 (positive = later).</summary>
    public required int Months { get; init; }

    public TargetShift ToShift() => new(PrefectureCode, Months);
}

/// <summary>
/// The planning API: forecasts of the nation, a prefecture and a municipality (who sees what follows the existing
/// tenant policies), and national staff's what-if scenarios (saved durably, audited, compared with the baseline).
/// </summary>
public static class PlanningApi
{
    public static IEndpointRouteBuilder MapPlanningApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Planning").ProducesProblem(StatusCodes.Status401Unauthorized);
        var reads = api.MapGroup(string.Empty).RequireRateLimiting(RateLimits.ReadsPolicy);
        reads.MapGet("/forecast/nation", GetNation).AnswersConditionalRequestsByContent().RequireAuthorization(ReadinessPolicies.Summaries).Produces<NationForecastView>()
            .WithSummary("The nation's forecast completion (P10/P50/P90), expected share migrated per month to FY2030 with its band, prefectures, vendor queues; ?scenario=name for national staff");
        reads.MapGet("/forecast/prefectures/{prefCode}", GetPrefecture).AnswersConditionalRequestsByContent().RequireAuthorization(ReadinessPolicies.Summaries).Produces<PrefectureForecastView>().ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("A prefecture's forecast and its municipalities ranked by risk (1 − P(complete by 2031-03-31))");
        reads.MapGet("/forecast/municipalities/{code}", GetMunicipality).AnswersConditionalRequestsByContent().RequireAuthorization(ReadinessPolicies.MunicipalityRead).Produces<MunicipalityForecastView>().ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("A municipality's forecast against its own targets, per system");
        reads.MapVendorApi();
        var scenarios = api.MapGroup("/scenarios").RequireAuthorization(PlanningPolicies.Scenarios).ProducesProblem(StatusCodes.Status403Forbidden);
        scenarios.MapGet(string.Empty, ListScenarios).AnswersConditionalRequestsByContent().RequireRateLimiting(RateLimits.ReadsPolicy).WithSummary("Saved scenarios and their audit trail (national staff)");
        scenarios.MapGet("/{scenario}", GetScenario).RequireRateLimiting(RateLimits.ReadsPolicy).Produces<ScenarioComparisonView>().ProducesProblem(StatusCodes.Status404NotFound)
            .AddOpenApiOperationTransformer((operation, _, _) => DescribeETag(operation, "200"))
            .WithSummary("A scenario side by side with the baseline forecast; the ETag is the scenario's version (If-Match of its replacement and deletion)");
        scenarios.MapPost(string.Empty, PostScenario).WritesConditionallyOn("GET /api/v1/scenarios/{scenario}").Accepts<ScenarioInput>(MediaTypes.Json).RequireRateLimiting(RateLimits.WritesPolicy)
            .AddOpenApiOperationTransformer((operation, _, _) => DescribeIfMatch(operation, required: false))
            .Produces<ScenarioComparisonView>(StatusCodes.Status201Created).Produces<ScenarioComparisonView>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity).ProducesProblem(StatusCodes.Status428PreconditionRequired)
            .AddOpenApiOperationTransformer((operation, _, _) => DescribeETag(operation, "201", "200"))
            .WithSummary("Create (201) or replace (200) a named scenario (audited); answers its comparison with the baseline and its new version as the ETag")
            .WithDescription(PostDescription);
        scenarios.MapDelete("/{scenario}", DeleteScenario).WritesConditionallyOn("GET /api/v1/scenarios/{scenario}").RequireRateLimiting(RateLimits.WritesPolicy)
            .AddOpenApiOperationTransformer((operation, _, _) => DescribeIfMatch(operation, required: true))
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed).ProducesProblem(StatusCodes.Status428PreconditionRequired)
            .WithSummary("Delete a scenario at the version read (If-Match, audited)")
            .WithDescription("If-Match names the scenario's version as a strong entity tag (\"3\"); without it 428, another version 412 (nothing deleted); an unknown name 404.");
        app.MapPlanningPages();
        return app;
    }

    private const string PostDescription =
        "A new name (version left out or 0) is created: 201 with Location. An existing name is replaced only at the version read, "
        + "given as the body's version or as If-Match (\"3\"): without either 428 naming version, another version 409 naming version "
        + "(412 naming If-Match when given as the header), and a version for a name that does not exist 409 (not_found). A replacement "
        + "whose content equals the stored scenario is 422 no_changes (no new version, no audit entry); otherwise 200 with the new version. "
        + "The name is trimmed of white space at both ends (as all free text is), so \"s1 \" is the scenario \"s1\".";

    /// <summary>
    /// A scenario's answer (GET, or a POST that saved it): its version as the ETag (the If-Match of its next write), and
    /// <c>no-store</c>: the comparison it carries is recomputed with the baseline, so no cache is to revalidate it by version.
    /// </summary>
    private static void ScenarioETag(HttpContext http, long version)
    {
        http.Response.Headers.ETag = Preconditions.ETag(version);
        http.Response.Headers.CacheControl = "private, no-store";
    }

    /// <summary>Declares the ETag header (the scenario's version, a strong entity tag) on the given responses.</summary>
    private static Task DescribeETag(Microsoft.OpenApi.OpenApiOperation operation, params string[] statuses)
    {
        foreach (var status in statuses)
        {
            if (operation.Responses?.TryGetValue(status, out var found) == true && found is Microsoft.OpenApi.OpenApiResponse response)
            {
                response.Headers ??= new Dictionary<string, Microsoft.OpenApi.IOpenApiHeader>(StringComparer.Ordinal);
                response.Headers[Microsoft.Net.Http.Headers.HeaderNames.ETag] = new Microsoft.OpenApi.OpenApiHeader
                {
                    Description = "シナリオの版（例: \"3\"）。置き換え・削除の If-Match に送ります。 / The scenario's version (e.g. \"3\"): send it as If-Match to replace or delete it.",
                    Schema = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.String },
                };
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>Declares If-Match on a scenario write: the scenario's version as a strong entity tag.</summary>
    private static Task DescribeIfMatch(Microsoft.OpenApi.OpenApiOperation operation, bool required)
    {
        operation.Parameters ??= [];
        // The scenario's own description replaces the generic one every conditional write gets (ContractTransformer).
        operation.Parameters = [.. operation.Parameters.Where(p => !(p.In == Microsoft.OpenApi.ParameterLocation.Header && p.Name == Microsoft.Net.Http.Headers.HeaderNames.IfMatch))];
        operation.Parameters.Add(new Microsoft.OpenApi.OpenApiParameter
        {
            Name = Microsoft.Net.Http.Headers.HeaderNames.IfMatch,
            In = Microsoft.OpenApi.ParameterLocation.Header,
            Required = required,
            Description = required
                ? "シナリオの版（例: \"3\"）。ないと 428、古いと 412。 / The scenario's version you read (e.g. \"3\"): 428 without it, 412 when it changed since you read it."
                : "任意。本文の version の代わりに、置き換えるシナリオの版（例: \"3\"）。古いと 412。 / Optional, instead of the body's version: the version of the scenario you replace (e.g. \"3\"); 412 when stale.",
            Schema = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.String },
            Example = System.Text.Json.Nodes.JsonValue.Create("\"3\""),
        });
        return Task.CompletedTask;
    }

    private static async Task<IResult> GetNation(string? scenario, HttpContext http, ForecastService forecasts, IGrainFactory grains, IOptions<ReadinessAuthOptions> auth)
    {
        var (run, problem) = await RunAsync(scenario, http, forecasts, grains, auth);
        return problem ?? TypedResults.Ok(PlanningViews.Nation(run!, await forecasts.CurrentFiguresVersionAsync(null, http.RequestAborted)));
    }

    private static async Task<IResult> GetPrefecture(string prefCode, string? scenario, HttpContext http, ForecastService forecasts, IGrainFactory grains, IOptions<ReadinessAuthOptions> auth)
    {
        if (!ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(prefCode))
        {
            return Problems.NotFound("prefCode", $"都道府県コード「{Problems.Shown(prefCode)}」はありません（01〜47の2桁）。", $"Unknown prefecture code '{Problems.Shown(prefCode)}' (two digits, 01-47).");
        }

        var (run, problem) = await RunAsync(scenario, http, forecasts, grains, auth);
        return problem ?? TypedResults.Ok(PlanningViews.Prefecture(run!, prefCode, await forecasts.CurrentFiguresVersionAsync(prefCode, http.RequestAborted)));
    }

    private static async Task<IResult> GetMunicipality(string code, string? scenario, HttpContext http, ForecastService forecasts, IGrainFactory grains, IOptions<ReadinessAuthOptions> auth)
    {
        if (Problems.CheckMunicipalityCode(code) is { } invalid)
        {
            return invalid;
        }

        var (run, problem) = await RunAsync(scenario, http, forecasts, grains, auth);
        if (problem is not null)
        {
            return problem;
        }

        // Its own forecast starts from its current record: recomputed at once when it changed since the inputs were read.
        var (own, current) = await forecasts.GetMunicipalityAsync(run!.Scenario, code, http.RequestAborted);
        return PlanningViews.MunicipalityDetail(own, code, current) is { } view
            ? TypedResults.Ok(view)
            : Problems.NotFound("code", $"団体コード「{code}」には対象システムがありません。", $"'{code}' has no applicable systems to forecast.");
    }

    /// <summary>The baseline, or a named scenario for national staff (others: 403; unknown name: 404).</summary>
    private static async Task<(ForecastRun?, IResult?)> RunAsync(string? scenario, HttpContext http, ForecastService forecasts, IGrainFactory grains, IOptions<ReadinessAuthOptions> auth)
    {
        if (scenario is null)
        {
            return (await forecasts.GetBaselineAsync(http.RequestAborted), null);
        }

        if (!NationalStaffHandler.IsNationalStaff(http, auth.Value))
        {
            return (null, Problems.Create(StatusCodes.Status403Forbidden, "Forbidden", "scenario", "forbidden_role",
                "シナリオは国の職員と管理者のみが閲覧できます。", "Scenarios are for national staff and administrators only."));
        }

        var saved = await FindAsync(grains, scenario);
        return saved is null
            ? (null, ScenarioNotFound(scenario))
            : (await forecasts.GetAsync(saved, http.RequestAborted), null);
    }

    private static async Task<ForecastScenario?> FindAsync(IGrainFactory grains, string name) =>
        (await grains.GetGrain<IScenarioGrain>(IScenarioGrain.Key).GetAllAsync()).FirstOrDefault(s => ScenarioRules.SameName(s.Name, name));

    private static ProblemHttpResult ScenarioNotFound(string name) =>
        Problems.NotFound("scenario", $"シナリオ「{Problems.Shown(name)}」はありません。", $"No scenario is named '{Problems.Shown(name)}'.");

    private static async Task<Ok<ScenarioListView>> ListScenarios(IGrainFactory grains)
    {
        var grain = grains.GetGrain<IScenarioGrain>(IScenarioGrain.Key);
        return TypedResults.Ok(new ScenarioListView(await grain.GetAllAsync(), (await grain.GetAuditAsync()).Take(100).ToList()));
    }

    private static async Task<IResult> GetScenario(string scenario, HttpContext http, ForecastService forecasts, IGrainFactory grains)
    {
        var saved = await FindAsync(grains, scenario);
        if (saved is null)
        {
            return ScenarioNotFound(scenario);
        }

        // The scenario's version as its ETag, the If-Match its replacement and deletion take. If-None-Match is not
        // answered with 304: the comparison is recomputed with the baseline (every MaxAgeMinutes, and whenever a
        // municipality reports), so an unchanged version does not mean an unchanged answer; nothing is to be stored.
        ScenarioETag(http, saved.Version);
        var baseline = await forecasts.GetBaselineAsync(http.RequestAborted);
        var run = await forecasts.GetAsync(saved, http.RequestAborted);
        return TypedResults.Ok(PlanningViews.Compare(baseline, run, await forecasts.CurrentFiguresVersionAsync(null, http.RequestAborted)));
    }

    private static async Task<IResult> PostScenario(HttpContext http, ForecastService forecasts, IGrainFactory grains, IOptions<ReadinessAuthOptions> auth)
    {
        // If-Match is read as on every other write (400 when malformed); here it may stand for the body's version.
        if (Preconditions.ReadIfMatch(http, required: false, out var versions) is { } malformed)
        {
            return malformed;
        }

        var tags = Preconditions.Conditions(http).IfMatch;
        var ifMatch = tags is null ? ScenarioIfMatch.Any : versions is null ? null : new ScenarioIfMatch(versions);

        // If-None-Match as on every write with a version: malformed is told before the body is read; whether it
        // matches needs the scenario's name, so it is judged once the body is.
        if (!Preconditions.Conditions(http).IfNoneMatchValid)
        {
            return Preconditions.MalformedHeader(Microsoft.Net.Http.Headers.HeaderNames.IfNoneMatch, http.Request.Headers.IfNoneMatch);
        }

        // Read as every other request body is (JsonBody): an unknown or misspelt member is refused naming it, never
        // dropped (a misspelt rate used to save the scenario without it).
        var (input, problem) = await JsonBody.ReadAsync<ScenarioInput>(http.Request, BodyLimit.Small, http.RequestAborted);
        if (problem is not null)
        {
            return problem;
        }

        if (input is null)
        {
            return Problems.BadRequest("body", "required", "シナリオ（JSON）を送ってください。", "Send the scenario as JSON.");
        }

        // "*" or the stored version's tag: 412 with its ETag, nothing saved; "*" for a name not yet taken creates it
        // (a create that never replaces).
        var name = input.Name?.Trim() ?? string.Empty;
        if (await Preconditions.IfNoneMatchOnWriteAsync(http, async () => (await FindAsync(grains, name))?.Version) is { } noneMatch)
        {
            return noneMatch;
        }

        var caller = ReadinessCaller.From(http.User, auth.Value)!;
        var (scenario, created, errors) = await SaveAsync(input, caller.ToActor(), OriginOf(http), grains, ifMatch);
        if (errors is not null)
        {
            // A 412 says what is current (RFC 9110 §15.5.13): the stored scenario's version, the ETag of its GET.
            if (errors.StatusCode == StatusCodes.Status412PreconditionFailed && await FindAsync(grains, name) is { } stored)
            {
                ScenarioETag(http, stored.Version);
            }

            return errors;
        }

        var baseline = await forecasts.GetBaselineAsync(http.RequestAborted);
        var run = await forecasts.GetAsync(scenario!, http.RequestAborted);
        var view = PlanningViews.Compare(baseline, run, await forecasts.CurrentFiguresVersionAsync(null, http.RequestAborted));
        ScenarioETag(http, scenario!.Version);
        return created
            ? TypedResults.Created($"/api/v1/scenarios/{Uri.EscapeDataString(scenario!.Name)}", view)
            : TypedResults.Ok(view);
    }

    /// <summary>
    /// Where a scenario write comes from, for its audit entry as a municipality's change keeps it: the client address
    /// (the forwarded one behind a known proxy, as ForwardedHeaders set it) and a new request id.
    /// </summary>
    public static WriteOrigin OriginOf(HttpContext http) =>
        new(http.Connection.RemoteIpAddress?.ToString(), "req-" + Guid.CreateVersion7().ToString("N"));

    /// <summary>An If-Match on a scenario write: "*" (<see cref="Any"/>: whichever version is stored) or the versions its tags name.</summary>
    public sealed record ScenarioIfMatch(IReadOnlyList<long>? Versions)
    {
        public static ScenarioIfMatch Any { get; } = new((IReadOnlyList<long>?)null);
    }

    /// <summary>
    /// The scenario <paramref name="input"/> describes (names trimmed, vendors in their stored form) and every fault the
    /// scenario rules find in it at once (<see cref="ScenarioRules.Validate"/>, a negative version); nothing is saved.
    /// The editor page judges what it could read of a refused form with it, so that each field's fault is told together.
    /// </summary>
    public static (ForecastScenario Scenario, ImmutableArray<ValidationError> Errors) Judge(ScenarioInput input)
    {
        var scenario = new ForecastScenario
        {
            Name = ScenarioRules.NameKey(input.Name), // as a vendor's name: 「ＡＢＣ」 and "ABC" are one scenario
            Description = string.IsNullOrWhiteSpace(input.Description) ? null : input.Description.Trim(),
            VendorCapacity = [.. (input.VendorCapacity ?? []).Where(v => v is not null).Select(v => v with { Vendor = Readiness.Rules.FreeText.Identifier(v.Vendor) ?? v.Vendor?.Trim() ?? string.Empty })],
            TargetShifts = [.. (input.TargetShifts ?? []).Where(t => t is not null).Select(t => t.ToShift())],
            UnreportedMonthlyCompletionRate = input.UnreportedMonthlyCompletionRate,
        };
        var errors = ScenarioRules.Validate(scenario, ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey);
        if (input.Version is < 0)
        {
            errors = errors.Add(new("version", "out_of_range", "version は読み取った版（0以上の整数、新規は0または省略）です。", "version is the version you read (0 or more; 0 or none for a new scenario)."));
        }

        return (scenario, errors);
    }

    /// <summary>
    /// Validates and saves a scenario (the API and the editor page share this): created (version 1) or replaced (at the
    /// version the body or <paramref name="ifMatch"/> names); the problem when refused, nothing saved.
    /// </summary>
    public static async Task<(ForecastScenario? Saved, bool Created, ProblemHttpResult? Problem)> SaveAsync(ScenarioInput input, Actor actor, WriteOrigin origin, IGrainFactory grains, ScenarioIfMatch? ifMatch = null)
    {
        var (scenario, errors) = Judge(input);
        if (!errors.IsEmpty)
        {
            return (null, false, Problems.FromValidation(StatusCodes.Status422UnprocessableEntity, "Invalid scenario", errors));
        }

        var grain = grains.GetGrain<IScenarioGrain>(IScenarioGrain.Key);
        var expected = input.Version;
        var byHeader = false;
        if (ifMatch is not null)
        {
            var stored = (await grain.GetAllAsync()).FirstOrDefault(s => ScenarioRules.SameName(s.Name, scenario.Name));
            var named = ifMatch.Versions is null
                ? stored?.Version ?? -1
                : await Preconditions.ExpectedVersionAsync(ifMatch.Versions, () => Task.FromResult(stored?.Version ?? -1)) ?? -1;
            if (input.Version is { } body && ifMatch.Versions is not null && !ifMatch.Versions.Contains(body))
            {
                return (null, false, Problems.BadRequest("version", "version_mismatch",
                    $"本文の version（{body}）と If-Match が別の版を指しています。どちらか一方にしてください。",
                    $"The body's version ({body}) and If-Match name different versions; send one of them."));
            }

            byHeader = input.Version is null;
            if (byHeader && ifMatch.Versions is { } sent && (sent.Count == 0 || (stored is not null && sent.All(v => v > stored.Version))))
            {
                // Only tags that can name no version (W/"3", "03", "abc"): say so, not that someone saved first.
                return (null, false, NamesNoVersion(stored?.Version ?? 0));
            }

            expected ??= named;
        }

        var outcome = await grain.SaveAsync(scenario, actor, expected, origin);
        var name = Problems.Shown(scenario.Name);
        var current = outcome.Scenario?.Version ?? 0;
        return outcome.Status switch
        {
            ScenarioSaveStatus.Created => (outcome.Scenario, true, null),
            ScenarioSaveStatus.Saved => (outcome.Scenario, false, null),
            ScenarioSaveStatus.Unchanged => (null, false, Problems.Create(StatusCodes.Status422UnprocessableEntity, "No changes", "body", "no_changes",
                $"シナリオ「{name}」（版 {current}）から変わる内容がありません。何も保存していません。",
                $"This changes nothing in scenario '{name}' (version {current}); nothing was saved.")),
            ScenarioSaveStatus.VersionRequired => (null, false, Problems.Create(StatusCodes.Status428PreconditionRequired, "Precondition required", "version", "precondition_required",
                $"シナリオ「{name}」は既にあります。置き換えるには、読み取った版を version（または If-Match）で指定してください。新しく作るなら別の名前にしてください。",
                $"A scenario named '{name}' already exists: to replace it, send the version you read as version (or If-Match), so that nobody's scenario is overwritten unseen; to create a new one, choose another name.")),
            ScenarioSaveStatus.NotFound => (null, false, VersionMismatch(byHeader, "not_found",
                $"シナリオ「{name}」はありません（削除されたか、保存されたことがありません）。新しく作るには{(byHeader ? " If-Match を付けずに送って" : " version を省くか 0 にして")}ください。",
                $"There is no scenario named '{name}' (deleted, or never saved); to create it, {(byHeader ? "send it without If-Match" : "leave version out or send 0")}.")),
            // The newer version's author is known: the person themself (another tab or window) is told so, not "someone".
            _ when outcome.Scenario?.SavedBy?.Subject == actor.Subject => (null, false, VersionMismatch(byHeader, "version_conflict",
                $"シナリオ「{name}」は、あなたが別の画面（タブやウィンドウ）で先に保存しました（{Components.UiText.DateTimeJst(outcome.Scenario!.SavedAt)}、現在の版 {current}）。読み直してから保存してください。",
                $"You saved scenario '{name}' in another tab or window first (at {Components.UiText.DateTimeJst(outcome.Scenario!.SavedAt)}, now version {current}); reload it before saving.")),
            _ => (null, false, VersionMismatch(byHeader, "version_conflict",
                $"シナリオ「{name}」は他の人が先に保存しました（現在の版 {current}）。読み直してから保存してください。",
                $"Someone saved scenario '{name}' first (now version {current}); reload it before saving.")),
        };
    }

    // An If-Match whose tags can name no version (weak, "03", not a number) could never match: 412 telling that, as a
    // municipality's write does (ChangeRules.VersionConflict with no version), rather than that someone saved first.
    private static ProblemHttpResult NamesNoVersion(long current)
    {
        var none = Readiness.Rules.ChangeRules.VersionConflict(-1, current);
        return Problems.Create(StatusCodes.Status412PreconditionFailed, "Precondition failed", "If-Match", "precondition_failed", none.MessageJa, none.MessageEn);
    }

    // A version that does not match what is stored: 412 naming If-Match when it came as the header (RFC 9110 §13.1.1),
    // 409 naming the body's version member when it came in the body.
    private static ProblemHttpResult VersionMismatch(bool byHeader, string bodyCode, string japanese, string english) => byHeader
        ? Problems.Create(StatusCodes.Status412PreconditionFailed, "Precondition failed", "If-Match", "precondition_failed", japanese, english)
        : Problems.Create(StatusCodes.Status409Conflict, "Conflict", "version", bodyCode, japanese, english);

    private static async Task<IResult> DeleteScenario(string scenario, HttpContext http, IGrainFactory grains, IOptions<ReadinessAuthOptions> auth)
    {
        // As a municipality's write: the target first (404), then If-Match (428 without, 412 when stale; "*": whichever is stored).
        if (Preconditions.ReadIfMatch(http, required: false, out var versions) is { } malformed)
        {
            return malformed;
        }

        var tags = Preconditions.Conditions(http).IfMatch;
        var stored = await FindAsync(grains, scenario);
        if (stored is null)
        {
            return ScenarioNotFound(scenario);
        }

        // If-None-Match as on every write with a version: "*" or the stored version's tag is 412 with its ETag.
        if (await Preconditions.IfNoneMatchOnWriteAsync(http, () => Task.FromResult(stored.Version)) is { } noneMatch)
        {
            return noneMatch;
        }

        // Only tags that name no version, or versions never reached (above the stored one).
        if (versions is not null && versions.All(v => v > stored.Version))
        {
            ScenarioETag(http, stored.Version);
            return NamesNoVersion(stored.Version);
        }

        var expected = tags is null ? stored.Version : await Preconditions.ExpectedVersionAsync(versions, () => Task.FromResult(stored.Version));
        var caller = ReadinessCaller.From(http.User, auth.Value)!;
        var outcome = await grains.GetGrain<IScenarioGrain>(IScenarioGrain.Key).DeleteAsync(scenario, caller.ToActor(), expected, OriginOf(http));
        if (outcome.Status is not (ScenarioSaveStatus.Deleted or ScenarioSaveStatus.NotFound or ScenarioSaveStatus.VersionRequired))
        {
            // The 412 says what is current (RFC 9110 §15.5.13): the version that stood in the way.
            ScenarioETag(http, outcome.Scenario?.Version ?? stored.Version);
        }

        return outcome.Status switch
        {
            ScenarioSaveStatus.Deleted => TypedResults.NoContent(),
            ScenarioSaveStatus.NotFound => ScenarioNotFound(scenario),
            ScenarioSaveStatus.VersionRequired => Problems.Create(StatusCodes.Status428PreconditionRequired, "Precondition required", "If-Match", "precondition_required",
                "シナリオを削除するには、If-Match に読み取った版（例: \"3\"）を指定してください。",
                "Send If-Match with the scenario's version you read (e.g. \"3\"), so that nobody's newer scenario is deleted unseen."),
            _ when outcome.Scenario?.SavedBy?.Subject == caller.Subject => Problems.Create(StatusCodes.Status412PreconditionFailed, "Precondition failed", "If-Match", "precondition_failed",
                $"シナリオ「{Problems.Shown(scenario)}」は、あなたが別の画面（タブやウィンドウ）で先に保存しました（現在の版 {outcome.Scenario!.Version}）。何も削除していません。読み直してください。",
                $"You saved scenario '{Problems.Shown(scenario)}' in another tab or window first (now version {outcome.Scenario!.Version}); nothing was deleted. Read it again."),
            _ => Problems.Create(StatusCodes.Status412PreconditionFailed, "Precondition failed", "If-Match", "precondition_failed",
                $"シナリオ「{Problems.Shown(scenario)}」は他の人が先に保存しました（現在の版 {outcome.Scenario?.Version ?? 0}）。何も削除していません。読み直してください。",
                $"Someone saved scenario '{Problems.Shown(scenario)}' first (now version {outcome.Scenario?.Version ?? 0}); nothing was deleted. Read it again."),
        };
    }
}
