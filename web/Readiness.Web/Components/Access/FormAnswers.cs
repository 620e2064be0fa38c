using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Readiness.Web.Api;
using Readiness.Web.Auth;

namespace Readiness.Web.Components.Access;

/// <summary>
/// The one answer every browser form endpoint gives when its post is refused before it is read: a missing or expired
/// antiforgery token (400) and a route value that names nothing (404), as a ja/en page rather than the framework's
/// English text ("A valid antiforgery token was not provided…") or an empty application/problem+json.
/// </summary>
public static class FormAnswers
{
    /// <summary>
    /// After UseAntiforgery: an endpoint that requires the token (the dashboard's forms, the Razor pages' form posts,
    /// the account, import, planning and notification forms) and whose token did not validate gets the 400 page and
    /// is never run, so nothing changes; one whose body is over its limit (an upload's file plus framing, else 256 KiB)
    /// gets the 413 page, whatever its token. /api/v1 and the RFC 8058 one-click POST disable antiforgery and are untouched.
    /// </summary>
    public static IApplicationBuilder UseFormAntiforgeryPage(this IApplicationBuilder app) => app.Use((context, next) =>
        context.GetEndpoint()?.Metadata is not { } metadata || metadata.GetMetadata<IAntiforgeryMetadata>() is not { RequiresValidation: true }
            // Not a form (every /api request) goes on without an async frame of its own (issue 14's allocation per change).
            ? FormFields.Applies(context) ? TokenlessFormAsync(context, next) : next(context)
            : FormWithTokenAsync(context, next, metadata));

    /// <summary>A form post without a token (sign-in and sign-out under /auth, the one-click unsubscribe): its fields under the same rule (FormFields), answered as problem details unless a browser posted it.</summary>
    private static async Task TokenlessFormAsync(HttpContext context, RequestDelegate next)
    {
        if (await FormFields.RefusalAsync(context, page: false) is { } tokenless)
        {
            await tokenless.ExecuteAsync(context);
            return;
        }

        await next(context);
    }

    private static async Task FormWithTokenAsync(HttpContext context, RequestDelegate next, EndpointMetadataCollection metadata)
    {

        // One size rule, the endpoint's own limit read once: an upload's file plus its framing (UploadLimit), else a
        // dashboard form's 256 KiB. Kestrel's cap is twice that (ApiServices), so a body a little over is read whole and
        // answered here rather than cut off while the browser still sends; a body past Kestrel's cap (its token never
        // read) is the same refusal. The 413 page keeps nothing of the input, in the endpoint's own words.
        var upload = metadata.GetMetadata<Imports.UploadLimit>();
        var limit = upload is null ? Api.JsonBody.MaxBodyBytes : Imports.UploadLimit.BodyBytes(upload.MaxFileBytes);
        var validation = context.Features.Get<IAntiforgeryValidationFeature>();
        var tooLarge = IsTooLarge(validation?.Error);

        // An upload read whole (over its own limit, under Kestrel's cap) with a valid token is answered by its endpoint,
        // on the upload's own page with its own words (ImportsApi.ReadFileAsync); only one never read gets the page here.
        // Its fields first: a file or kind sent twice, a kind that is not UTF-8 (FormFields).
        if (upload is not null && !tooLarge && validation is { IsValid: true })
        {
            if (await FormFields.RefusalAsync(context, page: true) is { } uploadRefusal)
            {
                await uploadRefusal.ExecuteAsync(context);
                return;
            }

            await next(context);
            return;
        }

        if (context.Request.ContentLength > limit || tooLarge)
        {
            // A chunked body refused at Kestrel's cap is known to be past it (UploadLimit.SentPastCap): its own advice too.
            var sent = tooLarge && upload is not null ? Imports.UploadLimit.SentPastCap(context.Request, upload.MaxFileBytes) : (context.Request.ContentLength ?? 0, false);
            var advice = upload is null ? null : Imports.OfficialWorkbook.TooLarge(upload.MaxFileBytes, sent.Item1,
                validation is { IsValid: true } ? SentFileName(context) : null, sent.Item2);
            var kib = Api.JsonBody.MaxBodyBytes / 1024;
            await TooLargeForm(context,
                advice?.MessageJa ?? $"送信内容が大きすぎます（上限 {kib} KiB）。入力を短くしてから、もう一度送信してください。",
                advice?.MessageEn ?? $"The form is too large (limit {kib} KiB): shorten what was entered and send it again.").ExecuteAsync(context);
            return;
        }

        if (validation is { IsValid: false })
        {
            // ASP.NET Core's form reader refuses a whole form with a NUL in any field ("%00"), so the token is never
            // read: the person is told which field, not that the form expired.
            if (IsUnreadableForm(validation.Error) && await FieldWithNulAsync(context.Request) is { } field)
            {
                await InvalidField(field, "NUL などの制御文字は送れません。入力し直してください。", "a control character such as NUL cannot be sent; type the value again.").ExecuteAsync(context);
                return;
            }

            // A limit of the form reader (too many fields, a field or a field's name too long) makes the token unreadable
            // too: told as that limit, as the API tells it (too_many_fields, field_too_long, 413), not as an expired form.
            if (await BrokenLimitAsync(context, validation.Error) is { } broken)
            {
                await TooLargeForm(context, broken.MessageJa, broken.MessageEn,
                    broken.Code == Api.MultipartForm.FieldCountCode ? ("フォームの項目が多すぎます", "Too many form fields") : ("フォームの項目が長すぎます", "A form field is too long"),
                    broken.Field).ExecuteAsync(context);
                return;
            }

            await ExpiredForm().ExecuteAsync(context);
            return;
        }

        // A field sent twice (phase=a&phase=b) or holding bytes that are not UTF-8 (the form reader decodes them to
        // U+FFFD in silence) is refused by name, nothing stored (the body is kept: UseFormBodyKept).
        if (await FormFields.RefusalAsync(context, page: true) is { } refusal)
        {
            await refusal.ExecuteAsync(context);
            return;
        }

        await next(context);
    }

