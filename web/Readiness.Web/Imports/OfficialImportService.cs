using System.Collections.Immutable;
using System.Diagnostics;
using System.Security.Cryptography;
using Readiness.Catalog;
using Readiness.Grains;
using Readiness.Imports;
using Readiness.Rules;
using Readiness.Web.Api;

namespace Readiness.Web.Imports;

/// <summary>
/// Upload → dry-run preview → apply for the official releases (MIC's per-municipality tally, MIC's step detail, the
/// Digital Agency's designation list; .xlsx or CSV) (architecture.md, flow 3). The upload
/// is stored as an immutable dataset version keyed by the file's SHA-256 (the same file twice is the same dataset);
/// apply sends each matched municipality's figures through its grain (<see cref="IMunicipalityGrain.ApplyOfficialAsync"/>),
/// which audits them as the import and never overwrites a newer self-report.
/// </summary>
public sealed class OfficialImportService(IGrainFactory grains, MunicipalityRecords reads, TimeProvider time, ReconciliationNotifier reconciliation, Summaries.SummaryCache summaries, ILogger<OfficialImportService> logger)
{
    public const string MicSource = "総務省 PMOツール集計（市区町村別進捗）";

    /// <summary>How many municipalities are written at once while applying.</summary>
    private const int Parallelism = 64;

    public const string StepDetailSource = "総務省 PMOツール ステップ別進捗（市区町村別・業務別）";

    public const string DesignationSource = "デジタル庁 特定移行支援システムの該当見込み一覧";

    /// <summary>The kinds an upload may name (form field "kind"); none: recognised from the header.</summary>
    public static readonly IReadOnlyList<string> Kinds = [OfficialImportRecord.MicProgressKind, OfficialImportRecord.MicStepDetailKind, OfficialImportRecord.DesignationListKind];

