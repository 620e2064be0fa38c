using System.Collections.Immutable;
using System.Globalization;
using Readiness.Rules;

namespace Readiness.Planning;

/// <summary>A vendor's go-live capacity set by a scenario: at most <see cref="PerMonth"/> go-lives a month (1..10,000).</summary>
[GenerateSerializer, Immutable, Alias("Readiness.Planning.VendorCapacitySetting")]
public sealed record VendorCapacitySetting(
    [property: Id(0)] string Vendor,
    [property: Id(1)] int PerMonth);

/// <summary>
/// Moves the planned go-live dates and designation targets of one prefecture's systems (or of all, when
/// <see cref="PrefectureCode"/> is null) by <see cref="Months"/> (−120..120; positive = later).
/// </summary>
[GenerateSerializer, Immutable, Alias("Readiness.Planning.TargetShift")]
public sealed record TargetShift(
    [property: Id(0)] string? PrefectureCode,
    [property: Id(1)] int Months);

/// <summary>
/// A named what-if scenario of national staff: vendor capacities, moved targets, and an assumed monthly completion
/// rate for systems nobody has reported on. Compared with the baseline forecast over the same inputs and seed.
/// </summary>
[GenerateSerializer, Immutable, Alias("Readiness.Planning.ForecastScenario")]
public sealed record ForecastScenario
{
    /// <summary>1–80 characters, unique; the key in the API path.</summary>
    [Id(0)] public required string Name { get; init; }
    [Id(1)] public string? Description { get; init; }
    [Id(2)] public ImmutableArray<VendorCapacitySetting> VendorCapacity { get; init; } = [];
    [Id(3)] public ImmutableArray<TargetShift> TargetShifts { get; init; } = [];

    /// <summary>Monthly probability (0 &lt; r &lt; 1) that an unreported system goes live; null: the phase model.</summary>
    [Id(4)] public double? UnreportedMonthlyCompletionRate { get; init; }
    [Id(5)] public long Version { get; init; }
    [Id(6)] public DateTimeOffset SavedAt { get; init; }
    [Id(7)] public Actor? SavedBy { get; init; }
}

/// <summary>
/// One audited change of the scenarios: who saved or deleted which scenario, when, from where (as a municipality's
/// change entry), and what it said.
/// </summary>
[GenerateSerializer, Immutable, Alias("Readiness.Planning.ScenarioAuditEntry")]
public sealed record ScenarioAuditEntry(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] Actor Actor,
    [property: Id(2)] string Action,
    [property: Id(3)] string Name,
    [property: Id(4)] long Version,
    [property: Id(5)] string Detail)
{
    /// <summary>The writer's IP address as the web node saw it (behind a known proxy: the forwarded one); null for entries written before it was kept.</summary>
    [Id(6)] public string? ClientAddress { get; init; }

    /// <summary>The write's request id ("req-" and 32 hex digits); null for entries written before it was kept.</summary>
    [Id(7)] public string? RequestId { get; init; }
}

/// <summary>
/// Where a scenario write came from, kept on its audit entry: the client's IP address (null when unknown) and the
/// request's id.
/// </summary>
[GenerateSerializer, Immutable, Alias("Readiness.Planning.WriteOrigin")]
public sealed record WriteOrigin(
    [property: Id(0)] string? ClientAddress,
    [property: Id(1)] string? RequestId)
{
    /// <summary>No origin known (a call from a web node that sent none).</summary>
    public static WriteOrigin None { get; } = new(null, null);
}

/// <summary>The pure rules of scenarios: validation, and how a scenario changes the forecast's inputs and options.</summary>
public static class ScenarioRules
{
    public const int MaxNameLength = 80;
    public const int MaxDescriptionLength = 1000;
    public const int MaxSettings = 200;

