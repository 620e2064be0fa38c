using System.Globalization;
using Readiness.Catalog;

namespace Readiness.Web.Components;

/// <summary>
/// The change history's words: an audited field's name and value (wire names, <see cref="Readiness.Rules.AuditFields"/>)
/// as the edit forms say them, Japanese first. The wire names stay in the markup (data-field, data-value) for machines;
/// the API and CSV keep them as they are.
/// </summary>
public static class ChangeText
{
    /// <summary>The form's label of an audited field, its <see cref="Vocabulary"/> term in full; a field this page does not know, as its wire name.</summary>
    public static string FieldLabel(this UiText t, string field) => field switch
    {
        "phase" => t[Vocabulary.Phase],
        "notApplicable" => t[Vocabulary.NotApplicable],
        "plannedGoLive" => t[Vocabulary.PlannedGoLive],
        "vendor" => t[Vocabulary.Vendor],
        "hosting" => t[Vocabulary.Hosting],
        "cloudProvider" => t[Vocabulary.CloudProvider],
        "designated" => t[Vocabulary.Designated],
        "designationReason" => t[Vocabulary.DesignationReason],
        "designationTarget" => t[Vocabulary.DesignationTarget],
        "designationReasonNote" => t[Vocabulary.DesignationReasonNote],
        "regression" => t[Vocabulary.Regression],
        "regressionReason" => t[Vocabulary.RegressionReason],
        Readiness.Rules.AuditFields.EstimateCorrected => t["初期値（推定）の訂正（後退ではありません）", "Corrected the baseline estimate (not a regression)"],
        "status" => t[Vocabulary.SecurityStatus],
        "lastReviewed" => t[Vocabulary.LastReviewed],
        "evidence" => t[Vocabulary.Evidence],
        "stepCompletion" => t["作業ステップの完了率（公式データ）", "Steps completed (official data)"],
        "officialSteps" => t["作業ステップ（公式データ）", "Steps (official data)"],
        "listed" => t["該当見込み一覧に掲載", "On the designation list"],
        Readiness.Rules.AuditFields.LegacyText => t["記録（旧形式）", "Record (earlier format)"],
        _ => field,
    };

    /// <summary>
    /// An audited value in words: a closed set's label (phase, hosting, provider, reason, status), a flag as はい/いいえ,
    /// a date as yyyy/MM/dd, a share as a percentage; free text (a vendor, a reason) quoted 「…」 as it was typed;
    /// null as —. A value this page does not know is quoted as it is.
    /// </summary>
    public static string FieldValue(this UiText t, string field, object? value)
    {
        if (value is null)
        {
            return "—";
        }

        if (value is bool flag)
        {
            return flag ? t["はい", "Yes"] : t["いいえ", "No"];
        }

        var text = Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty;
        return field switch
        {
            "phase" => t.PhaseShort(text),
            "hosting" => t.Hosting(text),
            "cloudProvider" => t.CloudProvider(text),
            "designationReason" => t.Reason(text),
            "status" => t.SecurityStatus(text),
            "plannedGoLive" or "designationTarget" or "lastReviewed"
                when DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) => UiText.Date(day),
            "stepCompletion" when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var share) => t.Percent(share),
            "notApplicable" or "designated" or "regression" or "listed" or Readiness.Rules.AuditFields.EstimateCorrected when text is "true" or "false" => text == "true" ? t["はい", "Yes"] : t["いいえ", "No"],
            _ => $"「{text}」",
        };
    }
}