    /// <summary>
    /// Checks, reads (.xlsx with ExcelDataReader, or CSV as Excel saves it), recognises the kind (or takes
    /// <paramref name="kind"/>), parses, previews and stores one upload; nothing is applied. A refusal names the field.
    /// </summary>
    public async Task<(OfficialImportRecord? Record, ProblemError? Error, ImportTimings Timings, bool Created)> UploadAsync(string fileName, byte[] bytes, Actor actor, string? kind = null)
    {
        var clock = Stopwatch.StartNew();
        if (kind is not null && !Kinds.Contains(kind))
        {
            return (null, new ProblemError("kind", "invalid_kind", $"取込みの種類「{Problems.Shown(kind)}」はありません（{string.Join("、", Kinds)}）。",
                $"'{Problems.Shown(kind)}' is not an import kind ({string.Join(", ", Kinds)})."), default, false);
        }

        // The same file again is the same dataset: answered before reading it again, once its name passes the checks
        // a new upload's name must pass (a macro-enabled name is refused whatever the bytes) and names its format.
        var csv = OfficialCsv.IsCsvName(fileName);
        if (!csv && OfficialWorkbook.CheckName(fileName) is { } badName)
        {
            return (null, badName, default, false);
        }

        var id = Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();
        var grain = grains.GetGrain<IOfficialImportGrain>(id);
        if (bytes.LongLength <= OfficialWorkbook.MaxFileBytes && await grain.GetAsync() is { } known
            && csv == (known.Format?.StartsWith("csv", StringComparison.Ordinal) ?? false))
        {
            return kind is null || known.Kind == kind
                ? (known, null, new ImportTimings(clock.ElapsedMilliseconds, 0, 0, 0), false)
                : (null, KindMismatch(kind, known.Kind, known.SheetName), default, false);
        }

        // Read and parse in one pass: rows stream from the reader into the parser (OfficialWorkbook.ReadSheets), only
        // the first rows of a sheet are buffered to recognise its kind.
        (string Kind, OfficialDataset? Dataset)? found = null;
        (string Kind, string Sheet)? otherKind = null;
        var sheetNames = new List<string>();
        string format;
        long checkMs = 0;
        try
        {
            if (csv)
            {
                if (bytes.LongLength > OfficialWorkbook.MaxFileBytes)
                {
                    return (null, OfficialWorkbook.Check(fileName, bytes), default, false);
                }

                var (sheet, encoding, csvError) = OfficialCsv.Read(fileName, bytes);
                if (sheet is null)
                {
                    return (null, csvError, default, false);
                }

                sheetNames.Add(sheet.Name);
                found = OfficialKinds.DetectAndParse(sheet, kind);
                if (found is { Dataset: null } other)
                {
                    otherKind ??= (other.Kind, sheet.Name);
                    found = null;
                }

                format = $"csv ({encoding})";
            }
            else
            {
                if (OfficialWorkbook.Check(fileName, bytes) is { } refused)
                {
                    return (null, refused, default, false);
                }

                checkMs = clock.ElapsedMilliseconds;
                var readError = OfficialWorkbook.ReadSheets(bytes, sheet =>
                {
                    sheetNames.Add(sheet.Name);
                    found = OfficialKinds.DetectAndParse(sheet, kind);
                    if (found is { Dataset: null } other)
                    {
                        // A table of another kind than asked: read on, for another sheet may hold the one asked for.
                        otherKind ??= (other.Kind, sheet.Name);
                        found = null;
                    }

                    return found is not null;
                });
                if (readError is not null)
                {
                    return (null, readError, default, false);
                }

                format = "xlsx";
            }
        }
        catch (ImportFormatException ex)
        {
            return (null, new ProblemError(ex.Field, ex.Code, ex.MessageJa, ex.Message), default, false);
        }

        if (found is not { Dataset: { } parsed })
        {
            if (otherKind is { } o)
            {
                return (null, KindMismatch(kind!, o.Kind, o.Sheet), default, false);
            }

            var names = string.Join("、", sheetNames);
            return (null, new ProblemError("sheet", "wrong_sheet",
                $"取り込める表のシートがありません（「令和8年1月_進捗状況」の名前か20業務の見出しの進捗シート（CSV はファイル名を 令和8年1月_進捗状況.csv に）、40ステップの見出し、または団体コード・自治体区分の見出し）。あるシート: {names}",
                $"No sheet holds an official table (a progress sheet named like 令和8年1月_進捗状況 or with a header of the 20 businesses (a CSV: name the file like 令和8年1月_進捗状況.csv), a header of 40 steps, or a header with 団体コード and 自治体区分). Sheets: {names}"), default, false);
        }

        // A cell of the sheet taken that ExcelDataReader read as blank or as another value refuses the file, naming it.
        if (!csv && OfficialWorkbook.CheckCells(bytes, parsed.SheetName) is { } unreadableCell)
        {
            return (null, unreadableCell, default, false);
        }

        var parseMs = clock.ElapsedMilliseconds;

        // A file that lists no municipality it could match says nothing: refused, for the designation list is complete
        // and applying it would take every designation away. A day after today in Japan is no as-of day of a release.
        if (parsed.ListedRows == 0)
        {
            var refused = parsed.Issues.Length;
            return (null, new ProblemError("file", "no_rows",
                $"取り込める行がありません（一致した団体 0、取り込まない行 {refused}）。行ごとの理由を確かめてください。" + FirstIssues(parsed, ja: true),
                $"No row could be taken (0 municipalities matched, {refused} row(s) not taken); check the reasons per row." + FirstIssues(parsed, ja: false)), default, false);
        }

        var today = ReadinessRules.TodayInJapan(time.GetUtcNow());
        if (parsed.AsOf > today)
        {
            return (null, new ProblemError("sheet", "future_as_of",
                $"データの時点 {parsed.AsOf:yyyy-MM-dd} が今日（{today:yyyy-MM-dd}）より後です。表題の時点（市区町村別進捗はシート名の年月）を確かめてください。",
                $"The as-of day {parsed.AsOf:yyyy-MM-dd} is after today ({today:yyyy-MM-dd}): check the date in the title (for MIC's tally, the month in the sheet's name)."), default, false);
        }

        var source = parsed.Kind switch
        {
            OfficialImportRecord.MicStepDetailKind => $"{StepDetailSource} {parsed.AsOf:yyyy-MM-dd}",
            OfficialImportRecord.DesignationListKind => $"{DesignationSource} {parsed.AsOf:yyyy-MM-dd}",
            _ => $"{MicSource} {parsed.AsOf:yyyy-MM}",
        };
        var dataset = new OfficialDatasetRef(id, source, parsed.AsOf, actor.Subject, time.GetUtcNow());
        var (preview, changes, unreadable, removals) = await PreviewAsync(parsed.Rows, parsed.Kind == OfficialImportRecord.DesignationListKind ? (parsed.PrefectureRows, parsed.RefusedPrefectures) : null, dataset, actor);
        var previewMs = clock.ElapsedMilliseconds;
        var record = new OfficialImportRecord
        {
            Id = id,
            Kind = parsed.Kind,
            Source = dataset.Source,
            AsOf = parsed.AsOf,
            FileName = Path.GetFileName(fileName),
            FileSize = bytes.LongLength,
            SheetName = parsed.SheetName,
            UploadedBy = actor.Subject,
            UploadedAt = dataset.ImportedAt,
            Rows = parsed.Rows,
            Issues = [.. parsed.Issues.Take(OfficialImportRecord.MaxIssuesKept).Select(i => new OfficialImportIssue(i.RowNumber, i.Prefecture, i.Municipality, i.Code, i.MessageJa, i.MessageEn))],
            IssueCount = parsed.Issues.Length,
            Warnings = [.. parsed.Warnings.Select(i => new OfficialImportIssue(i.RowNumber, i.Prefecture, i.Municipality, i.Code, i.MessageJa, i.MessageEn)),
                .. removals.Warning is { } w ? [new OfficialImportIssue(0, null, null, w.Code, w.MessageJa, w.MessageEn)] : Array.Empty<OfficialImportIssue>()],
            HiddenRows = parsed.HiddenRows,
            Preview = preview,
            PrefectureRows = parsed.PrefectureRows,
            RefusedPrefectures = parsed.RefusedPrefectures,
            Changes = changes,
            Unreadable = unreadable,
            Format = format,
        };
        var stored = await grain.StoreAsync(record);
        await grains.GetGrain<IOfficialImportIndexGrain>(IOfficialImportIndexGrain.Key).PutAsync(OfficialImportListing.From(stored));
        logger.LogInformation("Official import {Id} ({Kind}, {File}, as of {AsOf}) uploaded by {Subject}: {Rows} rows, {Issues} not matched",
            id, parsed.Kind, record.FileName, parsed.AsOf, actor.Subject, parsed.Rows.Length, record.UnmatchedRows);
        var timings = new ImportTimings(checkMs, parseMs - checkMs, previewMs - parseMs, clock.ElapsedMilliseconds - previewMs);
        logger.LogInformation("Official import {Id} timings: {Timings}", id, timings.ServerTiming);
        return (stored, null, timings, stored.UploadedAt == record.UploadedAt);
    }