    /// <summary>
    /// The form a scenario's name is stored, looked up and told apart in: its identifier form, as a vendor's
    /// (<see cref="FreeText.Identifier"/>: NFC, NFKC, runs of spaces one space, trimmed), so that names people read as
    /// one (「ＡＢＣ」 and "ABC", "ｶﾅ" and "カナ", a composed and a decomposed "が") are one scenario; the text trimmed when
    /// nothing is left of it (refused by <see cref="IsName"/>).
    /// </summary>
    public static string NameKey(string? name) => FreeText.Identifier(name) ?? name?.Trim() ?? string.Empty;

    /// <summary>Whether two names are the same scenario's (<see cref="NameKey"/>; a name stored before names were normalised too).</summary>
    public static bool SameName(string? a, string? b) => string.Equals(NameKey(a), NameKey(b), StringComparison.Ordinal);

    /// <summary>
    /// True when the text can be a scenario's name: 1 to <see cref="MaxNameLength"/> characters, not blank, without
    /// control, invisible or direction-changing characters or '/' (the name is a path segment of /api/v1/scenarios/{scenario}).
    /// </summary>
    public static bool IsName(string? name) =>
        !string.IsNullOrWhiteSpace(name) && FreeText.Characters(name) <= MaxNameLength && FreeText.Check(name, multiline: false).Fault == FreeTextFault.None
        && !name.Contains('/', StringComparison.Ordinal) && !name.Contains('\\', StringComparison.Ordinal)
        && name is not ("." or ".."); // dot segments: clients and servers remove them from a path (RFC 3986 §5.2.4), so GET/DELETE could never reach it

