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
    IReadOnlyList<SourceView> Sources);

public sealed record PrefectureListView(long Version, DateTimeOffset ComputedAt, int Count, IReadOnlyList<PrefectureSummaryView> Items);

/// <summary>One audited change of one target: who (subject, role, tenant), when (UTC), what before and after, from where.</summary>
public sealed record AuditEntryView(
    long Version, DateTimeOffset At, string Subject, string Role, string? Tenant, string Target, string? Before, string? After, string RequestId, string? ClientAddress);

/// <summary>A page of the audit trail, newest first; pass <see cref="NextCursor"/> as ?cursor= for the next page.</summary>
public sealed record HistoryView(string Code, long Version, long Total, int Limit, IReadOnlyList<AuditEntryView> Items, string? NextCursor);

/// <summary>
/// The answer to a report: status accepted or replayed, the version and changes of the first application (the same on
/// every replay), and the municipality's current state.
/// </summary>
public sealed record ReportResultView(string Status, string RequestId, long Version, IReadOnlyList<AuditEntryView> Changes, MunicipalityView Municipality);
