using System.Collections.Immutable;
using System.Security.Claims;
using System.Security.Cryptography;
using Readiness.Catalog;
using Readiness.Grains;
using Readiness.Hosting;
using Readiness.Imports;
using Readiness.Rules;
using Readiness.Web.Api;

namespace Readiness.Web.Imports;

/// <summary>
/// What an uploaded template would do: the municipality, the file's SHA-256 (its idempotency key), the version it was
/// made from and the current one, whether this very file was applied already, every change and every error (cells named),
/// and how many rows (businesses and checklist items) applying it reports, those it changes and those it confirms as they stand;
/// <c>LeftAsIs</c>: the file's rows it does not report because they were changed after the file's version (targets);
/// <c>FileRows</c>: every row the file has (an id in column A), those with errors too; <c>LeftBy</c>: who changed the
/// rows left as they are (actor subjects, each once) and <c>Caller</c> the subject of the person previewing, so the
/// notice says "you" when every change since was their own (another tab, window or program), never "someone else".
/// </summary>
public sealed record TemplatePreview(
    string Code, string FileHash, long? FileVersion, long CurrentVersion, bool AlreadyApplied, ImmutableArray<TemplateChange> Changes, ImmutableArray<TemplateIssue> Errors,
    int Rows = 0, ImmutableArray<string> LeftAsIs = default, int FileRows = 0, ImmutableArray<string> LeftBy = default, string? Caller = null)
{
    /// <summary>A file that changes nothing applies too: it records every row it covers as confirmed (as a full report with the same content).</summary>
    public bool CanApply => !AlreadyApplied && Errors.IsEmpty && Rows > 0;

    /// <summary>Applying it changes nothing and records its rows as confirmed (<c>確認済み</c>).</summary>
    public bool Confirmation => CanApply && Changes.IsEmpty;

    /// <summary>The rows applying it reports without changing them (their as-of day renewed, as in a full report).</summary>
    public int Unchanged => Rows - ChangedRows;

    /// <summary>The rows applying it changes.</summary>
    public int ChangedRows => Changes.Select(c => c.Target).Distinct(StringComparer.Ordinal).Count();

    /// <summary>The targets of <see cref="LeftAsIs"/> (never default).</summary>
    public ImmutableArray<string> Left => LeftAsIs.IsDefault ? [] : LeftAsIs;

    /// <summary>What the preview says, whatever its outcome (<see cref="TemplateNotice"/>).</summary>
    public TemplateNotice Notice => TemplateNotice.Of(this);
}

/// <summary>
/// What a template's preview says applying it does, for every outcome (the API's <c>outcome</c>, <c>messageJa</c>,
/// <c>messageEn</c>; the preview page's notice, in both languages): <c>applied</c> (this very file was applied already),
/// <c>errors</c> (nothing can be applied), <c>none</c> (nothing changes: every row reported is recorded as confirmed),
/// <c>partly</c> (some rows change, the others are reported as they stand), <c>all</c> (every row reported changes). The
/// rows counted are the file's own; those it leaves as they were changed since (by others, or by the person in another tab, window or program: said so), and the template's rows the file
/// does not have, are named as not reported (breakers' findings: a partly changed file had no message; an older unchanged
/// file said 「このファイルの65行」 for a 67-row file and nothing of the other 2).
/// </summary>
public sealed record TemplateNotice(string Outcome, string MessageJa, string MessageEn)
{
    /// <summary>At most this many rows are named in a sentence; the rest are counted.</summary>
    private const int Named = 10;

