using System.Globalization;
using System.Text;
using Readiness.Grains;
using Readiness.Hosting;
using Readiness.Rules;
using Readiness.Web.Auth;
using Readiness.Web.Api.OpenApi;

namespace Readiness.Web.Api;

/// <summary>The audit trail of one municipality: paged JSON (newest first) and the whole trail as CSV.</summary>
public static class AuditApi
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    /// <summary>?limit= of every paged trail (a municipality's, a prefecture-run record's, the area feeds): 1..<see cref="MaxLimit"/>, default <see cref="DefaultLimit"/>.</summary>
    public static readonly QueryValue.IntegerParameter Limit = new("limit", 1, MaxLimit, DefaultLimit);

    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/municipalities/{code}")
            .RequireAuthorization(ReadinessPolicies.MunicipalityRead)
            .RequireRateLimiting(RateLimits.ReadsPolicy)
            .WithTags("Audit trail");
        api.MapGet("/history", GetHistory).AnswersConditionalRequests().WithTypedQuery(Limit)
            .Produces<HistoryView>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("The audit trail, newest first: ?limit=1..200 (default 50), ?cursor= from nextCursor");
        api.MapGet("/history.csv", GetHistoryCsv).AnswersConditionalRequests()
            .Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("The whole audit trail as CSV (UTF-8 with BOM, CRLF); before and after are JSON objects (field → value), one per cell");
        return app;
    }

    public static AuditEntryView View(ChangeEntry e) =>
        new(e.Version, e.At, e.Actor.Subject, Wire.Name(e.Actor.Role), e.Actor.Tenant, e.Target, AuditSide.Before(e), AuditSide.After(e), e.RequestId, e.ClientAddress, AuditFields.IsConfirmation(e));

    private static async Task<IResult> GetHistory(string code, string? limit, string? cursor, HttpContext http, IGrainFactory grains, GrainCalls calls, IAuditLog audit, CancellationToken cancellationToken)
    {
        if (Problems.CheckMunicipalityCode(code) is { } problem)
        {
            return problem;
        }

        if (Paging(limit, cursor, out var take, out var after) is { } refused)
        {
            return refused;
        }

        // Only versions the municipality has stored are history; anything above belongs to a write that never completed.
        var record = await calls.Run(() => grains.GetGrain<IMunicipalityGrain>(code).GetAsync(), idempotent: true, cancellationToken);
        return await Page(http, audit, code, record.Version, take, after, cancellationToken);
    }

    /// <summary>
    /// <c>?limit=</c> (1..<see cref="MaxLimit"/>, default <see cref="DefaultLimit"/>) and <c>?cursor=</c> (a previous
    /// page's nextCursor) read, or the 400 problem naming the one that is not valid (<see cref="QueryValue"/>: not an
    /// integer or not a cursor is invalid_format, an integer outside 1..200 out_of_range).
    /// </summary>
    public static IResult? Paging(string? limit, string? cursor, out int take, out AuditCursor? after)
    {
        after = null;
        if (Limit.Read(limit, out take) is { } refused)
        {
            return refused;
        }

        if (cursor is not null && (after = DecodeCursor(cursor)) is null)
        {
            return QueryValue.MalformedCursor(cursor);
        }

        return null;
    }

    /// <summary>
    /// One page of the audit trail kept under <paramref name="code"/> (a municipality's, or a prefecture's own 団体コード
    /// for the systems it runs), newest first, up to <paramref name="version"/> (the stored record's); that version is
    /// the ETag, since the trail up to it never changes.
    /// </summary>
    public static async Task<IResult> Page(HttpContext http, IAuditLog audit, string code, long version, int take, AuditCursor? after, CancellationToken cancellationToken)
    {
        if (Preconditions.ForRead(http, Preconditions.ETag(version)) is { } conditional)
        {
            return conditional; // the trail up to a version never changes: the version tags every page of it
        }

        var (page, next) = await ReadPageAsync(audit, code, version, take, after, cancellationToken);
        return TypedResults.Ok(new HistoryView(code, version, page.Total, take, page.Entries.Select(View).ToList(), next));
    }

    /// <summary>
    /// One page of the trail kept under <paramref name="code"/> up to <paramref name="version"/>, newest first, at most
    /// <paramref name="take"/> entries after <paramref name="after"/>, with the next page's cursor (null on the last
    /// page). The API's JSON and the history page both read here, so they page alike.
    /// </summary>
    public static async Task<(AuditPage Page, string? NextCursor)> ReadPageAsync(IAuditLog audit, string code, long version, int take, AuditCursor? after, CancellationToken cancellationToken)
    {
        var page = await audit.ReadAsync(code, version, after, take, cancellationToken);
        return (page, page.Next is null ? null : EncodeCursor(page.Next));
    }

    /// <summary>
    /// A municipality's whole trail as CSV (<see cref="Csv"/>): the API's history.csv, and the dashboard's download of
    /// the same bytes at /municipalities/{code}/history.csv (refusals there are the pages': sign-in, the 403 page).
    /// </summary>
    public static async Task<IResult> GetHistoryCsv(string code, HttpContext http, IGrainFactory grains, GrainCalls calls, IAuditLog audit)
    {
        if (Problems.CheckMunicipalityCode(code) is { } problem)
        {
            return problem;
        }

        var record = await calls.Run(() => grains.GetGrain<IMunicipalityGrain>(code).GetAsync(), idempotent: true, http.RequestAborted);
        return await Csv(http, audit, code, record.Version);
    }

    /// <summary>The whole audit trail kept under <paramref name="code"/> up to <paramref name="version"/> as CSV (history-{code}.csv); the version is the ETag.</summary>
    public static async Task<IResult> Csv(HttpContext http, IAuditLog audit, string code, long version)
    {
        if (Preconditions.ForRead(http, Preconditions.ETag(version)) is { } conditional)
        {
            return conditional;
        }

        return await CsvOutput.Respond(http, $"history-{code}.csv", async csv =>
        {
            await csv.Row(["municipality_code", .. CsvColumns, .. CsvColumnsAdded]);
            AuditCursor? after = null;
            do
            {
                var page = await audit.ReadAsync(code, version, after, 1000, http.RequestAborted);
                foreach (var e in page.Entries)
                {
                    await csv.Row([e.MunicipalityCode, .. CsvValues(e), .. CsvValuesAdded(e)]);
                }

                after = page.Next;
            }
            while (after is not null);
        });
    }

    /// <summary>
    /// The columns of an audit entry in every trail CSV after its code column(s) (history.csv, the prefecture's systems,
    /// the changes across a prefecture or the nation), so the files read alike: version, at_utc (UTC with Z), the actor,
    /// target, before and after (JSON objects, field → value, one per cell), request_id, client_address, confirmed (true
    /// for a confirmation, 確認済み: a report that changed nothing, before equal to after; the JSON's <c>confirmed</c>).
    /// </summary>
    public static readonly string[] CsvColumns = ["version", "at_utc", "actor_subject", "actor_role", "actor_tenant", "target", "before", "after", "request_id", "client_address", "confirmed"];

    /// <summary>
    /// The columns of an audit entry added since, each trail CSV's last (after the area files' own prefecture_run and
    /// confirmed_count), so a program reading by position keeps working: at_jst, the entry's at_utc in Japan time.
    /// </summary>
    public static readonly string[] CsvColumnsAdded = [CsvOutput.JstColumn("at_utc")];

    /// <summary>The values of <see cref="CsvColumnsAdded"/> for one entry, in that order.</summary>
    public static object?[] CsvValuesAdded(ChangeEntry e) => [CsvOutput.InstantJst(e.At)];

    /// <summary>
    /// The members of the API's system view (<see cref="SystemView"/>) an entry's before and after do not record, each
    /// with why: they are the entry's own columns, the catalog's words, official data or judged on the day from the
    /// recorded fields. Every other member is a field of <see cref="AuditFields.Of(SystemStatus)"/>, so history.csv and
    /// the area and prefecture trail CSVs carry it (a test holds this list against the API's JSON; docs/api.md).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> SystemMembersNotRecorded = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["businessId"] = "the entry's target, system:{businessId}",
        ["nameJa"] = "the catalog's name of the business",
        ["nameEn"] = "the catalog's name of the business",
        ["phaseNameJa"] = "the catalog's name of the phase",
        ["reportedAt"] = "the entry's at_utc",
        ["baselineStepCompletion"] = "official data, recorded by the import's own entries (stepCompletion)",
        ["migrated"] = "judged from phase",
        ["progress"] = "judged from phase",
        ["overdue"] = "judged on the day from phase and plannedGoLive",
        ["pastTarget"] = "judged on the day from designated and designationTarget",
        ["beyondLimit"] = "judged on the day from designated and designationTarget",
        ["designationIncomplete"] = "judged from phase, designated, designationReason and designationTarget",
    };

    /// <summary>The values of <see cref="CsvColumns"/> for one entry, in that order.</summary>
    public static object?[] CsvValues(ChangeEntry e) =>
        [e.Version, e.At, e.Actor.Subject, Wire.Name(e.Actor.Role), e.Actor.Tenant, e.Target,
            AuditSide.Json(AuditFields.Side(e.BeforeFields, e.Before)), AuditSide.Json(AuditFields.Side(e.AfterFields, e.After)),
            e.RequestId, e.ClientAddress, AuditFields.IsConfirmation(e)];

    private static string EncodeCursor(AuditCursor cursor) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{cursor.Version.ToString(CultureInfo.InvariantCulture)}|{cursor.Target}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>A cursor as a previous page gave it (nextCursor), or null when the text is not one.</summary>
    public static AuditCursor? DecodeCursor(string text)
    {
        try
        {
            if (text.Length is 0 or > 400)
            {
                return null;
            }

            var base64 = text.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(base64)).Split('|', 2);
            return parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var version) && parts[1].Length > 0
                ? new AuditCursor(version, parts[1])
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
