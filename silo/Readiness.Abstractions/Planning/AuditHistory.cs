using System.Globalization;

namespace Readiness.Planning;

/// <summary>
/// Reads the forecast's history out of the audit trail: a system entry's Before/After text
/// (<c>phase=testing; planned=2027-04-01; vendor=…; designated=vendor_capacity/2029-03-31</c>, see ChangeRules.Describe)
/// gives a phase move when the phase differs and a plan record when a planned date or target is given.
/// </summary>
public static class AuditHistory
{
    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    public static void Add(ChangeEntry entry, ICollection<PhaseTransition> transitions, ICollection<PlanRecord> plans)
    {
        if (!entry.Target.StartsWith("system:", StringComparison.Ordinal) || entry.After is null)
        {
            return;
        }

        var business = entry.Target["system:".Length..];
        var after = Parse(entry.After);
        var before = entry.Before is null ? null : Parse(entry.Before);
        var day = DateOnly.FromDateTime(entry.At.ToOffset(Jst).DateTime);
        if (!after.TryGetValue("phase", out var afterPhase) || !Wire.TryParse(afterPhase, out MigrationPhase to))
        {
            return;
        }

        var designated = after.TryGetValue("designated", out var designation);
        after.TryGetValue("vendor", out var vendor);
        var from = before is not null && before.TryGetValue("phase", out var beforePhase) && Wire.TryParse(beforePhase, out MigrationPhase parsed) ? parsed : (MigrationPhase?)null;
        if (from is { } f && f != to)
        {
            transitions.Add(new PhaseTransition(entry.MunicipalityCode, business, f, to, day, designated, vendor));
        }

        if (after.TryGetValue("planned", out var planned) && TryDate(planned, out var plannedDay))
        {
            plans.Add(new PlanRecord(entry.MunicipalityCode, business, day, plannedDay));
        }

        if (designated && designation!.Split('/') is [_, var target] && TryDate(target, out var targetDay))
        {
            plans.Add(new PlanRecord(entry.MunicipalityCode, business, day, targetDay, IsDesignationTarget: true));
        }
    }

    private static Dictionary<string, string> Parse(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in text.Split("; "))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            result[eq < 0 ? part : part[..eq]] = eq < 0 ? string.Empty : part[(eq + 1)..];
        }

        return result;
    }

    private static bool TryDate(string text, out DateOnly day) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day);
}
