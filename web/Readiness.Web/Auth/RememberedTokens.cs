using System.Collections.Concurrent;
using System.Security.Claims;
using Microsoft.IdentityModel.Tokens;

namespace Readiness.Web.Auth;

/// <summary>
/// A bearer-token handler that remembers, for a short while, which token strings it has already validated, so that a
/// municipality sending hundreds of changes with one token pays for one signature check and one parse, not one per
/// request (issue 14's profile: token validation ~5 % of the server's CPU and a fifth of the request's allocations at
/// 1,500 changes/s).
/// </summary>
/// <remarks>
/// What can change for the same token string is re-checked on every request: its lifetime (<c>nbf</c>/<c>exp</c> with
/// the parameters' clock skew and time provider, through <see cref="Validators.ValidateLifetime"/>), the keys, issuer
/// and audience it was checked against (a new key set from the identity provider, or other parameters, check it again),
/// and everything the bearer handler's events check (a deactivated account's subject). A remembered token is checked
/// again after <see cref="ReadinessAuthOptions.ValidatedTokenReuse"/> in any case. Only valid tokens are remembered. The
/// first request gets the inner handler's own identity; the requests after it share one read-only copy
/// (<see cref="RememberedIdentity"/>: adding or removing a claim throws <see cref="NotSupportedException"/>), so no
/// request's events can change what the next request sees, and none pays for a copy of its own (issue 14: ~0.6 KB per
/// request). Nothing in the product adds claims to a bearer token's identity (the token cookie's and the account
/// cookie's sign-ins make identities of their own).
/// </remarks>
public sealed class RememberedTokens(TokenHandler inner, TimeSpan reuse, TimeProvider time, int capacity = RememberedTokens.DefaultCapacity) : TokenHandler
{
    /// <summary>
    /// At most this many tokens are remembered (~1.5 KB each with the identity: ~15 MB): when full, those past their window
    /// are let go, and all of them unless that frees half. A bound, not a tuning knob (a nation's municipalities use ~2,000 tokens at once).
    /// </summary>
    public const int DefaultCapacity = 10_000;

    private readonly ConcurrentDictionary<string, Remembered> validated = new(StringComparer.Ordinal);

    /// <summary>Tokens currently remembered (for tests and diagnostics).</summary>
    public int Count => validated.Count;

    /// <summary>The wrapped handler (the bearer handler's default <c>JsonWebTokenHandler</c>).</summary>
    public TokenHandler Inner => inner;

    public override SecurityToken ReadToken(string token) => inner.ReadToken(token);

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        var now = time.GetUtcNow();
        if (reuse > TimeSpan.Zero && validated.TryGetValue(token, out var known))
        {
            if (known.Until > now && known.Under(validationParameters) && StillInLifetime(known.Result.SecurityToken, validationParameters))
            {
                return new TokenValidationResult
                {
                    IsValid = true,
                    SecurityToken = known.Result.SecurityToken,
                    ClaimsIdentity = HandOut(known.Result.ClaimsIdentity),
                    Issuer = known.Result.Issuer,
                    TokenType = known.Result.TokenType,
                    TokenContext = known.Result.TokenContext,
                };
            }

            validated.TryRemove(new KeyValuePair<string, Remembered>(token, known));
        }

        var result = await inner.ValidateTokenAsync(token, validationParameters);
        if (reuse > TimeSpan.Zero && result.IsValid && result.ClaimsIdentity is not null && result.SecurityToken is not null)
        {
            if (validated.Count >= capacity)
            {
                // Those past their window first; unless that frees at least half, all (each is checked again at its next
                // use): a scan of the whole memory happens at most once per capacity/2 new tokens.
                foreach (var entry in validated)
                {
                    if (entry.Value.Until <= now)
                    {
                        validated.TryRemove(entry);
                    }
                }

                if (validated.Count >= capacity / 2)
                {
                    validated.Clear();
                }
            }

            // Remembered as validated, with an identity of its own that no request's events can change.
            validated[token] = new Remembered(new TokenValidationResult
            {
                IsValid = true,
                SecurityToken = result.SecurityToken,
                ClaimsIdentity = Remember(result.ClaimsIdentity),
                Issuer = result.Issuer,
                TokenType = result.TokenType,
                TokenContext = result.TokenContext,
            }, now + reuse, Checked.Of(validationParameters));
        }

