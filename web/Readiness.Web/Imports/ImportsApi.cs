using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Readiness.Imports;
using Readiness.Web.Api;
using Readiness.Web.Auth;

namespace Readiness.Web.Imports;

/// <summary>A row not imported: its row number in the sheet, the names as written, a code and the reason (ja/en).</summary>
public sealed record ImportIssueView(int Row, string? Prefecture, string? Municipality, string Code, string MessageJa, string MessageEn);

/// <summary>
/// Counts of a preview (what applying would change) or of an applied import, over the dataset's municipalities: changed
/// (figures move), confirmed (a newer as-of day with the same figures: only the source moves), older (they hold a later
/// dataset: untouched), unreadable (their stored state cannot be read: not compared, or not applied); systems changed,
/// and kept as self-reported; and (designation list) prefectures whose own systems' designations change.
/// </summary>
public sealed record ImportCountsView(int Municipalities, int MunicipalitiesChanged, int SystemsChanged, int SystemsKeptSelfReported, int MunicipalitiesOlder,
    int MunicipalitiesConfirmed, int MunicipalitiesUnreadable, int PrefecturesChanged = 0);

/// <summary>
/// Who applied an import, when, what it changed, and the rows not applied because their municipality's stored state
/// cannot be read (with the reason). <c>replaced</c>: the same-day dataset this one replaced; <c>replacedBy</c>: the
/// same-day dataset applied later that replaced this one, and <c>municipalitiesTakenOver</c> how many of its
/// municipalities that one took over (all it sourced: no longer a source; fewer: a source of the rest), as the list says.
/// </summary>
public sealed record ImportAppliedView(string AppliedBy, DateTimeOffset AppliedAt, ImportCountsView Counts, IReadOnlyList<ImportIssueView> Unreadable, string? Replaced = null,
    string? ReplacedBy = null, int MunicipalitiesTakenOver = 0);

/// <summary>
/// Another dataset of the same kind and as-of day: applying this one replaces its figures (the later applied wins on an
/// equal day). Its id, file, who uploaded and applied it (null: not applied), and the warning in Japanese and English.
/// </summary>
public sealed record ImportSameDayView(string Id, string FileName, string UploadedBy, DateTimeOffset UploadedAt, string? AppliedBy, DateTimeOffset? AppliedAt, string MessageJa, string MessageEn);

/// <summary>A prefecture's own row on the designation list (prefecture-run businesses): recorded and shown, not applied to municipalities.</summary>
public sealed record ImportPrefectureRowView(int Row, string PrefectureCode, string PrefectureName, IReadOnlyList<string> DesignatedBusinesses, bool CommonFunctions);

/// <summary>One municipality the dry run would change: systems changed, of which phases and designations changed.</summary>
public sealed record ImportChangeView(string MunicipalityCode, string MunicipalityName, int SystemsChanged, int PhasesChanged, int DesignationsChanged);

/// <summary>
/// An uploaded official file as a dataset version: id (the file's SHA-256, lower-case hex), kind (mic_progress),
/// source and as-of day (last day of the tally's month), the file, who uploaded it, rows matched, every row not matched,
/// hidden rows read, the dry-run preview and, once applied, the result; the dry run's rows whose municipality's stored
/// state could not be read (not compared; refused at apply unless restored by then). <c>Unmatched</c> lists the first
/// <see cref="OfficialImportRecord.MaxIssuesKept"/> rows not taken, in row order; <c>UnmatchedCount</c> counts them all.
/// </summary>
public sealed record ImportView(
    string Id, string Kind, string Source, DateOnly AsOf, string FileName, long FileSize, string SheetName, string UploadedBy, DateTimeOffset UploadedAt,
    int MatchedRows, int HiddenRows, IReadOnlyList<ImportIssueView> Unmatched, ImportCountsView Preview, ImportAppliedView? Applied,
    string? Format, IReadOnlyList<ImportPrefectureRowView> PrefectureRows, IReadOnlyList<ImportChangeView> Changes, IReadOnlyList<ImportIssueView> Unreadable,
    int UnmatchedCount, ImportSameDayView? SameDay = null)
{
    /// <summary>Said about the whole file, nothing refused, in Japanese and English (as_of_name_differs: the name says another month than the title, whose day was taken).</summary>
    public IReadOnlyList<ImportIssueView> Warnings { get; init; } = [];
}

