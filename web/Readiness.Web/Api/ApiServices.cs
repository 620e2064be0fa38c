using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Readiness.Grains;
using Readiness.Hosting;
using Readiness.Web.Auth;
using Scalar.AspNetCore;

namespace Readiness.Web.Api;

public static class ApiServices
{
    /// <summary>camelCase JSON with enums as their snake_case names (fit_gap, vendor_capacity), as in the data files.</summary>
    public static void ConfigureJson(JsonSerializerOptions json)
    {
        json.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        json.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
        json.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
    }

    public static IServiceCollection AddReadinessApi(this IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(o => ConfigureJson(o.SerializerOptions));
        // Ahead of the default writer: a refused download opened in a browser tab is the dashboard's page.
        services.AddSingleton<IProblemDetailsWriter, DownloadRefusalPage>();
        services.AddProblemDetails(o => o.CustomizeProblemDetails = Problems.ChallengeInsufficientScope);
        services.AddSingleton<ReportingService>();
        services.AddSingleton<MunicipalityRecords>();
        services.AddSingleton<PrefectureRunService>();
        services.AddExceptionHandler<UnreadBody>();
        services.AddExceptionHandler<TransientFailureHandler>();
        services.AddExceptionHandler<UnreadableStateHandler>();
        services.AddTransient<IStartupFilter, HeadRequests>();
        services.AddTransient<IStartupFilter, ApiPaths>();

        // The silo registers it; a web node that is only a client of the cluster reads the same table itself.
        services.TryAddSingleton<IAuditLog, SqlAuditLog>();
        services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(RequestLimits.Configure);
        services.AddReadinessRateLimits();
        services.AddReadinessOpenApi();
        return services;
    }

    /// <summary>Authentication, per-tenant rate limits (after authentication, so the tenant is known), authorization.</summary>
    public static WebApplication UseReadinessApi(this WebApplication app)
    {
        app.UseStatusCodePages(WriteStatusProblem);
        app.Use(RequestIds.Enforce);
        app.Use(ApiPaths.RefuseNotCanonical);
        app.Use(RequestLimits.Enforce);
        app.Use(LimitBodySize);
        app.Use(BearerHeader.Normalize); // one reading of "Bearer  <token>" for both bearer handlers
        app.Use(Clients.ClientsSetup.ReadTokenFormAsync); // before OpenIddict reads it, in the authentication middleware
        app.UseAuthentication();
        app.UseReadinessRateLimiter();
        app.UseAuthorization();
        app.Use(PathValues.Enforce);
        app.Use(RepeatedParameters.Enforce);
        app.Use(ApiPaths.RefuseUnknownDocument); // after the query's rules: a repeated parameter is 400 on every route, as elsewhere
        app.Use(WriteConditions.Enforce);
        app.Use(ContentEncodings.Enforce);
        app.Use(MediaTypes.Enforce);
        app.Use(BodylessWrites.Enforce);
        return app;
    }

