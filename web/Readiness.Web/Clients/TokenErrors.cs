using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Readiness.Web.Clients;

/// <summary>
/// The token endpoint's error codes as RFC 6749 §5.2 names each fault, where OpenIddict answers another: client
/// libraries branch on the code (retry with fewer scopes on <c>invalid_scope</c>, check their credentials on
/// <c>invalid_client</c>). OpenIddict's error identifiers (its <c>error_uri</c>) say which fault it found.
/// </summary>
public static class TokenErrors
{
    /// <summary>OpenIddict's identifier → the RFC's code.</summary>
    private static readonly Dictionary<string, string> Rfc6749 = new(StringComparer.Ordinal)
    {
        // "This client application is not allowed to use the specified scope": a scope beyond the client's grant.
        ["ID2051"] = Errors.InvalidScope,
        // "The 'client_secret' or 'client_assertion' parameter must be specified": no client authentication included.
        ["ID2057"] = Errors.InvalidClient,
    };

    /// <summary>Rewrites <paramref name="response"/>'s <c>error</c> when OpenIddict's identifier has another RFC code.</summary>
    public static void Apply(OpenIddictResponse response)
    {
        if (response.Error is not null && response.ErrorUri is { } uri
            && Rfc6749.TryGetValue(uri[(uri.LastIndexOf('/') + 1)..], out var code))
        {
            response.Error = code;
        }
    }
}
