using System.Globalization;
using System.Text;
using Readiness.Catalog;
using Readiness.Grains;
using Readiness.Rules;
using Readiness.Web.Api.OpenApi;
using Readiness.Web.Auth;

namespace Readiness.Web.Api;

/// <summary>
/// One change in the changes across a prefecture or the nation: the entry of a municipality's history
/// (<see cref="AuditEntryView"/>, the same members) with the municipality's 6-digit code and name. A change to a system
/// the prefecture runs itself has <c>prefectureRun</c> true, the prefecture's own 団体コード (北海道 010006) as
/// <c>municipalityCode</c> and its name (北海道), as the detailed export's rows of those systems.
/// </summary>
public sealed record AreaChangeView(
    string MunicipalityCode, string MunicipalityName, bool PrefectureRun,
    long Version, DateTimeOffset At, string Subject, [property: Readiness.Web.Api.OpenApi.WireEnum(typeof(Role))] string Role, string? Tenant, string Target,
    IReadOnlyDictionary<string, object?>? Before, IReadOnlyDictionary<string, object?>? After, string RequestId, string? ClientAddress, bool Confirmed);

/// <summary>
/// A page of the changes across a prefecture's municipalities (<c>prefectureCode</c> its 2 digits) or the nation's
/// (<c>prefectureCode</c> null), newest recorded first; <c>nextCursor</c> null on the last page.
/// </summary>
public sealed record AreaChangesView(string? PrefectureCode, int Limit, IReadOnlyList<AreaChangeView> Items, string? NextCursor);

/// <summary>
/// What changed recently across a prefecture (<c>/api/v1/prefectures/{prefCode}/changes</c>: that prefecture,
/// national staff, administrators) and the nation (<c>/api/v1/nation/changes</c>: national staff, administrators):
/// the audit trail's entries of many municipalities, newest recorded first, paged as a municipality's history.
/// </summary>
public static class AreaChangesApi
{
    private const string CursorPrefix = "changes:";

    public static IEndpointRouteBuilder MapAreaChangesApi(this IEndpointRouteBuilder app)
    {
        Feed(app.MapGet("/api/v1/prefectures/{prefCode}/changes", GetPrefecture), ReadinessPolicies.PrefectureChanges).WithTypedQuery(AuditApi.Limit)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("The newest changes across the prefecture's municipalities, newest first: ?limit=1..200 (default 50), ?cursor= from nextCursor")
            .WithDescription("Each item is an entry of GET /api/v1/municipalities/{code}/history with municipalityCode and municipalityName. Newest first is the order the changes were recorded (committed); a change's entries share its version and at. The systems the prefecture runs itself are not included (GET /api/v1/prefectures/{prefCode}/systems/history). The ETag of a page changes exactly when its content does (a change committed in the prefecture; an older page, with a cursor, keeps its tag): poll with If-None-Match for a 304 until then. The prefecture, national staff and administrators only.");
        Feed(app.MapGet("/api/v1/nation/changes", GetNation), ReadinessPolicies.NationChanges).WithTypedQuery(AuditApi.Limit)
            .WithSummary("The newest changes across every municipality, newest first: ?limit=1..200 (default 50), ?cursor= from nextCursor")
            .WithDescription("The shape, paging and ETag of GET /api/v1/prefectures/{prefCode}/changes, across the nation. National staff and administrators only.");
        Csv(app.MapGet("/api/v1/prefectures/{prefCode}/changes.csv", GetPrefectureCsv), ReadinessPolicies.PrefectureChanges)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Every change across the prefecture's municipalities as CSV (UTF-8 with BOM, CRLF), newest first")
            .WithDescription("The whole trail of GET /api/v1/prefectures/{prefCode}/changes, streamed, not bounded: the columns of GET /api/v1/municipalities/{code}/history.csv with municipality_name after municipality_code (before and after are JSON objects, field → value, one per cell). The ETag is made from the newest 1,000 changes: it changes when a change in the prefecture is committed; poll with If-None-Match for a 304. The prefecture, national staff and administrators only.");
        Csv(app.MapGet("/api/v1/nation/changes.csv", GetNationCsv), ReadinessPolicies.NationChanges)
            .WithSummary("Every change across every municipality as CSV (UTF-8 with BOM, CRLF), newest first")
            .WithDescription("The file of GET /api/v1/prefectures/{prefCode}/changes.csv across the nation: the whole trail, streamed (it can be millions of rows; use the JSON feed's cursor for a part). National staff and administrators only.");
        return app;
    }