    public static TemplateNotice Of(TemplatePreview p)
    {
        if (p.AlreadyApplied)
        {
            return new("applied", "このファイルはすでに反映済みです（同じファイルは一度だけ反映されます）。", "This file was already applied (the same file applies once).");
        }

        if (!p.Errors.IsEmpty)
        {
            return new("errors", $"誤りが {p.Errors.Length} 件あります。何も反映していません。ファイルを直してもう一度アップロードしてください。",
                $"{Count(p.Errors.Length, "error", "errors")}: nothing was applied. Correct the file and upload it again.");
        }

        var file = p.FileRows;
        var changed = p.ChangedRows;
        var of = p.Left.IsEmpty ? string.Empty : $"のうち{p.Rows}行";
        var (outcome, ja, en) = changed == 0
            ? ("none", $"現在の内容からの変更はありません。反映すると、このファイルの{file}行（業務・セキュリティ項目）{of}を現状のまま確認済みとして記録します（報告日として数えられます）。",
                $"Nothing changes against the current data. Applying it records {(p.Left.IsEmpty ? "the file's " + Rows(file) : $"{p.Rows} of the file's {Rows(file)}")} (businesses and checklist items) as confirmed as they stand (it counts as a report).")
            : changed == p.Rows
                ? ("all", $"反映すると、このファイルの{file}行（業務・セキュリティ項目）{of}をすべて変更します。",
                    $"Applying it changes {(p.Left.IsEmpty ? "all " + Rows(file) + " of the file" : $"{p.Rows} of the file's {Rows(file)}")} (businesses and checklist items).")
                : ("partly", $"反映すると、このファイルの{file}行（業務・セキュリティ項目）のうち{changed}行を変更し、変更のない{p.Unchanged}行も現状のまま報告したものとして記録します（報告日が更新されます）。",
                    $"Applying it changes {Rows(changed)} of the file's {Rows(file)} (businesses and checklist items) and records the {Rows(p.Unchanged)} without a change as reported as they stand (their report dates are renewed).");
        if (!p.Left.IsEmpty)
        {
            var (namesJa, namesEn) = Names(p.Left);
            var (whoJa, whoEn) = Who(p.LeftBy.IsDefault ? [] : p.LeftBy, p.Caller);
            ja += $"残る{p.Left.Length}行（{namesJa}）は、このファイルの版{p.FileVersion}の後に{whoJa}ため、このファイルの値では報告せず、現在の内容のまま残します。";
            en += $" The other {Rows(p.Left.Length)} ({namesEn}) {(p.Left.Length == 1 ? "was" : "were")} changed{whoEn} after this file's version {p.FileVersion}: {(p.Left.Length == 1 ? "it is" : "they are")} not reported from this file and {(p.Left.Length == 1 ? "stays" : "stay")} as {(p.Left.Length == 1 ? "it is" : "they are")} now.";
        }

        var catalog = ReadinessCatalog.Instance;
        var template = catalog.BusinessSystems.Count + catalog.SecurityItems.Count;
        if (file < template)
        {
            ja += $"テンプレートの{template}行のうち、このファイルにない{template - file}行は報告しません（現在の内容のまま）。";
            en += $" {template - file} of the template's {template} rows are not in this file: they are not reported and stay as they are.";
        }

        return new(outcome, ja, en);
    }

    private static string Rows(int n) => Count(n, "row", "rows");

    /// <summary>A count with its noun in the singular for 1 ("1 row", "2 rows").</summary>
    public static string Count(int n, string one, string many) => $"{n} {(n == 1 ? one : many)}";

    /// <summary>
    /// Who changed rows since, as the sentence says it (ja up to 「ため」, en after "changed"): the caller alone is
    /// "you" from another tab, window or program (the form's 409 words); others are named, the caller among them as
    /// "you"; nobody known claims no author.
    /// </summary>
    private static (string Ja, string En) Who(ImmutableArray<string> actors, string? caller)
    {
        if (actors.IsEmpty)
        {
            return ("更新された", string.Empty);
        }

        if (caller is not null && actors.All(a => a == caller))
        {
            return ("あなたが別の画面（タブやウィンドウ）やプログラムで更新した", " by you (in another tab, window or program)");
        }

        var ja = string.Join("、", actors.Select(a => a == caller ? "あなた（別の画面やプログラム）" : a));
        var en = string.Join(", ", actors.Select(a => a == caller ? "you (in another tab, window or program)" : a));
        return caller is not null && actors.Contains(caller) ? ($"{ja} が更新した", $" by {en}") : ($"他の人（{ja}）が更新した", $" by someone else ({en})");
    }

    /// <summary>The rows' names (a business, a checklist item with its id), the first <see cref="Named"/> of them, the rest counted.</summary>
    private static (string Ja, string En) Names(ImmutableArray<string> targets)
    {
        var catalog = ReadinessCatalog.Instance;
        (string Ja, string En) Name(string target)
        {
            if (target.StartsWith("system:", StringComparison.Ordinal) && catalog.BusinessIndex.TryGetValue(target[7..], out var b))
            {
                return (catalog.BusinessSystems[b].NameJa, catalog.BusinessSystems[b].NameEn);
            }

            if (target.StartsWith("security:", StringComparison.Ordinal) && catalog.SecurityIndex.TryGetValue(target[9..], out var i))
            {
                var item = catalog.SecurityItems[i];
                return ($"{item.Id} {item.TitleJa}", $"{item.Id} {item.TitleEn}");
            }

            return (target, target);
        }

        var named = targets.Take(Named).Select(Name).ToList();
        var more = targets.Length - named.Count;
        return (string.Join("、", named.Select(n => n.Ja)) + (more > 0 ? $"ほか{more}行" : string.Empty),
            string.Join(", ", named.Select(n => n.En)) + (more > 0 ? $" and {more} more" : string.Empty));
    }
}

/// <summary>What became of applying a template: the report's result, or the HTTP status and the errors (nothing applied).</summary>
public sealed record TemplateApplyResult(int Status, ReportResult? Result, IReadOnlyList<ProblemError> Errors);

/// <summary>
/// Excel reporting (issue 11, item 6): a municipality's template from its current record, and a filled-in copy read
/// (<see cref="ReportingTemplate"/>), previewed and applied all or nothing through <see cref="ReportingService"/> — the
/// same tenant check, validation, version check and audit as the API's report. The version in the file is the
/// If-Match; the file's SHA-256 ("xlsx-" + 64 hex digits) is the idempotency key, so the same file twice applies once.
/// </summary>
public sealed class TemplateService(IGrainFactory grains, GrainCalls calls, IAuditLog audit, ReportingService reporting, TimeProvider time)
{
    public static string RequestId(byte[] bytes) => "xlsx-" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static string FileName(string code, long version) => $"readiness-{code}-v{version}.xlsx";

