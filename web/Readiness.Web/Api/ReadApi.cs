using Microsoft.AspNetCore.Http.HttpResults;
using Readiness.Catalog;
using Readiness.Grains;
using Readiness.Rules;

namespace Readiness.Web.Api;

/// <summary>Read endpoints: the nation, a prefecture, a municipality. Views add names and derived ratios.</summary>
public static class ReadApi
{
    public static IEndpointRouteBuilder MapReadApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1");
        api.MapGet("/nation", GetNation);
        api.MapGet("/prefectures/{prefCode}", GetPrefecture);
        api.MapGet("/municipalities/{code}", GetMunicipality);
        return app;
    }

    private static async Task<Ok<NationView>> GetNation(IGrainFactory grains)
    {
        var nation = await grains.GetGrain<INationGrain>(INationGrain.NationKey).GetAsync();
        return TypedResults.Ok(Views.Nation(nation));
    }

    private static async Task<Results<Ok<PrefectureView>, ProblemHttpResult>> GetPrefecture(string prefCode, IGrainFactory grains)
    {
        if (!ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(prefCode))
        {
            return Problems.NotFound("prefCode", $"都道府県コード「{prefCode}」はありません（01〜47の2桁）。", $"Unknown prefecture code '{prefCode}' (two digits, 01-47).");
        }

        var detail = await grains.GetGrain<IPrefectureGrain>(prefCode).GetAsync();
        return TypedResults.Ok(Views.Prefecture(detail));
    }

    private static async Task<Results<Ok<MunicipalityView>, ProblemHttpResult>> GetMunicipality(string code, IGrainFactory grains, TimeProvider time, HttpContext http)
    {
        if (Problems.CheckMunicipalityCode(code) is { } problem)
        {
            return problem;
        }

        var grain = grains.GetGrain<IMunicipalityGrain>(code);
        var record = await grain.GetAsync();
        var recent = await grain.GetRecentChangesAsync();
        http.Response.Headers.ETag = $"\"{record.Version}\"";
        return TypedResults.Ok(Views.Municipality(record, recent, ReadinessRules.TodayInJapan(time.GetUtcNow())));
    }
}
