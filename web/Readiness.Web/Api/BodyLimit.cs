using Microsoft.AspNetCore.Http.HttpResults;
using Readiness.Rules;

namespace Readiness.Web.Api;

/// <summary>
/// What a JSON request body may weigh at an endpoint, and what its 413 advises, by the kind of body and by what was
/// sent: every reader of a JSON body names its kind (<see cref="JsonBody.ReadAsync{T}"/>), so the advice fits. A
/// breaker's finding: a single system's PUT was told to "split the report", which it cannot; and one whose text was
/// plain ASCII was told not to \u-escape Japanese it never sent: the UTF-8 advice is given when the body's start holds
/// \u-escaped text, offered as a condition when the body could not be looked at, and left out otherwise. File uploads
/// have their own limit and words (<see cref="Imports.UploadLimit"/>, <see cref="Imports.OfficialWorkbook.TooLarge"/>).
/// </summary>
/// <param name="MaxBytes">The most bytes taken, as sent (UTF-8).</param>
/// <param name="ShortenJa">How to fit by shortening, in Japanese: follows 「本文が大きすぎます（上限 … KiB）。」 (may be empty).</param>
/// <param name="ShortenEn">The same in English.</param>
/// <param name="SplitJa">What to do if it is still too large, in Japanese (a report: split it); empty when nothing can be split.</param>
/// <param name="SplitEn">The same in English.</param>
public sealed record BodyLimit(int MaxBytes, string ShortenJa, string ShortenEn, string SplitJa = "", string SplitEn = "")
{
    // Japanese escaped as \uXXXX is 6 bytes a character where UTF-8 is 3: some libraries escape by default.
    private const string Utf8Ja = "日本語が \\u3042 のようにエスケープされています。UTF-8 のまま送ってください（エスケープは1文字6バイト、UTF-8 なら3バイトです。例: Python は json.dumps(..., ensure_ascii=False)）。";
    private const string Utf8En = "Japanese text is \\u-escaped: send it as raw UTF-8 (\\u3042 takes 6 bytes a character, UTF-8 takes 3; e.g. Python's json.dumps(..., ensure_ascii=False)).";
    private const string MaybeUtf8Ja = "日本語を \\u3042 のようにエスケープして送っている場合は、UTF-8 のまま送ってください（エスケープは1文字6バイト、UTF-8 なら3バイトです。例: Python は json.dumps(..., ensure_ascii=False)）。";
    private const string MaybeUtf8En = "If Japanese text is sent \\u-escaped, send it as raw UTF-8 instead (\\u3042 takes 6 bytes a character, UTF-8 takes 3; e.g. Python's json.dumps(..., ensure_ascii=False)).";

    /// <summary>One business system or one checklist item (PUT/PATCH, a municipality's or a prefecture's own): 256 KiB, far above its longest texts; nothing to split.</summary>
    public static readonly BodyLimit OneRecord = new(JsonBody.MaxBodyBytes,
        $"1つの業務・項目の本文です。文字列を短くしてください（vendor は{ChangeRules.MaxVendorLength}文字、regressionReason と designationReasonNote は{ChangeRules.MaxReasonLength}文字、evidence は{ChangeRules.MaxEvidenceLength}文字まで）。",
        $"This is the body of one system or checklist item: shorten its text (vendor at most {ChangeRules.MaxVendorLength} characters, regressionReason and designationReasonNote {ChangeRules.MaxReasonLength}, evidence {ChangeRules.MaxEvidenceLength}).");

    /// <summary>A whole report (POST …/reports): 256 KiB; what does not fit can be split into several reports.</summary>
    public static readonly BodyLimit Report = new(JsonBody.MaxBodyBytes, string.Empty, string.Empty,
        "報告を複数に分けて送ってください（業務・項目を分けて）。", "Split the report into several requests (some systems and items in each).");

    /// <summary>A small JSON document (sign-in, an API client, notification settings, a webhook, a scenario): 16 KiB.</summary>
    public static readonly BodyLimit Small = new(JsonBody.SmallBodyBytes,
        "この API の本文は小さな JSON です。文字列を短くしてください。",
        "This endpoint takes a small JSON document: shorten its text.");

    /// <summary>The 413's words for a body that held \u-escaped Japanese (the OpenAPI example uses them).</summary>
    public (string Ja, string En) Messages => MessagesFor(escaped: true);

    /// <summary>
    /// The 413's words in Japanese and English: <paramref name="escaped"/> true when the body's start held
    /// \u-escaped text (the UTF-8 advice first), false when it held none (no such advice), null when it could not be
    /// looked at (the advice as a condition).
    /// </summary>
    public (string Ja, string En) MessagesFor(bool? escaped)
    {
        var (utf8Ja, utf8En) = escaped switch { true => (Utf8Ja, Utf8En), false => (string.Empty, string.Empty), null => (MaybeUtf8Ja, MaybeUtf8En) };
        var (thenJa, thenEn) = SplitJa.Length == 0 ? (string.Empty, string.Empty)
            : utf8Ja.Length == 0 ? (SplitJa, SplitEn) : ("それでも大きい場合は、" + SplitJa, "If it is still too large, " + char.ToLowerInvariant(SplitEn[0]) + SplitEn[1..]);
        return (
            $"本文が大きすぎます（上限 {MaxBytes / 1024} KiB）。{ShortenJa}{utf8Ja}{thenJa}",
            string.Join(' ', new[] { $"The body is too large (at most {MaxBytes / 1024} KiB).", ShortenEn, utf8En, thenEn }.Where(p => p.Length > 0)));
    }

    /// <summary>
    /// 413 <c>too_large</c> with this kind's advice for what was sent: naming "body" (<see cref="MessagesFor"/>), or, for a
    /// body that can be split (a report) holding one value far over its member's length (<paramref name="longValue"/>),
    /// naming that value: splitting would leave it as it is, so the advice is to shorten it.
    /// </summary>
    public ProblemHttpResult TooLarge(bool? escaped, LongValue? longValue = null)
    {
        if (SplitJa.Length > 0 && longValue is { } value)
        {
            var size = (Math.Max(1, value.Bytes / 1024)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var (atLeastJa, atLeastEn) = value.Cut ? ("以上", " or more") : (string.Empty, string.Empty);
            var name = value.Member ?? value.Path;
            return Problems.Create(StatusCodes.Status413PayloadTooLarge, "Payload too large", value.Path, "too_large",
                $"本文が大きすぎます（上限 {MaxBytes / 1024} KiB）。{value.Path} の値だけで約 {size} KiB{atLeastJa}あります（{name} は{value.MaxCharacters}文字まで）。この値を短くしてください（報告を分けても、この値は小さくなりません）。",
                $"The body is too large (at most {MaxBytes / 1024} KiB): the value of {value.Path} alone is about {size} KiB{atLeastEn} ({name} takes at most {value.MaxCharacters} characters). Shorten that value; splitting the report would not make it smaller.");
        }

        var (ja, en) = MessagesFor(escaped);
        return Problems.Create(StatusCodes.Status413PayloadTooLarge, "Payload too large", "body", "too_large", ja, en);
    }
}