    public async Task<MunicipalityRecord> CurrentAsync(string code, CancellationToken cancellationToken) =>
        await calls.Run(() => grains.GetGrain<IMunicipalityGrain>(code).GetAsync(), idempotent: true, cancellationToken);

    /// <summary>
    /// The preview of an uploaded file, or the refusal of the file itself (too large, not .xlsx, encrypted, macros, …).
    /// <paramref name="onTop"/>: a file made from an older version is read on top of the current one (<see cref="ReadOnTopAsync"/>);
    /// false (an If-Match header was sent): B3 must be the current version. <paramref name="user"/>: the person previewing,
    /// whose own changes since are said to be theirs.
    /// </summary>
    public async Task<(TemplatePreview? Preview, ProblemError? FileError)> PreviewAsync(
        ClaimsPrincipal user, string code, string fileName, byte[] bytes, CancellationToken cancellationToken, bool onTop = true)
    {
        if (ReportingWorkbook.Check(fileName, bytes) is { } refused)
        {
            return (null, refused);
        }

        var (sheets, error) = ReportingWorkbook.Read(bytes);
        if (sheets is null)
        {
            return (null, error);
        }

        var current = await CurrentAsync(code, cancellationToken);
        var hash = RequestId(bytes);
        var applied = await audit.FindRequestAsync(code, hash, current.Version, cancellationToken);
        var me = reporting.Caller(user)?.Subject;
        var (reading, _, leftBy) = await ReadOnTopAsync(code, sheets, current, ReadinessRules.TodayInJapan(time.GetUtcNow()), onTop, me, cancellationToken);
        var rows = reading.Systems.Length + reading.Security.Length;
        var errors = rows == 0 && reading.Errors.IsEmpty ? [new TemplateIssue(NoRows.Errors[0].Field, NoRows.Errors[0].Code, NoRows.Errors[0].MessageJa, NoRows.Errors[0].MessageEn)] : reading.Errors;
        return applied.IsEmpty
            ? (new TemplatePreview(code, hash[5..], reading.Version, current.Version, false, reading.Changes, errors, rows, reading.LeftAsIs, reading.FileRows, leftBy, me), null)
            : (new TemplatePreview(code, hash[5..], reading.Version, current.Version, true, [], []), null);
    }

