using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Readiness.Catalog;

namespace Readiness.Rules;

/// <summary>Validation and application of change requests. Nothing here has side effects.</summary>
public static class ChangeRules
{
    public const int MaxVendorLength = 100;
    public const int MaxReasonLength = 500;
    public const int MaxEvidenceLength = 1000;
    public const int MaxRequestIdLength = 100;

    /// <summary>
    /// The refusal of a write whose expected version (If-Match) is not <paramref name="current"/>, under the field
    /// "version". A negative expected version names none: the API passes -1 when If-Match held only tags that can name
    /// no version under RFC 9110's strong comparison (a weak W/"12", "012", "+12"), and such a write could never apply,
    /// so it is told that rather than that it changed since. An expected version above <paramref name="current"/> was
    /// never reached (versions only grow): it names none either, and is told so, not that someone saved first (a
    /// breaker's finding: If-Match "99"). Who wrote since is not known here (another person, or the same one in another
    /// tab or program): the words claim neither.
    /// </summary>
    public static ValidationError VersionConflict(long expected, long current) => expected < 0 || expected > current
        ? new ValidationError("version", "version_conflict",
            $"If-Match の ETag はどの版も指していません。W/ 付きの弱い ETag、\"012\"・\"+12\" のような書き方、まだない版の番号は一致しません。受け取った ETag をそのまま指定してください（現在の版: {current}）。",
            $"If-Match names no version: a weak tag (W/\"12\"), a spelling such as \"012\" or \"+12\", or a version not reached yet never matches (RFC 9110 §13.1.1, strong comparison). Send the ETag exactly as you received it (current version {current}).")
        : new ValidationError("version", "version_conflict",
            $"読み取った版の後に更新されています（現在の版: {current}）。他の人か、別の画面・プログラムでのあなた自身の保存です。最新の内容を確認してから再度保存してください。",
            $"This changed after the version you read (current version {current}), by someone else or by you from another tab, window or program. Review the latest data and save again.");

    /// <summary>Dates outside this window are typing errors, not plans.</summary>
    public static readonly DateOnly EarliestDate = new(2020, 1, 1);
    public static readonly DateOnly LatestDate = new(2040, 12, 31);

    public static ImmutableArray<ValidationError> Validate(ChangeRequest request, MunicipalityRecord current, DateOnly today)
    {
        var catalog = ReadinessCatalog.Instance;
        var errors = ImmutableArray.CreateBuilder<ValidationError>();
        if (string.IsNullOrWhiteSpace(request.RequestId) || request.RequestId.Length > MaxRequestIdLength
            || FreeText.Check(request.RequestId, multiline: false).Fault != FreeTextFault.None)
        {
            errors.Add(new("requestId", "invalid_request_id", $"リクエストIDは制御文字・不可視文字を含まない1〜{MaxRequestIdLength}文字で指定してください。", $"The request id must have 1 to {MaxRequestIdLength} characters, none of them control or invisible characters."));
        }

        if (request.Systems.IsDefaultOrEmpty && request.Security.IsDefaultOrEmpty)
        {
            // A report need not change anything (one whose values are those stored is a confirmation): it names targets.
            errors.Add(new("report", "empty", "報告する業務システムまたはセキュリティ項目を1件以上指定してください（現状のままの確認も報告です）。",
                "A report must name at least one business system or security item (confirming one as it is is a report too)."));
        }

        var seenSystems = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (request.Systems.IsDefault ? 0 : request.Systems.Length); i++)
        {
            var change = request.Systems[i];
            if (change is null || string.IsNullOrEmpty(change.BusinessId) || !catalog.BusinessIndex.ContainsKey(change.BusinessId))
            {
                errors.Add(new($"systems[{i}].businessId", "unknown_business", $"業務「{change?.BusinessId}」は標準化対象の20業務にありません。", $"Unknown business system '{change?.BusinessId}'."));
                continue;
            }

            var field = new ItemField("systems", change.BusinessId);
            if (!seenSystems.Add(change.BusinessId))
            {
                errors.Add(new(field.Member("businessId"), "duplicate", "同じ業務が1つの報告に2回含まれています。", "The same business system appears twice in one report."));
            }

            var status = current.FindSystem(change.BusinessId);
            ValidateGiven(change, status, field, errors);
            ValidateSystem(change.Over(status), status, field, errors);
        }

