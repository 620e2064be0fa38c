using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Readiness.Web.Auth;
using Xunit;

namespace Readiness.Tests.Auth;

/// <summary>
/// A token's signature is checked once per reuse window; everything that can change for the same token string is
/// still checked on every call.
/// </summary>
public sealed class RememberedTokensTests
{
    // Token lifetimes are checked by IdentityModel against the real clock; the reuse window against this one.
    private static readonly DateTimeOffset Start = DateTimeOffset.UtcNow;
    private readonly Clock clock = new(Start);
    private readonly SymmetricSecurityKey key = new(RandomNumberGenerator.GetBytes(32));
    private readonly Counting inner = new();

    private TokenValidationParameters Parameters(SecurityKey? signingKey = null, string audience = "readiness") => new()
    {
        ValidIssuer = "readiness-local",
        ValidAudience = audience,
        IssuerSigningKey = signingKey ?? key,
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        ClockSkew = TimeSpan.Zero,
        RequireExpirationTime = true,
    };

    private string Token(TimeSpan lifetime, SecurityKey? signingKey = null) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = "readiness-local",
        Audience = "readiness",
        Subject = new ClaimsIdentity([new Claim("sub", "user-1"), new Claim("role", "municipality"), new Claim("tenant", "011002")]),
        IssuedAt = DateTime.UtcNow.AddMinutes(-1),
        NotBefore = DateTime.UtcNow.AddMinutes(-1),
        Expires = DateTime.UtcNow + lifetime,
        SigningCredentials = new SigningCredentials(signingKey ?? key, SecurityAlgorithms.HmacSha256),
    });

    [Fact]
    public async Task A_token_is_checked_once_within_the_window_and_the_callers_after_the_first_share_a_read_only_identity()
    {
        var tokens = new RememberedTokens(inner, TimeSpan.FromSeconds(30), clock);
        var token = Token(TimeSpan.FromHours(1));

        // The first caller gets the inner handler's own identity: what its events add, no later caller sees.
        var first = await tokens.ValidateTokenAsync(token, Parameters());
        first.ClaimsIdentity.AddClaim(new Claim("added-by-an-event", "x"));
        clock.Advance(TimeSpan.FromSeconds(29));
        var second = await tokens.ValidateTokenAsync(token, Parameters());
        var third = await tokens.ValidateTokenAsync(token, Parameters());

        Assert.True(first.IsValid);
        Assert.True(second.IsValid);
        Assert.Equal(1, inner.Calls);
        Assert.Equal("011002", second.ClaimsIdentity.FindFirst("tenant")?.Value);
        Assert.Null(second.ClaimsIdentity.FindFirst("added-by-an-event"));
        Assert.NotSame(first.ClaimsIdentity, second.ClaimsIdentity);
        Assert.IsType<CaseSensitiveClaimsIdentity>(second.ClaimsIdentity, exactMatch: false);
        Assert.Null(second.ClaimsIdentity.FindFirst("TENANT")); // still case-sensitive, as IdentityModel's own

        // The callers after it share one identity (no copy per request, issue 14), which therefore cannot be changed.
        Assert.Same(second.ClaimsIdentity, third.ClaimsIdentity);
        Assert.Throws<NotSupportedException>(() => second.ClaimsIdentity.AddClaim(new Claim("added-by-an-event", "y")));
        Assert.Throws<NotSupportedException>(() => second.ClaimsIdentity.AddClaims([new Claim("added-by-an-event", "y")]));
        Assert.Throws<NotSupportedException>(() => second.ClaimsIdentity.RemoveClaim(second.ClaimsIdentity.FindFirst("tenant")));
        Assert.Throws<NotSupportedException>(() => second.ClaimsIdentity.TryRemoveClaim(second.ClaimsIdentity.FindFirst("tenant")));
        var fourth = await tokens.ValidateTokenAsync(token, Parameters());
        Assert.Null(fourth.ClaimsIdentity.FindFirst("added-by-an-event"));
        Assert.Equal("011002", fourth.ClaimsIdentity.FindFirst("tenant")?.Value);
        Assert.Equal(3, fourth.ClaimsIdentity.Claims.Count(c => c.Type is "sub" or "role" or "tenant"));
        Assert.Equal(1, inner.Calls);

        clock.Advance(TimeSpan.FromSeconds(2)); // past the window: checked again
        Assert.True((await tokens.ValidateTokenAsync(token, Parameters())).IsValid);
        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task A_remembered_token_that_expires_is_refused_at_its_expiry()
    {
        var tokens = new RememberedTokens(inner, TimeSpan.FromMinutes(5), clock);
        var token = Token(TimeSpan.FromSeconds(2));

        Assert.True((await tokens.ValidateTokenAsync(token, Parameters())).IsValid);
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // past its exp (whole seconds), well within the 5-minute window
        var late = await tokens.ValidateTokenAsync(token, Parameters());

        Assert.False(late.IsValid);
        Assert.IsType<SecurityTokenExpiredException>(late.Exception);
        Assert.Equal(0, tokens.Count);
    }

    [Fact]
    public async Task Other_keys_or_another_audience_check_the_token_again()
    {
        var tokens = new RememberedTokens(inner, TimeSpan.FromMinutes(5), clock);
        var token = Token(TimeSpan.FromHours(1));
        Assert.True((await tokens.ValidateTokenAsync(token, Parameters())).IsValid);

        // The identity provider's keys were rotated: the old key is no longer among them.
        var rotated = await tokens.ValidateTokenAsync(token, Parameters(signingKey: new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32))));
        var otherAudience = await tokens.ValidateTokenAsync(token, Parameters(audience: "another-api"));

        Assert.False(rotated.IsValid);
        Assert.False(otherAudience.IsValid);
        Assert.Equal(3, inner.Calls);
    }

    [Fact]
    public async Task An_invalid_token_is_never_remembered()
    {
        var tokens = new RememberedTokens(inner, TimeSpan.FromMinutes(5), clock);
        var forged = Token(TimeSpan.FromHours(1), signingKey: new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)));

        Assert.False((await tokens.ValidateTokenAsync(forged, Parameters())).IsValid);
        Assert.False((await tokens.ValidateTokenAsync(forged, Parameters())).IsValid);
        Assert.Equal(2, inner.Calls);
        Assert.Equal(0, tokens.Count);
    }

    [Fact]
    public async Task A_zero_window_checks_every_call()
    {
        var tokens = new RememberedTokens(inner, TimeSpan.Zero, clock);
        var token = Token(TimeSpan.FromHours(1));

        for (var i = 0; i < 3; i++)
        {
            Assert.True((await tokens.ValidateTokenAsync(token, Parameters())).IsValid);
        }

        Assert.Equal(3, inner.Calls);
    }

    [Fact]
    public async Task When_full_those_past_their_window_go_first_and_all_go_unless_that_frees_half()
    {
        var tokens = new RememberedTokens(inner, TimeSpan.FromSeconds(30), clock, capacity: 4);
        var t = Enumerable.Range(0, 5).Select(i => Token(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(i))).ToArray();
        await tokens.ValidateTokenAsync(t[0], Parameters());
        await tokens.ValidateTokenAsync(t[1], Parameters());
        await tokens.ValidateTokenAsync(t[2], Parameters());
        clock.Advance(TimeSpan.FromSeconds(31)); // the first three are past their window
        await tokens.ValidateTokenAsync(t[3], Parameters());
        Assert.Equal(4, tokens.Count);

        await tokens.ValidateTokenAsync(t[4], Parameters()); // full: the three past their window go, the fourth stays
        Assert.Equal(2, tokens.Count);
        await tokens.ValidateTokenAsync(t[0], Parameters());
        await tokens.ValidateTokenAsync(t[1], Parameters());
        Assert.Equal(4, tokens.Count);

        await tokens.ValidateTokenAsync(t[2], Parameters()); // full, none past its window: all go, this one stays
        Assert.Equal(1, tokens.Count);
        Assert.Equal(8, inner.Calls);
        Assert.True((await tokens.ValidateTokenAsync(t[2], Parameters())).IsValid);
        Assert.Equal(8, inner.Calls);

        // Full again with one of four past its window: freeing one is not half, so all go (no scan on every new token).
        clock.Advance(TimeSpan.FromSeconds(20));
        await tokens.ValidateTokenAsync(t[3], Parameters());
        await tokens.ValidateTokenAsync(t[4], Parameters());
        clock.Advance(TimeSpan.FromSeconds(11)); // t[2] (remembered 31 s ago) is past its window; t[3], t[4] are not
        await tokens.ValidateTokenAsync(t[0], Parameters());
        Assert.Equal(4, tokens.Count);
        await tokens.ValidateTokenAsync(t[1], Parameters());
        Assert.Equal(1, tokens.Count);
    }

    private sealed class Counting : TokenHandler
    {
        private readonly JsonWebTokenHandler handler = new() { MapInboundClaims = false };

        public int Calls { get; private set; }

        public override Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
        {
            Calls++;
            return handler.ValidateTokenAsync(token, validationParameters);
        }
    }

    private sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset now = now;

        public override DateTimeOffset GetUtcNow() => now;

        public void Advance(TimeSpan by) => now += by;
    }
}
