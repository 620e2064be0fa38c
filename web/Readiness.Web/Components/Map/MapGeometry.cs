using System.Globalization;
using System.Text;

namespace Readiness.Web.Components.Map;

/// <summary>One municipality's outline as a compact SVG path in the layer's integer coordinates.</summary>
public sealed record MapShape(string Code, string Name, string PrefectureCode, string Path);

/// <summary>A framed box that holds areas moved from their true place (Okinawa, the Ogasawara islands).</summary>
public sealed record MapInset(int X, int Y, int Width, int Height, string LabelJa, string LabelEn);

/// <summary>A ready-to-draw map: every shape's path, the prefecture borders, the Northern Territories, the insets.</summary>
public sealed record MapLayer(
    int Width,
    int Height,
    IReadOnlyList<MapShape> Shapes,
    string HoppoPath,
    string BordersPath,
    IReadOnlyList<MapInset> Insets,
    IReadOnlyList<string> OutsideCodes);

/// <summary>
/// Turns the TopoJSON into small layers once: Mercator, insets, topology-preserving simplification (each shared arc is
/// simplified once, so neighbours keep one common border) and relative integer SVG paths (1,741 shapes in ~50 KB gzip).
/// </summary>
public sealed class MapGeometry
{
    private const string OgasawaraCode5 = "13421";
    private const string OkinawaPrefecture = "47";
    private readonly Topology topology;
    private readonly double[][] nationArcs;
    private readonly List<MapInsetBox> insetBoxes = [];

    public MapGeometry(Topology topology)
    {
        this.topology = topology;
        nationArcs = PlaceInsets();
    }

    /// <summary>The whole country for the overview: 2,000 units wide, simplified to about one unit.</summary>
    public MapLayer Nation(int width = 2000, double tolerance = 1.0)
    {
        var areas = topology.Areas;
        var bounds = Bounds.Empty;
        foreach (var a in areas)
        {
            bounds = bounds.Union(AreaBounds(a, nationArcs));
        }

        foreach (var box in insetBoxes)
        {
            bounds = bounds.Union(box.Bounds);
        }

        var frame = new Frame(bounds.Pad(0.2), width);
        var arcs = Simplify(nationArcs, areas, frame, tolerance);
        var insets = insetBoxes.Select(b =>
        {
            var (x0, y0) = frame.Project(b.Bounds.MinX, b.Bounds.MinY);
            var (x1, y1) = frame.Project(b.Bounds.MaxX, b.Bounds.MaxY);
            return new MapInset((int)Math.Round(x0), (int)Math.Round(y0), (int)Math.Round(x1 - x0), (int)Math.Round(y1 - y0), b.LabelJa, b.LabelEn);
        }).ToList();
        return Build(areas, arcs, frame, insets, [], withBorders: true);
    }

    /// <summary>
    /// One prefecture at its true place, fitted into a 1,000-unit box. Remote islands far from the prefecture's core
    /// (Tsushima, the Izu and Ogasawara islands, Miyako and Yaeyama, ...) would shrink the rest to dots, so municipalities
    /// whose centre is beyond three times the median distance from the core stay in the table and are named as outside.
    /// </summary>
    public MapLayer Prefecture(string prefectureCode, int size = 1000, double tolerance = 0.6)
    {
        var areas = topology.Areas.Where(a => a.PrefectureCode == prefectureCode).ToList();
        if (areas.Count == 0)
        {
            throw new ArgumentException($"No map areas for prefecture {prefectureCode}.", nameof(prefectureCode));
        }

        var arcs = topology.Arcs.Select(a => a).ToArray();
        var municipal = areas.Where(a => !a.IsHoppo).ToList();
        var centres = municipal.Select(a => (Area: a, Centre: AreaBounds(a, arcs).Centre)).ToList();
        var medianX = Median(centres.Select(c => c.Centre.X));
        var medianY = Median(centres.Select(c => c.Centre.Y));
        var distances = centres.Select(c => Distance(c.Centre, (medianX, medianY))).ToList();
        var limit = Math.Max(3 * Median(distances), 0.6);
        var inside = centres.Where((c, i) => distances[i] <= limit).Select(c => c.Area).ToList();
        var outside = centres.Where((c, i) => distances[i] > limit).Select(c => c.Area.Code6).ToList();

        var bounds = Bounds.Empty;
        foreach (var a in inside.Concat(areas.Where(a => a.IsHoppo)))
        {
            bounds = bounds.Union(AreaBounds(a, arcs));
        }

        var pad = Math.Max(bounds.Width, bounds.Height) * 0.02;
        var padded = bounds.Pad(pad);
        var frame = new Frame(padded, padded.Width >= padded.Height ? size : (int)Math.Round(size * padded.Width / padded.Height));
        var drawn = inside.Concat(areas.Where(a => a.IsHoppo)).ToList();
        var simplified = Simplify(arcs, drawn, frame, tolerance);
        return Build(drawn, simplified, frame, [], outside, withBorders: false);
    }

