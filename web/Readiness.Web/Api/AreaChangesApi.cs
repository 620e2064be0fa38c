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
/// <c>municipalityCode</c> and its name (北海道), as the detailed export's rows of those systems. A confirming report
/// shown grouped (<c>?confirmed=grouped</c>, the default, or <c>only</c>) is one item: <c>confirmed</c> true,
/// <c>confirmedCount</c> the number of targets it confirmed (its confirmation rows in the municipality's history: 67
/// for a full report that changed nothing, 64 for one that changed 3, which are items of their own), <c>before</c>
/// and <c>after</c> null, <c>target</c> the one target when <c>confirmedCount</c> is 1, else null. Every other item
/// has <c>confirmedCount</c> null.
/// </summary>
public sealed record AreaChangeView(
    string MunicipalityCode, string MunicipalityName, bool PrefectureRun,
    long Version, DateTimeOffset At, string Subject, [property: Readiness.Web.Api.OpenApi.WireEnum(typeof(Role))] string Role, string? Tenant, string? Target,
    IReadOnlyDictionary<string, object?>? Before, IReadOnlyDictionary<string, object?>? After, string RequestId, string? ClientAddress, bool Confirmed, int? ConfirmedCount);

/// <summary>
/// A page of the changes across a prefecture's municipalities (<c>prefectureCode</c> its 2 digits) or the nation's
/// (<c>prefectureCode</c> null), newest recorded first; <c>nextCursor</c> null on the last page. <c>confirmed</c> is how
/// confirmations are shown (<c>grouped</c>, <c>each</c>, <c>exclude</c>, <c>only</c>); a next page keeps it only when
/// asked again with the same value (the cursor is a position, valid for every value).
/// </summary>
public sealed record AreaChangesView(string? PrefectureCode, int Limit, [property: Readiness.Web.Api.OpenApi.WireEnum(typeof(AreaConfirmations))] string Confirmed, IReadOnlyList<AreaChangeView> Items, string? NextCursor);

/// <summary>
/// What changed recently across a prefecture (<c>/api/v1/prefectures/{prefCode}/changes</c>: that prefecture,
/// national staff, administrators) and the nation (<c>/api/v1/nation/changes</c>: national staff, administrators):
/// the audit trail's entries of many municipalities, newest recorded first, paged as a municipality's history.
/// </summary>
public static class AreaChangesApi
{
    private const string CursorPrefix = "changes:";

    /// <summary>The values of <c>?confirmed=</c>, in the order they are listed (the default first).</summary>
    public static readonly string[] ConfirmedValues = [.. Enum.GetValues<AreaConfirmations>().Select(v => Wire.Name(v))];

    private const string ConfirmedDescription = "?confirmed= chooses how confirmations (a report or save that changed nothing: one entry per target it names, before = after) are shown: grouped (the default) shows each report's confirmations as one item (confirmed true, confirmedCount the targets it confirmed, e.g. 67 for a full report that changed nothing, 64 for one that changed 3, whose 3 changes are items of their own; target the one target when confirmedCount is 1, else null; before and after null; its municipality's history has every entry), so a full report's 67 confirmations do not push real changes off the page; each shows every entry as the municipality's history does; exclude leaves confirmations out; only shows them alone, grouped. A value outside these is 400 unknown_value naming confirmed. A cursor is a position in the trail: it pages every value of confirmed exactly (no item skipped or repeated), so send the same value with it.";

