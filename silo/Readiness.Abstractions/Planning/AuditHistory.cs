using System.Globalization;

namespace Readiness.Planning;

/// <summary>
/// Reads the forecast's history out of the audit trail: a system entry's fields (<see cref="ChangeEntry.AfterFields"/>:
/// phase, plannedGoLive, vendor, designated, designationTarget; see AuditFields.Of) give a phase move when the phase
/// differs and a plan record when a planned date or target is given. Entries recorded before the trail stored fields
/// are read from their legacy text (<c>phase=testing; planned=2027-04-01; vendor=…; designated=vendor_capacity/2029-03-31</c>).
/// </summary>
public static class AuditHistory
{
    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    public static void Add(ChangeEntry entry, ICollection<PhaseTransition> transitions, ICollection<PlanRecord> plans)
    {
        if (!entry.Target.StartsWith("system:", StringComparison.Ordinal))
        {
            return;
        }

        var after = Side(entry.AfterFields, entry.After);
        if (after is null)
        {
            return;
        }

        var business = entry.Target["system:".Length..];
        var before = Side(entry.BeforeFields, entry.Before);
        var day = DateOnly.FromDateTime(entry.At.ToOffset(Jst).DateTime);
        if (after.Phase is not { } afterPhase || !Wire.TryParse(afterPhase, out MigrationPhase to))
        {
            return;
        }

        var from = before?.Phase is { } beforePhase && Wire.TryParse(beforePhase, out MigrationPhase parsed) ? parsed : (MigrationPhase?)null;
        if (from is { } f && f != to)
        {
            transitions.Add(new PhaseTransition(entry.MunicipalityCode, business, f, to, day, after.Designated, after.Vendor));
        }

        if (after.Planned is { } planned && TryDate(planned, out var plannedDay))
        {
            plans.Add(new PlanRecord(entry.MunicipalityCode, business, day, plannedDay));
        }

        if (after.Designated && after.Target is { } target && TryDate(target, out var targetDay))
        {
            plans.Add(new PlanRecord(entry.MunicipalityCode, business, day, targetDay, IsDesignationTarget: true));
        }
    }

    private sealed record SystemSide(string? Phase, string? Planned, string? Vendor, bool Designated, string? Target);

    /// <summary>One side of an entry: its fields, else its legacy text; null when it has neither.</summary>
    private static SystemSide? Side(System.Collections.Immutable.ImmutableArray<AuditField> fields, string? legacy)
    {
        if (!fields.IsDefaultOrEmpty)
        {
            string? Value(string name) => fields.FirstOrDefault(f => f.Name == name).Value; // none: default, its Value null
            return new SystemSide(Value("phase"), Value("plannedGoLive"), Value("vendor"), Value("designated") == "true", Value("designationTarget"));
        }

        if (legacy is null)
        {
            return null;
        }

        var text = Parse(legacy);
        var designated = text.TryGetValue("designated", out var designation);
        return new SystemSide(
            text.GetValueOrDefault("phase"),
            text.GetValueOrDefault("planned"),
            text.GetValueOrDefault("vendor"),
            designated,
            designated && designation!.Split('/') is [_, var target] ? target : null);
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
