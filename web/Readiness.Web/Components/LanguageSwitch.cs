using Microsoft.AspNetCore.Antiforgery;
using Readiness.Web.Auth;

namespace Readiness.Web.Components;

/// <summary>
/// Marks a form post whose answer page (a preview, a form shown again with its 409/422) keeps the person's work when
/// the language is switched: the header's switch there is a post of the kept fields to the same address with
/// <c>?language=en|ja</c>, and the endpoint answers the same page in that language without acting (it reads
/// <see cref="LanguageSwitch.Requested"/>). Posts without it take a <c>?language=</c> as their own answer's language:
/// the post is done, not dropped (their pages never post a switch).
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class KeepsWorkOnLanguageSwitchAttribute : Attribute;

/// <summary>
/// Marks a page (a Razor component) whose form's typed input is kept when the language is switched on the page itself:
/// the header's switch is then a submit button of that form (<see cref="Form"/>, by id) posting it to
/// <see cref="Action"/> with <c>?language=</c> (formaction, no script), and that post's endpoint
/// (<see cref="KeepsWorkOnLanguageSwitchAttribute"/>) answers the same page with the input in the other language,
/// saving nothing. Before, the switch was a link to /lang/, and a draft typed into the form was lost (a breaker's
/// finding, round 49: the scenario editor).
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class LanguageSwitchSubmitsFormAttribute(string form, string action) : Attribute
{
    /// <summary>The id of the page's form the switch submits.</summary>
    public string Form { get; } = form;

    /// <summary>The form's action (the path its post goes to), to which the switch adds <c>?language=</c>.</summary>
    public string Action { get; } = action;
}

/// <summary>
/// The language choice: remembered in the <see cref="UiText.Cookie"/> cookie (a year), from the GET link
/// /lang/{code} on pages answering a GET, or from a post to the page's own address with <c>?language=</c> on a page
/// answering a post (so the answer, not a GET of the post's address — a 405 or an empty form — is shown again).
/// </summary>
public static class LanguageSwitch
{
    /// <summary>The query parameter naming the language on any page or switch post: "en" or "ja", read ignoring case (<see cref="Code"/>).</summary>
    public const string Parameter = "language";

    private const string RequestedKey = "readiness.language.requested";
    private const string KeptKey = "readiness.language.kept";

    /// <summary>The language this request switches to ("en", "ja"), null when it is no switch.</summary>
    public static string? Requested(HttpContext http) => http.Items[RequestedKey] as string;

    /// <summary>
    /// "en" or "ja" for a language tag read ignoring case (RFC 5646 §2.1.1: "EN", "En" are "en") by its primary subtag
    /// (§2.2.1: "en-US", "ja-JP", "en-Latn-GB" are "en" and "ja"; the region or script is not ours to tell); null for
    /// anything else ("fr", "english", "en-", "en_US", empty): an unknown tag leaves the language as it was, never an error.
    /// </summary>
    public static string? Code(string? tag)
    {
        // Well-formed as RFC 5646 writes subtags: 1 to 8 ASCII letters or digits each, joined by '-'.
        if (string.IsNullOrEmpty(tag) || tag.Length > 64
            || tag.Split('-') is not [var primary, ..] subtags
            || subtags.Any(t => t.Length is 0 or > 8 || !t.All(char.IsAsciiLetterOrDigit)))
        {
            return null;
        }

        return string.Equals(primary, "en", StringComparison.OrdinalIgnoreCase) ? "en"
            : string.Equals(primary, "ja", StringComparison.OrdinalIgnoreCase) ? "ja"
            : null;
    }

    /// <summary>
    /// The language a query's <c>?language=</c> names (<see cref="Code"/>); null when it is absent, unknown, or given
    /// more than once (a repeated parameter is refused with 400 by <see cref="Api.RepeatedParameters"/>: it never sets
    /// the cookie nor travels in a return URL).
    /// </summary>
    public static string? Named(IQueryCollection query) =>
        query.TryGetValue(Parameter, out var values) && values.Where(v => !string.IsNullOrEmpty(v)).ToList() is [var one] ? Code(one) : null;

    /// <summary>
    /// The one resolution of the page language, for every page and answer (signed in or not, a page, a form's answer,
    /// the 404, 400 and 413 pages): this request's <c>?language=</c> (a switch post's, or a GET's:
    /// <see cref="Named"/>; a re-executed 404 reads the address asked for), else the <see cref="UiText.Cookie"/>
    /// cookie, else Japanese. "en" or "ja". Accept-Language is not read: Japanese first, as the product's audience.
    /// </summary>
    public static string Current(HttpContext http) =>
        Requested(http)
        ?? Named(http.Request.Query)
        ?? (http.Features.Get<Microsoft.AspNetCore.Diagnostics.IStatusCodeReExecuteFeature>()?.OriginalQueryString is { Length: > 0 } original
            ? Named(new QueryCollection(Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(original)))
            : null)
        ?? Code(http.Request.Cookies[UiText.Cookie])
        ?? "ja";