    /// <summary>The faults of a scenario, each naming its field, in Japanese and English; empty when valid.</summary>
    public static ImmutableArray<ValidationError> Validate(ForecastScenario s, Func<string, bool> isPrefecture)
    {
        var errors = ImmutableArray.CreateBuilder<ValidationError>();
        if (!IsName(s.Name))
        {
            errors.Add(new("name", "invalid_name", $"シナリオ名は1〜{MaxNameLength}文字で、制御文字・表示されない文字・文字の向きを変える文字と「/」「\\」は使えず、「.」「..」だけの名前にはできません。",
                $"The scenario name must be 1-{MaxNameLength} characters without control, invisible or direction-changing characters, '/' or '\\', and not '.' or '..'."));
        }

        if (FreeText.Characters(s.Description) > MaxDescriptionLength)
        {
            errors.Add(new("description", "too_long", $"説明は{MaxDescriptionLength}文字以内です。", $"The description is at most {MaxDescriptionLength} characters."));
        }
        else if (FreeText.Check(s.Description, multiline: true) is { Fault: not FreeTextFault.None } fault)
        {
            errors.Add(new("description", "invalid_character",
                $"説明に使用できない文字（{FreeText.Describe(fault.CodePoint)}、{fault.Index + 1}文字目）が含まれています。制御文字・表示されない文字・文字の向きを変える文字は使えません。",
                $"The description contains a character that is not allowed ({FreeText.Describe(fault.CodePoint)} at position {fault.Index + 1}): no control, invisible or direction-changing characters."));
        }

        if (s.VendorCapacity.Length > MaxSettings || s.TargetShifts.Length > MaxSettings)
        {
            errors.Add(new("vendorCapacity", "too_many", $"設定は各{MaxSettings}件までです。", $"At most {MaxSettings} settings of each kind."));
        }

        for (var i = 0; i < s.VendorCapacity.Length; i++)
        {
            var v = s.VendorCapacity[i];
            // Counted as stored: the capacity is kept under the name's identifier form (NFKC), which a caller may not have applied.
            if (string.IsNullOrWhiteSpace(v.Vendor) || FreeText.Characters(FreeText.Identifier(v.Vendor) ?? v.Vendor) > 200)
            {
                errors.Add(new($"vendorCapacity[{i}].vendor", "required", "ベンダ名を入力してください（200文字以内）。", "Give the vendor's name (at most 200 characters)."));
            }
            else if (FreeText.Check(v.Vendor, multiline: false) is { Fault: not FreeTextFault.None } fault)
            {
                errors.Add(new($"vendorCapacity[{i}].vendor", "invalid_character",
                    $"ベンダ名に使用できない文字（{FreeText.Describe(fault.CodePoint)}、{fault.Index + 1}文字目）が含まれています。",
                    $"The vendor's name contains a character that is not allowed ({FreeText.Describe(fault.CodePoint)} at position {fault.Index + 1})."));
            }

            if (v.PerMonth is < 1 or > 10_000)
            {
                errors.Add(new($"vendorCapacity[{i}].perMonth", "out_of_range", "月あたりの本番稼働数は1〜10000です。", "Go-lives per month must be 1-10000."));
            }
        }

        if (s.VendorCapacity.GroupBy(v => FreeText.Identifier(v.Vendor) ?? v.Vendor, StringComparer.Ordinal).Any(g => g.Count() > 1))
        {
            errors.Add(new("vendorCapacity", "duplicate", "同じベンダが2回指定されています。", "A vendor is given twice."));
        }

        for (var i = 0; i < s.TargetShifts.Length; i++)
        {
            var t = s.TargetShifts[i];
            if (t.PrefectureCode is { } code && !isPrefecture(code))
            {
                errors.Add(new($"targetShifts[{i}].prefectureCode", "unknown_prefecture", $"都道府県コード「{Truncate(code)}」はありません（01〜47、全国は省略）。", $"Unknown prefecture code '{Truncate(code)}' (01-47; omit for all)."));
            }

            if (t.Months is < -120 or > 120)
            {
                errors.Add(new($"targetShifts[{i}].months", "out_of_range", "目標の移動は−120〜120か月です。", "A target shift is -120 to 120 months."));
            }

            // Shifts of one scope add up (Apply): two for the same prefecture, or two for all, would move a target past
            // the ±120 months a shift may (200 × −120 put go-lives in the first century).
            if (s.TargetShifts.Take(i).Any(earlier => string.Equals(earlier.PrefectureCode, t.PrefectureCode, StringComparison.Ordinal)))
            {
                errors.Add(t.PrefectureCode is { } twice
                    ? new($"targetShifts[{i}].prefectureCode", "duplicate", $"都道府県「{Truncate(twice)}」の目標の移動が2回指定されています。", $"Prefecture '{Truncate(twice)}' is shifted twice.")
                    : new($"targetShifts[{i}].prefectureCode", "duplicate", "全国の目標の移動が2回指定されています。", "The shift for all prefectures is given twice."));
            }
        }

        if (s.UnreportedMonthlyCompletionRate is { } r && !(r > 0 && r < 1))
        {
            errors.Add(new("unreportedMonthlyCompletionRate", "out_of_range", "未報告システムの月間完了率は0より大きく1より小さい値です。", "The monthly completion rate of unreported systems must be between 0 and 1 (exclusive)."));
        }

        return errors.ToImmutable();
    }

    /// <summary>The inputs and options the scenario forecasts with: shifted targets, set capacities, the assumed rate.</summary>
    public static (IReadOnlyList<ForecastSystem> Systems, ForecastOptions Options) Apply(ForecastScenario scenario, IReadOnlyList<ForecastSystem> systems, ForecastOptions options)
    {
        var shifted = systems;
        if (!scenario.TargetShifts.IsDefaultOrEmpty)
        {
            var all = scenario.TargetShifts.Where(t => t.PrefectureCode is null).Sum(t => t.Months);
            var byPrefecture = scenario.TargetShifts.Where(t => t.PrefectureCode is not null).GroupBy(t => t.PrefectureCode!).ToDictionary(g => g.Key, g => g.Sum(t => t.Months));
            shifted = systems.Select(s =>
            {
                var months = all + byPrefecture.GetValueOrDefault(s.PrefectureCode);
                return months == 0 ? s : s with
                {
                    PlannedGoLive = s.PlannedGoLive?.AddMonths(months),
                    DesignationTarget = s.DesignationTarget?.AddMonths(months),
                };
            }).ToList();
        }

        var capacity = options.VendorCapacity;
        foreach (var v in scenario.VendorCapacity.IsDefault ? [] : scenario.VendorCapacity)
        {
            capacity = capacity.SetItem(FreeText.Identifier(v.Vendor) ?? v.Vendor, v.PerMonth); // as the systems' vendors are grouped
        }

        return (shifted, options with
        {
            VendorCapacity = capacity,
            UnreportedMonthlyCompletionRate = scenario.UnreportedMonthlyCompletionRate ?? options.UnreportedMonthlyCompletionRate,
        });
    }

