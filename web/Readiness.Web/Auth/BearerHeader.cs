namespace Readiness.Web.Auth;

/// <summary>
/// The Authorization header's credentials (RFC 9110 §11.4: <c>auth-scheme 1*SP token68</c>) are read the same way by
/// both bearer handlers. The JWT handler trims what follows "Bearer "; OpenIddict's validation took the extra spaces as
/// part of an API client's token and refused it as "expired or revoked".
/// </summary>
public static class BearerHeader
{
    /// <summary>Rewrites <c>Bearer</c> followed by several spaces to one space, before authentication reads the header.</summary>
    public static Task Normalize(HttpContext http, RequestDelegate next)
    {
        var headers = http.Request.Headers;
        if (headers.Authorization.Count == 1 && headers.Authorization[0] is { Length: > 8 } value
            && value.StartsWith("Bearer  ", StringComparison.OrdinalIgnoreCase))
        {
            headers.Authorization = string.Concat(value.AsSpan(0, 7), value.AsSpan(7).TrimStart(' '));
        }

        return next(http);
    }

    /// <summary>A Bearer header whose credentials are not one b64token (see <see cref="IsWellFormed"/>); an empty one is not "malformed".</summary>
    public static bool IsMalformed(string authorization) =>
        authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && authorization.AsSpan(7).TrimStart(' ') is { Length: > 0 } credentials
        && !IsWellFormed(credentials);

    /// <summary>
    /// Whether the credentials after <c>Bearer</c> are one b64token (RFC 6750 §2.1): anything else (a tab, a space inside,
    /// a quote) is a malformed header, not an expired token.
    /// </summary>
    public static bool IsWellFormed(ReadOnlySpan<char> credentials)
    {
        var end = credentials.Length;
        while (end > 0 && credentials[end - 1] == '=')
        {
            end--;
        }

        if (end == 0)
        {
            return false;
        }

        foreach (var c in credentials[..end])
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or '+' or '/'))
            {
                return false;
            }
        }

        return true;
    }
}
