using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Readiness.LoadTests;

/// <summary>A target from the issue next to what this run measured.</summary>
public sealed record TargetCheck(string Name, string Target, string Measured, bool? Met, string Limit);

public sealed record OperationFigures(string Name, long Requests, double RequestsPerSecond, double P50Ms, double P95Ms, double P99Ms, double MaxMs, long Errors, IReadOnlyDictionary<string, long> Statuses);

public sealed record AuditFigures(long Acknowledged, long Found, long Lost, long AppliedTwice, string Detail)
{
    public long VersionMismatches { get; init; }

    public long CountMismatches { get; init; }

    public bool Passed => Lost == 0 && AppliedTwice == 0 && VersionMismatches == 0 && CountMismatches == 0;
}

public sealed record RunReport(
    string Scenario,
    DateTimeOffset StartedAt,
    double DurationSeconds,
    string Target,
    int Seed,
    string Machine,
    IReadOnlyList<OperationFigures> Operations,
    IReadOnlyList<TargetCheck> Targets,
    IReadOnlyDictionary<string, string> Figures,
    AuditFigures? Audit,
    IReadOnlyList<string> Notes)
{
    /// <summary>Responses with a 5xx status (or no answer at all) over the whole run: the smoke run requires none.</summary>
    public long ServerErrors => Operations.Sum(o => o.Statuses.Where(s => s.Key.StartsWith('5') || s.Key is "network" or "timeout").Sum(s => s.Value));
}

/// <summary>Writes a run as report.json, report.md and SVG charts into the results folder, and a table to the console.</summary>
public static class ReportWriter
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static OperationFigures Figures(OperationStats op) => new(
        op.Name, op.Count, op.RequestsPerSecond, op.Percentile(50), op.Percentile(95), op.Percentile(99), op.MaxMs, op.Errors,
        op.Statuses.ToDictionary(s => s.Key, s => s.Value));

    public static void Write(RunReport report, Recorder recorder, string folder)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "report.json"), JsonSerializer.Serialize(report, Json));
        var charts = new List<(string File, string Title)>();
        foreach (var op in recorder.Operations.Where(o => o.Count > 0))
        {
            var slug = Slug(op.Name);
            var series = op.Series();
            File.WriteAllText(Path.Combine(folder, $"{slug}-latency.svg"), SvgChart.Lines(
                $"{op.Name}: latency per second (ms)", series.Select(s => (double)s.Second).ToArray(),
                [("p50", series.Select(s => s.P50).ToArray(), "#0031d8"), ("p99", series.Select(s => s.P99).ToArray(), "#ec0000")]));
            File.WriteAllText(Path.Combine(folder, $"{slug}-throughput.svg"), SvgChart.Lines(
                $"{op.Name}: requests per second", series.Select(s => (double)s.Second).ToArray(),
                [("req/s", series.Select(s => (double)s.Requests).ToArray(), "#259d63")]));
            charts.Add(($"{slug}-latency.svg", $"{op.Name} latency"));
            charts.Add(($"{slug}-throughput.svg", $"{op.Name} throughput"));
        }

        File.WriteAllText(Path.Combine(folder, "report.md"), Markdown(report, charts));
    }

    public static string Markdown(RunReport report, IEnumerable<(string File, string Title)> charts)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# Load test: {report.Scenario}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- started {report.StartedAt:yyyy-MM-dd HH:mm:ss} UTC, {report.DurationSeconds:F1} s, seed {report.Seed}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- target: {report.Target}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- machine: {report.Machine}");
        md.AppendLine();
        md.AppendLine(Table(report));
        if (report.Targets.Count > 0)
        {
            md.AppendLine("## Targets");
            md.AppendLine();
            md.AppendLine("| figure | target | measured | met | what limits it |");
            md.AppendLine("|---|---|---|---|---|");
            foreach (var t in report.Targets)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| {t.Name} | {t.Target} | {t.Measured} | {(t.Met is null ? "n/a" : t.Met.Value ? "yes" : "**no**")} | {t.Limit} |");
            }

            md.AppendLine();
        }

        if (report.Figures.Count > 0)
        {
            md.AppendLine("## Other figures");
            md.AppendLine();
            foreach (var (k, v) in report.Figures)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"- {k}: {v}");
            }

            md.AppendLine();
        }

        if (report.Audit is { } a)
        {
            md.AppendLine("## Audit");
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"- acknowledged {a.Acknowledged}, found {a.Found}, lost {a.Lost}, applied twice {a.AppliedTwice}: **{(a.Passed ? "passed" : "FAILED")}**");
            md.AppendLine(CultureInfo.InvariantCulture, $"- {a.Detail}");
            md.AppendLine();
        }

        foreach (var note in report.Notes)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"> {note}");
        }

        md.AppendLine();
        foreach (var (file, title) in charts)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"![{title}]({file})");
        }

        return md.ToString();
    }

    public static string Table(RunReport report)
    {
        var t = new StringBuilder();
        t.AppendLine("| operation | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | statuses |");
        t.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var o in report.Operations)
        {
            t.AppendLine(CultureInfo.InvariantCulture,
                $"| {o.Name} | {o.Requests} | {o.RequestsPerSecond:F0} | {o.P50Ms:F1} | {o.P95Ms:F1} | {o.P99Ms:F1} | {o.MaxMs:F1} | {o.Errors} | {string.Join(", ", o.Statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"))} |");
        }

        return t.ToString();
    }

    private static string Slug(string name) => new(name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray());
}