    private MapLayer Build(IReadOnlyList<TopoArea> areas, int[]?[] arcs, Frame frame, IReadOnlyList<MapInset> insets, IReadOnlyList<string> outside, bool withBorders)
    {
        var shapes = new List<MapShape>();
        var hoppo = new StringBuilder();
        foreach (var area in areas)
        {
            var path = new StringBuilder();
            foreach (var ring in area.Rings)
            {
                AppendRing(path, ring, arcs);
            }

            if (path.Length == 0)
            {
                // An island smaller than the tolerance: a tiny square keeps it visible and hoverable.
                var b = AreaBounds(area, topology.Arcs);
                var (x, y) = frame.Project(b.Centre.X, b.Centre.Y);
                path.Append(CultureInfo.InvariantCulture, $"M{(int)Math.Round(x) - 1} {(int)Math.Round(y) - 1}h3v3h-3z");
            }

            if (area.IsHoppo)
            {
                hoppo.Append(path);
            }
            else
            {
                shapes.Add(new MapShape(area.Code6, area.Name, area.PrefectureCode, path.ToString()));
            }
        }

        var borders = new StringBuilder();
        if (withBorders)
        {
            // Arcs between two municipalities of different prefectures are prefecture borders.
            var owners = new Dictionary<int, string>();
            var crossing = new HashSet<int>();
            foreach (var area in areas.Where(a => !a.IsHoppo))
            {
                foreach (var index in area.Rings.SelectMany(r => r).Select(i => i >= 0 ? i : ~i))
                {
                    if (owners.TryGetValue(index, out var other))
                    {
                        if (other != area.PrefectureCode)
                        {
                            crossing.Add(index);
                        }
                    }
                    else
                    {
                        owners[index] = area.PrefectureCode;
                    }
                }
            }

            foreach (var index in crossing.Order())
            {
                if (arcs[index] is { Length: >= 4 } points)
                {
                    AppendPolyline(borders, points, 0, points.Length / 2, close: false);
                }
            }
        }

        return new MapLayer((int)Math.Ceiling(frame.Width), (int)Math.Ceiling(frame.Height), shapes, hoppo.ToString(), borders.ToString(), insets, outside);
    }

    private static void AppendRing(StringBuilder path, int[] ring, int[]?[] arcs)
    {
        var points = new List<int>();
        foreach (var reference in ring)
        {
            var arc = arcs[reference >= 0 ? reference : ~reference];
            if (arc is null)
            {
                continue;
            }

            var count = arc.Length / 2;
            for (var k = 0; k < count; k++)
            {
                var j = reference >= 0 ? k : count - 1 - k;
                var x = arc[2 * j];
                var y = arc[(2 * j) + 1];
                if (points.Count >= 2 && points[^2] == x && points[^1] == y)
                {
                    continue;
                }

                points.Add(x);
                points.Add(y);
            }
        }

        if (points.Count >= 4 && points[0] == points[^2] && points[1] == points[^1])
        {
            points.RemoveRange(points.Count - 2, 2);
        }

        var distinct = new HashSet<(int, int)>();
        for (var i = 0; i < points.Count; i += 2)
        {
            distinct.Add((points[i], points[i + 1]));
        }

        if (distinct.Count >= 3)
        {
            AppendPolyline(path, points.ToArray(), 0, points.Count / 2, close: true);
        }
    }

    private static void AppendPolyline(StringBuilder path, int[] points, int start, int count, bool close)
    {
        path.Append('M').Append(points[2 * start]).Append(' ').Append(points[(2 * start) + 1]);
        if (count > 1)
        {
            path.Append('l');
        }

        for (var i = start + 1; i < start + count; i++)
        {
            var dx = points[2 * i] - points[2 * (i - 1)];
            var dy = points[(2 * i) + 1] - points[(2 * (i - 1)) + 1];
            if (i > start + 1 && dx >= 0)
            {
                path.Append(' ');
            }

            path.Append(dx);
            if (dy >= 0)
            {
                path.Append(' ');
            }

            path.Append(dy);
        }

        if (close)
        {
            path.Append('z');
        }
    }

