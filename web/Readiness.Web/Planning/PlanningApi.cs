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

/// <summary>A scenario as posted: the name and the levers (see <see cref="ForecastScenario"/>); version: the one the editor saw (0: new).</summary>
public sealed record ScenarioInput(
    string? Name = null,
    string? Description = null,
    IReadOnlyList<VendorCapacitySetting>? VendorCapacity = null,
    IReadOnlyList<TargetShift>? TargetShifts = null,
    double? UnreportedMonthlyCompletionRate = null,
    long? Version = null);

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
        reads.MapGet("/forecast/nation", GetNation).RequireAuthorization(ReadinessPolicies.Summaries).Produces<NationForecastView>()
            .WithSummary("The nation's forecast completion (P10/P50/P90), expected share migrated per month to FY2030 with its band, prefectures, vendor queues; ?scenario=name for national staff");
        reads.MapGet("/forecast/prefectures/{prefCode}", GetPrefecture).RequireAuthorization(ReadinessPolicies.Summaries).Produces<PrefectureForecastView>().ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("A prefecture's forecast and its municipalities ranked by risk (1 − P(complete by 2031-03-31))");
        reads.MapGet("/forecast/municipalities/{code}", GetMunicipality).RequireAuthorization(ReadinessPolicies.MunicipalityRead).Produces<MunicipalityForecastView>().ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("A municipality's forecast against its own targets, per system");
        reads.MapVendorApi();
        var scenarios = api.MapGroup("/scenarios").RequireAuthorization(PlanningPolicies.Scenarios).ProducesProblem(StatusCodes.Status403Forbidden);
        scenarios.MapGet(string.Empty, ListScenarios).RequireRateLimiting(RateLimits.ReadsPolicy).WithSummary("Saved scenarios and their audit trail (national staff)");
        scenarios.MapGet("/{name}", GetScenario).RequireRateLimiting(RateLimits.ReadsPolicy).Produces<ScenarioComparisonView>().ProducesProblem(StatusCodes.Status404NotFound).WithSummary("A scenario side by side with the baseline forecast");
        scenarios.MapPost(string.Empty, PostScenario).Accepts<ScenarioInput>(MediaTypes.Json).RequireRateLimiting(RateLimits.WritesPolicy).Produces<ScenarioComparisonView>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity).WithSummary("Create or replace a named scenario (audited); answers its comparison with the baseline");
        scenarios.MapDelete("/{name}", DeleteScenario).RequireRateLimiting(RateLimits.WritesPolicy).Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound).WithSummary("Delete a scenario (audited)");
        app.MapPlanningPages();
        return app;
    }

    private static async Task<IResult> GetNation(string? scenario, HttpContext http, ForecastService forecasts, IGrainFactory grains, IOptions<ReadinessAuthOptions> auth)
    {
        var (run, problem) = await RunAsync(scenario, http, forecasts, grains, auth);
        return problem ?? TypedResults.Ok(PlanningViews.Nation(run!));
    }

    private static async Task<IResult> GetPrefecture(string prefCode, string? scenario, HttpContext http, ForecastService forecasts, IGrainFactory grains, IOptions<ReadinessAuthOptions> auth)
    {
        if (!ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(prefCode))
        {
            return Problems.NotFound("prefCode", $"都道府県コード「{Problems.Truncate(prefCode)}」はありません（01〜47の2桁）。", $"Unknown prefecture code '{Problems.Truncate(prefCode)}' (two digits, 01-47).");
        }

        var (run, problem) = await RunAsync(scenario, http, forecasts, grains, auth);
        return problem ?? TypedResults.Ok(PlanningViews.Prefecture(run!, prefCode));
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

        await forecasts.ThrowIfUnreadableAsync(run!, code);
        return PlanningViews.MunicipalityDetail(run!, code) is { } view
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
        (await grains.GetGrain<IScenarioGrain>(IScenarioGrain.Key).GetAllAsync()).FirstOrDefault(s => s.Name == name);

    private static ProblemHttpResult ScenarioNotFound(string name) =>
        Problems.NotFound("scenario", $"シナリオ「{Problems.Truncate(name)}」はありません。", $"No scenario is named '{Problems.Truncate(name)}'.");

    private static async Task<Ok<ScenarioListView>> ListScenarios(IGrainFactory grains)
    {
        var grain = grains.GetGrain<IScenarioGrain>(IScenarioGrain.Key);
        return TypedResults.Ok(new ScenarioListView(await grain.GetAllAsync(), (await grain.GetAuditAsync()).Take(100).ToList()));
    }

    private static async Task<IResult> GetScenario(string name, HttpContext http, ForecastService forecasts, IGrainFactory grains)
    {
        var saved = await FindAsync(grains, name);
        if (saved is null)
        {
            return ScenarioNotFound(name);
        }

        var baseline = await forecasts.GetBaselineAsync(http.RequestAborted);
        var run = await forecasts.GetAsync(saved, http.RequestAborted);
        return TypedResults.Ok(PlanningViews.Compare(baseline, run));
    }

    private static async Task<IResult> PostScenario(HttpContext http, ForecastService forecasts, IGrainFactory grains, IOptions<ReadinessAuthOptions> auth)
    {
        // Read as every other request body is (JsonBody): an unknown or misspelt member is refused naming it, never
        // dropped (a misspelt rate used to save the scenario without it).
        var (input, problem) = await JsonBody.ReadAsync<ScenarioInput>(http.Request, JsonBody.SmallBodyBytes, http.RequestAborted);
        if (problem is not null)
        {
            return problem;
        }

        if (input is null)
        {
            return Problems.BadRequest("body", "required", "シナリオ（JSON）を送ってください。", "Send the scenario as JSON.");
        }

        var caller = ReadinessCaller.From(http.User, auth.Value)!;
        var (scenario, errors) = await SaveAsync(input, caller.ToActor(), grains);
        if (errors is not null)
        {
            return errors;
        }

        var baseline = await forecasts.GetBaselineAsync(http.RequestAborted);
        var run = await forecasts.GetAsync(scenario, http.RequestAborted);
        return TypedResults.Created($"/api/v1/scenarios/{Uri.EscapeDataString(scenario!.Name)}", PlanningViews.Compare(baseline, run));
    }

    /// <summary>Validates and saves a scenario (the API and the editor page share this); the problem when refused.</summary>
    public static async Task<(ForecastScenario? Saved, ProblemHttpResult? Problem)> SaveAsync(ScenarioInput input, Actor actor, IGrainFactory grains)
    {
        var scenario = new ForecastScenario
        {
            Name = input.Name?.Trim() ?? string.Empty,
            Description = string.IsNullOrWhiteSpace(input.Description) ? null : input.Description.Trim(),
            VendorCapacity = [.. (input.VendorCapacity ?? []).Where(v => v is not null).Select(v => v with { Vendor = v.Vendor?.Trim() ?? string.Empty })],
            TargetShifts = [.. (input.TargetShifts ?? []).Where(t => t is not null)],
            UnreportedMonthlyCompletionRate = input.UnreportedMonthlyCompletionRate,
        };
        var errors = ScenarioRules.Validate(scenario, ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey);
        if (!errors.IsEmpty)
        {
            return (null, Problems.FromValidation(StatusCodes.Status422UnprocessableEntity, "Invalid scenario", errors));
        }

        var outcome = await grains.GetGrain<IScenarioGrain>(IScenarioGrain.Key).SaveAsync(scenario, actor, input.Version);
        if (outcome.Status == ScenarioSaveStatus.VersionConflict)
        {
            return (null, Problems.Create(StatusCodes.Status409Conflict, "Conflict", "version", "version_conflict",
                $"シナリオ「{scenario.Name}」は他の人が先に保存しました（現在の版 {outcome.Scenario?.Version ?? 0}）。読み直してから保存してください。",
                $"Someone saved scenario '{scenario.Name}' first (now version {outcome.Scenario?.Version ?? 0}); reload it before saving."));
        }

        return (outcome.Scenario, null);
    }

    private static async Task<IResult> DeleteScenario(string name, HttpContext http, IGrainFactory grains, IOptions<ReadinessAuthOptions> auth)
    {
        var caller = ReadinessCaller.From(http.User, auth.Value)!;
        return await grains.GetGrain<IScenarioGrain>(IScenarioGrain.Key).DeleteAsync(name, caller.ToActor())
            ? TypedResults.NoContent()
            : ScenarioNotFound(name);
    }
}
