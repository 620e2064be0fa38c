namespace Readiness.Catalog;

/// <summary>Kinds of municipality as the MIC code list distinguishes them.</summary>
public enum MunicipalityKind
{
    DesignatedCity,
    City,
    Town,
    Village,
    SpecialWard,
}

public sealed record MunicipalityInfo(
    string Code,
    string PrefectureCode,
    string Name,
    string Kana,
    MunicipalityKind Kind,
    int Population);

public sealed record PrefectureInfo(string Code, string Name, string NameEn, string Region, int TileCol, int TileRow);

public sealed record BusinessSystemInfo(int SeiriNo, string Id, string NameJa, string NameEn, string SoumuLabel);

/// <summary>A phase of migration_phases.csv: its full names and, beside them, the one short form for tight places (table cells, legends).</summary>
public sealed record PhaseInfo(MigrationPhase Phase, string Id, string NameJa, string NameEn, string ShortJa, string ShortEn);

public sealed record SecurityItemInfo(
    string Id,
    int Chapter,
    string ChapterJa,
    string TitleJa,
    string TitleEn,
    string Party,
    string Reference,
    string Basis);

/// <summary>Where a baseline figure comes from, shown next to it in every response.</summary>
public sealed record BaselineSourceInfo(string Id, string Publisher, string Title, string AsOf)
{
    /// <summary>
    /// The day the data holds at: the last day of the <see cref="AsOf"/> month (yyyy-MM), as an imported monthly
    /// tally's as-of day is, so every view and export writes a source's date as one yyyy-MM-dd.
    /// </summary>
    public DateOnly AsOfDay => DateOnly.ParseExact(AsOf + "-01", "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture).AddMonths(1).AddDays(-1);
}