    private static string FirstIssues(OfficialDataset parsed, bool ja) =>
        parsed.Issues.IsDefaultOrEmpty ? "" : (ja ? " 例: " : " E.g. ") + string.Join(ja ? "／" : "; ", parsed.Issues.Take(3).Select(i => ja ? i.MessageJa : i.MessageEn));

    /// <summary>The refusal of a file that holds an official table of another kind than the form field <c>kind</c> asks for.</summary>
    private static ProblemError KindMismatch(string asked, string found, string sheet) =>
        new("kind", "kind_mismatch",
            $"このファイル（シート「{sheet}」）は {KindNameJa(found)}（{found}）で、指定の {KindNameJa(asked)}（{asked}）ではありません。種類を選び直すか、自動判定にしてください。",
            $"This file (sheet '{sheet}') is a {found} table, not the {asked} asked for: choose its kind or let it be recognised.");

    private static string KindNameJa(string kind) => kind switch
    {
        OfficialImportRecord.MicProgressKind => "総務省 市区町村別進捗",
        OfficialImportRecord.MicStepDetailKind => "総務省 ステップ別進捗",
        OfficialImportRecord.DesignationListKind => "デジタル庁 特定移行支援システム該当見込み一覧",
        _ => kind,
    };

    /// <summary>
    /// Another dataset of the same kind and as-of day as <paramref name="record"/> (the newest applied one, else the
    /// newest uploaded): applying <paramref name="record"/> replaces its figures (an equal as-of day wins), so the preview
    /// warns of it and the apply records it (<see cref="OfficialImportResult.Replaced"/>); null when there is none. For an
    /// applied dataset, only the one its apply replaced (none when the apply took no effect).
    /// </summary>
    public async Task<OfficialImportListing?> SameDayAsync(OfficialImportRecord record) =>
        (await ListAsync()).Where(l => l.Id != record.Id && l.Kind == record.Kind && l.AsOf == record.AsOf && (record.Applied is null || (l.AppliedAt < record.Applied.AppliedAt && l.Id == record.Applied.Replaced)))
            .OrderByDescending(l => l.AppliedAt.HasValue).ThenByDescending(l => l.AppliedAt ?? l.UploadedAt).FirstOrDefault();

    /// <summary>Every dataset version uploaded, newest first.</summary>
    public async Task<IReadOnlyList<OfficialImportListing>> ListAsync() =>
        await grains.GetGrain<IOfficialImportIndexGrain>(IOfficialImportIndexGrain.Key).ListAsync();

    public async Task<OfficialImportRecord?> GetAsync(string id) =>
        IsId(id) ? await grains.GetGrain<IOfficialImportGrain>(id).GetAsync() : null;

    public static bool IsId(string id) => id.Length == 64 && id.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    /// <summary>
    /// Applies a stored dataset once; a second apply answers the first result and changes nothing, except that rows
    /// refused because their municipality's stored state could not be read are tried again (once restored, they are
    /// applied with the first apply's dataset reference and counted into its result). Either way the
    /// reconciliation differences of its municipalities are then told (<see cref="ReconciliationNotifier"/>): the API
    /// and the page apply through here, and the events' ids are stable, so a second apply (or one after a crash
    /// between applying and telling) adds only what was not told yet.
    /// </summary>
    public async Task<OfficialImportRecord?> ApplyAsync(string id, Actor actor, string? clientAddress = null) =>
        (await ApplyAsync(id, actor, clientAddress, removalsConfirmed: true)).Record;

