using Microsoft.Extensions.Primitives;

namespace Readiness.Web.Api;

/// <summary>
/// Request bodies are read as sent, never decoded: a body with a <c>Content-Encoding</c> other than <c>identity</c>
/// (gzip, br, deflate, anything) on an /api endpoint is 415 <c>content_encoding_unsupported</c> naming the header, with
/// <c>Accept-Encoding: identity</c> (RFC 9110 §15.5.16, RFC 7694 §3), before any reader sees it. Without this the
/// compressed bytes were parsed as JSON or CSV and refused with a message about a value the client never sent.
/// </summary>
public static class ContentEncodings
{
    public const string Code = "content_encoding_unsupported";

    /// <summary>The coding named (the header's whole value) when it is not identity; null when absent or identity.</summary>
    public static string? Refused(StringValues contentEncoding)
    {
        foreach (var value in contentEncoding)
        {
            foreach (var coding in (value ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!coding.Equals("identity", StringComparison.OrdinalIgnoreCase))
                {
                    return contentEncoding.ToString();
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Middleware (after authorization, as the media type check): a request to /api with a body (a length, a transfer
    /// coding, or a PUT/POST/PATCH) and an encoding other than identity is answered 415; nothing is read or changed.
    /// </summary>
    public static Task Enforce(HttpContext http, RequestDelegate next)
    {
        var request = http.Request;
        var hasBody = request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0
            || HttpMethods.IsPut(request.Method) || HttpMethods.IsPost(request.Method) || HttpMethods.IsPatch(request.Method);
        if (!hasBody || !request.Path.StartsWithSegments("/api") || Refused(request.Headers.ContentEncoding) is not { } coding)
        {
            return next(http);
        }

        http.Response.Headers.AcceptEncoding = "identity";
        return Problems.Create(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Content-Encoding", Code,
            $"Content-Encoding「{Problems.Shown(coding)}」の本文は受け付けません。圧縮せずに送ってください（Content-Encoding なし、または identity）。",
            $"A body with Content-Encoding '{Problems.Shown(coding)}' is not accepted: send it uncompressed (no Content-Encoding, or identity).").ExecuteAsync(http);
    }
}
