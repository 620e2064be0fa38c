using System.Collections.Immutable;

namespace Readiness.Imports;

/// <summary>A row of the dataset to apply: municipality and PMO step completion per business (catalog order).</summary>
[GenerateSerializer, Immutable, Alias("Readiness.Imports.OfficialImportRow")]
public sealed record OfficialImportRow(
    [property: Id(0)] int RowNumber,
    [property: Id(1)] string MunicipalityCode,
    [property: Id(2)] ImmutableArray<decimal> StepCompletion)
{
    /// <summary>Designation list: designated (●) per business, catalog order; empty for MIC's tallies.</summary>
    [Id(3)] public ImmutableArray<bool> Designated { get; init; } = [];

    /// <summary>Step detail: the 40 step states per business, catalog order (<see cref="StepStates"/>); empty otherwise.</summary>
    [Id(4)] public ImmutableArray<string> Steps { get; init; } = [];

    /// <summary>The grain update this row makes for a dataset, who applies it and from which client address.</summary>
    public OfficialUpdate ToUpdate(OfficialDatasetRef dataset, Actor actor, string? clientAddress = null) =>
        new(dataset, StepCompletion.IsDefault ? [] : [.. StepCompletion.Select(s => (decimal?)s)], actor)
        {
            ClientAddress = clientAddress,
            Designated = Designated.IsDefault ? [] : Designated,
            Steps = Steps.IsDefault ? [] : Steps,
        };
}

/// <summary>
/// A prefecture's row on the designation list (prefecture-run 児童扶養手当 / 生活保護 for towns and villages without a
/// welfare office, and 共通機能): recorded and shown, not applied to any municipality.
/// </summary>
[GenerateSerializer, Immutable, Alias("Readiness.Imports.OfficialPrefectureRow")]
public sealed record OfficialPrefectureRow(
    [property: Id(0)] int RowNumber,
    [property: Id(1)] string PrefectureCode,
    [property: Id(2)] ImmutableArray<string> DesignatedBusinesses,
    [property: Id(3)] bool CommonFunctions);

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
    [property: Id(4)] int MunicipalitiesOlder)
{
    /// <summary>Municipalities whose figures the dataset confirmed (a newer as-of day, the same figures): only their source changes.</summary>
    [Id(5)] public int MunicipalitiesConfirmed { get; init; }

    /// <summary>Municipalities not applied (or, in the dry run, not compared) because their stored state cannot be read.</summary>
    [Id(6)] public int MunicipalitiesUnreadable { get; init; }

    /// <summary>Designation list: prefectures whose own (prefecture-run) systems' designations change (a list changing only those said 0 changes before).</summary>
    [Id(7)] public int PrefecturesChanged { get; init; }
}

/// <summary>The outcome of applying: counts and who applied it when.</summary>
[GenerateSerializer, Immutable, Alias("Readiness.Imports.OfficialImportResult")]
public sealed record OfficialImportResult(
    [property: Id(0)] OfficialImportCounts Counts,
    [property: Id(1)] string AppliedBy,
    [property: Id(2)] DateTimeOffset AppliedAt)
{
    /// <summary>The rows not applied because their municipality's stored state cannot be read, with the reason (default/empty: none).</summary>
    [Id(3)] public ImmutableArray<OfficialImportIssue> Unreadable { get; init; } = [];

    /// <summary>The id of the applied dataset of the same kind and as-of day that this one replaced (its figures taken over); null when none.</summary>
    [Id(4)] public string? Replaced { get; init; }

    /// <summary>
    /// What the apply changed in each municipality, compared at apply time (the preview's list was taken at upload, and
    /// a newer dataset or a municipality's own report since can leave nothing to change); default for results stored
    /// before it was recorded is read as empty (with municipalities changed: the page falls back to the preview's).
    /// </summary>
    [Id(5)] public ImmutableArray<OfficialImportChange> Changes { get; init; } = [];

    /// <summary>
    /// The id of the applied dataset of the same kind and as-of day that replaced this one since (its <see cref="Replaced"/>
    /// names this one); null while none has.
    /// </summary>
    [Id(6)] public string? ReplacedBy { get; init; }

    /// <summary>
    /// How many of the municipalities this dataset sourced (changed or confirmed) the replacing one (<see cref="ReplacedBy"/>)
    /// took over: those it listed too. All of them when it listed every municipality this one listed; 0 while none replaced it.
    /// </summary>
    [Id(7)] public int MunicipalitiesTakenOver { get; init; }
}

/// <summary>
/// One uploaded official file as an immutable dataset version: source, as-of day, SHA-256 (its id), who uploaded it,
/// the rows to apply and the rows that did not match; <see cref="Applied"/> once applied.
/// </summary>
[GenerateSerializer, Immutable, Alias("Readiness.Imports.OfficialImportRecord")]
public sealed record OfficialImportRecord
{
    public const string MicProgressKind = "mic_progress";

