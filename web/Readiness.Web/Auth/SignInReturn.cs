using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.AspNetCore.Routing.Template;
using Microsoft.Extensions.Options;

namespace Readiness.Web.Auth;

/// <summary>
/// Endpoint metadata of a form post: the page that shows the form, when it is not the nearest page above the post's
/// address (<see cref="SignInReturn.PageFor"/>). <see cref="Template"/> is a local path, optionally with a fragment,
/// whose <c>{name}</c> parts are the post's route values (escaped): "/municipalities/{code}#edit-system-{businessId}",
/// "/admin/users". A person whose session ended before the post is sent back there after signing in again.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed partial class FormPageAttribute(string template) : Attribute
{
    /// <summary>The page's address with <c>{name}</c> route-value parts, e.g. "/prefectures/{prefCode}#prefecture-run-{businessId}".</summary>
    public string Template { get; } = template;

    /// <summary>The page for this request's route values, or null when the template names a value the route lacks.</summary>
    public string? For(RouteValueDictionary values)
    {
        var missing = false;
        var page = Part().Replace(Template, m =>
        {
            if (values.TryGetValue(m.Groups[1].Value, out var value) && value?.ToString() is { Length: > 0 } text)
            {
                return Uri.EscapeDataString(text);
            }

            missing = true;
            return string.Empty;
        });
        return missing ? null : page;
    }

    [GeneratedRegex(@"\{([A-Za-z][A-Za-z0-9]*)\}")]
    private static partial Regex Part();
}

