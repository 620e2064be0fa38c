using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Readiness.Web.Api;

namespace Readiness.Web.Auth;

public sealed record SignInRequest
{
    public string? Token { get; init; }

    public string? ReturnUrl { get; init; }
}

public sealed record CallerView(bool Authenticated, string? Subject, string? Role, string? Tenant, DateTimeOffset? ExpiresAt);

/// <summary>
/// Local sign-in for the web UI: a token (from the `token` command) is exchanged for an HttpOnly, SameSite=Strict
/// cookie that lasts as long as the token. On by default only when no OpenID Connect authority is configured.
/// </summary>
public static class AuthEndpoints
{
    public static IEndpointRouteBuilder MapAuthEndpoints(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/auth").ExcludeFromDescription().RequireRateLimiting(RateLimits.ReadsPolicy);
        auth.MapGet("/local/signin", SignInPage);
        auth.MapPost("/local/signin", SignIn).DisableAntiforgery();
        auth.MapPost("/signout", (Func<HttpContext, Task<IResult>>)SignOut).DisableAntiforgery();
        auth.MapGet("/signout", (Func<HttpContext, Task<IResult>>)SignOut);
        auth.MapGet("/me", Me);
        return app;
    }

    /// <summary>The form lives on the dashboard's sign-in page (with how to get a token); this address leads there.</summary>
    private static IResult SignInPage(IOptions<ReadinessAuthOptions> options, string? returnUrl)
    {
        if (!options.Value.LocalSignInEnabled)
        {
            return Problems.NotFound("path", "ローカルサインインは無効です。", "Local sign-in is disabled.");
        }

        return Results.Redirect($"{options.Value.LoginPath}?returnUrl={Uri.EscapeDataString(LocalRedirectTarget.From(returnUrl))}");
    }