    public const string MicStepDetailKind = "mic_step_detail";

    public const string DesignationListKind = "designation_list";

    /// <summary>
    /// At most this many rows not taken are kept with their reasons (the first ones, in row order); <see cref="IssueCount"/>
    /// counts them all. A wrong or damaged file can have tens of thousands (a 10 MB sheet of unknown names): kept whole,
    /// they made a 20 MB preview, a 15 MB page and a grain state as large, where the first thousand say what is wrong.
    /// </summary>
    public const int MaxIssuesKept = 1000;

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

    /// <summary>Designation list: the prefectures' own rows (prefecture-run businesses), as listed.</summary>
    [Id(14)] public ImmutableArray<OfficialPrefectureRow> PrefectureRows { get; init; } = [];

    /// <summary>"xlsx" or "csv" (with the encoding it was read in, e.g. "csv (shift_jis)").</summary>
    [Id(15)] public string? Format { get; init; }

    /// <summary>The dry run per municipality that would change: how many systems, and how many of those change phase.</summary>
    [Id(16)] public ImmutableArray<OfficialImportChange> Changes { get; init; } = [];

    /// <summary>The dry run's rows whose municipality's stored state could not be read: not compared, and refused at apply unless restored by then.</summary>
    [Id(17)] public ImmutableArray<OfficialImportIssue> Unreadable { get; init; } = [];

    /// <summary>How many rows were not taken (<see cref="Issues"/> holds at most <see cref="MaxIssuesKept"/> of them); 0 in records stored before it was counted, which kept them all.</summary>
    [Id(18)] public int IssueCount { get; init; }

    /// <summary>Said about the whole file, nothing refused: e.g. as_of_name_differs (the name says another month than the title, whose day was taken).</summary>
    [Id(19)] public ImmutableArray<OfficialImportIssue> Warnings { get; init; } = [];

    /// <summary>Designation list: prefectures (2-digit codes) whose row was refused; their own systems are left as they are (<see cref="OfficialDataset.RefusedPrefectures"/>).</summary>
    [Id(20)] public ImmutableArray<string> RefusedPrefectures { get; init; } = [];

    /// <summary>Every row not taken, whether listed in <see cref="Issues"/> or not.</summary>
    public int UnmatchedRows => Math.Max(IssueCount, Issues.IsDefault ? 0 : Issues.Length);
}

/// <summary>What applying would change in one municipality (the dry run).</summary>
[GenerateSerializer, Immutable, Alias("Readiness.Imports.OfficialImportChange")]
public sealed record OfficialImportChange(
    [property: Id(0)] string MunicipalityCode,
    [property: Id(1)] int SystemsChanged,
    [property: Id(2)] int PhasesChanged,
    [property: Id(3)] int DesignationsChanged);

/// <summary>One line of the list of dataset versions (the /imports page): enough to find and judge it.</summary>
[GenerateSerializer, Immutable, Alias("Readiness.Imports.OfficialImportListing")]
public sealed record OfficialImportListing(
    [property: Id(0)] string Id,
    [property: Id(1)] string Kind,
    [property: Id(2)] string Source,
    [property: Id(3)] DateOnly AsOf,
    [property: Id(4)] string FileName,
    [property: Id(5)] string UploadedBy,
    [property: Id(6)] DateTimeOffset UploadedAt,
    [property: Id(7)] string? AppliedBy,
    [property: Id(8)] DateTimeOffset? AppliedAt)
{
    /// <summary>
    /// How many municipalities' layer comes from it (figures changed or confirmed by its apply), less those a same-day
    /// dataset that replaced it took over (<see cref="ReplacedBy"/>): 0 once replaced in every one, so no longer a source;
    /// null until applied.
    /// </summary>
    [Id(9)] public int? MunicipalitiesSourced { get; init; }

    /// <summary>The id of the same-day dataset applied later that replaced it (in all or some of its municipalities); null when none.</summary>
    [Id(10)] public string? ReplacedBy { get; init; }

    public static OfficialImportListing From(OfficialImportRecord r) =>
        new(r.Id, r.Kind, r.Source, r.AsOf, r.FileName, r.UploadedBy, r.UploadedAt, r.Applied?.AppliedBy, r.Applied?.AppliedAt)
        {
            MunicipalitiesSourced = r.Applied is { Counts: var c } a
                ? Math.Max(0, c.MunicipalitiesChanged + c.MunicipalitiesConfirmed - a.MunicipalitiesTakenOver)
                : null,
            ReplacedBy = r.Applied?.ReplacedBy,
        };
}