/// <summary>
/// One dataset version in the list: id (SHA-256), kind, source, as-of day, file, who uploaded and applied it, when;
/// <c>replacedBy</c>: the id of the same-day dataset applied later that replaced it (null: none), and
/// <c>municipalitiesSourced</c>: how many municipalities' figures still come from it (0 once replaced in all of them,
/// then it is no source of the nation's figures; null until applied).
/// </summary>
public sealed record ImportListingView(string Id, string Kind, string Source, DateOnly AsOf, string FileName, string UploadedBy, DateTimeOffset UploadedAt, string? AppliedBy, DateTimeOffset? AppliedAt,
    string? ReplacedBy = null, int? MunicipalitiesSourced = null);

/// <summary>
/// Official imports (national staff and administrators): POST /api/v1/imports (multipart, field "file": an .xlsx of
/// MIC's per-municipality progress tally) → preview; GET /api/v1/imports/{id}; POST /api/v1/imports/{id}/apply.
/// Bad files are refused with RFC 9457 problems naming "file", "sheet" or "header"; nothing is stored or applied.
/// </summary>
public static partial class ImportsApi
{
    public static WebApplication MapImportsApi(this WebApplication app)
    {
        var imports = app.MapGroup("/api/v1/imports").RequireAuthorization(ReadinessPolicies.OfficialImport).WithTags("Imports").RequireRateLimiting(RateLimits.ReadsPolicy)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        imports.MapPost(string.Empty, Upload).WithName("postImport")
            .WritesConditionallyByContent("GET /api/v1/imports", async h => await List(h.RequestServices.GetRequiredService<OfficialImportService>())).DisableAntiforgery().WithMetadata(new UploadLimit(OfficialWorkbook.MaxFileBytes))
            .AddOpenApiOperationTransformer(DescribeUpload)
            .WithSummary("Upload an official file (MIC's per-municipality tally, MIC's step detail or the Digital Agency's designation list; .xlsx or CSV); answers the dry-run preview")
            .WithDescription("Multipart form with the field 'file' and optionally 'kind' (mic_progress, mic_step_detail, designation_list; recognised from the header when absent). CSV as Excel saves it: Shift_JIS or UTF-8 with or without BOM. The dataset id is the file's SHA-256: the same file again answers the stored preview (200) instead of 201. Refused with 400/413 problems naming file, sheet or header: over 32 MB (MIC's whole-country step detail as UTF-8 CSV is about 19 MB), not an .xlsx, encrypted, macro-enabled, external links, zip bomb, no sheet named like 令和8年1月_進捗状況, header missing business names. Nothing is applied before POST /api/v1/imports/{id}/apply.")
            .RequireRateLimiting(RateLimits.WritesPolicy)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        imports.MapGet(string.Empty, List).WithName("listImports").AnswersConditionalRequestsByContent()
            .WithSummary("Every uploaded official dataset version, newest first: kind, source, as-of day, file hash, who uploaded and applied it, when");
        imports.MapGet("/{id}", Get).WithName("getImport").AnswersConditionalRequestsByContent()
            .WithSummary("An uploaded official dataset: source, as-of day, file hash, unmatched rows, preview and, once applied, the result")
            .WithDescription("id: the file's SHA-256 as 64 lower-case hex digits (400 otherwise, 404 when no such upload).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        imports.MapPost("/{id}/apply", Apply).WithName("applyImport").DisableAntiforgery()
            .WritesConditionallyByContent("GET /api/v1/imports/{id}", async h => await Get(h.GetRouteValue("id") as string ?? string.Empty, h.RequestServices.GetRequiredService<OfficialImportService>()))
            .WithSummary("Apply an uploaded dataset to every matched municipality's official layer, through its grain, audited as the import")
            .WithDescription("Never overwrites a system a municipality reported itself after the dataset's as-of day; a dataset older than the official data a municipality holds changes nothing there. Applying twice changes nothing the second time (the first result is answered). The designation list is complete: a list that takes away more than a quarter of the municipalities' designated systems or of the prefectures' own, or names fewer than half of the municipalities designated now, is answered 409 (code partial_list, naming confirm, with the counts) and not applied unless confirm=partial_list is sent; the preview warns of it (warnings: partial_list, or unlisted_undesignated when a municipality or prefecture would hold no designation any more without needing a confirmation).")
            .RequireRateLimiting(RateLimits.WritesPolicy)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    // The body is read by the handler after authorization (a routing Accepts would answer 415 before a 403), so the
    // OpenAPI description gets its multipart body here.
    private static Task DescribeUpload(Microsoft.OpenApi.OpenApiOperation operation, Microsoft.AspNetCore.OpenApi.OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        operation.RequestBody = new Microsoft.OpenApi.OpenApiRequestBody
        {
            Required = true,
            Description = "The workbook as the multipart field 'file' (.xlsx, at most 10 MB).",
            Content = new Dictionary<string, Microsoft.OpenApi.OpenApiMediaType>
            {
                ["multipart/form-data"] = new()
                {
                    Schema = new Microsoft.OpenApi.OpenApiSchema
                    {
                        Type = Microsoft.OpenApi.JsonSchemaType.Object,
                        Required = new HashSet<string> { "file" },
                        Properties = new Dictionary<string, Microsoft.OpenApi.IOpenApiSchema>
                        {
                            ["file"] = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.String, Format = "binary" },
                        },
                    },
                },
            },
        };
        return Task.CompletedTask;
    }

    private static async Task<Results<Created<ImportView>, Ok<ImportView>, ProblemHttpResult>> Upload(
        HttpContext http, OfficialImportService service, IOptions<ReadinessAuthOptions> auth)
    {
        var (file, problem) = await ReadFileAsync(http, OfficialWorkbook.MaxFileBytes, ["kind"]);
        if (file is null)
        {
            return problem!;
        }

        var caller = ReadinessCaller.From(http.User, auth.Value)!;
        var kind = http.Request.Form["kind"].ToString();
        var (record, error, timings, created) = await service.UploadAsync(file.Value.Name, file.Value.Bytes, caller.ToActor(), string.IsNullOrWhiteSpace(kind) ? null : kind.Trim());
        http.Response.Headers["Server-Timing"] = timings.ServerTiming;
        if (record is null)
        {
            var status = OfficialWorkbook.Status(error!);
            return Problems.Create(status, status == 413 ? "Payload too large" : "Invalid file", [error!]);
        }

        var view = View(record, await service.SameDayAsync(record));
        return created
            ? TypedResults.Created($"/api/v1/imports/{record.Id}", view)
            : TypedResults.Ok(view);
    }

    /// <summary>The longest file name kept, in UTF-16 characters (as most file systems allow).</summary>
    public const int MaxFileNameLength = 255;

    /// <summary>
    /// The uploaded file from a multipart body; a problem naming "file" when there is none (required) or more than one
    /// (multiple_files), it is empty (empty_file: 0 bytes, told apart from none chosen), it is over
    /// <paramref name="maxFileBytes"/> (the endpoint's own limit, named in the message; its <see cref="UploadLimit"/>
    /// lets the body through up to twice that), or its name breaks the free-text rule or is over
    /// <see cref="MaxFileNameLength"/> characters (invalid_file_name).
    /// </summary>
    public static async Task<((string Name, byte[] Bytes)? File, ProblemHttpResult? Problem)> ReadFileAsync(HttpContext http, long maxFileBytes, IReadOnlyCollection<string>? fields = null)
    {
        if (http.Request.ContentLength > UploadLimit.BodyBytes(maxFileBytes))
        {
            return (null, TooLarge(maxFileBytes, http.Request.ContentLength, await FileNameAtStartAsync(http.Request)));
        }

        if (!http.Request.HasFormContentType)
        {
            return (null, Problems.Create(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Content-Type", "unsupported_media_type",
                "ファイルは multipart/form-data の「file」欄で送ってください。", "Send the file as the 'file' field of a multipart/form-data body."));
        }

        IFormCollection form;
        string? notUtf8 = null;
        var checkFields = false;
        if (Api.MultipartForm.IsMultipart(http.Request))
        {
            // Read once (the dashboard's forms are read before antiforgery: the same reading is answered here).
            var read = await Api.MultipartForm.ReadAsync(http, maxFileBytes);
            if (read.Fault is { } limit)
            {
                return (null, limit.Code == Api.MultipartForm.BodySizeCode
                    ? TooLarge(maxFileBytes, UploadLimit.SentPastCap(http.Request, maxFileBytes))
                    : Problems.Create(limit.Code == "invalid_multipart" ? StatusCodes.Status400BadRequest : StatusCodes.Status413PayloadTooLarge,
                        limit.Code == "invalid_multipart" ? "Invalid request" : "Payload too large", [limit]));
            }

            form = read.Form;
            notUtf8 = read.NotUtf8;
            checkFields = true;
        }
        else
        {
            try
            {
                form = await http.Request.ReadFormAsync(http.RequestAborted);
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or BadHttpRequestException)
            {
                return (null, ex is BadHttpRequestException { StatusCode: 413 } || ex.Message.Contains("limit", StringComparison.OrdinalIgnoreCase)
                    ? TooLarge(maxFileBytes, UploadLimit.SentPastCap(http.Request, maxFileBytes))
                    : Problems.BadRequest("file", "invalid_multipart", "送信内容を読み取れませんでした（multipart/form-data）。", "The multipart body could not be read."));
            }
        }

        // Two files under one name: which was meant is not ours to guess (GetFile would take the first silently).
        if (form.Files.GetFiles("file").Count > 1)
        {
            return (null, Problems.BadRequest("file", "multiple_files", "ファイル（file）は1つだけ送ってください。", "Send exactly one file in the field 'file'."));
        }

        if (checkFields && FieldsProblem(http, form, notUtf8, fields) is { } fieldsProblem)
        {
            return (null, fieldsProblem);
        }

        // A file input left empty is sent as a plain field (no file name), so no file here means none was chosen; a
        // chosen file of 0 bytes is another fault (a failed save or download) and is told as such.
        var file = form.Files.GetFile("file");
        if (file is null)
        {
            return (null, Problems.BadRequest("file", "required", "ファイル（file）を選んでください。", "Choose a file (field 'file')."));
        }

        if (file.Length == 0)
        {
            return (null, Problems.BadRequest("file", "empty_file",
                "ファイルが空です（0 バイト）。中身のあるファイルを選んでください。", "The file is empty (0 bytes). Choose a file with content."));
        }

        if (file.Length > maxFileBytes)
        {
            return (null, TooLarge(maxFileBytes, file.Length, Path.GetFileName(file.FileName)));
        }

        // The name is kept and shown (the imports list, the audit of an apply): the free-text rule applies to it.
        var name = Path.GetFileName(file.FileName);
        // A name sent in another encoding (Shift_JIS from an older tool) reaches here with U+FFFD in place of what could
        // not be read as UTF-8: stored, it would show as question marks forever, so it is refused and named as such.
        if (name.Contains('\uFFFD', StringComparison.Ordinal))
        {
            return (null, Problems.BadRequest("file", "invalid_file_name",
                "ファイル名を UTF-8 として読めませんでした（Shift_JIS など別の文字コードで送られています）。UTF-8 で送るか、ファイル名を英数字に変えてから送ってください。",
                "The file name could not be read as UTF-8 (it was sent in another encoding, such as Shift_JIS). Send it in UTF-8, or rename the file with plain letters and digits, and send it again."));
        }

        if (name.Length > MaxFileNameLength || Readiness.Rules.FreeText.Check(name, multiline: false) is { Fault: not Readiness.Rules.FreeTextFault.None } fault)
        {
            return (null, Problems.BadRequest("file", "invalid_file_name",
                $"ファイル名は{MaxFileNameLength}文字以内で、制御文字・表示されない文字・文字の向きを変える文字は使えません。ファイル名を変えてから送ってください。",
                $"The file name must be at most {MaxFileNameLength} characters without control, invisible or direction-changing characters; rename the file and send it again."));
        }

        using var buffer = new MemoryStream((int)file.Length);
        await file.CopyToAsync(buffer, http.RequestAborted);
        return ((name, buffer.ToArray()), null);
    }

    /// <summary>
    /// The rule of every form field (<see cref="Components.Access.FormFields"/>), on the API as on the dashboard: a field
    /// sent twice (the file too) and a text field whose bytes are not UTF-8 are 400 naming it; under /api a field the
    /// endpoint does not take ("file" and <paramref name="fields"/>) is 400 <c>unknown_field</c> naming it, as an unknown
    /// member of a JSON body is, rather than ignored.
    /// </summary>
    private static ProblemHttpResult? FieldsProblem(HttpContext http, IFormCollection form, string? notUtf8, IReadOnlyCollection<string>? fields)
    {
        if (Components.Access.FormFields.FirstRepeated(form) is { } repeated)
        {
            var shown = Problems.Shown(repeated, 64);
            return Problems.BadRequest(Problems.Named(repeated), Components.Access.FormFields.RepeatedCode,
                $"フォームの項目「{shown}」が2回以上送られています。1回だけ送ってください。何も変更していません。",
                $"The form field '{shown}' is sent more than once; send it once. Nothing was changed.");
        }

        if (notUtf8 is not null)
        {
            var shown = Problems.Shown(notUtf8, 64);
            return Problems.BadRequest(Problems.Named(notUtf8), RepeatedParameters.NotUtf8Code,
                $"フォームの項目「{shown}」が UTF-8 として正しくないバイト列を含んでいます。何も変更していません。",
                $"The form field '{shown}' holds bytes that are not UTF-8. Nothing was changed.");
        }

        if (!http.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase))
        {
            return null; // a dashboard form carries its token and the page's own fields
        }

        string[] taken = ["file", .. fields ?? []];
        foreach (var name in form.Keys.Concat(form.Files.Select(f => f.Name)))
        {
            if (!taken.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                var shown = Problems.Shown(name, 64);
                var list = string.Join(", ", taken);
                return Problems.BadRequest(Problems.Named(name), UnknownFieldCode,
                    $"フォームに「{shown}」という項目はありません。使える項目: {list}。何も変更していません。",
                    $"There is no form field '{shown}' here; the fields are: {list}. Nothing was changed.");
            }
        }

        return null;
    }

