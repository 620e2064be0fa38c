using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Readiness.Web.Auth;

namespace Readiness.Web.Components.Access;

/// <summary>
/// Endpoint metadata of a form post whose page puts a kept draft back (<see cref="FormDrafts.Take"/>): when the post
/// arrives after the sign-in session ended, its input is kept for the person to review after signing in again.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class RestoresDraftAttribute : Attribute;

/// <summary>What became of the input of a form posted after the session ended (the sign-in page's <c>unsaved</c> value).</summary>
public enum DraftOutcome
{
    /// <summary>Kept for <see cref="FormDrafts.Lifetime"/>; the form's page shows it again after signing in.</summary>
    Kept,

    /// <summary>Over <see cref="FormDrafts.MaxFieldBytes"/>: not kept, the person types it again.</summary>
    TooLarge,

    /// <summary>A form whose page cannot show a draft (a file upload, an action on one row): not kept.</summary>
    NotKept,
}

/// <summary>
/// The input of a form posted after its sign-in session ended: the address it was posted to (<see cref="Action"/>),
/// the person whose session it was when the ended cookie still says (<see cref="Subject"/>, else null), and its
/// fields in the order sent, without the antiforgery token, the request id or any secret.
/// </summary>
public sealed record FormDraft(string Action, string? Subject, IReadOnlyList<KeyValuePair<string, string>> Fields)
{
    /// <summary>The first value sent for <paramref name="name"/>, or null when the form did not send it (an unticked box).</summary>
    public string? Value(string name) => Fields.FirstOrDefault(f => f.Key == name) is { Key: not null } f ? f.Value : null;
}

/// <summary>
/// Keeps a form's input across a sign-in (the session ended while the person typed). Nothing of it is saved: the page
/// it came from shows it once more, for this person only, and they press 保存 again (the normal version and
/// authorization rules then apply). The draft lives in the browser, not the server: a cookie
/// (<see cref="CookieName"/>, HttpOnly, SameSite=Strict, chunked like the sign-in cookie) protected with ASP.NET Core
/// Data Protection (encrypted and signed; no one can read or forge it) and time-limited to <see cref="Lifetime"/>.
/// It is bound to the address it was posted to and, when known, to the person; it is never logged, and it is used once.
/// </summary>
public sealed class FormDrafts(IDataProtectionProvider protection, IOptions<ReadinessAuthOptions> auth)
{
    /// <summary>The cookie (chunks: readiness.draftC1, …) holding the protected draft.</summary>
    public const string CookieName = "readiness.draft";

    /// <summary>The sign-in page's query parameter saying that a post was not saved: kept, too_large or not_kept.</summary>
    public const string QueryName = "unsaved";

    /// <summary>The largest draft kept: the UTF-8 bytes of its field names and values (a reporting form uses a few hundred).</summary>
    public const int MaxFieldBytes = 6 * 1024;

    /// <summary>How long a kept draft can be put back.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    /// <summary>
    /// The hidden field (<c>DraftOwner</c>) naming, protected, the person a form was shown to. An expired sign-in cookie
    /// is no longer sent by the browser, so without it the draft's person is unknown and anyone of the municipality who
    /// signs in next on that browser would be shown it (a breaker's finding).
    /// </summary>
    public const string OwnerField = "draftOwner";

    /// <summary>How long a form's owner field holds (a form left open over a working day).</summary>
    public static readonly TimeSpan OwnerLifetime = TimeSpan.FromHours(24);

    // Never kept: the old session's token (the page gives a fresh one), the request id (a new one per form shown), and secrets.
    private static readonly HashSet<string> Dropped = new(StringComparer.OrdinalIgnoreCase)
    {
        "__RequestVerificationToken", "requestId", "password", "confirm", "code", "credential", "token", "secret", OwnerField,
    };

    private static readonly ChunkingCookieManager Cookies = new();

    private readonly ITimeLimitedDataProtector protector = protection.CreateProtector("Readiness.FormDraft.v1").ToTimeLimitedDataProtector();

    private readonly ITimeLimitedDataProtector owners = protection.CreateProtector("Readiness.FormDraft.Owner.v1").ToTimeLimitedDataProtector();

    /// <summary>The protected value of <see cref="OwnerField"/> for the signed-in person of <paramref name="http"/>, or null when nobody is.</summary>
    public string? OwnerToken(HttpContext? http) =>
        http?.User is { } user && ReadinessCaller.From(user, auth.Value) is { } caller
            ? owners.Protect(caller.Subject, DateTimeOffset.UtcNow + OwnerLifetime)
            : null;

