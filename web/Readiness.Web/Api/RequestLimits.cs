using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Readiness.Web.Api;

/// <summary>
/// The request target's and headers' limits, answered by the product with problem details that name the fault (ja/en).
/// Kestrel refuses a request past its own limits before any middleware runs, with an empty 414 or 431 that tells a
/// client nothing. So Kestrel's limits are set well above the product's (<see cref="ServerTargetBytes"/>, …) and this
/// middleware answers at the product's: only a request past the raised limits still gets Kestrel's bare answer.
/// A person's browser outside /api gets the answer as the dashboard's ja/en page, others problem details.
/// </summary>
public static class RequestLimits
{
    /// <summary>The longest request target (path and query, as sent), in bytes: Kestrel's default request line.</summary>
    public const int TargetBytes = 8 * 1024;

    /// <summary>The most header bytes (names and values), Kestrel's default.</summary>
    public const int HeaderBytes = 32 * 1024;

    /// <summary>The most header fields, Kestrel's default.</summary>
    public const int HeaderCount = 100;

    /// <summary>Kestrel's own limits, 8 × the product's (what a request costs the server before it is refused).</summary>
    public const int ServerTargetBytes = 8 * TargetBytes;

    /// <inheritdoc cref="ServerTargetBytes"/>
    public const int ServerHeaderBytes = 4 * HeaderBytes;

    /// <inheritdoc cref="ServerTargetBytes"/>
    public const int ServerHeaderCount = 4 * HeaderCount;

    /// <summary>Raises Kestrel's limits above the product's.</summary>
    public static void Configure(KestrelServerOptions kestrel)
    {
        kestrel.Limits.MaxRequestLineSize = ServerTargetBytes + 64; // the method and the version are on the line too
        kestrel.Limits.MaxRequestHeadersTotalSize = ServerHeaderBytes;
        kestrel.Limits.MaxRequestHeaderCount = ServerHeaderCount;
    }

    /// <summary>414 or 431 with problem details for a request past the product's limits; otherwise the next middleware.</summary>
    public static Task Enforce(HttpContext http, RequestDelegate next)
    {
        var target = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? string.Concat(http.Request.PathBase, http.Request.Path, http.Request.QueryString);
        if (System.Text.Encoding.UTF8.GetByteCount(target) > TargetBytes)
        {
            return Refuse(http, StatusCodes.Status414UriTooLong, "URI Too Long", "URL", "uri_too_long",
                $"URL（パスとクエリ）が長すぎます（{TargetBytes:N0} バイトまで）。条件は本文で送るか、分けて送ってください。",
                $"The URL (path and query) is too long (at most {TargetBytes:N0} bytes). Send fewer values, or split the request.",
                "URL が長すぎます", "The URL is too long");
        }

        var headers = http.Request.Headers;
        if (headers.Count > HeaderCount)
        {
            return Refuse(http, StatusCodes.Status431RequestHeaderFieldsTooLarge, "Request Header Fields Too Large", "headers", "too_many_headers",
                $"ヘッダーが多すぎます（{headers.Count} 個、{HeaderCount} 個まで）。",
                $"Too many header fields ({headers.Count}; at most {HeaderCount}).",
                "ヘッダーが多すぎます", "Too many header fields");
        }

        var total = 0;
        var largest = (Name: string.Empty, Bytes: 0);
        foreach (var (name, values) in headers)
        {
            var bytes = name.Length;
            foreach (var value in values)
            {
                bytes += value?.Length ?? 0;
            }

            total += bytes;
            if (bytes > largest.Bytes)
            {
                largest = (name, bytes);
            }
        }

        if (total > HeaderBytes)
        {
            return Refuse(http, StatusCodes.Status431RequestHeaderFieldsTooLarge, "Request Header Fields Too Large", largest.Name, "headers_too_large",
                $"ヘッダーが大きすぎます（計 {total:N0} バイト、{HeaderBytes:N0} バイトまで。最大は {largest.Name} の {largest.Bytes:N0} バイト）。",
                $"The header fields are too large ({total:N0} bytes; at most {HeaderBytes:N0}; the largest is {largest.Name}, {largest.Bytes:N0} bytes).",
                "ヘッダーが大きすぎます", "The header fields are too large");
        }

        return next(http);
    }

    /// <summary>
    /// The refusal as problem details; to a person's browser outside /api (<see cref="Components.Access.FormAnswers.WantsPage"/>)
    /// the dashboard's page with the same words instead (a large cookie or a long link meets a person too).
    /// </summary>
    private static Task Refuse(HttpContext http, int status, string title, string field, string code, string ja, string en, string titleJa, string titleEn) =>
        Components.Access.FormAnswers.WantsPage(http)
            ? Components.Access.FormAnswers.Refusal(http, status, titleJa, titleEn, $"{ja} 何も変更していません。", $"{en} Nothing was changed.").ExecuteAsync(http)
            : Problems.Create(status, title, field, code, ja, en).ExecuteAsync(http);
}
