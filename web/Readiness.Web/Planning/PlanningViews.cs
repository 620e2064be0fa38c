using System.Globalization;
using Readiness.Catalog;
using Readiness.Planning;

namespace Readiness.Web.Planning;

/// <summary>Completion quantiles (dates: last day of the month; null with migrated=false: after the horizon).</summary>
public sealed record ForecastBandView(bool Migrated, DateOnly? P10, DateOnly? P50, DateOnly? P90, double ProbabilityByDeadline);

public sealed record AreaForecastView(string Code, string Name, string NameEn, int Systems, int Remaining, ForecastBandView Band);

public sealed record MonthlyShareView(string Month, double Expected, double P10, double P90);

public sealed record PhaseDurationView(string Phase, bool Designated, double MedianMonths, double LogSigma, int Observed, int Censored, string Source);

public sealed record SlipView(double MeanMonths, double SdMonths, int Observed, int Censored, string Source);

public sealed record ForecastModelView(IReadOnlyList<PhaseDurationView> Phases, SlipView PlanSlip, SlipView TargetSlip, int VendorsWithCapacity);

/// <summary>Run metadata common to every forecast answer; <c>freshness</c>: which figures it starts from and whether reports arrived since.</summary>
public sealed record ForecastRunView(DateOnly AsOf, DateTimeOffset ComputedAt, ulong Seed, int Trials, DateOnly Deadline, DateOnly HorizonEnd, long TookMs, string? Scenario, string Method,
    Readiness.Web.Api.UnreadableMunicipalitiesView Unreadable, ForecastFreshnessView Freshness);

/// <summary>
/// How fresh a forecast is. <c>computedAt</c>: when the figures it starts from were read (for a municipality's own
/// forecast recomputed after its change: when it was recomputed). <c>figuresVersion</c>: the version sum of the records it
/// starts from (the nation's or the prefecture's, comparable with <c>version</c> of /api/v1/nation and of a prefecture in
/// /api/v1/prefectures/{prefCode}; a municipality's: its record's version, the ETag of /api/v1/municipalities/{code}).
/// <c>currentFiguresVersion</c>: the same now (null: could not be read). <c>upToDate</c>: no report since
/// (false also when unknown). <c>nextComputationAt</c>: when the figures are read again and the forecast recomputed.
/// <c>noteJa</c>/<c>noteEn</c>: what the pages say when it is not up to date; null when it is.
/// </summary>
public sealed record ForecastFreshnessView(DateTimeOffset ComputedAt, long FiguresVersion, long? CurrentFiguresVersion, bool UpToDate, DateTimeOffset NextComputationAt, string? NoteJa, string? NoteEn)
{
    public static ForecastFreshnessView Of(DateTimeOffset computedAt, long figuresVersion, long? current, DateTimeOffset next)
    {
        var upToDate = current is { } c && c <= figuresVersion; // a summary a moment behind the records is not newer
        var at = Readiness.Web.Components.UiText.DateTimeJst(next);
        return upToDate
            ? new(computedAt, figuresVersion, current, true, next, null, null)
            : current is null
                ? new(computedAt, figuresVersion, null, false, next,
                    $"この予測が最新の報告を反映しているか確認できません（次回計算: {at}）。", $"Whether this forecast reflects the latest reports cannot be checked (next computation: {at}).")
                : new(computedAt, figuresVersion, current, false, next,
                    $"この予測は最新の報告を反映していません（次回計算: {at}）。", $"This forecast does not reflect the latest reports (next computation: {at}).");
    }
}

public sealed record NationForecastView(
    ForecastRunView Run,
    AreaForecastView Nation,
    IReadOnlyList<MonthlyShareView> Monthly,
    IReadOnlyList<AreaForecastView> Prefectures,
    IReadOnlyList<VendorQueue> Vendors,
    ForecastModelView Model);

/// <summary>A municipality's forecast; <c>prefectureRun</c>: the row is the prefecture's own systems (都道府県が実施する事務), code = its 団体コード.</summary>
public sealed record MunicipalityRiskView(
    string Code, string Name, int Systems, int Remaining, ForecastBandView Band, double Risk, double? ProbabilityByOwnTargets, DateOnly? LatestOwnTarget, bool PrefectureRun = false);