    /// <summary>
    /// As <see cref="ApplyAsync(string, Actor, string?)"/>, except that a designation list whose removals need a
    /// confirmation (<see cref="DesignationRemovals.NeedsConfirmation"/>, compared now, not at upload) is not applied
    /// unless <paramref name="removalsConfirmed"/>: nothing changes and <c>Unconfirmed</c> says what it would take away.
    /// Record null: no such import.
    /// </summary>
    public async Task<(OfficialImportRecord? Record, DesignationRemovals? Unconfirmed)> ApplyAsync(string id, Actor actor, string? clientAddress, bool removalsConfirmed)
    {
        // One apply at a time: each compares with the figures held now and decides on that, so two at once each passed the
        // comparison against the figures before the other and together undesignated 80 % unasked, and three applies of
        // one list each recorded a third of what was changed (breaker, round 50). One web node's applies; several web
        // nodes would need the lock in a grain.
        await applyGate.WaitAsync();
        try
        {
            return await ApplyOneAsync(id, actor, clientAddress, removalsConfirmed);
        }
        finally
        {
            applyGate.Release();
        }
    }

    private readonly SemaphoreSlim applyGate = new(1, 1);

    private async Task<(OfficialImportRecord? Record, DesignationRemovals? Unconfirmed)> ApplyOneAsync(string id, Actor actor, string? clientAddress, bool removalsConfirmed)
    {
        var grain = grains.GetGrain<IOfficialImportGrain>(id);
        if (!IsId(id) || await grain.GetAsync() is not { } record)
        {
            return (null, null);
        }

        if (record.Applied is { } done)
        {
            if (!done.Unreadable.IsDefaultOrEmpty)
            {
                record = await ApplyRefusedAgainAsync(grain, record, done, actor, clientAddress);
            }

            await NotifyReconciliationAsync(record, actor);
            return (record, null);
        }

        // One instant for the dataset's ref in every record and the import's result: the same "when" everywhere.
        var replaced = await SameDayAsync(record) is { AppliedAt: not null } same ? same : null;
        var appliedAt = time.GetUtcNow();
        var dataset = new OfficialDatasetRef(record.Id, record.Source, record.AsOf, actor.Subject, appliedAt);
        // The systems it changes, compared now with the same rule the grains apply: the upload's preview may be stale (a
        // newer dataset applied since, or the municipalities' own reports), and the result must say what this apply did.
        var (now, compared, _, removals) = await PreviewAsync(record.Rows, record.Kind == OfficialImportRecord.DesignationListKind ? (record.PrefectureRows, record.RefusedPrefectures) : null, dataset, actor);
        if (removals.NeedsConfirmation && !removalsConfirmed)
        {
            logger.LogInformation("Official import {Id} not applied for {Subject}, not confirmed: the designation list would take away {Systems} of {SystemsNow} municipal designations ({Municipalities} municipalities losing all) and {Own} of {OwnNow} of the prefectures' own, naming {Listed} of {DesignatedNow} municipalities designated now",
                id, actor.Subject, removals.SystemsLosing, removals.SystemsDesignatedNow, removals.MunicipalitiesLosingAll, removals.PrefectureSystemsLosing, removals.PrefectureSystemsDesignatedNow, removals.Listed, removals.DesignatedNow);
            return (record, removals);
        }

        var (changedMunicipalities, older, confirmed, refused, appliedCodes) = await ApplyRowsAsync(record.Rows, dataset, actor, clientAddress);
        var (prefecturesChanged, prefecturesConfirmed) = record.Kind == OfficialImportRecord.DesignationListKind ? await ApplyPrefectureRowsAsync(record, dataset, actor, clientAddress) : (0, 0);
        var tookEffect = changedMunicipalities + confirmed + prefecturesChanged + prefecturesConfirmed > 0;
        // Only the municipalities whose grain applied the row count, with the systems compared for them: a report that
        // reached a grain between the comparison and the apply leaves that row out rather than counted as changed.
        var changes = Changed(compared, appliedCodes);
        var counts = now with
        {
            SystemsChanged = changes.Sum(c => c.SystemsChanged),
            MunicipalitiesChanged = changedMunicipalities, MunicipalitiesOlder = older, MunicipalitiesConfirmed = confirmed, MunicipalitiesUnreadable = refused.Length,
            PrefecturesChanged = prefecturesChanged,
        };
        // It replaced a same-day dataset only where it took effect (changed or confirmed a municipality's figures).
        var applied = await grain.MarkAppliedAsync(new OfficialImportResult(counts, actor.Subject, appliedAt)
        {
            Unreadable = refused, Replaced = tookEffect ? replaced?.Id : null, Changes = changes,
        });
        await grains.GetGrain<IOfficialImportIndexGrain>(IOfficialImportIndexGrain.Key).PutAsync(OfficialImportListing.From(applied));
        await MarkReplacedAsync(applied);
        summaries.OfficialSourcesChanged();
        logger.LogInformation("Official import {Id} applied by {Subject}: {Changed} municipalities changed, {Older} held newer official data, {Prefectures} prefectures' own systems changed; replaced {Replaced}",
            id, actor.Subject, changedMunicipalities, older, prefecturesChanged, applied.Applied?.Replaced ?? "none");
        await NotifyReconciliationAsync(applied, actor);
        return (applied, null);
    }