/// <summary>
/// Where the sign-in page sends a person back to when their session ended before a form post (a POST to
/// /account/recovery-codes, /municipalities/{code}/systems/{businessId}, ...): the return URL is followed with GET,
/// and a POST-only address answers that with 405, a form's address that a GET redirects (to its page) costs a hop and
/// leaves the sign-in page's return address wrong. So for anything but GET and HEAD the return URL is the page that
/// shows the form: the post's <see cref="FormPageAttribute"/> when it has one (/municipalities/{code}#edit-system-…,
/// /admin/users for /admin/invitations), else the nearest page above the posted address (/account for
/// /account/recovery-codes, /admin/users for /admin/users/{id}/active), else the home page. Always a local address,
/// with the request's query (a GET's whole query, a post's <c>?language=</c>) before its fragment, as the cookie
/// handler keeps a page's.
/// </summary>
public static class SignInReturn
{
    /// <summary>Wraps the cookie handler's redirect to the sign-in page so that a POST's return URL is a page (see the class).</summary>
    public static void Attach(CookieAuthenticationEvents events)
    {
        var original = events.OnRedirectToLogin;
        events.OnRedirectToLogin = async context =>
        {
            // A page's query refused anyway after sign-in (a parameter given twice, ?language=en&language=ja; bytes not
            // UTF-8) is refused here, at the first page: no cookie is set and nothing is carried into a return URL.
            if ((HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
                && await Api.RepeatedParameters.RefusePageAsync(context.HttpContext))
            {
                return;
            }

            // A ?language= (a page opened with it, a form's address reloaded, a switch post) is remembered before the
            // sign-in page, so that page and the page after it come in that language (LanguageSwitch.Named: once, known).
            if (Components.LanguageSwitch.Named(context.Request.Query) is { } language)
            {
                Components.LanguageSwitch.Remembered(context.HttpContext, language);
            }

            // A form address's GET (Components.Access.FormAddresses) returns to the form's page too, not to itself.
            if ((!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
                || context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<Components.Access.ReturnsToFormPageAttribute>() is not null)
            {
                var page = WithQuery(FormPage(context.HttpContext), ReturnQuery(context.Request));
                var query = QueryString.Create(context.Options.ReturnUrlParameter, page);
                // A dashboard form (it carries an antiforgery token) posted after the session ended: nothing is saved,
                // the sign-in page says so, and the input is kept for its page when that page can show it again.
                if (context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Antiforgery.IAntiforgeryMetadata>() is { RequiresValidation: true })
                {
                    var drafts = context.HttpContext.RequestServices.GetRequiredService<Components.Access.FormDrafts>();
                    var kept = await drafts.KeepAsync(context.HttpContext, EndedSessionSubject(context.HttpContext));
                    query = query.Add(Components.Access.FormDrafts.QueryName, Components.Access.FormDrafts.Wire(kept.Outcome));
                    if (kept.Dropped > 0)
                    {
                        // Drafts whose sign-in page said "kept" and that will not come back now: this page says so.
                        query = query.Add(Components.Access.FormDrafts.DroppedQueryName, kept.Dropped.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    }
                }

                context.RedirectUri = context.Request.PathBase + context.Options.LoginPath + query;
            }

            await original(context);
        };
    }

    /// <summary>
    /// The query the return URL keeps (a breaker's finding, round 45: it was dropped, so ?language=en came back as
    /// Japanese): a GET's or HEAD's whole query, as the cookie handler keeps a page's; a post's only its
    /// <c>?language=</c> (the rest of a post's query belongs to the post, not to the page holding its form).
    /// </summary>
    private static QueryString ReturnQuery(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) ? request.QueryString
        : Components.LanguageSwitch.Named(request.Query) is { } language
            ? QueryString.Create(Components.LanguageSwitch.Parameter, language)
            : QueryString.Empty;

    /// <summary>A local address ("/path#fragment") with <paramref name="query"/> put before its fragment.</summary>
    public static string WithQuery(string page, QueryString query)
    {
        if (!query.HasValue)
        {
            return page;
        }

        var hash = page.IndexOf('#', StringComparison.Ordinal);
        var (path, fragment) = hash < 0 ? (page, string.Empty) : (page[..hash], page[hash..]);
        // A page address carries no query of its own (FormPage and PageFor give paths); one that did is joined, not doubled.
        return path + (path.Contains('?', StringComparison.Ordinal) ? "&" + query.Value![1..] : query.Value) + fragment;
    }

    /// <summary>
    /// Whose session ended, when the browser still sends its sign-in cookie (an account's session cookie whose
    /// ticket expired or was signed out elsewhere); null when the cookie is gone or unreadable. Used only to bind a
    /// kept draft to that person, never to sign anyone in.
    /// </summary>
    private static string? EndedSessionSubject(HttpContext http)
    {
        var monitor = http.RequestServices.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>();
        var auth = http.RequestServices.GetRequiredService<IOptions<ReadinessAuthOptions>>().Value;
        foreach (var scheme in new[] { Microsoft.AspNetCore.Identity.IdentityConstants.ApplicationScheme, CookieAuthenticationDefaults.AuthenticationScheme })
        {
            var options = monitor.Get(scheme);
            if (options.Cookie.Name is { } name && options.TicketDataFormat is { } format
                && options.CookieManager is { } cookies
                && cookies.GetRequestCookie(http, name) is { Length: > 0 } cookie
                && format.Unprotect(cookie) is { } ticket
                && ReadinessCaller.From(ticket.Principal, auth) is { } caller)
            {
                return caller.Subject;
            }
        }

        return null;
    }

    /// <summary>
    /// The local address (path, optionally a fragment) of the page that shows the form this request posted: its
    /// endpoint's <see cref="FormPageAttribute"/>, else <see cref="PageFor"/> of the posted path.
    /// </summary>
    public static string FormPage(HttpContext http)
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<FormPageAttribute>() is { } declared
            && declared.For(http.Request.RouteValues) is { } page
            && LocalRedirectTarget.TryParse(page, out var local))
        {
            return local;
        }

        return PageFor(http, http.Request.Path.Value ?? "/");
    }

    /// <summary>
    /// The nearest path at or above <paramref name="path"/> (dropping segments from the end) that a page (a Razor
    /// component answering GET) matches; "/" when none does. Other GET endpoints (a form address's redirect to its
    /// page, a download) are no page to return to.
    /// </summary>
    public static string PageFor(HttpContext http, string path)
    {
        var templates = http.RequestServices.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<ComponentTypeMetadata>() is not null)
            .Where(e => e.Metadata.GetMetadata<HttpMethodMetadata>() is not { } methods || methods.HttpMethods.Contains(HttpMethods.Get))
            // A catch-all (the not-found fallback) matches everything and says nothing about which page holds a form.
            .Where(e => !e.RoutePattern.Parameters.Any(p => p.IsCatchAll))
            .Select(e => new TemplateMatcher(new RouteTemplate(e.RoutePattern), new RouteValueDictionary()))
            .ToList();
        var candidate = path.TrimEnd('/');
        while (candidate.Length > 0)
        {
            if (templates.Any(t => t.TryMatch(candidate, new RouteValueDictionary())))
            {
                return candidate;
            }

            candidate = candidate[..candidate.LastIndexOf('/')];
        }

        return "/";
    }
}
