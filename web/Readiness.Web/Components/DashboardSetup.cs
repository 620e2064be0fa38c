using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.Options;
using Readiness.Web.Api;
using Readiness.Web.Auth;
using Readiness.Web.Components.Access;
using Readiness.Web.Components.Edit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Readiness.Web.Components.Map;
using Readiness.Web.Summaries;

namespace Readiness.Web.Components;

/// <summary>Everything the dashboard adds to the web host, so Program.cs gains two lines.</summary>
public static class DashboardSetup
{
    public static WebApplicationBuilder AddReadinessDashboard(this WebApplicationBuilder builder)
    {
        var services = builder.Services;

        // wwwroot is found through the build's static web assets manifest whatever the working directory (`dotnet run`
        // starts in Production from the build output); a published app has no such manifest and this is a no-op.
        builder.WebHost.UseStaticWebAssets();
        services.AddSingleton<AssetUrls>();
        services.AddRazorComponents();

        // Japanese text as UTF-8 rather than numeric character references (a third of the size before compression).
        // Markup characters are still encoded.
        services.AddWebEncoders(o => o.TextEncoderSettings = new System.Text.Encodings.Web.TextEncoderSettings(System.Text.Unicode.UnicodeRanges.All));
        services.AddHttpContextAccessor();
        services.AddScoped<UiText>();
        services.AddSingleton<FormDrafts>();
        services.AddSingleton<MapAssets>();
        services.AddReadinessSummaries(builder.Configuration);

        // Pages answer refusals as pages (sign-in redirect, 403 page); the decision stays with the API's policies.
        services.Replace(ServiceDescriptor.Singleton<IAuthorizationMiddlewareResultHandler>(sp => new PageAuthorizationResultHandler(
            ActivatorUtilities.CreateInstance<ProblemAuthorizationResultHandler>(sp), sp.GetRequiredService<SecurityLog>(), sp.GetRequiredService<IOptions<ReadinessAuthOptions>>())));

        // Pages and JSON are compressed on the fly (fastest level); the map geometry and map data are compressed once
        // at their best level by CompressedPayload and pass through untouched. Event streams are never compressed.
        // BREACH: pages with a secret (the edit forms' antiforgery token) need the SameSite=Strict sign-in cookie, so
        // another site cannot make a signed-in browser fetch them with input of its choosing reflected next to the token.
        services.AddResponseCompression(o =>
        {
            o.EnableForHttps = true;
            o.Providers.Add<BrotliCompressionProvider>();
            o.Providers.Add<GzipCompressionProvider>();
            o.MimeTypes = ResponseCompressionDefaults.MimeTypes.Concat(["text/csv", "image/svg+xml"]);
        });
        return builder;
    }

    /// <summary>
    /// A page is mapped for GET and POST (POST for a form it handles itself); one without such a form
    /// (no <see cref="Microsoft.AspNetCore.Components.SupplyParameterFromFormAttribute"/>) takes GET only, so a POST, PUT
    /// or DELETE there is 405 with <c>Allow: GET, HEAD</c> (RFC 9110 §15.5.6), not the 400 "form expired" page. The last
    /// method metadata is the one routing reads.
    /// </summary>
    private static void GetUnlessItTakesAForm(EndpointBuilder endpoint)
    {
        if (endpoint.Metadata.OfType<Microsoft.AspNetCore.Components.Endpoints.ComponentTypeMetadata>().LastOrDefault() is { } page
            && !page.Type.GetProperties(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic)
                .Any(p => p.IsDefined(typeof(Microsoft.AspNetCore.Components.SupplyParameterFromFormAttribute), inherit: true)))
        {
            endpoint.Metadata.Add(new HttpMethodMetadata([HttpMethods.Get]));
        }
    }

    // Microsoft.AspNetCore.Builder.AntiforgeryApplicationBuilderExtensions' own key.
    private const string AntiforgeryMiddlewareSetKey = "__AntiforgeryMiddlewareSet";

    /// <summary>
    /// Whether a request passes the antiforgery middleware: every request outside /api, and an /api request whose endpoint
    /// requires the token (none today: the API's uploads disable it). The rest of /api (a bearer token, or the SameSite
    /// cookie; no form) skips it: there its only work was a marker in the request's items, a resize of their table on
    /// every write (issue 14's allocation per change).
    /// </summary>
    public static bool TakesAntiforgery(HttpContext http) =>
        !http.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase)
        || http.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Antiforgery.IAntiforgeryMetadata>() is { RequiresValidation: true };

    public static WebApplication UseReadinessDashboard(this WebApplication app)
    {
        // Outside the compression, so it sees the coding the answer went out in and tags it (RFC 9110 §8.8.3).
        // One reading of the conditions of every read (API, pages, static files, exports): a malformed tag list is 400.
        app.Use(ConditionalHeaders.Enforce);
        app.Use(CodedEntityTags.Mark);
        app.UseResponseCompression();
        app.UseStaticFiles(new StaticFileOptions
        {
            OnPrepareResponse = file =>
            {
                AssetUrls.SetCacheHeaders(file);
                ConditionalHeaders.TagPreconditionFailed(file);
            },
        });
        app.UseFormBodyKept();
        app.UseWhen(TakesAntiforgery, forms => forms.UseAntiforgery());
        // Said on the app itself (UseAntiforgery says it on the branch's copy of the properties): otherwise the host adds
        // a second antiforgery step ahead of routing for every request. Were the framework's key ever renamed, that
        // second step would only set its marker again (no endpoint yet), as every request had it before.
        ((IApplicationBuilder)app).Properties[AntiforgeryMiddlewareSetKey] = true;
        app.UseFormAntiforgeryPage();
        app.UseLanguageSwitch();
        // A page is a read (its forms post to endpoints under the writes policy; a POST to a page only renders it).
        // Pages have no entity tag: If-Match with tags is 412, If-None-Match: * is 304 (ConditionalHeaders).
        var pages = app.MapRazorComponents<App>().RequireRateLimiting(RateLimits.ReadsPolicy);
        pages.Add(GetUnlessItTakesAForm);
        pages.Add(ConditionalHeaders.AnswersUntaggedConditions);
        app.MapDashboardEndpoints();
        app.MapEditEndpoints();
        Readiness.Web.Components.PrefectureRun.PrefectureRunEditEndpoints.MapPrefectureRunEditEndpoints(app);
        app.MapTemplateEndpoints();
        app.MapLiveEndpoints();
        return app;
    }
}
