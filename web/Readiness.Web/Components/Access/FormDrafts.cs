using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
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
/// What keeping a form's input did: its <see cref="Outcome"/>, and how many drafts kept earlier on this browser were
/// dropped to make room for it (<see cref="FormDrafts.MaxDrafts"/>, <see cref="FormDrafts.MaxCookieBytes"/>) or
/// replaced by it (the same form sent again): 0 or more. The sign-in page says both.
/// </summary>
public sealed record DraftKeeping(DraftOutcome Outcome, int Dropped);

/// <summary>
/// What <see cref="FormDrafts.Take"/> found for a page: the drafts put back now (<see cref="Restored"/>, oldest first, so
/// the last is the newest: the form the sign-in page returned to), and how many of the page's drafts belong to
/// someone else and were left unshown for them (<see cref="KeptForOthers"/>, 0 or more), the latest of which expires
/// at <see cref="OthersExpire"/> (UTC; null when none).
/// </summary>
public sealed record TakenDrafts(IReadOnlyList<FormDraft> Restored, int KeptForOthers, DateTimeOffset? OthersExpire)
{
    /// <summary>Nothing restored, nothing kept for others.</summary>
    public static readonly TakenDrafts None = new([], 0, null);
}

/// <summary>
/// Keeps a form's input across a sign-in (the session ended while the person typed). Nothing of it is saved: the page
/// it came from shows it once more, for this person only, and they press 保存 again (the normal version and
/// authorization rules then apply). The drafts live in the browser, not the server: one cookie per form address and
/// person (<see cref="CookieName"/>.{key of the address and person}, HttpOnly, SameSite=Strict, chunked like the sign-in cookie), at
/// most <see cref="MaxDrafts"/> and <see cref="MaxCookieBytes"/> in all, so that two tabs' forms both come back
/// (a breaker's finding: one cookie per browser, the second tab's post replaced the first tab's "kept" draft). Each is
/// protected with ASP.NET Core Data Protection (encrypted and signed; no one can read or forge it), time-limited to
/// <see cref="Lifetime"/>, bound to the address it was posted to and, when known, to the person; it is never logged,
/// and it is used once.
/// </summary>
public sealed class FormDrafts(IDataProtectionProvider protection, IOptions<ReadinessAuthOptions> auth)
{
    /// <summary>
    /// The cookies' name: readiness.draft.{key}, key the first <see cref="KeyLength"/> characters of the base64url
    /// SHA-256 of the form's address and the person (<see cref="CookieFor"/>; chunks: readiness.draft.{key}C1, …). A cookie named readiness.draft alone
    /// (one per browser, before keyed drafts) is still read, and deleted once used.
    /// </summary>
    public const string CookieName = "readiness.draft";

    /// <summary>The sign-in page's query parameter saying that a post was not saved: kept, too_large or not_kept.</summary>
    public const string QueryName = "unsaved";

    /// <summary>
    /// The sign-in page's query parameter, with <c>unsaved=kept</c>: how many drafts kept earlier on this browser were
    /// dropped (the oldest, past <see cref="MaxDrafts"/> or <see cref="MaxCookieBytes"/>) or replaced (the same form's)
    /// to keep this one; absent when none was.
    /// </summary>
    public const string DroppedQueryName = "draftsDropped";

    /// <summary>The largest draft kept: the UTF-8 bytes of its field names and values (a reporting form uses a few hundred).</summary>
    public const int MaxFieldBytes = 6 * 1024;

    /// <summary>How many drafts (forms) a browser keeps at once; keeping one more drops the oldest.</summary>
    public const int MaxDrafts = 4;

    /// <summary>
    /// The most bytes of all drafts' cookie values together (a protected draft of <see cref="MaxFieldBytes"/> is
    /// about 9 KB, so two such fit): the browser sends them with every request, and all headers together may be 32 KB
    /// (<see cref="Api.RequestLimits.HeaderBytes"/>). Keeping one more drops the oldest until it fits.
    /// </summary>
    public const int MaxCookieBytes = 20 * 1024;

    /// <summary>The length of a draft cookie's key (base64url characters of the address's SHA-256).</summary>
    public const int KeyLength = 16;

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

