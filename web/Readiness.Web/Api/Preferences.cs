using Microsoft.Extensions.Primitives;

namespace Readiness.Web.Api;

/// <summary>
/// The <c>Prefer</c> request header (RFC 7240) as the write endpoints honour it: <c>return=minimal</c> answers a
/// successful PUT or PATCH of one system or checklist item with <c>204 No Content</c>, the new <c>ETag</c> and
/// <c>Preference-Applied: return=minimal</c>, instead of the whole municipality view (~20 KB of JSON rendered and sent
/// per change). <c>return=representation</c> (and no preference) keeps the view. Preferences are hints: an unknown
/// one, or a malformed header, is ignored (RFC 7240 §2), never refused.
/// </summary>
public static class Preferences
{
    public const string PreferHeader = "Prefer";
    public const string PreferenceAppliedHeader = "Preference-Applied";
    public const string ReturnMinimal = "return=minimal";
    public const string ReturnRepresentation = "return=representation";

    /// <summary>The <c>return</c> preference: "minimal", "representation", or null when none (or an unknown value) was sent. When several are sent the first counts.</summary>
    public static string? Return(StringValues prefer)
    {
        foreach (var header in prefer)
        {
            if (header is null)
            {
                continue;
            }

            // Read in place (a write reads it on every request; issue 14): the same as splitting on ',' then ';'.
            var all = header.AsSpan();
            foreach (var range in all.Split(','))
            {
                // preference = token [ BWS "=" BWS word ] *( OWS ";" [ OWS parameter ] ); the parameters do not matter here.
                var preference = all[range];
                var semicolon = preference.IndexOf(';');
                if (semicolon >= 0)
                {
                    preference = preference[..semicolon];
                }

                var equals = preference.IndexOf('=');
                if (equals < 0 || !preference[..equals].Trim().Equals("return", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                var value = preference[(equals + 1)..].Trim().Trim('"');
                if (value.Equals("minimal", StringComparison.OrdinalIgnoreCase))
                {
                    return "minimal";
                }

                if (value.Equals("representation", StringComparison.OrdinalIgnoreCase))
                {
                    return "representation";
                }
            }
        }

        return null;
    }

    /// <summary>Whether the request prefers <c>return=minimal</c>: read only, the answer's headers are left to <see cref="AnswerMinimal"/>.</summary>
    public static bool AsksMinimal(HttpRequest request) => Return(request.Headers[PreferHeader]) == "minimal";

    /// <summary>
    /// For a successful write: notes that the answer varies by <c>Prefer</c>, marks the preference applied, and tells
    /// whether to answer <c>204 No Content</c> (return=minimal) instead of the representation.
    /// </summary>
    public static bool AnswerMinimal(HttpContext http)
    {
        http.Response.Headers.Append("Vary", PreferHeader);
        switch (Return(http.Request.Headers[PreferHeader]))
        {
            case "minimal":
                http.Response.Headers[PreferenceAppliedHeader] = ReturnMinimal;
                return true;
            case "representation":
                http.Response.Headers[PreferenceAppliedHeader] = ReturnRepresentation;
                return false;
            default:
                return false;
        }
    }
}