    /// <summary>
    /// Applies the file all or nothing: 400/413 for a refused file, 412 when it was made from an older version and
    /// someone changed a row it changes since (<see cref="ReadOnTopAsync"/>; with an If-Match, any older version), 422 for errors in its cells or when it has no row at all
    /// (no_rows); a file that changes nothing records every row it covers as confirmed, as a full report does; the same file again answers the first
    /// application (Replayed). <paramref name="minimal"/>: the answer renders no view (RFC 7240 <c>return=minimal</c>),
    /// so the grain leaves out the recent changes. <paramref name="ifMatch"/>: the versions an If-Match header names
    /// (null: none, or "*"); the file must have been made from one of them (412 naming If-Match otherwise), and the
    /// grain then checks that version atomically, as it checks the file's B3.
    /// </summary>
    public async Task<TemplateApplyResult> ApplyAsync(
        ClaimsPrincipal user, string code, string fileName, byte[] bytes, string? clientAddress, bool minimal, IReadOnlyList<long>? ifMatch, CancellationToken cancellationToken)
    {
        var (preview, fileError) = await PreviewAsync(user, code, fileName, bytes, cancellationToken, onTop: ifMatch is null);
        if (preview is null)
        {
            return new(OfficialWorkbook.Status(fileError!), null, [fileError!]);
        }

        var requestId = RequestId(bytes);
        if (preview.AlreadyApplied)
        {
            var current = await CurrentAsync(code, cancellationToken);
            var entries = await audit.FindRequestAsync(code, requestId, current.Version, cancellationToken);
            return new(StatusCodes.Status200OK, new ReportResult(ReportStatus.Replayed, requestId, current, [], entries.IsEmpty ? current.Version : entries[0].Version, entries), []);
        }

        if (!preview.Errors.IsEmpty)
        {
            return Refused(preview.Errors);
        }

        if (ifMatch is { Count: 0 } && preview.FileVersion is { } fileVersion)
        {
            // Only tags that name no version (a weak W/"12", "012"): say so, not "() does not name the version" (the file's
            // version is the current one here: a stale file was refused above).
            var none = ChangeRules.VersionConflict(-1, fileVersion);
            return new(StatusCodes.Status412PreconditionFailed, null, [new ProblemError("If-Match", "precondition_failed", none.MessageJa, none.MessageEn)]);
        }

        if (ifMatch is not null && !(preview.FileVersion is { } made && ifMatch.Contains(made)))
        {
            var named = string.Join(", ", ifMatch);
            return new(StatusCodes.Status412PreconditionFailed, null,
                [new ProblemError("If-Match", "precondition_failed",
                    $"If-Match（{named}）と、このファイルが作られた版（{ReportingTemplate.VersionCell}: {preview.FileVersion}）が一致しません。何も反映していません。",
                    $"If-Match ({named}) does not name the version this file was made from ({ReportingTemplate.VersionCell}: {preview.FileVersion}). Nothing was applied.")]);
        }

        if (preview.Rows == 0)
        {
            return NoRows;
        }

        // Read again for the request itself (the preview keeps only what it shows), against the version it is sent with:
        // when someone saves in between, the grain refuses it and the file is read again on top of theirs.
        var (sheets, _) = ReportingWorkbook.Read(bytes);
        for (var attempt = 1; ; attempt++)
        {
            var before = await CurrentAsync(code, cancellationToken);
            var (reading, onTop, _) = await ReadOnTopAsync(code, sheets!, before, ReadinessRules.TodayInJapan(time.GetUtcNow()), ifMatch is null, reporting.Caller(user)?.Subject, cancellationToken);
            if (!reading.Errors.IsEmpty)
            {
                return Refused(reading.Errors);
            }

            // Rows that change nothing are reported too: a file that changes nothing is a confirmation (as a full report).
            if (reading.Systems.IsEmpty && reading.Security.IsEmpty)
            {
                return NoRows;
            }

            var report = new MunicipalityReport
            {
                Systems = [.. reading.Systems.Select(s => new SystemReportItem
                {
                    BusinessId = s.BusinessId,
                    Phase = s.Phase ?? MigrationPhase.NotStarted,
                    PlannedGoLive = s.PlannedGoLive,
                    Vendor = s.Vendor,
                    Hosting = s.Hosting,
                    CloudProvider = s.CloudProvider,
                    NotApplicable = s.NotApplicable,
                    Designated = s.Designation is not null,
                    DesignationReason = s.Designation?.Reason,
                    DesignationTarget = s.Designation?.TargetDate,
                    RegressionReason = s.Reason,
                    DesignationReasonNote = s.DesignationReasonNote,
                    Given = SystemChange.Members.Where(m => !s.Omitted.Contains(m)).ToHashSet(StringComparer.Ordinal),
                })],
                Security = [.. reading.Security.Select(s => new SecurityReportItem
                {
                    ItemId = s.ItemId,
                    Status = s.Status ?? SecurityStatus.NotAssessed,
                    Evidence = s.Evidence,
                    LastReviewed = s.LastReviewed,
                })],
            };

            // The version the file was made from is the If-Match (read on top: the current version it was read against):
            // the grain checks it atomically with the change.
            var result = await reporting.ReportAsync(user, code, report, new ReportContext(onTop ? before.Version : preview.FileVersion, requestId, clientAddress, minimal));
            if (result.Status == ReportStatus.VersionConflict && ifMatch is null && attempt < OnTopAttempts)
            {
                continue;
            }

            return result.Status switch
            {
                ReportStatus.Accepted or ReportStatus.Replayed => new(StatusCodes.Status200OK, result, []),
                ReportStatus.VersionConflict => new(StatusCodes.Status412PreconditionFailed, result,
                    [new ProblemError(ReportingTemplate.VersionCell, "stale_version",
                        $"{ReportingTemplate.VersionCell}: このファイルは版{preview.FileVersion}から作られましたが、現在は版{result.Record?.Version}です。何も反映していません。最新のテンプレートをダウンロードしてください。",
                        $"{ReportingTemplate.VersionCell}: this file was made from version {preview.FileVersion}, the current version is {result.Record?.Version}. Nothing was applied: download the latest template.")]),
                ReportStatus.Forbidden => new(StatusCodes.Status403Forbidden, result, [.. result.Errors.Select(e => new ProblemError(e.Field, e.Code, e.MessageJa, e.MessageEn))]),
                _ => new(StatusCodes.Status422UnprocessableEntity, result, [.. result.Errors.Select(e => ReportingTemplate.CellOf(e.Field, before) is { } at
                    ? new ProblemError(at, e.Code, $"{at}: {e.MessageJa}", $"{at}: {e.MessageEn}")
                    : new ProblemError(e.Field, e.Code, e.MessageJa, e.MessageEn))]),
            };
        }
    }

