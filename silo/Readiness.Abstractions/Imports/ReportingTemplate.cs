using System.Collections.Immutable;
using System.Globalization;
using Readiness.Catalog;
using Readiness.Rules;

namespace Readiness.Imports;

/// <summary>One change an uploaded template makes: the cell, the target ("system:juki" / "security:org-01"), the field's wire name and label, both values (wire form and Japanese display).</summary>
public sealed record TemplateChange(string Cell, string Target, string Field, string LabelJa, string LabelEn, string? Before, string? After, string? BeforeJa, string? AfterJa);

/// <summary>One error of an uploaded template, naming its cell: MessageJa is 「D7: 本番稼働予定日が日付ではありません。」.</summary>
public sealed record TemplateIssue(string Cell, string Code, string MessageJa, string MessageEn);

/// <summary>
/// What an uploaded template says: the municipality code and version (ETag) it was made from, every change against the
/// current record, every error, and the change request's parts: every row the file covers and reads without error
/// (every member given), the rows that change nothing too, so that applying it reports them as a full report with the
/// same content does (a file that changes nothing records a confirmation of every row, <c>確認済み</c>).
/// <see cref="LeftAsIs"/>: the targets ("system:juki", "security:org-01") of the file's rows it does not report, left as
/// they are now because they were changed after the file's version (read on top: <see cref="ReportingTemplate.Read"/>'s leaveAsIs),
/// so that a preview counts the file's own rows and names these (a breaker's finding: 「このファイルの65行」 for a 67-row file).
/// Their cells are read and checked all the same: an unreadable value there is an error naming its cell.
/// <see cref="FileRows"/>: every row the file has (an id in column A, on either sheet), those with errors too.
/// </summary>
public sealed record TemplateReading(
    string? Code,
    long? Version,
    ImmutableArray<TemplateChange> Changes,
    ImmutableArray<TemplateIssue> Errors,
    ImmutableArray<SystemChange> Systems,
    ImmutableArray<SecurityChange> Security,
    ImmutableArray<string> LeftAsIs,
    int FileRows = 0);

/// <summary>
/// The municipality's Excel reporting template (issue 11, item 6): its layout, its vocabulary (the drop-down lists) and
/// the reading of a filled-in copy against the current record. Pure: the web host writes and opens the .xlsx
/// (web/Readiness.Web/Imports/ReportingWorkbook.cs) and gives this class the cells.
/// Layout: sheet 業務システム — B2 団体コード, B3 版 (the ETag the file was made from), header in row 5 (Japanese with the
/// English under it: <see cref="HeaderText"/>), one business per
/// row from row 6 (column A the business id); sheet セキュリティ — the same B2/B3, header row 5, one checklist item per
/// row from row 6 (column A the item id); sheet 選択肢 (hidden) — the lists the drop-downs use.
/// Values are the dashboard's Japanese labels (the same words as the UI; the CSV's *_ja columns); the API's wire names
/// (in_production, government_cloud, …) and the English labels are accepted too.
/// </summary>
public static class ReportingTemplate
{
    public const string SystemsSheet = "業務システム";
    public const string SecuritySheet = "セキュリティ";
    public const string ListsSheet = "選択肢";
    public const string CodeCell = "B2";
    public const string VersionCell = "B3";
    public const int HeaderRow = 5;

    /// <summary>
    /// A column's header cell as the template writes it: the Japanese, and under it (a line break in the same cell) the
    /// English. The header is never read, so a template downloaded when it was Japanese only is read the same.
    /// </summary>
    public static string HeaderText(string ja, string en) => $"{ja}\n{en}";
    public const int FirstRow = 6;

    /// <summary>A system row's columns: letter, wire name (null: read-only), header ja, header en (a field's header is its <see cref="Vocabulary"/> term in full).</summary>
    public static readonly ImmutableArray<(string Column, string? Field, string HeaderJa, string HeaderEn)> SystemColumns =
    [
        ("A", null, "業務ID", "Business id"),
        ("B", null, "業務", "Business"),
        ("C", "phase", Vocabulary.Phase.Ja, Vocabulary.Phase.En),
        ("D", "plannedGoLive", Vocabulary.PlannedGoLive.Ja, Vocabulary.PlannedGoLive.En),
        ("E", "vendor", Vocabulary.Vendor.Ja, Vocabulary.Vendor.En),
        ("F", "hosting", Vocabulary.Hosting.Ja, Vocabulary.Hosting.En),
        ("G", "notApplicable", Vocabulary.NotApplicable.Ja, Vocabulary.NotApplicable.En),
        ("H", "designated", Vocabulary.Designated.Ja, Vocabulary.Designated.En),
        ("I", "designationReason", Vocabulary.DesignationReason.Ja, Vocabulary.DesignationReason.En),
        ("J", "designationTarget", Vocabulary.DesignationTarget.Ja, Vocabulary.DesignationTarget.En),
        ("K", "regressionReason", Vocabulary.RegressionReason.Ja, Vocabulary.RegressionReason.En),
        ("L", "designationReasonNote", Vocabulary.DesignationReasonNote.Ja, Vocabulary.DesignationReasonNote.En),
    ];

