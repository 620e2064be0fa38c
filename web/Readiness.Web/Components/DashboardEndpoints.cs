using System.Globalization;
using System.Text;
using Readiness.Catalog;
using Readiness.Web.Auth;
using Readiness.Web.Components.Map;
using Readiness.Web.Live;

namespace Readiness.Web.Components;

/// <summary>The dashboard's non-page endpoints: language choice, map geometry, the prefecture table as CSV.</summary>
public static class DashboardEndpoints
{
    private static readonly string[] HeaderEn =
        ["code", "name", "kana", "kind", "population", "progress", "migrated_systems", "applicable_systems", "designated_systems", "designation_incomplete",
         "overdue_systems", "regression_systems", "complete", "stale", "security_score", "security_items_assessed", "last_reported_at", "origin", "version", "as_of"];

    private static readonly string[] HeaderJa =
        ["団体コード", "団体名", "ふりがな", "区分", "人口", "移行進捗", "移行済みシステム数", "対象システム数", "特定移行支援システム数", "理由・期限未報告",
         "期限超過システム数", "後退システム数", "移行完了", "報告停滞", "セキュリティスコア", "評価済み項目数", "最終報告日時", "データ出所", "版", "集計日"];

    public static IEndpointRouteBuilder MapDashboardEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/lang/{code}", SetLanguage).ExcludeFromDescription();
        app.MapGet("/map/{layer}.json", MapLayerAsync).ExcludeFromDescription();
        app.MapGet("/prefectures/{code}/municipalities.csv", CsvAsync).ExcludeFromDescription().RequireAuthorization(ReadinessPolicies.Summaries);
        return app;
    }

    /// <summary>Remembers the language for a year and returns to the page (a plain link: works without scripts).</summary>
    private static IResult SetLanguage(HttpContext http, string code, string? returnUrl)
    {
        var language = code == "en" ? "en" : "ja";
        http.Response.Cookies.Append(UiText.Cookie, language, new CookieOptions
        {
            Path = "/",
            MaxAge = TimeSpan.FromDays(365),
            SameSite = SameSiteMode.Lax,
            HttpOnly = true,
            IsEssential = true,
            Secure = http.Request.IsHttps,
        });
        return Results.Redirect(LocalRedirectTarget.From(returnUrl));
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

    /// <summary>The rows the prefecture page shows for the same query, UTF-8 with a BOM so spreadsheet software reads the Japanese.</summary>
    private static async Task CsvAsync(HttpContext http, string code, DashboardCache cache, UiText t,
        string? q, string? kind, string? flag, string? sort, string? dir)
    {
        var snapshot = await cache.GetAsync(TimeSpan.FromSeconds(60), http.RequestAborted);
        if (!ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(code) || snapshot is null || !snapshot.Prefectures.TryGetValue(code, out var prefecture))
        {
            http.Response.StatusCode = snapshot is null ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status404NotFound;
            return;
        }

        var query = MunicipalityQuery.From(q, kind, flag, sort, dir);
        var csv = new StringBuilder();
        csv.Append('\uFEFF');
        csv.AppendLine(string.Join(',', t.IsEnglish ? HeaderEn : HeaderJa));
        foreach (var m in query.Apply(prefecture.Rows))
        {
            csv.AppendLine(string.Join(',',
                m.Code, Quote(m.Name), Quote(m.Kana), m.Kind, m.Population.ToString(CultureInfo.InvariantCulture), Ratio(m.Progress),
                m.Migrated.ToString(CultureInfo.InvariantCulture), m.Applicable.ToString(CultureInfo.InvariantCulture),
                m.Designated.ToString(CultureInfo.InvariantCulture), m.DesignationIncomplete.ToString(CultureInfo.InvariantCulture),
                m.Overdue.ToString(CultureInfo.InvariantCulture), m.Regression.ToString(CultureInfo.InvariantCulture),
                m.Complete ? "1" : "0", m.Stale ? "1" : "0", Ratio(m.Security), m.SecurityAssessed.ToString(CultureInfo.InvariantCulture),
                m.LastReportedAt is { } at ? DashboardSnapshot.Iso(at) : string.Empty, m.Origin, m.Version.ToString(CultureInfo.InvariantCulture),
                prefecture.View.Prefecture.AsOf));
        }

        var file = $"municipalities-{code}-{prefecture.View.Prefecture.AsOf}.csv";
        http.Response.ContentType = "text/csv; charset=utf-8";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{file}\"";
        await http.Response.WriteAsync(csv.ToString(), http.RequestAborted);
    }

    private static string Ratio(double? value) => value is { } v ? Math.Round(v, 4).ToString(CultureInfo.InvariantCulture) : string.Empty;

    private static string Quote(string text) => text.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{text.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : text;
}