        return result;
    }

    /// <summary>IdentityModel's case-sensitive identity as a read-only copy to share; any other kind as a copy (of the same kind) per request, as before.</summary>
    private static ClaimsIdentity Remember(ClaimsIdentity identity) =>
        identity is CaseSensitiveClaimsIdentity ? new RememberedIdentity(identity) : identity.Clone();

    private static ClaimsIdentity HandOut(ClaimsIdentity remembered) => remembered is RememberedIdentity ? remembered : remembered.Clone();

    private static bool StillInLifetime(SecurityToken token, TokenValidationParameters parameters)
    {
        try
        {
            Validators.ValidateLifetime(
                token.ValidFrom == DateTime.MinValue ? null : token.ValidFrom,
                token.ValidTo == DateTime.MinValue ? null : token.ValidTo,
                token, parameters);
            return true;
        }
        catch (SecurityTokenException)
        {
            return false; // validated again, so the caller gets the inner handler's own answer and log
        }
    }

    /// <summary>
    /// A remembered token's identity, handed to every request that presents the token within its window: a copy of the
    /// validated one, case-sensitive as IdentityModel's own (a plain <see cref="ClaimsIdentity"/>'s lookups are not),
    /// whose claims cannot be added or removed (<see cref="NotSupportedException"/>), since it is shared across requests.
    /// </summary>
    public sealed class RememberedIdentity(ClaimsIdentity validated) : CaseSensitiveClaimsIdentity(validated)
    {
        private const string Shared = "A remembered bearer token's identity is shared by every request with that token: its claims cannot be changed (RememberedTokens).";

        /// <inheritdoc/>
        public override void AddClaim(Claim claim) => throw new NotSupportedException(Shared);

        /// <inheritdoc/>
        public override void AddClaims(IEnumerable<Claim?> claims) => throw new NotSupportedException(Shared);

        /// <inheritdoc/>
        public override void RemoveClaim(Claim? claim) => throw new NotSupportedException(Shared);

        /// <inheritdoc/>
        public override bool TryRemoveClaim(Claim? claim) => throw new NotSupportedException(Shared);
    }

    private sealed record Remembered(TokenValidationResult Result, DateTimeOffset Until, Checked Parameters)
    {
        public bool Under(TokenValidationParameters parameters) => Parameters.Matches(parameters);
    }

    /// <summary>
    /// What a token was checked against: the keys (the very instances: the bearer handler hands over its options' key or
    /// the identity provider's current key set, a new set after a refresh), the issuer and the audience. A remembered
    /// token counts only under the same.
    /// </summary>
    private sealed record Checked(SecurityKey? Key, IEnumerable<SecurityKey>? Keys, string? Issuer, IEnumerable<string>? Issuers, string? Audience, IEnumerable<string>? Audiences)
    {
        public static Checked Of(TokenValidationParameters p) => new(p.IssuerSigningKey, p.IssuerSigningKeys, p.ValidIssuer, p.ValidIssuers, p.ValidAudience, p.ValidAudiences);

        public bool Matches(TokenValidationParameters p) =>
            ReferenceEquals(Key, p.IssuerSigningKey) && ReferenceEquals(Keys, p.IssuerSigningKeys)
            && string.Equals(Issuer, p.ValidIssuer, StringComparison.Ordinal) && Same(Issuers, p.ValidIssuers)
            && string.Equals(Audience, p.ValidAudience, StringComparison.Ordinal) && Same(Audiences, p.ValidAudiences);

        // The bearer handler makes a new issuer list per request from the identity provider's metadata: same content, same list.
        private static bool Same(IEnumerable<string>? a, IEnumerable<string>? b) =>
            ReferenceEquals(a, b) || (a is not null && b is not null && a.SequenceEqual(b, StringComparer.Ordinal));
    }
}
