using Readiness.Catalog;
using Readiness.Planning;

namespace Readiness.Web.Planning;

/// <summary>
/// One market (vendors or Government Cloud providers) in one area: applicable systems, those with a supplier reported,
/// distinct suppliers, the HHI (Σ share²; shares in %, 0..10,000; null when nothing is reported), whether it is above
/// 1,800 (highly concentrated, U.S. DOJ/FTC Merger Guidelines 2023), the largest suppliers with their systems and share
/// in % of the reported systems, and the reported systems of the suppliers not listed.
/// </summary>
public sealed record MarketView(int Systems, int Known, int Suppliers, double? Hhi, bool HighlyConcentrated, IReadOnlyList<MarketShare> Shares, int OtherSystems);

/// <summary>The nation (code "00") or a prefecture: its vendors and its Government Cloud providers (wire names: aws, microsoft_azure, ...).</summary>
/// <remarks><see cref="Unreadable"/>: the area's municipalities left out because their stored state cannot be read.</remarks>
public sealed record AreaMarketsView(string Code, string Name, string NameEn, MarketView Vendors, MarketView Providers, Readiness.Web.Api.UnreadableMunicipalitiesView Unreadable);

/// <summary>The lock-in view: the nation with its largest suppliers, and every prefecture with its HHI and largest suppliers.</summary>
public sealed record VendorConcentrationView(DateTimeOffset ComputedAt, string Method, AreaMarketsView Nation, IReadOnlyList<AreaMarketsView> Prefectures);

/// <summary>
/// One kept forecast judged against what happened: its day, the open systems it covered, outcomes assessed (went live
/// since, or still not live past their P90), those inside the P10–P90 band, the share inside (0..1, null before any
/// outcome), the share at or before the P50, and the systems still pending.
/// </summary>
public sealed record KeptForecastCoverageView(
    DateOnly AsOf, DateTimeOffset ComputedAt, int Systems, int Trials, int Assessed, int Covered, double? Coverage, double? ShareAtOrBeforeP50, int Pending);

/// <summary>
/// How the forecast has done: kept forecasts in all, the ones judged (newest first; see docs/forecast.md), and the
/// municipalities left out because their stored state cannot be read (their systems are not judged).
/// </summary>
public sealed record ForecastCoverageView(int Kept, IReadOnlyList<KeptForecastCoverageView> Forecasts, string Method, Readiness.Web.Api.UnreadableMunicipalitiesView Unreadable);

public static class VendorViews
{
    public const string ConcentrationMethod =
        "Applicable systems by application vendor (name as reported) and by Government Cloud provider (CSP); shares in % of the systems with one reported; " +
        "HHI = Σ share², 0..10,000; above 1,800 highly concentrated (U.S. DOJ/FTC Merger Guidelines 2023)";

    public const string CoverageMethod =
        "Each kept baseline forecast's P10–P90 band (month resolution, inclusive) against the first go-live in the audit trail since its day; " +
        "a system not live after its P90 month counts as a miss; target ≈ 80 % inside, ≈ 50 % at or before the P50";

    /// <summary>The nation with up to <paramref name="top"/> suppliers per market, and every prefecture with up to <paramref name="prefectureTop"/>.</summary>
    public static VendorConcentrationView Nation(ConcentrationResult result, DateTimeOffset computedAt, IReadOnlyList<MunicipalityInfo> unreadable, int top = 20, int prefectureTop = 3) =>
        new(computedAt, ConcentrationMethod, Area(result.Nation, top, unreadable), [.. result.Prefectures.Select(p => Area(p, prefectureTop, unreadable))]);

    /// <summary>One prefecture, up to <paramref name="top"/> suppliers per market; an empty area when it has no applicable system.</summary>
    public static AreaMarketsView Prefecture(ConcentrationResult result, string code, IReadOnlyList<MunicipalityInfo> unreadable, int top = ForecastService.ConcentrationTop) =>
        Area(result.Prefectures.FirstOrDefault(p => p.Code == code) ?? new AreaConcentration(code, MarketConcentration.Of([]), MarketConcentration.Of([])), top, unreadable);

    /// <summary>One area's markets; <paramref name="unreadable"/>: every municipality left out, of which the area's are named.</summary>
    public static AreaMarketsView Area(AreaConcentration a, int top, IReadOnlyList<MunicipalityInfo> unreadable)
    {
        var catalog = ReadinessCatalog.Instance;
        var (name, nameEn) = a.Code == MarketConcentration.NationCode ? ("全国", "Japan")
            : catalog.PrefecturesByCode.TryGetValue(a.Code, out var p) ? (p.Name, p.NameEn) : (a.Code, a.Code);
        var mine = a.Code == MarketConcentration.NationCode ? unreadable : [.. unreadable.Where(m => m.PrefectureCode == a.Code)];
        return new AreaMarketsView(a.Code, name, nameEn, Market(a.Vendors, top), Market(a.Providers, top), Readiness.Web.Api.UnreadableMunicipalitiesView.Of(mine));
    }

    private static MarketView Market(MarketConcentrationFigures m, int top)
    {
        var shares = m.Shares.Take(top).Select(s => s with { SharePercent = Math.Round(s.SharePercent, 2) }).ToList();
        return new MarketView(m.Systems, m.Known, m.Suppliers, m.Hhi is { } h ? Math.Round(h, 1) : null, m.HighlyConcentrated, shares, m.Known - shares.Sum(s => s.Systems));
    }

    public static ForecastCoverageView Coverage(int kept, IEnumerable<KeptForecastCoverage> forecasts, IReadOnlyList<MunicipalityInfo> unreadable) =>
        new(kept, [.. forecasts.Select(f => new KeptForecastCoverageView(
            f.Forecast.AsOf, f.Forecast.ComputedAt, f.Forecast.Systems, f.Forecast.Trials, f.Coverage.Assessed, f.Coverage.Covered,
            f.Coverage.Assessed == 0 ? null : Math.Round(f.Coverage.Coverage, 4),
            f.Coverage.Assessed == 0 ? null : Math.Round(f.Coverage.ShareAtOrBeforeP50, 4),
            f.Coverage.Pending))], CoverageMethod, Readiness.Web.Api.UnreadableMunicipalitiesView.Of(unreadable));
}