/// <summary>Minimal dependency-free SVG line charts for the report.</summary>
public static class SvgChart
{
    public static string Lines(string title, double[] x, IReadOnlyList<(string Label, double[] Y, string Colour)> series)
    {
        const int W = 720, H = 300, L = 60, R = 20, T = 36, B = 40;
        var maxX = x.Length == 0 ? 1 : Math.Max(1, x.Max());
        var maxY = series.SelectMany(s => s.Y).DefaultIfEmpty(1).Max();
        maxY = maxY <= 0 ? 1 : maxY * 1.1;
        string X(double v) => (L + (v / maxX * (W - L - R))).ToString("F1", CultureInfo.InvariantCulture);
        string Y(double v) => (H - B - (v / maxY * (H - T - B))).ToString("F1", CultureInfo.InvariantCulture);
        var svg = new StringBuilder();
        svg.AppendLine(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" font-family=\"sans-serif\" font-size=\"12\">");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<rect width=\"{W}\" height=\"{H}\" fill=\"#fff\"/><text x=\"{L}\" y=\"20\" font-size=\"14\">{Escape(title)}</text>");
        for (var i = 0; i <= 4; i++)
        {
            var v = maxY * i / 4;
            svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{L}\" x2=\"{W - R}\" y1=\"{Y(v)}\" y2=\"{Y(v)}\" stroke=\"#ddd\"/><text x=\"{L - 6}\" y=\"{Y(v)}\" text-anchor=\"end\" dominant-baseline=\"middle\">{v.ToString(v >= 100 ? "F0" : "F1", CultureInfo.InvariantCulture)}</text>");
        }

        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{(W + L) / 2}\" y=\"{H - 8}\" text-anchor=\"middle\">seconds since start (max {maxX:F0})</text>");
        var legendX = W - R - (series.Count * 90);
        foreach (var (s, i) in series.Select((s, i) => (s, i)))
        {
            var points = string.Join(' ', x.Zip(s.Y, (a, b) => $"{X(a)},{Y(b)}"));
            svg.AppendLine(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{s.Colour}\" stroke-width=\"1.6\" points=\"{points}\"/>");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<rect x=\"{legendX + (i * 90)}\" y=\"10\" width=\"12\" height=\"4\" fill=\"{s.Colour}\"/><text x=\"{legendX + (i * 90) + 16}\" y=\"15\">{Escape(s.Label)}</text>");
        }

        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal);
}
