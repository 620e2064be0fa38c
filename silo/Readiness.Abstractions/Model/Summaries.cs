using System.Collections.Immutable;

namespace Readiness;

/// <summary>
/// Additive figures for any set of municipalities. Every field is a count or an integer sum, so that aggregating
/// is exact and the order of aggregation cannot change a figure; ratios are derived when read.
/// </summary>
[GenerateSerializer, Immutable, Alias("Readiness.Figures")]
public sealed record Figures
{
    public const int PhaseCount = 11;
    public const int ReasonSlots = 6; // five reasons plus "not yet reported"
    public const int BusinessSlots = PhaseCount + 1; // phases plus not_applicable
    public const int SecurityStatusCount = 5;

    // Shared zero arrays: every `new Figures { ... }` runs the initializers below before its own values replace them.
    // Declared first: static initializers run in textual order, and Zero (below) already needs them.
    private static readonly ImmutableArray<int>[] ZeroArrays = [.. Enumerable.Range(0, (20 * BusinessSlots) + 1).Select(n => ImmutableArray.Create(new int[n]))];

    [Id(0)] public int Municipalities { get; init; }
    [Id(1)] public int CompleteMunicipalities { get; init; }
    [Id(2)] public int StaleMunicipalities { get; init; }
    [Id(3)] public int ReportedMunicipalities { get; init; }
    [Id(4)] public int MunicipalitiesWithDesignation { get; init; }
    [Id(5)] public int ApplicableSystems { get; init; }
    [Id(6)] public int MigratedSystems { get; init; }

    /// <summary>Σ over applicable systems of min(phase order, order of in_production).</summary>
    [Id(7)] public long ProgressUnits { get; init; }
    [Id(8)] public int NotApplicableSystems { get; init; }
    [Id(9)] public int DesignatedSystems { get; init; }

    /// <summary>Designated systems by <see cref="DesignationReason"/> order, the last slot for "not yet reported".</summary>
    [Id(10)] public ImmutableArray<int> DesignatedByReason { get; init; } = Zeros(ReasonSlots);
    [Id(11)] public int DesignationIncomplete { get; init; }
    [Id(12)] public int OverdueSystems { get; init; }
    [Id(13)] public int PastTargetSystems { get; init; }
    [Id(14)] public int BeyondLimitSystems { get; init; }
    [Id(15)] public int RegressionSystems { get; init; }

    /// <summary>Applicable systems per phase order.</summary>
    [Id(16)] public ImmutableArray<int> PhaseCounts { get; init; } = Zeros(PhaseCount);

    /// <summary>Per business (catalog order) <see cref="BusinessSlots"/> counts: each phase, then not applicable.</summary>
    [Id(17)] public ImmutableArray<int> BusinessPhaseCounts { get; init; } = Zeros(20 * BusinessSlots);

    /// <summary>Designated systems per business (catalog order).</summary>
    [Id(18)] public ImmutableArray<int> BusinessDesignated { get; init; } = Zeros(20);
    [Id(19)] public int SecurityApplicableItems { get; init; }

    /// <summary>Σ of 2 per implemented and 1 per partial applicable item (halves keep it an integer).</summary>
    [Id(20)] public long SecurityScoreHalves { get; init; }

    /// <summary>Items per <see cref="SecurityStatus"/>.</summary>
    [Id(21)] public ImmutableArray<int> SecurityStatusCounts { get; init; } = Zeros(SecurityStatusCount);
    [Id(22)] public int MunicipalitiesWithOverdue { get; init; }

    /// <summary>Systems with an official PMO step figure (MIC's tally); the denominator of <see cref="StepCompletion"/>.</summary>
    [Id(23)] public int StepCompletionSystems { get; init; }

    /// <summary>Σ of PMO steps done (or 対象外) over <see cref="StepCompletionSystems"/>, in whole steps of 40.</summary>
    [Id(24)] public long StepsDone { get; init; }

    public static Figures Zero { get; } = new();

    /// <summary>
    /// Mean PMO step completion, 0..1 (MIC's measure: steps done or not applicable over 40), over the systems with an
    /// official figure; null when none has one. A separate measure from systems migrated: never mixed with it.
    /// </summary>
    public double? StepCompletion => StepCompletionSystems == 0 ? null : StepsDone / (40.0 * StepCompletionSystems);

    /// <summary>Mean migration progress over applicable systems, 0..1; null when nothing applies.</summary>
    public double? Progress => ApplicableSystems == 0 ? null : ProgressUnits / (double)((int)MigrationPhase.InProduction * (long)ApplicableSystems);