    /// <summary>Whether reading the form failed because the body was over Kestrel's cap (a 413 anywhere in the chain).</summary>
    private static bool IsTooLarge(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The name of the file an upload form sent, once the antiforgery check has read the form whole (the advice differs
    /// for an .xlsx and a CSV; a form not read is never read here: the getter would read it synchronously); used only
    /// for the advice, never shown.
    /// </summary>
    private static string? SentFileName(HttpContext context) =>
        context.Features.Get<Microsoft.AspNetCore.Http.Features.IFormFeature>()?.Form?.Files.GetFile("file")?.FileName;

    /// <summary>
    /// 413: the form's body is over its endpoint's limit (the messages say which); nothing of it is kept or shown again,
    /// nothing changed. The page and its link back to the form's page (<see cref="SignInReturn.FormPage"/>, with the
    /// query of the address posted to: an invitation's <c>?token=</c>) are in the language the post was made in
    /// (<see cref="LanguageSwitch.Current"/>: its <c>?language=</c>, else the cookie's); the link goes through
    /// <c>/lang/{ja|en}</c> so the form's page opens in it.
    /// </summary>
    public static RazorComponentResult<FormAnswerDocument> TooLargeForm(HttpContext http, string messageJa, string messageEn,
        (string Ja, string En)? title = null, string? refused = null) => new(new
    {
        Status = StatusCodes.Status413PayloadTooLarge,
        TitleJa = title?.Ja ?? "送信内容が大きすぎます",
        TitleEn = title?.En ?? "Too large",
        MessageJa = $"{messageJa} 何も変更していません。",
        MessageEn = $"{messageEn} Nothing was changed.",
        LinkHref = BackToForm(http),
        LinkJa = "フォームに戻る",
        LinkEn = "Back to the form",
        Refused = refused,
    }) { StatusCode = StatusCodes.Status413PayloadTooLarge };

    /// <summary>
    /// The link back to the page of the form <paramref name="http"/> posted (<see cref="SignInReturn.FormPage"/>), with
    /// the query of the address posted to (an invitation's or a reset's <c>?token=</c>) but <c>?language=</c>, through
    /// <c>/lang/{ja|en}</c> in the language the post was made in (<see cref="LanguageSwitch.Current"/>), so the form's
    /// page opens in it: every whole-form refusal's page (400, 413) offers it.
    /// </summary>
    public static string? BackToForm(HttpContext http) =>
        LocalPath($"{http.Request.PathBase}/lang/{LanguageSwitch.Current(http)}?returnUrl={Uri.EscapeDataString(SignInReturn.WithQuery(http.Request.PathBase + SignInReturn.FormPage(http), LanguageSwitch.QueryWithoutLanguage(http)))}");

    /// <summary>
    /// The form reader's limit a form post broke, named as the API names it (<see cref="Api.MultipartForm.FieldCountCode"/>,
    /// <see cref="Api.MultipartForm.FieldLengthCode"/>), or null: a multipart body's as its reading found it; a
    /// URL-encoded one's from the reader's error (its limits: how many fields, how long a name or a value), the field
    /// found in the kept body.
    /// </summary>
    internal static async Task<Api.ProblemError?> BrokenLimitAsync(HttpContext context, Exception? error)
    {
        if (Api.MultipartForm.Read(context) is { Fault: { } fault })
        {
            return fault.Code is Api.MultipartForm.FieldCountCode or Api.MultipartForm.FieldLengthCode ? fault : null;
        }

        var message = Unreadable(error)?.Message;
        if (message is null || System.Text.RegularExpressions.Regex.Match(message, @"^Form (value count|key length|value length) limit (\d+) exceeded") is not { Success: true } match)
        {
            return null;
        }

        var limit = int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        if (match.Groups[1].Value == "value count")
        {
            return new Api.ProblemError("body", Api.MultipartForm.FieldCountCode,
                $"フォームの項目が多すぎます（上限 {limit:N0} 個）。送る項目を減らしてください。",
                $"The form has too many fields (at most {limit:N0}); send fewer.");
        }

        var name = match.Groups[1].Value == "key length" ? null : await LongFieldAsync(context.Request, limit);
        if (name is null)
        {
            return new Api.ProblemError("body", Api.MultipartForm.FieldLengthCode,
                $"フォームの項目名が長すぎます（上限 {limit:N0} 文字）。", $"A form field's name is too long (at most {limit:N0} characters).");
        }

        var shown = Api.Problems.Shown(name, 64);
        return new Api.ProblemError(Api.Problems.Named(name), Api.MultipartForm.FieldLengthCode,
            $"フォームの項目「{shown}」が長すぎます（上限 {limit:N0} 文字）。短くしてから送ってください。",
            $"The form field '{shown}' is too long (at most {limit:N0} characters); shorten it.");
    }

    /// <summary>The name of the first field of a kept URL-encoded body whose value decodes to more than <paramref name="limit"/> characters, or null.</summary>
    private static async Task<string?> LongFieldAsync(HttpRequest request, int limit)
    {
        if (!request.Body.CanSeek)
        {
            return null;
        }

        request.Body.Position = 0;
        using var reader = new StreamReader(request.Body, leaveOpen: true);
        var body = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        request.Body.Position = 0;
        foreach (var pair in body.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2);
            if (parts.Length == 2 && parts[1].Length > limit && Decoded(parts[1]).Length > limit)
            {
                return Decoded(parts[0]);
            }
        }

        return null;
    }

    private static string Decoded(string urlEncoded)
    {
        try
        {
            return Uri.UnescapeDataString(urlEncoded.Replace('+', ' '));
        }
        catch (UriFormatException)
        {
            return urlEncoded;
        }
    }

    /// <summary>
    /// Before UseAntiforgery: keeps a URL-encoded form post's body (outside /api) so that a form the framework could
    /// not read can be looked at again (<see cref="FieldWithNulAsync"/>) and its bytes checked
    /// (<see cref="FormFields.FirstNotUtf8Async"/>); reads a multipart one once (<see cref="Api.MultipartForm"/>: its
    /// text fields checked as they are read, an upload's file kept in memory up to its limit), which is the form from then on.
    /// </summary>
    public static IApplicationBuilder UseFormBodyKept(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        if (FormFields.Applies(context))
        {
            if (Api.MultipartForm.IsMultipart(context.Request))
            {
                return ReadMultipartThenAsync(context, next);
            }

            context.Request.EnableBuffering();
        }

        return next(context);
    });