    private string? OwnerOf(IFormCollection form)
    {
        if (form[OwnerField] is not [{ Length: > 0 } token])
        {
            return null;
        }

        try
        {
            return owners.Unprotect(token, out _);
        }
        catch (CryptographicException)
        {
            return null; // forged or expired: the draft then names nobody, as before
        }
    }

    /// <summary>The wire value of <paramref name="outcome"/> for <see cref="QueryName"/>.</summary>
    public static string Wire(DraftOutcome outcome) => outcome switch
    {
        DraftOutcome.Kept => "kept",
        DraftOutcome.TooLarge => "too_large",
        _ => "not_kept",
    };

    /// <summary>
    /// Keeps the input of this form post (a URL-encoded form to an endpoint with <see cref="RestoresDraftAttribute"/>)
    /// in the draft cookie for <paramref name="subject"/> (null: whoever the form's page allows). Replaces an earlier draft.
    /// </summary>
    public async Task<DraftOutcome> KeepAsync(HttpContext http, string? subject)
    {
        var request = http.Request;
        if (http.GetEndpoint()?.Metadata.GetMetadata<RestoresDraftAttribute>() is null
            || request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) != true)
        {
            return DraftOutcome.NotKept;
        }

        // A body well over the limit is not even read.
        if (request.ContentLength > 4L * MaxFieldBytes)
        {
            return DraftOutcome.TooLarge;
        }

        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(http.RequestAborted);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
        {
            return DraftOutcome.NotKept;
        }

        // The ended cookie's person, else the one the form was shown to (the browser drops an expired cookie).
        subject ??= OwnerOf(form);
        var fields = new List<KeyValuePair<string, string>>();
        var bytes = 0;
        foreach (var (name, values) in form)
        {
            if (Dropped.Contains(name))
            {
                continue;
            }

            foreach (var sent in values)
            {
                bytes += Encoding.UTF8.GetByteCount(name) + Encoding.UTF8.GetByteCount(sent ?? string.Empty);
                fields.Add(new(name, sent ?? string.Empty));
            }
        }

        if (bytes > MaxFieldBytes)
        {
            return DraftOutcome.TooLarge;
        }

        var payload = JsonSerializer.SerializeToUtf8Bytes(new Stored(request.Path.Value ?? "/", subject, [.. fields.Select(f => new[] { f.Key, f.Value })]));
        var value = WebEncoders.Base64UrlEncode(protector.Protect(payload, DateTimeOffset.UtcNow + Lifetime));
        Cookies.AppendResponseCookie(http, CookieName, value, Options(http, DateTimeOffset.UtcNow + Lifetime));
        return DraftOutcome.Kept;
    }

    /// <summary>
    /// The kept draft for one of the forms of the page being shown (<paramref name="isOwnForm"/> is given the draft's
    /// action), taken out of the browser (used once), or null. A draft for another page stays for that page. It is
    /// dropped unused when the page's form is not for this person (<paramref name="mayUse"/> false: the page shows
    /// them no such form) or the draft was another person's, when it expired or was tampered with. Call before the
    /// response starts (static rendering sets the cookie).
    /// </summary>
    public FormDraft? Take(HttpContext http, Func<string, bool> isOwnForm, bool mayUse)
    {
        if (Cookies.GetRequestCookie(http, CookieName) is not { Length: > 0 } value || http.User.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        Stored? stored;
        try
        {
            stored = JsonSerializer.Deserialize<Stored>(protector.Unprotect(WebEncoders.Base64UrlDecode(value), out _));
        }
        catch (Exception e) when (e is CryptographicException or FormatException or JsonException)
        {
            stored = null;
        }

        if (stored is not null && !isOwnForm(stored.Action))
        {
            return null;
        }

        if (!http.Response.HasStarted)
        {
            Cookies.DeleteCookie(http, CookieName, Options(http, null));
        }

        var caller = ReadinessCaller.From(http.User, auth.Value);
        if (stored is null || !mayUse || caller is null || (stored.Subject is not null && stored.Subject != caller.Subject))
        {
            return null;
        }

        return new FormDraft(stored.Action, stored.Subject, [.. stored.Fields.Where(f => f.Length == 2).Select(f => new KeyValuePair<string, string>(f[0], f[1]))]);
    }

    private static CookieOptions Options(HttpContext http, DateTimeOffset? expires) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = http.Request.IsHttps,
        Path = "/",
        Expires = expires,
        IsEssential = true,
    };

    private sealed record Stored(string Action, string? Subject, string[][] Fields);
}
