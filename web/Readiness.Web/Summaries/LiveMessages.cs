using System.Text.Encodings.Web;
using System.Text.Json;
using Readiness.Web.Api;

namespace Readiness.Web.Summaries;

/// <summary>
/// The JSON the pages' scripts receive: the headline figures under the same keys the server-rendered page uses
/// (data-figure attributes), per-prefecture tile values, phase counts per business, and the municipalities that
/// changed. Built once per change, never per viewer.
/// </summary>
public static class LiveMessages
{
    public static readonly string[] PhaseIds =
        ["not_started", "project_setup", "current_system_survey", "fit_gap", "migration_plan", "procurement", "contract", "build_and_data_migration", "testing", "in_production", "legacy_decommissioned"];

    public static readonly string[] ReasonIds = ["mainframe", "custom_built", "no_standard_product", "vendor_capacity", "other", "unreported"];

    // The reasons' keys made once, not on every headline (issue 14: a headline per prefecture per live message).
    private static readonly string[] ReasonKeys = [.. ReasonIds.Select(reason => $"designatedByReason.{reason}")];

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The headline figures of any level, flat, keyed as the page's data-figure attributes.</summary>
    public static IReadOnlyDictionary<string, double?> Headline(FiguresView f)
    {
        var notAssessed = f.SecurityStatuses.GetValueOrDefault("not_assessed");
        var assessed = f.SecurityApplicableItems - notAssessed;
        var figures = new Dictionary<string, double?>(StringComparer.Ordinal)
        {
            ["municipalities"] = f.Municipalities,
            ["completeMunicipalities"] = f.CompleteMunicipalities,
            ["completeShare"] = Share(f.CompleteMunicipalities, f.Municipalities),
            ["reportedMunicipalities"] = f.ReportedMunicipalities,
            ["staleMunicipalities"] = f.StaleMunicipalities,
            ["staleShare"] = Share(f.StaleMunicipalities, f.Municipalities),
            ["municipalitiesWithDesignation"] = f.MunicipalitiesWithDesignation,
            ["municipalitiesWithOverdue"] = f.MunicipalitiesWithOverdue,
            ["applicableSystems"] = f.ApplicableSystems,
            ["migratedSystems"] = f.MigratedSystems,
            ["migratedShare"] = Share(f.MigratedSystems, f.ApplicableSystems),
            ["progress"] = f.Progress,
            ["stepCompletion"] = f.StepCompletion,
            ["stepCompletionSystems"] = f.StepCompletionSystems,
            ["notApplicableSystems"] = f.NotApplicableSystems,
            ["designatedSystems"] = f.DesignatedSystems,
            ["designatedShare"] = Share(f.DesignatedSystems, f.ApplicableSystems),
            ["designationIncomplete"] = f.DesignationIncomplete,
            ["pastTargetSystems"] = f.PastTargetSystems,
            ["beyondLimitSystems"] = f.BeyondLimitSystems,
            ["overdueSystems"] = f.OverdueSystems,
            ["regressionSystems"] = f.RegressionSystems,
            ["securityScore"] = assessed > 0 ? f.SecurityScore : null,
            ["securityAssessedItems"] = assessed,
            ["securityApplicableItems"] = f.SecurityApplicableItems,
        };
        for (var i = 0; i < ReasonIds.Length; i++)
        {
            figures[ReasonKeys[i]] = f.DesignatedByReason.GetValueOrDefault(ReasonIds[i]);
        }

        return figures;
    }

    /// <summary>Values a prefecture tile is coloured by (0..1 shares, null when there is nothing to measure).</summary>
    /// <remarks>
    /// The four of <see cref="Headline"/>'s figures it needs, worked out as there (progress, designatedShare,
    /// securityScore, staleShare), without making the whole headline: a live message makes one per prefecture (issue 14).
    /// </remarks>
    public static IReadOnlyDictionary<string, double?> TileValues(FiguresView f)
    {
        var assessed = f.SecurityApplicableItems - f.SecurityStatuses.GetValueOrDefault("not_assessed");
        return new Dictionary<string, double?>(4, StringComparer.Ordinal)
        {
            ["progress"] = f.Progress,
            ["designated"] = Share(f.DesignatedSystems, f.ApplicableSystems),
            ["security"] = assessed > 0 ? f.SecurityScore : null,
            ["stale"] = Share(f.StaleMunicipalities, f.Municipalities),
        };
    }