    /// <summary>Projects and simplifies only the arcs the areas use (Douglas-Peucker per arc, ends kept).</summary>
    private static int[]?[] Simplify(double[][] arcs, IEnumerable<TopoArea> areas, Frame frame, double tolerance)
    {
        var result = new int[]?[arcs.Length];
        foreach (var index in areas.SelectMany(a => a.Rings).SelectMany(r => r).Select(i => i >= 0 ? i : ~i).Distinct())
        {
            var source = arcs[index];
            var n = source.Length / 2;
            var projected = new double[source.Length];
            for (var i = 0; i < n; i++)
            {
                var (x, y) = frame.Project(source[2 * i], source[(2 * i) + 1]);
                projected[2 * i] = x;
                projected[(2 * i) + 1] = y;
            }

            var keep = new bool[n];
            keep[0] = keep[n - 1] = true;
            var closed = n > 3 && source[0] == source[^2] && source[1] == source[^1];
            if (closed)
            {
                // A closed arc (an island) is split at its farthest point, so it never collapses to a line.
                var far = 0;
                var best = -1.0;
                for (var i = 1; i < n - 1; i++)
                {
                    var d = Math.Pow(projected[2 * i] - projected[0], 2) + Math.Pow(projected[(2 * i) + 1] - projected[1], 2);
                    if (d > best)
                    {
                        best = d;
                        far = i;
                    }
                }

                keep[far] = true;
                DouglasPeucker(projected, 0, far, tolerance, keep);
                DouglasPeucker(projected, far, n - 1, tolerance, keep);
            }
            else
            {
                DouglasPeucker(projected, 0, n - 1, tolerance, keep);
            }

            var points = new List<int>();
            for (var i = 0; i < n; i++)
            {
                if (!keep[i])
                {
                    continue;
                }

                var x = (int)Math.Round(projected[2 * i]);
                var y = (int)Math.Round(projected[(2 * i) + 1]);
                if (points.Count >= 2 && points[^2] == x && points[^1] == y)
                {
                    continue;
                }

                points.Add(x);
                points.Add(y);
            }

            result[index] = points.ToArray();
        }

        return result;
    }

    private static void DouglasPeucker(double[] p, int first, int last, double tolerance, bool[] keep)
    {
        var stack = new Stack<(int, int)>();
        stack.Push((first, last));
        while (stack.Count > 0)
        {
            var (i, j) = stack.Pop();
            if (j <= i + 1)
            {
                continue;
            }

            double ax = p[2 * i], ay = p[(2 * i) + 1], bx = p[2 * j], by = p[(2 * j) + 1];
            double dx = bx - ax, dy = by - ay;
            var length = Math.Sqrt((dx * dx) + (dy * dy));
            var best = -1.0;
            var at = -1;
            for (var m = i + 1; m < j; m++)
            {
                double px = p[2 * m], py = p[(2 * m) + 1];
                var d = length > 0
                    ? Math.Abs((dx * (ay - py)) - (dy * (ax - px))) / length
                    : Math.Sqrt(((px - ax) * (px - ax)) + ((py - ay) * (py - ay)));
                if (d > best)
                {
                    best = d;
                    at = m;
                }
            }

            if (best > tolerance)
            {
                keep[at] = true;
                stack.Push((i, at));
                stack.Push((at, j));
            }
        }
    }