    /// <summary>
    /// Applies <paramref name="rows"/> through their grains, at most <see cref="Parallelism"/> at once. A row whose
    /// municipality's stored state cannot be read is refused with its reason (<see cref="UnreadableIssue"/>, one warning
    /// naming them all); every other row is applied, and any other failure fails the apply as before.
    /// </summary>
    private async Task<(int Changed, int Older, int Confirmed, ImmutableArray<OfficialImportIssue> Refused, HashSet<string> Applied)> ApplyRowsAsync(
        IReadOnlyList<OfficialImportRow> rows, OfficialDatasetRef dataset, Actor actor, string? clientAddress)
    {
        using var gate = new SemaphoreSlim(Parallelism);
        var outcomes = await Task.WhenAll(rows.Select(async row =>
        {
            await gate.WaitAsync();
            try
            {
                return await grains.GetGrain<IMunicipalityGrain>(row.MunicipalityCode).ApplyOfficialAsync(row.ToUpdate(dataset, actor, clientAddress));
            }
            catch (Exception ex) when (ex is not OperationCanceledException && UnreadableStateException.Find(ex) is not null)
            {
                return (OfficialOutcome?)null;
            }
            finally
            {
                gate.Release();
            }
        }));
        var refused = rows.Zip(outcomes).Where(x => x.Second is null).Select(x => UnreadableIssue(x.First, applying: true)).ToImmutableArray();
        if (refused.Length > 0)
        {
            logger.LogWarning("Official import {Id}: {Count} rows not applied, their municipality's stored state cannot be read (restore it from a backup and apply again): {Codes}",
                dataset.DatasetId, refused.Length, string.Join(",", refused.Select(r => r.Code)));
        }

        var applied = rows.Zip(outcomes).Where(x => x.Second == OfficialOutcome.Applied).Select(x => x.First.MunicipalityCode).ToHashSet(StringComparer.Ordinal);
        return (applied.Count, outcomes.Count(o => o == OfficialOutcome.Older), outcomes.Count(o => o == OfficialOutcome.Confirmed), refused, applied);
    }

    /// <summary>The compared changes of the municipalities whose grain applied the row (<paramref name="applied"/>).</summary>
    private static ImmutableArray<OfficialImportChange> Changed(ImmutableArray<OfficialImportChange> compared, HashSet<string> applied) =>
        [.. compared.Where(c => applied.Contains(c.MunicipalityCode))];

    /// <summary>
    /// The rows an apply refused as unreadable, tried again with the first apply's dataset reference (the same "when" in
    /// every record); those applied now are counted into the result, those still unreadable stay listed.
    /// </summary>
    private async Task<OfficialImportRecord> ApplyRefusedAgainAsync(IOfficialImportGrain grain, OfficialImportRecord record, OfficialImportResult done, Actor actor, string? clientAddress)
    {
        var codes = done.Unreadable.Select(u => u.Code).ToHashSet(StringComparer.Ordinal);
        var rows = record.Rows.Where(r => codes.Contains(r.MunicipalityCode)).ToList();
        var dataset = new OfficialDatasetRef(record.Id, record.Source, record.AsOf, done.AppliedBy, done.AppliedAt);
        // The systems these rows change, counted as the first apply's preview counted the others' (which could not
        // compare these), from their records before they are applied.
        var (compared, comparedChanges, _, _) = await PreviewAsync([.. rows], null, dataset, actor);
        var (changed, older, confirmed, refused, appliedCodes) = await ApplyRowsAsync(rows, dataset, actor, clientAddress);
        if (refused.Length == done.Unreadable.Length)
        {
            return record; // none could be read yet
        }

        // What these rows changed, added to what the first apply changed (its list and counts are the apply's answer).
        var changes = Changed(comparedChanges, appliedCodes);
        var counts = done.Counts with
        {
            SystemsChanged = done.Counts.SystemsChanged + changes.Sum(c => c.SystemsChanged),
            SystemsKeptSelfReported = done.Counts.SystemsKeptSelfReported + compared.SystemsKeptSelfReported,
            MunicipalitiesChanged = done.Counts.MunicipalitiesChanged + changed,
            MunicipalitiesOlder = done.Counts.MunicipalitiesOlder + older,
            MunicipalitiesConfirmed = done.Counts.MunicipalitiesConfirmed + confirmed,
            MunicipalitiesUnreadable = refused.Length,
        };
        // A first apply that took no effect replaced no same-day dataset; once these rows take effect, it does.
        var replaced = done.Replaced;
        if (replaced is null && changed + confirmed > 0
            && await SameDayAsync(record with { Applied = null }) is { AppliedAt: { } at } same && at < done.AppliedAt)
        {
            replaced = same.Id;
        }

        var applied = await grain.MarkAppliedAsync(done with
        {
            Counts = counts, Unreadable = refused, Replaced = replaced, Changes = [.. done.Changes.IsDefault ? [] : done.Changes, .. changes],
        });
        await grains.GetGrain<IOfficialImportIndexGrain>(IOfficialImportIndexGrain.Key).PutAsync(OfficialImportListing.From(applied));
        await MarkReplacedAsync(applied);
        summaries.OfficialSourcesChanged();
        logger.LogInformation("Official import {Id}: {Applied} rows refused as unreadable were applied by {Subject} once readable; {Still} still cannot be read",
            record.Id, done.Unreadable.Length - refused.Length, actor.Subject, refused.Length);
        return applied;
    }

