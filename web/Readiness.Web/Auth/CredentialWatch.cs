using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Readiness.Web.Auth;

/// <summary>
/// A check, run every <see cref="ReadinessAuthOptions.RevalidationInterval"/> for each connection that outlives one
/// request (the event stream), that the credential which opened it still holds: e.g. the account is not deactivated
/// and its security stamp is unchanged, the API client is not revoked, the session was not signed out. Register any
/// number as <c>services.AddSingleton&lt;ICredentialRevalidator, ...&gt;()</c>; the connection ends when one says no.
/// </summary>
public interface ICredentialRevalidator
{
    /// <summary>True while <paramref name="user"/> (the principal the connection was opened with) may stay connected.</summary>
    ValueTask<bool> IsStillValidAsync(ClaimsPrincipal user, CancellationToken cancellationToken);
}

/// <summary>Why a watched connection ended (in the stream's last comment line).</summary>
public enum CredentialEnd
{
    None,
    Expired,
    Revoked,
}

/// <summary>
/// Ends long-lived connections when their credential ends: at the token's <c>exp</c> or the sign-in cookie's expiry
/// (whichever the request was authenticated with), or when an <see cref="ICredentialRevalidator"/> refuses it.
/// Without this an open stream kept delivering long after its token had expired.
/// </summary>
public sealed class CredentialWatch(IEnumerable<ICredentialRevalidator> revalidators, IOptions<ReadinessAuthOptions> options, TimeProvider time)
{
    /// <summary>Longest single timer (a .NET timer's limit is ~49 days); a later expiry is caught by the periodic check.</summary>
    private static readonly TimeSpan MaxTimer = TimeSpan.FromDays(24);

    private readonly ICredentialRevalidator[] checks = revalidators.ToArray();

    /// <summary>
    /// When the request's credential expires: the authentication result's ExpiresUtc (the cookie's, or the bearer
    /// token's) and the principal's <c>exp</c> claim (seconds since the Unix epoch), the earlier of the two; null when
    /// anonymous or neither is known.
    /// </summary>
    public static DateTimeOffset? ExpiresAt(HttpContext http)
    {
        if (http.User.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        DateTimeOffset? expires = http.Features.Get<IAuthenticateResultFeature>()?.AuthenticateResult?.Properties?.ExpiresUtc;
        foreach (var claim in http.User.FindAll("exp"))
        {
            if (long.TryParse(claim.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds < 253_402_300_800)
            {
                var exp = DateTimeOffset.FromUnixTimeSeconds(seconds);
                expires = expires is { } e && e < exp ? e : exp;
            }
        }

        return expires;
    }

    /// <summary>
    /// Starts watching the request's credential. The lease's token is cancelled when <paramref name="connection"/> is,
    /// when the credential expires, or when a revalidator refuses it; <see cref="CredentialLease.End"/> says which.
    /// </summary>
    public CredentialLease Watch(HttpContext http, CancellationToken connection)
    {
        var lease = new CredentialLease(connection);
        if (http.User.Identity?.IsAuthenticated != true)
        {
            return lease; // anonymous summaries (when the operator allows them): nothing to expire
        }

        var expires = ExpiresAt(http);
        if (expires is { } at)
        {
            var left = at - time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                lease.Finish(CredentialEnd.Expired);
                return lease;
            }

            if (left <= MaxTimer)
            {
                lease.Own(new ExpiryTimer(lease, at, time));
            }
        }

        var interval = options.Value.RevalidationInterval;
        if (interval > TimeSpan.Zero)
        {
            _ = RevalidateAsync(http.User, expires, interval, lease);
        }

        return lease;
    }

    private async Task RevalidateAsync(ClaimsPrincipal user, DateTimeOffset? expires, TimeSpan interval, CredentialLease lease)
    {
        try
        {
            using var timer = new PeriodicTimer(interval, time);
            while (await timer.WaitForNextTickAsync(lease.Token))
            {
                if (expires is { } at && time.GetUtcNow() >= at)
                {
                    lease.Finish(CredentialEnd.Expired);
                    return;
                }

                foreach (var check in checks)
                {
                    bool valid;
                    try
                    {
                        valid = await check.IsStillValidAsync(user, lease.Token);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        valid = false; // fail closed: the client reconnects and is authenticated afresh
                    }

                    if (!valid)
                    {
                        lease.Finish(CredentialEnd.Revoked);
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (lease.Token.IsCancellationRequested)
        {
            // The connection ended first.
        }
    }
}

/// <summary>
/// Ends a lease at its credential's expiry by the clock, never before: a timer counts whole milliseconds on its own
/// clock and may fire a little early, and a stream ended early invited a reconnection that the still-valid credential
/// then opened again (CI saw 200 where the expired token should get 401). Fired early, it waits again for the rest.
/// </summary>
internal sealed class ExpiryTimer : IDisposable
{
    private readonly CredentialLease lease;
    private readonly DateTimeOffset expires;
    private readonly TimeProvider time;
    private readonly ITimer timer;

    public ExpiryTimer(CredentialLease lease, DateTimeOffset expires, TimeProvider time)
    {
        this.lease = lease;
        this.expires = expires;
        this.time = time;
        timer = time.CreateTimer(static state => ((ExpiryTimer)state!).Fire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        Fire();
    }

    public void Dispose() => timer.Dispose();

    private void Fire()
    {
        var left = expires - time.GetUtcNow();
        if (left > TimeSpan.Zero)
        {
            // Rounded up to the next millisecond, plus one, so that the usual case fires once.
            timer.Change(TimeSpan.FromMilliseconds(Math.Ceiling(left.TotalMilliseconds) + 1), Timeout.InfiniteTimeSpan);
            return;
        }

        lease.Finish(CredentialEnd.Expired);
    }
}

/// <summary>One watched connection: <see cref="Token"/> ends it; <see cref="End"/> says whether the credential did.</summary>
public sealed class CredentialLease : IDisposable
{
    private readonly CancellationTokenSource source;
    private readonly List<IDisposable> owned = [];
    private int end;

    internal CredentialLease(CancellationToken connection)
    {
        source = CancellationTokenSource.CreateLinkedTokenSource(connection);
    }

    public CancellationToken Token => source.Token;

    public CredentialEnd End => (CredentialEnd)Volatile.Read(ref end);

    internal void Own(IDisposable disposable)
    {
        lock (owned)
        {
            owned.Add(disposable);
        }
    }

    internal void Finish(CredentialEnd reason)
    {
        if (Interlocked.CompareExchange(ref end, (int)reason, (int)CredentialEnd.None) != (int)CredentialEnd.None)
        {
            return;
        }

        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The connection was already over.
        }
    }

    public void Dispose()
    {
        lock (owned)
        {
            foreach (var d in owned)
            {
                d.Dispose();
            }

            owned.Clear();
        }

        source.Cancel();
        source.Dispose();
    }
}
