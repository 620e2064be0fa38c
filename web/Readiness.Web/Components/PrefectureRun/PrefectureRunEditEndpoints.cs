using System.Collections.Immutable;
using System.Globalization;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Readiness.Catalog;
using Readiness.Rules;
using Readiness.Web.Api;
using Readiness.Web.Auth;
using Readiness.Web.Components.Access;
using Readiness.Web.Components.Edit;

namespace Readiness.Web.Components.PrefectureRun;

/// <summary>
/// The prefecture page's forms for the businesses the prefecture runs itself post here (plain HTML forms). The write
/// policy refuses anyone but the prefecture's own staff before the form is read; <see cref="PrefectureRunService"/>
/// checks again. Saved: 303 back to the page's section. Not saved: the page again with the input and the messages
/// next to the fields (422 invalid, 409 changed since the form was opened: by whom, when, which version; 400 expired form).
/// </summary>
public static class PrefectureRunEditEndpoints
{
    /// <summary>The fields the form shows, a municipality's system form's (EditFields.SystemFields): 対象外 and the CSP too.</summary>
    private static readonly string[] FormFields = EditFields.SystemFields;

    public static IEndpointRouteBuilder MapPrefectureRunEditEndpoints(this IEndpointRouteBuilder app)
    {
        var edit = app.MapGroup("/prefectures/{prefCode}/systems").ExcludeFromDescription();
        edit.MapPost("/{businessId}", SaveAsync)
            .RequireAuthorization(ReadinessPolicies.PrefectureRunWrite)
            .RequireRateLimiting(RateLimits.WritesPolicy)
            .WithMetadata(new RequireAntiforgeryTokenAttribute(), new RestoresDraftAttribute(), new KeepsWorkOnLanguageSwitchAttribute(), FormFieldLimits.Change,
                new FormPageAttribute("/prefectures/{prefCode}#" + PrefectureRunPanel.Anchor("{businessId}")));
        return app;
    }

