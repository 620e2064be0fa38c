using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Readiness.Hosting;
using Readiness.Web.Auth;

namespace Readiness.Web.Identity;

/// <summary>
/// Accounts for real people (ASP.NET Core Identity on EF Core, in the product's own database) beside the existing
/// JWT bearer (API) and token sign-in (development): Program.cs gains two lines.
/// </summary>
public static class IdentitySetup
{
    /// <summary>The session cookie of a signed-in person (HttpOnly, SameSite=Strict like the token cookie).</summary>
    public const string CookieName = "readiness.account";

    public static WebApplicationBuilder AddReadinessIdentity(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var account = new AccountOptions();
        builder.Configuration.GetSection(AccountOptions.Section).Bind(account);
        // Its Problems() are checked in ConfigurationChecks, with the commands'.
        services.AddOptions<AccountOptions>().BindConfiguration(AccountOptions.Section);

        // Their Problems() are checked in ConfigurationChecks, with the commands'.
        services.AddOptions<SmtpOptions>().BindConfiguration(SmtpOptions.Section);

        // The product's own database: the data folder's SQLite file (embedded) or the cluster's PostgreSQL.
        services.AddDbContext<IdentityDb>((sp, o) =>
        {
            var storage = sp.GetRequiredService<IStorageConnection>();
            if (storage.Invariant == SiloHosting.SqliteInvariant)
            {
                o.UseSqlite(storage.ConnectionString);
            }
            else
            {
                o.UseNpgsql(storage.ConnectionString);
            }
        });

        services.AddReadinessKeyRing();
        services.AddIdentityCore<ReadinessUser>(o =>
            {
                o.User.RequireUniqueEmail = true;
                o.SignIn.RequireConfirmedAccount = true; // "confirmed" = active: see ActiveAccountConfirmation
                o.Password.RequiredLength = account.PasswordMinLength;
                o.Password.RequireDigit = false;
                o.Password.RequireLowercase = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireNonAlphanumeric = false;
                o.Password.RequiredUniqueChars = 1;
                o.Lockout.AllowedForNewUsers = true;
                o.Lockout.MaxFailedAccessAttempts = account.MaxFailedAccessAttempts;
                o.Lockout.DefaultLockoutTimeSpan = account.LockoutDuration;
                o.ClaimsIdentity.RoleClaimType = "role";
                o.Stores.SchemaVersion = IdentitySchemaVersions.Version3; // with the passkey table
                o.Tokens.PasswordResetTokenProvider = PasswordResetTokenProvider.ProviderName;
            })
            .AddSignInManager()
            .AddEntityFrameworkStores<IdentityDb>()
            .AddDefaultTokenProviders()
            .AddTokenProvider<SingleUseAuthenticatorTokenProvider>(TokenOptions.DefaultAuthenticatorProvider)
            .AddTokenProvider<PasswordResetTokenProvider>(PasswordResetTokenProvider.ProviderName)
            .AddPasswordValidator<CommonPasswordValidator>()
            .AddClaimsPrincipalFactory<AccountClaimsFactory>();
        services.AddScoped<IUserConfirmation<ReadinessUser>, ActiveAccountConfirmation>();
        services.Configure<PasswordResetTokenProviderOptions>(o => o.TokenLifespan = account.PasswordResetLifetime);
        services.AddScoped<AccountService>();
        services.AddScoped<AccountCounters>();
        services.AddScoped<FormReplays>();
        services.AddSingleton<PasswordResetMailer>();
        services.AddHostedService(sp => sp.GetRequiredService<PasswordResetMailer>());
        services.AddScoped<AccountSessions>();
        services.AddSingleton<DeactivatedAccounts>();
        services.AddSingleton<ICredentialRevalidator, AccountCredentialRevalidator>();
        services.AddSingleton<AccountMail>();
        services.TryAddSingleton(TimeProvider.System);

        services.AddAuthentication().AddIdentityCookies(cookies =>
        {
            cookies.ApplicationCookie!.Configure(o =>
            {
                o.Cookie.Name = CookieName;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = account.SessionLifetime;
                o.SlidingExpiration = false;
                o.LoginPath = "/signin";
                o.AccessDeniedPath = "/signin";
                o.Events.OnRedirectToAccessDenied = ctx =>
                {
                    ctx.Response.StatusCode = StatusCodes.Status403Forbidden;
                    return Task.CompletedTask;
                };
                AccountSessions.Attach(o.Events);
                Auth.SignInReturn.Attach(o.Events);
            });
            cookies.TwoFactorUserIdCookie!.Configure(o =>
            {
                o.Cookie.Name = "readiness.2fa";
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.ExpireTimeSpan = TimeSpan.FromMinutes(5);
            });
        });

        // A deactivated, re-roled or signed-out-everywhere account's open sessions end (or change) at the next check.
        services.Configure<SecurityStampValidatorOptions>(o =>
        {
            o.ValidationInterval = account.SessionRevalidation;
            // The re-made principal keeps its session id (the claims factory does not know it).
            o.OnRefreshingPrincipal = ctx =>
            {
                if (ctx.CurrentPrincipal?.FindFirst(AccountSessions.SessionClaim) is { } sid && ctx.NewPrincipal?.Identities.FirstOrDefault() is { } identity)
                {
                    identity.AddClaim(new System.Security.Claims.Claim(AccountSessions.SessionClaim, sid.Value));
                }

                return Task.CompletedTask;
            };
        });

        // A bearer token whose subject is a deactivated account's e-mail is refused (within DeactivatedAccounts.MaxAge).
        services.PostConfigure<Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerOptions>(Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerDefaults.AuthenticationScheme, o =>
        {
            o.Events ??= new Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerEvents();
            var inner = o.Events.OnTokenValidated;
            o.Events.OnTokenValidated = async ctx =>
            {
                await inner(ctx);
                var subjectClaim = ctx.HttpContext.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<ReadinessAuthOptions>>().Value.SubjectClaim;
                if (ctx.Principal?.FindFirst(subjectClaim)?.Value is { } subject
                    && await ctx.HttpContext.RequestServices.GetRequiredService<DeactivatedAccounts>().IsDeactivatedAsync(subject, ctx.HttpContext.RequestAborted))
                {
                    ctx.Fail("The account of this token's subject is deactivated.");
                }
            };
        });

        // The policy scheme (AuthSetup) picks the bearer handler for an Authorization header, otherwise the token
        // cookie; a request carrying the account cookie goes to Identity's cookie instead.
        services.PostConfigure<PolicySchemeOptions>(AuthSetup.Scheme, o =>
        {
            var inner = o.ForwardDefaultSelector;
            o.ForwardDefaultSelector = http =>
                !http.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && http.Request.Cookies.ContainsKey(CookieName)
                    ? IdentityConstants.ApplicationScheme
                    : inner?.Invoke(http);
        });

        // The header's sign-out button posts to /auth/signout (the token cookie's scheme): it ends the account session too.
        // Signing in with a token ends a person's account session in this browser the same way: the account cookie
        // would otherwise keep winning over the new token cookie (a mixed session) and its record stay open.
        services.PostConfigure<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme, o =>
        {
            var signingIn = o.Events.OnSigningIn;
            o.Events.OnSigningIn = async ctx =>
            {
                await signingIn(ctx);
                if (ctx.HttpContext.Request.Cookies.ContainsKey(CookieName))
                {
                    // Through its own handler, not a bare delete: its sign-out ends the session record, and the handler
                    // then does not renew the cookie at the end of this request (a due security-stamp check would).
                    await ctx.HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme);
                }
            };

            var inner = o.Events.OnSigningOut;
            o.Events.OnSigningOut = async ctx =>
            {
                await inner(ctx);
                await AccountSessions.EndCurrentAsync(ctx.HttpContext);
                ctx.HttpContext.Response.Cookies.Delete(CookieName);
            };

            // A token cookie is a session too (a record in readiness_sessions, its id the "sid" claim): the cookie alone
            // is a self-contained ticket, so without the record a copy kept from before the sign-out went on working.
            TokenCookieSessions.Attach(o.Events);
        });

        // Pasting a token is for development and tests: off in Production unless Readiness:Auth:LocalSignIn says otherwise.
        if (builder.Environment.IsProduction())
        {
            services.PostConfigure<ReadinessAuthOptions>(o => o.LocalSignIn ??= false);
        }

        builder.Services.AddHostedService<FirstRunAnnouncer>();
        builder.Services.AddSingleton<IStorageStartStep, IdentityTables>();
        return builder;
    }

    /// <summary>Maps the account endpoints (the identity tables are made when the host starts, <see cref="IdentityTables"/>).</summary>
    public static WebApplication UseReadinessIdentity(this WebApplication app)
    {
        app.MapAccountEndpoints();
        return app;
    }
}

/// <summary>
/// Creates the identity tables if missing when the host starts, after the product's schema and before the server takes
/// requests (<see cref="StorageStart"/>); while the host was built they were made before a refused start had said so.
/// </summary>
public sealed class IdentityTables : IStorageStartStep
{
    public async Task RunAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        using var scope = services.CreateScope();
        if (await IdentitySchema.EnsureAsync(scope.ServiceProvider.GetRequiredService<IdentityDb>(), cancellationToken))
        {
            Console.WriteLine("Readiness accounts: identity tables created");
        }
    }
}

/// <summary>Identity's "confirmed account" check, used as "is the account active": a deactivated account cannot sign in.</summary>
public sealed class ActiveAccountConfirmation : IUserConfirmation<ReadinessUser>
{
    public Task<bool> IsConfirmedAsync(UserManager<ReadinessUser> manager, ReadinessUser user) => Task.FromResult(user.Active);
}
