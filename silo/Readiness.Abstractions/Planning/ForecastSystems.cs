namespace Readiness.Planning;

/// <summary>
/// The forecast's inputs built from the records (pure): a municipality's applicable systems, a prefecture's own
/// reported systems (都道府県が実施する事務, counted as the figures count them), and the part of the inputs one
/// municipality's forecast depends on.
/// </summary>
public static class ForecastSystems
{
    /// <summary>
    /// The applicable systems (not marked not-applicable) of one body, keyed by <paramref name="code"/> (a municipality's
    /// 6-digit code, or a prefecture's own 団体コード such as 130001, whose first two digits are its prefecture);
    /// <paramref name="since"/>: when each system entered its phase (from the audit trail), missing = unknown.
    /// </summary>
    public static IEnumerable<ForecastSystem> Of(string code, IEnumerable<SystemStatus> systems, IReadOnlyDictionary<(string MunicipalityCode, string BusinessId), DateOnly> since) =>
        systems.Where(s => !s.NotApplicable).Select(s => new ForecastSystem
        {
            MunicipalityCode = code,
            BusinessId = s.BusinessId,
            Phase = s.Phase,
            PhaseSince = since.TryGetValue((code, s.BusinessId), out var day) ? day : null,
            PlannedGoLive = s.PlannedGoLive,
            Designated = s.Designated,
            DesignationTarget = s.DesignationTarget,
            Vendor = s.Vendor,
            CloudProvider = s.CloudProvider,
            Reported = s.ReportedAt is not null,
        });

    /// <summary>
    /// A prefecture's own systems as the figures count them (<see cref="PrefectureRunRecord.Counts"/>: reported by the
    /// prefecture, and applicable), keyed by its 団体コード: so the prefecture's and the nation's forecasts cover the same
    /// systems as their figures, and one not yet migrated holds their completion back.
    /// </summary>
    public static IEnumerable<ForecastSystem> OfPrefectureRun(PrefectureRunRecord record, IReadOnlyDictionary<(string MunicipalityCode, string BusinessId), DateOnly> since) =>
        Of(record.Code, record.Systems.Where(PrefectureRunRecord.Counts), since);

    /// <summary>
    /// What the forecast of the body <paramref name="code"/> depends on: its own systems and every system queued at a
    /// vendor whose go-live capacity <paramref name="model"/> limits and that one of its systems uses. Draws are keyed by
    /// (trial, system), and the only coupling between bodies is a capacity-limited vendor's queue, so a run over this
    /// part with the same model and options gives that body the same answer as a run over every system, far cheaper.
    /// Input order is kept.
    /// </summary>
    public static IReadOnlyList<ForecastSystem> DependedOnBy(IReadOnlyList<ForecastSystem> systems, string code, ForecastModel model)
    {
        var vendors = systems.Where(s => s.MunicipalityCode == code && s.Vendor is { } v && model.VendorCapacity.ContainsKey(v))
            .Select(s => s.Vendor!).ToHashSet(StringComparer.Ordinal);
        return [.. systems.Where(s => s.MunicipalityCode == code || (s.Vendor is { } v && vendors.Contains(v)))];
    }
}