    /// <summary>
    /// Marks the same-day dataset <paramref name="applied"/> replaced (<see cref="OfficialImportResult.Replaced"/>) as
    /// replaced by it, in the municipalities both listed (their rows applied, not refused as unreadable): replaced in
    /// every municipality it listed, it is no source any more (its sourced count falls to 0, <see cref="OfficialSources"/>);
    /// a replacement listing only some of them (one prefecture's file) leaves it the source of the others, with their
    /// count. Municipalities the old one listed but did not source (they held newer data) can make that count too high,
    /// never too low: a dataset still in effect somewhere stays named.
    /// </summary>
    private async Task MarkReplacedAsync(OfficialImportRecord applied)
    {
        if (applied.Applied is not { Replaced: { } replacedId } result
            || await grains.GetGrain<IOfficialImportGrain>(replacedId).GetAsync() is not { Applied: { } old } replaced)
        {
            return;
        }

        var listedNow = Listed(applied.Rows, result.Unreadable);
        var notTaken = Listed(replaced.Rows, old.Unreadable).Count(code => !listedNow.Contains(code));
        var sourced = old.Counts.MunicipalitiesChanged + old.Counts.MunicipalitiesConfirmed;
        var takenOver = sourced - Math.Min(sourced, notTaken);
        if (await grains.GetGrain<IOfficialImportGrain>(replacedId).MarkReplacedAsync(applied.Id, takenOver) is { } marked)
        {
            await grains.GetGrain<IOfficialImportIndexGrain>(IOfficialImportIndexGrain.Key).PutAsync(OfficialImportListing.From(marked));
        }

        logger.LogInformation("Official import {Id} replaced {Replaced} in {TakenOver} of the {Sourced} municipalities it sourced", applied.Id, replacedId, takenOver, sourced);
    }