    /// <summary>A file with no business and no checklist row (every row's id cleared): it reports nothing, not even a confirmation.</summary>
    private static readonly TemplateApplyResult NoRows = new(StatusCodes.Status422UnprocessableEntity, null,
        [new ProblemError("file", "no_rows", "このファイルには報告する行（業務・セキュリティ項目）がありません。ダウンロードしたテンプレートの行を消さずに記入してください。",
            "This file has no row to report (no business, no checklist item): fill in the downloaded template without deleting its rows.")]);

    /// <summary>How often an apply reads the file again on top of others' saves before it answers 412.</summary>
    private const int OnTopAttempts = 3;

    /// <summary>Errors answer 412 when the file is stale or conflicts (nothing applied), else 422.</summary>
    private static TemplateApplyResult Refused(ImmutableArray<TemplateIssue> errors) =>
        new(errors.Any(e => e.Code is "stale_version" or ConflictCode) ? StatusCodes.Status412PreconditionFailed : StatusCodes.Status422UnprocessableEntity,
            null, [.. errors.Select(Problem)]);

    /// <summary>The error code of a cell the file changes in a row changed after the file's version (by anyone, the uploader too).</summary>
    public const string ConflictCode = "changed_since";

    /// <summary>
    /// The file read against <paramref name="current"/>. With <paramref name="onTop"/>, a file made from an older version
    /// (B3) is not stale as a whole: the rows it changes are those whose cells differ from that version (rebuilt from the
    /// audit trail, <see cref="ChangesSince.AsOf"/>) and from the current one. If someone changed one of those rows since,
    /// every changed cell of such a row is an error (<see cref="ConflictCode"/>, naming the row, who and which version:
    /// "you" when <paramref name="me"/>, the caller's subject, made every change since);
    /// otherwise the rows changed since that the file does not change are left as they are now and the rest applies on top.
    /// OnTop in the answer: read on top (send it with the current version, not B3); LeftBy: who changed the rows left (subjects, each once).
    /// </summary>
    public async Task<(TemplateReading Reading, bool OnTop, ImmutableArray<string> LeftBy)> ReadOnTopAsync(
        string code, IReadOnlyDictionary<string, IReadOnlyDictionary<string, object?>> sheets, MunicipalityRecord current, DateOnly today, bool onTop, string? me,
        CancellationToken cancellationToken)
    {
        var reading = Reading(sheets, current, today);
        if (!onTop || reading.Version is not { } madeFrom || madeFrom >= current.Version || reading.Code != current.Code
            || await reporting.ChangesSinceAsync(code, madeFrom, current.Version, cancellationToken) is not { } history)
        {
            return (reading, false, []);
        }

        var mine = Reading(sheets, ChangesSince.AsOf(current, history, madeFrom), today);
        var differs = reading.Changes.Select(c => c.Target).ToHashSet(StringComparer.Ordinal);
        var submitted = mine.Changes.Select(c => c.Target).Where(differs.Contains).ToHashSet(StringComparer.Ordinal);
        var conflicts = ChangesSince.Conflicts(history, madeFrom, submitted);
        if (!conflicts.IsEmpty)
        {
            var issues = conflicts.SelectMany(c => mine.Changes.Where(m => m.Target == c.Target).Select(m => ConflictIssue(m, madeFrom, c, me)));
            return (mine with { Errors = [.. issues, .. mine.Errors] }, true, []);
        }

        var changedSince = ChangesSince.Changed(history, madeFrom);
        var leave = changedSince.Keys.Where(t => !submitted.Contains(t)).ToHashSet(StringComparer.Ordinal);
        var leftBy = changedSince.Where(c => leave.Contains(c.Key)).SelectMany(c => c.Value).OrderBy(e => e.Version)
            .Select(e => e.Actor.Subject).Distinct(StringComparer.Ordinal).ToImmutableArray();
        return (Reading(sheets, current, today, leave), true, leftBy);
    }

