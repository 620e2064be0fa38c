using System.Collections.Immutable;
using System.Globalization;
using Microsoft.Extensions.Primitives;
using Readiness.Catalog;
using Readiness.Web.Api;

namespace Readiness.Web.Components.Edit;

public enum EditFailure
{
    /// <summary>The form's values break a rule (the grain's validation, or a value the form cannot carry).</summary>
    Invalid,

    /// <summary>Someone else changed the municipality after the form was shown.</summary>
    VersionConflict,

    /// <summary>The form is broken or expired (antiforgery token, version field): reload the page.</summary>
    BadForm,

    /// <summary>
    /// Not a failure of this post: the input of a form sent after the sign-in session ended, put back after signing
    /// in again (<see cref="Access.FormDrafts"/>). Nothing was saved; the person reviews it and saves again.
    /// </summary>
    Restored,
}

/// <summary>Another form of the page put back from a kept draft: its element id (a link's fragment) and its name, quoted, in Japanese and English.</summary>
public sealed record RestoredForm(string Anchor, string NameJa, string NameEn);

/// <summary>A message for one form field (empty field: the whole form), in Japanese first with English.</summary>
public sealed record FieldMessage(string Field, string MessageJa, string MessageEn);

/// <summary>
/// A form sent back to the person with what they typed and why it was not saved. <see cref="Target"/> is
/// "system:{businessId}" or "security:{itemId}"; <see cref="Values"/> holds the raw form values by field name.
/// </summary>
public sealed record EditSubmission(
    string Target, EditFailure Failure, IReadOnlyDictionary<string, string?> Values, IReadOnlyList<FieldMessage> Errors, long FormVersion)
{
    /// <summary>For a conflict: what is stored now for the target (the audit trail's fields), shown in the page's words.</summary>
    public ImmutableArray<AuditField> StoredNow { get; init; } = [];

    /// <summary>
    /// For a form put back from a kept draft: the other forms of the same page put back with it (their anchors and
    /// names), so that the person, landing on one, learns where the rest are. Empty otherwise.
    /// </summary>
    public ImmutableArray<RestoredForm> AlsoRestored { get; init; } = [];

    /// <summary>The value to show again in <paramref name="field"/>: as typed, cut to the change form's field's limit (<see cref="FormFieldLimits.Change"/>).</summary>
    public string? Value(string field) => Values.TryGetValue(field, out var v) ? FormFieldLimits.Change.Shown(field, v) : null;

    /// <summary>
    /// The forms of one page with the input of their kept drafts (<paramref name="drafts"/> oldest first, as
    /// <see cref="Access.FormDrafts.Take"/> gives them), each <see cref="Restored"/> and naming the others
    /// (<see cref="AlsoRestored"/>). <paramref name="target"/> maps a draft's action to its form's target (null: not a
    /// form of this page, left out), <paramref name="anchor"/> a target to its element id, <paramref name="fields"/> a
    /// target to its form's fields. Oldest first, so the last is the newest: the form the sign-in page returned to.
    /// </summary>
    public static IReadOnlyList<EditSubmission> RestoredPage(
        IEnumerable<Access.FormDraft> drafts, Func<string, string?> target, Func<string, string> anchor, Func<string, string[]> fields)
    {
        // One form per target: of two drafts for one form (a cookie from before keyed drafts), the newer wins.
        var forms = drafts.Select(d => target(d.Action) is { } t ? Restored(t, d, fields(t)) : null).OfType<EditSubmission>()
            .GroupBy(f => f.Target).Select(g => g.Last()).ToList();
        return [.. forms.Select(f => f with
        {
            AlsoRestored = [.. forms.Where(o => o.Target != f.Target).Select(o => Named(o.Target, anchor))],
        })];
    }

    /// <summary>
    /// The form of <paramref name="target"/> with the input of a kept draft (<see cref="EditFailure.Restored"/>: not
    /// saved, a notice saying so), at the version the person's form carried so the usual conflict rules apply when it
    /// is sent again; null without a draft or when its version field is not a version.
    /// </summary>
    public static EditSubmission? Restored(string target, Access.FormDraft? draft, string[] fields) =>
        draft is not null && long.TryParse(draft.Value("version"), NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? new EditSubmission(target, EditFailure.Restored, fields.ToDictionary(f => f, draft.Value),
                [new FieldMessage(string.Empty,
                    "サインインの有効期限が切れる前に入力した内容を戻しました。まだ保存されていません。内容を確かめて、もう一度保存してください。",
                    "What you typed before your sign-in session ended is back in this form. It is not saved yet: check it and save it again.")],
                version)
            : null;

    private static RestoredForm Named(string target, Func<string, string> anchor)
    {
        var (ja, en) = TargetNames.Of(target);
        return new RestoredForm(anchor(target), ja, en);
    }

    public bool Checked(string field) => Value(field) is "true" or "on";

    public IEnumerable<FieldMessage> ErrorsFor(string field) => Errors.Where(e => e.Field == field);

    public IEnumerable<FieldMessage> FormErrors => Errors.Where(e => e.Field.Length == 0);
}

/// <summary>The fields of the edit forms and how their text becomes a report. Dates are YYYY-MM-DD (input type=date).</summary>
public static class EditFields
{
    public static readonly string[] SystemFields = ["phase", "plannedGoLive", "vendor", "hosting", "notApplicable", "designated", "designationReason", "designationTarget", "regressionReason", "cloudProvider", "designationReasonNote"];

    public static readonly string[] SecurityFields = ["status", "evidence", "lastReviewed"];

    /// <summary>
    /// The grain names a field as its change does ("systems[koseki].designation.reason", "systems[koseki].reason"); the
    /// form uses the representation's names, as the API does ("designationReason", "regressionReason").
    /// </summary>
    public static string FormField(string grainField)
    {
        if (SystemFields.Contains(grainField))
        {
            // Named as the form's field already (a refusal before the grain: a reported phase taken back to 「未報告」).
            return grainField;
        }

        var dot = grainField.IndexOf("].", StringComparison.Ordinal);
        if (dot < 0 || !(grainField.StartsWith("systems[", StringComparison.Ordinal) || grainField.StartsWith("security[", StringComparison.Ordinal)))
        {
            return string.Empty;
        }

        return grainField[(dot + 2)..] switch
        {
            "designation.reason" => "designationReason",
            "designation.targetDate" => "designationTarget",
            "reason" => "regressionReason",
            var f when SystemFields.Contains(f) || SecurityFields.Contains(f) => f,
            _ => string.Empty,
        };
    }

    /// <summary>
    /// The members a report built from the form gives: <paramref name="fields"/> less those the form refused already
    /// (a date that is not one, an unknown choice, no phase), so that judging the rest (<see cref="WithRulesBesides"/>)
    /// keeps the refused ones as stored instead of judging the stand-in the form put there.
    /// </summary>
    public static IReadOnlySet<string> GivenBesides(string[] fields, IReadOnlyList<FieldMessage> errors) =>
        fields.Where(f => !errors.Any(e => e.Field == f)).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// A refused form's every fault at once: the form's own (<paramref name="errors"/>) and then the reporting rules'
    /// judgement of its other fields (<paramref name="judged"/>: a dry run, <see cref="ReportContext.DryRun"/>, of the
    /// report given <see cref="GivenBesides"/>), each field named once; a refusal that is no field's (403, 404) adds nothing.
    /// </summary>
    public static void WithRulesBesides(List<FieldMessage> errors, ReportStatus status, IEnumerable<ValidationError> judged)
    {
        if (status != ReportStatus.Invalid)
        {
            return;
        }

        var refused = errors.Select(e => e.Field).ToHashSet(StringComparer.Ordinal);
        errors.AddRange(judged.Select(e => new FieldMessage(FormField(e.Field), e.MessageJa, e.MessageEn)).Where(m => !refused.Contains(m.Field)));
    }

    public static IReadOnlyDictionary<string, string?> Values(IFormCollection form, string[] fields) =>
        fields.ToImmutableDictionary(f => f, f => Single(form[f]), StringComparer.Ordinal);

    /// <summary>
    /// The system form's values as a report. An empty phase (the 「未報告 / Not reported」 choice) is refused unless
    /// <paramref name="emptyPhaseKeeps"/> (a prefecture's own system, whose unreported phase reads null): then the report
    /// carries phase null, which keeps a system never reported as it is and is refused for one already reported
    /// (<see cref="PrefectureRunService.ReportedPhaseKept"/>). A municipality's system always has a phase.
    /// </summary>
    public static SystemReport ToSystemReport(IReadOnlyDictionary<string, string?> values, List<FieldMessage> errors, bool emptyPhaseKeeps = false)
    {
        var designated = values["designated"] is "true" or "on";
        var phase = Choice<MigrationPhase>(values["phase"], "phase", Vocabulary.Phase.Ja, Vocabulary.Phase.ShortEnInText, errors);
        if (phase is null && string.IsNullOrEmpty(values["phase"]) && !emptyPhaseKeeps)
        {
            errors.Add(new FieldMessage("phase", "移行フェーズを選択してください。", "Choose a phase."));
        }

        return new SystemReport
        {
            Phase = emptyPhaseKeeps ? phase : phase ?? default,
            PlannedGoLive = Date(values["plannedGoLive"], "plannedGoLive", Vocabulary.PlannedGoLive.ShortJa, Vocabulary.PlannedGoLive.ShortEnInText, errors),
            Vendor = Text(values["vendor"]),
            Hosting = Choice<HostingKind>(values["hosting"], "hosting", Vocabulary.Hosting.ShortJa, Vocabulary.Hosting.ShortEnInText, errors),
            CloudProvider = Choice<CloudProvider>(values["cloudProvider"], "cloudProvider", Vocabulary.CloudProvider.Ja, Vocabulary.CloudProvider.En, errors),
            NotApplicable = values["notApplicable"] is "true" or "on",
            Designated = designated,
            DesignationReason = designated ? Choice<DesignationReason>(values["designationReason"], "designationReason", Vocabulary.DesignationReason.Ja, Vocabulary.DesignationReason.En.ToLowerInvariant(), errors) : null,
            DesignationTarget = designated ? Date(values["designationTarget"], "designationTarget", Vocabulary.DesignationTarget.ShortJa, Vocabulary.DesignationTarget.ShortEnInText, errors) : null,
            RegressionReason = Text(values["regressionReason"]),
            DesignationReasonNote = designated ? Text(values["designationReasonNote"]) : null,
        };
    }

    public static SecurityReport ToSecurityReport(IReadOnlyDictionary<string, string?> values, List<FieldMessage> errors)
    {
        var status = Choice<SecurityStatus>(values["status"], "status", Vocabulary.SecurityStatus.ShortJa, Vocabulary.SecurityStatus.ShortEnInText, errors);
        if (status is null && string.IsNullOrEmpty(values["status"]))
        {
            errors.Add(new FieldMessage("status", $"{Vocabulary.SecurityStatus.ShortJa}を選択してください。", $"A {Vocabulary.SecurityStatus.ShortEnInText} is required."));
        }

        return new()
        {
            Status = status ?? default,
            Evidence = Text(values["evidence"]),
            LastReviewed = Date(values["lastReviewed"], "lastReviewed", "最終確認日", "last-reviewed date", errors),
        };
    }

    private static string? Single(StringValues values) => values.Count == 0 ? null : values[^1];

    private static string? Text(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;

    private static TEnum? Choice<TEnum>(string? text, string field, string ja, string en, List<FieldMessage> errors)
        where TEnum : struct, Enum
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (Wire.TryParse<TEnum>(text, out var value))
        {
            return value;
        }

        errors.Add(new FieldMessage(field, $"{ja}の値「{Problems.Shown(text)}」は選択肢にありません。", $"'{Problems.Shown(text)}' is not a valid {en}."));
        return null;
    }

    private static DateOnly? Date(string? text, string field, string ja, string en, List<FieldMessage> errors)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return day;
        }

        errors.Add(new FieldMessage(field, $"{ja}は日付（例: 2026-12-01）で入力してください。", $"The {en} must be a date (e.g. 2026-12-01)."));
        return null;
    }
}