    /// <summary>
    /// The query of this request without <c>?language=</c> ("?token=…" or empty): what a link back to the form's page
    /// keeps of the address posted to (an invitation's or a reset's token in the person's own link), the language
    /// being set by the link's <c>/lang/</c> instead.
    /// </summary>
    public static QueryString QueryWithoutLanguage(HttpContext http) =>
        QueryString.Create(http.Request.Query.Where(q => !string.Equals(q.Key, Parameter, StringComparison.OrdinalIgnoreCase)));

    /// <summary>
    /// The fields the switch posts back instead of the request's own form fields (e.g. a preview's file as base64,
    /// where the request had the file itself).
    /// </summary>
    public static void Keep(HttpContext http, IReadOnlyList<KeyValuePair<string, string>> fields) => http.Items[KeptKey] = fields;

    /// <summary>Sets the language cookie for a year (HttpOnly: only the server reads it).</summary>
    public static void Remember(HttpContext http, string language) =>
        http.Response.Cookies.Append(UiText.Cookie, language, new CookieOptions
        {
            Path = "/",
            MaxAge = TimeSpan.FromDays(365),
            SameSite = SameSiteMode.Lax,
            HttpOnly = true,
            IsEssential = true,
            Secure = http.Request.IsHttps,
        });

    /// <summary>
    /// True when this request is a post whose answer page switches language by posting again (the endpoint keeps the
    /// work). A post refused for its antiforgery token was never read: there is no work to keep, and its page links to
    /// the form's page as any other.
    /// </summary>
    public static bool SwitchesByPost(HttpContext http) =>
        HttpMethods.IsPost(http.Request.Method)
        && http.GetEndpoint()?.Metadata.GetMetadata<KeepsWorkOnLanguageSwitchAttribute>() is not null
        && http.Features.Get<IAntiforgeryValidationFeature>() is not { IsValid: false };

    /// <summary>
    /// True when this answer's switch posts the kept input back (<see cref="SwitchesByPost"/>): not when the post was
    /// refused as too large (413: nothing of it is kept or shown again, <see cref="InputNotKept"/>), nor when the kept
    /// fields are past <see cref="KeptCharsLimit"/>. Otherwise the switch is the link to the form's page.
    /// </summary>
    public static bool KeepsInput(HttpContext http) =>
        SwitchesByPost(http) && !InputNotKept(http) && Fields(http).Sum(f => (long)f.Key.Length + f.Value.Length) <= KeptCharsLimit(http);

