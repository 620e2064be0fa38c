using Microsoft.AspNetCore.Http.HttpResults;
using Readiness.Catalog;
using Readiness.Web.Api;
using Readiness.Web.Auth;

namespace Readiness.Web.Planning;

/// <summary>
/// The lock-in view (systems by vendor and by Government Cloud provider, with the HHI) and how the kept forecasts have
/// done. Summaries: every signed-in role, like the national and prefectural forecasts.
/// </summary>
public static class VendorApi
{
    public static RouteGroupBuilder MapVendorApi(this RouteGroupBuilder reads)
    {
        reads.MapGet("/vendors", GetNation).AnswersConditionalRequestsByContent().RequireAuthorization(ReadinessPolicies.Summaries)
            .WithSummary("Systems by vendor and by Government Cloud provider with the HHI, nationally and per prefecture (lock-in view)")
            .WithDescription("Applicable systems by application vendor (as reported) and by Government Cloud provider (CSP): systems, share in % of the systems with one reported, and the Herfindahl–Hirschman index (0–10,000; above 1,800 highly concentrated). The nation lists its 20 largest suppliers per market, each prefecture its 3 largest; the HHI always counts every supplier.");
        reads.MapGet("/vendors/prefectures/{prefCode}", GetPrefecture).AnswersConditionalRequestsByContent().RequireAuthorization(ReadinessPolicies.Summaries).ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("One prefecture's systems by vendor and by Government Cloud provider with the HHI")
            .WithDescription("The prefecture's applicable systems by vendor and by Government Cloud provider, its 50 largest suppliers per market with systems and share in %, and the HHI over all of them. 404 for an unknown prefecture code.");
        reads.MapGet("/forecast/coverage", GetCoverage).AnswersConditionalRequestsByContent().RequireAuthorization(ReadinessPolicies.Summaries)
            .WithSummary("How the forecast has done: kept baseline forecasts against what happened (coverage of the P10–P90 band)")
            .WithDescription("The baseline forecast is kept once a day. For the newest kept forecast and the first of each of the 12 months before, the outcomes so far (systems that went live since, or are still not live past their P90), the share inside the P10–P90 band (≈ 0.8 when calibrated) and the share at or before the P50 (≈ 0.5). Null shares: no outcome yet. unreadable: the municipalities whose stored state cannot be read, left out of the judging (count, municipalities, messageJa/messageEn; count 0 and null messages when none).");
        return reads;
    }

    private static async Task<Ok<VendorConcentrationView>> GetNation(HttpContext http, ForecastService forecasts)
    {
        var (result, readAt, unreadable) = await forecasts.GetConcentrationAsync(http.RequestAborted);
        return TypedResults.Ok(VendorViews.Nation(result, readAt, unreadable));
    }

    private static async Task<Results<Ok<AreaMarketsView>, ProblemHttpResult>> GetPrefecture(string prefCode, HttpContext http, ForecastService forecasts)
    {
        if (!ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(prefCode))
        {
            return Problems.NotFound("prefCode", $"都道府県コード「{Problems.Shown(prefCode)}」はありません（01〜47の2桁）。", $"Unknown prefecture code '{Problems.Shown(prefCode)}' (two digits, 01-47).");
        }

        var (result, _, unreadable) = await forecasts.GetConcentrationAsync(http.RequestAborted);
        return TypedResults.Ok(VendorViews.Prefecture(result, prefCode, unreadable));
    }

    private static async Task<Ok<ForecastCoverageView>> GetCoverage(HttpContext http, ForecastArchive archive)
    {
        var (kept, coverage, unreadable) = await archive.GetCoverageAsync(http.RequestAborted);
        return TypedResults.Ok(VendorViews.Coverage(kept, coverage, unreadable));
    }
}
