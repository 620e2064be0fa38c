using Microsoft.AspNetCore.Http.HttpResults;
using Readiness.Rules;

namespace Readiness.Web.Api;

/// <summary>
/// What a JSON request body may weigh at an endpoint, and what its 413 advises, by the kind of body: every reader of a
/// JSON body names its kind (<see cref="JsonBody.ReadAsync{T}"/>), so the advice fits what was sent. A breaker's
/// finding: a single system's PUT was told to "split the report", which it cannot. File uploads have their own limit
/// and words (<see cref="Imports.UploadLimit"/>, <see cref="Imports.OfficialWorkbook.TooLarge"/>).
/// </summary>
/// <param name="MaxBytes">The most bytes taken, as sent (UTF-8).</param>
/// <param name="AdviceJa">How to fit, in Japanese: follows 「本文が大きすぎます（上限 … KiB）。」.</param>
/// <param name="AdviceEn">The same in English.</param>
public sealed record BodyLimit(int MaxBytes, string AdviceJa, string AdviceEn)
{
    // Japanese escaped as \uXXXX is 6 bytes a character where UTF-8 is 3: some libraries escape by default.
    private const string Utf8Ja = "日本語は \\u3042 のようにエスケープせず UTF-8 のまま送ってください（エスケープは1文字6バイト、UTF-8 なら3バイトです。例: Python は json.dumps(..., ensure_ascii=False)）。";
    private const string Utf8En = "Send Japanese text as raw UTF-8, not \\u-escaped (\\u3042 takes 6 bytes a character, UTF-8 takes 3; e.g. Python's json.dumps(..., ensure_ascii=False)).";

    /// <summary>One business system or one checklist item (PUT/PATCH, a municipality's or a prefecture's own): 256 KiB, far above its longest texts; nothing to split.</summary>
    public static readonly BodyLimit OneRecord = new(JsonBody.MaxBodyBytes,
        $"1つの業務・項目の本文です。文字列を短くしてください（vendor は{ChangeRules.MaxVendorLength}文字、regressionReason と designationReasonNote は{ChangeRules.MaxReasonLength}文字、evidence は{ChangeRules.MaxEvidenceLength}文字まで）。{Utf8Ja}",
        $"This is the body of one system or checklist item: shorten its text (vendor at most {ChangeRules.MaxVendorLength} characters, regressionReason and designationReasonNote {ChangeRules.MaxReasonLength}, evidence {ChangeRules.MaxEvidenceLength}). {Utf8En}");

    /// <summary>A whole report (POST …/reports): 256 KiB; what does not fit as UTF-8 can be split into several reports.</summary>
    public static readonly BodyLimit Report = new(JsonBody.MaxBodyBytes,
        $"{Utf8Ja}それでも大きい場合は、報告を複数に分けて送ってください（業務・項目を分けて）。",
        $"{Utf8En} If it is still too large, split the report into several requests (some systems and items in each).");

    /// <summary>A small JSON document (sign-in, an API client, notification settings, a webhook, a scenario): 16 KiB.</summary>
    public static readonly BodyLimit Small = new(JsonBody.SmallBodyBytes,
        $"この API の本文は小さな JSON です。文字列を短くしてください。{Utf8Ja}",
        $"This endpoint takes a small JSON document: shorten its text. {Utf8En}");

    /// <summary>The 413's words in Japanese and English (the OpenAPI example uses them too).</summary>
    public (string Ja, string En) Messages => (
        $"本文が大きすぎます（上限 {MaxBytes / 1024} KiB）。{AdviceJa}",
        $"The body is too large (at most {MaxBytes / 1024} KiB). {AdviceEn}");

    /// <summary>413 <c>too_large</c> naming "body", with this kind's advice.</summary>
    public ProblemHttpResult TooLarge() =>
        Problems.Create(StatusCodes.Status413PayloadTooLarge, "Payload too large", "body", "too_large", Messages.Ja, Messages.En);
}
