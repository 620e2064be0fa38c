using System.Collections.Frozen;
using System.Globalization;

namespace Readiness.Catalog;

/// <summary>
/// The reference data every part of the product shares: 1,741 municipalities, 47 prefectures, 20 business systems,
/// the phase model, the security checklist and the public baseline. Embedded in this assembly and validated on load,
/// so a broken data file stops start-up with a message that names the file and the row.
/// </summary>
public sealed class ReadinessCatalog
{
    public const int ExpectedMunicipalities = 1741;
    public const int ExpectedPrefectures = 47;
    public const int ExpectedBusinessSystems = 20;
    public const int ExpectedSecurityItems = 47;

    /// <summary>The statutory target: end of FY2025.</summary>
    public static readonly DateOnly StandardizationDeadline = new(2026, 3, 31);

    /// <summary>The limit for 特定移行支援システム: about five years, the end of FY2030.</summary>
    public static readonly DateOnly DesignationLimit = new(2031, 3, 31);

    public const int StaleAfterDays = 30;

    public static readonly BaselineSourceInfo PmoSource = new(
        "pmo_step_completion_2026-01", "総務省 (MIC)", "PMOツール集計 市区町村別・業務別進捗 (40 steps)", "2026-01");

    public static readonly BaselineSourceInfo DesignationSource = new(
        "designated_2025-12", "デジタル庁 (Digital Agency)", "特定移行支援システムの該当見込み一覧（令和7年12月末時点）", "2025-12");

    private static readonly Lazy<ReadinessCatalog> LazyInstance = new(() => Load(), LazyThreadSafetyMode.ExecutionAndPublication);

    public static ReadinessCatalog Instance => LazyInstance.Value;

    public required IReadOnlyList<MunicipalityInfo> Municipalities { get; init; }
    public required IReadOnlyList<PrefectureInfo> Prefectures { get; init; }
    public required IReadOnlyList<BusinessSystemInfo> BusinessSystems { get; init; }
    public required IReadOnlyList<PhaseInfo> Phases { get; init; }
    public required IReadOnlyList<SecurityItemInfo> SecurityItems { get; init; }

    /// <summary>PMO step completion per municipality code, in <see cref="BusinessSystems"/> order.</summary>
    public required FrozenDictionary<string, decimal[]> BaselineSteps { get; init; }

    /// <summary>Business ids expected to be 特定移行支援システム per municipality code.</summary>
    public required FrozenDictionary<string, FrozenSet<string>> BaselineDesignations { get; init; }

    /// <summary>
    /// The designation list's prefecture rows (区分 都道府県): per prefecture code, the prefecture-run businesses
    /// (<see cref="PrefectureRunBusinesses"/>) marked ● in 「特定移行支援システムの該当見込み一覧（令和7年12月末時点）」
    /// (designated_prefectures_2025-12.csv; 37 prefectures, 48 marks). 共通機能 is not a business and is left out.
    /// </summary>
    public FrozenDictionary<string, FrozenSet<string>> BaselinePrefectureDesignations { get; init; } = FrozenDictionary<string, FrozenSet<string>>.Empty;

    /// <summary>
    /// The businesses a prefecture runs itself for the towns and villages without a welfare office (都道府県2業務,
    /// domain.md): 児童扶養手当 and 生活保護, by catalog id, in catalog order.
    /// </summary>
    public static readonly IReadOnlyList<string> PrefectureRunBusinesses = ["child_rearing_allowance", "public_assistance"];

    /// <summary>True for a business a prefecture can run itself (<see cref="PrefectureRunBusinesses"/>).</summary>
    public static bool IsPrefectureRun(string businessId) => PrefectureRunBusinesses.Contains(businessId);

    /// <summary>A prefecture's own 6-digit local government code (団体コード): its two digits, "000" and the check digit (東京都 130001).</summary>
    public static string PrefectureBodyCode(string prefectureCode) =>
        prefectureCode + "000" + MunicipalityCode.CheckDigit((prefectureCode + "000").AsSpan()).ToString(CultureInfo.InvariantCulture);

    public required FrozenDictionary<string, MunicipalityInfo> MunicipalitiesByCode { get; init; }
    public required FrozenDictionary<string, PrefectureInfo> PrefecturesByCode { get; init; }
    public required FrozenDictionary<string, int> BusinessIndex { get; init; }
    public required FrozenDictionary<string, int> SecurityIndex { get; init; }
    public required FrozenDictionary<string, IReadOnlyList<MunicipalityInfo>> MunicipalitiesByPrefecture { get; init; }

    public bool IsMunicipality(string code) => MunicipalitiesByCode.ContainsKey(code);

    /// <summary>
    /// The prefecture whose own 6-digit 団体コード (<see cref="PrefectureBodyCode"/>, 北海道 010006) is <paramref name="code"/>:
    /// the audit trail keys a prefecture's own systems by it. False for a municipality's code or anything else.
    /// </summary>
    public bool TryPrefectureOfBodyCode(string? code, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PrefectureInfo? prefecture)
    {
        if (code is { Length: 6 } && PrefecturesByCode.TryGetValue(code[..2], out var p) && PrefectureBodyCode(p.Code) == code)
        {
            prefecture = p;
            return true;
        }

        prefecture = null;
        return false;
    }