    /// <summary>Reads a multipart form once, here: antiforgery, the field rule and the endpoint all take this reading (<see cref="Api.MultipartForm"/>).</summary>
    private static async Task ReadMultipartThenAsync(HttpContext context, RequestDelegate next)
    {
        var upload = context.GetEndpoint()?.Metadata.GetMetadata<Imports.UploadLimit>();
        await Api.MultipartForm.ReadAsync(context, upload?.MaxFileBytes ?? 2L * Api.JsonBody.MaxBodyBytes);
        await next(context);
    }

    private static bool IsUnreadableForm(Exception? error) => Unreadable(error) is not null;

    /// <summary>The form reader's error in <paramref name="error"/>'s chain (a body it could not read, or a limit broken), or null.</summary>
    private static InvalidDataException? Unreadable(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is InvalidDataException unreadable)
            {
                return unreadable;
            }
        }

        return null;
    }

    /// <summary>The name of the first field of a kept URL-encoded body whose name or value holds a NUL, or null.</summary>
    internal static async Task<string?> FieldWithNulAsync(HttpRequest request)
    {
        if (!request.Body.CanSeek || request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) != true)
        {
            return null;
        }

        request.Body.Position = 0;
        using var reader = new StreamReader(request.Body, leaveOpen: true);
        var body = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        return FieldWithNul(body);
    }

    /// <summary>
    /// The name of the first field of <paramref name="urlEncoded"/> (application/x-www-form-urlencoded) whose name or
    /// value decodes to a NUL, the NUL itself removed from the name and the name cut to 64 characters; null when none does.
    /// </summary>
    public static string? FieldWithNul(string urlEncoded)
    {
        foreach (var pair in urlEncoded.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            if (pair.Contains("%00", StringComparison.Ordinal) || pair.Contains('\0'))
            {
                var name = pair.Split('=', 2)[0].Replace("%00", string.Empty, StringComparison.Ordinal).Replace("\0", string.Empty, StringComparison.Ordinal);
                string decoded;
                try
                {
                    decoded = Uri.UnescapeDataString(name.Replace('+', ' '));
                }
                catch (UriFormatException)
                {
                    decoded = name;
                }

                decoded = new string([.. decoded.Where(c => !char.IsControl(c))]);
                return decoded.Length == 0 ? "(name)" : decoded[..Math.Min(decoded.Length, 64)];
            }
        }

        return null;
    }

    /// <summary>400: the form's antiforgery token is missing or expired; reloading the page gives a new one (the page links back to the form: <see cref="BackToForm"/>).</summary>
    public static RazorComponentResult<FormAnswerDocument> ExpiredForm() => new(new
    {
        Status = StatusCodes.Status400BadRequest,
        TitleJa = "フォームを受け付けられませんでした",
        TitleEn = "The form was not accepted",
        MessageJa = "フォームの有効期限が切れたか、確認用のトークンがありません。何も変更していません。ページを再読み込みしてから、もう一度送信してください。",
        MessageEn = "The form has expired or its verification token is missing. Nothing was changed. Reload the page and send it again.",
        BackToForm = true,
    }) { StatusCode = StatusCodes.Status400BadRequest };

    /// <summary>404: <paramref name="field"/> (a route value such as businessId or prefCode) names nothing; the messages say which.</summary>
    public static RazorComponentResult<FormAnswerDocument> NotFound(string field, string value, string messageJa, string messageEn) => new(new
    {
        Status = StatusCodes.Status404NotFound,
        TitleJa = "見つかりません",
        TitleEn = "Not found",
        // Whole up to 64: an id (a GUID is 36) cut at 20 no longer says which one was not found.
        MessageJa = $"{field}「{Api.Problems.Shown(value, 64)}」: {messageJa} 何も変更していません。",
        MessageEn = $"{field} \"{Api.Problems.Shown(value, 64)}\": {messageEn} Nothing was changed.",
    }) { StatusCode = StatusCodes.Status404NotFound };

    /// <summary>
    /// 400: a form field holds a value the form never sends (a boolean other than its two values, an unknown choice);
    /// refused rather than read as the default, so nothing changes. The messages name the field and say what it takes.
    /// </summary>
    public static RazorComponentResult<FormAnswerDocument> InvalidField(string field, string messageJa, string messageEn) => new(new
    {
        Status = StatusCodes.Status400BadRequest,
        TitleJa = "フォームの内容が正しくありません",
        TitleEn = "The form is not valid",
        MessageJa = $"{field}: {messageJa} 何も変更していません。",
        MessageEn = $"{field}: {messageEn} Nothing was changed.",
        BackToForm = true,
    }) { StatusCode = StatusCodes.Status400BadRequest };

    /// <summary>
    /// 429: the writes or reads budget of this person (signed in) or of this client address (not signed in) is used up
    /// for the current minute; the page says to wait <paramref name="seconds"/> (the Retry-After header the caller has
    /// already set). Nothing was read or changed (said to a post, not to a GET: <see cref="ForMethod"/>).
    /// </summary>
    public static RazorComponentResult<FormAnswerDocument> TooManyRequests(HttpContext http, int seconds, bool signedIn) => new(new
    {
        Status = StatusCodes.Status429TooManyRequests,
        TitleJa = "しばらくお待ちください",
        TitleEn = "Please wait a moment",
        MessageJa = ForMethod(http, signedIn
            ? $"短い時間に送信が多すぎました（ご本人または所属団体全体の上限）。何も変更していません。{seconds}秒待ってから、もう一度お試しください。"
            : $"この接続元から短い時間に送信が多すぎました。何も変更していません。{seconds}秒待ってから、もう一度お試しください。"),
        MessageEn = ForMethod(http, signedIn
            ? $"Too many requests in a short time (your own limit or your organisation's). Nothing was changed. Wait {seconds} seconds and try again."
            : $"Too many requests from this network address in a short time. Nothing was changed. Wait {seconds} seconds and try again."),
    }) { StatusCode = StatusCodes.Status429TooManyRequests };

    /// <summary>
    /// The page for an empty error status answered outside /api to someone whose browser asked for HTML
    /// (<see cref="PrefersHtml"/>), in place of problem details or the framework's English status text; headers already
    /// set (Allow, Retry-After) are kept. 405: the address is a page to open, with a link to it (GET the same path and
    /// query), or a form's address (its GET only leads to the form's page: <see cref="FormAddresses"/>), with a link to
    /// the nearest page above it; 404 for a method other than GET: no page
    /// or form here; any other status: not answered, nothing changed. Null for a GET's 404, which the not-found page
    /// answers (re-executed, with its own reason and hints).
    /// </summary>
    public static RazorComponentResult<FormAnswerDocument>? StatusPage(HttpContext http)
    {
        var request = http.Request;
        var status = http.Response.StatusCode;
        var get = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method);
        if (status == StatusCodes.Status404NotFound && get)
        {
            return null;
        }

        var method = Problems.Shown(request.Method);
        if (status == StatusCodes.Status405MethodNotAllowed)
        {
            var allow = http.Response.Headers.Allow.ToString();
            if (allow.Split(',', StringSplitOptions.TrimEntries).Contains(HttpMethods.Get, StringComparer.OrdinalIgnoreCase) && !FormAddresses.IsFormAddress(http))
            {
                return Answer(http, status, "このアドレスはページです", "This address is a page",
                    $"このアドレスは開いて見るページで、{method} では送信できません（使えるのは {allow} です）。何も変更していません。下のリンクからページを開いてください。",
                    $"This address is a page to open; it does not take {method} (it takes {allow}). Nothing was changed. Open the page with the link below.",
                    request.PathBase + request.Path + request.QueryString, "このページを開く", "Open this page");
            }

            return Answer(http, status, "このアドレスはフォームの送信先です", "This address receives a form",
                $"このアドレスはフォームの送信先で、{method} では使えません（使えるのは {allow} です）。何も変更していません。フォームのあるページを開いて、そこから送信してください。",
                $"This address receives a form and does not take {method} (it takes {allow}). Nothing was changed. Open the page with the form and send it from there.",
                Above(http), "フォームのあるページを開く", "Open the page with the form");
        }

        if (status == StatusCodes.Status404NotFound)
        {
            return Answer(http, status, "見つかりません", "Not found",
                "このアドレスにはページもフォームの送信先もありません。何も変更していません。アドレスを確かめてください。",
                "There is no page or form at this address. Nothing was changed. Check the address.",
                Above(http), "上の階層のページを開く", "Open the page above");
        }

        var reason = Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);
        return status >= 500
            ? Answer(http, status, "ただいま応答できません", "Cannot answer right now",
                $"サーバーがこのリクエストに応答できませんでした（{status} {reason}）。しばらく待ってから、もう一度お試しください。",
                $"The server could not answer this request ({status} {reason}). Wait a moment and try again.",
                Above(http), "ページを開く", "Open the page")
            : Answer(http, status, "リクエストを受け付けられませんでした", "The request was not accepted",
                $"このリクエストには応じられません（{status} {reason}）。何も変更していません。ページを開き直して、もう一度お試しください。",
                $"This request cannot be answered ({status} {reason}). Nothing was changed. Open the page again and retry.",
                Above(http), "ページを開く", "Open the page");
    }

    /// <summary>
    /// Whether a refusal goes to a person's browser outside /api (Accept preferring text/html: <see cref="PrefersHtml"/>),
    /// which is then shown the dashboard's page (<see cref="Refusal"/>) rather than problem details. Under /api, and to
    /// clients not asking for HTML (JSON, <c>*/*</c>, no Accept), false: they keep the problem document.
    /// </summary>
    public static bool WantsPage(HttpContext http) =>
        !http.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase) && PrefersHtml(http.Request);

    /// <summary>
    /// A refusal that has its own words (what its problem details say, in Japanese and English) as the dashboard's
    /// page: status <paramref name="status"/>, the title and message in both languages, Japanese first, and a link
    /// besides the overview (<paramref name="link"/>, a local path; null: the nearest page above the request's path).
    /// <paramref name="refused"/> names the refused query parameter or field on the message (data-refused), if any.
    /// Nothing was changed by the request; the page says so only through <paramref name="messageJa"/>/<paramref name="messageEn"/>.
    /// </summary>
    public static RazorComponentResult<FormAnswerDocument> Refusal(HttpContext http, int status, string titleJa, string titleEn, string messageJa, string messageEn,
        string? link = null, string linkJa = "ページを開く", string linkEn = "Open the page", string? refused = null) =>
        Answer(http, status, titleJa, titleEn, messageJa, messageEn, link ?? Above(http), linkJa, linkEn, refused);

    /// <summary>
    /// <paramref name="message"/> as said to <paramref name="http"/>'s method: a GET or HEAD changes nothing anyway, so its
    /// refusal does not say "nothing was changed" (何も変更していません) — that sentence is for a refused post, put or
    /// delete (a breaker's finding, round 48: /api/docs/v99 said it).
    /// </summary>
    public static string ForMethod(HttpContext http, string message) =>
        !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method) ? message
        : message.Replace("何も変更していません。", string.Empty, StringComparison.Ordinal)
            .Replace("Nothing was read or changed.", string.Empty, StringComparison.Ordinal)
            .Replace("Nothing was changed.", string.Empty, StringComparison.Ordinal)
            .Replace("  ", " ", StringComparison.Ordinal).Trim();

    /// <summary>
    /// Whether the request's Accept prefers text/html to JSON (a browser's navigation or form post:
    /// <c>text/html,…,*/*;q=0.8</c>): text/html named with a quality above zero, and above that of application/json and
    /// application/problem+json (or equal and listed first). No Accept, <c>*/*</c> (fetch, curl) or a JSON type first: false.
    /// </summary>
    public static bool PrefersHtml(HttpRequest request)
    {
        var (html, htmlAt, json, jsonAt) = (0.0, int.MaxValue, 0.0, int.MaxValue);
        var accept = request.GetTypedHeaders().Accept;
        for (var i = 0; i < accept.Count; i++)
        {
            var type = accept[i].MediaType;
            var quality = accept[i].Quality ?? 1.0;
            if (type.Equals("text/html", StringComparison.OrdinalIgnoreCase) && quality > html)
            {
                (html, htmlAt) = (quality, i);
            }
            else if ((type.Equals(MediaTypes.Json, StringComparison.OrdinalIgnoreCase) || type.Equals("application/problem+json", StringComparison.OrdinalIgnoreCase)) && quality > json)
            {
                (json, jsonAt) = (quality, i);
            }
        }

        return html > 0 && (html > json || (html == json && htmlAt < jsonAt));
    }

    /// <summary>
    /// Runs <paramref name="page"/> in a fresh request scope: a page that already rendered (and then answered an
    /// error) has initialized its Blazor services, which render once per scope.
    /// </summary>
    public static async Task ExecuteInFreshScopeAsync(IResult page, HttpContext http)
    {
        await using var scope = http.RequestServices.GetRequiredService<IServiceScopeFactory>().CreateAsyncScope();
        var pageServices = http.RequestServices;
        http.RequestServices = scope.ServiceProvider;
        try
        {
            await page.ExecuteAsync(http);
        }
        finally
        {
            http.RequestServices = pageServices;
        }
    }

    /// <summary>The nearest page at or above the request's path (<see cref="SignInReturn.PageFor"/>), or null when that is the overview (always offered).</summary>
    private static string? Above(HttpContext http) =>
        SignInReturn.PageFor(http, http.Request.Path.Value ?? "/") is var nearest && nearest != "/" ? http.Request.PathBase + nearest : null;

    // Only a path on this site: a request path written "//host/…" must not become a link to another host.
    private static string? LocalPath(string? path) =>
        path is not null && path.StartsWith('/') && !path.StartsWith("//", StringComparison.Ordinal) && !path.StartsWith("/\\", StringComparison.Ordinal) ? path : null;

    /// <summary><see cref="Answer(int, string, string, string, string, string?, string, string, string?)"/> with its messages as said to the request's method (<see cref="ForMethod"/>).</summary>
    private static RazorComponentResult<FormAnswerDocument> Answer(HttpContext http, int status, string titleJa, string titleEn, string messageJa, string messageEn,
        string? link, string linkJa, string linkEn, string? refused = null) =>
        Answer(status, titleJa, titleEn, ForMethod(http, messageJa), ForMethod(http, messageEn), link, linkJa, linkEn, refused);

    private static RazorComponentResult<FormAnswerDocument> Answer(int status, string titleJa, string titleEn, string messageJa, string messageEn,
        string? link, string linkJa, string linkEn, string? refused = null) => new(new
    {
        Status = status,
        TitleJa = titleJa,
        TitleEn = titleEn,
        MessageJa = messageJa,
        MessageEn = messageEn,
        LinkHref = LocalPath(link),
        LinkJa = linkJa,
        LinkEn = linkEn,
        Refused = refused,
    }) { StatusCode = status };

    /// <summary>
    /// Whether the request is a person's browser on a page or one of its forms (outside /api: a Razor page, or an
    /// endpoint that requires the antiforgery token), so that a refusal before the endpoint runs is a ja/en page.
    /// </summary>
    public static bool IsBrowserPage(HttpContext http) =>
        !http.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase)
        && http.GetEndpoint()?.Metadata is { } metadata
        && (metadata.GetMetadata<IAntiforgeryMetadata>() is { RequiresValidation: true }
            || metadata.GetMetadata<Microsoft.AspNetCore.Components.Endpoints.ComponentTypeMetadata>() is not null);

    /// <summary>
    /// 303 See Other to <paramref name="location"/>: the answer to every form post (the next page is fetched with GET,
    /// whatever the client; 302 leaves that to the client).
    /// </summary>
    public static IResult SeeOther(string location) => new SeeOtherResult(location);

    private sealed class SeeOtherResult(string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status303SeeOther;
            httpContext.Response.Headers.Location = location;
            return Task.CompletedTask;
        }
    }

    /// <summary>The municipality code of a form's route, or null when it is one (<c>code</c> checked first, as the API does).</summary>
    public static RazorComponentResult<FormAnswerDocument> NoMunicipality(string code) =>
        NotFound("code", code, "この団体コードの市区町村はありません（6桁、末尾は検査数字）。", "There is no municipality with this code (six digits, the last a check digit).");
}
