using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Readiness.Web.Api;
using Readiness.Web.Auth;
using Readiness.Web.Identity.Pages;
using Readiness.Web.Components;
using Readiness.Web.Components.Access;
using Readiness.Web.Identity;

namespace Readiness.Web.Clients;

/// <summary>The forms of /admin/clients (plain HTML forms with an antiforgery token), as the account forms are.</summary>
public static class ClientPages
{
    public static WebApplication MapClientPages(this WebApplication app)
    {
        var forms = app.MapGroup("/admin/clients").ExcludeFromDescription().RequireAuthorization().RequireRateLimiting(RateLimits.WritesPolicy)
            .WithMetadata(new RequireAntiforgeryTokenAttribute());
        forms.MapPost("/new", CreateAsync);
        forms.MapPost("/{clientId}/secret", RotateSecretAsync);
        forms.MapPost("/{clientId}/revoke", RevokeAsync);
        return app;
    }

    /// <summary>
    /// The 403 page for a form sent by someone who may not manage clients, saying which change was refused: it was an
    /// empty 403 (a blank page in the browser).
    /// </summary>
    private static RazorComponentResult<AccessDeniedDocument> Forbidden() => new(new
    {
        MessageJa = "API クライアントを管理する権限がありません（管理者のみ。二要素認証の設定が必要な場合があります）。",
        MessageEn = "You may not manage API clients (administrators only; a second factor may be required first).",
    }) { StatusCode = StatusCodes.Status403Forbidden };

    private static async Task<IResult> CreateAsync(HttpContext http, ClientService clients, IOptions<ReadinessAuthOptions> options, TimeProvider time, FormReplays replays)
    {
        if (ClientsApi.Administrator(http, options.Value) is not { } actor)
        {
            return Forbidden();
        }

        if (await ReadFormAsync(http) is not { } form)
        {
            return FormAnswers.SeeOther("/admin/clients?error=bad_form");
        }

        // Read by the API's rule (JapanTime.TryParseInstant: the date field's date alone is the end of that day in Japan);
        // left empty, the API's default (ClientService); anything else is refused as the API refuses it (wrong_type:
        // the format), never taken as "no date" nor as a date in the past.
        DateTimeOffset? expires = null;
        var unreadable = false;
        if (TypedInput.Text(form["expiresAt"]) is { } expiresAt)
        {
            unreadable = !Api.JapanTime.TryParseInstant(expiresAt, out var instant);
            expires = unreadable ? null : instant;
        }

        // A reload of the answer page sends this form again: that would create a second client with its own secret.
        if (!await replays.FirstAsync(http, actor.Subject, form, http.RequestAborted))
        {
            return FormAnswers.SeeOther($"/admin/clients?error={FormReplays.ReplayedCode}");
        }

        var (result, created) = await clients.CreateAsync(actor, form["name"], TypedInput.Text(form["tenant"]), form["scope"], expires, http.Connection.RemoteIpAddress?.ToString(), http.RequestAborted, unreadable);
        if (!result.Succeeded)
        {
            // The form again (422) with every field's fault beside it and what was typed, as the account forms answer.
            http.Response.Headers.CacheControl = "no-store";
            return new RazorComponentResult<AccountDocument>(new
            {
                Page = typeof(ClientsPage),
                Parameters = new Dictionary<string, object?> { ["Posted"] = FormState.From(form, result, Components.FormFieldLimits.ApiClient, "new-client") },
            }) { StatusCode = StatusCodes.Status422UnprocessableEntity };
        }

        var view = new ApiClientCreatedView(ApiClientView.From(created!.Client, time.GetUtcNow().UtcDateTime), created.Secret, ClientsSetup.TokenPath);
        http.Response.Headers.CacheControl = "no-store"; // it shows the secret
        return new RazorComponentResult<AccountDocument>(new
        {
            Page = typeof(ClientCreatedView),
            Parameters = new Dictionary<string, object?> { ["Created"] = view },
        });
    }

    private static async Task<IResult> RotateSecretAsync(HttpContext http, string clientId, ClientService clients, IOptions<ReadinessAuthOptions> options, TimeProvider time, FormReplays replays)
    {
        if (ClientsApi.Administrator(http, options.Value) is not { } actor)
        {
            return Forbidden();
        }

        if (await ReadFormAsync(http) is not { } form)
        {
            return FormAnswers.SeeOther("/admin/clients?error=bad_form");
        }

        // A reload of the answer page sends this form again: a second rotation would void the secret just shown.
        if (!await replays.FirstAsync(http, actor.Subject, form, http.RequestAborted))
        {
            return FormAnswers.SeeOther($"/admin/clients?error={FormReplays.ReplayedCode}");
        }

        var (result, rotated) = await clients.RotateSecretAsync(actor, clientId, http.Connection.RemoteIpAddress?.ToString(), http.RequestAborted);
        if (!result.Succeeded)
        {
            return FormAnswers.SeeOther($"/admin/clients?error={result.Code}");
        }

        var view = new ApiClientCreatedView(ApiClientView.From(rotated!.Client, time.GetUtcNow().UtcDateTime, await clients.StandingAsync(rotated.Client, http.RequestAborted)), rotated.Secret, ClientsSetup.TokenPath);
        http.Response.Headers.CacheControl = "no-store"; // it shows the secret
        return new RazorComponentResult<AccountDocument>(new
        {
            Page = typeof(ClientCreatedView),
            Parameters = new Dictionary<string, object?> { ["Created"] = view, ["Rotated"] = true },
        });
    }

    private static async Task<IResult> RevokeAsync(HttpContext http, string clientId, ClientService clients, IOptions<ReadinessAuthOptions> options)
    {
        if (ClientsApi.Administrator(http, options.Value) is not { } actor)
        {
            return Forbidden();
        }

        if (await ReadFormAsync(http) is null)
        {
            return FormAnswers.SeeOther("/admin/clients?error=bad_form");
        }

        var result = await clients.RevokeAsync(actor, clientId, http.Connection.RemoteIpAddress?.ToString(), http.RequestAborted);
        return FormAnswers.SeeOther(result.Succeeded ? "/admin/clients" : $"/admin/clients?error={result.Code}");
    }

    private static async Task<IFormCollection?> ReadFormAsync(HttpContext http)
    {
        if (http.Features.Get<IAntiforgeryValidationFeature>() is not { IsValid: true } || !http.Request.HasFormContentType)
        {
            return null;
        }

        try
        {
            return await http.Request.ReadFormAsync(http.RequestAborted);
        }
        catch (Exception ex) when (ex is BadHttpRequestException or InvalidDataException)
        {
            return null;
        }
    }
}
