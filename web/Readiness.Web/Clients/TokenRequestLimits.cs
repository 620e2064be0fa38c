using System.Net.Http.Headers;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Readiness.Web.Api;

namespace Readiness.Web.Clients;

/// <summary>
/// The token endpoint's budget: every request to <see cref="ClientsSetup.TokenPath"/>, refused or not, counts as a
/// write (<see cref="RateLimitOptions.WritesPerMinute"/>) per client address, then per the client_id it names. Counted
/// in <see cref="ClientsSetup.ReadTokenFormAsync"/>, before authentication: OpenIddict answers a wrong secret or an
/// unknown client inside the authentication middleware, so the rate limiter after it never saw the failures guessing
/// is made of. In that order an address past its budget does not use up the client's.
/// </summary>
public sealed class TokenRequestLimits(IOptions<RateLimitOptions> options) : IDisposable
{
    /// <summary>Longest client_id kept as a partition key (the product's are "rc_" and 32 characters).</summary>
    private const int MaxClientIdLength = 128;

    private readonly PartitionedRateLimiter<string> windows = PartitionedRateLimiter.Create<string, string>(key =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = Math.Max(1, options.Value.WritesPerMinute),
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    /// <summary>Counts one request of the client address; the wait when its budget is spent, else null.</summary>
    public TimeSpan? CountAddress(HttpContext http) => Count("ip:" + http.Connection.RemoteIpAddress);

    /// <summary>Counts one request naming a client (in the form or in HTTP Basic); the wait when its budget is spent, else null.</summary>
    public TimeSpan? CountClient(HttpContext http) =>
        ClientId(http) is { Length: > 0 } id ? Count("client:" + (id.Length > MaxClientIdLength ? id[..MaxClientIdLength] : id)) : null;

    public void Dispose() => windows.Dispose();

    private TimeSpan? Count(string key)
    {
        using var lease = windows.AttemptAcquire(key);
        return lease.IsAcquired ? null
            : lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
    }

    /// <summary>The client_id of the form, else of an HTTP Basic header (RFC 6749 §2.3.1: form-encoded, then base64).</summary>
    private static string? ClientId(HttpContext http)
    {
        if (http.Request.HasFormContentType && http.Request.Form.TryGetValue("client_id", out var inForm) && inForm.Count == 1)
        {
            return inForm[0];
        }

        if (!AuthenticationHeaderValue.TryParse(http.Request.Headers.Authorization.ToString(), out var header)
            || !header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase) || header.Parameter is null)
        {
            return null;
        }

        var bytes = new byte[header.Parameter.Length];
        if (!Convert.TryFromBase64String(header.Parameter, bytes, out var length))
        {
            return null;
        }

        var text = Encoding.UTF8.GetString(bytes, 0, length);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? null : Uri.UnescapeDataString(text[..colon].Replace('+', ' '));
    }
}
