using System.Globalization;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Readiness.Catalog;
using Readiness.Web.Api;
using Readiness.Web.Auth;
using Readiness.Web.Components.Access;
using Readiness.Web.Imports;

namespace Readiness.Web.Components.Edit;

/// <summary>
/// The municipality page's Excel reporting forms (plain HTML forms, own staff only: the write policy refuses anyone
/// else before the form is read). POST /municipalities/{code}/template (multipart, field "file") answers the preview
/// page; POST …/template/apply (the file back as base64 in "content") applies it through <see cref="TemplateService"/>
/// and redirects (303) to the municipality page, or answers the page again with every error (nothing applied).
/// </summary>
public static class TemplateEndpoints
{
    public static IEndpointRouteBuilder MapTemplateEndpoints(this IEndpointRouteBuilder app)
    {
        var forms = app.MapGroup("/municipalities/{code}/template").ExcludeFromDescription()
            .RequireAuthorization(ReadinessPolicies.MunicipalityWrite)
            .RequireRateLimiting(RateLimits.WritesPolicy)
            .WithMetadata(new RequireAntiforgeryTokenAttribute(), new UploadLimit(ReportingWorkbook.MaxTemplateBytes));
        forms.MapPost(string.Empty, PreviewAsync).WithMetadata(new KeepsWorkOnLanguageSwitchAttribute());
        forms.MapPost("/apply", ApplyAsync);
        return app;
    }

    private static async Task<IResult> PreviewAsync(HttpContext http, string code, TemplateService templates)
    {
        if (!ReadinessCatalog.Instance.IsMunicipality(code))
        {
            return FormAnswers.NoMunicipality(code);
        }

        if (http.Features.Get<IAntiforgeryValidationFeature>() is not { IsValid: true })
        {
            return Page(code, null, [Expired], null, string.Empty, StatusCodes.Status400BadRequest);
        }

        (string Name, byte[] Bytes)? file;
        if (LanguageSwitch.Requested(http) is not null)
        {
            // The preview's language switch posts the file back as the apply form does (base64 "content"): the same
            // preview again in the other language. Without it (a refused upload's page) there is nothing to show again.
            var form = await http.Request.ReadFormAsync(http.RequestAborted);
            if (Kept(form["content"].ToString()) is not { } kept || form["fileName"].ToString().Length > MaxFileNameChars)
            {
                return FormAnswers.SeeOther(SignInReturn.FormPage(http));
            }

            file = (form["fileName"].ToString(), kept);
        }
        else
        {
            (file, var problem) = await ImportsApi.ReadFileAsync(http, ReportingWorkbook.MaxTemplateBytes);
            if (file is null)
            {
                return Page(code, null, Errors(problem!), null, string.Empty, problem!.StatusCode);
            }
        }

        var (preview, error) = await templates.PreviewAsync(http.User, code, file.Value.Name, file.Value.Bytes, http.RequestAborted);
        if (preview is null)
        {
            return Page(code, null, [error!], null, file.Value.Name, OfficialWorkbook.Status(error!));
        }

        var content = Convert.ToBase64String(file.Value.Bytes);
        LanguageSwitch.Keep(http, [new("content", content), new("fileName", file.Value.Name)]);
        return Page(code, preview, [.. preview.Errors.Select(TemplateService.Problem)], content, file.Value.Name, StatusCodes.Status200OK);
    }

    /// <summary>The longest file name a kept preview posts back (file systems' 255, with room): longer is no kept preview.</summary>
    private const int MaxFileNameChars = 260;

    private static byte[]? Kept(string content)
    {
        try
        {
            return content.Length == 0 ? null : Convert.FromBase64String(content);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static async Task<IResult> ApplyAsync(HttpContext http, string code, TemplateService templates)
    {
        if (!ReadinessCatalog.Instance.IsMunicipality(code))
        {
            return FormAnswers.NoMunicipality(code);
        }

        if (http.Features.Get<IAntiforgeryValidationFeature>() is not { IsValid: true })
        {
            return Page(code, null, [Expired], null, string.Empty, StatusCodes.Status400BadRequest);
        }

        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var fileName = form["fileName"].ToString();
        if (fileName.Length > MaxFileNameChars)
        {
            // Not a name the preview kept: refused without showing it again (a crafted one could be megabytes).
            return Page(code, null, [Expired], null, string.Empty, StatusCodes.Status400BadRequest);
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(form["content"].ToString());
        }
        catch (FormatException)
        {
            return Page(code, null, [Expired], null, fileName, StatusCodes.Status400BadRequest);
        }

        var outcome = await templates.ApplyAsync(http.User, code, fileName, bytes, http.Connection.RemoteIpAddress?.ToString(), minimal: false, ifMatch: null, http.RequestAborted);
        if (outcome.Result is { Succeeded: true } result)
        {
            // A file that changed nothing was recorded as a confirmation: the page says so, as the forms do.
            http.Response.Headers.Location =
                $"/municipalities/{code}?saved={(result.AppliedVersion ?? result.Record!.Version).ToString(CultureInfo.InvariantCulture)}{(SavedNotice.IsConfirmation(result.Changes) ? "&confirmed=1" : null)}&target=template#excel";
            return Results.StatusCode(StatusCodes.Status303SeeOther);
        }

        if (outcome.Status == StatusCodes.Status403Forbidden)
        {
            return new RazorComponentResult<AccessDeniedDocument>(new
            {
                MessageJa = outcome.Errors.Count > 0 ? outcome.Errors[0].MessageJa : "更新する権限がありません。",
                MessageEn = outcome.Errors.Count > 0 ? outcome.Errors[0].MessageEn : "You may not change this.",
            }) { StatusCode = StatusCodes.Status403Forbidden };
        }

        return Page(code, null, outcome.Errors, null, fileName, outcome.Status);
    }

    private static readonly ProblemError Expired = new("form", "expired_form",
        "フォームの有効期限が切れたか、内容が正しくありません。ページを再読み込みしてから、もう一度アップロードしてください。",
        "The form has expired or is not valid. Reload the page and upload the file again.");

    private static IReadOnlyList<ProblemError> Errors(ProblemHttpResult problem) =>
        problem.ProblemDetails.Extensions.TryGetValue("errors", out var e) && e is IEnumerable<ProblemError> list ? [.. list] : [Expired];

    // A file refused as too large (413) is not kept: its page names no file and asks to choose it again (MainLayout).
    private static RazorComponentResult<TemplatePreviewDocument> Page(string code, TemplatePreview? preview, IReadOnlyList<ProblemError> errors, string? content, string fileName, int status) =>
        new(new { Code = code, Preview = preview, Errors = errors, Content = content, FileName = status == StatusCodes.Status413PayloadTooLarge ? string.Empty : fileName }) { StatusCode = status };
}