public sealed record PrefectureForecastView(ForecastRunView Run, AreaForecastView Prefecture, IReadOnlyList<MunicipalityRiskView> Municipalities);

public sealed record SystemForecastView(
    string BusinessId, string NameJa, string NameEn, MigrationPhase Phase, string? Vendor, DateOnly? OwnTarget, ForecastBandView Band, double? ProbabilityByOwnTarget);

public sealed record MunicipalityForecastView(ForecastRunView Run, MunicipalityRiskView Municipality, IReadOnlyList<SystemForecastView> Systems);

public sealed record ScenarioListView(IReadOnlyList<ForecastScenario> Scenarios, IReadOnlyList<ScenarioAuditEntry> Audit);

public sealed record AreaComparisonView(string Code, string Name, ForecastBandView Baseline, ForecastBandView Scenario);

/// <summary>A scenario side by side with the baseline over the same state and seed.</summary>
public sealed record ScenarioComparisonView(
    ForecastScenario Scenario,
    ForecastRunView Run,
    AreaComparisonView Nation,
    IReadOnlyList<MonthlyShareView> BaselineMonthly,
    IReadOnlyList<MonthlyShareView> ScenarioMonthly,
    IReadOnlyList<AreaComparisonView> Prefectures,
    IReadOnlyList<VendorQueue> BaselineVendors,
    IReadOnlyList<VendorQueue> ScenarioVendors);

public static class PlanningViews
{
    public const string Method =
        "Monte Carlo per system to in_production: log-normal phase durations from the audit trail's phase moves (censored EM, shrunk to documented priors), " +
        "planned go-live / designation target as evidence with slippage, vendor go-live capacity queues; see docs/forecast.md";

    public static ForecastBandView Band(ForecastBand b) => new(b.Migrated, b.P10, b.P50, b.P90, Math.Round(b.ProbabilityByDeadline, 4));

    /// <summary>
    /// The run, naming the municipalities left out of it (all of them, or those of <paramref name="prefectureCode"/> for a
    /// prefecture's or a municipality's view), and its freshness against <paramref name="current"/>: the figures' version
    /// now of the nation, the prefecture, or the municipality <paramref name="municipalityCode"/>.
    /// </summary>
    public static ForecastRunView Run(ForecastRun run, long? current, string? prefectureCode = null, string? municipalityCode = null) => new(
        run.Result.AsOf, run.ComputedAt, run.Result.Seed, run.Result.Trials, run.Result.Deadline, run.Result.HorizonEnd,
        (long)run.Took.TotalMilliseconds, run.Scenario?.Name, Method,
        Readiness.Web.Api.UnreadableMunicipalitiesView.Of([.. run.Unreadable.Where(m => prefectureCode is null || m.PrefectureCode == prefectureCode)]),
        ForecastFreshnessView.Of(run.ComputedAt,
            municipalityCode is null ? run.FiguresVersion(prefectureCode) : run.Versions.GetValueOrDefault(municipalityCode),
            current, run.NextComputationAt));

    public static AreaForecastView Area(AreaForecast a)
    {
        var catalog = ReadinessCatalog.Instance;
        var (name, nameEn) = a.Code == "00" ? ("全国", "Japan")
            : catalog.PrefecturesByCode.TryGetValue(a.Code, out var p) ? (p.Name, p.NameEn) : (a.Code, a.Code);
        return new AreaForecastView(a.Code, name, nameEn, a.Systems, a.Remaining, Band(a.Band));
    }

    public static IReadOnlyList<MonthlyShareView> Monthly(ForecastResult r) => r.Monthly
        .Select(m => new MonthlyShareView(m.MonthEnd.ToString("yyyy-MM", CultureInfo.InvariantCulture), Math.Round(m.Expected, 4), Math.Round(m.P10, 4), Math.Round(m.P90, 4)))
        .ToList();

    public static NationForecastView Nation(ForecastRun run, long? current)
    {
        var r = run.Result;
        return new NationForecastView(
            Run(run, current),
            Area(r.Nation),
            Monthly(r),
            r.Prefectures.Select(Area).ToList(),
            r.Vendors.Take(20).ToList(),
            Model(r.Model));
    }

