namespace Readiness.Web.Identity;

/// <summary>
/// The "Readiness:Identity:Oidc" section (env Readiness__Identity__Oidc__Authority, ...): an external OpenID Connect
/// provider (a government IdP, Entra ID, ...) people may sign in with. Off unless Authority and ClientId are set.
/// </summary>
public sealed class FederationOptions
{
    public const string Section = "Readiness:Identity:Oidc";

    /// <summary>The authentication scheme and the login provider name stored with each linked identity (readiness_user_logins).</summary>
    public const string Scheme = "oidc";

    /// <summary>The provider's issuer URL (its /.well-known/openid-configuration is read from there).</summary>
    public string? Authority { get; set; }

    public string? ClientId { get; set; }

    /// <summary>The client secret (confidential client); PKCE is used in addition to it, never instead.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>The provider's name on the sign-in button, e.g. "GビズID" or "Entra ID".</summary>
    public string DisplayName { get; set; } = "OpenID Connect";

    /// <summary>Where the provider sends the browser back (register this redirect URI with the provider).</summary>
    public string CallbackPath { get; set; } = "/signin-oidc";

    /// <summary>False only for a provider on plain HTTP in development and tests.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>
    /// Whether the provider's word on multi-factor authentication is trusted: when true (default) an external sign-in
    /// whose ID token has <c>amr</c> containing <c>mfa</c> (RFC 8176) satisfies Readiness:Auth:RequireMfa; any other
    /// external sign-in of an account that needs a second factor still goes through the product's own second factor.
    /// False: the product's own second factor is always asked for.
    /// </summary>
    public bool TrustMfa { get; set; } = true;

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority) && !string.IsNullOrWhiteSpace(ClientId);

    /// <summary>
    /// One message per value the OpenID Connect handler would refuse on the first sign-in (a 500) rather than at start,
    /// naming the setting and the value; empty when none or when federation is off: an Authority that is not an absolute
    /// https URL (http only with RequireHttpsMetadata=false), a CallbackPath that does not start with "/".
    /// </summary>
    public IEnumerable<string> Problems()
    {
        if (!Enabled)
        {
            yield break;
        }

        if (Readiness.Hosting.OptionsProblems.AuthorityUrl(Section, nameof(Authority), Authority, RequireHttpsMetadata, nameof(RequireHttpsMetadata)) is { } authority)
        {
            yield return authority;
        }

        if (Readiness.Hosting.OptionsProblems.LocalPath(Section, nameof(CallbackPath), CallbackPath, "/signin-oidc") is { } callback)
        {
            yield return callback;
        }
    }
}
