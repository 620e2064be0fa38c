using Microsoft.IdentityModel.Tokens;
using Readiness.Web.Auth;

namespace Readiness.Tests.Auth;

public sealed class CredentialRefusalTests
{
    private static readonly DateTime Expired = new(2026, 11, 30, 9, 15, 0, DateTimeKind.Utc);

    public static TheoryData<string, Exception?, bool, string> Cases() => new()
    {
        { "", null, false, "missing_token" },
        { "Basic abc", null, false, "unsupported_scheme" },
        { "Token abc", null, false, "unsupported_scheme" },
        { "Bearer", null, false, "empty_token" },
        { "Bearer   ", null, false, "empty_token" },
        { "bearer x", new SecurityTokenMalformedException("IDX14100"), false, "malformed_token" },
        { "Bearer x", new ArgumentException("IDX14100"), false, "malformed_token" },
        { "Bearer x.y.z", new SecurityTokenExpiredException("IDX10223") { Expires = Expired }, false, "expired_token" },
        { "Bearer x.y.z", new SecurityTokenNotYetValidException("IDX10222") { NotBefore = Expired }, false, "token_not_yet_valid" },
        { "Bearer x.y.z", new SecurityTokenSignatureKeyNotFoundException("IDX10503"), false, "invalid_signature" },
        { "Bearer x.y.z", new SecurityTokenInvalidIssuerException("IDX10205"), false, "invalid_issuer" },
        { "Bearer x.y.z", new SecurityTokenInvalidAudienceException("IDX10214"), false, "invalid_audience" },
        { "Bearer x.y.z", new AggregateException(new SecurityTokenInvalidSignatureException("a"), new SecurityTokenExpiredException("b") { Expires = Expired }), false, "expired_token" },
        { "Bearer x.y.z", new SecurityTokenException("other"), false, "invalid_token" },
        { "Bearer x.y.z", null, false, "invalid_token" },
        { "Bearer a.b.c.d.e", new InvalidOperationException("ID0113"), true, "invalid_token" },
        { "Bearer a.b.c.d.e,Bearer a.b.c.d.e", new InvalidOperationException("ID0113"), true, "multiple_authorization" },
        { "Bearer x.y.z,Basic abc", new SecurityTokenMalformedException("IDX14100"), false, "multiple_authorization" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_kind_of_refused_credential_gets_its_own_code_and_both_languages(string header, Exception? failure, bool client, string code)
    {
        var refusal = CredentialRefusal.From(header, failure, client);
        Assert.Equal(code, refusal.Code);
        Assert.False(string.IsNullOrWhiteSpace(refusal.MessageJa));
        Assert.False(string.IsNullOrWhiteSpace(refusal.MessageEn));
    }

    [Fact]
    public void An_expired_token_is_answered_with_the_moment_it_expired_and_a_client_token_with_where_to_get_a_new_one()
    {
        Assert.Contains("2026-11-30T09:15:00Z", CredentialRefusal.From("Bearer x", new SecurityTokenExpiredException("e") { Expires = Expired }, false).MessageEn, StringComparison.Ordinal);
        Assert.Contains("/connect/token", CredentialRefusal.From("Bearer a.b.c.d.e", null, true).MessageEn, StringComparison.Ordinal);
        Assert.Contains("Basic", CredentialRefusal.From("Basic abc", null, false).MessageEn, StringComparison.Ordinal);
    }
}
