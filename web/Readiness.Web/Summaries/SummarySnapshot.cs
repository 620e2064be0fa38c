using System.Collections.Frozen;
using System.Globalization;
using System.IO.Compression;
using Readiness.Web.Api;

namespace Readiness.Web.Summaries;

/// <summary>The figures of one municipality that the map, the prefecture table and live updates show.</summary>
public sealed record MunicipalityFigures(
    string Code,
    string Name,
    string Kana,
    string Kind,
    int Population,
    long Version,
    DateTimeOffset? LastReportedAt,
    string Origin,
    int Applicable,
    int Migrated,
    double? Progress,
    int Designated,
    int DesignationIncomplete,
    int Overdue,
    int PastTarget,
    int Regression,
    bool Complete,
    bool Stale,
    double? Security,
    int SecurityAssessed)
{
    public double? DesignatedShare => Applicable == 0 ? null : Designated / (double)Applicable;

    public static MunicipalityFigures From(MunicipalitySummaryView m)
    {
        var f = m.Figures;
        var notAssessed = f.SecurityStatuses.GetValueOrDefault("not_assessed");
        var assessed = f.SecurityApplicableItems - notAssessed;
        return new MunicipalityFigures(
            m.Code, m.Name, m.Kana, m.Kind, m.Population, m.Version, m.LastReportedAt, m.Origin,
            f.ApplicableSystems, f.MigratedSystems, f.Progress, f.DesignatedSystems, f.DesignationIncomplete, f.OverdueSystems,
            f.PastTargetSystems, f.RegressionSystems, f.CompleteMunicipalities > 0, f.StaleMunicipalities > 0,
            assessed > 0 ? f.SecurityScore : null, assessed);
    }
}

/// <summary>
/// One prefecture as the cache holds it: the API's view, its JSON response (serialized and compressed once, on first
/// request), its SSE event and the compact rows of its municipalities. Kept across snapshots while it does not change.
/// </summary>
public sealed class PrefectureSnapshot
{
    public PrefectureSnapshot(PrefectureView view, long versionSum, DateOnly asOf, DateTimeOffset computedAt, SummarySerializer serializer, Func<MunicipalitySummaryView, MunicipalityFigures>? row = null)
    {
        View = view;
        VersionSum = versionSum;
        AsOf = asOf;
        ComputedAt = computedAt;
        Rows = view.Items.Select(row ?? MunicipalityFigures.From).ToList();
        eventBytes = new Lazy<byte[]>(() => LiveMessages.PrefectureEvent(this));
        response = new Lazy<CompressedPayload>(() => serializer.Response(View, SummarySerializer.ETag(VersionSum, ComputedAt)));
    }

    private readonly Lazy<byte[]> eventBytes;
    private readonly Lazy<CompressedPayload> response;

    /// <summary>The prefecture's whole state as one SSE event, built once and shared by every viewer.</summary>
    public byte[] Event => eventBytes.Value;

    /// <summary>GET /api/v1/prefectures/{code}: the <see cref="View"/> as JSON, ETag = version sum and computation time.</summary>
    public CompressedPayload Response => response.Value;

    public PrefectureView View { get; }

    public long VersionSum { get; }

    public DateOnly AsOf { get; }

    /// <summary>When the prefecture grain computed the figures (a new day re-computes flags without a new version).</summary>
    public DateTimeOffset ComputedAt { get; }

    public IReadOnlyList<MunicipalityFigures> Rows { get; }

    public string Code => View.Prefecture.Code;
}

/// <summary>
/// The nation's API responses at one version: GET /api/v1/nation and GET /api/v1/prefectures, each serialized and
/// compressed once on first request. Shared by consecutive snapshots while the nation does not change.
/// </summary>
public sealed class NationResponses
{
    private readonly Lazy<CompressedPayload> nation;
    private readonly Lazy<CompressedPayload> prefectures;

    public NationResponses(NationView view, NationSummary summary, SummarySerializer serializer)
    {
        View = view;
        Summary = summary;
        var etag = SummarySerializer.ETag(view.Version, view.ComputedAt, view.Sources);
        nation = new Lazy<CompressedPayload>(() => serializer.Response(view, etag));
        prefectures = new Lazy<CompressedPayload>(() =>
        {
            var items = view.Prefectures.OrderBy(p => p.Code, StringComparer.Ordinal).ToList();
            return serializer.Response(new PrefectureListView(view.Version, view.ComputedAt, items.Count, items), etag);
        });
    }

    public NationView View { get; }

    /// <summary>The nation grain's figures <see cref="View"/> was made from: today's point of the trend chart.</summary>
    public NationSummary Summary { get; }

    public CompressedPayload Nation => nation.Value;

    public CompressedPayload Prefectures => prefectures.Value;
}

/// <summary>
/// An immutable picture of the nation and every prefecture, replaced as a whole whenever something changes: the one
/// source of summaries for the API (nation, prefecture list, prefecture), the pages, the map data and the live stream.
/// </summary>
public sealed class SummarySnapshot
{
    private readonly Lazy<CompressedPayload> mapData;

    public SummarySnapshot(long generation, NationResponses nation, FrozenDictionary<string, PrefectureSnapshot> prefectures, DateTimeOffset refreshedAt)
    {
        Generation = generation;
        NationResponses = nation;
        Nation = nation.View;
        Prefectures = prefectures;
        RefreshedAt = refreshedAt;
        var versions = prefectures.Values.Sum(p => p.VersionSum);
        var day = prefectures.Values.Select(p => p.AsOf).DefaultIfEmpty().Max();
        DataKey = $"{versions}-{day:yyyyMMdd}";
        SyntheticMunicipalities = prefectures.Values.Sum(p => p.Rows.Count(r => r.Origin == "synthetic"));
        mapData = new Lazy<CompressedPayload>(() => new CompressedPayload(LiveMessages.MapData(this), SummarySerializer.JsonContentType, $"\"{DataKey}\"", CompressionLevel.SmallestSize));
        nationEvent = new Lazy<byte[]>(() => LiveMessages.NationEvent(this, null, null));
    }

    private readonly Lazy<byte[]> nationEvent;

    /// <summary>The nation's state without municipality changes: the first event a new viewer receives.</summary>
    public byte[] NationEvent => nationEvent.Value;

    public long Generation { get; }

    public NationView Nation { get; }

    /// <summary>The API's nation and prefecture-list responses for <see cref="Nation"/>.</summary>
    public NationResponses NationResponses { get; }

    public FrozenDictionary<string, PrefectureSnapshot> Prefectures { get; }

    public DateTimeOffset RefreshedAt { get; }

    /// <summary>Identifies the municipality data the snapshot holds; equal on every web node for equal data.</summary>
    public string DataKey { get; }

    public int SyntheticMunicipalities { get; }

    public CompressedPayload MapData => mapData.Value;

    public IEnumerable<MunicipalityFigures> AllMunicipalities => Prefectures.Values.OrderBy(p => p.Code, StringComparer.Ordinal).SelectMany(p => p.Rows);

    public string AsOfText => Nation.Prefectures.Select(p => p.AsOf).DefaultIfEmpty(string.Empty).Max() ?? string.Empty;

    public static string Iso(DateTimeOffset value) => value.ToString("O", CultureInfo.InvariantCulture);
}
