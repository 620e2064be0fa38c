using System.Globalization;
using System.Text;

namespace Readiness.Web.Auth;

/// <summary>
/// The one check for every redirect to a target a client supplied (returnUrl of the sign-in page, the sign-in form,
/// the language switch, the cookie handler's return URL). A target is accepted only when a browser, parsing it as the
/// WHATWG URL Standard does against this site's address, stays on this site; anything else becomes "/" (the home
/// page), never an error.
/// </summary>
/// <remarks>
/// What a browser does with a relative URL, and why each is refused:
/// <list type="bullet">
/// <item>it removes ASCII TAB, LF and CR anywhere (so "/\t/evil.example" is "//evil.example") and trims leading and
/// trailing C0 controls and spaces: any control character (C0, DEL, C1) is refused;</item>
/// <item>it reads "\" as "/" in http(s) URLs (so "/\evil.example" is "//evil.example"): "//" and "/\" are refused;</item>
/// <item>anything not starting with "/" is a scheme ("javascript:", "http:") or relative to the current page: refused;</item>
/// <item>percent-encoded forms ("/%2F%2Fevil.example", "/%5Cevil", "/%09/evil") are harmless to the browser, but a
/// proxy or a later decode may turn them into the above: the decoded form (up to three rounds) is judged too;</item>
/// <item>Unicode format characters (bidi controls, zero-width), line and paragraph separators, unpaired surrogates
/// and targets longer than <see cref="MaxLength"/> characters are refused.</item>
/// </list>
/// An accepted target is returned with non-ASCII characters and spaces percent-encoded (UTF-8), so that it is a valid
/// Location header value (Kestrel refuses non-ASCII header values with a 500) and means the same to the browser.
/// </remarks>
public static class LocalRedirectTarget
{
    /// <summary>Where a refused or missing target goes.</summary>
    public const string Home = "/";

    /// <summary>Longest target accepted, in UTF-16 characters (well above any page address of the dashboard).</summary>
    public const int MaxLength = 2048;

    private const int DecodeRounds = 3;

    /// <summary>The target as a local path to redirect to, or <see cref="Home"/> when it is missing or not safe.</summary>
    public static string From(string? target) => TryParse(target, out var local) ? local : Home;

    /// <summary>True when <paramref name="target"/> stays on this site; <paramref name="local"/> is the form to send.</summary>
    public static bool TryParse(string? target, out string local)
    {
        local = Home;
        if (string.IsNullOrEmpty(target) || target.Length > MaxLength)
        {
            return false;
        }

        var candidate = target;
        for (var round = 0; round <= DecodeRounds; round++)
        {
            if (!IsSafeAsBrowserReads(candidate))
            {
                return false;
            }

            if (!candidate.Contains('%', StringComparison.Ordinal))
            {
                break;
            }

            var decoded = Uri.UnescapeDataString(candidate);
            if (decoded == candidate)
            {
                break;
            }

            candidate = decoded;
        }

        var encoded = Encode(target);
        if (encoded is null || encoded.Length > MaxLength * 3
            || !Uri.TryCreate(new Uri("http://readiness.invalid/"), encoded, out var resolved)
            || resolved.Host != "readiness.invalid" || resolved.Scheme != Uri.UriSchemeHttp)
        {
            return false; // last guard: .NET's parser agrees that it stays on the site
        }

        local = encoded;
        return true;
    }

    /// <summary>Starts with one "/" (never "//" or "/\"), no control, format or separator characters, no broken surrogates.</summary>
    private static bool IsSafeAsBrowserReads(string text)
    {
        if (text.Length == 0 || text[0] != '/' || (text.Length > 1 && text[1] is '/' or '\\'))
        {
            return false;
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return false;
                }

                i++;
                continue;
            }

            if (char.IsLowSurrogate(c))
            {
                return false;
            }

            if (char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format
                or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Percent-encodes (UTF-8) what a browser would encode and a header may not carry; null if not encodable.</summary>
    private static string? Encode(string text)
    {
        StringBuilder? builder = null;
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is > ' ' and < (char)0x7F and not '"' and not '<' and not '>' and not '`')
            {
                builder?.Append(c);
                continue;
            }

            builder ??= new StringBuilder(text.Length + 16).Append(text, 0, i);
            var length = char.IsHighSurrogate(c) && i + 1 < text.Length
                ? Encoding.UTF8.GetBytes(text.AsSpan(i++, 2), utf8)
                : Encoding.UTF8.GetBytes(text.AsSpan(i, 1), utf8);
            foreach (var b in utf8[..length])
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder?.ToString() ?? text;
    }
}