    /// <summary>A cell the file changes in a row changed since: who changed it, "you" (another tab, window or program) when every change was the caller's own.</summary>
    private static TemplateIssue ConflictIssue(TemplateChange change, long madeFrom, TargetConflict conflict, string? me)
    {
        const string AgainJa = "何も反映していません。変更履歴で最新の内容を確認し、この行を入力し直してください（他の行はそのままで構いません）。";
        const string AgainEn = "Nothing was applied. Check the latest data in the history and enter this row again (the other rows can stay as they are).";
        if (me is not null && conflict.Actors.All(a => a == me))
        {
            return new(change.Cell, ConflictCode,
                $"{change.Cell}: {change.LabelJa} — この行は、このファイルの版{madeFrom}の後に、あなたが別の画面（タブやウィンドウ）やプログラムで更新しました（版{conflict.LastVersion}）。{AgainJa}",
                $"{change.Cell}: {change.LabelEn} — this row was changed after version {madeFrom} of this file by you, in another tab, window or program (version {conflict.LastVersion}). {AgainEn}");
        }

        var whoJa = string.Join("、", conflict.Actors.Select(a => a == me ? "あなた（別の画面やプログラム）" : a));
        var whoEn = string.Join(", ", conflict.Actors.Select(a => a == me ? "you (in another tab, window or program)" : a));
        return new(change.Cell, ConflictCode,
            $"{change.Cell}: {change.LabelJa} — この行は、このファイルの版{madeFrom}の後に {whoJa} が更新しました（版{conflict.LastVersion}）。{AgainJa}",
            $"{change.Cell}: {change.LabelEn} — this row was changed after version {madeFrom} of this file by {whoEn} (version {conflict.LastVersion}). {AgainEn}");
    }

