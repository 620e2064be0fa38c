using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Readiness.Catalog;
using Readiness.Imports;
using Readiness.Rules;
using Readiness.Web.Api;
using Readiness.Web.Api.OpenApi;
using Readiness.Web.Auth;

namespace Readiness.Web.Imports;

/// <summary>
/// One difference between a municipality's own report and the official data: the system, the kind (wire name and
/// labels), what was reported (phase, designation, when), what the official data says (step completion 0..1 and whole
/// steps of 40, designation) and its source and as-of day.
/// </summary>
public sealed record ReconciliationDifferenceView(
    string Code, string Municipality, string PrefectureCode, string Prefecture, string BusinessId, string Business, string Kind, string KindJa, string KindEn,
    string ReportedPhase, string ReportedPhaseJa, bool ReportedDesignated, DateTimeOffset? ReportedAt,
    decimal? OfficialStepCompletion, int? OfficialStepsDone, bool OfficialDesignated, string OfficialSource, DateOnly OfficialAsOf);

/// <summary>
/// The list: the filters applied, the thresholds (step completion 0..1), the count and the differences, and the
/// municipalities not compared because their stored state cannot be read.
/// </summary>
public sealed record ReconciliationView(
    string? Prefecture, string? Kind, string? Business, decimal FarFromDoneBelow, decimal OfficialCompleteFrom, int Count, IReadOnlyList<ReconciliationDifferenceView> Differences,
    UnreadableMunicipalitiesView Unreadable);

/// <summary>
/// GET /api/v1/reconciliation (JSON) and /api/v1/reconciliation.csv: where self-reports and the latest official data
/// disagree, per municipality and system; ?prefecture=13 &amp;kind=reported_in_production_steps_low &amp;business=juki.
/// Signed-in callers only; each sees their own tenant (national and admin all, a prefecture its municipalities, a
/// municipality itself).
/// </summary>
public static class ReconciliationApi
{
    public static readonly string[] CsvHeader =
        ["code", "prefecture_code", "prefecture", "municipality", "business_id", "business", "kind", "kind_ja", "reported_phase", "reported_phase_ja",
         "reported_designated", "reported_at_utc", "official_step_completion", "official_steps_done", "official_designated", "official_source", "official_as_of", CsvOutput.JstColumn("reported_at_utc")];

    public static WebApplication MapReconciliationApi(this WebApplication app)
    {
        var group = app.MapGroup("/api/v1").RequireAuthorization(ReadinessPolicies.Summaries).RequireRateLimiting(RateLimits.ReadsPolicy).WithTags("Reconciliation")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        group.MapGet("/reconciliation", List).WithName("getReconciliation").AnswersConditionalRequestsByContent()
            .WithClosedValues(("kind", [.. Enum.GetValues<DifferenceKind>().Select(v => Wire.Name(v))]))
            .WithSummary("Where municipalities' own reports and the latest official data disagree, per system (filters: prefecture, kind, business)")
            .WithDescription("Kinds: reported_in_production_steps_low (reported in production or later, official steps below 30 of 40), official_complete_reported_earlier (official 39 of 40 steps or more, reported testing or earlier), designated_only_self_reported, designated_only_official. Only systems a municipality reported itself are compared. National staff and administrators see all, prefecture staff their municipalities, municipal staff their own.");
        group.MapGet("/reconciliation.csv", Csv).WithName("getReconciliationCsv").AnswersConditionalRequests()
            .WithClosedValues(("kind", [.. Enum.GetValues<DifferenceKind>().Select(v => Wire.Name(v))]))
            .Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .WithSummary("The reconciliation list as CSV (UTF-8 with BOM), with the same filters")
            .WithDescription("Columns: " + string.Join(", ", CsvHeader) + ".");
        return app;
    }

    private static async Task<Results<Ok<ReconciliationView>, ProblemHttpResult>> List(HttpContext http, ReconciliationService service, IOptions<ReadinessAuthOptions> auth,
        string? prefecture, string? kind, string? business)
    {
        var (caller, filter, problem) = Check(http, auth, prefecture, kind, business);
        if (problem is not null)
        {
            return problem;
        }

        var (list, unreadable) = await service.ListAsync(caller!, filter!, http.RequestAborted);
        return TypedResults.Ok(new ReconciliationView(filter!.Prefecture, filter.Kind is { } k ? Wire.Name(k) : null, filter.Business,
            Reconciliation.FarFromDoneBelow, Baseline.MigratedFrom, list.Length, [.. list.Select(View)], UnreadableMunicipalitiesView.Of(unreadable)));
    }