    /// <summary>A one-line description of the levers (the editor's list).</summary>
    public static string Describe(ForecastScenario s) => string.Join("; ", new[]
    {
        s.VendorCapacity.IsDefaultOrEmpty ? null : "capacity=" + string.Join(",", s.VendorCapacity.Select(v => $"{v.Vendor}:{v.PerMonth.ToString(CultureInfo.InvariantCulture)}")),
        s.TargetShifts.IsDefaultOrEmpty ? null : "shift=" + string.Join(",", s.TargetShifts.Select(t => $"{t.PrefectureCode ?? "all"}:{t.Months.ToString(CultureInfo.InvariantCulture)}")),
        s.UnreportedMonthlyCompletionRate is { } r ? "unreported_rate=" + r.ToString(CultureInfo.InvariantCulture) : null,
    }.Where(x => x is not null));

    /// <summary>True when <paramref name="a"/> and <paramref name="b"/> say the same (name, description, levers); versions and who saved are not content.</summary>
    public static bool SameContent(ForecastScenario a, ForecastScenario b) =>
        string.Equals(a.Name, b.Name, StringComparison.Ordinal)
        && string.Equals(a.Description, b.Description, StringComparison.Ordinal)
        && (a.VendorCapacity.IsDefault ? [] : a.VendorCapacity).SequenceEqual(b.VendorCapacity.IsDefault ? [] : b.VendorCapacity)
        && (a.TargetShifts.IsDefault ? [] : a.TargetShifts).SequenceEqual(b.TargetShifts.IsDefault ? [] : b.TargetShifts)
        && Nullable.Equals(a.UnreportedMonthlyCompletionRate, b.UnreportedMonthlyCompletionRate);

    /// <summary>
    /// The audit detail of a save: for a create (<paramref name="before"/> null) or a delete every member given
    /// (<c>name="…"; description="…"; capacity=…; shift=…; unreported_rate=…</c>); for a replacement each member that
    /// changed, as <c>member: before → after</c> (<c>(none)</c> when absent). Text is quoted with \ " and line breaks escaped.
    /// </summary>
    public static string DescribeChange(ForecastScenario? before, ForecastScenario after)
    {
        var members = Members(after);
        if (before is null)
        {
            return string.Join("; ", members.Where(m => m.Value is not null).Select(m => $"{m.Key}={m.Value}"));
        }

        var old = Members(before);
        return string.Join("; ", members.Zip(old)
            .Where(p => !string.Equals(p.First.Value, p.Second.Value, StringComparison.Ordinal))
            .Select(p => $"{p.First.Key}: {p.Second.Value ?? "(none)"} → {p.First.Value ?? "(none)"}"));
    }

    private static KeyValuePair<string, string?>[] Members(ForecastScenario s) =>
    [
        new("name", Quote(s.Name)),
        new("description", s.Description is null ? null : Quote(s.Description)),
        new("capacity", s.VendorCapacity.IsDefaultOrEmpty ? null : string.Join(",", s.VendorCapacity.Select(v => $"{v.Vendor}:{v.PerMonth.ToString(CultureInfo.InvariantCulture)}"))),
        new("shift", s.TargetShifts.IsDefaultOrEmpty ? null : string.Join(",", s.TargetShifts.Select(t => $"{t.PrefectureCode ?? "all"}:{t.Months.ToString(CultureInfo.InvariantCulture)}"))),
        new("unreported_rate", s.UnreportedMonthlyCompletionRate is { } r ? r.ToString(CultureInfo.InvariantCulture) : null),
    ];

    private static string Quote(string text) =>
        "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";

    private static string Truncate(string text) => text.Length > 20 ? text[..20] + "…" : text;
}
