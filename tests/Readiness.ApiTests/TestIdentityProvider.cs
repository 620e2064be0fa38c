using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Readiness.ApiTests;

/// <summary>
/// A minimal external OpenID Connect provider: OpenIddict's server on real Kestrel (free port, plain HTTP), EF Core
/// in-memory stores, the authorization code flow with PKCE required. Whoever the test puts in <see cref="User"/> is
/// signed in at once at the authorization endpoint (no login form), with the e-mail, email_verified and amr claims
/// the test chose.
/// </summary>
public sealed class TestIdentityProvider : IAsyncDisposable
{
    public const string ClientId = "readiness";
    public const string ClientSecret = "test-idp-secret-0123456789";

    private readonly WebApplication app;

    private TestIdentityProvider(WebApplication app, Uri authority)
    {
        this.app = app;
        Authority = authority;
    }

    /// <summary>The person the provider signs in next.</summary>
    public sealed record IdpUser(string Subject, string Email, bool EmailVerified, bool Mfa);

    public Uri Authority { get; }

    public IdpUser User { get; set; } = new("nobody", "nobody@example.jp", false, false);

    public static async Task<TestIdentityProvider> StartAsync()
    {
        var port = Readiness.Testing.TestPorts.Free();
        var authority = new Uri($"http://127.0.0.1:{port}/");
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development", ApplicationName = typeof(TestIdentityProvider).Assembly.GetName().Name });
        builder.WebHost.UseKestrel().UseUrls(authority.ToString().TrimEnd('/'));
        builder.Logging.ClearProviders();
        var database = "idp-" + Guid.NewGuid();
        builder.Services.AddDbContext<IdpDb>(o => o.UseInMemoryDatabase(database).UseOpenIddict());
        builder.Services.AddOpenIddict()
            .AddCore(o => o.UseEntityFrameworkCore().UseDbContext<IdpDb>())
            .AddServer(o =>
            {
                o.SetIssuer(authority);
                o.SetAuthorizationEndpointUris("connect/authorize").SetTokenEndpointUris("connect/token");
                o.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange();
                o.RegisterScopes(Scopes.Email, Scopes.Profile);
                o.AddEphemeralEncryptionKey().AddEphemeralSigningKey();
                o.UseAspNetCore().EnableAuthorizationEndpointPassthrough().DisableTransportSecurityRequirement();
            });
        var app = builder.Build();
        TestIdentityProvider? provider = null;
        app.MapMethods("/connect/authorize", ["GET", "POST"], (HttpContext http) =>
        {
            var request = http.GetOpenIddictServerRequest()!;
            var user = provider!.User;
            var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
            identity.AddClaim(new Claim(Claims.Subject, user.Subject));
            identity.AddClaim(new Claim(Claims.Email, user.Email));
            identity.AddClaim(new Claim(Claims.EmailVerified, user.EmailVerified ? "true" : "false", ClaimValueTypes.Boolean));
            identity.AddClaim(new Claim(Claims.Name, "IdP " + user.Subject));
            identity.AddClaim(new Claim(Claims.AuthenticationMethodReference, "pwd"));
            if (user.Mfa)
            {
                identity.AddClaim(new Claim(Claims.AuthenticationMethodReference, "mfa"));
            }

            identity.SetScopes(request.GetScopes());
            identity.SetDestinations(_ => [Destinations.AccessToken, Destinations.IdentityToken]);
            return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        });
        await app.StartAsync();
        provider = new TestIdentityProvider(app, authority);
        return provider;
    }

    /// <summary>Registers the product as a confidential client with its redirect URI (known once the product listens).</summary>
    public async Task RegisterClientAsync(Uri redirectUri)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var manager = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        await manager.CreateAsync(new OpenIddictApplicationDescriptor
        {
            ClientId = ClientId,
            ClientSecret = ClientSecret,
            ClientType = ClientTypes.Confidential,
            RedirectUris = { redirectUri },
            Permissions =
            {
                Permissions.Endpoints.Authorization, Permissions.Endpoints.Token, Permissions.GrantTypes.AuthorizationCode,
                Permissions.ResponseTypes.Code, Permissions.Scopes.Email, Permissions.Scopes.Profile,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        });
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private sealed class IdpDb(DbContextOptions<IdpDb> options) : DbContext(options);
}
