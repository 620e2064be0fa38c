using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Identity;
using Microsoft.IdentityModel.JsonWebTokens;
using System.Security.Claims;

namespace Readiness.Web.Identity;

/// <summary>
/// Sign-in through an external OpenID Connect provider (authorization code with PKCE), registered only when
/// <see cref="FederationOptions"/> names an authority and a client. The provider proves who someone is; what they
/// may do comes only from the product's own account (role and tenant), never from the provider's claims.
/// </summary>
public static class FederationSetup
{
    /// <summary>On the external (temporary) principal: the provider said the e-mail is verified (email_verified true).</summary>
    public const string EmailVerifiedClaim = "readiness_idp_email_verified";

    /// <summary>On the external principal and the session: the provider asserted MFA (amr contains "mfa", RFC 8176).</summary>
    public const string IdpMfaClaim = "idp_mfa";

    /// <summary>HttpContext.Items key read by <see cref="AccountClaimsFactory"/>: this sign-in's second factor was the provider's.</summary>
    public const string IdpMfaItem = "readiness.idp_mfa";

    public static WebApplicationBuilder AddReadinessFederation(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<FederationOptions>().BindConfiguration(FederationOptions.Section);
        services.AddHttpContextAccessor();
        var federation = builder.Configuration.GetSection(FederationOptions.Section).Get<FederationOptions>() ?? new FederationOptions();

        // A session whose second factor was the provider's keeps that fact when the security-stamp check rebuilds its
        // principal (every Readiness:Auth:SessionRevalidation): the claims factory reads it from the request's items.
        services.PostConfigure<CookieAuthenticationOptions>(IdentityConstants.ApplicationScheme, o =>
        {
            var inner = o.Events.OnValidatePrincipal;
            o.Events.OnValidatePrincipal = ctx =>
            {
                if (ctx.Principal?.HasClaim(IdpMfaClaim, "true") == true)
                {
                    ctx.HttpContext.Items[IdpMfaItem] = true;
                }

                return inner(ctx);
            };
        });

        if (!federation.Enabled)
        {
            return builder;
        }

        services.AddAuthentication().AddOpenIdConnect(FederationOptions.Scheme, federation.DisplayName, o =>
        {
            o.Authority = federation.Authority;
            o.ClientId = federation.ClientId;
            o.ClientSecret = federation.ClientSecret;
            o.RequireHttpsMetadata = federation.RequireHttpsMetadata;
            o.CallbackPath = federation.CallbackPath;
            o.SignInScheme = IdentityConstants.ExternalScheme;
            o.ResponseType = "code";
            o.UsePkce = true;

            // The code comes back in the query of a top-level GET: SameSite=Lax cookies (correlation, nonce) are sent
            // with it, on HTTP in development as on HTTPS. form_post would need SameSite=None, i.e. HTTPS only.
            o.ResponseMode = "query";
            o.CorrelationCookie.SameSite = SameSiteMode.Lax;
            o.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.NonceCookie.SameSite = SameSiteMode.Lax;
            o.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.MapInboundClaims = false;
            o.SaveTokens = false;
            o.Scope.Clear();
            o.Scope.Add("openid");
            o.Scope.Add("profile");
            o.Scope.Add("email");
            o.Events.OnTokenValidated = ctx =>
            {
                // The two facts the product relies on, read from the ID token the handler has just validated.
                var raw = ctx.TokenEndpointResponse?.IdToken ?? ctx.ProtocolMessage?.IdToken;
                if (raw is not null && ctx.Principal?.Identity is ClaimsIdentity identity)
                {
                    var token = new JsonWebToken(raw);
                    if (token.Claims.Any(c => c.Type == "email_verified" && string.Equals(c.Value, "true", StringComparison.OrdinalIgnoreCase)))
                    {
                        identity.AddClaim(new Claim(EmailVerifiedClaim, "true"));
                    }

                    if (token.Claims.Any(c => c.Type == "amr" && c.Value == "mfa"))
                    {
                        identity.AddClaim(new Claim(IdpMfaClaim, "true"));
                    }
                }

                return Task.CompletedTask;
            };
            o.Events.OnRemoteFailure = ctx =>
            {
                // access_denied at the provider, a lost correlation cookie, a bad token: a page, never a 500.
                ctx.HttpContext.RequestServices.GetRequiredService<Auth.SecurityLog>()
                    .Refused(ctx.HttpContext, null, "unauthenticated", 401, $"external sign-in failed: {ctx.Failure?.Message}");
                ctx.Response.Redirect(FederationEndpoints.RefusedPath + "?reason=" + FederationRefusal.RemoteFailure);
                ctx.HandleResponse();
                return Task.CompletedTask;
            };
        });
        return builder;
    }
}
