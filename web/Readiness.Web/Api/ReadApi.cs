using Microsoft.AspNetCore.Http.HttpResults;
using Readiness.Catalog;
using Readiness.Grains;
using Readiness.Hosting;
using Readiness.Rules;
using Readiness.Web.Auth;
using Readiness.Web.Summaries;
using Readiness.Web.Api.OpenApi;

namespace Readiness.Web.Api;

/// <summary>Read endpoints: the catalog, the nation, the prefectures, a municipality. Views add names and derived ratios.</summary>
public static class ReadApi
{
    public static IEndpointRouteBuilder MapReadApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").RequireRateLimiting(RateLimits.ReadsPolicy);
        var summaries = api.MapGroup(string.Empty).RequireAuthorization(ReadinessPolicies.Summaries).WithTags("Summaries").ProducesProblem(StatusCodes.Status401Unauthorized);
        summaries.MapGet("/catalog", GetCatalog).AnswersConditionalRequests().Produces<CatalogView>().WithSummary("Business systems, phases, security items, deadlines");
        summaries.MapGet("/nation", GetNation).AnswersConditionalRequests().Produces<NationView>().WithSummary("The nation's figures and every prefecture's summary");
        summaries.MapGet("/prefectures", GetPrefectures).AnswersConditionalRequests().Produces<PrefectureListView>().WithSummary("The 47 prefectures' summaries");
        summaries.MapGet("/prefectures/{prefCode}", GetPrefecture).AnswersConditionalRequests().Produces<PrefectureView>().WithSummary("One prefecture and its municipalities' summaries");
        api.MapGet("/municipalities/{code}", GetMunicipality).AnswersConditionalRequests()
            .Produces<MunicipalityView>()
            .RequireAuthorization(ReadinessPolicies.MunicipalityRead)
            .WithTags("Municipality")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("A municipality's full state; the ETag header is its version (send it as If-Match when writing)");
        return app;
    }

    public static CatalogView Catalog { get; } = BuildCatalog();

    private static CatalogView BuildCatalog()
    {
        var c = ReadinessCatalog.Instance;
        return new CatalogView(
            c.BusinessSystems.Select(b => new BusinessSystemView(b.Id, b.SeiriNo, b.NameJa, b.NameEn)).ToList(),
            c.Phases.Select(p => new PhaseView(p.Id, (int)p.Phase, p.NameJa, p.NameEn, p.Phase >= MigrationPhase.InProduction)).ToList(),
            c.SecurityItems.Select(i => new SecurityItemCatalogView(i.Id, i.Chapter, i.ChapterJa, i.TitleJa, i.TitleEn, i.Party, i.Reference, i.Basis)).ToList(),
            Enum.GetValues<HostingKind>().Select(v => Wire.Name(v)).ToList(),
            Enum.GetValues<DesignationReason>().Select(v => Wire.Name(v)).ToList(),
            Enum.GetValues<SecurityStatus>().Select(v => Wire.Name(v)).ToList(),
            new DeadlinesView(ReadinessCatalog.StandardizationDeadline, ReadinessCatalog.DesignationLimit, ReadinessCatalog.StaleAfterDays, ChangeRules.EarliestDate, ChangeRules.LatestDate),
            c.Municipalities.Count,
            c.Prefectures.Select(p => new PrefectureCatalogView(p.Code, p.Name, p.NameEn, p.Region, c.MunicipalitiesByPrefecture[p.Code].Count)).ToList(),
            Views.Sources,
            Enum.GetValues<CloudProvider>().Select(v => Wire.Name(v)).ToList());
    }

    /// <summary>
    /// The catalog's strong entity tag: a hash of its JSON, made once. The catalog is fixed for the life of the process
    /// (built from the compiled-in catalog), so this is exact and costs nothing per request; it changes with a release
    /// that changes the catalog.
    /// </summary>
    public static string CatalogETag { get; } = Preconditions.ContentETag(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(Catalog));

    private static IResult GetCatalog(HttpContext http) => Preconditions.ForRead(http, CatalogETag) ?? TypedResults.Ok(Catalog);

    // Summaries come from this node's summary cache (Summaries/SummaryCache.cs), the same snapshot the pages and the
    // event stream show; each response is serialized and compressed once per version and answers If-None-Match.
    private static async Task GetNation(SummaryCache cache, HttpContext http)
    {
        if (await cache.GetOrStartingAsync(http, http.RequestAborted) is { } snapshot)
        {
            await snapshot.NationResponses.Nation.WriteAsync(http, SummarySerializer.CacheControl);
        }
    }

    private static async Task GetPrefectures(SummaryCache cache, HttpContext http)
    {
        if (await cache.GetOrStartingAsync(http, http.RequestAborted) is { } snapshot)
        {
            await snapshot.NationResponses.Prefectures.WriteAsync(http, SummarySerializer.CacheControl);
        }
    }

    private static async Task<IResult> GetPrefecture(string prefCode, SummaryCache cache, HttpContext http)
    {
        if (!ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(prefCode))
        {
            return Problems.NotFound("prefCode", $"都道府県コード「{Problems.Shown(prefCode)}」はありません（01〜47の2桁）。", $"Unknown prefecture code '{Problems.Shown(prefCode)}' (two digits, 01-47).");
        }

        if (await cache.GetOrStartingAsync(http, http.RequestAborted) is { } snapshot)
        {
            await snapshot.Prefectures[prefCode].Response.WriteAsync(http, SummarySerializer.CacheControl);
        }

        return Results.Empty;
    }

    private static async Task<IResult> GetMunicipality(string code, IGrainFactory grains, GrainCalls calls, TimeProvider time, HttpContext http)
    {
        if (Problems.CheckMunicipalityCode(code) is { } problem)
        {
            return problem;
        }

        var grain = grains.GetGrain<IMunicipalityGrain>(code);
        var record = await calls.Run(() => grain.GetAsync(), idempotent: true, http.RequestAborted);
        var today = ReadinessRules.TodayInJapan(time.GetUtcNow());
        if (Preconditions.ForRead(http, Views.ETag(record, today)) is { } conditional)
        {
            return conditional;
        }

        var recent = await calls.Run(() => grain.GetRecentChangesAsync(), idempotent: true, http.RequestAborted);
        return TypedResults.Ok(Views.Municipality(record, recent, today));
    }
}
