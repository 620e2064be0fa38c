using System.Collections.Immutable;
using System.Globalization;

namespace Readiness.Rules;

/// <summary>
/// One target ("system:koseki", "security:SEC-2-01") that a submission changes and that was changed after the version
/// the submission was made from: the entries of the audit trail that changed it, oldest first (at least one).
/// </summary>
public sealed record TargetConflict(string Target, ImmutableArray<ChangeEntry> Changes)
{
    /// <summary>The newest version that changed the target.</summary>
    public long LastVersion => Changes[^1].Version;

    /// <summary>Who changed it (the actors' subjects, in order, each once).</summary>
    public ImmutableArray<string> Actors => [.. Changes.Select(c => c.Actor.Subject).Distinct(StringComparer.Ordinal)];
}

/// <summary>
/// The decision for a dashboard form or a reporting template made from an older version than the current one: the
/// version is the whole municipality's, so an unrelated change since must not refuse it. A submission conflicts only
/// with the targets it changes that the audit trail shows changed after its version; otherwise it is applied on top of
/// the current version. Pure: the caller reads the trail's entries above the version (newest or oldest first).
/// </summary>
public static class ChangesSince
{
    /// <summary>
    /// The fields a person reports (the forms' and the template's), by which a later entry counts as changing its target.
    /// An official import's entry that only moves its step completion changes none of them, so it is no conflict.
    /// </summary>
    private static readonly ImmutableHashSet<string> Reported = ImmutableHashSet.Create(StringComparer.Ordinal,
        "phase", "notApplicable", "plannedGoLive", "vendor", "hosting", "designated", "designationReason", "designationTarget",
        "regressionReason", "cloudProvider", "designationReasonNote", "status", "lastReviewed", "evidence");

    /// <summary>
    /// The targets changed after version <paramref name="madeFrom"/>: entries with a higher version whose reported
    /// fields differ before and after (a legacy entry without fields counts as a change), each target with its entries
    /// oldest first, ordered by target.
    /// </summary>
    public static ImmutableDictionary<string, ImmutableArray<ChangeEntry>> Changed(IEnumerable<ChangeEntry> history, long madeFrom) =>
        history.Where(e => e.Version > madeFrom && ChangesReported(e))
            .GroupBy(e => e.Target, StringComparer.Ordinal)
            .ToImmutableDictionary(g => g.Key, g => g.OrderBy(e => e.Version).ToImmutableArray(), StringComparer.Ordinal);

    /// <summary>
    /// The conflicts of a submission made from version <paramref name="madeFrom"/> that changes <paramref name="submitted"/>
    /// (targets as the trail names them): the targets changed since ∩ the targets submitted, ordered by target. Empty: apply
    /// it on top of the current version.
    /// </summary>
    public static ImmutableArray<TargetConflict> Conflicts(IEnumerable<ChangeEntry> history, long madeFrom, IEnumerable<string> submitted)
    {
        var changed = Changed(history, madeFrom);
        return [.. submitted.Distinct(StringComparer.Ordinal).Where(changed.ContainsKey).Order(StringComparer.Ordinal)
            .Select(t => new TargetConflict(t, changed[t]))];
    }

    /// <summary>
    /// <paramref name="current"/> with every target changed after <paramref name="madeFrom"/> put back as it was then
    /// (the fields before its first later entry), and the version <paramref name="madeFrom"/>: what a template made from
    /// that version was compared against. A target whose entry has no fields (legacy) stays as it is now.
    /// </summary>
    public static MunicipalityRecord AsOf(MunicipalityRecord current, IEnumerable<ChangeEntry> history, long madeFrom)
    {
        var changed = Changed(history, madeFrom);
        SystemStatus System(SystemStatus s) =>
            changed.TryGetValue("system:" + s.BusinessId, out var e) && Fields(e[0]) is { } f ? Restore(s, f) : s;
        SecurityItemStatus Item(SecurityItemStatus s) =>
            changed.TryGetValue("security:" + s.ItemId, out var e) && Fields(e[0]) is { } f ? Restore(s, f) : s;
        return current with { Version = madeFrom, Systems = [.. current.Systems.Select(System)], Security = [.. current.Security.Select(Item)] };
    }

    private static bool ChangesReported(ChangeEntry e)
    {
        if (e.BeforeFields.IsDefaultOrEmpty || e.AfterFields.IsDefaultOrEmpty)
        {
            return true;
        }

        var before = e.BeforeFields.Where(f => Reported.Contains(f.Name)).ToDictionary(f => f.Name, f => f.Value, StringComparer.Ordinal);
        var after = e.AfterFields.Where(f => Reported.Contains(f.Name)).ToDictionary(f => f.Name, f => f.Value, StringComparer.Ordinal);
        return before.Count != after.Count || before.Any(b => !after.TryGetValue(b.Key, out var a) || !string.Equals(a, b.Value, StringComparison.Ordinal));
    }

    private static Dictionary<string, string?>? Fields(ChangeEntry first) =>
        first.BeforeFields.IsDefaultOrEmpty ? null : first.BeforeFields.ToDictionary(f => f.Name, f => f.Value, StringComparer.Ordinal);

    private static SystemStatus Restore(SystemStatus s, Dictionary<string, string?> f) => s with
    {
        Phase = Enum(f, "phase", s.Phase),
        NotApplicable = Flag(f, "notApplicable", s.NotApplicable),
        PlannedGoLive = Date(f, "plannedGoLive", s.PlannedGoLive),
        Vendor = f.TryGetValue("vendor", out var v) ? v : s.Vendor,
        Hosting = Optional(f, "hosting", s.Hosting),
        Designated = Flag(f, "designated", s.Designated),
        DesignationReason = Optional(f, "designationReason", s.DesignationReason),
        DesignationTarget = Date(f, "designationTarget", s.DesignationTarget),
        Regression = Flag(f, "regression", s.Regression),
        RegressionReason = f.TryGetValue("regressionReason", out var r) ? r : s.RegressionReason,
        CloudProvider = Optional(f, "cloudProvider", s.CloudProvider),
        DesignationReasonNote = f.TryGetValue("designationReasonNote", out var n) ? n : s.DesignationReasonNote,
    };

    private static SecurityItemStatus Restore(SecurityItemStatus s, Dictionary<string, string?> f) => s with
    {
        Status = Enum(f, "status", s.Status),
        Evidence = f.TryGetValue("evidence", out var e) ? e : s.Evidence,
        LastReviewed = Date(f, "lastReviewed", s.LastReviewed),
    };

    private static TEnum Enum<TEnum>(Dictionary<string, string?> f, string name, TEnum now)
        where TEnum : struct, System.Enum =>
        f.TryGetValue(name, out var text) && Wire.TryParse<TEnum>(text, out var value) ? value : now;

    private static TEnum? Optional<TEnum>(Dictionary<string, string?> f, string name, TEnum? now)
        where TEnum : struct, System.Enum =>
        !f.TryGetValue(name, out var text) ? now : text is null ? null : Wire.TryParse<TEnum>(text, out var value) ? value : now;

    private static bool Flag(Dictionary<string, string?> f, string name, bool now) =>
        f.TryGetValue(name, out var text) ? text == "true" : now;

    private static DateOnly? Date(Dictionary<string, string?> f, string name, DateOnly? now) =>
        !f.TryGetValue(name, out var text) ? now
        : text is null ? null
        : DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : now;
}