    /// <summary>
    /// Okinawa goes to a box in the empty sea at the top left, the Ogasawara islands (with Minamitorishima pulled in
    /// beside them) to a box at the bottom right: the usual layout of a national map of Japan.
    /// </summary>
    private double[][] PlaceInsets()
    {
        var arcs = topology.Arcs.Select(a => (double[])a.Clone()).ToArray();
        var okinawa = topology.Areas.Where(a => a.PrefectureCode == OkinawaPrefecture).ToList();
        var ogasawara = topology.Areas.Where(a => a.Code5 == OgasawaraCode5).ToList();
        var moved = okinawa.Concat(ogasawara).ToHashSet();
        var main = Bounds.Empty;
        foreach (var a in topology.Areas.Where(a => !moved.Contains(a)))
        {
            main = main.Union(AreaBounds(a, arcs));
        }

        // Minamitorishima (about 154°E) beside the rest of the Ogasawara islands.
        var ogasawaraArcs = ArcsOf(ogasawara);
        var far = ogasawaraArcs.Where(i => Enumerable.Range(0, arcs[i].Length / 2).All(k => arcs[i][2 * k] > 150)).ToList();
        var nearBounds = Bounds.Empty;
        foreach (var i in ogasawaraArcs.Except(far))
        {
            nearBounds = nearBounds.Union(Bounds.Of(arcs[i]));
        }

        var farBounds = Bounds.Empty;
        foreach (var i in far)
        {
            farBounds = farBounds.Union(Bounds.Of(arcs[i]));
        }

        if (far.Count > 0)
        {
            Shift(arcs, far, nearBounds.MaxX + 0.5 - farBounds.MinX, 0);
        }

        var okinawaBounds = Bounds.Of(arcs, ArcsOf(okinawa));
        var okinawaShift = (X: main.MinX + 0.3 - okinawaBounds.MinX, Y: main.MinY + 0.3 - okinawaBounds.MinY);
        Shift(arcs, ArcsOf(okinawa), okinawaShift.X, okinawaShift.Y);
        insetBoxes.Add(new MapInsetBox(Bounds.Of(arcs, ArcsOf(okinawa)).Pad(0.25), "沖縄県", "Okinawa"));

        var ogasawaraBounds = Bounds.Of(arcs, ogasawaraArcs);
        Shift(arcs, ogasawaraArcs, main.MaxX - 0.3 - ogasawaraBounds.MaxX, main.MaxY - 0.3 - ogasawaraBounds.MaxY);
        insetBoxes.Add(new MapInsetBox(Bounds.Of(arcs, ogasawaraArcs).Pad(0.25), "小笠原村", "Ogasawara"));
        return arcs;
    }

    private static HashSet<int> ArcsOf(IEnumerable<TopoArea> areas) =>
        areas.SelectMany(a => a.Rings).SelectMany(r => r).Select(i => i >= 0 ? i : ~i).ToHashSet();

    private static void Shift(double[][] arcs, IEnumerable<int> indices, double dx, double dy)
    {
        foreach (var i in indices)
        {
            for (var k = 0; k < arcs[i].Length; k += 2)
            {
                arcs[i][k] += dx;
                arcs[i][k + 1] += dy;
            }
        }
    }

    private static Bounds AreaBounds(TopoArea area, IReadOnlyList<double[]> arcs) => Bounds.Of(arcs, ArcsOf([area]));

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? 0 : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static double Distance((double X, double Y) a, (double X, double Y) b) => Math.Sqrt(Math.Pow(a.X - b.X, 2) + Math.Pow(a.Y - b.Y, 2));

    private sealed record MapInsetBox(Bounds Bounds, string LabelJa, string LabelEn);

    /// <summary>Maps Mercator degrees to layer units: the bounds' top left at 0,0, the given width.</summary>
    private sealed class Frame(Bounds bounds, int width)
    {
        private readonly double scale = width / bounds.Width;

        public double Width => width;

        public double Height => bounds.Height * scale;

        public (double X, double Y) Project(double x, double y) => ((x - bounds.MinX) * scale, (y - bounds.MinY) * scale);
    }

    private readonly record struct Bounds(double MinX, double MinY, double MaxX, double MaxY)
    {
        public static Bounds Empty => new(double.MaxValue, double.MaxValue, double.MinValue, double.MinValue);

        public double Width => MaxX - MinX;

        public double Height => MaxY - MinY;

        public (double X, double Y) Centre => ((MinX + MaxX) / 2, (MinY + MaxY) / 2);

        public Bounds Union(Bounds o) => new(Math.Min(MinX, o.MinX), Math.Min(MinY, o.MinY), Math.Max(MaxX, o.MaxX), Math.Max(MaxY, o.MaxY));

        public Bounds Pad(double d) => new(MinX - d, MinY - d, MaxX + d, MaxY + d);

        public static Bounds Of(double[] arc)
        {
            var b = Empty;
            for (var k = 0; k < arc.Length; k += 2)
            {
                b = new Bounds(Math.Min(b.MinX, arc[k]), Math.Min(b.MinY, arc[k + 1]), Math.Max(b.MaxX, arc[k]), Math.Max(b.MaxY, arc[k + 1]));
            }

            return b;
        }

        public static Bounds Of(IReadOnlyList<double[]> arcs, IEnumerable<int> indices)
        {
            var b = Empty;
            foreach (var i in indices)
            {
                b = b.Union(Of(arcs[i]));
            }

            return b;
        }
    }
}