    public static IEndpointRouteBuilder MapAreaChangesApi(this IEndpointRouteBuilder app)
    {
        Feed(app.MapGet("/api/v1/prefectures/{prefCode}/changes", GetPrefecture), ReadinessPolicies.PrefectureChanges).WithTypedQuery(AuditApi.Limit)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("The newest changes across the prefecture's municipalities, newest first: ?limit=1..200 (default 50), ?cursor= from nextCursor, ?confirmed=grouped|each|exclude|only (default grouped)")
            .WithDescription("Each item is an entry of GET /api/v1/municipalities/{code}/history with municipalityCode and municipalityName. " + ConfirmedDescription + " Newest first is the order the changes were recorded (committed); a change's entries share its version and at. The systems the prefecture runs itself are included (prefectureRun true, municipalityCode its own 団体コード; their history alone: GET /api/v1/prefectures/{prefCode}/systems/history). The ETag of a page changes exactly when its content does (a change committed in the prefecture; an older page, with a cursor, keeps its tag): poll with If-None-Match for a 304 until then. The prefecture, national staff and administrators only.");
        Feed(app.MapGet("/api/v1/nation/changes", GetNation), ReadinessPolicies.NationChanges).WithTypedQuery(AuditApi.Limit)
            .WithSummary("The newest changes across every municipality, newest first: ?limit=1..200 (default 50), ?cursor= from nextCursor, ?confirmed=grouped|each|exclude|only (default grouped)")
            .WithDescription("The shape, paging, ?confirmed= and ETag of GET /api/v1/prefectures/{prefCode}/changes, across the nation. " + ConfirmedDescription + " National staff and administrators only.");
        Csv(app.MapGet("/api/v1/prefectures/{prefCode}/changes.csv", GetPrefectureCsv), ReadinessPolicies.PrefectureChanges)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Every change across the prefecture's municipalities as CSV (UTF-8 with BOM, CRLF), newest first")
            .WithDescription("The whole trail of GET /api/v1/prefectures/{prefCode}/changes, streamed, not bounded: the columns of GET /api/v1/municipalities/{code}/history.csv with municipality_name after municipality_code (before and after are JSON objects, field → value, one per cell), then prefecture_run and confirmed_count. ?confirmed= as the JSON feed's (default grouped: a confirming report is one row, target, before and after empty, confirmed_count its rows; each: every row of the trail). The ETag is a hash of every row of the file: it changes exactly when the file does; poll with If-None-Match for a 304. The prefecture, national staff and administrators only.");
        Csv(app.MapGet("/api/v1/nation/changes.csv", GetNationCsv), ReadinessPolicies.NationChanges)
            .WithSummary("Every change across every municipality as CSV (UTF-8 with BOM, CRLF), newest first")
            .WithDescription("The file of GET /api/v1/prefectures/{prefCode}/changes.csv across the nation: the whole trail, streamed (it can be millions of rows; use the JSON feed's cursor for a part). National staff and administrators only.");
        return app;
    }

