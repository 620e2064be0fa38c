using System.Globalization;
using Microsoft.IdentityModel.Tokens;

namespace Readiness.Web.Auth;

/// <summary>
/// Why an API request's credentials were refused (401), said so the caller can fix it: no header, a scheme other than
/// Bearer, an empty token (typically a shell variable that was never set), a token that is not a JWT, an expired one,
/// one signed by another key or issued for another issuer or audience, or an API client's token that is no longer
/// valid. <see cref="Code"/> is the problem's error code; <see cref="Detail"/> is for the security log.
/// </summary>
public sealed record CredentialRefusal(string Code, string MessageJa, string MessageEn, string Detail)
{
    /// <summary>
    /// Classifies a refused request from its Authorization header and the authentication failure, if any (the bearer
    /// handler's exception, from Microsoft.IdentityModel; null when no handler tried, e.g. a Basic header).
    /// </summary>
    /// <param name="authorization">The Authorization header as sent (empty when absent).</param>
    /// <param name="failure">The authentication failure, or null.</param>
    /// <param name="clientToken">The token is one of the product's API client tokens (JWE, see ClientsSetup.IsClientToken).</param>
    public static CredentialRefusal From(string authorization, Exception? failure, bool clientToken)
    {
        if (string.IsNullOrWhiteSpace(authorization))
        {
            return new("missing_token", "サインインが必要です（Authorization: Bearer トークン）。", "Sign-in required: send Authorization: Bearer <token>.", "no credentials");
        }

        // Two Authorization fields arrive joined by a comma (RFC 9110 §5.3), which no token holds: say so, rather than
        // "invalid or revoked" (a breaker's finding: the same valid token sent twice read as a revoked client).
        if (authorization.Contains(',', StringComparison.Ordinal))
        {
            return new("multiple_authorization",
                "Authorization ヘッダーが複数あります。Bearer トークンを1つだけ送ってください。",
                "More than one Authorization header (or a list in one): send exactly one, Authorization: Bearer <token>.",
                "several authorization fields");
        }

        var space = authorization.IndexOf(' ', StringComparison.Ordinal);
        var scheme = space < 0 ? authorization : authorization[..space];
        if (!scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            var shown = Api.Problems.Shown(scheme);
            return new("unsupported_scheme",
                $"Authorization ヘッダーは Bearer 方式で送ってください（Authorization: Bearer トークン）。「{shown}」方式は使えません。",
                $"Send the token with the Bearer scheme (Authorization: Bearer <token>); the {shown} scheme is not accepted.",
                "unsupported authorization scheme");
        }

        if (space < 0 || string.IsNullOrWhiteSpace(authorization[space..]))
        {
            return new("empty_token",
                "Authorization ヘッダーに Bearer はありますが、トークンが空です（トークンを入れた変数が空ではありませんか）。",
                "The Authorization header names the Bearer scheme but carries no token (is the variable that should hold it empty?).",
                "empty bearer token");
        }

        // A space, tab or quote among the credentials: the header is malformed (RFC 6750 §2.1), whichever handler it reached.
        if (!BearerHeader.IsWellFormed(authorization.AsSpan(space + 1).TrimStart(' ')))
        {
            return new("malformed_header",
                "Authorization ヘッダーの形式が正しくありません。「Bearer」、空白、トークン（空白や引用符を含まない）の順で送ってください。",
                "The Authorization header is malformed: send Bearer, a space, then the token (no spaces, tabs or quotes inside it).",
                "malformed authorization header");
        }

        if (clientToken)
        {
            return new("invalid_token",
                "API クライアントのトークンが無効です。期限切れ（最長10分）か、クライアントが失効しています。/connect/token で取り直してください。",
                "The API client's token is no longer valid: it expired (tokens last at most 10 minutes) or the client was revoked. Get a new one at /connect/token.",
                "invalid or revoked client token");
        }

        return Innermost(failure) switch
        {
            SecurityTokenExpiredException expired => new("expired_token",
                $"トークンの有効期限が切れています（{Format(expired.Expires)}）。新しいトークンでやり直してください。",
                $"The bearer token expired at {Format(expired.Expires)}; get a new one.",
                "expired token"),
            SecurityTokenNotYetValidException early => new("token_not_yet_valid",
                $"トークンはまだ有効ではありません（{Format(early.NotBefore)} から）。時計を確かめてください。",
                $"The bearer token is not valid before {Format(early.NotBefore)}; check the issuer's clock.",
                "token not yet valid"),
            SecurityTokenMalformedException or ArgumentException => new("malformed_token",
                "トークンの形式が正しくありません（JWT ではありません）。トークン全体を送っているか確かめてください。",
                "The bearer token is not a well-formed JWT; check that the whole token was sent.",
                "malformed token"),
            SecurityTokenInvalidSignatureException => new("invalid_signature",
                "トークンの署名を検証できません。このサーバー（または設定された認証基盤）が発行したトークンではないか、署名鍵が変わっています。",
                "The bearer token's signature does not verify: it was not issued by this server (or its configured provider), or the signing key has changed.",
                "invalid signature"),
            SecurityTokenInvalidIssuerException => new("invalid_issuer",
                "トークンの発行者（iss）がこのサーバーの受け付けるものではありません。",
                "The bearer token's issuer (iss) is not one this server accepts.",
                "invalid issuer"),
            SecurityTokenInvalidAudienceException => new("invalid_audience",
                "トークンの対象（aud）がこの API ではありません。",
                "The bearer token's audience (aud) is not this API.",
                "invalid audience"),
            _ => new("invalid_token", "トークンが無効か期限切れです。新しいトークンでやり直してください。", "The bearer token is invalid or expired.", "invalid or expired token"),
        };
    }

    /// <summary>The first of several failures (one per token handler) that says more than "invalid".</summary>
    private static Exception? Innermost(Exception? failure) => failure is AggregateException many
        ? many.InnerExceptions.FirstOrDefault(e => e is SecurityTokenExpiredException or SecurityTokenNotYetValidException) ?? many.InnerExceptions.FirstOrDefault()
        : failure;

    private static string Format(DateTime moment) => moment.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
