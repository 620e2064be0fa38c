using System.Collections.Concurrent;
using System.Text.Encodings.Web;
using System.Text.Json;
using Readiness.Catalog;
using Readiness.Web.Summaries;

namespace Readiness.Web.Components.Map;

/// <summary>
/// The map layers as compressed JSON, built once per process on first use (the TopoJSON is parsed once) and served
/// from <c>/map/{layer}.json?v={hash}</c> as immutable, so a browser fetches the geometry once.
/// </summary>
public sealed class MapAssets
{
    public const string Attribution = "「国土数値情報（行政区域データ）」（国土交通省）を加工して作成";
    public const string AttributionNote = "CC BY 4.0、デジタル庁 policy-dashboard-assets 経由";
    public const string AttributionNoteEn = "CC BY 4.0, via the Digital Agency's policy-dashboard-assets";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly Lazy<MapGeometry> geometry = new(() => new MapGeometry(Topology.LoadEmbedded()), LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly ConcurrentDictionary<string, Lazy<(MapLayer Layer, CompressedPayload Payload)>> layers = new(StringComparer.Ordinal);

    public const string NationLayer = "japan";

    public static string PrefectureLayer(string code) => $"pref-{code}";

    public static bool IsLayer(string name) =>
        name == NationLayer || (name.StartsWith("pref-", StringComparison.Ordinal) && ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(name[5..]));

    public MapLayer Layer(string name) => Get(name).Layer;

    public CompressedPayload Payload(string name) => Get(name).Payload;

    /// <summary>The versioned URL of a layer, safe to cache for a year.</summary>
    public string Url(string name) => $"/map/{name}.json?v={Payload(name).Version}";

    private (MapLayer Layer, CompressedPayload Payload) Get(string name) =>
        layers.GetOrAdd(name, n => new Lazy<(MapLayer, CompressedPayload)>(() =>
        {
            var layer = n == NationLayer ? geometry.Value.Nation() : geometry.Value.Prefecture(n[5..]);
            var payload = new CompressedPayload(Serialize(layer), "application/json; charset=utf-8");
            _ = payload.BrotliLength;
            _ = payload.GzipLength;
            return (layer, payload);
        }, LazyThreadSafetyMode.ExecutionAndPublication)).Value;

    /// <summary>{"w","h","shapes":[[code,name,pref,path]],"hoppo","borders","insets":[[x,y,w,h,ja,en]],"outside":[code]}</summary>
    private static byte[] Serialize(MapLayer layer)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteNumber("w", layer.Width);
            w.WriteNumber("h", layer.Height);
            w.WriteStartArray("shapes");
            foreach (var s in layer.Shapes)
            {
                w.WriteStartArray();
                w.WriteStringValue(s.Code);
                w.WriteStringValue(s.Name);
                w.WriteStringValue(s.PrefectureCode);
                w.WriteStringValue(s.Path);
                w.WriteEndArray();
            }

            w.WriteEndArray();
            w.WriteString("hoppo", layer.HoppoPath);
            w.WriteString("borders", layer.BordersPath);
            w.WriteStartArray("insets");
            foreach (var i in layer.Insets)
            {
                w.WriteStartArray();
                w.WriteNumberValue(i.X);
                w.WriteNumberValue(i.Y);
                w.WriteNumberValue(i.Width);
                w.WriteNumberValue(i.Height);
                w.WriteStringValue(i.LabelJa);
                w.WriteStringValue(i.LabelEn);
                w.WriteEndArray();
            }

            w.WriteEndArray();
            w.WriteStartArray("outside");
            foreach (var code in layer.OutsideCodes)
            {
                w.WriteStringValue(code);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
