using System.Collections.Immutable;
using System.Globalization;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Readiness.Catalog;
using Readiness.Rules;
using Readiness.Web.Api;
using Readiness.Web.Auth;
using Readiness.Web.Components.Access;

namespace Readiness.Web.Components.Edit;

/// <summary>
/// The municipality page's edit forms post here (plain HTML forms: no script needed). The route's code and the
/// caller's claims decide the tenant: the write policy (the API's <see cref="TenantAuthorizationHandler"/>) refuses
/// anyone but the municipality's own staff before the form is read, and <see cref="ReportingService"/> checks again.
/// Saved: 303 back to the page (the new version and the history show it). Not saved: the page again with the
/// person's input and the messages next to the fields (422 invalid, 409 someone else changed it first, 400 expired form).
/// </summary>
public static class EditEndpoints
{
    public static IEndpointRouteBuilder MapEditEndpoints(this IEndpointRouteBuilder app)
    {
        var edit = app.MapGroup("/municipalities/{code}").ExcludeFromDescription();
        edit.MapPost("/systems/{businessId}", SaveSystemAsync)
            .RequireAuthorization(ReadinessPolicies.MunicipalityWrite)
            .RequireRateLimiting(RateLimits.WritesPolicy)
            .WithMetadata(new RequireAntiforgeryTokenAttribute(), new RestoresDraftAttribute(), new KeepsWorkOnLanguageSwitchAttribute(), FormFieldLimits.Change,
                new FormPageAttribute("/municipalities/{code}#" + EditAnchors.System("{businessId}")));
        edit.MapPost("/security/{itemId}", SaveSecurityAsync)
            .RequireAuthorization(ReadinessPolicies.MunicipalityWrite)
            .RequireRateLimiting(RateLimits.WritesPolicy)
            .WithMetadata(new RequireAntiforgeryTokenAttribute(), new RestoresDraftAttribute(), new KeepsWorkOnLanguageSwitchAttribute(), FormFieldLimits.Change,
                new FormPageAttribute("/municipalities/{code}#" + EditAnchors.Security("{itemId}")));

        // Their GET (the address a failed post leaves in the location bar) is FormAddresses' as for every other form:
        // the post's policy, 303 to the form's page, or sign-in keeping the address's query (a breaker's finding,
        // round 45: an anonymous GET of its own lost ?language= on the way to sign-in).
        return app;
    }

    private static Task<IResult> SaveSystemAsync(HttpContext http, string code, string businessId, ReportingService reporting)
    {
        if (!ReadinessCatalog.Instance.IsMunicipality(code))
        {
            return Task.FromResult<IResult>(FormAnswers.NoMunicipality(code));
        }

        if (!ReadinessCatalog.Instance.BusinessIndex.ContainsKey(businessId))
        {
            return Task.FromResult<IResult>(FormAnswers.NotFound("businessId", businessId, "この業務はありません（20業務の英字ID、例 koseki）。", "There is no such business (one of the 20 business ids, e.g. koseki)."));
        }

        return SaveAsync(http, code, "system:" + businessId, EditFields.SystemFields, reporting, (values, errors) =>
        {
            var report = EditFields.ToSystemReport(values, errors);
            report = errors.Count > 0 ? report with { Given = EditFields.GivenBesides(EditFields.SystemFields, errors) } : report;
            return context => reporting.ReportSystemAsync(http.User, code, businessId, report, context);
        });
    }

    private static Task<IResult> SaveSecurityAsync(HttpContext http, string code, string itemId, ReportingService reporting)
    {
        if (!ReadinessCatalog.Instance.IsMunicipality(code))
        {
            return Task.FromResult<IResult>(FormAnswers.NoMunicipality(code));
        }

        if (!ReadinessCatalog.Instance.SecurityIndex.ContainsKey(itemId))
        {
            return Task.FromResult<IResult>(FormAnswers.NotFound("itemId", itemId, "このチェック項目はありません（例 SEC-2-01）。", "There is no such checklist item (e.g. SEC-2-01)."));
        }

        return SaveAsync(http, code, "security:" + itemId, EditFields.SecurityFields, reporting, (values, errors) =>
        {
            var report = EditFields.ToSecurityReport(values, errors);
            report = errors.Count > 0 ? report with { Given = EditFields.GivenBesides(EditFields.SecurityFields, errors) } : report;
            return context => reporting.ReportSecurityAsync(http.User, code, itemId, report, context);
        });
    }

