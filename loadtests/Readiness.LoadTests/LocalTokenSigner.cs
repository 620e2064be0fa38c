using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Readiness.LoadTests;

/// <summary>
/// Signs local tokens the way the product's LocalTokens does (HS256, issuer readiness-local, audience readiness,
/// claims sub/role/name/tenant, key id readiness-local), so the load test can mint 1,741 municipality tokens and
/// viewer tokens in-process with the key it gave the server. A JWT is three base64url parts; no library needed.
/// </summary>
public sealed class LocalTokenSigner(byte[] key, string issuer = "readiness-local", string audience = "readiness")
{
    private static readonly byte[] Header = Encoding.UTF8.GetBytes("""{"alg":"HS256","kid":"readiness-local","typ":"JWT"}""");

    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static LocalTokenSigner FromBase64(string key) => new(Convert.FromBase64String(key));

    public string Issue(string subject, string role, string? tenant, TimeSpan lifetime)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var claims = new Dictionary<string, object>
        {
            ["sub"] = subject,
            ["role"] = role,
            ["name"] = subject,
            ["iss"] = issuer,
            ["aud"] = audience,
            ["iat"] = now,
            ["nbf"] = now - 60,
            ["exp"] = now + (long)lifetime.TotalSeconds,
        };
        if (tenant is not null)
        {
            claims["tenant"] = tenant;
        }

        var unsigned = Base64Url(Header) + "." + Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims));
        var signature = HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(unsigned));
        return unsigned + "." + Base64Url(signature);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>Where bearer tokens come from: a signer, or a file of ready-made tokens ("code token" per line).</summary>
public sealed class TokenSource
{
    private readonly LocalTokenSigner? signer;
    private readonly Dictionary<string, string> fromFile = new(StringComparer.Ordinal);

    public TokenSource(LocalTokenSigner signer) => this.signer = signer;

    public TokenSource(string tokenFile)
    {
        foreach (var line in File.ReadLines(tokenFile))
        {
            var parts = line.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && !parts[0].StartsWith('#'))
            {
                fromFile[parts[0]] = parts[1];
            }
        }
    }

    public string Municipality(string code, string subject) =>
        signer?.Issue(subject, "municipality", code, TimeSpan.FromHours(8))
        ?? fromFile.GetValueOrDefault(code)
        ?? throw new InvalidOperationException($"The token file has no token for municipality {code}.");

    public string National(string subject) =>
        signer?.Issue(subject, "national", null, TimeSpan.FromHours(8))
        ?? fromFile.GetValueOrDefault("national")
        ?? throw new InvalidOperationException("The token file has no 'national' token.");
}
