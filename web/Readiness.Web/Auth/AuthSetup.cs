using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Readiness.Hosting;

namespace Readiness.Web.Auth;

/// <summary>
/// Authentication (JWT bearer for the API, a cookie for the web UI), the tenant policies and their problem details.
/// The default scheme picks the bearer handler when an Authorization header is present, otherwise the cookie.
/// </summary>
public static class AuthSetup
{
    public const string Scheme = "Readiness";
    public const string CookieName = "readiness.auth";

    public static WebApplicationBuilder AddReadinessAuth(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ReadinessAuthOptions>().BindConfiguration(ReadinessAuthOptions.Section); // checked in ConfigurationChecks
        services.AddSingleton<SecurityLog>();
        services.AddHostedService<LocalSigningKeyAtStart>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<CredentialWatch>();
        services.AddSingleton<IAuthorizationHandler, TenantAuthorizationHandler>();
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, ProblemAuthorizationResultHandler>();

        services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "Bearer token or cookie", o => o.ForwardDefaultSelector = http =>
                http.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                    ? JwtBearerDefaults.AuthenticationScheme
                    : CookieAuthenticationDefaults.AuthenticationScheme)
            .AddJwtBearer()
            .AddCookie(o =>
            {
                o.Cookie.Name = CookieName;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict; // with JSON bodies and custom headers on writes: no cross-site writes
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.SlidingExpiration = false;
                // The handler's own return-URL redirect (sign-in at LoginPath, sign-out at LogoutPath) takes the same
                // check as every other redirect: its built-in test lets "/\t/evil.example" through.
                o.Events.OnRedirectToReturnUrl = ctx =>
                {
                    ctx.Response.Redirect(LocalRedirectTarget.From(ctx.RedirectUri));
                    return Task.CompletedTask;
                };
                o.Events.OnRedirectToAccessDenied = ctx =>
                {
                    ctx.Response.StatusCode = StatusCodes.Status403Forbidden;
                    return Task.CompletedTask;
                };
                SignInReturn.Attach(o.Events);
            });

        services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<IOptions<ReadinessAuthOptions>>((cookie, auth) => cookie.LoginPath = auth.Value.LoginPath);

        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<ReadinessAuthOptions>, IOptions<ReadinessOptions>, TimeProvider>((jwt, authOptions, readiness, time) =>
            {
                var auth = authOptions.Value;
                jwt.MapInboundClaims = false; // keep "sub", "role", "tenant" as they are
                jwt.SaveToken = false; // nothing reads the token back from the ticket: no copy of it per request (issue 14)
                // The handler trims any white space around the token; OpenIddict's validation takes none: both refuse a
                // header that is not "Bearer", spaces, one b64token (BearerHeader), so the two kinds of token agree.
                jwt.Events ??= new JwtBearerEvents();
                var received = jwt.Events.OnMessageReceived;
                jwt.Events.OnMessageReceived = context =>
                {
                    if (BearerHeader.IsMalformed(context.Request.Headers.Authorization.ToString()))
                    {
                        context.Fail("malformed authorization header");
                        return Task.CompletedTask;
                    }

                    return received(context);
                };
                // A token's signature is checked once per ValidatedTokenReuse, not on every request (RememberedTokens).
                var handlers = jwt.TokenHandlers.ToArray();
                jwt.TokenHandlers.Clear();
                foreach (var handler in handlers)
                {
                    jwt.TokenHandlers.Add(new RememberedTokens(handler, auth.ValidatedTokenReuse, time));
                }

                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    NameClaimType = auth.SubjectClaim,
                    RoleClaimType = auth.RoleClaim,
                    ValidAudience = auth.Audience,
                    ValidateAudience = true,
                    ValidateLifetime = true,
                    RequireExpirationTime = true,
                    RequireSignedTokens = true,
                    ClockSkew = TimeSpan.FromMinutes(1),
                };
                if (string.IsNullOrWhiteSpace(auth.Authority))
                {
                    jwt.TokenValidationParameters.ValidIssuer = auth.LocalIssuer;
                    jwt.TokenValidationParameters.IssuerSigningKey = LocalSigningKey.Resolve(auth, readiness.Value);
                    jwt.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
                }
                else
                {
                    jwt.Authority = auth.Authority;
                    jwt.Audience = auth.Audience;
                    jwt.RequireHttpsMetadata = auth.RequireHttpsMetadata;
                }
            });

        services.AddAuthorizationBuilder()
            .AddPolicy(ReadinessPolicies.Summaries, p => p.AddRequirements(new TenantRequirement(TenantScope.Summaries)))
            .AddPolicy(ReadinessPolicies.MunicipalityRead, p => p.AddRequirements(new TenantRequirement(TenantScope.MunicipalityRead)))
            .AddPolicy(ReadinessPolicies.MunicipalityWrite, p => p.AddRequirements(new TenantRequirement(TenantScope.MunicipalityWrite)))
            .AddPolicy(ReadinessPolicies.Export, p => p.AddRequirements(new TenantRequirement(TenantScope.Export)))
            .AddPolicy(ReadinessPolicies.Administration, p => p.AddRequirements(new TenantRequirement(TenantScope.Administration)))
            .AddPolicy(ReadinessPolicies.OfficialImport, p => p.AddRequirements(new TenantRequirement(TenantScope.OfficialImport)))
            .AddPolicy(ReadinessPolicies.PrefectureRunRead, p => p.AddRequirements(new TenantRequirement(TenantScope.PrefectureRunRead)))
            .AddPolicy(ReadinessPolicies.PrefectureRunWrite, p => p.AddRequirements(new TenantRequirement(TenantScope.PrefectureRunWrite)))
            .AddPolicy(ReadinessPolicies.PrefectureChanges, p => p.AddRequirements(new TenantRequirement(TenantScope.PrefectureChanges)))
            .AddPolicy(ReadinessPolicies.NationChanges, p => p.AddRequirements(new TenantRequirement(TenantScope.NationChanges)))
            .AddPolicy(ReadinessPolicies.Inbox, p => p.AddRequirements(new TenantRequirement(TenantScope.Inbox)));
        return builder;
    }
}
