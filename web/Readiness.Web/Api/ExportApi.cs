using System.Globalization;
using Readiness.Catalog;
using Readiness.Grains;
using Readiness.Hosting;
using Readiness.Rules;
using Readiness.Web.Api.OpenApi;
using Readiness.Web.Auth;
using Readiness.Web.Components;
using Readiness.Web.Summaries;

namespace Readiness.Web.Api;

/// <summary>
/// The detailed export: one row per municipality and business system, keyed by the 6-digit code, and one per system a
/// prefecture runs itself and has reported (keyed by the prefecture's own 団体コード, <c>prefecture_run</c> true), so the
/// rows add up to the overview's figures for the same scope.
/// </summary>
public static class ExportApi
{
    public static IEndpointRouteBuilder MapExportApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/export/municipalities.csv", Export).AnswersConditionalRequests()
            .RequireAuthorization(ReadinessPolicies.Export)
            .RequireRateLimiting(RateLimits.ReadsPolicy)
            .WithTags("Export")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .WithQueryParameter("prefecture", "任意。都道府県コード（2桁）で1都道府県に絞ります（都道府県職員は省略時に自団体）。 / Optional: a two-digit prefecture code for one prefecture (a prefecture's staff get their own when they name none); an unknown code is 400.", "13")
            .WithSummary("Every municipality × business system as CSV (UTF-8 with BOM); ?prefecture=13 for one prefecture (a prefecture's own is its default)");
        app.MapGet("/api/v1/prefectures/{prefCode}/municipalities.csv", PrefectureTable).AnswersConditionalRequests()
            .RequireAuthorization(ReadinessPolicies.Summaries)
            .RequireRateLimiting(RateLimits.ReadsPolicy)
            .WithTags("Export")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithClosedValues(("kind", MunicipalityQuery.Kinds), ("flag", MunicipalityQuery.Flags), ("sort", MunicipalityQuery.Columns), ("dir", MunicipalityQuery.Directions))
            .WithSummary("A prefecture's municipalities, one row each with their figures, as CSV (the dashboard's table; ?q= ?kind= ?flag= ?sort= ?dir= as on the page)");
        return app;
    }

    private static async Task<IResult> Export(HttpContext http, MunicipalityRecords reads, TimeProvider time, ReportingService reporting, IGrainFactory grains, GrainCalls calls)
    {
        if (Scope(http, reporting) is not { } scope)
        {
            return UnknownPrefecture(http);
        }

        var municipalities = scope.Municipalities;
        var today = ReadinessRules.TodayInJapan(time.GetUtcNow());
        var read = await reads.ReadAsync(municipalities, http.RequestAborted);
        var prefectureRun = await ReadPrefectureRunAsync(scope.Code, grains, calls, http.RequestAborted);

        var etag = ExportETag("csv", today, read, prefectureRun);
        if (Preconditions.ForRead(http, etag) is { } conditional)
        {
            return conditional;
        }

        return await CsvOutput.Respond(http, $"municipalities-{scope.Code ?? "all"}-{today:yyyyMMdd}.csv", async csv =>
        {
            await csv.Row(ExportColumns);
            foreach (var row in ExportRows(municipalities, read, prefectureRun, today))
            {
                await csv.Row(row);
            }
        });
    }

    /// <summary>
    /// The detailed export's validator (RFC 9110 §8.8.3) in one format ("csv" or "xlsx"): a hash of the format, Japan's
    /// columns, Japan's date (the flags are judged on it), every record's version (the prefectures' own systems' too) and the
    /// municipalities that cannot be read. The rows follow from exactly these, so a nightly download of an unchanged
    /// nation answers 304, and a change to any municipality or prefecture-run system in it, or a municipality becoming
    /// unreadable or readable again, changes it.
    /// </summary>
    public static string ExportETag(string format, DateOnly today, MunicipalitiesRead<MunicipalityRecord> read, IReadOnlyList<PrefectureRunRecord> prefectureRun)
    {
        // The columns too: a file with a column added since is new content for the same records.
        var validator = new System.Text.StringBuilder(format).Append(';').AppendJoin(',', ExportColumns).Append(';').Append(today.ToString("yyyyMMdd", CultureInfo.InvariantCulture));
        foreach (var (m, r) in read.Readable)
        {
            validator.Append(';').Append(m.Code).Append(':').Append(r.Version.ToString(CultureInfo.InvariantCulture));
        }

        foreach (var p in prefectureRun)
        {
            validator.Append(';').Append(p.Code).Append(":p").Append(p.Version.ToString(CultureInfo.InvariantCulture));
        }

        foreach (var m in read.Unreadable)
        {
            validator.Append(';').Append(m.Code).Append(":unreadable");
        }

        return Preconditions.ContentETag(System.Text.Encoding.UTF8.GetBytes(validator.ToString()));
    }

    /// <summary>
    /// A prefecture table's validator in one format ("csv" or "xlsx"): a hash of the format, the prefecture's summary as
    /// its own GET tags it (the sum of its municipalities' versions and when it was computed) and the table's query
    /// (?q= ?kind= ?flag= ?sort= ?dir=), from which the rows follow.
    /// </summary>
    public static string TableETag(string format, PrefectureSnapshot prefecture, params string?[] query)
    {
        // The columns too, as the detailed export's: a file with a column added since (last_reported_at_jst) is new content.
        string[] parts = [format, string.Join(',', MunicipalityTableCsv.Header), prefecture.View.Prefecture.Code, prefecture.VersionSum.ToString(CultureInfo.InvariantCulture),
            prefecture.ComputedAt.ToString("O", CultureInfo.InvariantCulture), .. query.Select(q => q ?? "")];
        return Preconditions.ContentETag(System.Text.Encoding.UTF8.GetBytes(string.Join('\u001f', parts)));
    }

    /// <summary>
    /// The municipalities the detailed export covers: <c>?prefecture=</c>'s, else a prefecture's staff their own, else
    /// every one (Code null); null when <c>?prefecture=</c> names no prefecture.
    /// </summary>
    public static (string? Code, IReadOnlyList<MunicipalityInfo> Municipalities)? Scope(HttpContext http, ReportingService reporting)
    {
        var catalog = ReadinessCatalog.Instance;
        var prefecture = http.Request.Query["prefecture"];
        if (prefecture.Count > 1 || (prefecture.Count == 1 && !catalog.PrefecturesByCode.ContainsKey(prefecture.ToString())))
        {
            return null;
        }

        // A prefecture's staff export their own prefecture when they name none (the policy refused any other).
        var caller = reporting.Caller(http.User);
        var scope = prefecture.Count == 1 ? prefecture.ToString() : caller?.Role == Role.Prefecture ? caller.Tenant : null;
        return (scope, scope is null ? catalog.Municipalities : catalog.MunicipalitiesByPrefecture[scope]);
    }

    /// <summary>
    /// The prefecture-run records of the export's scope (one prefecture's, or all 47 in catalog order when
    /// <paramref name="prefecture"/> is null), read from their grains.
    /// </summary>
    public static async Task<IReadOnlyList<PrefectureRunRecord>> ReadPrefectureRunAsync(string? prefecture, IGrainFactory grains, GrainCalls calls, CancellationToken cancellationToken)
    {
        IEnumerable<string> codes = prefecture is null ? ReadinessCatalog.Instance.Prefectures.Select(p => p.Code) : [prefecture];
        return await Task.WhenAll(codes.Select(c => calls.Run(() => grains.GetGrain<IPrefectureRunGrain>(c).GetAsync(), idempotent: true, cancellationToken)));
    }

    /// <summary>
    /// The refusal of a <c>?prefecture=</c> that names no prefecture: not two digits is invalid_format
    /// (<see cref="QueryValue.PrefectureCodeShape"/>), two digits that no prefecture has unknown_prefecture.
    /// </summary>
    public static IResult UnknownPrefecture(HttpContext http)
    {
        var prefecture = http.Request.Query["prefecture"].ToString();
        if (QueryValue.PrefectureCodeShape(prefecture) is { } malformed)
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "Invalid request", [malformed]);
        }

        return Problems.BadRequest("prefecture", "unknown_prefecture",
            $"都道府県コード「{Problems.Shown(prefecture)}」はありません（01〜47の2桁）。", $"Unknown prefecture code '{Problems.Shown(prefecture)}' (two digits, 01-47).");
    }

    /// <summary>
    /// The export's rows in catalog order: one per business system of each municipality read, one
    /// <see cref="UnreadableRow"/> for each municipality whose stored state cannot be read, and before each prefecture's
    /// municipalities (its 団体コード sorts first) one <see cref="PrefectureRunRow"/> per system the prefecture runs itself
    /// and has reported: the systems the overview counts, so that the rows' sums equal its figures.
    /// </summary>
    public static IEnumerable<object?[]> ExportRows(IReadOnlyList<MunicipalityInfo> municipalities, MunicipalitiesRead<MunicipalityRecord> read,
        IReadOnlyList<PrefectureRunRecord> prefectureRun, DateOnly today)
    {
        var records = read.Readable.ToDictionary(x => x.Municipality.Code, x => x.Value, StringComparer.Ordinal);
        var pending = prefectureRun.ToDictionary(p => p.PrefectureCode, StringComparer.Ordinal);
        foreach (var m in municipalities)
        {
            if (pending.Remove(m.PrefectureCode, out var own))
            {
                foreach (var s in own.Systems.Where(PrefectureRunRecord.Counts))
                {
                    yield return PrefectureRunRow(own, s, today);
                }
            }

            if (!records.TryGetValue(m.Code, out var r))
            {
                yield return UnreadableRow(m);
                continue;
            }

            foreach (var s in r.Systems)
            {
                yield return ExportRow(m, r, s, today);
            }
        }
    }

    /// <summary>The <c>origin</c> of the one row of a municipality whose stored state cannot be read (its other columns empty).</summary>
    public const string UnreadableOrigin = "unreadable";

    /// <summary>
    /// The row of a municipality whose stored state cannot be read: code, prefecture code and name, municipality name,
    /// <c>origin</c> = <see cref="UnreadableOrigin"/>; every other column empty (nothing is known until it is restored).
    /// </summary>
    public static object?[] UnreadableRow(MunicipalityInfo m)
    {
        var row = new object?[ExportColumns.Length];
        row[0] = m.Code;
        row[1] = m.PrefectureCode;
        row[2] = ReadinessCatalog.Instance.PrefecturesByCode[m.PrefectureCode].Name;
        row[3] = m.Name;
        row[Array.IndexOf(ExportColumns, "origin")] = UnreadableOrigin;
        return row;
    }

    /// <summary>
    /// The detailed export's columns, the same in CSV and .xlsx (one row per municipality × business): the reported state,
    /// its flags on the day, the official step completion with the as-of day and source of its dataset (the baseline's
    /// month when none was applied) and the designation list's as-of day. Every member of the API's system view has its
    /// column (<see cref="ColumnOfSystemMember"/>) but those in <see cref="SystemMembersLeftOut"/>; columns added later
    /// come last, so a reader by position keeps working.
    /// </summary>
    public static readonly object?[] ExportColumns =
    [
        "code", "prefecture_code", "prefecture", "municipality", "business_id", "business", "phase", "phase_ja", "migrated", "not_applicable",
        "planned_go_live", "vendor", "hosting", "designated", "designation_reason", "designation_target", "overdue", "past_target", "beyond_limit",
        "regression", "regression_reason", "baseline_step_completion", "reported_at_utc", "version", "origin", "cloud_provider",
        "step_completion_as_of", "step_completion_source", "designation_as_of", "prefecture_run", "designation_reason_note", "designation_incomplete",
        CsvOutput.JstColumn("reported_at_utc"),
    ];

    /// <summary>
    /// The members of the API's system view (<see cref="SystemView"/>, a municipality's <c>systems[]</c>) whose column is
    /// not their snake_case name (<c>designationReasonNote</c> → <c>designation_reason_note</c>): member → column.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> ColumnOfSystemMember = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["nameJa"] = "business",
        ["phaseNameJa"] = "phase_ja",
        ["reportedAt"] = "reported_at_utc",
    };

    /// <summary>
    /// The members of the API's system view the export leaves out, each with why: every other member has its column
    /// (a test holds the two lists against the API's JSON, so a new member cannot be forgotten; docs/api.md).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> SystemMembersLeftOut = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["nameEn"] = "the catalog's English name of the business (GET /api/v1/catalog); business_id names it",
        ["progress"] = "follows from phase alone (its share of the way to in_production)",
    };

    /// <summary>One row of <see cref="ExportColumns"/>.</summary>
    public static object?[] ExportRow(MunicipalityInfo m, MunicipalityRecord r, SystemStatus s, DateOnly today)
    {
        var catalog = ReadinessCatalog.Instance;
        var pref = catalog.PrefecturesByCode[m.PrefectureCode];
        var b = catalog.BusinessSystems[catalog.BusinessIndex[s.BusinessId]];
        var f = ReadinessRules.Evaluate(s, today);
        var sources = Views.OfficialSourcesOf(r);
        return
        [
            m.Code, m.PrefectureCode, pref.Name, m.Name, s.BusinessId, b.NameJa, Wire.Name(s.Phase), catalog.Phases[(int)s.Phase].NameJa,
            f.Migrated, s.NotApplicable, s.PlannedGoLive, Readiness.Rules.FreeText.Identifier(s.Vendor), s.Hosting is { } h ? Wire.Name(h) : null,
            s.Designated, s.DesignationReason is { } dr ? Wire.Name(dr) : null, s.DesignationTarget, f.Overdue, f.PastTarget,
            f.BeyondLimit, s.Regression, s.RegressionReason, s.BaselineStepCompletion, s.ReportedAt, r.Version, RowOrigin(r, s),
            s.CloudProvider is { } cp ? Wire.Name(cp) : null,
            Views.DayOf(sources.StepCompletion?.AsOf), sources.StepCompletion?.Title, Views.DayOf(sources.Designation?.AsOf), false,
            s.DesignationReasonNote, f.DesignationIncomplete, CsvOutput.InstantJst(s.ReportedAt),
        ];
    }

    /// <summary>
    /// One row of <see cref="ExportColumns"/> for a system a prefecture runs itself (都道府県が実施する事務): <c>code</c> the
    /// prefecture's own 団体コード (北海道 010006), <c>municipality</c> the prefecture's name, <c>prefecture_run</c> true,
    /// <c>version</c> the prefecture-run record's, <c>origin</c> "prefecture_run" (the prefecture's own report; no
    /// official step completion is published for it), <c>designation_as_of</c> the designation list its listing comes from.
    /// </summary>
    public static object?[] PrefectureRunRow(PrefectureRunRecord r, SystemStatus s, DateOnly today)
    {
        var catalog = ReadinessCatalog.Instance;
        var pref = catalog.PrefecturesByCode[r.PrefectureCode];
        var b = catalog.BusinessSystems[catalog.BusinessIndex[s.BusinessId]];
        var f = ReadinessRules.Evaluate(s, today);
        var list = r.OfficialDesignation is { } d ? Views.SourceOf(d, designation: true) : Views.Sources[1];
        return
        [
            r.Code, r.PrefectureCode, pref.Name, pref.Name, s.BusinessId, b.NameJa, Wire.Name(s.Phase), catalog.Phases[(int)s.Phase].NameJa,
            f.Migrated, s.NotApplicable, s.PlannedGoLive, Readiness.Rules.FreeText.Identifier(s.Vendor), s.Hosting is { } h ? Wire.Name(h) : null,
            s.Designated, s.DesignationReason is { } dr ? Wire.Name(dr) : null, s.DesignationTarget, f.Overdue, f.PastTarget,
            f.BeyondLimit, s.Regression, s.RegressionReason, s.BaselineStepCompletion, s.ReportedAt, r.Version, PrefectureRunOrigin,
            s.CloudProvider is { } cp ? Wire.Name(cp) : null,
            null, null, Views.DayOf(list.AsOf), true,
            s.DesignationReasonNote, f.DesignationIncomplete, CsvOutput.InstantJst(s.ReportedAt),
        ];
    }

    /// <summary>The <c>origin</c> of a prefecture-run system's row: the prefecture's own report.</summary>
    public const string PrefectureRunOrigin = "prefecture_run";

    /// <summary>
    /// Where one row's figures come from (<see cref="ReadinessRules.OriginOf(MunicipalityRecord, SystemStatus)"/>, the
    /// rule the API, the prefecture table and the pages use too): <c>municipality_report</c> once the municipality reported
    /// the system (<see cref="SystemStatus.ReportedAt"/>), else the record's starting data (<c>public_baseline</c>);
    /// <c>synthetic</c> for synthetic data whatever was reported over it. A prefecture's staff can tell reported rows from
    /// baseline ones.
    /// </summary>
    public static string RowOrigin(MunicipalityRecord r, SystemStatus s) => Wire.Name(ReadinessRules.OriginOf(r, s));

    /// <summary>The prefecture table of the dashboard, with the same columns and rows as its download.</summary>
    private static async Task<IResult> PrefectureTable(HttpContext http, string prefCode, SummaryCache cache,
        string? q, string? kind, string? flag, string? sort, string? dir)
    {
        if (!ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(prefCode))
        {
            return Problems.NotFound("prefCode", $"都道府県コード「{Problems.Shown(prefCode)}」はありません（01〜47の2桁）。", $"Unknown prefecture code '{Problems.Shown(prefCode)}' (two digits, 01-47).");
        }

        if (MunicipalityQuery.Refused(kind, flag, sort, dir) is { } refused)
        {
            return Problems.UnknownValue(refused.Name, refused.Value, refused.Allowed);
        }

        var snapshot = await cache.GetAsync(TimeSpan.FromSeconds(60), http.RequestAborted);
        if (snapshot is null || !snapshot.Prefectures.TryGetValue(prefCode, out var prefecture))
        {
            return Problems.Create(StatusCodes.Status503ServiceUnavailable, "Service unavailable", "service", "unavailable",
                "集計を準備中です。しばらくしてから再度お試しください。", "The summaries are being prepared; try again shortly.");
        }

        if (Preconditions.ForRead(http, TableETag("csv", prefecture, q, kind, flag, sort, dir)) is { } conditional)
        {
            return conditional;
        }

        var query = MunicipalityQuery.From(q, kind, flag, sort, dir);
        return await CsvOutput.Respond(http, MunicipalityTableCsv.FileName(prefecture), csv => MunicipalityTableCsv.WriteAsync(csv, prefecture, query));
    }
}