        var seenItems = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (request.Security.IsDefault ? 0 : request.Security.Length); i++)
        {
            var change = request.Security[i];
            if (change is null || string.IsNullOrEmpty(change.ItemId) || !catalog.SecurityIndex.ContainsKey(change.ItemId))
            {
                errors.Add(new($"security[{i}].itemId", "unknown_item", $"セキュリティ項目「{change?.ItemId}」はチェックリストにありません。", $"Unknown security checklist item '{change?.ItemId}'."));
                continue;
            }

            var field = new ItemField("security", change.ItemId);
            change = change.Over(current.FindSecurityItem(change.ItemId));
            if (!seenItems.Add(change.ItemId))
            {
                errors.Add(new(field.Member("itemId"), "duplicate", "同じ項目が1つの報告に2回含まれています。", "The same checklist item appears twice in one report."));
            }

            if (change.Status is not { } status || !Enum.IsDefined(status))
            {
                errors.Add(new(field.Member("status"), "required", $"{Vocabulary.SecurityStatus.ShortJa}を選択してください。", $"A {Vocabulary.SecurityStatus.ShortEnInText} is required."));
            }

            // As for systems: a stored value the request keeps is not judged again.
            var stored = current.FindSecurityItem(change.ItemId);
            var evidenceChanged = stored is null || !string.Equals(change.Evidence, stored.Evidence, StringComparison.Ordinal);
            if (evidenceChanged)
            {
                ValidateText(change.Evidence, FreeText.Canonical, field, "evidence", MaxEvidenceLength, multiline: true, Vocabulary.Evidence, errors);
            }

            if (evidenceChanged && FreeText.Canonical(change.Evidence) is { } ev && (ev.StartsWith("http:", StringComparison.OrdinalIgnoreCase) || ev.StartsWith("https:", StringComparison.OrdinalIgnoreCase))
                && !Uri.TryCreate(ev, UriKind.Absolute, out _))
            {
                errors.Add(new(field.Member("evidence"), "invalid_link", $"{Vocabulary.Evidence.ShortJa}のリンクが正しいURLではありません。", $"The {Vocabulary.Evidence.ShortEnInText} link is not a valid URL."));
            }

            if (change.LastReviewed is { } reviewed && reviewed != stored?.LastReviewed && (reviewed < EarliestDate || reviewed > today))
            {
                errors.Add(new(field.Member("lastReviewed"), "invalid_date",
                    $"最終確認日は{EarliestDate:yyyy-MM-dd}から今日までの日付にしてください。",
                    $"The last-reviewed date must be between {EarliestDate:yyyy-MM-dd} and today."));
            }
        }

        return errors.ToImmutable();
    }

    /// <summary>
    /// Validates what the change sets that differs from the stored system: a value kept as stored is not judged again,
    /// so a system that came in from the public baseline or an official release in a shape a report may not give (a
    /// designation without reason or target, a vendor or date outside today's rules) can still have its other members
    /// updated; the rule applies as soon as the request touches that member.
    /// </summary>
    private static void ValidateSystem(SystemChange change, SystemStatus? current, ItemField field, ImmutableArray<ValidationError>.Builder errors)
    {
        if (change.Phase is { } phase && !Enum.IsDefined(phase))
        {
            errors.Add(new(field.Member("phase"), "unknown_phase", "移行フェーズが不明です。", "Unknown migration phase."));
            return;
        }

        if (current is null || change.PlannedGoLive != current.PlannedGoLive)
        {
            ValidateDate(change.PlannedGoLive, field, "plannedGoLive", Vocabulary.PlannedGoLive, errors);
        }

        if (current is null || !string.Equals(change.Vendor, current.Vendor, StringComparison.Ordinal))
        {
            ValidateText(change.Vendor, FreeText.Identifier, field, "vendor", MaxVendorLength, multiline: false, Vocabulary.Vendor, errors);
        }

        ValidateText(change.Reason, FreeText.Canonical, field, "reason", MaxReasonLength, multiline: true, Vocabulary.RegressionReason, errors);
        if (change.Hosting is { } hosting && !Enum.IsDefined(hosting))
        {
            errors.Add(new(field.Member("hosting"), "unknown_hosting", "稼働環境が不明です。", "Unknown hosting."));
        }

        if (change.CloudProvider is { } provider && (current is null || provider != current.CloudProvider || change.Hosting != current.Hosting))
        {
            if (!Enum.IsDefined(provider))
            {
                errors.Add(new(field.Member("cloudProvider"), "unknown_cloud_provider", "ガバメントクラウドの事業者（CSP）が不明です。", "Unknown Government Cloud provider."));
            }
            else if (change.Hosting != HostingKind.GovernmentCloud)
            {
                // The provider is the Government Cloud's CSP: on another cloud or on premises it would count a system in the lock-in view that is not there.
                errors.Add(new(field.Member("cloudProvider"), "cloud_provider_needs_government_cloud",
                    "ガバメントクラウドの事業者（CSP）は稼働環境が「ガバメントクラウド」の場合だけ指定できます。",
                    "A Government Cloud provider can be given only when the hosting is government_cloud."));
            }
        }

        // The details of 「その他」: free text as the regression reason, kept only with that reason (so a new note sent with
        // another reason would be dropped unseen: refused instead; a stored note kept goes with its reason). A stored note
        // the request keeps is not judged again.
        if (current is null || !string.Equals(change.DesignationReasonNote, current.DesignationReasonNote, StringComparison.Ordinal))
        {
            ValidateText(change.DesignationReasonNote, FreeText.Canonical, field, "designationReasonNote", MaxReasonLength, multiline: true, DesignationReasonNoteLabel, errors);
        }

        if (FreeText.Canonical(change.DesignationReasonNote) is not null && change.Designation?.Reason != DesignationReason.Other
            && (current is null || !string.Equals(change.DesignationReasonNote, current.DesignationReasonNote, StringComparison.Ordinal)))
        {
            errors.Add(new(field.Member("designationReasonNote"), "not_other",
                "「その他の内容」は該当理由が「その他」の場合だけ入力できます。該当理由を「その他」にするか、内容を空にしてください。",
                "designationReasonNote is kept only with the designation reason other: choose other, or leave it empty."));
        }

        // A system the municipality does not run cannot be one whose migration is specially supported: the figures count
        // designations among systems that apply only, so the exports would list more designated systems than they do.
        // A stored pair the request keeps is not judged again (as above).
        if (change.NotApplicable && change.Designation is not null && (current is null || !current.NotApplicable || !current.Designated))
        {
            errors.Add(new(field.Member("designated"), "designated_not_applicable",
                "対象外の業務は特定移行支援システムに指定できません。対象外を外すか、特定移行支援の指定を外してください。",
                "A system that does not apply (notApplicable) cannot be designated for special migration support: clear one of the two."));
        }

        // A system that does not apply has no migration: its phase is not_started, else the history and the exports show a
        // phase the figures ignore. A stored pair the request keeps (an official release's) is not judged again.
        if (change.NotApplicable && (change.Phase ?? current?.Phase) is { } naPhase && naPhase != MigrationPhase.NotStarted
            && (current is null || !current.NotApplicable || current.Phase != naPhase))
        {
            errors.Add(new(field.Member("phase"), "phase_not_applicable",
                "対象外の業務の移行フェーズは「未着手」にしてください。対象外を外すか、フェーズを「未着手」にしてください。",
                "A system that does not apply (notApplicable) must have the phase not_started: set the phase to not_started or clear notApplicable."));
        }

        if (change.Phase is { } next && current is not null && MoveOf(current, change with { Phase = next }) == PhaseMove.Regression
            && FreeText.Canonical(change.Reason) is null)
        {
            errors.Add(new(field.Member("reason"), "regression_reason_required",
                $"フェーズを戻す場合は{Vocabulary.RegressionReason.ShortJa}を入力してください。",
                $"Moving a phase backwards requires a {Vocabulary.RegressionReason.ShortEnInText}."));
        }

        if (change.Designation is { } d
            && (current is null || !current.Designated || d.Reason != current.DesignationReason || d.TargetDate != current.DesignationTarget))
        {
            if (d.Reason is not { } reason || !Enum.IsDefined(reason))
            {
                errors.Add(new(field.Member("designation.reason"), "required", "特定移行支援システムの該当理由を選択してください。", "A designation needs its reason."));
            }

            if (d.Reason == DesignationReason.Other && FreeText.Canonical(change.DesignationReasonNote) is null)
            {
                errors.Add(new(field.Member("designationReasonNote"), "designation_reason_note_required",
                    "該当理由が「その他」の場合は、その内容を入力してください。",
                    "A designation reason of other needs its details (designationReasonNote)."));
            }

            if (d.TargetDate is null)
            {
                errors.Add(new(field.Member("designation.targetDate"), "required", "特定移行支援システムの移行目標時期を入力してください。", "A designation needs its target date."));
            }
            else
            {
                ValidateDate(d.TargetDate, field, "designation.targetDate", Vocabulary.DesignationTarget, errors);
            }
        }
    }

    /// <summary>
    /// Members sent that the change would not store are refused, never dropped with a success: a designation's reason or
    /// target for a system that is not designated and is not made designated by this change (<c>designated</c> left
    /// out): Over takes the designation away with the stored "not designated". (An explicit <c>designated: false</c>
    /// clears both, as documented.)
    /// </summary>
    private static void ValidateGiven(SystemChange given, SystemStatus? current, ItemField field, ImmutableArray<ValidationError>.Builder errors)
    {
        bool Sent(string member) => given.Omitted.IsDefaultOrEmpty || !given.Omitted.Contains(member);
        if (current is null || current.Designated || Sent("designated") || given.Designation is not { } designation)
        {
            return;
        }

        if (designation.Reason is not null && Sent("designationReason"))
        {
            errors.Add(new(field.Member("designation.reason"), "not_designated",
                "この業務は特定移行支援システムではないため、該当理由は記録されません。該当とする場合は designated を true にして一緒に送ってください。",
                "This system is not designated, so a designation reason would not be stored; send designated: true with it to designate it."));
        }

        if (designation.TargetDate is not null && Sent("designationTarget"))
        {
            errors.Add(new(field.Member("designation.targetDate"), "not_designated",
                "この業務は特定移行支援システムではないため、移行目標時期は記録されません。該当とする場合は designated を true にして一緒に送ってください。",
                "This system is not designated, so a designation target would not be stored; send designated: true with it to designate it."));
        }
    }

    /// <summary>
    /// The regression flag and reason a system records after <paramref name="change"/> (<see cref="Apply"/>'s rule; the
    /// template's preview shows them from here, so it lists what the apply records). A move below an estimate never
    /// reported corrects it: no regression, and none carried over (<see cref="ReadinessRules.MoveOf"/>). A new move back
    /// records the change's reason; while the system stays back a reason given corrects the recorded one (null keeps it:
    /// a form or template row that leaves it empty does not clear it); a move forward clears both.
    /// </summary>
    public static (bool Regression, string? Reason) RegressionAfter(SystemStatus before, SystemChange change)
    {
        var phase = change.Phase ?? before.Phase;
        var move = MoveOf(before, change with { Phase = phase });
        return (move == PhaseMove.Regression || (phase == before.Phase && before.Regression),
            move == PhaseMove.Regression ? Normalize(change.Reason)
            : phase == before.Phase ? (before.Regression ? Normalize(change.Reason) ?? before.RegressionReason : before.RegressionReason)
            : null);
    }

    /// <summary>
    /// How a report's phase counts (<see cref="ReadinessRules.MoveOf"/>), except that a move to not_started that leaves the
    /// system not applicable is no regression: the system dropped out, no work went back, so no reason, 後退 or alert.
    /// </summary>
    private static PhaseMove MoveOf(SystemStatus before, SystemChange change) =>
        change.Phase is not { } next ? PhaseMove.NotBack
        : change.NotApplicable && next == MigrationPhase.NotStarted ? PhaseMove.NotBack
        : ReadinessRules.MoveOf(before, next);

    /// <summary>An item's place in error fields ("systems[koseki]"), spelled out only when an error names it.</summary>
    private readonly record struct ItemField(string Collection, string Key)
    {
        public string Member(string name) => $"{Collection}[{Key}].{name}";
    }

    // The label of その他's details in messages (no vocabulary term of its own: it is the reason's free-text part).
    private static readonly Term DesignationReasonNoteLabel = new("その他の内容", "designation reason details");

    private static void ValidateDate(DateOnly? date, ItemField item, string member, Term label, ImmutableArray<ValidationError>.Builder errors)
    {
        if (date is { } d && (d < EarliestDate || d > LatestDate))
        {
            errors.Add(new(item.Member(member), "invalid_date",
                $"{label.ShortJa}は{EarliestDate:yyyy-MM-dd}から{LatestDate:yyyy-MM-dd}までの日付にしてください。",
                $"The {label.ShortEnInText} must be between {EarliestDate:yyyy-MM-dd} and {LatestDate:yyyy-MM-dd}."));
        }
    }

    /// <summary>
    /// The free-text rule (<see cref="FreeText"/>) and the length limit in code points (as the message and the contract's
    /// maxLength say), counted on the text as <paramref name="store"/> makes it before storing: the vendor's NFKC form
    /// can be longer (「㍿」 is 株式会社) or shorter (ｶﾞ is ガ) than what was sent, and the stored name is what must fit.
    /// </summary>
    private static void ValidateText(string? text, Func<string?, string?> store, ItemField item, string member, int max, bool multiline, Term label, ImmutableArray<ValidationError>.Builder errors)
    {
        if (text is null)
        {
            return;
        }

        var (fault, index, codePoint) = FreeText.Check(text, multiline);
        if (fault != FreeTextFault.None)
        {
            var field = item.Member(member);
            var at = FreeText.Describe(codePoint);
            var position = index + 1;
            errors.Add(fault switch
            {
                FreeTextFault.FormatCharacter => new(field, "format_character",
                    $"{label.ShortJa}に表示されない文字または文字の向きを変える文字（{at}、{position}文字目）が含まれています。削除してください。",
                    $"The {label.ShortEnInText} contains an invisible or direction-changing character ({at} at position {position}); remove it."),
                FreeTextFault.InvisibleCharacter => new(field, "invisible_character",
                    $"{label.ShortJa}に表示されない文字（{at}、{position}文字目）が含まれています。削除してください。",
                    $"The {label.ShortEnInText} contains a character that displays as nothing ({at} at position {position}); remove it."),
                FreeTextFault.LineSeparator => new(field, "line_separator",
                    $"{label.ShortJa}に行区切り文字（{at}、{position}文字目）が含まれています。",
                    $"The {label.ShortEnInText} contains a line or paragraph separator ({at} at position {position})."),
                FreeTextFault.LoneSurrogate or FreeTextFault.Noncharacter => new(field, "invalid_character",
                    $"{label.ShortJa}に文字として正しくない符号（{at}、{position}文字目）が含まれています。",
                    $"The {label.ShortEnInText} contains an invalid character ({at} at position {position})."),
                _ => new(field, "control_character",
                    multiline
                        ? $"{label.ShortJa}に使用できない制御文字（{at}、{position}文字目）が含まれています。"
                        : $"{label.ShortJa}に改行や制御文字（{at}、{position}文字目）は使えません。",
                    multiline
                        ? $"The {label.ShortEnInText} contains a control character ({at} at position {position})."
                        : $"The {label.ShortEnInText} must be one line without control characters ({at} at position {position})."),
            });
            return;
        }

        var stored = store(text);
        if (stored is not null && FreeText.Characters(stored) is var characters && characters > max)
        {
            errors.Add(new(item.Member(member), "too_long", $"{label.ShortJa}は{max}文字以内で入力してください（{characters}文字）。", $"The {label.ShortEnInText} must be at most {max} characters ({characters} given)."));
        }
    }

    /// <summary>
    /// Applies a validated request: one version step, and one audit entry per target the request names, in the order
    /// sent (systems, then checklist items). Every target given counts as reported (its ReportedAt and the record's
    /// LastReportedAt move: the 30-day stale rule counts reports), so every one is in the trail: a target whose fields
    /// change has before and after; one left as it stands is a confirmation (<see cref="AuditFields.IsConfirmation"/>:
    /// before = after, one field list shared by both sides), whether or not other targets of the request changed.
    /// With <paramref name="phaseNullUntilReported"/> (a prefecture's own systems: <see cref="PrefectureRunRecord.Counts"/>),
    /// a system not yet reported whose change leaves the phase out or null stays not reported (its ReportedAt stays null):
    /// its other members are stored, and a change of none of them is a confirmation.
    /// </summary>
    public static (MunicipalityRecord Record, ImmutableArray<ChangeEntry> Entries) Apply(MunicipalityRecord current, ChangeRequest request, DateTimeOffset now, bool phaseNullUntilReported = false)
    {
        var version = current.Version + 1;
        var all = ImmutableArray.CreateBuilder<ChangeEntry>();
        // Each list is copied once, and only when the request changes it: a single security item's change used to copy
        // both lists twice (builder and back), ~0.7 KB a change (issue 14). The copies are this call's own, so they are
        // wrapped, not copied again.
        SystemStatus[]? systems = null;
        foreach (var given in request.Systems.IsDefault ? [] : request.Systems)
        {
            systems ??= current.Systems.ToArray();
            var index = IndexOfSystem(systems, given.BusinessId);
            var before = systems[index];
            var change = given.Over(before);
            var phase = change.Phase ?? before.Phase;
            var move = MoveOf(before, change with { Phase = phase });
            var regression = RegressionAfter(before, change);
            // Where an unreported phase reads null (a prefecture's own system before its first report), a request that
            // leaves the phase out or null keeps it unreported: "keep" keeps it as it stands, so the read written back
            // as read is a confirmation, and a vendor saved alone reports no phase (not_started). A municipality's
            // estimate reads as a phase: any report of the system makes it the municipality's (OfficialRules.ReportedSince).
            var reportedAt = !phaseNullUntilReported || GivesPhase(given) || before.ReportedAt is not null ? now : before.ReportedAt;
            var after = before with
            {
                Phase = phase,
                PlannedGoLive = change.PlannedGoLive,
                Vendor = FreeText.Identifier(change.Vendor), // one vendor, one name: ＮＥＣ is NEC
                Hosting = change.Hosting,
                CloudProvider = change.CloudProvider,
                NotApplicable = change.NotApplicable,
                Designated = change.Designation is not null,
                DesignationReason = change.Designation?.Reason,
                DesignationTarget = change.Designation?.TargetDate,
                DesignationReasonNote = change.Designation?.Reason == DesignationReason.Other ? Normalize(change.DesignationReasonNote) : null,
                Regression = regression.Regression,
                RegressionReason = regression.Reason,
                ReportedAt = reportedAt,
            };
            systems[index] = after;
            if (move != PhaseMove.EstimateCorrected && after == before with { ReportedAt = reportedAt })
            {
                // Left as it stands: confirmed, also beside other targets' changes (the trail is the record of what a
                // report affirmed: a breaker's finding). One field list for both sides: equal, and made once.
                var fields = AuditFields.Of(after);
                all.Add(Entry(current.Code, version, now, request, "system:" + change.BusinessId, fields, fields));
                continue;
            }

            var afterFields = AuditFields.Of(after);
            if (move == PhaseMove.EstimateCorrected)
            {
                // The history says why this lower phase is no 後退: it replaced an estimate the municipality never reported.
                afterFields = afterFields.Add(new AuditField(AuditFields.EstimateCorrected, "true", IsFlag: true));
            }

            all.Add(Entry(current.Code, version, now, request, "system:" + change.BusinessId, AuditFields.Of(before), afterFields));
        }

        SecurityItemStatus[]? security = null;
        foreach (var given in request.Security.IsDefault ? [] : request.Security)
        {
            security ??= current.Security.ToArray();
            var index = IndexOfItem(security, given.ItemId);
            var before = security[index];
            var change = given.Over(before);
            var after = before with
            {
                Status = change.Status ?? before.Status,
                Evidence = Normalize(change.Evidence),
                LastReviewed = change.LastReviewed,
                ReportedAt = now,
            };
            security[index] = after;
            if (after == before with { ReportedAt = now })
            {
                var fields = AuditFields.Of(after);
                all.Add(Entry(current.Code, version, now, request, "security:" + change.ItemId, fields, fields));
                continue;
            }

            all.Add(Entry(current.Code, version, now, request, "security:" + change.ItemId, AuditFields.Of(before), AuditFields.Of(after)));
        }

        var entries = all.ToImmutable();
        var record = current with
        {
            Version = version,
            Systems = systems is null ? current.Systems : ImmutableCollectionsMarshal.AsImmutableArray(systems),
            Security = security is null ? current.Security : ImmutableCollectionsMarshal.AsImmutableArray(security),
            LastReportedAt = now,
            UpdatedAt = now,
            UpdatedBy = request.Actor,
        };
        return (record, entries);
    }

    /// <summary>Whether a system change names a phase: sent and not null (a null or left-out phase keeps the stored one).</summary>
    public static bool GivesPhase(SystemChange given) =>
        given.Phase is not null && (given.Omitted.IsDefaultOrEmpty || !given.Omitted.Contains("phase"));

    private static int IndexOfSystem(SystemStatus[] systems, string businessId)
    {
        for (var i = 0; i < systems.Length; i++)
        {
            if (systems[i].BusinessId == businessId)
            {
                return i;
            }
        }

        throw new InvalidOperationException("A validated target is missing from the record.");
    }

    private static int IndexOfItem(SecurityItemStatus[] items, string itemId)
    {
        for (var i = 0; i < items.Length; i++)
        {
            if (items[i].ItemId == itemId)
            {
                return i;
            }
        }

        throw new InvalidOperationException("A validated target is missing from the record.");
    }

    private static string? Normalize(string? text) => FreeText.Canonical(text);

    private static ChangeEntry Entry(string code, long version, DateTimeOffset now, ChangeRequest request, string target, ImmutableArray<AuditField> before, ImmutableArray<AuditField> after) => new()
    {
        MunicipalityCode = code,
        Version = version,
        At = now,
        Actor = request.Actor,
        RequestId = request.RequestId,
        Target = target,
        BeforeFields = before,
        AfterFields = after,
        ClientAddress = request.ClientAddress,
    };
}