    /// <summary>
    /// What the cells say against <paramref name="current"/>, and an error naming every cell that cannot be read
    /// (<see cref="UnreadableCell"/>, e.g. "E7" or "セキュリティ!E8"): such a cell reads as blank to the template, but
    /// its change (a blank clears the stored value) is left out and the errors keep the file from being applied.
    /// </summary>
    public static TemplateReading Reading(IReadOnlyDictionary<string, IReadOnlyDictionary<string, object?>> sheets, MunicipalityRecord current, DateOnly today,
        IReadOnlySet<string>? leaveAsIs = null)
    {
        object? Cell(string sheet, string reference) =>
            sheets.TryGetValue(sheet, out var cells) && cells.TryGetValue(reference, out var value) && value is not UnreadableCell ? value : null;
        var reading = ReportingTemplate.Read([.. sheets.Keys], Cell, current, today, leaveAsIs);
        var unreadable = new List<TemplateIssue>();
        foreach (var (sheet, cells) in sheets)
        {
            foreach (var (reference, value) in cells)
            {
                if (value is UnreadableCell u)
                {
                    var at = sheet == ReportingTemplate.SystemsSheet ? reference.ToUpperInvariant() : $"{sheet}!{reference.ToUpperInvariant()}";
                    unreadable.Add(new(at, "unreadable_cell", $"{at}: セルの値を読み取れません（{u.ReasonJa}）。値を入力し直してください。",
                        $"{at}: the cell cannot be read ({u.ReasonEn}); enter its value again."));
                }
            }
        }

        if (unreadable.Count == 0)
        {
            return reading;
        }

        var cellsAt = unreadable.Select(u => u.Cell).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return reading with
        {
            Changes = [.. reading.Changes.Where(c => !cellsAt.Contains(c.Cell))],
            Errors = [.. unreadable, .. reading.Errors.Where(e => !cellsAt.Contains(e.Cell))],
        };
    }

    public static ProblemError Problem(TemplateIssue issue) => new(issue.Cell, issue.Code, issue.MessageJa, issue.MessageEn);
}
