using System.Collections.Immutable;

namespace Readiness.Imports;

/// <summary>A row of the dataset to apply: municipality and PMO step completion per business (catalog order).</summary>
[GenerateSerializer, Immutable, Alias("Readiness.Imports.OfficialImportRow")]
public sealed record OfficialImportRow(
    [property: Id(0)] int RowNumber,
    [property: Id(1)] string MunicipalityCode,
    [property: Id(2)] ImmutableArray<decimal> StepCompletion);

/// <summary>A row not applied (unmatched, duplicate, bad rate), with the reason in Japanese and English.</summary>
[GenerateSerializer, Immutable, Alias("Readiness.Imports.OfficialImportIssue")]
public sealed record OfficialImportIssue(
    [property: Id(0)] int RowNumber,
    [property: Id(1)] string? Prefecture,
    [property: Id(2)] string? Municipality,
    [property: Id(3)] string Code,
    [property: Id(4)] string MessageJa,
    [property: Id(5)] string MessageEn);

/// <summary>What applying would do / did, counted over systems and municipalities.</summary>
[GenerateSerializer, Immutable, Alias("Readiness.Imports.OfficialImportCounts")]
public sealed record OfficialImportCounts(
    [property: Id(0)] int Municipalities,
    [property: Id(1)] int MunicipalitiesChanged,
    [property: Id(2)] int SystemsChanged,
    [property: Id(3)] int SystemsKeptSelfReported,
    [property: Id(4)] int MunicipalitiesOlder);

/// <summary>The outcome of applying: counts and who applied it when.</summary>
[GenerateSerializer, Immutable, Alias("Readiness.Imports.OfficialImportResult")]
public sealed record OfficialImportResult(
    [property: Id(0)] OfficialImportCounts Counts,
    [property: Id(1)] string AppliedBy,
    [property: Id(2)] DateTimeOffset AppliedAt);

/// <summary>
/// One uploaded official file as an immutable dataset version: source, as-of day, SHA-256 (its id), who uploaded it,
/// the rows to apply and the rows that did not match; <see cref="Applied"/> once applied.
/// </summary>
[GenerateSerializer, Immutable, Alias("Readiness.Imports.OfficialImportRecord")]
public sealed record OfficialImportRecord
{
    public const string MicProgressKind = "mic_progress";

    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required string Kind { get; init; }
    [Id(2)] public required string Source { get; init; }
    [Id(3)] public required DateOnly AsOf { get; init; }
    [Id(4)] public required string FileName { get; init; }
    [Id(5)] public required long FileSize { get; init; }
    [Id(6)] public required string SheetName { get; init; }
    [Id(7)] public required string UploadedBy { get; init; }
    [Id(8)] public required DateTimeOffset UploadedAt { get; init; }
    [Id(9)] public required ImmutableArray<OfficialImportRow> Rows { get; init; }
    [Id(10)] public required ImmutableArray<OfficialImportIssue> Issues { get; init; }
    [Id(11)] public int HiddenRows { get; init; }
    [Id(12)] public required OfficialImportCounts Preview { get; init; }
    [Id(13)] public OfficialImportResult? Applied { get; init; }
}