    private static async Task<IResult> SaveAsync(HttpContext http, string prefCode, string businessId, PrefectureRunService service)
    {
        if (!ReadinessCatalog.Instance.PrefecturesByCode.ContainsKey(prefCode))
        {
            return FormAnswers.NotFound("prefCode", prefCode, "この都道府県コードはありません（2桁、01〜47、例 13）。", "There is no such prefecture code (two digits, 01–47, e.g. 13).");
        }

        if (!ReadinessCatalog.IsPrefectureRun(businessId))
        {
            return FormAnswers.NotFound("businessId", businessId, "都道府県が自ら行う業務にこのIDはありません（例 public_assistance）。", "There is no business the prefecture runs itself with this id (e.g. public_assistance).");
        }

        var target = "system:" + businessId;
        if (http.Features.Get<IAntiforgeryValidationFeature>() is not { IsValid: true })
        {
            return Page(prefCode, new EditSubmission(target, EditFailure.BadForm, new Dictionary<string, string?>(), [Expired], 0), StatusCodes.Status400BadRequest);
        }

        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var values = EditFields.Values(form, EditFields.SystemFields);
        if (!long.TryParse(form["version"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            return Page(prefCode, new EditSubmission(target, EditFailure.BadForm, values, [Expired], 0), StatusCodes.Status400BadRequest);
        }

        var errors = new List<FieldMessage>();
        // 「未報告」 (empty) keeps a system never reported as it is; for one reported it is refused (422 naming phase, below).
        var report = EditFields.ToSystemReport(values, errors, emptyPhaseKeeps: true) with { Given = EditFields.GivenBesides(FormFields, errors) };
        if (errors.Count > 0)
        {
            // Every field's fault at once: the rules judge the fields the form could read (read only, nothing sent).
            var judged = await service.ReportSystemAsync(http.User, prefCode, businessId, report, new ReportContext(version, null, http.Connection.RemoteIpAddress?.ToString()) { DryRun = true });
            EditFields.WithRulesBesides(errors, judged.Status, judged.Errors);
            return Page(prefCode, new EditSubmission(target, EditFailure.Invalid, values, errors, version), StatusCodes.Status422UnprocessableEntity);
        }

        // The request id makes a double submission (a second click, a resent form) a replay instead of a conflict.
        var requestId = form["requestId"].ToString();
        var context = new ReportContext(version, requestId.Length is > 0 and <= ReportingService.MaxIdempotencyKeyLength ? requestId : null,
            http.Connection.RemoteIpAddress?.ToString());
        var me = service.Caller(http.User)?.Subject;
        PrefectureRunResult result;
        if (LanguageSwitch.Requested(http) is not null)
        {
            // The refused form shown again in the other language (its input posted back), read only: still a conflict
            // when the prefecture's systems changed since the form's version (the save checks that first)...
            var (now, conflicts) = await service.ConflictsNowAsync(prefCode, version, http.RequestAborted);
            if (now.Version != version)
            {
                return Conflict(prefCode, target, values, version, now.Version, conflicts, me);
            }

            // ...then the reporting rules (a move back without its reason, a designation without its reason or
            // target...) as the save judges them. Nothing refuses it any more: nothing to show but the page.
            result = await service.ReportSystemAsync(http.User, prefCode, businessId, report, context with { DryRun = true });
            if (result.Succeeded)
            {
                return FormAnswers.SeeOther(SignInReturn.FormPage(http));
            }
        }
        else
        {
            result = await service.ReportSystemAsync(http.User, prefCode, businessId, report, context);
        }

        switch (result.Status)
        {
            case ReportStatus.Accepted or ReportStatus.Replayed:
                // A save whose values are those stored is a confirmation (the trail's entry has before = after): the page
                // says so, as the municipality's form does (EditEndpoints), from the save's own entries.
                var confirmed = SavedNotice.IsConfirmation(result.Changes);
                http.Response.Headers.Location = $"/prefectures/{prefCode}?saved={result.Record!.Version.ToString(CultureInfo.InvariantCulture)}{(confirmed ? "&confirmed=1" : null)}&target={Uri.EscapeDataString(target)}#{PrefectureRunPanel.Anchor(businessId)}";
                return Results.StatusCode(StatusCodes.Status303SeeOther);
            case ReportStatus.Forbidden:
                return new RazorComponentResult<AccessDeniedDocument>(new
                {
                    MessageJa = result.Errors.FirstOrDefault()?.MessageJa ?? "更新する権限がありません。",
                    MessageEn = result.Errors.FirstOrDefault()?.MessageEn ?? "You may not change this.",
                }) { StatusCode = StatusCodes.Status403Forbidden };
            case ReportStatus.VersionConflict:
                var current = result.Record?.Version ?? version;
                // Who saved since, when and in which version, read from the trail (the person themself in another tab, or others).
                var since = result.Record is { } record ? await service.ConflictsSinceAsync(record, version, http.RequestAborted) : [];
                return Conflict(prefCode, target, values, version, current, since, me);
            case ReportStatus.IdempotencyKeyReused:
                return Page(prefCode, new EditSubmission(target, EditFailure.BadForm, values,
                    [new FieldMessage(string.Empty, "このフォームはすでに別の内容で送信されています。ページを再読み込みしてから、もう一度入力してください。",
                        "This form was already sent with other values. Reload the page and enter the change again.")], version), StatusCodes.Status409Conflict);
            default:
                var messages = result.Errors.Select(e => new FieldMessage(EditFields.FormField(e.Field), e.MessageJa, e.MessageEn)).ToList();
                // A reported phase taken back to 「未報告」 is the input's fault, as any other refused value: 422 (the API says 400).
                var invalid = result.Status == ReportStatus.Invalid || result.Errors.Contains(PrefectureRunService.ReportedPhaseKept);
                return Page(prefCode, new EditSubmission(target, EditFailure.Invalid, values, messages, version),
                    invalid ? StatusCodes.Status422UnprocessableEntity : StatusCodes.Status400BadRequest);
        }
    }

    private static readonly FieldMessage Expired = new(string.Empty, "フォームの有効期限が切れたか、内容が正しくありません。ページを再読み込みしてから、もう一度入力してください。",
        "The form has expired or is not valid. Reload the page and enter the change again.");

    /// <summary>
    /// The 409 page: the input kept, and who saved since (<paramref name="conflicts"/>: the targets changed after
    /// <paramref name="version"/>, from the trail), when and in which version, in the municipality form's words.
    /// </summary>
    private static RazorComponentResult<PrefectureRunResponseDocument> Conflict(
        string prefCode, string target, IReadOnlyDictionary<string, string?> values, long version, long current, ImmutableArray<TargetConflict> conflicts, string? me) =>
        Page(prefCode, new EditSubmission(target, EditFailure.VersionConflict, values,
            [ConflictMessage.Of(version, current, conflicts, me,
                "入力内容は下に残しています。最新の内容を確認し、必要ならこのまま保存し直してください。",
                "Your input is kept below. Check the latest data, then save again if it is still right.")],
            current), StatusCodes.Status409Conflict);

    private static RazorComponentResult<PrefectureRunResponseDocument> Page(string code, EditSubmission submission, int status) =>
        new(new { Code = code, Submission = submission }) { StatusCode = status };
}