    public static ReadinessCatalog Load() => Load(EmbeddedFile);

    /// <summary>The text of one embedded data file (e.g. "municipalities.csv").</summary>
    public static string EmbeddedFile(string name) => Csv.ReadEmbedded(name);

    /// <summary>Loads and validates the catalog from data files read by <paramref name="readFile"/> (file name to text).</summary>
    public static ReadinessCatalog Load(Func<string, string> readFile)
    {
        List<Dictionary<string, string>> Read(string file) => Csv.Read(file, readFile(file));

        var phases = Read("migration_phases.csv").Select((r, i) =>
        {
            var order = ParseInt(r["order"], "migration_phases.csv", i);
            if (!Enum.IsDefined(typeof(MigrationPhase), order)
                || Wire.Name((MigrationPhase)order) != r["id"])
            {
                throw new CatalogException($"migration_phases.csv row {i + 2}: phase '{r["id"]}' with order {order} does not match the product's phase model.");
            }

            return new PhaseInfo((MigrationPhase)order, r["id"], r["name_ja"], r["name_en"], r["short_ja"], r["short_en"]);
        }).ToList();
        if (phases.Count != Enum.GetValues<MigrationPhase>().Length)
        {
            throw new CatalogException($"migration_phases.csv: expected {Enum.GetValues<MigrationPhase>().Length} phases, found {phases.Count}.");
        }

        var businesses = Read("business_systems.csv").Select((r, i) => new BusinessSystemInfo(
            ParseInt(r["seiri_no"], "business_systems.csv", i), r["id"], r["name_ja"], r["name_en"], r["soumu_progress_label"])).ToList();
        RequireCount(businesses.Count, ExpectedBusinessSystems, "business_systems.csv", "business systems");
        RequireUnique(businesses.Select(b => b.Id), "business_systems.csv", "business id");

        var security = Read("security_checklist.csv").Select((r, i) => new SecurityItemInfo(
            r["id"], ParseInt(r["chapter"], "security_checklist.csv", i), r["chapter_ja"], r["title_ja"], r["title_en"],
            r["party"], r["reference"], r["basis"])).ToList();
        RequireCount(security.Count, ExpectedSecurityItems, "security_checklist.csv", "security items");
        RequireUnique(security.Select(s => s.Id), "security_checklist.csv", "item id");

        var tiles = Read("prefecture_tilemap.csv").ToDictionary(r => r["code"], r => (Col: int.Parse(r["col"], CultureInfo.InvariantCulture), Row: int.Parse(r["row"], CultureInfo.InvariantCulture)));
        var prefectures = Read("prefectures.csv").Select(r =>
        {
            if (!tiles.TryGetValue(r["code"], out var tile))
            {
                throw new CatalogException($"prefecture_tilemap.csv has no cell for prefecture {r["code"]}.");
            }

            return new PrefectureInfo(r["code"], r["name"], r["name_en"], r["region"], tile.Col, tile.Row);
        }).ToList();
        RequireCount(prefectures.Count, ExpectedPrefectures, "prefectures.csv", "prefectures");
        RequireUnique(prefectures.Select(p => p.Code), "prefectures.csv", "prefecture code");
        var prefectureCodes = prefectures.Select(p => p.Code).ToHashSet(StringComparer.Ordinal);

        var municipalities = Read("municipalities.csv").Select((r, i) =>
        {
            var code = r["code"];
            if (!MunicipalityCode.IsValid(code))
            {
                throw new CatalogException($"municipalities.csv row {i + 2}: code '{code}' is not a valid 6-digit local government code (check digit).");
            }

            if (r["prefecture_code"] != code[..2] || !prefectureCodes.Contains(r["prefecture_code"]))
            {
                throw new CatalogException($"municipalities.csv row {i + 2}: prefecture '{r["prefecture_code"]}' does not match code {code}.");
            }

            return new MunicipalityInfo(code, r["prefecture_code"], r["name"], r["kana"], ParseKind(r["kind"], i),
                ParseInt(r["population"], "municipalities.csv", i));
        }).ToList();
        RequireCount(municipalities.Count, ExpectedMunicipalities, "municipalities.csv", "municipalities");
        RequireUnique(municipalities.Select(m => m.Code), "municipalities.csv", "municipality code");

        var businessIndex = businesses.Select((b, i) => (b.Id, i)).ToFrozenDictionary(t => t.Id, t => t.i, StringComparer.Ordinal);
        var municipalityCodes = municipalities.Select(m => m.Code).ToHashSet(StringComparer.Ordinal);

        var steps = new Dictionary<string, decimal[]>(StringComparer.Ordinal);
        var stepRows = Read("pmo_step_completion_2026-01.csv");
        for (var i = 0; i < stepRows.Count; i++)
        {
            var r = stepRows[i];
            if (!municipalityCodes.Contains(r["code"]))
            {
                throw new CatalogException($"pmo_step_completion_2026-01.csv row {i + 2}: unknown municipality {r["code"]}.");
            }

            if (!businessIndex.TryGetValue(r["business_id"], out var b))
            {
                throw new CatalogException($"pmo_step_completion_2026-01.csv row {i + 2}: unknown business {r["business_id"]}.");
            }

            if (!decimal.TryParse(r["step_completion"], NumberStyles.Number, CultureInfo.InvariantCulture, out var value) || value < 0 || value > 1)
            {
                throw new CatalogException($"pmo_step_completion_2026-01.csv row {i + 2}: step completion '{r["step_completion"]}' is not a share between 0 and 1.");
            }

            if (!steps.TryGetValue(r["code"], out var row))
            {
                row = Enumerable.Repeat(-1m, businesses.Count).ToArray();
                steps[r["code"]] = row;
            }

            row[b] = value;
        }

        foreach (var (code, row) in steps)
        {
            var missing = Array.IndexOf(row, -1m);
            if (missing >= 0)
            {
                throw new CatalogException($"pmo_step_completion_2026-01.csv: municipality {code} has no figure for {businesses[missing].Id}.");
            }
        }

        var designations = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var designationRows = Read("designated_2025-12.csv");
        for (var i = 0; i < designationRows.Count; i++)
        {
            var r = designationRows[i];
            if (!municipalityCodes.Contains(r["code"]) || !businessIndex.ContainsKey(r["business_id"]))
            {
                throw new CatalogException($"designated_2025-12.csv row {i + 2}: unknown municipality or business ({r["code"]}, {r["business_id"]}).");
            }

            if (!designations.TryGetValue(r["code"], out var set))
            {
                designations[r["code"]] = set = new HashSet<string>(StringComparer.Ordinal);
            }

            set.Add(r["business_id"]);
        }

        var prefectureDesignations = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var prefectureRows = Read("designated_prefectures_2025-12.csv");
        for (var i = 0; i < prefectureRows.Count; i++)
        {
            var r = prefectureRows[i];
            if (!prefectureCodes.Contains(r["prefecture_code"]) || r["code"] != PrefectureBodyCode(r["prefecture_code"]) || !IsPrefectureRun(r["business_id"]))
            {
                throw new CatalogException($"designated_prefectures_2025-12.csv row {i + 2}: unknown prefecture, code or prefecture-run business ({r["prefecture_code"]}, {r["code"]}, {r["business_id"]}).");
            }

            if (!prefectureDesignations.TryGetValue(r["prefecture_code"], out var set))
            {
                prefectureDesignations[r["prefecture_code"]] = set = new HashSet<string>(StringComparer.Ordinal);
            }

            set.Add(r["business_id"]);
        }

        return new ReadinessCatalog
        {
            BaselinePrefectureDesignations = prefectureDesignations.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToFrozenSet(StringComparer.Ordinal), StringComparer.Ordinal),
            Municipalities = municipalities,
            Prefectures = prefectures,
            BusinessSystems = businesses,
            Phases = phases,
            SecurityItems = security,
            BaselineSteps = steps.ToFrozenDictionary(StringComparer.Ordinal),
            BaselineDesignations = designations.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToFrozenSet(StringComparer.Ordinal), StringComparer.Ordinal),
            MunicipalitiesByCode = municipalities.ToFrozenDictionary(m => m.Code, StringComparer.Ordinal),
            PrefecturesByCode = prefectures.ToFrozenDictionary(p => p.Code, StringComparer.Ordinal),
            BusinessIndex = businessIndex,
            SecurityIndex = security.Select((s, i) => (s.Id, i)).ToFrozenDictionary(t => t.Id, t => t.i, StringComparer.Ordinal),
            MunicipalitiesByPrefecture = municipalities.GroupBy(m => m.PrefectureCode)
                .ToFrozenDictionary(g => g.Key, g => (IReadOnlyList<MunicipalityInfo>)g.ToList(), StringComparer.Ordinal),
        };
    }

    private static MunicipalityKind ParseKind(string kind, int row) => kind switch
    {
        "designated_city" => MunicipalityKind.DesignatedCity,
        "city" => MunicipalityKind.City,
        "town" => MunicipalityKind.Town,
        "village" => MunicipalityKind.Village,
        "special_ward" => MunicipalityKind.SpecialWard,
        _ => throw new CatalogException($"municipalities.csv row {row + 2}: unknown kind '{kind}'."),
    };

    private static int ParseInt(string value, string file, int row) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var result)
            ? result
            : throw new CatalogException($"{file} row {row + 2}: '{value}' is not a whole number.");

    private static void RequireCount(int actual, int expected, string file, string what)
    {
        if (actual != expected)
        {
            throw new CatalogException($"{file}: expected {expected} {what}, found {actual}.");
        }
    }

    private static void RequireUnique(IEnumerable<string> values, string file, string what)
    {
        var duplicate = values.GroupBy(v => v, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new CatalogException($"{file}: {what} '{duplicate.Key}' appears more than once.");
        }
    }
}
