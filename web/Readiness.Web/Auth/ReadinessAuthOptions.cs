namespace Readiness.Web.Auth;

/// <summary>
/// The "Readiness:Auth" configuration section (env Readiness__Auth__Authority, ...). Without an authority the server
/// accepts only tokens signed with the local key (see <see cref="LocalSigningKey"/>), which the `token` command issues.
/// </summary>
public sealed class ReadinessAuthOptions
{
    public const string Section = "Readiness:Auth";

    /// <summary>OpenID Connect authority (issuer URL) of a real identity provider; null: local tokens only.</summary>
    public string? Authority { get; set; }

    public string Audience { get; set; } = "readiness";

    /// <summary>Issuer of local tokens.</summary>
    public string LocalIssuer { get; set; } = "readiness-local";

    /// <summary>Base64 HMAC key (at least 32 bytes) for local tokens; null: generated once into the data folder.</summary>
    public string? SigningKey { get; set; }

    public bool RequireHttpsMetadata { get; set; } = true;

    public string SubjectClaim { get; set; } = "sub";

    /// <summary>Claim holding municipality, prefecture, national or admin.</summary>
    public string RoleClaim { get; set; } = "role";

    /// <summary>Claim holding the 6-digit municipality code or the 2-digit prefecture code.</summary>
    public string TenantClaim { get; set; } = "tenant";

    /// <summary>Operators may open the summaries (catalog, nation, prefectures) to anonymous readers.</summary>
    public bool AnonymousSummaries { get; set; }

    /// <summary>POST /auth/local/signin exchanges a token for a cookie; default: on when no authority is configured.</summary>
    public bool? LocalSignIn { get; set; }

    /// <summary>The dashboard's sign-in page (Components/Pages/SignInPage.razor); pages redirect here with ReturnUrl.</summary>
    public string LoginPath { get; set; } = "/signin";

    /// <summary>
    /// How often a long-lived connection (the event stream) re-checks its credential with the registered
    /// <see cref="ICredentialRevalidator"/>s (revoked, deactivated, signed out); expiry itself ends it on time.
    /// </summary>
    public TimeSpan RevalidationInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a bearer token whose signature was checked is taken as checked (<see cref="RememberedTokens"/>); its
    /// lifetime and the account checks are still applied on every request. Zero: every request checks the signature.
    /// </summary>
    public TimeSpan ValidatedTokenReuse { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// One message per value the server cannot work with, naming the setting and the value; empty when none: a negative
    /// interval (zero: check every time); an Authority that is not an absolute http(s) URL, or is http while
    /// RequireHttpsMetadata is true (the JWT handler then failed every bearer request with a 500); a SigningKey that is
    /// not base64 of at least 32 bytes (<see cref="LocalSigningKey.Problem"/>).
    /// </summary>
    public IEnumerable<string> Problems()
    {
        foreach (var problem in Readiness.Hosting.OptionsProblems.NotNegative(Section, (nameof(RevalidationInterval), RevalidationInterval), (nameof(ValidatedTokenReuse), ValidatedTokenReuse)))
        {
            yield return problem;
        }

        if (!string.IsNullOrWhiteSpace(Authority) && Readiness.Hosting.OptionsProblems.AuthorityUrl(Section, nameof(Authority), Authority, RequireHttpsMetadata, nameof(RequireHttpsMetadata)) is { } authority)
        {
            yield return authority;
        }

        // A PathString: without the leading "/" the cookie handler's options threw on every request that resolved them.
        if (Readiness.Hosting.OptionsProblems.LocalPath(Section, nameof(LoginPath), LoginPath, "/signin") is { } loginPath)
        {
            yield return loginPath;
        }

        if (!string.IsNullOrWhiteSpace(SigningKey) && LocalSigningKey.Problem(SigningKey, $"{Section}:{nameof(SigningKey)}") is { } key)
        {
            yield return key;
        }
    }

    public bool LocalSignInEnabled => LocalSignIn ?? string.IsNullOrWhiteSpace(Authority);
}