    /// <summary>
    /// Members of <see cref="SystemChange.Members"/> the template has no column for, each with its rule in
    /// <c>ReadSystems</c>: cloudProvider is kept while the hosting stays the Government Cloud and cleared with it. A member
    /// in neither list would be sent as blank by every apply (a test checks).
    /// </summary>
    public static readonly ImmutableArray<string> SystemMembersWithoutColumn = ["cloudProvider"];

    /// <summary>A checklist row's columns.</summary>
    public static readonly ImmutableArray<(string Column, string? Field, string HeaderJa, string HeaderEn)> SecurityColumns =
    [
        ("A", null, "項目ID", "Item id"),
        ("B", null, "章", "Chapter"),
        ("C", null, "項目", "Item"),
        ("D", "status", Vocabulary.SecurityStatus.Ja, Vocabulary.SecurityStatus.En),
        ("E", "evidence", Vocabulary.Evidence.Ja, Vocabulary.Evidence.En),
        ("F", "lastReviewed", Vocabulary.LastReviewed.Ja, Vocabulary.LastReviewed.En),
    ];

    /// <summary>Yes/no cells: the two words of the drop-down.</summary>
    public static readonly ImmutableArray<string> Flags = ["はい", "いいえ"];

    /// <summary>The phase labels (catalog order: migration_phases.csv name_ja).</summary>
    public static ImmutableArray<string> PhaseLabels { get; } = [.. ReadinessCatalog.Instance.Phases.Select(p => p.NameJa)];

    /// <summary>Hosting: wire name, label ja, label en (the dashboard's words).</summary>
    public static readonly ImmutableArray<(HostingKind Value, string Ja, string En)> Hostings =
    [
        (HostingKind.GovernmentCloud, "ガバメントクラウド", "Government Cloud"),
        (HostingKind.OtherCloud, "その他のクラウド", "Other cloud"),
        (HostingKind.OnPremises, "オンプレミス", "On premises"),
    ];

    /// <summary>Designation reasons (the dashboard's words).</summary>
    public static readonly ImmutableArray<(DesignationReason Value, string Ja, string En)> Reasons =
    [
        (DesignationReason.Mainframe, "メインフレーム", "Mainframe"),
        (DesignationReason.CustomBuilt, "個別開発システム", "Custom-built system"),
        (DesignationReason.NoStandardProduct, "標準準拠製品なし", "No standard product"),
        (DesignationReason.VendorCapacity, "事業者の対応困難", "Vendor capacity"),
        (DesignationReason.Other, "その他", "Other"),
    ];

    /// <summary>Checklist statuses (the dashboard's words).</summary>
    public static readonly ImmutableArray<(SecurityStatus Value, string Ja, string En)> Statuses =
    [
        (SecurityStatus.NotAssessed, "未評価（未報告）", "Not assessed (not yet reported)"),
        (SecurityStatus.NotImplemented, "未実施", "Not implemented"),
        (SecurityStatus.Partial, "一部実施", "Partly implemented"),
        (SecurityStatus.Implemented, "実施済み", "Implemented"),
        (SecurityStatus.NotApplicable, "対象外", "Not applicable"),
    ];

    public static string PhaseLabel(MigrationPhase phase) => ReadinessCatalog.Instance.Phases[(int)phase].NameJa;

    public static string HostingLabel(HostingKind? h) => h is { } v ? Hostings.First(x => x.Value == v).Ja : string.Empty;

    public static string ReasonLabel(DesignationReason? r) => r is { } v ? Reasons.First(x => x.Value == v).Ja : string.Empty;

    public static string StatusLabel(SecurityStatus s) => Statuses.First(x => x.Value == s).Ja;

