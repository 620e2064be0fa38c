using Readiness.Web.Clients;
using Xunit;

namespace Readiness.Tests.Clients;

/// <summary>The token endpoint's errors in Japanese, beside RFC 6749's ASCII-only error_description.</summary>
public sealed class TokenErrorsTests
{
    [Theory]
    [InlineData("invalid_scope", "The 'openid' scope is not offered: API clients ask for read, write or none (RFC 6749 section 3.3).", "スコープ「openid」は提供していません")]
    [InlineData("invalid_request", "The 'client_id' parameter is given more than once (RFC 6749 section 3.2).", "パラメーター「client_id」が2回以上")]
    [InlineData("slow_down", "Too many token requests from this address or for this client (refused ones count too). Retry after 42 seconds.", "42 秒後に再試行")]
    [InlineData("invalid_request", "The request body could not be read: it is larger than 16 KB.", "16 KB を超えています")]
    [InlineData("invalid_client", "The client is unknown, revoked or expired.", "失効済みまたは期限切れ")]
    [InlineData("invalid_client", "The specified client credentials are invalid.", "client_id かシークレットが正しくない")] // OpenIddict's own: by its code
    [InlineData("unsupported_grant_type", "The specified 'grant_type' is not supported.", "client_credentials グラントだけ")]
    [InlineData("some_future_error", null, "受け付けられませんでした")]
    public void Each_error_reads_in_Japanese_with_its_particulars(string error, string? description, string expected) =>
        Assert.Contains(expected, TokenErrors.Japanese(error, description), StringComparison.Ordinal);
}
