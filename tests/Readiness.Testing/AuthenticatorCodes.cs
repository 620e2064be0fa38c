using OtpNet;

namespace Readiness.Testing;

/// <summary>
/// The authenticator app of the tests' people: RFC 6238 codes (Otp.NET, 30 s steps). The server takes each step once
/// (SingleUseAuthenticatorTokenProvider, NIST SP 800-63B §5.1.4.2), so a second code within 30 s is the next step's
/// (the server accepts up to two steps ahead), and the caller waits for the clock when even that was used.
/// </summary>
public static class AuthenticatorCodes
{
    private static readonly Dictionary<string, long> UsedSteps = new(StringComparer.Ordinal);

    /// <summary>A code for the Base32 <paramref name="key"/> that this process has not handed out before.</summary>
    public static string Next(string key)
    {
        var totp = new Totp(Base32Encoding.ToBytes(key));
        while (true)
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 30;
            lock (UsedSteps)
            {
                var step = Math.Max(now, UsedSteps.GetValueOrDefault(key, long.MinValue) + 1);
                if (step <= now + 1)
                {
                    UsedSteps[key] = step;
                    return totp.ComputeTotp(DateTime.UnixEpoch.AddSeconds(step * 30));
                }
            }

            Thread.Sleep(500);
        }
    }
}
