using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Net.Http.Headers;

namespace Readiness.Web.Api;

/// <summary>
/// The media type and charset of request bodies, checked in one place for every endpoint that accepts JSON (its
/// <see cref="IAcceptsMetadata"/>): a type the endpoint does not accept is 415 naming it and the accepted ones; a
/// charset other than UTF-8 is 415 naming the encoding (RFC 8259 §8.1: JSON exchanged between systems is UTF-8), so
/// a Shift_JIS body is never read as broken UTF-8 and reported as a wrong value.
/// </summary>
public static class MediaTypes
{
    public const string Json = "application/json";
    public const string MergePatch = "application/merge-patch+json";

    /// <summary>Null when <paramref name="contentType"/> is one of <paramref name="accepted"/> (parameters aside) with no charset or UTF-8; otherwise the 415.</summary>
    public static ProblemHttpResult? Check(string? contentType, IReadOnlyList<string> accepted)
    {
        var list = string.Join(", ", accepted);
        if (contentType is null || !MediaTypeHeaderValue.TryParse(contentType, out var parsed)
            || !accepted.Any(a => parsed.MediaType.Equals(a, StringComparison.OrdinalIgnoreCase)))
        {
            return Problems.Create(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Content-Type", "unsupported_media_type",
                $"本文は {list} で送ってください（「{Problems.Truncate(contentType ?? "なし")}」は使えません）。",
                $"Send the body as {list}, not '{Problems.Truncate(contentType ?? "none")}'.");
        }

        if (DuplicateParameter(contentType) is { } duplicate)
        {
            return duplicate;
        }

        var charset = parsed.Charset.HasValue ? parsed.Charset.Value!.Trim('"') : null;
        if (charset is not null && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            return Problems.Create(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Content-Type", "unsupported_charset",
                $"文字コード「{Problems.Truncate(charset)}」は使えません。本文は UTF-8 で送ってください（Content-Type: {accepted[0]}; charset=utf-8）。",
                $"The charset '{Problems.Truncate(charset)}' is not accepted: the body must be UTF-8 (Content-Type: {accepted[0]}; charset=utf-8).");
        }

        return null;
    }

    /// <summary>
    /// 400 <c>duplicate_parameter</c> naming Content-Type when a parameter is given twice (<c>application/json;
    /// charset=utf-8; charset=latin1</c>, <c>multipart/form-data; boundary=a; boundary=b</c>): RFC 6838 §4.3 makes
    /// that an error, and taking either one would read the body in a way the sender may not have meant. Null otherwise
    /// (also when the header is absent or does not parse: that is the media type check's to name).
    /// </summary>
    public static ProblemHttpResult? DuplicateParameter(string? contentType)
    {
        if (contentType is null || !MediaTypeHeaderValue.TryParse(contentType, out var parsed))
        {
            return null;
        }

        var twice = parsed.Parameters.GroupBy(p => p.Name.ToString(), StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1)?.Key;
        return twice is null ? null : Problems.BadRequest("Content-Type", "duplicate_parameter",
            $"Content-Type のパラメーター「{Problems.Truncate(twice)}」が2回以上指定されています。1回だけ指定してください（「{Problems.Truncate(contentType)}」）。",
            $"The Content-Type parameter '{Problems.Truncate(twice)}' is given more than once; give it once ('{Problems.Truncate(contentType)}').");
    }

    /// <summary>
    /// Middleware (after authorization, so strangers learn nothing): for an endpoint that accepts JSON, a request
    /// with a body, or a PUT/POST/PATCH, must send an accepted JSON type in UTF-8. PATCH refusals carry Accept-Patch (RFC 5789 §2.2).
    /// </summary>
    public static async Task Enforce(HttpContext http, RequestDelegate next)
    {
        var accepts = http.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>();
        var request = http.Request;

        // Any body the API reads (JSON, a multipart upload): a parameter given twice is refused before anyone picks one.
        if ((request.Path.StartsWithSegments("/api") || request.Path.StartsWithSegments("/auth")) && DuplicateParameter(request.ContentType) is { } duplicate)
        {
            await duplicate.ExecuteAsync(http);
            return;
        }

        var hasBody = request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0
            || HttpMethods.IsPut(request.Method) || HttpMethods.IsPost(request.Method) || HttpMethods.IsPatch(request.Method);
        if (accepts is { ContentTypes.Count: > 0 } && hasBody && accepts.ContentTypes.Any(IsJson) && Check(request.ContentType, accepts.ContentTypes) is { } problem)
        {
            if (accepts.ContentTypes.Contains(MergePatch, StringComparer.OrdinalIgnoreCase))
            {
                http.Response.Headers["Accept-Patch"] = MergePatch;
            }

            await problem.ExecuteAsync(http);
            return;
        }

        await next(http);
    }

    private static bool IsJson(string mediaType) =>
        mediaType.Equals(Json, StringComparison.OrdinalIgnoreCase) || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
}
