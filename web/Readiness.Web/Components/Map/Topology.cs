using System.Text.Json;

namespace Readiness.Web.Components.Map;

/// <summary>One area of the TopoJSON: its rings as arc references (a negative index ~i means arc i reversed).</summary>
public sealed record TopoArea(string Code5, string Code6, string Name, string PrefectureCode, bool IsHoppo, IReadOnlyList<int[]> Rings);

/// <summary>
/// The municipality TopoJSON decoded into Mercator coordinates (degrees of longitude; y grows southwards, as on screen).
/// Arcs stay shared between neighbouring areas, so simplifying an arc once keeps both sides of a border identical.
/// </summary>
public sealed class Topology
{
    public const string ResourceName = "Readiness.Web.Map.ja_municipality_area.topojson";

    private Topology(List<double[]> arcs, List<TopoArea> areas)
    {
        Arcs = arcs;
        Areas = areas;
    }

    /// <summary>Each arc as x0, y0, x1, y1, ...</summary>
    public IReadOnlyList<double[]> Arcs { get; }

    public IReadOnlyList<TopoArea> Areas { get; }

    public static Topology LoadEmbedded()
    {
        using var stream = typeof(Topology).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The map resource {ResourceName} is missing from the web assembly.");
        return Parse(stream);
    }

    public static Topology Parse(Stream stream)
    {
        using var doc = JsonDocument.Parse(stream);
        var root = doc.RootElement;
        var transform = root.GetProperty("transform");
        var scale = transform.GetProperty("scale");
        var translate = transform.GetProperty("translate");
        double sx = scale[0].GetDouble(), sy = scale[1].GetDouble(), tx = translate[0].GetDouble(), ty = translate[1].GetDouble();

        var arcs = new List<double[]>();
        foreach (var arc in root.GetProperty("arcs").EnumerateArray())
        {
            var points = new double[arc.GetArrayLength() * 2];
            long qx = 0, qy = 0;
            var i = 0;
            foreach (var delta in arc.EnumerateArray())
            {
                qx += delta[0].GetInt64();
                qy += delta[1].GetInt64();
                points[i++] = (qx * sx) + tx;
                points[i++] = MercatorY((qy * sy) + ty);
            }

            arcs.Add(points);
        }

        var areas = new List<TopoArea>();
        foreach (var collection in root.GetProperty("objects").EnumerateObject())
        {
            foreach (var g in collection.Value.GetProperty("geometries").EnumerateArray())
            {
                var rings = new List<int[]>();
                var type = g.GetProperty("type").GetString();
                var arcsOf = g.GetProperty("arcs");
                if (type == "Polygon")
                {
                    AddRings(arcsOf, rings);
                }
                else if (type == "MultiPolygon")
                {
                    foreach (var polygon in arcsOf.EnumerateArray())
                    {
                        AddRings(polygon, rings);
                    }
                }

                var p = g.GetProperty("properties");
                areas.Add(new TopoArea(
                    g.GetProperty("id").GetString()!,
                    p.GetProperty("lg_code").GetString()!,
                    p.GetProperty("city_name").GetString()!,
                    p.GetProperty("prefecture_code").GetString()!,
                    p.TryGetProperty("is_hoppo_city", out var hoppo) && hoppo.ValueKind == JsonValueKind.True,
                    rings));
            }
        }

        return new Topology(arcs, areas);
    }

    /// <summary>Mercator y in degrees, negated so that north is up on screen.</summary>
    public static double MercatorY(double latitude) =>
        -Math.Log(Math.Tan((Math.PI / 4) + (latitude * Math.PI / 360))) * 180 / Math.PI;

    private static void AddRings(JsonElement polygon, List<int[]> rings)
    {
        foreach (var ring in polygon.EnumerateArray())
        {
            rings.Add(ring.EnumerateArray().Select(a => a.GetInt32()).ToArray());
        }
    }
}