    public static string FlagLabel(bool value) => value ? Flags[0] : Flags[1];

    /// <summary>
    /// What a date cell takes, appended to its refusal: a day, in the forms the template reads (a month or a fiscal year
    /// alone, 令和9年3月 or 令和9年度末, names no day and is refused).
    /// </summary>
    public const string DateHintJa = "年月日で入力してください（例: 2027-03-31、2027/3/31、令和9年3月31日）。月や年度だけ（令和9年3月、令和9年度末）は読めません。";

    /// <summary>The English of <see cref="DateHintJa"/>.</summary>
    public const string DateHintEn = "Enter a day (e.g. 2027-03-31, 2027/3/31, 令和9年3月31日); a month or a fiscal year alone cannot be read.";

    /// <summary>A cell's value as a refusal quotes it: its text, at most 40 characters.</summary>
    private static string Shown(object? value) => CellValues.Text(value) is { } text ? (text.Length > 40 ? text[..40] + "…" : text) : string.Empty;

    /// <summary>
    /// Reads a filled-in template. <paramref name="cell"/> gives a cell's value (string, double, bool, DateTime or null)
    /// by sheet and reference, <paramref name="sheets"/> the sheet names. Checks: both sheets present; B2 is
    /// <paramref name="current"/>'s code (wrong_municipality, then the only error: nothing else of another municipality's file is read); B3 a version (invalid_version) equal to the current one
    /// (stale_version: the file was made from an older state); every cell's value; then the product's own rules
    /// (<see cref="ChangeRules.Validate"/>), each error mapped to its cell.
    /// <paramref name="leaveAsIs"/>: for a file made from an older version that applies on top of the current one
    /// (<see cref="ChangesSince"/>), the targets others changed since and the file does not: their rows are read as
    /// no change (they hold the older values), and B3 is not stale. Their cells are still checked (an invalid value
    /// there is an error, never dropped); only the product's rules, which compare against the current record, are not
    /// applied to them. Null: B3 must be the current version.
    /// </summary>
    public static TemplateReading Read(IReadOnlyCollection<string> sheets, Func<string, string, object?> cell, MunicipalityRecord current, DateOnly today,
        IReadOnlySet<string>? leaveAsIs = null)
    {
        var errors = ImmutableArray.CreateBuilder<TemplateIssue>();
        var changes = ImmutableArray.CreateBuilder<TemplateChange>();
        void Error(string at, string code, string ja, string en) => errors.Add(new(at, code, $"{at}: {ja}", $"{at}: {en}"));

        foreach (var required in new[] { SystemsSheet, SecuritySheet })
        {
            if (!sheets.Contains(required))
            {
                Error(required, "wrong_sheet", $"シート「{required}」がありません。ダウンロードしたテンプレートに記入してください。",
                    $"The sheet '{required}' is missing: fill in the downloaded template.");
            }
        }

        if (errors.Count > 0)
        {
            return new(null, null, [], errors.ToImmutable(), [], [], []);
        }

        var code = CellValues.Code(cell(SystemsSheet, CodeCell));
        if (code != current.Code)
        {
            Error(CodeCell, "wrong_municipality",
                $"団体コード「{CellValues.Text(cell(SystemsSheet, CodeCell))}」はこの団体（{current.Code}）のものではありません。",
                $"The municipality code '{CellValues.Text(cell(SystemsSheet, CodeCell))}' is not this municipality's ({current.Code}).");

            // Another municipality's file: its version and rows say nothing about this one (a breaker's finding: they
            // were read as 28 errors, a "stale" version and a 412). The one fault is the answer.
            return new(code, null, [], errors.ToImmutable(), [], [], []);
        }

        var version = CellValues.WholeNumber(cell(SystemsSheet, VersionCell));
        if (version is null || version < 0)
        {
            Error(VersionCell, "invalid_version", "版（ETag）が読めません。ダウンロードしたままの値にしてください。", "The version (ETag) cannot be read: leave it as downloaded.");
        }
        else if (version != current.Version && (leaveAsIs is null || version > current.Version))
        {
            Error(VersionCell, "stale_version",
                $"このファイルは版{version}から作られましたが、現在は版{current.Version}です。最新のテンプレートをダウンロードして記入し直してください。",
                $"This file was made from version {version}, the current version is {current.Version}: download the latest template and fill it in again.");
        }

        var leave = leaveAsIs ?? ImmutableHashSet<string>.Empty;
        var left = ImmutableArray.CreateBuilder<string>();
        var systems = ReadSystems(cell, current, leave, left, changes, Error);
        var security = ReadSecurity(cell, current, today, leave, left, changes, Error);

        if (!systems.IsEmpty || !security.IsEmpty)
        {
            var request = new ChangeRequest { RequestId = "template", Actor = Actor.System, Systems = systems, Security = security };
            foreach (var e in ChangeRules.Validate(request, current, today))
            {
                if (CellOf(e.Field, current) is { } at)
                {
                    errors.Add(new(at, e.Code, $"{at}: {e.MessageJa}", $"{at}: {e.MessageEn}"));
                }
            }
        }

        var fileRows = CountRows(cell, SystemsSheet, ReadinessCatalog.Instance.BusinessSystems.Count) + CountRows(cell, SecuritySheet, ReadinessCatalog.Instance.SecurityItems.Count);
        return new(code, version, changes.ToImmutable(), errors.ToImmutable(), systems, security, left.ToImmutable(), fileRows);
    }