    /// <summary>The code of a multipart field an upload does not take.</summary>
    public const string UnknownFieldCode = "unknown_field";

    private static ProblemHttpResult TooLarge(long maxFileBytes, long? sentBytes, string? fileName = null) =>
        Problems.Create(StatusCodes.Status413PayloadTooLarge, "Payload too large", [OfficialWorkbook.TooLarge(maxFileBytes, sentBytes, fileName)]);

    private static ProblemHttpResult TooLarge(long maxFileBytes, (long Bytes, bool AtLeast) sent) =>
        Problems.Create(StatusCodes.Status413PayloadTooLarge, "Payload too large", [OfficialWorkbook.TooLarge(maxFileBytes, sent.Bytes, atLeast: sent.AtLeast)]);

    /// <summary>
    /// The file name of the "file" part of a multipart body too large to read, from its first 16 KiB (the part's
    /// headers come before its bytes), so that its 413 fits the kind of file; null when not found or not readable.
    /// </summary>
    private static async Task<string?> FileNameAtStartAsync(HttpRequest request)
    {
        if (!request.HasFormContentType)
        {
            return null;
        }

        var start = new byte[16 * 1024];
        var read = 0;
        try
        {
            while (read < start.Length && await request.Body.ReadAsync(start.AsMemory(read), request.HttpContext.RequestAborted) is var n and > 0)
            {
                read += n;
            }
        }
        catch (Exception ex) when (ex is BadHttpRequestException or IOException)
        {
            return null;
        }

        // Part headers are ASCII or UTF-8 (browsers send the name as UTF-8); the file's bytes after them are never matched.
        var text = System.Text.Encoding.UTF8.GetString(start, 0, read);
        var part = FilePartHeader().Match(text);
        return part.Success ? Path.GetFileName(part.Groups["name"].Value) : null;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"Content-Disposition:[^\r\n]*\bname=""?file""?;[^\r\n]*\bfilename=""(?<name>[^""\r\n]*)""", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex FilePartHeader();

    private static async Task<Ok<IReadOnlyList<ImportListingView>>> List(OfficialImportService service) =>
        TypedResults.Ok<IReadOnlyList<ImportListingView>>([.. (await service.ListAsync()).Select(l =>
            new ImportListingView(l.Id, l.Kind, l.Source, l.AsOf, l.FileName, l.UploadedBy, l.UploadedAt, l.AppliedBy, l.AppliedAt, l.ReplacedBy, l.MunicipalitiesSourced))]);

    private static async Task<Results<Ok<ImportView>, ProblemHttpResult>> Get(string id, OfficialImportService service)
    {
        if (!OfficialImportService.IsId(id))
        {
            return BadId(id);
        }

        return await service.GetAsync(id) is { } record ? TypedResults.Ok(View(record, await service.SameDayAsync(record))) : NoSuchImport(id);
    }

    private static async Task<Results<Ok<ImportView>, ProblemHttpResult>> Apply(string id, [FromQuery] string? confirm, HttpContext http, OfficialImportService service, IOptions<ReadinessAuthOptions> auth)
    {
        if (!OfficialImportService.IsId(id))
        {
            return BadId(id);
        }

        if (confirm is not null && confirm != DesignationRemovals.PartialList)
        {
            return Problems.UnknownValue("confirm", confirm, [DesignationRemovals.PartialList]);
        }

        var caller = ReadinessCaller.From(http.User, auth.Value)!;
        var (applied, unconfirmed) = await service.ApplyAsync(id, caller.ToActor(), http.Connection.RemoteIpAddress?.ToString(), removalsConfirmed: confirm is not null);
        if (applied is null)
        {
            return NoSuchImport(id);
        }

        if (unconfirmed is not null)
        {
            return RemovalsUnconfirmed(unconfirmed);
        }

        return TypedResults.Ok(View(applied, await service.SameDayAsync(applied)));
    }

    /// <summary>
    /// 409: a designation list that would take more than half of the designations away, or names fewer than half of the
    /// municipalities designated now (<see cref="DesignationRemovals.NeedsConfirmation"/>); nothing is applied. Names
    /// <c>confirm</c>, with the counts (systems and municipalities; the prefectures' own systems apart).
    /// </summary>
    public static ProblemHttpResult RemovalsUnconfirmed(DesignationRemovals removals)
    {
        var (_, ja, en) = removals.Warning!.Value;
        var problem = Problems.Create(StatusCodes.Status409Conflict, "Designations removed unconfirmed", "confirm", DesignationRemovals.PartialList,
            "適用していません。" + ja + "一覧の一部ではないか確かめ、全国分の一覧であれば confirm=partial_list を付けて適用してください。",
            "Nothing was applied. " + en + " Check that it is not part of the list; if it is the whole list, apply with confirm=partial_list.");
        problem.ProblemDetails.Extensions["listed"] = removals.Listed;
        problem.ProblemDetails.Extensions["designatedNow"] = removals.DesignatedNow;
        problem.ProblemDetails.Extensions["systemsDesignatedNow"] = removals.SystemsDesignatedNow;
        problem.ProblemDetails.Extensions["systemsLosing"] = removals.SystemsLosing;
        problem.ProblemDetails.Extensions["municipalitiesLosingAll"] = removals.MunicipalitiesLosingAll;
        problem.ProblemDetails.Extensions["prefectureSystemsDesignatedNow"] = removals.PrefectureSystemsDesignatedNow;
        problem.ProblemDetails.Extensions["prefectureSystemsLosing"] = removals.PrefectureSystemsLosing;
        problem.ProblemDetails.Extensions["prefecturesLosingAll"] = removals.PrefecturesLosingAll;
        return problem;
    }

    private static ProblemHttpResult BadId(string id) => PathValues.Check("/api/v1/imports/{id}", "id", id)!;

    private static ProblemHttpResult NoSuchImport(string id) => Problems.NotFound("id", $"取込み「{Problems.Shown(id)}」はありません。", $"No import '{Problems.Shown(id)}'.");

    /// <summary>The record as the API answers it; <paramref name="sameDay"/> from <see cref="OfficialImportService.SameDayAsync"/>.</summary>
    public static ImportView View(OfficialImportRecord r, OfficialImportListing? sameDay = null) => new(
        r.Id, r.Kind, r.Source, r.AsOf, r.FileName, r.FileSize, r.SheetName, r.UploadedBy, r.UploadedAt, r.Rows.Count(x => x.RowNumber > 0), r.HiddenRows,
        Issues(r.Issues),
        Counts(r.Preview),
        r.Applied is { } a ? new ImportAppliedView(a.AppliedBy, a.AppliedAt, Counts(a.Counts), Issues(a.Unreadable), a.Replaced, a.ReplacedBy, a.MunicipalitiesTakenOver) : null,
        r.Format ?? "xlsx",
        [.. (r.PrefectureRows.IsDefault ? [] : r.PrefectureRows).Select(p => new ImportPrefectureRowView(p.RowNumber, p.PrefectureCode,
            Catalog.ReadinessCatalog.Instance.PrefecturesByCode.TryGetValue(p.PrefectureCode, out var pref) ? pref.Name : p.PrefectureCode, p.DesignatedBusinesses, p.CommonFunctions))],
        [.. (r.Applied is { } done && !done.Changes.IsDefault && (done.Changes.Length > 0 || done.Counts.MunicipalitiesChanged == 0) ? done.Changes : r.Changes.IsDefault ? [] : r.Changes).Select(c => new ImportChangeView(c.MunicipalityCode,
            Catalog.ReadinessCatalog.Instance.MunicipalitiesByCode.TryGetValue(c.MunicipalityCode, out var m) ? m.Name : c.MunicipalityCode, c.SystemsChanged, c.PhasesChanged, c.DesignationsChanged))],
        Issues(r.Unreadable),
        r.UnmatchedRows,
        sameDay is null ? null : SameDay(r, sameDay))
    {
        Warnings = Issues(r.Warnings),
    };

    private static ImportSameDayView SameDay(OfficialImportRecord r, OfficialImportListing l)
    {
        var day = r.AsOf.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var (ja, en) = (l.AppliedAt, r.Applied) switch
        {
            (not null, null) => ($"同じ時点（{day}）の同じ種類のデータ「{l.FileName}」（{l.UploadedBy} がアップロード、{l.AppliedBy} が適用済み）がすでにあります。これを適用すると、その数値を置き換えます（同じ時点では後から適用したものが使われます）。",
                $"A dataset of this kind as of the same day ({day}) already exists: '{l.FileName}' (uploaded by {l.UploadedBy}, applied by {l.AppliedBy}). Applying this one replaces its figures (on an equal day the one applied later is used)."),
            (not null, not null) => ($"同じ時点（{day}）の同じ種類のデータ「{l.FileName}」（{l.AppliedBy} が適用）を置き換えました。",
                $"This replaced the dataset of this kind as of the same day ({day}): '{l.FileName}' (applied by {l.AppliedBy})."),
            _ => ($"同じ時点（{day}）の同じ種類のデータ「{l.FileName}」（{l.UploadedBy} がアップロード、未適用）があります。両方を適用すると、後から適用したほうの数値が使われます。",
                $"Another dataset of this kind as of the same day ({day}) was uploaded: '{l.FileName}' (by {l.UploadedBy}, not applied). If both are applied, the one applied later is used."),
        };
        return new ImportSameDayView(l.Id, l.FileName, l.UploadedBy, l.UploadedAt, l.AppliedBy, l.AppliedAt, ja, en);
    }

    private static List<ImportIssueView> Issues(System.Collections.Immutable.ImmutableArray<OfficialImportIssue> issues) =>
        [.. (issues.IsDefault ? [] : issues).Select(i => new ImportIssueView(i.RowNumber, i.Prefecture, i.Municipality, i.Code, i.MessageJa, i.MessageEn))];

    private static ImportCountsView Counts(OfficialImportCounts c) =>
        new(c.Municipalities, c.MunicipalitiesChanged, c.SystemsChanged, c.SystemsKeptSelfReported, c.MunicipalitiesOlder, c.MunicipalitiesConfirmed, c.MunicipalitiesUnreadable, c.PrefecturesChanged);
}