    /// <summary>Security score over applicable items, 0..1; null when nothing applies.</summary>
    public double? SecurityScore => SecurityApplicableItems == 0 ? null : SecurityScoreHalves / (2.0 * SecurityApplicableItems);

    public static Figures operator +(Figures a, Figures b) => Sum([a, b]);

    public bool SameAs(Figures other) =>
        Municipalities == other.Municipalities
        && CompleteMunicipalities == other.CompleteMunicipalities
        && StaleMunicipalities == other.StaleMunicipalities
        && ReportedMunicipalities == other.ReportedMunicipalities
        && MunicipalitiesWithDesignation == other.MunicipalitiesWithDesignation
        && ApplicableSystems == other.ApplicableSystems
        && MigratedSystems == other.MigratedSystems
        && ProgressUnits == other.ProgressUnits
        && NotApplicableSystems == other.NotApplicableSystems
        && DesignatedSystems == other.DesignatedSystems
        && DesignatedByReason.SequenceEqual(other.DesignatedByReason)
        && DesignationIncomplete == other.DesignationIncomplete
        && OverdueSystems == other.OverdueSystems
        && PastTargetSystems == other.PastTargetSystems
        && BeyondLimitSystems == other.BeyondLimitSystems
        && RegressionSystems == other.RegressionSystems
        && PhaseCounts.SequenceEqual(other.PhaseCounts)
        && BusinessPhaseCounts.SequenceEqual(other.BusinessPhaseCounts)
        && BusinessDesignated.SequenceEqual(other.BusinessDesignated)
        && SecurityApplicableItems == other.SecurityApplicableItems
        && SecurityScoreHalves == other.SecurityScoreHalves
        && SecurityStatusCounts.SequenceEqual(other.SecurityStatusCounts)
        && MunicipalitiesWithOverdue == other.MunicipalitiesWithOverdue
        && StepCompletionSystems == other.StepCompletionSystems
        && StepsDone == other.StepsDone;

    internal static ImmutableArray<int> Zeros(int n) => ZeroArrays[n];

    /// <summary>Σ of many figures with one allocation per array, where repeated <c>+</c> allocates a new Figures each time.</summary>
    public static Figures Sum(IEnumerable<Figures> figures)
    {
        var total = new Accumulator();
        foreach (var f in figures)
        {
            total.Add(f);
        }

        return total.ToFigures();
    }

    /// <summary>A running total of figures: the one definition of how figures add up (<c>+</c> uses it too).</summary>
    public sealed class Accumulator
    {
        private readonly int[] designatedByReason = new int[ReasonSlots];
        private readonly int[] phaseCounts = new int[PhaseCount];
        private readonly int[] businessPhaseCounts = new int[20 * BusinessSlots];
        private readonly int[] businessDesignated = new int[20];
        private readonly int[] securityStatusCounts = new int[SecurityStatusCount];
        private int municipalities, complete, stale, reported, withDesignation, applicable, migrated, notApplicable, designated;
        private int designationIncomplete, overdue, pastTarget, beyondLimit, regression, securityApplicable, withOverdue;
        private int stepCompletionSystems;
        private long progressUnits, securityScoreHalves, stepsDone;

        public void Add(Figures f)
        {
            municipalities += f.Municipalities;
            complete += f.CompleteMunicipalities;
            stale += f.StaleMunicipalities;
            reported += f.ReportedMunicipalities;
            withDesignation += f.MunicipalitiesWithDesignation;
            applicable += f.ApplicableSystems;
            migrated += f.MigratedSystems;
            progressUnits += f.ProgressUnits;
            notApplicable += f.NotApplicableSystems;
            designated += f.DesignatedSystems;
            designationIncomplete += f.DesignationIncomplete;
            overdue += f.OverdueSystems;
            pastTarget += f.PastTargetSystems;
            beyondLimit += f.BeyondLimitSystems;
            regression += f.RegressionSystems;
            securityApplicable += f.SecurityApplicableItems;
            securityScoreHalves += f.SecurityScoreHalves;
            withOverdue += f.MunicipalitiesWithOverdue;
            stepCompletionSystems += f.StepCompletionSystems;
            stepsDone += f.StepsDone;
            AddInto(designatedByReason, f.DesignatedByReason);
            AddInto(phaseCounts, f.PhaseCounts);
            AddInto(businessPhaseCounts, f.BusinessPhaseCounts);
            AddInto(businessDesignated, f.BusinessDesignated);
            AddInto(securityStatusCounts, f.SecurityStatusCounts);
        }