    private static async Task<IResult> Csv(HttpContext http, ReconciliationService service, IOptions<ReadinessAuthOptions> auth,
        string? prefecture, string? kind, string? business)
    {
        var (caller, filter, problem) = Check(http, auth, prefecture, kind, business);
        if (problem is not null)
        {
            return problem;
        }

        var (list, unreadable) = await service.ListAsync(caller!, filter!, http.RequestAborted);
        var rows = list.Select(View).ToArray();
        if (ContentConditionalRead.ForRead(http, new { columns = CsvHeader, rows, unreadable = UnreadableMunicipalitiesView.Of(unreadable) }) is { } answered)
        {
            return answered; // the same rows as last time: 304 (or the refusal of a malformed condition)
        }

        return await CsvOutput.Respond(http, FileName(filter!, "csv"), csv => WriteAsync(csv, rows, unreadable));
    }

    public static string FileName(ReconciliationFilter filter, string extension) =>
        $"reconciliation-{filter.Prefecture ?? "all"}{(filter.Kind is { } k ? "-" + Wire.Name(k) : null)}{(filter.Business is { } b ? "-" + b : null)}.{extension}";

    /// <summary>
    /// The list's rows, then one row for each municipality not compared because its stored state cannot be read: its
    /// code, prefecture and name with kind <c>unreadable</c>, the other columns empty.
    /// </summary>
    public static async Task WriteAsync(CsvOutput csv, IEnumerable<ReconciliationDifferenceView> rows, IReadOnlyList<MunicipalityInfo> unreadable)
    {
        await csv.Row(CsvHeader);
        foreach (var d in rows)
        {
            await csv.Row(d.Code, d.PrefectureCode, d.Prefecture, d.Municipality, d.BusinessId, d.Business, d.Kind, d.KindJa, d.ReportedPhase, d.ReportedPhaseJa,
                d.ReportedDesignated, d.ReportedAt, d.OfficialStepCompletion, d.OfficialStepsDone, d.OfficialDesignated, d.OfficialSource, d.OfficialAsOf, CsvOutput.InstantJst(d.ReportedAt));
        }

        foreach (var m in unreadable)
        {
            await csv.Row(m.Code, m.PrefectureCode, ReadinessCatalog.Instance.PrefecturesByCode[m.PrefectureCode].Name, m.Name, null, null, UnreadableKind, "保存データを読み取れません",
                null, null, null, null, null, null, null, null, null, null);
        }
    }

    /// <summary>The CSV's kind for a municipality not compared because its stored state cannot be read.</summary>
    public const string UnreadableKind = "unreadable";

    /// <summary>The caller, the parsed filter, or a problem (403 without a valid caller or outside the tenant, 400 for unknown values).</summary>
    public static (ReadinessCaller? Caller, ReconciliationFilter? Filter, ProblemHttpResult? Problem) Check(HttpContext http, IOptions<ReadinessAuthOptions> auth,
        string? prefecture, string? kind, string? business)
    {
        var caller = ReadinessCaller.From(http.User, auth.Value);
        if (caller is null)
        {
            return (null, null, Problems.Create(StatusCodes.Status403Forbidden, "Forbidden", "role", "forbidden_role",
                "突合結果の閲覧にはサインインが必要です。", "Sign in to read the reconciliation."));
        }

        var (filter, error, status) = ReconciliationService.Parse(caller, prefecture, kind, business);
        return error is null ? (caller, filter, null) : (caller, null, Problems.Create(status, status == 403 ? "Forbidden" : "Invalid request", [error]));
    }

    public static ReconciliationDifferenceView View(ReconciliationDifference d)
    {
        var catalog = ReadinessCatalog.Instance;
        var m = catalog.MunicipalitiesByCode[d.MunicipalityCode];
        var b = catalog.BusinessSystems[catalog.BusinessIndex[d.BusinessId]];
        var (ja, en) = Reconciliation.Label(d.Kind);
        return new(d.MunicipalityCode, m.Name, d.PrefectureCode, catalog.PrefecturesByCode[d.PrefectureCode].Name, d.BusinessId, b.NameJa, Wire.Name(d.Kind), ja, en,
            Wire.Name(d.ReportedPhase), catalog.Phases[(int)d.ReportedPhase].NameJa, d.ReportedDesignated, d.ReportedAt,
            d.OfficialStepCompletion, Baseline.StepsDone(d.OfficialStepCompletion), d.OfficialDesignated, d.OfficialSource, d.OfficialAsOf);
    }
}