    // The payload is encrypted, never HTML: Japanese stays 3 UTF-8 bytes a character rather than a 6-byte \uXXXX escape.
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

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
    /// The cookie holding <paramref name="subject"/>'s draft of the form posted to <paramref name="action"/> (a path):
    /// readiness.draft.{key}. Keyed by the person too, so that on a shared browser one person's post of a form does not
    /// replace another's kept draft of it (a breaker's finding); null subject: the key of drafts kept before that.
    /// </summary>
    public static string CookieFor(string action, string? subject) =>
        CookieName + "." + WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.UTF8.GetBytes(subject is null ? action : action + "\n" + subject)))[..KeyLength];

    /// <summary>
    /// Keeps the input of this form post (a URL-encoded form to an endpoint with <see cref="RestoresDraftAttribute"/>)
    /// in the draft cookie of its address for <paramref name="subject"/> (null: whoever the form's page allows). It
    /// replaces an earlier draft of the same address; the browser's other drafts stay unless there are
    /// <see cref="MaxDrafts"/> or their bytes pass <see cref="MaxCookieBytes"/>, then the oldest are dropped. Every
    /// draft replaced or dropped is counted in <see cref="DraftKeeping.Dropped"/>.
    /// </summary>
    public async Task<DraftKeeping> KeepAsync(HttpContext http, string? subject)
    {
        var request = http.Request;
        if (http.GetEndpoint()?.Metadata.GetMetadata<RestoresDraftAttribute>() is null
            || request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) != true)
        {
            return new(DraftOutcome.NotKept, 0);
        }

        // A body well over the limit is not even read.
        if (request.ContentLength > 4L * MaxFieldBytes)
        {
            return new(DraftOutcome.TooLarge, 0);
        }

        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(http.RequestAborted);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
        {
            return new(DraftOutcome.NotKept, 0);
        }

        // The ended cookie's person, else the one the form was shown to (the browser drops an expired cookie). A post
        // that names nobody is not kept: it did not come from a form this site showed to someone (another site can post
        // to these addresses, without the SameSite cookies), and a draft of nobody's would be shown to whoever signs in.
        subject ??= OwnerOf(form);
        if (subject is null)
        {
            return new(DraftOutcome.NotKept, 0);
        }
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
            return new(DraftOutcome.TooLarge, 0);
        }

        var now = DateTimeOffset.UtcNow;
        var action = request.Path.Value ?? "/";
        var payload = JsonSerializer.SerializeToUtf8Bytes(new Stored(action, subject, [.. fields.Select(f => new[] { f.Key, f.Value })], now), Json);
        var value = WebEncoders.Base64UrlEncode(protector.Protect(payload, now + Lifetime));
        if (value.Length > MaxCookieBytes)
        {
            return new(DraftOutcome.TooLarge, 0); // under the field limit, but escapes (control characters) swelled it
        }

        // The browser's other drafts: unreadable ones go (they never come back anyway); this form's earlier one is
        // replaced; then the oldest go until this one is within both limits. Each replaced or dropped one is counted,
        // since its sign-in page said "kept".
        var cookie = CookieFor(action, subject);
        var dropped = 0;
        var others = new List<DraftCookie>();
        foreach (var kept in Drafts(http))
        {
            if (kept.Stored?.Subject is null)
            {
                Delete(http, kept.Name); // unreadable, or naming nobody: never put back anyway
            }
            else if (kept.Name == cookie || kept.Stored.Action == action && kept.Stored.Subject == subject)
            {
                Delete(http, kept.Name);
                dropped++;
            }
            else
            {
                others.Add(kept);
            }
        }

        others.Sort((a, b) => a.Stored!.Kept.CompareTo(b.Stored!.Kept));
        var total = value.Length + others.Sum(k => k.Bytes);
        while (others.Count > 0 && (others.Count + 1 > MaxDrafts || total > MaxCookieBytes))
        {
            Delete(http, others[0].Name);
            total -= others[0].Bytes;
            others.RemoveAt(0);
            dropped++;
        }

        Cookies.AppendResponseCookie(http, cookie, value, Options(http, now + Lifetime));
        return new(DraftOutcome.Kept, dropped);
    }

    /// <summary>
    /// The kept drafts for the forms of the page being shown (<paramref name="isOwnForm"/> is given a draft's action),
    /// all at once, oldest first, each taken out of the browser (used once): the sign-in page returns to the newest
    /// post's form, and the others of the page come back with it on their own forms (a breaker's finding: one a showing,
    /// the oldest first, so the person landed on a form with nothing restored). Drafts for other pages stay for them.
    /// A draft of another person is never shown and stays for them until it expires (a shared browser: a colleague's
    /// sign-in does not destroy it); it is counted in <see cref="TakenDrafts.KeptForOthers"/> so the page can say so.
    /// A draft of this person is dropped unused when the page shows them no such form (<paramref name="mayUse"/>
    /// false); one that names nobody (kept before 2026-12-06), expired or was tampered with is dropped. Call before the
    /// response starts (static rendering sets the cookies).
    /// </summary>
    public TakenDrafts Take(HttpContext http, Func<string, bool> isOwnForm, bool mayUse)
    {
        if (http.User.Identity?.IsAuthenticated != true)
        {
            return TakenDrafts.None;
        }

        var caller = ReadinessCaller.From(http.User, auth.Value);
        var taken = new List<FormDraft>();
        var othersKept = 0;
        DateTimeOffset? othersExpire = null;
        foreach (var kept in Drafts(http).OrderBy(k => k.Stored?.Kept ?? DateTimeOffset.MinValue))
        {
            if (kept.Stored is { } other && !isOwnForm(other.Action))
            {
                continue; // another page's
            }

            if (kept.Stored is { Subject: { } owner } theirs && caller is not null && owner != caller.Subject)
            {
                othersKept++; // someone else's: not shown, not destroyed
                var expires = theirs.Kept + Lifetime;
                othersExpire = othersExpire is { } later && later > expires ? later : expires;
                continue;
            }

            Delete(http, kept.Name); // used now, or unreadable, or naming nobody, or a form this person no longer has: gone
            if (kept.Stored is { } stored && mayUse && caller is not null && stored.Subject == caller.Subject)
            {
                taken.Add(new FormDraft(stored.Action, stored.Subject,
                    [.. stored.Fields.Where(f => f.Length == 2).Select(f => new KeyValuePair<string, string>(f[0], f[1]))]));
            }
        }

        return new TakenDrafts(taken, othersKept, othersExpire);
    }

    /// <summary>The browser's draft cookies, each read (null <see cref="DraftCookie.Stored"/>: expired, tampered or not for the address its name says).</summary>
    private List<DraftCookie> Drafts(HttpContext http)
    {
        var found = new List<DraftCookie>();
        foreach (var name in http.Request.Cookies.Keys)
        {
            var keyed = name.Length == CookieName.Length + 1 + KeyLength && name.StartsWith(CookieName + ".", StringComparison.Ordinal);
            if (!keyed && name != CookieName)
            {
                continue; // another cookie, or a chunk (readiness.draft.{key}C1) read with its draft
            }

            var value = Cookies.GetRequestCookie(http, name) ?? string.Empty;
            Stored? stored;
            try
            {
                stored = JsonSerializer.Deserialize<Stored>(protector.Unprotect(WebEncoders.Base64UrlDecode(value), out _), Json);
            }
            catch (Exception e) when (e is CryptographicException or FormatException or JsonException)
            {
                stored = null;
            }

            // Bound to its address: a draft moved under another form's cookie name is not put back.
            // (A draft kept under the address's key alone, before drafts were keyed by person too, is still read.)
            found.Add(new DraftCookie(name, stored is not null && (!keyed || CookieFor(stored.Action, stored.Subject) == name || CookieFor(stored.Action, null) == name) ? stored : null, value.Length));
        }

        return found;
    }

    private static void Delete(HttpContext http, string name)
    {
        if (!http.Response.HasStarted)
        {
            Cookies.DeleteCookie(http, name, Options(http, null));
        }
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

    /// <summary>A draft cookie: its name, what it holds (null when unreadable) and its value's length.</summary>
    private sealed record DraftCookie(string Name, Stored? Stored, int Bytes);

    /// <summary>The protected payload; its <c>Kept</c> time orders the drafts (a draft from before keyed drafts has none: oldest).</summary>
    private sealed record Stored(string Action, string? Subject, string[][] Fields, DateTimeOffset Kept);
}