    /// <summary>The rows of a sheet with anything in column A (the rows the readers look at: the template's and 20 more).</summary>
    private static int CountRows(Func<string, string, object?> cell, string sheet, int templateRows) =>
        Enumerable.Range(FirstRow, templateRows + 20).Count(row => CellValues.Text(cell(sheet, $"A{row}")) is not null);

    /// <summary>The cell of a rule's field ("systems[juki].plannedGoLive" → "D6"; security on its own sheet, "セキュリティ!D7"); null for request-level fields.</summary>
    public static string? CellOf(string field, MunicipalityRecord current)
    {
        var catalog = ReadinessCatalog.Instance;
        static string Member(string f) => f[(f.IndexOf("].", StringComparison.Ordinal) + 2)..];
        static string Key(string f) => f[(f.IndexOf('[', StringComparison.Ordinal) + 1)..f.IndexOf(']', StringComparison.Ordinal)];
        if (field.StartsWith("systems[", StringComparison.Ordinal) && field.Contains("].", StringComparison.Ordinal))
        {
            var member = Member(field) switch
            {
                "designation.reason" => "designationReason",
                "designation.targetDate" => "designationTarget",
                "reason" => "regressionReason",
                var m => m,
            };
            var column = SystemColumns.FirstOrDefault(c => c.Field == member).Column ?? "A";
            return catalog.BusinessIndex.TryGetValue(Key(field), out var i) ? $"{column}{FirstRow + i}" : null;
        }

        if (field.StartsWith("security[", StringComparison.Ordinal) && field.Contains("].", StringComparison.Ordinal))
        {
            var column = SecurityColumns.FirstOrDefault(c => c.Field == Member(field)).Column ?? "A";
            return catalog.SecurityIndex.TryGetValue(Key(field), out var i) ? $"{SecuritySheet}!{column}{FirstRow + i}" : null;
        }

        return null;
    }

