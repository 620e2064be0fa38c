using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.AspNetCore.Routing.Template;
using Microsoft.Extensions.Options;

namespace Readiness.Web.Auth;

/// <summary>
/// Where the sign-in page sends a person back to when their session ended before a form post (a POST to
/// /account/recovery-codes, /admin/users/{id}/active, ...): the return URL is followed with GET, and a POST-only
/// address answers that with 405. So for anything but GET and HEAD the return URL is the nearest address above the
/// posted one that a GET reaches (/account for /account/recovery-codes, /admin/users for /admin/users/{id}/active),
/// else the home page.
/// </summary>
public static class SignInReturn
{
    /// <summary>Wraps the cookie handler's redirect to the sign-in page so that a POST's return URL is a page (see the class).</summary>
    public static void Attach(CookieAuthenticationEvents events)
    {
        var original = events.OnRedirectToLogin;
        events.OnRedirectToLogin = async context =>
        {
            if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
            {
                var page = PageFor(context.HttpContext, context.Request.Path.Value ?? "/");
                var query = QueryString.Create(context.Options.ReturnUrlParameter, page);
                // A dashboard form (it carries an antiforgery token) posted after the session ended: nothing is saved,
                // the sign-in page says so, and the input is kept for its page when that page can show it again.
                if (context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Antiforgery.IAntiforgeryMetadata>() is { RequiresValidation: true })
                {
                    var drafts = context.HttpContext.RequestServices.GetRequiredService<Components.Access.FormDrafts>();
                    var outcome = await drafts.KeepAsync(context.HttpContext, EndedSessionSubject(context.HttpContext));
                    query = query.Add(Components.Access.FormDrafts.QueryName, Components.Access.FormDrafts.Wire(outcome));
                }

                context.RedirectUri = context.Request.PathBase + context.Options.LoginPath + query;
            }

            await original(context);
        };
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

    /// <summary>The nearest path at or above <paramref name="path"/> (dropping segments from the end) that a GET endpoint matches; "/" when none does.</summary>
    public static string PageFor(HttpContext http, string path)
    {
        var templates = http.RequestServices.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
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