    /// <summary>What both CSV files declare alike: <see cref="Feed"/>'s policy, budget and conditional requests, a text/csv answer.</summary>
    private static RouteHandlerBuilder Csv(RouteHandlerBuilder route, string policy) => route
        .AnswersConditionalRequests()
        .RequireAuthorization(policy)
        .RequireRateLimiting(RateLimits.ReadsPolicy)
        .WithTags("Audit trail")
        .Produces(StatusCodes.Status200OK, contentType: "text/csv")
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status401Unauthorized)
        .ProducesProblem(StatusCodes.Status403Forbidden);

    /// <summary>
    /// What both feeds declare alike: who may read (<paramref name="policy"/>), the reads budget, the tag, the page, the
    /// refusals and conditional requests (<see cref="PageETag"/>: a client polling the newest page gets 304 until a change
    /// in its area is committed).
    /// </summary>
    private static RouteHandlerBuilder Feed(RouteHandlerBuilder route, string policy) => route
        .AnswersConditionalRequests()
        .RequireAuthorization(policy)
        .RequireRateLimiting(RateLimits.ReadsPolicy)
        .WithTags("Audit trail")
        .Produces<AreaChangesView>()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status401Unauthorized)
        .ProducesProblem(StatusCodes.Status403Forbidden);

    /// <summary>An entry of the audit trail with its municipality's code and name.</summary>
    public static AreaChangeView View(ChangeEntry e) =>
        new(e.MunicipalityCode, NameOf(e.MunicipalityCode), IsPrefectureRun(e.MunicipalityCode),
            e.Version, e.At, e.Actor.Subject, Wire.Name(e.Actor.Role), e.Actor.Tenant, e.Target, AuditSide.Before(e), AuditSide.After(e), e.RequestId, e.ClientAddress, AuditFields.IsConfirmation(e));

    /// <summary>The municipality's name from the catalog, the prefecture's for its own 団体コード (its code when the catalog has neither).</summary>
    public static string NameOf(string municipalityCode) =>
        ReadinessCatalog.Instance.MunicipalitiesByCode.TryGetValue(municipalityCode, out var m) ? m.Name
        : ReadinessCatalog.Instance.TryPrefectureOfBodyCode(municipalityCode, out var p) ? p.Name
        : municipalityCode;

    /// <summary>True when the code is a prefecture's own 団体コード: the change is to a system the prefecture runs itself.</summary>
    public static bool IsPrefectureRun(string municipalityCode) => ReadinessCatalog.Instance.TryPrefectureOfBodyCode(municipalityCode, out _);

    private static async Task<IResult> GetPrefecture(string prefCode, string? limit, string? cursor, IAuditLog audit, HttpContext http, CancellationToken cancellationToken)
    {
        if (!ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(prefCode))
        {
            return Problems.NotFound("prefCode", $"都道府県コード「{Problems.Shown(prefCode)}」はありません（01〜47の2桁）。", $"Unknown prefecture code '{Problems.Shown(prefCode)}' (two digits, 01-47).");
        }

        return await Page(http, audit, prefCode, limit, cursor, cancellationToken);
    }

    /// <summary>
    /// The prefecture's whole trail as CSV (<see cref="CsvAsync"/>): the API's changes.csv and the dashboard's download of
    /// the same bytes at /prefectures/{prefCode}/changes.csv (refusals there are the pages': sign-in, the 403 page).
    /// </summary>
    public static Task<IResult> GetPrefectureCsv(string prefCode, IAuditLog audit, HttpContext http) =>
        ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(prefCode)
            ? CsvAsync(http, audit, prefCode)
            : Task.FromResult<IResult>(Problems.NotFound("prefCode", $"都道府県コード「{Problems.Shown(prefCode)}」はありません（01〜47の2桁）。", $"Unknown prefecture code '{Problems.Shown(prefCode)}' (two digits, 01-47)."));

    /// <summary>The nation's whole trail as CSV: the API's nation/changes.csv and the dashboard's /changes.csv.</summary>
    public static Task<IResult> GetNationCsv(IAuditLog audit, HttpContext http) => CsvAsync(http, audit, null);

    /// <summary>Rows read a query at a time while the file streams: one indexed range each (as a page of the feed).</summary>
    private const int CsvReadSize = 1000;

    /// <summary>
    /// Every change across the area, newest recorded first, as CSV (changes-{prefCode|nation}.csv): municipality_code,
    /// municipality_name, then <see cref="AuditApi.CsvColumns"/>. Streamed a read of <see cref="CsvReadSize"/> at a time
    /// through the feed's query and cursor, so no bound is needed: the nation's millions of rows never sit in memory.
    /// The tag is the first read's page tag (<see cref="PageETag"/>): a committed change in the area changes it, and the
    /// rows below never change, so a 304 answers before anything is written.
    /// </summary>
    private static async Task<IResult> CsvAsync(HttpContext http, IAuditLog audit, string? prefectureCode)
    {
        var page = await audit.ReadAreaAsync(prefectureCode, null, CsvReadSize, http.RequestAborted);
        var tag = PageETag("csv:" + (prefectureCode ?? "nation"), CsvReadSize, page.Entries, page.Next?.ToString(CultureInfo.InvariantCulture));
        if (Preconditions.ForRead(http, tag) is { } conditional)
        {
            return conditional;
        }

        return await CsvOutput.Respond(http, $"changes-{prefectureCode ?? "nation"}.csv", async csv =>
        {
            // Columns added later come last (as the detailed export's), so a program reading by position keeps working.
            await csv.Row(["municipality_code", "municipality_name", .. AuditApi.CsvColumns, "prefecture_run"]);
            while (true)
            {
                foreach (var e in page.Entries)
                {
                    await csv.Row([e.MunicipalityCode, NameOf(e.MunicipalityCode), .. AuditApi.CsvValues(e), IsPrefectureRun(e.MunicipalityCode) ? "true" : "false"]);
                }

                if (page.Next is not { } next)
                {
                    break;
                }

                page = await audit.ReadAreaAsync(prefectureCode, next, CsvReadSize, http.RequestAborted);
            }
        });
    }

    private static Task<IResult> GetNation(string? limit, string? cursor, IAuditLog audit, HttpContext http, CancellationToken cancellationToken) =>
        Page(http, audit, null, limit, cursor, cancellationToken);

    private static async Task<IResult> Page(HttpContext http, IAuditLog audit, string? prefectureCode, string? limit, string? cursor, CancellationToken cancellationToken)
    {
        if (Paging(limit, cursor, out var take, out var before) is { } refused)
        {
            return refused;
        }

        var page = await audit.ReadAreaAsync(prefectureCode, before, take, cancellationToken);
        var nextCursor = page.Next is { } next ? EncodeCursor(next) : null;
        return Preconditions.ForRead(http, PageETag(prefectureCode, take, page.Entries, nextCursor))
            ?? TypedResults.Ok(new AreaChangesView(prefectureCode, take, [.. page.Entries.Select(View)], nextCursor));
    }

    /// <summary>
    /// The strong entity tag of one page: a hash (<see cref="Preconditions.ContentETag"/>, 16 hex digits) of what the
    /// page is made of (the area, the limit, the next page's cursor and each entry's municipality, version, target,
    /// request id and time), not of its JSON. A committed row never changes (the table refuses UPDATE), and a row is
    /// only ever replaced by another change (an older release's leftover above a stored version), which has its own
    /// request id and time; names come from the catalog. So the tag changes exactly when the page's content does: the
    /// newest page when a change in the area commits (including, on PostgreSQL, one committed late with a smaller
    /// position), an older page (a cursor) not at all. The page is still read (one indexed query), but a poller's 304
    /// needs no serialization and no body.
    /// </summary>
    public static string PageETag(string? prefectureCode, int limit, IReadOnlyList<ChangeEntry> entries, string? nextCursor)
    {
        var text = new StringBuilder(64 + (entries.Count * 80))
            .Append(prefectureCode ?? "nation").Append('\n')
            .Append(limit.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(nextCursor).Append('\n');
        foreach (var e in entries)
        {
            text.Append(e.MunicipalityCode).Append('\t')
                .Append(e.Version.ToString(CultureInfo.InvariantCulture)).Append('\t')
                .Append(e.Target).Append('\t')
                .Append(e.RequestId).Append('\t')
                .Append(e.At.UtcTicks.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        return Preconditions.ContentETag(Encoding.UTF8.GetBytes(text.ToString()));
    }

    /// <summary><c>?limit=</c> as a municipality's history takes it, and <c>?cursor=</c> (this endpoint's nextCursor), or the 400 naming the one that is not valid.</summary>
    public static IResult? Paging(string? limit, string? cursor, out int take, out long? before)
    {
        before = null;
        if (AuditApi.Paging(limit, null, out take, out _) is { } refused)
        {
            return refused;
        }

        if (cursor is not null && (before = DecodeCursor(cursor)) is null)
        {
            return QueryValue.MalformedCursor(cursor);
        }

        return null;
    }

    public static string EncodeCursor(long position) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(CursorPrefix + position.ToString(CultureInfo.InvariantCulture))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static long? DecodeCursor(string text)
    {
        if (text.Length is 0 or > 100)
        {
            return null;
        }

        try
        {
            var base64 = text.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(base64));
            return decoded.StartsWith(CursorPrefix, StringComparison.Ordinal)
                && long.TryParse(decoded.AsSpan(CursorPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var position) && position > 0
                ? position
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