    /// <summary>The municipalities whose rows an apply took (listed, not refused as unreadable).</summary>
    private static HashSet<string> Listed(ImmutableArray<OfficialImportRow> rows, ImmutableArray<OfficialImportIssue> unreadable)
    {
        var refused = unreadable.IsDefaultOrEmpty ? [] : unreadable.Select(u => u.Code).ToHashSet(StringComparer.Ordinal);
        return rows.Select(r => r.MunicipalityCode).Where(c => !refused.Contains(c)).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The import stands whatever happens to its notifications (never a 5xx for an applied import); applying again tells what is missing.</summary>
    private async Task NotifyReconciliationAsync(OfficialImportRecord record, Actor actor)
    {
        try
        {
            await reconciliation.NotifyAsync(record.Id, record.Rows.Select(r => r.MunicipalityCode).Distinct(StringComparer.Ordinal), actor.Subject);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Official import {Id}: its reconciliation differences could not be told now; applying it again tells them (same ids)", record.Id);
        }
    }

    /// <summary>
    /// The designation list's prefecture rows, through each prefecture-run grain: the list is complete, so a prefecture
    /// without a row has no listed system. Marks other than the prefecture-run businesses (and 共通機能) are not applied.
    /// Returns how many prefectures' own systems changed, and how many were confirmed (only their source moved).
    /// </summary>
    private async Task<(int Changed, int Confirmed)> ApplyPrefectureRowsAsync(OfficialImportRecord record, OfficialDatasetRef dataset, Actor actor, string? clientAddress)
    {
        var rows = PrefectureListings(record.PrefectureRows);
        var outcomes = await Task.WhenAll(Imported(record.RefusedPrefectures).Select(p =>
            grains.GetGrain<IPrefectureRunGrain>(p.Code).ApplyListingAsync(new PrefectureRunListing(dataset, Listed(rows, p.Code), actor) { ClientAddress = clientAddress })));
        return (outcomes.Count(o => o == OfficialOutcome.Applied), outcomes.Count(o => o == OfficialOutcome.Confirmed));
    }

    /// <summary>The prefectures whose own systems the list speaks for: all but those whose row was refused.</summary>
    private static IEnumerable<PrefectureInfo> Imported(ImmutableArray<string> refused) =>
        ReadinessCatalog.Instance.Prefectures.Where(p => refused.IsDefault || !refused.Contains(p.Code));

    private static ILookup<string, OfficialPrefectureRow> PrefectureListings(ImmutableArray<OfficialPrefectureRow> rows) =>
        (rows.IsDefault ? [] : rows).ToLookup(r => r.PrefectureCode, StringComparer.Ordinal);

    /// <summary>A prefecture's own systems its rows mark (none without a row: the list is complete).</summary>
    private static ImmutableArray<string> Listed(ILookup<string, OfficialPrefectureRow> rows, string prefectureCode) =>
        rows[prefectureCode].SelectMany(r => r.DesignatedBusinesses).Where(ReadinessCatalog.IsPrefectureRun).Distinct(StringComparer.Ordinal).ToImmutableArray();

    /// <summary>
    /// The row refused (at apply) or not compared (in the dry run) because its municipality's stored state cannot be
    /// read, with the reason in Japanese and English.
    /// </summary>
    public static OfficialImportIssue UnreadableIssue(OfficialImportRow row, bool applying)
    {
        var catalog = ReadinessCatalog.Instance;
        var m = catalog.MunicipalitiesByCode.GetValueOrDefault(row.MunicipalityCode);
        var state = $"municipality/{row.MunicipalityCode}/municipality";
        return new OfficialImportIssue(row.RowNumber, m is null ? null : catalog.PrefecturesByCode[m.PrefectureCode].Name, m?.Name, row.MunicipalityCode,
            applying
                ? $"この団体の保存データ（{state}）を読み取れないため、この行は適用していません。バックアップから復元してから、もう一度適用してください。"
                : $"この団体の保存データ（{state}）を読み取れないため、この行は比較していません。復元しないまま適用すると、この行は適用されません。",
            applying
                ? $"Not applied: this municipality's stored data ({state}) cannot be read. Restore it from a backup, then apply again."
                : $"Not compared: this municipality's stored data ({state}) cannot be read; unless it is restored first, applying leaves this row out.");
    }

    /// <summary>
    /// The dry run: what applying would change, from the same pure rules the grains apply, and the rows whose
    /// municipality cannot be read. <paramref name="prefectureRows"/>: a designation list's prefecture rows and the
    /// prefectures whose row was refused (its removals count the prefectures' own systems too); null for the other kinds.
    /// </summary>
    private async Task<(OfficialImportCounts Counts, ImmutableArray<OfficialImportChange> Changes, ImmutableArray<OfficialImportIssue> Unreadable, DesignationRemovals Removals)> PreviewAsync(
        ImmutableArray<OfficialImportRow> rows, (ImmutableArray<OfficialPrefectureRow> Rows, ImmutableArray<string> Refused)? prefectureRows, OfficialDatasetRef dataset, Actor actor)
    {
        var now = time.GetUtcNow();
        var read = await reads.ReadAsync(MunicipalityRecords.Of(rows.Select(r => r.MunicipalityCode)), CancellationToken.None);
        var records = read.Readable.ToDictionary(x => x.Municipality.Code, x => x.Value, StringComparer.Ordinal);
        int changed = 0, systems = 0, kept = 0, older = 0, confirmed = 0;
        // A designation list's rows: every municipality, those it does not name with row number 0 (the list is complete).
        int designatedNow = 0, listed = 0, losingAll = 0, systemsNow = 0, systemsLosing = 0;
        var changes = ImmutableArray.CreateBuilder<OfficialImportChange>();
        var unreadable = ImmutableArray.CreateBuilder<OfficialImportIssue>();
        for (var i = 0; i < rows.Length; i++)
        {
            if (!records.TryGetValue(rows[i].MunicipalityCode, out var current))
            {
                unreadable.Add(UnreadableIssue(rows[i], applying: false));
                continue;
            }

            var update = rows[i].ToUpdate(dataset, actor);
            var (outcome, next, entries) = OfficialRules.Apply(current, update, now);
            if (!rows[i].Designated.IsDefaultOrEmpty)
            {
                // Every designation lost counts, in a row the file has (its marks) or not: a list whose marks were lost
                // names everyone and undesignates everyone.
                var designated = current.Systems.Count(s => s.Designated);
                designatedNow += designated > 0 ? 1 : 0;
                systemsNow += designated;
                listed += rows[i].RowNumber > 0 ? 1 : 0;
                if (designated > 0 && outcome == OfficialOutcome.Applied)
                {
                    systemsLosing += current.Systems.Zip(next.Systems).Count(p => p.First.Designated && !p.Second.Designated);
                    losingAll += next.Systems.Any(s => s.Designated) ? 0 : 1;
                }
            }

            // Systems changed: the entries on systems (a dataset that only confirms the figures has one entry on its source).
            var systemEntries = entries.Count(e => e.Target.StartsWith("system:", StringComparison.Ordinal));
            if (outcome != OfficialOutcome.Older)
            {
                // Systems the municipality reported itself on or after the as-of day where the dataset says something else.
                kept += OfficialRules.KeptSelfReported(current, update);
            }

            if (outcome == OfficialOutcome.Applied)
            {
                var phases = next.Systems.Zip(current.Systems).Count(p => p.First.Phase != p.Second.Phase || p.First.NotApplicable != p.Second.NotApplicable);
                var designations = next.Systems.Zip(current.Systems).Count(p => p.First.Designated != p.Second.Designated);
                {
                    changes.Add(new OfficialImportChange(rows[i].MunicipalityCode, systemEntries, phases, designations));
                }
            }

            changed += outcome == OfficialOutcome.Applied ? 1 : 0;
            older += outcome == OfficialOutcome.Older ? 1 : 0;
            confirmed += outcome == OfficialOutcome.Confirmed ? 1 : 0;
            systems += systemEntries;
        }

        var (removals, prefecturesChanged) = prefectureRows is { } own
            ? await PrefectureRemovalsAsync(designatedNow, listed, systemsNow, systemsLosing, losingAll, own.Rows, own.Refused, dataset, actor, now)
            : (DesignationRemovals.None, 0);
        return (new OfficialImportCounts(rows.Length, changed, systems, kept, older) { MunicipalitiesConfirmed = confirmed, MunicipalitiesUnreadable = unreadable.Count, PrefecturesChanged = prefecturesChanged },
            changes.ToImmutable(), unreadable.ToImmutable(), removals);
    }

    /// <summary>The removals with the prefectures' own systems compared too, by the rule their grains apply, and how many prefectures' own systems change.</summary>
    private async Task<(DesignationRemovals Removals, int PrefecturesChanged)> PrefectureRemovalsAsync(int designatedNow, int listed, int systemsNow, int systemsLosing, int losingAll,
        ImmutableArray<OfficialPrefectureRow> prefectureRows, ImmutableArray<string> refused, OfficialDatasetRef dataset, Actor actor, DateTimeOffset now)
    {
        var rows = PrefectureListings(prefectureRows);
        // A prefecture whose row was refused keeps what it has: not counted as held or lost by this list.
        var records = await Task.WhenAll(Imported(refused).Select(p => grains.GetGrain<IPrefectureRunGrain>(p.Code).GetAsync()));
        int held = 0, losing = 0, prefecturesLosingAll = 0, changed = 0;
        foreach (var current in records)
        {
            var designated = current.Systems.Count(s => s.Designated);
            held += designated;
            var (outcome, next, _) = PrefectureRunRules.ApplyDesignationList(current, dataset, Listed(rows, current.PrefectureCode), actor, now);
            changed += outcome == OfficialOutcome.Applied && !next.Systems.SequenceEqual(current.Systems) ? 1 : 0;
            if (designated > 0 && outcome == OfficialOutcome.Applied)
            {
                losing += current.Systems.Zip(next.Systems).Count(p => p.First.Designated && !p.Second.Designated);
                prefecturesLosingAll += next.Systems.Any(s => s.Designated) ? 0 : 1;
            }
        }

        return (new DesignationRemovals(designatedNow, listed, systemsNow, systemsLosing, losingAll, held, losing, prefecturesLosingAll), changed);
    }
}

/// <summary>
/// Milliseconds an upload spent: checking the file (size, zip entries), reading and parsing it (one pass: ExcelDataReader
/// or CSV rows streamed into the parser, matching included), the dry-run preview over the grains, storing the dataset
/// version. Answered as a Server-Timing header (W3C Server Timing) so a benchmark can print where the time goes.
/// </summary>
public readonly record struct ImportTimings(long CheckMs, long ParseMs, long PreviewMs, long StoreMs)
{
    /// <summary>The Server-Timing header value: check;dur=…, parse;dur=…, preview;dur=…, store;dur=….</summary>
    public string ServerTiming => $"check;dur={CheckMs}, parse;dur={ParseMs}, preview;dur={PreviewMs}, store;dur={StoreMs}";
}
