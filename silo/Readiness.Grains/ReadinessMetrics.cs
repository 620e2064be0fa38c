using System.Diagnostics.Metrics;

namespace Readiness.Grains;

/// <summary>The product's own counters (no municipality codes as tags: 1,741 series would be too many).</summary>
public sealed class ReadinessMetrics
{
    public const string MeterName = "Readiness";

    public ReadinessMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        ChangesAccepted = meter.CreateCounter<long>("readiness.changes.accepted", description: "Change requests accepted and written durably");
        ChangesRejected = meter.CreateCounter<long>("readiness.changes.rejected", description: "Change requests refused (validation, version conflict)");
        MunicipalitiesSeeded = meter.CreateCounter<long>("readiness.municipalities.seeded", description: "Municipalities initialised from the baseline or demo seed");
        SummaryPushes = meter.CreateCounter<long>("readiness.summaries.pushed", description: "Aggregate summaries pushed upwards");
        Reconciliations = meter.CreateCounter<long>("readiness.reconciliations", description: "Aggregate reconciliations (a prefecture reading its municipalities, the nation pulling its prefectures)");
        ReconciledFromStorage = meter.CreateCounter<long>("readiness.reconciliations.from_storage", unit: "{child}",
            description: "Municipalities a prefecture's reconciliation read from their stored state (one query, no activation)");
        ReconciledByPull = meter.CreateCounter<long>("readiness.reconciliations.pulled", unit: "{child}",
            description: "Municipalities a prefecture's reconciliation asked itself (no stored state yet, or one that could not be read): each call activates the grain");
        PullFailures = meter.CreateCounter<long>("readiness.reconciliations.pull_failures", unit: "{child}",
            description: "Children an aggregate could not pull in a reconciliation (a municipality whose stored state cannot be read, a grain that did not answer): missing from its figures until a later pull succeeds");
        // Each series as the code adds to it (the same tags), so the one an alert or a panel selects exists from the start.
        StartAtZero(ChangesAccepted);
        StartAtZero(ChangesRejected, ("reason", "version_conflict"), ("reason", "invalid"));
        StartAtZero(MunicipalitiesSeeded);
        StartAtZero(SummaryPushes, ("level", "prefecture"));
        StartAtZero(Reconciliations, ("level", "prefecture"), ("level", "nation"), ("level", "nation_deep"));
        StartAtZero(ReconciledFromStorage);
        StartAtZero(ReconciledByPull);
        StartAtZero(PullFailures, ("level", "prefecture"), ("level", "nation"));
    }

    /// <summary>
    /// Puts <paramref name="counter"/>'s series on /metrics at 0 before its first event (Prometheus' advice for counters),
    /// so that a rate, a dashboard panel and an alert read 0 instead of no data until something first happens: the
    /// untagged series, or one series per tag given (each the tag set the code adds with).
    /// </summary>
    public static Counter<long> StartAtZero(Counter<long> counter, params (string Key, string Value)[] series)
    {
        ArgumentNullException.ThrowIfNull(counter);
        if (series.Length == 0)
        {
            counter.Add(0);
        }

        foreach (var (key, value) in series)
        {
            counter.Add(0, new KeyValuePair<string, object?>(key, value));
        }

        return counter;
    }

    public Counter<long> ChangesAccepted { get; }
    public Counter<long> ChangesRejected { get; }
    public Counter<long> MunicipalitiesSeeded { get; }
    public Counter<long> SummaryPushes { get; }
    public Counter<long> Reconciliations { get; }
    public Counter<long> ReconciledFromStorage { get; }
    public Counter<long> ReconciledByPull { get; }
    public Counter<long> PullFailures { get; }
}