    public static ForecastModelView Model(ForecastModel m) => new(
        m.Phases.SelectMany(row => row).Select(p => new PhaseDurationView(Wire.Name(p.Phase), p.Designated, Math.Round(p.MedianMonths, 2), Math.Round(p.LogSigma, 3), p.Observed, p.Censored, Wire.Name(p.Source))).ToList(),
        Slip(m.PlanSlip),
        Slip(m.TargetSlip),
        m.VendorCapacity.Count);

    private static SlipView Slip(SlipDistribution s) => new(Math.Round(s.MeanMonths, 2), Math.Round(s.SdMonths, 2), s.Observed, s.Censored, Wire.Name(s.Source));

    public static MunicipalityRiskView Municipality(MunicipalityForecast m)
    {
        var catalog = ReadinessCatalog.Instance;
        var prefectureRun = catalog.TryPrefectureOfBodyCode(m.Code, out var prefecture);
        var name = catalog.MunicipalitiesByCode.TryGetValue(m.Code, out var info) ? info.Name
            : prefectureRun ? $"{prefecture!.Name}（都道府県が実施する事務）" : m.Code;
        return new MunicipalityRiskView(m.Code, name, m.Systems, m.Remaining, Band(m.Band), Math.Round(m.Risk, 4),
            m.ProbabilityByOwnTargets is { } p ? Math.Round(p, 4) : null, m.LatestOwnTarget, prefectureRun);
    }

    /// <summary>A prefecture's municipalities, highest risk (lowest probability of finishing by the deadline) first.</summary>
    public static PrefectureForecastView Prefecture(ForecastRun run, string prefectureCode, long? current)
    {
        var r = run.Result;
        var area = r.Prefectures.FirstOrDefault(p => p.Code == prefectureCode) ?? new AreaForecast(prefectureCode, 0, 0, new ForecastBand(true, null, null, null, 1));
        var municipalities = r.Municipalities.Where(m => m.Code.StartsWith(prefectureCode, StringComparison.Ordinal))
            .OrderByDescending(m => m.Risk)
            .ThenByDescending(m => m.Band.P50 ?? DateOnly.MaxValue)
            .ThenBy(m => m.Code, StringComparer.Ordinal)
            .Select(Municipality)
            .ToList();
        return new PrefectureForecastView(Run(run, current, prefectureCode), Area(area), municipalities);
    }

    /// <summary>A municipality's own forecast; <paramref name="current"/>: its record's version now. Null when it has no applicable system.</summary>
    public static MunicipalityForecastView? MunicipalityDetail(ForecastRun run, string code, long? current)
    {
        var r = run.Result;
        var m = r.Municipalities.FirstOrDefault(x => x.Code == code);
        if (m is null)
        {
            return null;
        }

        var catalog = ReadinessCatalog.Instance;
        var systems = r.Systems.Where(s => s.MunicipalityCode == code).Select(s =>
        {
            var info = catalog.BusinessIndex.TryGetValue(s.BusinessId, out var i) ? catalog.BusinessSystems[i] : null;
            return new SystemForecastView(s.BusinessId, info?.NameJa ?? s.BusinessId, info?.NameEn ?? s.BusinessId, s.Phase, s.Vendor, s.OwnTarget, Band(s.Band),
                s.ProbabilityByOwnTarget is { } p ? Math.Round(p, 4) : null);
        }).ToList();
        return new MunicipalityForecastView(Run(run, current, m.Code[..2], m.Code), Municipality(m), systems);
    }

    /// <summary>A scenario against the baseline; <paramref name="current"/>: the nation's figures' version now.</summary>
    public static ScenarioComparisonView Compare(ForecastRun baseline, ForecastRun scenario, long? current)
    {
        var b = baseline.Result;
        var s = scenario.Result;
        var prefectures = b.Prefectures.Zip(s.Prefectures, (x, y) => new AreaComparisonView(x.Code, Area(x).Name, Band(x.Band), Band(y.Band))).ToList();
        return new ScenarioComparisonView(
            scenario.Scenario!,
            Run(scenario, current),
            new AreaComparisonView("00", "全国", Band(b.Nation.Band), Band(s.Nation.Band)),
            Monthly(b),
            Monthly(s),
            prefectures,
            b.Vendors.Take(20).ToList(),
            s.Vendors.Take(20).ToList());
    }
}