    private static async Task<IResult> SaveAsync(
        HttpContext http, string code, string target, string[] fields, ReportingService reporting,
        Func<IReadOnlyDictionary<string, string?>, List<FieldMessage>, Func<ReportContext, Task<ReportResult>>> report)
    {
        // Without a valid antiforgery token the form is not even read (the framework refuses to).
        if (http.Features.Get<IAntiforgeryValidationFeature>() is not { IsValid: true })
        {
            return BadForm(code, target, new Dictionary<string, string?>(), 0);
        }

        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var values = EditFields.Values(form, fields);
        if (!long.TryParse(form["version"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            return BadForm(code, target, values, 0);
        }

        // The request id makes a double submission (a second click, a resent form) a replay instead of a conflict.
        var requestId = form["requestId"].ToString();
        var context = new ReportContext(version, requestId.Length is > 0 and <= ReportingService.MaxIdempotencyKeyLength ? requestId : null,
            http.Connection.RemoteIpAddress?.ToString());
        var errors = new List<FieldMessage>();
        var send = report(values, errors);
        if (errors.Count > 0)
        {
            // Every field's fault at once: the rules judge the fields the form could read (read only, nothing sent).
            var judged = await send(context with { DryRun = true });
            EditFields.WithRulesBesides(errors, judged.Status, judged.Errors);
            return Page(code, new EditSubmission(target, EditFailure.Invalid, values, errors, version), StatusCodes.Status422UnprocessableEntity);
        }

        var me = reporting.Caller(http.User)?.Subject;
        ReportResult result;
        ImmutableArray<TargetConflict> conflicts;
        if (LanguageSwitch.Requested(http) is not null)
        {
            // The refused form shown again in the other language (its input posted back): judged as the save judged
            // it, read only; nothing is sent. First a conflict on this target, as the save meets it first.
            var (now, pending) = await reporting.ConflictsNowAsync(code, version, [target], http.RequestAborted);
            if (now.Version > version && !pending.IsEmpty)
            {
                return Page(code, new EditSubmission(target, EditFailure.VersionConflict, values, [Conflict(version, now.Version, pending, me)], now.Version)
                {
                    StoredNow = StoredNow(now, target),
                }, StatusCodes.Status409Conflict);
            }

            // Then the reporting rules (a move back without its reason, a designation without its reason or target...)
            // against the record now, as the save on top of it would be judged. Nothing refuses it any more: nothing to
            // show again but the form's page.
            result = await send(context with { DryRun = true });
            if (result.Succeeded)
            {
                return FormAnswers.SeeOther(SignInReturn.FormPage(http));
            }

            conflicts = [];
        }
        else
        {
            // The form's version is the whole municipality's: a save to another system or item since is no conflict, so
            // the form is saved on top of it; only a change to this very target since the form was opened refuses it.
            (result, conflicts) = await reporting.ReportOnTopAsync(code, [target], context, send, http.RequestAborted);
        }

        switch (result.Status)
        {
            case ReportStatus.Accepted or ReportStatus.Replayed:
                var anchor = target.StartsWith("system:", StringComparison.Ordinal) ? EditAnchors.System(target[7..]) : EditAnchors.Security(target[9..]);
                // A save whose values are those stored is a confirmation (a report: the 30-day stale rule counts it): the
                // page says so, rather than a plain "saved" that leaves the person wondering what changed.
                var confirmed = SavedNotice.IsConfirmation(result.Changes);
                http.Response.Headers.Location =
                    $"/municipalities/{code}?saved={result.AppliedVersion?.ToString(CultureInfo.InvariantCulture)}{(confirmed ? "&confirmed=1" : null)}&target={Uri.EscapeDataString(target)}#{anchor}";
                return Results.StatusCode(StatusCodes.Status303SeeOther);
            case ReportStatus.Forbidden:
                return new RazorComponentResult<AccessDeniedDocument>(new
                {
                    MessageJa = result.Errors.FirstOrDefault()?.MessageJa ?? "更新する権限がありません。",
                    MessageEn = result.Errors.FirstOrDefault()?.MessageEn ?? "You may not change this.",
                }) { StatusCode = StatusCodes.Status403Forbidden };
            case ReportStatus.VersionConflict:
                var current = result.Record?.Version ?? version;
                return Page(code, new EditSubmission(target, EditFailure.VersionConflict, values, [Conflict(version, current, conflicts, me)], current)
                {
                    StoredNow = StoredNow(result.Record, target),
                }, StatusCodes.Status409Conflict);
            case ReportStatus.IdempotencyKeyReused:
                return Page(code, new EditSubmission(target, EditFailure.BadForm, values,
                    [new FieldMessage(string.Empty, "このフォームはすでに別の内容で送信されています。ページを再読み込みしてから、もう一度入力してください。",
                        "This form was already sent with other values. Reload the page and enter the change again.")], version), StatusCodes.Status409Conflict);
            default:
                var messages = result.Errors.Select(e => new FieldMessage(EditFields.FormField(e.Field), e.MessageJa, e.MessageEn)).ToList();
                return Page(code, new EditSubmission(target, EditFailure.Invalid, values, messages, version),
                    result.Status == ReportStatus.Invalid ? StatusCodes.Status422UnprocessableEntity : StatusCodes.Status400BadRequest);
        }
    }

    /// <summary>
    /// Why the form was not saved: who changed this very target after the version the form was opened at, when, and in
    /// which version (when the trail was read), in the words every form uses (<see cref="ConflictMessage"/>).
    /// </summary>
    private static FieldMessage Conflict(long version, long current, ImmutableArray<TargetConflict> conflicts, string? me) =>
        ConflictMessage.Of(version, current, conflicts, me,
            "入力内容は下に残しています。上の表と変更履歴で最新の内容を確認し、必要ならこのまま保存し直してください。",
            "Your input is kept below. Check the latest data in the table and history above, then save again if it is still right.");

    /// <summary>What is stored now for the target (the audit trail's fields), shown in the page's words so the person can compare without scrolling.</summary>
    private static ImmutableArray<AuditField> StoredNow(MunicipalityRecord? record, string target) =>
        target.StartsWith("system:", StringComparison.Ordinal)
            ? record?.FindSystem(target[7..]) is { } system ? AuditFields.Of(system) : []
            : record?.FindSecurityItem(target[9..]) is { } item ? AuditFields.Of(item) : [];

    private static RazorComponentResult<EditResponseDocument> BadForm(string code, string target, IReadOnlyDictionary<string, string?> values, long version) =>
        Page(code, new EditSubmission(target, EditFailure.BadForm, values,
            [new FieldMessage(string.Empty, "フォームの有効期限が切れたか、内容が正しくありません。ページを再読み込みしてから、もう一度入力してください。",
                "The form has expired or is not valid. Reload the page and enter the change again.")], version), StatusCodes.Status400BadRequest);

    private static RazorComponentResult<EditResponseDocument> Page(string code, EditSubmission submission, int status) =>
        new(new { Code = code, Submission = submission }) { StatusCode = status };
}

/// <summary>The element ids of the forms, so a redirect lands on the form that was saved.</summary>
public static class EditAnchors
{
    public static string System(string businessId) => "edit-system-" + businessId;

    public static string Security(string itemId) => "edit-security-" + itemId;
}

/// <summary>A target's name in both languages: "system:koseki" → 戸籍 / Family register; "security:SEC-2-01" → the item's id and title.</summary>
public static class TargetNames
{
    public static (string Ja, string En) Of(string target)
    {
        var catalog = ReadinessCatalog.Instance;
        if (target.StartsWith("system:", StringComparison.Ordinal) && catalog.BusinessIndex.TryGetValue(target[7..], out var b))
        {
            return ($"「{catalog.BusinessSystems[b].NameJa}」", $"'{catalog.BusinessSystems[b].NameEn}'");
        }

        if (target.StartsWith("security:", StringComparison.Ordinal) && catalog.SecurityIndex.TryGetValue(target[9..], out var i))
        {
            var item = catalog.SecurityItems[i];
            return ($"「{item.Id} {item.TitleJa}」", $"'{item.Id} {item.TitleEn}'");
        }

        return (target, target);
    }
}