    private static ImmutableArray<SystemChange> ReadSystems(Func<string, string, object?> cell, MunicipalityRecord current, IReadOnlySet<string> leave,
        ImmutableArray<string>.Builder left, ImmutableArray<TemplateChange>.Builder changes, Action<string, string, string, string> error)
    {
        var catalog = ReadinessCatalog.Instance;
        var result = ImmutableArray.CreateBuilder<SystemChange>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var row = FirstRow; row < FirstRow + catalog.BusinessSystems.Count + 20; row++)
        {
            object? At(string column) => cell(SystemsSheet, $"{column}{row}");
            var id = CellValues.Text(At("A"));
            if (id is null)
            {
                continue;
            }

            if (!catalog.BusinessIndex.TryGetValue(id, out var index))
            {
                error($"A{row}", "unknown_business", $"業務ID「{id}」は標準化対象の20業務にありません。", $"'{id}' is not one of the 20 business systems.");
                continue;
            }

            if (!seen.Add(id))
            {
                error($"A{row}", "duplicate", $"業務ID「{id}」が2回あります。", $"The business '{id}' appears twice.");
                continue;
            }

            var before = current.FindSystem(id)!;
            var ok = true;
            MigrationPhase phase = before.Phase;
            var phaseText = CellValues.Text(At("C"));
            if (phaseText is null)
            {
                error($"C{row}", "required", $"{Vocabulary.Phase.Ja}を選んでください。", "Choose a phase.");
                ok = false;
            }
            else if (ParsePhase(phaseText) is { } p)
            {
                phase = p;
            }
            else
            {
                error($"C{row}", "unknown_phase", $"{Vocabulary.Phase.Ja}「{phaseText}」は選択肢にありません。", $"'{phaseText}' is not a migration phase.");
                ok = false;
            }

            var (goLiveOk, goLive) = CellValues.Date(At("D"));
            if (!goLiveOk)
            {
                error($"D{row}", "invalid_date", $"{Vocabulary.PlannedGoLive.ShortJa}が日付ではありません（「{Shown(At("D"))}」）。{DateHintJa}", $"The {Vocabulary.PlannedGoLive.ShortEnInText} is not a date ('{Shown(At("D"))}'). {DateHintEn}");
                ok = false;
            }

            var vendor = FreeText.Identifier(FreeCell(At("E"))); // as ChangeRules stores it: ＮＥＣ is NEC, not a change
            HostingKind? hosting = null;
            if (CellValues.Text(At("F")) is { } hostingText)
            {
                if (Pick(Hostings, hostingText) is { } h)
                {
                    hosting = h;
                }
                else
                {
                    error($"F{row}", "unknown_hosting", $"稼働環境「{hostingText}」は選択肢にありません。", $"'{hostingText}' is not a hosting kind.");
                    ok = false;
                }
            }

            var (naOk, notApplicable) = CellValues.Flag(At("G"));
            if (!naOk)
            {
                error($"G{row}", "invalid_flag", "対象外は「はい」か「いいえ」で入力してください。", "Not applicable must be はい (yes) or いいえ (no).");
                ok = false;
            }

            var (dOk, designated) = CellValues.Flag(At("H"));
            if (!dOk)
            {
                error($"H{row}", "invalid_flag", "特定移行支援システムは「はい」か「いいえ」で入力してください。", "Designated must be はい (yes) or いいえ (no).");
                ok = false;
            }

            DesignationReason? reason = null;
            if (CellValues.Text(At("I")) is { } reasonText)
            {
                if (Pick(Reasons, reasonText) is { } r)
                {
                    reason = r;
                }
                else
                {
                    error($"I{row}", "unknown_reason", $"{Vocabulary.DesignationReason.Ja}「{reasonText}」は選択肢にありません。", $"'{reasonText}' is not a designation reason.");
                    ok = false;
                }
            }

            var (targetOk, target) = CellValues.Date(At("J"));
            if (!targetOk)
            {
                error($"J{row}", "invalid_date", $"{Vocabulary.DesignationTarget.ShortJa}が日付ではありません（「{Shown(At("J"))}」）。{DateHintJa}", $"The {Vocabulary.DesignationTarget.ShortEnInText} is not a date ('{Shown(At("J"))}'). {DateHintEn}");
                ok = false;
            }

            var regressionReason = FreeCell(At("K"));
            var reasonNote = FreeCell(At("L"));
            if (!ok)
            {
                continue;
            }

            // A row left as it is now is checked above like any other (a breaker's finding: 「だめ」 there was dropped
            // silently and the file applied as a confirmation); only its report is left out.
            if (leave.Contains("system:" + id))
            {
                left.Add("system:" + id);
                continue;
            }

            // Without a designation its reason and target are not kept (the API's rule: false clears both).
            if (!designated)
            {
                reason = null;
                target = null;
            }

            // The details of その他 are kept only with that reason (ChangeRules): another reason clears them.
            if (reason != DesignationReason.Other)
            {
                reasonNote = null;
            }

            var n = changes.Count;
            void Diff(string column, string field, string? was, string? now, string? wasJa, string? nowJa)
            {
                if (!string.Equals(was, now, StringComparison.Ordinal))
                {
                    var c = SystemColumns.First(x => x.Column == column);
                    changes.Add(new($"{column}{row}", "system:" + id, field, $"{catalog.BusinessSystems[index].NameJa}：{c.HeaderJa}",
                        $"{catalog.BusinessSystems[index].NameEn}: {c.HeaderEn}", was, now, wasJa, nowJa));
                }
            }

            Diff("C", "phase", Wire.Name(before.Phase), Wire.Name(phase), PhaseLabel(before.Phase), PhaseLabel(phase));
            Diff("D", "plannedGoLive", Iso(before.PlannedGoLive), Iso(goLive), Iso(before.PlannedGoLive), Iso(goLive));
            Diff("E", "vendor", before.Vendor, vendor, before.Vendor, vendor);
            Diff("F", "hosting", before.Hosting is { } bh ? Wire.Name(bh) : null, hosting is { } hh ? Wire.Name(hh) : null, Blank(HostingLabel(before.Hosting)), Blank(HostingLabel(hosting)));
            Diff("G", "notApplicable", Bool(before.NotApplicable), Bool(notApplicable), FlagLabel(before.NotApplicable), FlagLabel(notApplicable));
            Diff("H", "designated", Bool(before.Designated), Bool(designated), FlagLabel(before.Designated), FlagLabel(designated));
            Diff("I", "designationReason", before.DesignationReason is { } br ? Wire.Name(br) : null, reason is { } rr ? Wire.Name(rr) : null,
                Blank(ReasonLabel(before.DesignationReason)), Blank(ReasonLabel(reason)));
            Diff("J", "designationTarget", Iso(before.DesignationTarget), Iso(target), Iso(before.DesignationTarget), Iso(target));
            Diff("L", "designationReasonNote", before.DesignationReasonNote, reasonNote, before.DesignationReasonNote, reasonNote);

            // The template has no CSP column: the provider stays as it is while the hosting stays the Government Cloud,
            // and goes with it when the hosting cell moves elsewhere (a CSP only exists there). Shown against the hosting
            // cell, so the preview lists every change the apply makes (breaker's finding: the apply erased it unseen).
            var provider = hosting == HostingKind.GovernmentCloud ? before.CloudProvider : null;
            if (provider != before.CloudProvider)
            {
                changes.Add(new($"F{row}", "system:" + id, "cloudProvider", $"{catalog.BusinessSystems[index].NameJa}：{Vocabulary.CloudProvider.Ja}",
                    $"{catalog.BusinessSystems[index].NameEn}: {Vocabulary.CloudProvider.En}", Wire.Name(before.CloudProvider!.Value), null, Wire.Name(before.CloudProvider!.Value), null));
            }

            // A row that changes nothing is reported all the same, as a full report with the same content would be: a
            // confirmation that it still holds (its as-of day renewed; the trail's entry before = after when the whole
            // file changes nothing). Its regression reason is left out: a reason alone changes nothing and the preview shows none.
            var unchanged = changes.Count == n;
            var reported = new SystemChange
            {
                BusinessId = id,
                Phase = phase,
                PlannedGoLive = goLive,
                Vendor = vendor,
                Hosting = hosting,
                CloudProvider = provider,
                NotApplicable = notApplicable,
                Designation = designated ? new DesignationInput(reason, target) : null,
                Reason = unchanged ? null : regressionReason,
                DesignationReasonNote = reasonNote,
                Omitted = unchanged || regressionReason is null ? ["regressionReason"] : [],
            };
            result.Add(reported);
            if (!unchanged)
            {
                // What the apply records of a move back (ChangeRules.RegressionAfter, the same rule): the 後退 flag and
                // column K's reason, each a change of its own, so the preview lists what the apply records (a breaker's
                // finding: the reason was recorded unseen).
                var (regression, why) = ChangeRules.RegressionAfter(before, reported.Over(before));
                if (regression != before.Regression)
                {
                    changes.Add(new($"C{row}", "system:" + id, "regression", $"{catalog.BusinessSystems[index].NameJa}：{Vocabulary.Regression.Ja}",
                        $"{catalog.BusinessSystems[index].NameEn}: {Vocabulary.Regression.En}", Bool(before.Regression), Bool(regression), FlagLabel(before.Regression), FlagLabel(regression)));
                }

                Diff("K", "regressionReason", before.RegressionReason, why, before.RegressionReason, why);
            }
        }

