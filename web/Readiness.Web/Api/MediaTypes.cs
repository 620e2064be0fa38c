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

    /// <summary>JSON alone, as the accepted list of <see cref="Check"/> (one list for every call, not one per write).</summary>
    public static readonly IReadOnlyList<string> JsonOnly = [Json];

    /// <summary>JSON Merge Patch alone (a PATCH's body), likewise.</summary>
    public static readonly IReadOnlyList<string> MergePatchOnly = [MergePatch];

    /// <summary>
    /// Null when <paramref name="contentType"/> is one of <paramref name="accepted"/> (parameters aside) with no charset
    /// or UTF-8; otherwise the 415. Malformed parameters are not looked at again here: every request passes
    /// <see cref="Enforce"/> first, which refuses them (400, <see cref="MalformedParameter"/>), so a write is parsed for
    /// them once, not once per check.
    /// </summary>
    public static ProblemHttpResult? Check(string? contentType, IReadOnlyList<string> accepted)
    {
        // The usual header, one accepted type as it is (no parameter, no space): nothing to parse or allocate. Every
        // write checks its type twice (Enforce and the body's reader), a parsed header ~0.1 KB each time (issue 14).
        if (contentType is not null && Accepts(accepted, contentType))
        {
            return null;
        }

        if (contentType is null || !MediaTypeHeaderValue.TryParse(contentType, out var parsed) || !Accepts(accepted, parsed.MediaType))
        {
            var list = string.Join(", ", accepted);
            return Problems.Create(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Content-Type", "unsupported_media_type",
                $"本文は {list} で送ってください（「{Problems.Shown(contentType ?? "なし")}」は使えません）。",
                $"Send the body as {list}, not '{Problems.Shown(contentType ?? "none")}'.");
        }

        // A quoted charset is read as its content, quoted-pairs undone ("utf\-8" is utf-8: RFC 9110 §5.6.4).
        var charset = parsed.Charset.HasValue ? HeaderUtilities.UnescapeAsQuotedString(parsed.Charset).ToString() : null;
        if (charset is not null && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            return Problems.Create(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Content-Type", "unsupported_charset",
                $"文字コード「{Problems.Shown(charset)}」は使えません。本文は UTF-8 で送ってください（Content-Type: {accepted[0]}; charset=utf-8）。",
                $"The charset '{Problems.Shown(charset)}' is not accepted: the body must be UTF-8 (Content-Type: {accepted[0]}; charset=utf-8).");
        }

        return null;
    }

    // A loop, not a lambda over the parsed value: this runs on every write (issue 14).
    private static bool Accepts(IReadOnlyList<string> accepted, Microsoft.Extensions.Primitives.StringSegment mediaType)
    {
        for (var i = 0; i < accepted.Count; i++)
        {
            if (mediaType.Equals(accepted[i], StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// 400 naming Content-Type when the header's parameters break RFC 9110 §5.6.6/§8.3.1 (<c>parameter = token "="
    /// ( token / quoted-string )</c>, no whitespace around "="): <c>malformed_parameter</c> for a name without a value
    /// (<c>; charset</c>), an empty value (<c>charset=</c>), an unterminated quoted string (<c>charset="utf-8</c>), a
    /// name or value with spaces or other non-token characters; <c>duplicate_parameter</c> when a parameter is given
    /// twice (RFC 6838 §4.3). Either way the body would be read in a way the sender may not have meant. An empty
    /// parameter between two semicolons (<c>;;</c>) is malformed_parameter too: RFC 9110's grammar allows it, but
    /// ASP.NET Core's parser (routing, the form reader) does not, and the answer would otherwise be a 415 blaming the
    /// type; a trailing <c>;</c> passes, as it does there. Null when the parameters are well formed or the header is absent (the type/subtype itself is the
    /// media type check's to name).
    /// </summary>
    public static ProblemHttpResult? MalformedParameter(string? contentType)
    {
        // Most requests carry no parameter at all: nothing to parse, nothing allocated.
        var at = contentType?.IndexOf(';', StringComparison.Ordinal) ?? -1;
        if (contentType is null || at < 0)
        {
            return null;
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (at >= 0 && at < contentType.Length)
        {
            // at is on a ';' (or just past a parameter's whitespace): step over it and the whitespace after it.
            at++;
            at = SkipWhitespace(contentType, at);
            if (at == contentType.Length)
            {
                break;
            }

            if (contentType[at] == ';')
            {
                return Malformed(contentType, ";;");
            }

            var start = at;
            while (at < contentType.Length && IsTokenChar(contentType[at]))
            {
                at++;
            }

            var name = contentType[start..at];
            if (name.Length == 0 || at == contentType.Length || contentType[at] != '=')
            {
                return Malformed(contentType, ParameterAt(contentType, start));
            }

            at++;
            if (at < contentType.Length && contentType[at] == '"')
            {
                at = QuotedStringEnd(contentType, at);
                if (at < 0)
                {
                    return Malformed(contentType, ParameterAt(contentType, start));
                }
            }
            else
            {
                var valueStart = at;
                while (at < contentType.Length && IsTokenChar(contentType[at]))
                {
                    at++;
                }

                if (at == valueStart)
                {
                    return Malformed(contentType, ParameterAt(contentType, start));
                }
            }

            at = SkipWhitespace(contentType, at);
            if (at < contentType.Length && contentType[at] != ';')
            {
                return Malformed(contentType, ParameterAt(contentType, start));
            }

            if (!names.Add(name))
            {
                return Problems.BadRequest("Content-Type", "duplicate_parameter",
                    $"Content-Type のパラメーター「{Problems.Shown(name)}」が2回以上指定されています。1回だけ指定してください（「{Problems.Shown(contentType)}」）。",
                    $"The Content-Type parameter '{Problems.Shown(name)}' is given more than once; give it once ('{Problems.Shown(contentType)}').");
            }
        }

        return null;
    }

    private static ProblemHttpResult Malformed(string contentType, string parameter) => Problems.BadRequest("Content-Type", "malformed_parameter",
        $"Content-Type のパラメーター「{Problems.Shown(parameter)}」の書き方が正しくありません。名前=値（値はトークンか \"…\" で囲んだ文字列、= の前後に空白なし）で指定してください（「{Problems.Shown(contentType)}」）。",
        $"The Content-Type parameter '{Problems.Shown(parameter)}' is malformed: give name=value, the value a token or a quoted string, no spaces around '=' (RFC 9110 §8.3.1; '{Problems.Shown(contentType)}').");

    private static string ParameterAt(string contentType, int start)
    {
        var end = contentType.IndexOf(';', start);
        return (end < 0 ? contentType[start..] : contentType[start..end]).Trim();
    }

    private static int SkipWhitespace(string text, int at)
    {
        while (at < text.Length && text[at] is ' ' or '\t')
        {
            at++;
        }

        return at;
    }

    // The index just past the closing quote of the quoted-string opening at `at`, or -1 when it is not closed or holds
    // a character qdtext / quoted-pair does not allow (RFC 9110 §5.6.4).
    private static int QuotedStringEnd(string text, int at)
    {
        for (at++; at < text.Length; at++)
        {
            var c = text[at];
            if (c == '"')
            {
                return at + 1;
            }

            if (c == '\\')
            {
                at++;
                if (at == text.Length || !IsQuotedChar(text[at]))
                {
                    return -1;
                }
            }
            else if (!IsQuotedChar(c))
            {
                return -1;
            }
        }

        return -1;
    }

    private static bool IsQuotedChar(char c) => c is '\t' or >= ' ' and not '\x7f';

    // tchar (RFC 9110 §5.6.2).
    private static bool IsTokenChar(char c) => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal);

    /// <summary>
    /// Middleware (after authorization, so strangers learn nothing): for an endpoint that accepts JSON, a request
    /// with a body, or a PUT/POST/PATCH, must send an accepted JSON type in UTF-8. PATCH refusals carry Accept-Patch (RFC 5789 §2.2).
    /// </summary>
    // Not async: a request that passes goes on without a state machine of its own (issue 14's allocation per change).
    public static Task Enforce(HttpContext http, RequestDelegate next)
    {
        var accepts = http.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>();
        var request = http.Request;

        // Any body the product reads (JSON, a CSV or .xlsx multipart upload, a page's form): a malformed parameter or one
        // given twice is refused before anyone guesses what was meant.
        if (MalformedParameter(request.ContentType) is { } malformed)
        {
            return malformed.ExecuteAsync(http);
        }

        var hasBody = request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0
            || HttpMethods.IsPut(request.Method) || HttpMethods.IsPost(request.Method) || HttpMethods.IsPatch(request.Method);
        if (accepts is { ContentTypes.Count: > 0 } && hasBody && accepts.ContentTypes.Any(IsJson) && Check(request.ContentType, accepts.ContentTypes) is { } problem)
        {
            if (accepts.ContentTypes.Contains(MergePatch, StringComparer.OrdinalIgnoreCase))
            {
                http.Response.Headers["Accept-Patch"] = MergePatch;
            }

            return problem.ExecuteAsync(http);
        }

        return next(http);
    }

    private static bool IsJson(string mediaType) =>
        mediaType.Equals(Json, StringComparison.OrdinalIgnoreCase) || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
}
