using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Readiness.Catalog;
using Readiness.Rules;

namespace Readiness.Web.Api.OpenApi;

/// <summary>
/// Examples for every JSON body of the contract. Response examples are made by the product's own code (the public
/// baseline record of 千代田区 131016 and the aggregation of all 1,741 baseline records, at a fixed date, through the
/// same views the API serves), so they cannot drift from the shapes; arrays are cut to two entries to keep the
/// document small. Request examples are written by hand and are accepted by the API as they stand.
/// </summary>
public static class ContractExamples
{
    /// <summary>The example's clock: fixed, so the document is the same on every start.</summary>
    public static readonly DateTimeOffset At = new(2026, 1, 15, 0, 0, 0, TimeSpan.Zero);

    private const string Chiyoda = "131016";
    private const int MaxArrayItems = 2;

    private static readonly Lazy<Dictionary<string, JsonNode>> Responses = new(BuildResponses);

    /// <summary>The example for a component schema's body, or null when the schema is not a body of its own.</summary>
    public static JsonNode? ForSchema(string schemaId) => schemaId switch
    {
        "SystemReport" => JsonNode.Parse("""
            {"phase":"in_production","plannedGoLive":"2026-03-01","vendor":"株式会社サンプル","hosting":"government_cloud","notApplicable":false,"designated":false,"designationReason":null,"designationTarget":null,"regressionReason":null}
            """),
        "SecurityReport" => JsonNode.Parse("""
            {"status":"implemented","evidence":"情報セキュリティポリシー第3版（2025-10 改定）","lastReviewed":"2025-12-01"}
            """),
        "MunicipalityReport" => JsonNode.Parse("""
            {"systems":[{"businessId":"koseki","phase":"in_production","plannedGoLive":"2026-03-01","vendor":"株式会社サンプル","hosting":"government_cloud"}],
             "security":[{"itemId":"SEC-1-01","status":"implemented","lastReviewed":"2025-12-01"}]}
            """),
        _ => Responses.Value.TryGetValue(schemaId, out var node) ? node.DeepClone() : null,
    };

    private static Dictionary<string, JsonNode> BuildResponses()
    {
        var catalog = ReadinessCatalog.Instance;
        var today = ReadinessRules.TodayInJapan(At);
        var records = catalog.Municipalities.Select(m => Baseline.Create(m.Code, At)).ToDictionary(r => r.Code, StringComparer.Ordinal);
        var summaries = records.Values.Select(r => ReadinessRules.Summary(r, today)).ToList();
        var byPrefecture = summaries.GroupBy(s => catalog.MunicipalitiesByCode[s.Code].PrefectureCode, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(s => s.Code, StringComparer.Ordinal).ToImmutableArray(), StringComparer.Ordinal);
        var prefectures = byPrefecture.Select(p => Aggregation.Prefecture(p.Key, p.Value, today, At)).ToList();
        var nation = Aggregation.Nation(prefectures, At);
        var tokyo = prefectures.Single(p => p.PrefectureCode == "13");

        var municipality = Views.Municipality(records[Chiyoda], [], today);
        var change = new AuditEntryView(1, At, "tanaka@city.chiyoda", "municipality", Chiyoda, "system:koseki",
            new Dictionary<string, object?> { ["phase"] = "testing" },
            new Dictionary<string, object?> { ["phase"] = "in_production", ["vendor"] = "株式会社サンプル", ["hosting"] = "government_cloud" }, "5f0c8f0e-8a8e-4f7b-9d55-2f1f6c3a9b10", "192.0.2.10", false);
        var nationView = Views.Nation(nation, Views.Sources);
        var listItems = nation.Prefectures.Select(Views.PrefectureSummary).ToList();
        var views = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["CatalogView"] = ReadApi.Catalog,
            ["NationView"] = nationView,
            ["PrefectureListView"] = new PrefectureListView(nation.VersionSum, nation.ComputedAt, listItems.Count, listItems),
            ["PrefectureView"] = Views.Prefecture(new PrefectureDetail(tokyo, byPrefecture["13"])),
            ["MunicipalityView"] = municipality,
            ["ReportResultView"] = new ReportResultView("accepted", change.RequestId, 1, [change], municipality, false, SavedNotice.Ja(1, false), SavedNotice.En(1, false)),
            ["HistoryView"] = new HistoryView(Chiyoda, 1, 1, AuditApi.DefaultLimit, [change], null),
            ["NationHistoryView"] = new NationHistoryView(Day(today), Day(today), [new DailySnapshotView(Day(today), nationView)]),
        };

        var json = new JsonSerializerOptions();
        ApiServices.ConfigureJson(json);
        return views.ToDictionary(v => v.Key, v => Trim(JsonSerializer.SerializeToNode(v.Value, v.Value.GetType(), json)!), StringComparer.Ordinal);
    }

    private static JsonNode Trim(JsonNode node)
    {
        switch (node)
        {
            case JsonArray array:
                while (array.Count > MaxArrayItems)
                {
                    array.RemoveAt(array.Count - 1);
                }

                foreach (var item in array)
                {
                    if (item is not null)
                    {
                        Trim(item);
                    }
                }

                break;
            case JsonObject obj:
                foreach (var (_, value) in obj)
                {
                    if (value is not null)
                    {
                        Trim(value);
                    }
                }

                break;
        }

        return node;
    }

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
