using Readiness.Catalog;
using Readiness.Web.Api;
using Readiness.Web.Api.OpenApi;
using Readiness.Web.Auth;
using Readiness.Web.Components.Map;
using Readiness.Web.Summaries;

namespace Readiness.Web.Components;

/// <summary>The dashboard's non-page endpoints: language choice, map geometry, the prefecture table, a municipality's history and the changes across an area as CSV.</summary>
public static class DashboardEndpoints
{
    public static IEndpointRouteBuilder MapDashboardEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/lang/{code}", SetLanguage).ExcludeFromDescription().RequireRateLimiting(RateLimits.ReadsPolicy);

        // Not limited: geometry from memory, versioned and cached immutable like the static files (RateLimitCoverageTests' exemptions).
        app.MapGet("/map/{layer}.json", MapLayerAsync).ExcludeFromDescription();
        app.MapGet("/prefectures/{code}/municipalities.csv", CsvAsync).ExcludeFromDescription().AnswersConditionalRequests().RequireAuthorization(ReadinessPolicies.Summaries).RequireRateLimiting(RateLimits.ReadsPolicy);
        // A person's download from the municipality page: the API's writer and bytes, the page's policy and refusals.
        app.MapGet("/municipalities/{code}/history.csv", AuditApi.GetHistoryCsv).ExcludeFromDescription().AnswersConditionalRequests()
            .RequireAuthorization(ReadinessPolicies.MunicipalityRead).RequireRateLimiting(RateLimits.ReadsPolicy);
        // The same for the systems a prefecture runs itself (the prefecture page's panel and its history page).
        app.MapGet("/prefectures/{prefCode}/systems/history.csv", PrefectureRunApi.GetHistoryCsv).ExcludeFromDescription().AnswersConditionalRequests()
            .RequireAuthorization(ReadinessPolicies.PrefectureRunRead).RequireRateLimiting(RateLimits.ReadsPolicy);
        // The same for the changes across a prefecture or the nation (the changes pages' download).
        app.MapGet("/prefectures/{prefCode}/changes.csv", AreaChangesApi.GetPrefectureCsv).ExcludeFromDescription().AnswersConditionalRequests()
            .RequireAuthorization(ReadinessPolicies.PrefectureChanges).RequireRateLimiting(RateLimits.ReadsPolicy);
        app.MapGet("/changes.csv", AreaChangesApi.GetNationCsv).ExcludeFromDescription().AnswersConditionalRequests()
            .RequireAuthorization(ReadinessPolicies.NationChanges).RequireRateLimiting(RateLimits.ReadsPolicy);
        app.MapGet("/prefectures/{code}/search", SearchAsync).ExcludeFromDescription().RequireAuthorization(ReadinessPolicies.Summaries).RequireRateLimiting(RateLimits.ReadsPolicy);
        return app;
    }

    /// <summary>Remembers the language for a year and returns to the page (a plain link: works without scripts).</summary>
    private static IResult SetLanguage(HttpContext http, string code, string? returnUrl)
    {
        // "EN" is English (RFC 5646 §2.1.1); an unknown code leaves the language as it was.
        if (LanguageSwitch.Code(code) is { } language)
        {
            LanguageSwitch.Remember(http, language);
        }

        return Results.Redirect(WithoutLanguage(LocalRedirectTarget.From(returnUrl)));
    }

    /// <summary>
    /// The return address without its <c>language</c> parameter (any case): a page opened with ?language=en takes
    /// that over the cookie, so returning to it as it was would undo the switch just made.
    /// </summary>
    private static string WithoutLanguage(string local)
    {
        var at = local.IndexOfAny(['?', '#']);
        if (at < 0 || local[at] == '#')
        {
            return local;
        }

        var fragment = local.IndexOf('#', at);
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(fragment < 0 ? local[at..] : local[at..fragment]);
        if (!query.Keys.Any(k => string.Equals(k, LanguageSwitch.Parameter, StringComparison.OrdinalIgnoreCase)))
        {
            return local;
        }

        var kept = QueryString.Create(query.Where(q => !string.Equals(q.Key, LanguageSwitch.Parameter, StringComparison.OrdinalIgnoreCase)));
        return local[..at] + kept.Value + (fragment < 0 ? string.Empty : local[fragment..]);
    }

    private static async Task MapLayerAsync(HttpContext http, string layer, MapAssets assets)
    {
        if (!MapAssets.IsLayer(layer))
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var payload = assets.Payload(layer);
        var versioned = http.Request.Query["v"] == payload.Version;
        await payload.WriteAsync(http, versioned ? "public, max-age=31536000, immutable" : "public, max-age=300");
    }

    /// <summary>
    /// The codes of the rows the prefecture page shows for ?q= ?kind= ?flag=, as JSON {"codes":[…]}: the page's script
    /// filters with the server's rules (<see cref="Readiness.Rules.PlaceNameSearch"/>) instead of a copy of them.
    /// </summary>
    private static async Task<IResult> SearchAsync(HttpContext http, string code, SummaryCache cache, string? q, string? kind, string? flag)
    {
        var snapshot = await cache.GetAsync(TimeSpan.FromSeconds(60), http.RequestAborted);
        if (!ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(code) || snapshot is null || !snapshot.Prefectures.TryGetValue(code, out var prefecture))
        {
            return Results.StatusCode(snapshot is null ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status404NotFound);
        }

        if (MunicipalityQuery.Refused(kind, flag, null, null) is { } refused)
        {
            return Problems.UnknownValue(refused.Name, refused.Value, refused.Allowed);
        }

        var query = MunicipalityQuery.From(q, kind, flag, null, null);
        http.Response.Headers.CacheControl = "no-store";
        return Results.Json(new SearchResult(prefecture.Rows.Where(query.Matches).Select(m => m.Code).ToList()));
    }

    /// <summary>
    /// The rows the prefecture page shows for the same query, written by the product's one CSV writer (see
    /// <see cref="MunicipalityTableCsv"/>), with the strong ETag of the API's download of it (304, 412, 400 as every read).
    /// </summary>
    private static async Task<IResult> CsvAsync(HttpContext http, string code, SummaryCache cache,
        string? q, string? kind, string? flag, string? sort, string? dir)
    {
        var snapshot = await cache.GetAsync(TimeSpan.FromSeconds(60), http.RequestAborted);
        if (!ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(code) || snapshot is null || !snapshot.Prefectures.TryGetValue(code, out var prefecture))
        {
            return Results.StatusCode(snapshot is null ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status404NotFound);
        }

        // As the API's downloads of the same table: a file that looks filtered or sorted but is not must not be.
        if (MunicipalityQuery.Refused(kind, flag, sort, dir) is { } refused)
        {
            return Problems.UnknownValue(refused.Name, refused.Value, refused.Allowed);
        }

        // The API's download of the same table's validator (same writer, same bytes): a strong ETag from the prefecture's
        // summary and the query, so a 304 answers If-None-Match without writing the file (round 44: it sent none).
        if (Preconditions.ForRead(http, ExportApi.TableETag("csv", prefecture, q, kind, flag, sort, dir)) is { } conditional)
        {
            return conditional;
        }

        var query = MunicipalityQuery.From(q, kind, flag, sort, dir);
        return await CsvOutput.Respond(http, MunicipalityTableCsv.FileName(prefecture), csv => MunicipalityTableCsv.WriteAsync(csv, prefecture, query));
    }
}

/// <summary>The municipalities that match a search, by code.</summary>
public sealed record SearchResult(IReadOnlyList<string> Codes);