        public Figures ToFigures() => new()
        {
            Municipalities = municipalities,
            CompleteMunicipalities = complete,
            StaleMunicipalities = stale,
            ReportedMunicipalities = reported,
            MunicipalitiesWithDesignation = withDesignation,
            ApplicableSystems = applicable,
            MigratedSystems = migrated,
            ProgressUnits = progressUnits,
            NotApplicableSystems = notApplicable,
            DesignatedSystems = designated,
            DesignatedByReason = [.. designatedByReason],
            DesignationIncomplete = designationIncomplete,
            OverdueSystems = overdue,
            PastTargetSystems = pastTarget,
            BeyondLimitSystems = beyondLimit,
            RegressionSystems = regression,
            PhaseCounts = [.. phaseCounts],
            BusinessPhaseCounts = [.. businessPhaseCounts],
            BusinessDesignated = [.. businessDesignated],
            SecurityApplicableItems = securityApplicable,
            SecurityScoreHalves = securityScoreHalves,
            SecurityStatusCounts = [.. securityStatusCounts],
            MunicipalitiesWithOverdue = withOverdue,
            StepCompletionSystems = stepCompletionSystems,
            StepsDone = stepsDone,
        };

        private static void AddInto(int[] total, ImmutableArray<int> values)
        {
            // Every array has a fixed number of slots; a longer one can only come from corrupt input.
            if (values.Length > total.Length)
            {
                throw new ArgumentException($"A figures array has {values.Length} slots where at most {total.Length} are expected.", nameof(values));
            }

            for (var i = 0; i < values.Length; i++)
            {
                total[i] += values[i];
            }
        }
    }
}

/// <summary>The small summary a municipality pushes to its prefecture; newer <see cref="Version"/> wins.</summary>
[GenerateSerializer, Immutable, Alias("Readiness.MunicipalitySummary")]
public sealed record MunicipalitySummary
{
    [Id(0)] public required string Code { get; init; }
    [Id(1)] public required long Version { get; init; }
    [Id(2)] public required Figures Figures { get; init; }
    [Id(3)] public DateTimeOffset? LastReportedAt { get; init; }
    [Id(4)] public DataOrigin Origin { get; init; }

    /// <summary>The day (JST) the date-dependent flags were computed for.</summary>
    [Id(5)] public DateOnly AsOf { get; init; }

    public string PrefectureCode => Code[..2];
}

[GenerateSerializer, Immutable, Alias("Readiness.PrefectureSummary")]
public sealed record PrefectureSummary
{
    [Id(0)] public required string PrefectureCode { get; init; }
    [Id(1)] public required Figures Figures { get; init; }

    /// <summary>Σ of its municipalities' versions and its own prefecture-run record's version: grows with every accepted change below it.</summary>
    [Id(2)] public long VersionSum { get; init; }
    [Id(3)] public DateOnly AsOf { get; init; }
    [Id(4)] public DateTimeOffset ComputedAt { get; init; }

    /// <summary>
    /// The prefecture's own systems for the prefecture-run businesses (児童扶養手当, 生活保護), counted once reported:
    /// kept apart from <see cref="Figures"/> (its municipalities' sum); the nation adds both.
    /// </summary>
    [Id(5)] public Figures PrefectureRun { get; init; } = Figures.Zero;

    /// <summary>The version of the prefecture's own record (<see cref="PrefectureRunRecord.Version"/>), also counted in <see cref="VersionSum"/>.</summary>
    [Id(6)] public long PrefectureRunVersion { get; init; }
}

[GenerateSerializer, Immutable, Alias("Readiness.PrefectureDetail")]
public sealed record PrefectureDetail(
    [property: Id(0)] PrefectureSummary Summary,
    [property: Id(1)] ImmutableArray<MunicipalitySummary> Municipalities);

[GenerateSerializer, Immutable, Alias("Readiness.NationSummary")]
public sealed record NationSummary
{
    [Id(0)] public required Figures Figures { get; init; }
    [Id(1)] public long VersionSum { get; init; }
    [Id(2)] public required ImmutableArray<PrefectureSummary> Prefectures { get; init; }
    [Id(3)] public DateTimeOffset ComputedAt { get; init; }

    /// <summary>Σ of the prefectures' own systems (<see cref="PrefectureSummary.PrefectureRun"/>): already inside <see cref="Figures"/>, shown apart.</summary>
    [Id(4)] public Figures PrefectureRun { get; init; } = Figures.Zero;

    /// <summary>Σ of the prefectures' own record versions.</summary>
    [Id(5)] public long PrefectureRunVersionSum { get; init; }
}

/// <summary>A stored copy of the nation's and every prefecture's figures, for trend charts.</summary>
[GenerateSerializer, Immutable, Alias("Readiness.DailySnapshot")]
public sealed record DailySnapshot(
    [property: Id(0)] DateOnly Day,
    [property: Id(1)] NationSummary Nation);
