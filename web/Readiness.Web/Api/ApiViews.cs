using System.Collections.Immutable;
using Readiness.Rules;

namespace Readiness.Web.Api;

public sealed record BusinessSystemView(string Id, int SeiriNo, string NameJa, string NameEn);

public sealed record PhaseView(string Id, int Order, string NameJa, string NameEn, bool Migrated);

public sealed record SecurityItemCatalogView(string Id, int Chapter, string ChapterJa, string TitleJa, string TitleEn, string Party, string Reference, string Basis);

public sealed record PrefectureCatalogView(string Code, string Name, string NameEn, string Region, int Municipalities);

/// <summary>Deadlines and limits the rules use.</summary>
public sealed record DeadlinesView(DateOnly Standardization, DateOnly DesignationLimit, int StaleAfterDays, DateOnly EarliestDate, DateOnly LatestDate);

public sealed record CatalogView(
    IReadOnlyList<BusinessSystemView> BusinessSystems,
    IReadOnlyList<PhaseView> Phases,
    IReadOnlyList<SecurityItemCatalogView> SecurityItems,
    IReadOnlyList<string> HostingKinds,
    IReadOnlyList<string> DesignationReasons,
    IReadOnlyList<string> SecurityStatuses,
    DeadlinesView Deadlines,
    int Municipalities,
    IReadOnlyList<PrefectureCatalogView> Prefectures,
    IReadOnlyList<SourceView> Sources,
    IReadOnlyList<string> CloudProviders);

public sealed record PrefectureListView(long Version, DateTimeOffset ComputedAt, int Count, IReadOnlyList<PrefectureSummaryView> Items);

/// <summary>
/// One audited change of one target: who (subject, role, tenant), when (UTC), what before and after, from where.
/// Before and after are objects, field → value (string, boolean or null; see <see cref="AuditSide"/>), null when
/// there is nothing (the "before" of a change recorded without one). <c>confirmed</c>: true when the entry is a
/// confirmation (確認済み), a report that changed nothing of its target (before equals after) and counts for the 30-day
/// stale rule (<see cref="Readiness.Rules.AuditFields.IsConfirmation"/>).
/// </summary>
public sealed record AuditEntryView(
    long Version, DateTimeOffset At, string Subject, [property: Readiness.Web.Api.OpenApi.WireEnum(typeof(Role))] string Role, string? Tenant, string Target,
    IReadOnlyDictionary<string, object?>? Before, IReadOnlyDictionary<string, object?>? After, string RequestId, string? ClientAddress, bool Confirmed);

/// <summary>
/// One side of an audited change as the API, the pages and CSV show it: the target's fields (named as in the system
/// and security item views) with their values; an entry recorded before fields were stored has its whole text under
/// "legacyText" instead.
/// </summary>
public static class AuditSide
{
    public static IReadOnlyDictionary<string, object?>? Before(ChangeEntry e) => View(AuditFields.Side(e.BeforeFields, e.Before));

    public static IReadOnlyDictionary<string, object?>? After(ChangeEntry e) => View(AuditFields.Side(e.AfterFields, e.After));

    /// <summary>The side as one JSON object (for a CSV cell), or null.</summary>
    public static string? Json(ImmutableArray<AuditField> fields) => AuditFields.ToJson(fields);

    private static Dictionary<string, object?>? View(ImmutableArray<AuditField> fields)
    {
        if (fields.IsDefaultOrEmpty)
        {
            return null;
        }

        var view = new Dictionary<string, object?>(fields.Length, StringComparer.Ordinal);
        foreach (var f in fields)
        {
            view[f.Name] = f.IsFlag ? f.Value == "true" : f.Value;
        }

        return view;
    }
}

/// <summary>A page of the audit trail, newest first; pass <see cref="NextCursor"/> as ?cursor= for the next page.</summary>
public sealed record HistoryView(string Code, long Version, long Total, int Limit, IReadOnlyList<AuditEntryView> Items, string? NextCursor);

/// <summary>
/// The answer to a report: status accepted or replayed, the version and changes of the first application (the same on
/// every replay), and the municipality's current state. <c>confirmed</c>: the report changed nothing and was recorded as
/// a confirmation (<c>確認済み</c>: every change has before = after, its as-of day renewed); <c>messageJa</c>/<c>messageEn</c>
/// say so, or "saved", in the forms' words (<see cref="SavedNotice"/>).
/// </summary>
public sealed record ReportResultView(string Status, string RequestId, long Version, IReadOnlyList<AuditEntryView> Changes, MunicipalityView Municipality,
    bool Confirmed, string MessageJa, string MessageEn)
{
    /// <summary>The answer to a successful <paramref name="result"/> (its record is the current state).</summary>
    public static ReportResultView Of(ReportResult result, MunicipalityView municipality)
    {
        var version = result.AppliedVersion ?? result.Record!.Version;
        var confirmed = SavedNotice.IsConfirmation(result.Changes);
        return new(Wire.Name(result.Status), result.RequestId, version, [.. result.Changes.Select(AuditApi.View)], municipality,
            confirmed, SavedNotice.Ja(version, confirmed), SavedNotice.En(version, confirmed));
    }
}