    /// <summary>
    /// The form the page's switch submits (<see cref="LanguageSwitchSubmitsFormAttribute"/> on the page, or on the post
    /// endpoint whose answer is that page again, so that what was typed there since is kept too), else null (the
    /// switch is the /lang/ link, or the kept fields' post of <see cref="KeepsInput"/>). Not for a post whose input is
    /// not shown again (413) or was never read (a refused antiforgery token).
    /// </summary>
    public static LanguageSwitchSubmitsFormAttribute? SubmitsForm(HttpContext http) =>
        HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method) || (SwitchesByPost(http) && !InputNotKept(http))
            ? http.GetEndpoint()?.Metadata.GetMetadata<LanguageSwitchSubmitsFormAttribute>()
            : null;

    /// <summary>The formaction of a page's switch button: the form's action with language=<paramref name="language"/>.</summary>
    public static string SubmitAction(HttpContext http, LanguageSwitchSubmitsFormAttribute form, string language) =>
        http.Request.PathBase + form.Action + QueryString.Create(Parameter, language).ToUriComponent();

    /// <summary>A post answered 413: its input is neither kept nor shown again on the page (which says so).</summary>
    public static bool InputNotKept(HttpContext http) =>
        !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method)
        && http.Response.StatusCode == StatusCodes.Status413PayloadTooLarge;

    /// <summary>
    /// True when the request's endpoint takes a file (<see cref="Imports.UploadLimit"/>): a refused upload's page asks to
    /// choose the file again (a browser cannot keep a chosen file) and shows no file name, rather than to enter it again.
    /// </summary>
    public static bool IsUpload(HttpContext http) => http.GetEndpoint()?.Metadata.GetMetadata<Imports.UploadLimit>() is not null;

    /// <summary>
    /// The most characters (names and values together) a page embeds again for its switch: an upload's file as base64
    /// (4 characters per 3 bytes of <see cref="Imports.UploadLimit.MaxFileBytes"/>, plus its name), else a form body's
    /// limit (<see cref="Api.JsonBody.MaxBodyBytes"/>, 256 KiB), what a form takes at most.
    /// </summary>
    public static long KeptCharsLimit(HttpContext http) =>
        http.GetEndpoint()?.Metadata.GetMetadata<Imports.UploadLimit>() is { } upload
            ? (4 * ((upload.MaxFileBytes + 2) / 3)) + 1024
            : Api.JsonBody.MaxBodyBytes;

    /// <summary>The switch form's action: the posted path and query with language=<paramref name="language"/>.</summary>
    public static string Action(HttpContext http, string language)
    {
        var query = QueryString.Create(http.Request.Query.Where(q => q.Key != Parameter)).Add(Parameter, language);
        return http.Request.PathBase + http.Request.Path + query.ToUriComponent();
    }

    /// <summary>
    /// The fields the switch posts back: those kept by the endpoint (<see cref="Keep"/>), else the request's form
    /// fields as posted, each cut to its field's limit in its form's table (<see cref="FormFieldLimits.Of"/>), without its antiforgery token
    /// (the switch form carries a fresh one).
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Fields(HttpContext http)
    {
        if (http.Items[KeptKey] is IReadOnlyList<KeyValuePair<string, string>> kept)
        {
            return kept;
        }

        // The form as the endpoint read it; never read here (a synchronous read of the body).
        if (http.Features.Get<Microsoft.AspNetCore.Http.Features.IFormFeature>()?.Form is not { } form)
        {
            return [];
        }

        var token = http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<AntiforgeryOptions>>().Value.FormFieldName;
        // Each value cut to its field's limit in its form's table, as the visible field shows it: a huge value is not embedded twice.
        var limits = FormFieldLimits.Of(http);
        return [.. form.Where(f => f.Key != token).SelectMany(f => f.Value.Select(v => new KeyValuePair<string, string>(f.Key, limits.Shown(f.Key, v) ?? string.Empty)))];
    }

    /// <summary>
    /// Reads a post with ?language=: remembers the language and marks the request for <see cref="Requested"/> and
    /// <see cref="UiText"/>. To an endpoint that keeps the work (<see cref="SwitchesByPost"/>) it is the switch, which
    /// never acts; to any other form (a sign-in, an invitation, a save: their pages never post a switch) it is the
    /// form's own post, done and answered in that language (a breaker's finding, round 48: a sign-in posted with
    /// ?language=en was answered 303 to the sign-in page, not signed in). A switch post of a page whose token has
    /// expired (the endpoint keeps work, the post was never read) is answered 303 to the form's page, in the language.
    /// </summary>
    // Not async: a request goes on without a state machine of its own (issue 14's allocation per change).
    public static IApplicationBuilder UseLanguageSwitch(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        if (HttpMethods.IsPost(http.Request.Method) && http.Request.Query.ContainsKey(Parameter))
        {
            // A switch post never acts, whatever its value; an unknown or repeated value switches to nothing (as it was).
            var language = Named(http.Request.Query) is { } named ? Remembered(http, named) : Current(http);
            http.Items[RequestedKey] = language;
            if (!SwitchesByPost(http) && http.GetEndpoint()?.Metadata.GetMetadata<KeepsWorkOnLanguageSwitchAttribute>() is not null)
            {
                http.Response.StatusCode = StatusCodes.Status303SeeOther;
                http.Response.Headers.Location = SignInReturn.WithQuery(http.Request.PathBase + SignInReturn.FormPage(http), QueryWithoutLanguage(http));
                return Task.CompletedTask;
            }
        }
        else if ((HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method))
            && (!http.Request.Path.StartsWithSegments("/api") || http.Request.Path.StartsWithSegments("/api/docs")) && Named(http.Request.Query) is { } asked)
        {
            // A page opened with ?language= (signed in or out, found or not: the 404 page re-executed reads these Items;
            // the API's documentation page too) is in that language, and so are the pages after it.
            http.Items[RequestedKey] = Remembered(http, asked);
        }

        return next(http);
    });

    /// <summary>Remembers <paramref name="language"/> unless the cookie already holds it; the language.</summary>
    public static string Remembered(HttpContext http, string language)
    {
        if (http.Request.Cookies[UiText.Cookie] != language)
        {
            Remember(http, language);
        }

        return language;
    }
}