        return result.ToImmutable();
    }

    private static ImmutableArray<SecurityChange> ReadSecurity(Func<string, string, object?> cell, MunicipalityRecord current, DateOnly today, IReadOnlySet<string> leave,
        ImmutableArray<string>.Builder left, ImmutableArray<TemplateChange>.Builder changes, Action<string, string, string, string> error)
    {
        var catalog = ReadinessCatalog.Instance;
        var result = ImmutableArray.CreateBuilder<SecurityChange>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var row = FirstRow; row < FirstRow + catalog.SecurityItems.Count + 20; row++)
        {
            object? At(string column) => cell(SecuritySheet, $"{column}{row}");
            string Ref(string column) => $"{SecuritySheet}!{column}{row}";
            var id = CellValues.Text(At("A"));
            if (id is null)
            {
                continue;
            }

            if (!catalog.SecurityIndex.TryGetValue(id, out var index))
            {
                error(Ref("A"), "unknown_item", $"項目ID「{id}」はチェックリストにありません。", $"'{id}' is not a checklist item.");
                continue;
            }

            if (!seen.Add(id))
            {
                error(Ref("A"), "duplicate", $"項目ID「{id}」が2回あります。", $"The item '{id}' appears twice.");
                continue;
            }

            var before = current.FindSecurityItem(id)!;
            var ok = true;
            var status = before.Status;
            var statusText = CellValues.Text(At("D"));
            if (statusText is null)
            {
                error(Ref("D"), "required", $"{Vocabulary.SecurityStatus.Ja}を選んでください。", "Choose a status.");
                ok = false;
            }
            else if (Pick(Statuses, statusText) is { } s)
            {
                status = s;
            }
            else
            {
                error(Ref("D"), "unknown_status", $"{Vocabulary.SecurityStatus.Ja}「{statusText}」は選択肢にありません。", $"'{statusText}' is not a checklist status.");
                ok = false;
            }

            var evidence = FreeCell(At("E"));
            var (reviewedOk, reviewed) = CellValues.Date(At("F"));
            if (!reviewedOk)
            {
                error(Ref("F"), "invalid_date", $"最終確認日が日付ではありません（「{Shown(At("F"))}」）。{DateHintJa}", $"The last-reviewed date is not a date ('{Shown(At("F"))}'). {DateHintEn}");
                ok = false;
            }

            if (!ok)
            {
                continue;
            }

            // Checked like any other row, then left as it is now (as a business row).
            if (leave.Contains("security:" + id))
            {
                left.Add("security:" + id);
                continue;
            }

            var item = catalog.SecurityItems[index];
            void Diff(string column, string field, string? was, string? now, string? wasJa, string? nowJa)
            {
                if (!string.Equals(was, now, StringComparison.Ordinal))
                {
                    var c = SecurityColumns.First(x => x.Column == column);
                    changes.Add(new(Ref(column), "security:" + id, field, $"{item.TitleJa}：{c.HeaderJa}", $"{item.TitleEn}: {c.HeaderEn}", was, now, wasJa, nowJa));
                }
            }

            Diff("D", "status", Wire.Name(before.Status), Wire.Name(status), StatusLabel(before.Status), StatusLabel(status));
            Diff("E", "evidence", before.Evidence, evidence, before.Evidence, evidence);
            Diff("F", "lastReviewed", Iso(before.LastReviewed), Iso(reviewed), Iso(before.LastReviewed), Iso(reviewed));
            // Unchanged too: a confirmation of the item, as for a business row.
            result.Add(new SecurityChange { ItemId = id, Status = status, Evidence = evidence, LastReviewed = reviewed });
        }

        _ = today;
        return result.ToImmutable();
    }

    /// <summary>A phase from its label (catalog name ja or en), its wire name or its order number.</summary>
    public static MigrationPhase? ParsePhase(string text)
    {
        var key = Key(text);
        foreach (var p in ReadinessCatalog.Instance.Phases)
        {
            if (Key(p.NameJa) == key || Key(p.NameEn) == key || p.Id == key)
            {
                return p.Phase;
            }
        }

        return null;
    }

    private static TEnum? Pick<TEnum>(ImmutableArray<(TEnum Value, string Ja, string En)> vocabulary, string text)
        where TEnum : struct, Enum
    {
        var key = Key(text);
        foreach (var (value, ja, en) in vocabulary)
        {
            if (Key(ja) == key || Key(en) == key || Wire.Name(value) == key)
            {
                return value;
            }
        }

        return null;
    }

    // Labels compare after NFKC, without whitespace, case-insensitively.
    private static string Key(string text) => JapaneseNames.Normalize(text).ToLowerInvariant();

    // Free text (evidence, reasons) is kept as written (no NFKC), trimmed; blank is null. A vendor is then put in its
    // identifier form (FreeText.Identifier) as every write path stores it.
    private static string? FreeCell(object? cell) => cell switch
    {
        null => null,
        string s => FreeText.Canonical(s),
        _ => CellValues.Text(cell),
    };

    private static string? Iso(DateOnly? d) => d?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Bool(bool b) => b ? "true" : "false";

    private static string? Blank(string s) => s.Length == 0 ? null : s;
}
