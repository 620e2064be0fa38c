using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.AspNetCore.Routing.Template;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Primitives;
using Readiness.Web.Api;
using Readiness.Web.Auth;

namespace Readiness.Web.Components.Access;

/// <summary>
/// Metadata of the GET that <see cref="FormAddresses"/> adds at a form's POST-only address: the person's browser sends
/// it on reload, from history or a bookmark after the form was sent, and is sent (303) to the page holding the form.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class ReturnsToFormPageAttribute : Attribute;

/// <summary>
/// A dashboard form's POST-only address (outside /api, its form carrying an antiforgery token) answers GET and HEAD
/// with 303 See Other to the page that holds the form (<see cref="SignInReturn.FormPage"/>: the post's
/// <see cref="FormPageAttribute"/>, else the nearest page above), never 405: after a form is sent the address bar holds
/// the post's address. The GET requires what the post requires (its <see cref="IAuthorizeData"/>), so an anonymous
/// GET of a protected form's address goes to sign-in with ReturnUrl the form's page. The address's query is kept on
/// the way (a <c>?language=en|ja</c> left by a language-switch post, an invitation's <c>?token=</c>), and its language
/// remembered, so the page comes in that language. Added for every such endpoint at once by
/// reading the other endpoint sources, so a new form cannot forget it; /api keeps 405 with Allow.
/// </summary>
public static class FormAddresses
{
    /// <summary>Adds the GET for each form address that has none of its own. Call after every other Map*.</summary>
    public static IEndpointRouteBuilder MapFormAddressReturns(this IEndpointRouteBuilder app)
    {
        app.DataSources.Add(new ReturnsDataSource(app.DataSources));
        return app;
    }

    /// <summary>Whether an endpoint is a dashboard form's post: POST only, outside /api, requiring an antiforgery token.</summary>
    public static bool IsFormPost(RouteEndpoint endpoint) =>
        endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods is [var method] && HttpMethods.IsPost(method)
        && !IsApi(endpoint.RoutePattern)
        && endpoint.Metadata.GetMetadata<IAntiforgeryMetadata>() is { RequiresValidation: true };

    /// <summary>
    /// Whether this request's path is a form's address answering GET only by sending the person to the form's page
    /// (so a 405 there names a form's address, not a page to open).
    /// </summary>
    public static bool IsFormAddress(HttpContext http)
    {
        var path = http.Request.Path.Value ?? "/";
        return http.RequestServices.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<ReturnsToFormPageAttribute>() is not null)
            .Any(e => new TemplateMatcher(new RouteTemplate(e.RoutePattern), []).TryMatch(path, []));
    }

    private static bool IsApi(RoutePattern pattern) =>
        pattern.PathSegments is [{ Parts: [RoutePatternLiteralPart { Content: var first }] }, ..] && string.Equals(first, "api", StringComparison.OrdinalIgnoreCase);

    /// <summary>The pattern with parameter names dropped and literals in one case: "/admin/users/{}/role".</summary>
    private static string Shape(RoutePattern pattern) => string.Join('/', pattern.PathSegments.Select(s => string.Concat(s.Parts.Select(p => p switch
    {
        RoutePatternLiteralPart literal => literal.Content.ToLowerInvariant(),
        RoutePatternSeparatorPart separator => separator.Content,
        _ => "{}",
    }))));

    private static bool TakesGet(Endpoint endpoint) =>
        endpoint.Metadata.GetMetadata<IHttpMethodMetadata>() is not { HttpMethods.Count: > 0 } methods || methods.HttpMethods.Contains(HttpMethods.Get, StringComparer.OrdinalIgnoreCase);

    // The address's whole query comes along (a breaker's finding, round 46: ?language=en&keep=1 came back as the page
    // alone, and /account/invitation?token=… as an invitation page without its token); its ?language= was remembered
    // by LanguageSwitch's reading of every page's query.
    private static Task ReturnAsync(HttpContext http) =>
        FormAnswers.SeeOther(SignInReturn.WithQuery(http.Request.PathBase + SignInReturn.FormPage(http), http.Request.QueryString)).ExecuteAsync(http);

    private sealed class ReturnsDataSource(ICollection<EndpointDataSource> sources) : EndpointDataSource
    {
        private readonly Lock gate = new();
        private IReadOnlyList<Endpoint>? endpoints;

        public override IReadOnlyList<Endpoint> Endpoints
        {
            get
            {
                lock (gate)
                {
                    return endpoints ??= Build();
                }
            }
        }

        public override IChangeToken GetChangeToken() => NullChangeToken.Singleton;

        private List<Endpoint> Build()
        {
            var all = sources.Where(s => !ReferenceEquals(s, this)).SelectMany(s => s.Endpoints).OfType<RouteEndpoint>().ToList();
            var withGet = all.Where(TakesGet).Select(e => Shape(e.RoutePattern)).ToHashSet(StringComparer.Ordinal);
            var added = new List<Endpoint>();
            foreach (var post in all.Where(IsFormPost).Where(e => withGet.Add(Shape(e.RoutePattern))))
            {
                var builder = new RouteEndpointBuilder(ReturnAsync, post.RoutePattern, post.Order)
                {
                    DisplayName = "GET " + post.RoutePattern.RawText + " (to the form's page)",
                };
                builder.Metadata.Add(new HttpMethodMetadata([HttpMethods.Get]));
                builder.Metadata.Add(new ReturnsToFormPageAttribute());
                builder.Metadata.Add(new EnableRateLimitingAttribute(RateLimits.ReadsPolicy));
                builder.Metadata.Add(new ExcludeFromDescriptionAttribute());
                foreach (var item in post.Metadata.Where(m => m is IAuthorizeData or IAllowAnonymous or AuthorizationPolicy or FormPageAttribute))
                {
                    builder.Metadata.Add(item);
                }

                added.Add(builder.Build());
            }

            return added;
        }
    }
}