    public static byte[] NationEvent(SummarySnapshot snapshot, string? fromKey, IReadOnlyList<MunicipalityFigures>? changes) =>
        LiveHub.Event("nation", Write(w =>
        {
            var nation = snapshot.Nation;
            w.WriteString("type", "nation");
            w.WriteNumber("version", nation.Version);
            w.WriteString("computedAt", SummarySnapshot.Iso(nation.ComputedAt));
            w.WriteString("asOf", snapshot.AsOfText);
            WriteFigures(w, "figures", Headline(nation.Figures));
            w.WriteStartObject("prefectures");
            foreach (var p in nation.Prefectures)
            {
                w.WriteStartObject(p.Code);
                foreach (var (key, value) in TileValues(p.Figures))
                {
                    WriteNumberOrNull(w, key, value);
                }

                w.WriteNumber("migrated", p.Figures.MigratedSystems);
                w.WriteNumber("applicable", p.Figures.ApplicableSystems);
                w.WriteNumber("designatedSystems", p.Figures.DesignatedSystems);
                w.WriteNumber("staleMunicipalities", p.Figures.StaleMunicipalities);
                w.WriteNumber("municipalities", p.Figures.Municipalities);
                w.WriteNumber("completeMunicipalities", p.Figures.CompleteMunicipalities);
                w.WriteNumber("overdueSystems", p.Figures.OverdueSystems);
                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WriteStartArray("businesses");
            foreach (var b in nation.Figures.Businesses)
            {
                w.WriteStartObject();
                w.WriteString("id", b.Id);
                w.WriteStartArray("counts");
                foreach (var phase in PhaseIds)
                {
                    w.WriteNumberValue(b.Phases.GetValueOrDefault(phase));
                }

                w.WriteNumberValue(b.NotApplicable);
                w.WriteEndArray();
                w.WriteNumber("designated", b.Designated);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartObject("map");
            if (fromKey is null)
            {
                w.WriteNull("from");
            }
            else
            {
                w.WriteString("from", fromKey);
            }

            w.WriteString("to", snapshot.DataKey);
            w.WriteStartArray("changes");
            foreach (var m in changes ?? [])
            {
                WriteMapItem(w, m);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }));

    public static byte[] PrefectureEvent(PrefectureSnapshot prefecture) =>
        LiveHub.Event("prefecture", Write(w =>
        {
            w.WriteString("type", "prefecture");
            w.WriteString("code", prefecture.Code);
            w.WriteNumber("version", prefecture.VersionSum);
            w.WriteString("asOf", prefecture.View.Prefecture.AsOf);
            WriteFigures(w, "figures", Headline(prefecture.View.Prefecture.Figures));
            w.WriteStartArray("rows");
            foreach (var m in prefecture.Rows)
            {
                w.WriteStartObject();
                w.WriteString("code", m.Code);
                w.WriteNumber("version", m.Version);
                WriteNumberOrNull(w, "progress", m.Progress);
                w.WriteNumber("migrated", m.Migrated);
                w.WriteNumber("applicable", m.Applicable);
                w.WriteNumber("designated", m.Designated);
                WriteNumberOrNull(w, "designatedShare", m.DesignatedShare);
                w.WriteNumber("overdue", m.Overdue);
                w.WriteNumber("regression", m.Regression);
                w.WriteBoolean("complete", m.Complete);
                w.WriteBoolean("stale", m.Stale);
                WriteNumberOrNull(w, "security", m.Security);
                if (m.LastReportedAt is { } at)
                {
                    w.WriteString("lastReportedAt", SummarySnapshot.Iso(at));
                }
                else
                {
                    w.WriteNull("lastReportedAt");
                }

                w.WriteString("origin", m.Origin);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }));

    /// <summary>{"key": DataKey, "items": [[code, progress‰, migrated, applicable, designated, security‰, stale, overdue]]}</summary>
    public static byte[] MapData(SummarySnapshot snapshot) => Write(w =>
    {
        w.WriteString("key", snapshot.DataKey);
        w.WriteStartArray("items");
        foreach (var m in snapshot.AllMunicipalities)
        {
            WriteMapItem(w, m);
        }

        w.WriteEndArray();
    });

    private static void WriteMapItem(Utf8JsonWriter w, MunicipalityFigures m)
    {
        w.WriteStartArray();
        w.WriteStringValue(m.Code);
        WritePermille(w, m.Progress);
        w.WriteNumberValue(m.Migrated);
        w.WriteNumberValue(m.Applicable);
        w.WriteNumberValue(m.Designated);
        WritePermille(w, m.Security);
        w.WriteNumberValue(m.Stale ? 1 : 0);
        w.WriteNumberValue(m.Overdue);
        w.WriteEndArray();
    }

    private static void WritePermille(Utf8JsonWriter w, double? value)
    {
        if (value is { } v)
        {
            w.WriteNumberValue((int)Math.Round(v * 1000));
        }
        else
        {
            w.WriteNullValue();
        }
    }

    private static void WriteFigures(Utf8JsonWriter w, string name, IReadOnlyDictionary<string, double?> figures)
    {
        w.WriteStartObject(name);
        foreach (var (key, value) in figures)
        {
            WriteNumberOrNull(w, key, value);
        }

        w.WriteEndObject();
    }

    private static void WriteNumberOrNull(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static double? Share(int part, int whole) => whole == 0 ? null : part / (double)whole;

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