    /// <summary>
    /// The server-side cap on request bodies for the API and sign-in (Kestrel's default is 30 MB): twice what the
    /// readers accept, so that they answer 413 with problem details before Kestrel cuts the connection; likewise twice
    /// 256 KiB for a dashboard form (one with an antiforgery token), whose refusal would otherwise show all of it again. A file upload
    /// declares its own limit (<see cref="Readiness.Web.Imports.UploadLimit"/>: 32 MB for an official release, 2 MB for
    /// a reporting template).
    /// </summary>
    private static Task LimitBodySize(HttpContext http, RequestDelegate next)
    {
        var feature = http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false })
        {
            if (http.GetEndpoint()?.Metadata.GetMetadata<Readiness.Web.Imports.UploadLimit>() is { } upload)
            {
                feature.MaxRequestBodySize = Readiness.Web.Imports.UploadLimit.ServerCapBytes(upload.MaxFileBytes, chunked: http.Request.ContentLength is null);
            }
            else if (http.Request.Path.StartsWithSegments("/api"))
            {
                feature.MaxRequestBodySize = 2L * JsonBody.MaxBodyBytes;
            }
            else if (http.Request.Path.StartsWithSegments("/auth"))
            {
                feature.MaxRequestBodySize = 2L * JsonBody.SmallBodyBytes;
            }
            else if (http.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Antiforgery.IAntiforgeryMetadata>() is { RequiresValidation: true })
            {
                // A dashboard form takes what a system's report takes over the API: past it the 413 page, not a page
                // echoing megabytes of input back (a refused form is shown again with what was typed). Kestrel's cap is
                // twice that, so a body a little over is read whole and answered (FormAnswers.UseFormAntiforgeryPage)
                // instead of the connection being cut while the browser still sends it. A chunked body has no length
                // to judge first: its cap is the limit itself, so one past it is refused (413 page) while being read.
                feature.MaxRequestBodySize = http.Request.ContentLength is null ? JsonBody.MaxBodyBytes : 2L * JsonBody.MaxBodyBytes;
            }
        }

        return next(http);
    }

    /// <summary>
    /// Any other empty 4xx under /api (no such route, wrong method, a media type the route does not accept) still
    /// answers with problem details naming the fault. Outside /api, a browser (Accept preferring text/html) gets the
    /// dashboard's ja/en page for the status (<see cref="Readiness.Web.Components.Access.FormAnswers.StatusPage"/>,
    /// the one the refused forms and the rate limit use), except a GET's 404, the not-found page's; a 405 to anyone
    /// else is problem details in both languages; the rest keep the default status pages.
    /// </summary>
    private static async Task WriteStatusProblem(Microsoft.AspNetCore.Diagnostics.StatusCodeContext context)
    {
        var http = context.HttpContext;
        if (http.Response.StatusCode == StatusCodes.Status405MethodNotAllowed)
        {
            HeadRequests.CompleteAllow(http); // pages too
        }

        if (!http.Request.Path.StartsWithSegments("/api"))
        {
            // A person sees a page, not JSON or English status text (an old bookmark of a form, a stale tab posting to a page).
            if (Readiness.Web.Components.Access.FormAnswers.PrefersHtml(http.Request) && Readiness.Web.Components.Access.FormAnswers.StatusPage(http) is { } page)
            {
                await Readiness.Web.Components.Access.FormAnswers.ExecuteInFreshScopeAsync(page, http);
                return;
            }

            if (http.Response.StatusCode == StatusCodes.Status405MethodNotAllowed)
            {
                // A page answers a method it does not take in both languages too (the default text is English only).
                await Problems.Create(StatusCodes.Status405MethodNotAllowed, "Method Not Allowed", "method", "method_not_allowed",
                    $"この URL では {http.Request.Method} は使えません（使えるのは {http.Response.Headers.Allow} です）。",
                    $"{http.Request.Method} is not allowed at this URL (it takes {http.Response.Headers.Allow}).").ExecuteAsync(http);
            }

            return;
        }

        var status = http.Response.StatusCode;
        if (status == StatusCodes.Status415UnsupportedMediaType)
        {
            // Routing refused the media type (the endpoint's Accepts): name it and what is taken instead.
            var patch = HttpMethods.IsPatch(http.Request.Method);
            if (patch)
            {
                http.Response.Headers["Accept-Patch"] = MediaTypes.MergePatch;
            }

            if (MediaTypes.Check(http.Request.ContentType, [patch ? MediaTypes.MergePatch : MediaTypes.Json]) is { } named)
            {
                await named.ExecuteAsync(http);
                return;
            }
        }

        var (field, code, ja, en) = status switch
        {
            StatusCodes.Status404NotFound => ("path", "not_found", "この URL の API はありません。", "There is no API at this URL."),
            StatusCodes.Status405MethodNotAllowed => ("method", "method_not_allowed", $"この URL では {http.Request.Method} は使えません。", $"{http.Request.Method} is not allowed at this URL."),
            StatusCodes.Status415UnsupportedMediaType => ("Content-Type", "unsupported_media_type", "本文は JSON（Content-Type: application/json）で送ってください。", "Send the body as JSON (Content-Type: application/json)."),
            StatusCodes.Status401Unauthorized => ("Authorization", "unauthenticated", "サインインが必要です。", "Sign-in required."),
            StatusCodes.Status403Forbidden => ("role", "forbidden", "この操作を行う権限がありません。", "You may not do this."),
            _ => ("request", "invalid", "リクエストが正しくありません。", "The request is not valid."),
        };
        await Problems.Create(status, Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status), field, code, ja, en).ExecuteAsync(http);
    }

    /// <summary>Besides <see cref="ReadApi.MapReadApi"/>: the write, audit and export endpoints, the sign-in endpoints, the OpenAPI document (/openapi/v1.json) and its UI (/api/docs).</summary>
    public static WebApplication MapReadinessApi(this WebApplication app)
    {
        app.MapWriteApi();
        app.MapPrefectureRunApi();
        app.MapAuditApi();
        app.MapAreaChangesApi();
        app.MapExportApi();
        app.MapAuthEndpoints();
        app.MapOpenApi().RequireRateLimiting(RateLimits.ReadsPolicy);
        app.MapScalarApiReference("/api/docs", (o, http) =>
        {
            // In the page language, as every page (DocsPageLanguage: the <html lang> too).
            o.WithTitle(DocsPageLanguage.Title(Readiness.Web.Components.LanguageSwitch.Current(http))).WithOpenApiRoutePattern("/openapi/{documentName}.json");

            // A government product's docs page calls nobody else: no telemetry, no AI chat, no vendor toolbar.
            o.Telemetry = false;
            o.Agent = new ScalarAgentOptions { Disabled = true };
            o.ShowDeveloperTools = DeveloperToolsVisibility.Never;
        }).RequireRateLimiting(RateLimits.ReadsPolicy)
            // A page a browser opens: it takes the language every page takes (UnknownParameters refused it as JSON).
            .WithMetadata(new OpenApi.DeclaredQueryParameter(Readiness.Web.Components.LanguageSwitch.Parameter))
            .AddEndpointFilter(DocsPageLanguage.FilterAsync);
        return app;
    }
}
