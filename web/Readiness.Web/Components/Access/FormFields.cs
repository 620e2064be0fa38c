using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Readiness.Web.Components.Access;

/// <summary>
/// One rule for the fields of every form post outside /api (URL-encoded or multipart; the dashboard's forms, the
/// account, admin, import, planning and notification forms, sign-in and sign-out, the one-click unsubscribe), as the
/// query string has (<see cref="Api.RepeatedParameters"/>) and a JSON body has (<c>duplicate_property</c>, <c>invalid_utf8</c>):
/// a field given more than once (<c>phase=a&amp;phase=b</c>; names compared ignoring case, as the form reader merges
/// them; a file counts as a field) is refused naming it, never read as "a,b" or as one of them; a field whose bytes
/// are not UTF-8 (URL-encoded, percent-decoded, or a multipart text part in UTF-8) is refused naming it, never read
/// as U+FFFD in silence. No form of the product has a field that takes several values (its check boxes each have their
/// own name), so the rule has no exceptions.
/// </summary>
public static class FormFields
{
    public const string RepeatedCode = "repeated_field";

    /// <summary>The first field of <paramref name="form"/> given more than once (text values and files together), or null.</summary>
    public static string? FirstRepeated(IFormCollection form)
    {
        foreach (var (name, values) in form)
        {
            if (values.Count + form.Files.Count(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase)) > 1)
            {
                return name;
            }
        }

        return form.Files.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1)?.Key;
    }

    /// <summary>
    /// The name of the first field of a form body whose bytes are not UTF-8: a URL-encoded pair of a kept (seekable)
    /// body, its name as sent (<see cref="Api.RepeatedParameters.FirstNotUtf8(ReadOnlySpan{byte})"/>), or a multipart
    /// part that is not a file and is sent with no charset or UTF-8, its name, as found when the body was read
    /// (<see cref="Api.MultipartForm"/>, never read again). Null when every one is, or the body is neither.
    /// </summary>
    public static async Task<string?> FirstNotUtf8Async(HttpRequest request)
    {
        if (Api.MultipartForm.Read(request.HttpContext) is { } multipart)
        {
            return multipart.NotUtf8; // checked as it was read, once
        }

        if (!request.Body.CanSeek || !MediaTypeHeaderValue.TryParse(request.ContentType, out var type))
        {
            return null;
        }

        var cancellationToken = request.HttpContext.RequestAborted;
        request.Body.Position = 0;
        try
        {
            if (type.MediaType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
            {
                using var buffer = new MemoryStream();
                await request.Body.CopyToAsync(buffer, cancellationToken);
                return Api.RepeatedParameters.FirstNotUtf8(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
            }
        }
        catch (IOException)
        {
            // The framework read the form already; a body it could read and this reader cannot is left to the endpoint.
        }
        finally
        {
            request.Body.Position = 0;
        }

        return null;
    }

    /// <summary>
    /// The refusal of a form post whose fields break the rule, or null: the 400 form page naming the field (a browser:
    /// <see cref="FormAnswers.WantsPage"/> or <paramref name="page"/>), else problem details naming it. Reads the form
    /// (cached when antiforgery has read it); a form that cannot be read is left to the endpoint (null).
    /// </summary>
    public static async Task<IResult?> RefusalAsync(HttpContext http, bool page)
    {
        if (!http.Request.HasFormContentType)
        {
            return null; // a page's GET, or a body that is no form (the endpoint answers it)
        }

        IFormCollection form;
        try
        {
            form = await http.Request.ReadFormAsync(http.RequestAborted);
        }
        catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException or IOException)
        {
            if (http.Request.Body.CanSeek)
            {
                http.Request.Body.Position = 0;
            }

            return null;
        }

        page |= FormAnswers.WantsPage(http);
        if (FirstRepeated(form) is { } repeated)
        {
            var shown = Api.Problems.Shown(repeated, 64);
            return page
                ? FormAnswers.InvalidField(shown, "同じ項目が2回以上送られています。1回だけ送ってください。", "the field is sent more than once; send it once.")
                : Api.Problems.BadRequest(Api.Problems.Named(repeated), RepeatedCode,
                    $"フォームの項目「{shown}」が2回以上送られています。1回だけ送ってください。何も変更していません。",
                    $"The form field '{shown}' is sent more than once; send it once. Nothing was changed.");
        }

        if (await FirstNotUtf8Async(http.Request) is { } notUtf8Name)
        {
            var notUtf8 = Api.Problems.Named(notUtf8Name);
            return page
                ? FormAnswers.InvalidField(notUtf8, "UTF-8 として正しくないバイト列が含まれています。入力し直してください。", "the value holds bytes that are not UTF-8; type it again.")
                : Api.Problems.BadRequest(notUtf8, Api.RepeatedParameters.NotUtf8Code,
                    $"フォームの項目「{notUtf8}」が UTF-8 として正しくないバイト列を含んでいます。何も変更していません。",
                    $"The form field '{notUtf8}' holds bytes that are not UTF-8. Nothing was changed.");
        }

        return null;
    }

    /// <summary>Whether a form post outside /api is read by this rule: a POST with a form body to an endpoint of the product, but not the OAuth token endpoint (RFC 6749's own errors: ClientsSetup).</summary>
    public static bool Applies(HttpContext http) =>
        HttpMethods.IsPost(http.Request.Method)
        && http.Request.HasFormContentType
        && !http.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase)
        && !http.Request.Path.Equals(Clients.ClientsSetup.TokenPath, StringComparison.OrdinalIgnoreCase)
        && http.GetEndpoint() is RouteEndpoint; // not the framework's 405/415 endpoints, which answer themselves

    private static bool Utf8Part(string? contentType) =>
        contentType is null
        || !MediaTypeHeaderValue.TryParse(contentType, out var type)
        || !type.Charset.HasValue
        || type.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)
        || type.Charset.Equals("utf8", StringComparison.OrdinalIgnoreCase);
}