    /// <summary>What both CSV files declare alike: <see cref="Feed"/>'s policy, budget and conditional requests, a text/csv answer.</summary>
    private static RouteHandlerBuilder Csv(RouteHandlerBuilder route, string policy) => route
        .WithClosedValue("confirmed", ConfirmedValues, ConfirmedValues[0])
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
        .WithClosedValue("confirmed", ConfirmedValues, ConfirmedValues[0])
        .AnswersConditionalRequests()
        .RequireAuthorization(policy)
        .RequireRateLimiting(RateLimits.ReadsPolicy)
        .WithTags("Audit trail")
        .Produces<AreaChangesView>()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status401Unauthorized)
        .ProducesProblem(StatusCodes.Status403Forbidden);

    /// <summary>
    /// An entry of the audit trail with its municipality's code and name; with <paramref name="confirmedCount"/>, a
    /// confirming report shown as one item (no target, no sides: its municipality's history has them).
    /// </summary>
    public static AreaChangeView View(ChangeEntry e, int? confirmedCount = null) => confirmedCount is { } count
        ? new(e.MunicipalityCode, NameOf(e.MunicipalityCode), IsPrefectureRun(e.MunicipalityCode),
            e.Version, e.At, e.Actor.Subject, Wire.Name(e.Actor.Role), e.Actor.Tenant, GroupTarget(e, count), null, null, e.RequestId, e.ClientAddress, true, count)
        : new(e.MunicipalityCode, NameOf(e.MunicipalityCode), IsPrefectureRun(e.MunicipalityCode),
            e.Version, e.At, e.Actor.Subject, Wire.Name(e.Actor.Role), e.Actor.Tenant, e.Target, AuditSide.Before(e), AuditSide.After(e), e.RequestId, e.ClientAddress, AuditFields.IsConfirmation(e), null);

    /// <summary>
    /// The target a grouped confirmation names: its one target when it confirmed one (the group's row is that target's
    /// entry), so 「確認済み 1件」 says what; null for more (they are in the municipality's history).
    /// </summary>
    public static string? GroupTarget(ChangeEntry e, int confirmedCount) => confirmedCount == 1 ? e.Target : null;

    /// <summary>
    /// <c>?confirmed=</c>: how confirmations are shown (<see cref="AreaConfirmations"/>, default grouped), or the 400
    /// <c>unknown_value</c> naming <c>confirmed</c>, in Japanese and English, listing the values.
    /// An empty <c>?confirmed=</c> is the default, as an empty value is absent everywhere in the API
    /// (<see cref="RepeatedParameters.WithoutEmpty"/>) and on the pages (<see cref="Components.QueryRefusal"/>).
    /// </summary>
    public static IResult? Confirmations(string? text, out AreaConfirmations confirmations)
    {
        confirmations = AreaConfirmations.Grouped;
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        // Wire names only (grouped, each, exclude, only): a number or another case is not one of them.
        if (ConfirmedValues.Contains(text, StringComparer.Ordinal) && Wire.TryParse(text, out confirmations))
        {
            return null;
        }

        confirmations = AreaConfirmations.Grouped;
        return Problems.UnknownValue("confirmed", text, ConfirmedValues);
    }

    /// <summary>The municipality's name from the catalog, the prefecture's for its own 団体コード (its code when the catalog has neither).</summary>
    public static string NameOf(string municipalityCode) =>
        ReadinessCatalog.Instance.MunicipalitiesByCode.TryGetValue(municipalityCode, out var m) ? m.Name
        : ReadinessCatalog.Instance.TryPrefectureOfBodyCode(municipalityCode, out var p) ? p.Name
        : municipalityCode;

    /// <summary>True when the code is a prefecture's own 団体コード: the change is to a system the prefecture runs itself.</summary>
    public static bool IsPrefectureRun(string municipalityCode) => ReadinessCatalog.Instance.TryPrefectureOfBodyCode(municipalityCode, out _);

    private static async Task<IResult> GetPrefecture(string prefCode, string? limit, string? cursor, string? confirmed, IAuditLog audit, HttpContext http, CancellationToken cancellationToken)
    {
        if (!ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(prefCode))
        {
            return Problems.NotFound("prefCode", $"都道府県コード「{Problems.Shown(prefCode)}」はありません（01〜47の2桁）。", $"Unknown prefecture code '{Problems.Shown(prefCode)}' (two digits, 01-47).");
        }

        return await Page(http, audit, prefCode, limit, cursor, confirmed, cancellationToken);
    }

    /// <summary>
    /// The prefecture's whole trail as CSV (<see cref="CsvAsync"/>): the API's changes.csv and the dashboard's download of
    /// the same bytes at /prefectures/{prefCode}/changes.csv (refusals there are the pages': sign-in, the 403 page).
    /// </summary>
    public static Task<IResult> GetPrefectureCsv(string prefCode, string? confirmed, IAuditLog audit, HttpContext http) =>
        ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(prefCode)
            ? CsvAsync(http, audit, prefCode, confirmed)
            : Task.FromResult<IResult>(Problems.NotFound("prefCode", $"都道府県コード「{Problems.Shown(prefCode)}」はありません（01〜47の2桁）。", $"Unknown prefecture code '{Problems.Shown(prefCode)}' (two digits, 01-47)."));

    /// <summary>The nation's whole trail as CSV: the API's nation/changes.csv and the dashboard's /changes.csv.</summary>
    public static Task<IResult> GetNationCsv(string? confirmed, IAuditLog audit, HttpContext http) => CsvAsync(http, audit, null, confirmed);

    /// <summary>Rows read a query at a time while the file streams: one indexed range each (as a page of the feed).</summary>
    private const int CsvReadSize = 1000;

    /// <summary>
    /// Every change across the area, newest recorded first, as CSV (changes-{prefCode|nation}.csv): municipality_code,
    /// municipality_name, then <see cref="AuditApi.CsvColumns"/>. Streamed a read of <see cref="CsvReadSize"/> at a time
    /// through the feed's query and cursor, so no bound is needed: the nation's millions of rows never sit in memory.
    /// The tag covers every row (<see cref="TrailETagAsync"/>), so it changes exactly when the file does; a 304 answers
    /// before anything is written.
    /// </summary>
    private static async Task<IResult> CsvAsync(HttpContext http, IAuditLog audit, string? prefectureCode, string? confirmed)
    {
        if (Confirmations(confirmed, out var confirmations) is { } refused)
        {
            return refused;
        }

        var (tag, page) = await TrailETagAsync(audit, prefectureCode, confirmations, http.RequestAborted);
        if (Preconditions.ForRead(http, tag) is { } conditional)
        {
            return conditional;
        }

        return await CsvOutput.Respond(http, $"changes-{prefectureCode ?? "nation"}.csv", async csv =>
        {
            // Columns added later come last (as the detailed export's), so a program reading by position keeps working.
            await csv.Row(CsvHeader);
            while (true)
            {
                for (var i = 0; i < page.Entries.Length; i++)
                {
                    var e = page.Entries[i];
                    var values = AuditApi.CsvValues(e);
                    if (page.GroupedCount(i) is { } count)
                    {
                        // One row for the report's confirmations: no sides (the municipality's history.csv has them), its
                        // target only when it is the one confirmed.
                        values[5] = GroupTarget(e, count);
                        values[6] = null;
                        values[7] = null;
                    }

                    await csv.Row([e.MunicipalityCode, NameOf(e.MunicipalityCode), .. values, IsPrefectureRun(e.MunicipalityCode) ? "true" : "false", page.GroupedCount(i), .. AuditApi.CsvValuesAdded(e)]);
                }

                if (page.Next is not { } next)
                {
                    break;
                }

                page = await audit.ReadAreaAsync(prefectureCode, next, CsvReadSize, confirmations, http.RequestAborted);
            }
        });
    }

    /// <summary>
    /// The CSV's strong tag: a hash (16 hex digits of SHA-256) of the area, the view of confirmations, the columns and
    /// the rows of the trail the view shows as <see cref="IAuditLog.ReadAreaFingerprintAsync"/> sums them up, so it changes
    /// exactly when the file's rows or columns do (a confirmation arriving keeps the tag of ?confirmed=exclude, a real
    /// change that of ?confirmed=only; round 44), and the first read to send from. Until round 43 it hashed the newest 1,000 rows
    /// only, so a change below them (a row removed, one committed late with an older position) kept the tag while the
    /// file's bytes changed. A 304 costs one aggregate query and one page read, not a read of the trail.
    /// </summary>
    private static async Task<(string Tag, AreaChangesPage First)> TrailETagAsync(IAuditLog audit, string? prefectureCode, AreaConfirmations confirmations, CancellationToken cancellationToken)
    {
        var rows = await audit.ReadAreaFingerprintAsync(prefectureCode, confirmations, cancellationToken);
        var first = await audit.ReadAreaAsync(prefectureCode, null, CsvReadSize, confirmations, cancellationToken);
        var text = $"csv:{prefectureCode ?? "nation"}\n{Wire.Name(confirmations)}\n{string.Join(',', CsvHeader)}\n{rows}";
        return (Preconditions.ContentETag(Encoding.UTF8.GetBytes(text)), first);
    }

    /// <summary>The CSV's columns, in order.</summary>
    private static readonly string[] CsvHeader = ["municipality_code", "municipality_name", .. AuditApi.CsvColumns, "prefecture_run", "confirmed_count", .. AuditApi.CsvColumnsAdded];

    private static Task<IResult> GetNation(string? limit, string? cursor, string? confirmed, IAuditLog audit, HttpContext http, CancellationToken cancellationToken) =>
        Page(http, audit, null, limit, cursor, confirmed, cancellationToken);

    private static async Task<IResult> Page(HttpContext http, IAuditLog audit, string? prefectureCode, string? limit, string? cursor, string? confirmed, CancellationToken cancellationToken)
    {
        if (Paging(limit, cursor, out var take, out var before) is { } refused)
        {
            return refused;
        }

        if (Confirmations(confirmed, out var confirmations) is { } refusedConfirmed)
        {
            return refusedConfirmed;
        }

        var page = await audit.ReadAreaAsync(prefectureCode, before, take, confirmations, cancellationToken);
        var nextCursor = page.Next is { } next ? EncodeCursor(next) : null;
        return Preconditions.ForRead(http, PageETag(prefectureCode, take, page, nextCursor, confirmations))
            ?? TypedResults.Ok(new AreaChangesView(prefectureCode, take, Wire.Name(confirmations), Views(page), nextCursor));
    }

    /// <summary>The page's entries as the feed shows them, a grouped confirmation as one item.</summary>
    public static IReadOnlyList<AreaChangeView> Views(AreaChangesPage page) =>
        [.. page.Entries.Select((e, i) => View(e, page.GroupedCount(i)))];

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
    public static string PageETag(string? prefectureCode, int limit, AreaChangesPage page, string? nextCursor, AreaConfirmations confirmations)
    {
        // The view of confirmations shapes the page (a grouped item has no target, a count), so it is part of the tag;
        // a group's count never changes once committed (its rows are committed together).
        var text = new StringBuilder(64 + (page.Entries.Length * 80))
            .Append(prefectureCode ?? "nation").Append('\n')
            .Append(limit.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(Wire.Name(confirmations)).Append('\n')
            .Append(nextCursor).Append('\n');
        AppendEntries(text, page);
        return Preconditions.ContentETag(Encoding.UTF8.GetBytes(text.ToString()));
    }

    /// <summary>What a page's entries are made of, one line each: the text a tag of them hashes.</summary>
    private static void AppendEntries(StringBuilder text, AreaChangesPage page)
    {
        var entries = page.Entries;
        for (var i = 0; i < entries.Length; i++)
        {
            var e = entries[i];
            text.Append(e.MunicipalityCode).Append('\t')
                .Append(e.Version.ToString(CultureInfo.InvariantCulture)).Append('\t')
                .Append(e.Target).Append('\t')
                .Append(e.RequestId).Append('\t')
                .Append(e.At.UtcTicks.ToString(CultureInfo.InvariantCulture)).Append('\t')
                .Append(page.GroupedCount(i)?.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
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