    private static async Task<IResult> SignIn(HttpContext http, IOptions<ReadinessAuthOptions> options, IOptionsMonitor<JwtBearerOptions> jwtOptions, SecurityLog securityLog)
    {
        var auth = options.Value;
        if (!auth.LocalSignInEnabled)
        {
            return Problems.NotFound("path", "ローカルサインインは無効です。", "Local sign-in is disabled.");
        }

        // Login CSRF: a browser always sends Origin on a cross-site POST.
        if (http.Request.Headers.Origin is { Count: > 0 } origin
            && (!Uri.TryCreate(origin.ToString(), UriKind.Absolute, out var o) || !string.Equals(o.Authority, http.Request.Host.Value, StringComparison.OrdinalIgnoreCase)))
        {
            securityLog.Refused(http, null, "cross_site", 403, $"sign-in from origin {origin}");
            return Problems.Create(StatusCodes.Status403Forbidden, "Forbidden", "Origin", "cross_site", "別のサイトからのサインインは受け付けません。", "Sign-in from another site is refused.");
        }

        var form = http.Request.HasFormContentType;
        SignInRequest? request;
        if (form)
        {
            try
            {
                var values = await http.Request.ReadFormAsync(http.RequestAborted);
                request = new SignInRequest { Token = values["token"].ToString(), ReturnUrl = values["returnUrl"].ToString() };
            }
            catch (Exception ex) when (ex is BadHttpRequestException or InvalidDataException)
            {
                return Problems.Create(StatusCodes.Status413PayloadTooLarge, "Payload too large", "body", "too_large",
                    $"本文が大きすぎます（上限 {JsonBody.SmallBodyBytes / 1024} KiB）。サインインにはトークン（token）と戻り先（returnUrl）だけを送ってください。",
                    $"The body is too large (at most {JsonBody.SmallBodyBytes / 1024} KiB). A sign-in sends only the token (token) and where to return (returnUrl).");
            }
        }
        else
        {
            var (body, problem) = await JsonBody.ReadAsync<SignInRequest>(http.Request, BodyLimit.Small, http.RequestAborted);
            if (problem is not null)
            {
                return problem;
            }

            request = body;
        }

        var token = request?.Token?.Trim();
        if (string.IsNullOrEmpty(token) && form)
        {
            return BackToSignInPage(auth, request?.ReturnUrl);
        }

        if (string.IsNullOrEmpty(token))
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "Invalid request", "token", "required", "トークンを入力してください。", "A token is required.");
        }

        var jwt = jwtOptions.Get(JwtBearerDefaults.AuthenticationScheme);
        var parameters = jwt.TokenValidationParameters.Clone();
        if (jwt.ConfigurationManager is not null)
        {
            var config = await jwt.ConfigurationManager.GetConfigurationAsync(http.RequestAborted);
            parameters.ValidIssuer = config.Issuer;
            parameters.IssuerSigningKeys = config.SigningKeys;
        }

        var validated = await new JsonWebTokenHandler { MapInboundClaims = false }.ValidateTokenAsync(token, parameters);
        var caller = validated.IsValid ? ReadinessCaller.From(new ClaimsPrincipal(validated.ClaimsIdentity), auth) : null;
        if (caller is null)
        {
            securityLog.Refused(http, null, "unauthenticated", 401, "local sign-in with an invalid token");
            if (form)
            {
                return BackToSignInPage(auth, request?.ReturnUrl);
            }

            if (!validated.IsValid)
            {
                // Why the token is refused (expired, not a JWT, another key's…), as the API says it.
                var refusal = CredentialRefusal.From("Bearer " + token, validated.Exception, clientToken: false);
                return Problems.Create(StatusCodes.Status401Unauthorized, "Unauthorized", "token", refusal.Code, refusal.MessageJa, refusal.MessageEn);
            }

            var (_, _, ja, en) = ReadinessCaller.Refusal(new ClaimsPrincipal(validated.ClaimsIdentity), auth);
            return Problems.Create(StatusCodes.Status401Unauthorized, "Unauthorized", "token", "invalid_claims", ja, en);
        }

        var claims = new List<Claim> { new(auth.SubjectClaim, caller.Subject), new(auth.RoleClaim, Wire.Name(caller.Role)), new("name", caller.Subject) };
        if (caller.Tenant is not null)
        {
            claims.Add(new Claim(auth.TenantClaim, caller.Tenant));
        }

        var expires = validated.SecurityToken.ValidTo == DateTime.MinValue ? DateTimeOffset.UtcNow.AddHours(8) : new DateTimeOffset(validated.SecurityToken.ValidTo, TimeSpan.Zero);
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme, auth.SubjectClaim, auth.RoleClaim));
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, principal, new AuthenticationProperties { IsPersistent = true, ExpiresUtc = expires });
        return form
            ? Components.Access.FormAnswers.SeeOther(LocalRedirectTarget.From(request!.ReturnUrl))
            : Results.Ok(new CallerView(true, caller.Subject, Wire.Name(caller.Role), caller.Tenant, expires));
    }

    private static async Task<IResult> SignOut(HttpContext http)
    {
        await Identity.TokenCookieSessions.SignOutEverywayAsync(http);
        return http.Request.HasFormContentType || HttpMethods.IsGet(http.Request.Method) && http.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.Ordinal)
            ? Components.Access.FormAnswers.SeeOther("/")
            : Results.NoContent();
    }

    private static async Task<IResult> Me(HttpContext http, IOptions<ReadinessAuthOptions> options)
    {
        var caller = ReadinessCaller.From(http.User, options.Value);
        if (caller is null)
        {
            return Results.Ok(new CallerView(false, null, null, null, null));
        }

        var result = await http.AuthenticateAsync();
        return Results.Ok(new CallerView(true, caller.Subject, Wire.Name(caller.Role), caller.Tenant, result.Properties?.ExpiresUtc));
    }

    /// <summary>A person who pasted a bad token sees the sign-in page again with the message (not a JSON problem).</summary>
    private static IResult BackToSignInPage(ReadinessAuthOptions auth, string? returnUrl) =>
        Components.Access.FormAnswers.SeeOther($"{auth.LoginPath}?error=invalid_token&returnUrl={Uri.EscapeDataString(LocalRedirectTarget.From(returnUrl))}");
}
